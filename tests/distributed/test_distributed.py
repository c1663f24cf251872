"""Distributed crawling against a real Redis and the replay server, with real worker processes.

Needs a Redis on loopback: run ``bash .ci/redis.sh`` (CI does). ``LENDCORPUS_TEST_REDIS``
(default ``redis://127.0.0.1:6379/15``) names the database; the tests flush only that one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from lc_testkit import FAST, REPO, run_cli
from lendcorpus.archive import ArchivedRecord, iter_archive, warc_files

HOST = "www.jiedai-baike.example"
REDIS_URL = os.environ.get("LENDCORPUS_TEST_REDIS", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="module")
def redis_server():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis at {REDIS_URL} ({exc}): run `bash .ci/redis.sh` first (CI does)")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A bigger farm (about 200 pages) under the real host, served by its own replay process."""
    from lendcorpus_replay.farmgen import generate_farm_site
    from lendcorpus_replay.server import ReplayProcess

    root = tmp_path_factory.mktemp("sites")
    generate_farm_site(root / HOST, host=HOST, n_extra=150, seed=1)
    log = root / "requests.jsonl"
    with ReplayProcess([root], log_path=log) as server:
        yield {"server": server, "log": log}


def records(directory: Path) -> list[ArchivedRecord]:
    return [r for f in warc_files(directory) for r in iter_archive(f) if isinstance(r, ArchivedRecord)]


def exchanges(directory: Path) -> Counter:
    """(url, record type) of every archived exchange, counted."""
    return Counter((r.url, r.rec_type) for r in records(directory))


@pytest.fixture(scope="module")
def single(site, tmp_path_factory):
    """The reference: one ordinary single-machine crawl of the same site."""
    home = tmp_path_factory.mktemp("single")
    job = home / "run"
    run_cli("crawl", "jiedai_baike", "--replay", site["server"].address, "--new", "--job", str(job), *FAST,
            env={"LENDCORPUS_HOME": str(home)})
    got = exchanges(job)
    assert max(got.values()) == 1 and len(got) > 150
    return got


def worker_cmd(site, prefix: str, wid: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "lendcorpus.cli", "crawl", "jiedai_baike", "--replay", site["server"].address,
            "--redis", REDIS_URL, "--worker-id", wid, *FAST, "-s", f"LENDCORPUS_REDIS_PREFIX={prefix}",
            "-s", "LENDCORPUS_REDIS_HEARTBEAT=0.5", "-s", "LENDCORPUS_REDIS_IDLE_POLL=0.2",
            "-s", "LENDCORPUS_PROGRESS_INTERVAL=0", "-s", "LENDCORPUS_REDIS_DOMAIN_DELAY=0", *extra]


def seed(prefix: str, env: dict) -> None:
    out = run_cli("seed", "jiedai_baike", "--redis", REDIS_URL, "--fresh", "-s", f"LENDCORPUS_REDIS_PREFIX={prefix}",
                  env=env).stdout
    assert "start requests queued" in out


def start_workers(site, prefix: str, home: Path, ids: list[str], *extra: str) -> dict[str, subprocess.Popen]:
    env = dict(os.environ, LENDCORPUS_HOME=str(home))
    home.mkdir(parents=True, exist_ok=True)
    return {w: subprocess.Popen(worker_cmd(site, prefix, w, *extra), env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=open(home / f"{w}.log", "ab")) for w in ids}


def wait_all(procs: dict[str, subprocess.Popen], timeout: float = 90) -> None:
    for w, p in procs.items():
        assert p.wait(timeout=timeout) == 0, f"worker {w} exited {p.returncode}"


def run_dir(home: Path) -> Path:
    dirs = list((home / "archive" / "jiedai_baike").iterdir())
    assert len(dirs) == 1, dirs  # every worker of the crawl writes into the crawl's folder
    return dirs[0]


def test_two_workers_archive_exactly_what_one_worker_does_and_build_loads_it_once(redis_server, site, single,
                                                                                  tmp_path):
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    seed("t2", env)
    procs = start_workers(site, "t2", home, ["a", "b"])
    wait_all(procs)
    folder = run_dir(home)
    got = exchanges(folder)
    assert got == single  # no gaps, no duplicates (robots.txt too: fetched once, shared)
    by_worker = Counter(p.name.split("-")[1] for p in warc_files(folder))
    assert set(by_worker) == {"a", "b"}, "both workers should have done part of the work"
    # workers share run.json: each keeps its own session entry (locked read-modify-write, by id)
    sessions = json.loads((folder / "run.json").read_text(encoding="utf-8"))["sessions"]
    assert sorted(s["worker"] for s in sessions) == ["a", "b"]
    assert all(s["reason"] == "finished" and s["stats"] for s in sessions) and len({s["id"] for s in sessions}) == 2
    # status sees the finished crawl
    st = json.loads(run_cli("status", "--redis", REDIS_URL, "--json", "-s", "LENDCORPUS_REDIS_PREFIX=t2",
                            env=env).stdout)[0]
    assert st["finished"] and st["queued"] == 0 and st["in_flight"] == 0
    assert {w["worker"] for w in st["workers"]} == {"a", "b"} and st["archived"] == sum(single.values())
    # the build loads every shard of every worker once
    run_cli("build", env=env)
    db = home / "corpus.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM fetches").fetchone()[0] == sum(single.values())
        assert con.execute("SELECT sessions FROM crawl_runs").fetchall() == [(2,)]
    finally:
        con.close()
    again = run_cli("build", env=env).stdout
    assert "records 0, fetches 0, documents new 0" in again


def test_killed_worker_restarted_gives_the_same_union(redis_server, site, single, tmp_path):
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    seed("tk", env)
    slow = ["-s", "LENDCORPUS_REDIS_DOMAIN_DELAY=0.02"]
    procs = start_workers(site, "tk", home, ["a", "b"], *slow)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = [f for f in (home / "archive").rglob("jiedai_baike-a-*.warc.gz")]
        if files and sum(f.stat().st_size for f in files) > 40_000:
            break
        time.sleep(0.05)
    procs["a"].send_signal(signal.SIGKILL)
    procs["a"].wait()
    time.sleep(0.3)
    procs["a"] = start_workers(site, "tk", home, ["a"], *slow)["a"]  # same id: takes its in-flight work first
    wait_all(procs)
    folder = run_dir(home)
    got = exchanges(folder)
    assert [k for k, n in got.items() if n > 1] == []
    assert got == single
    assert len([f for f in warc_files(folder) if "-a-" in f.name]) == 2  # one shard per session of worker a
    sessions = json.loads((folder / "run.json").read_text(encoding="utf-8"))["sessions"]
    # the killed session never finished; the other two did, and none overwrote another's entry
    assert sorted((s["worker"], s["reason"] or "killed") for s in sessions) == \
        [("a", "finished"), ("a", "killed"), ("b", "finished")]


def test_dead_worker_is_reaped_by_the_others(redis_server, site, single, tmp_path):
    """A worker that never comes back: its in-flight requests go back to the queue after its TTL."""
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    seed("tr", env)
    ttl = ["-s", "LENDCORPUS_REDIS_WORKER_TTL=1", "-s", "LENDCORPUS_REDIS_DOMAIN_DELAY=0.02"]
    procs = start_workers(site, "tr", home, ["a", "b"], *ttl)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any((home / "archive").rglob("jiedai_baike-a-*.warc.gz")):
            if sum(f.stat().st_size for f in (home / "archive").rglob("jiedai_baike-a-*.warc.gz")) > 30_000:
                break
        time.sleep(0.05)
    procs.pop("a").send_signal(signal.SIGKILL)
    wait_all(procs)
    got = exchanges(run_dir(home))
    assert set(got) == set(single)  # no gaps
    # a duplicate is possible only for a request the dead worker had archived but not yet acknowledged:
    # at most what it held in flight (CONCURRENT_REQUESTS = 16); typically 0-2, more on a loaded machine
    assert sum(got.values()) - len(got) <= 16


def test_global_rate_limit_holds_across_workers(redis_server, tmp_path):
    """Three workers, one domain, 0.1 s between requests: the server sees at most ~10 requests/s."""
    from lendcorpus_replay.server import ReplayProcess

    log = tmp_path / "req.jsonl"
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    with ReplayProcess(log_path=log) as server:
        seed("tl", env)
        procs = start_workers({"server": server}, "tl", home, ["a", "b", "c"],
                              "-s", "LENDCORPUS_REDIS_DOMAIN_DELAY=0.1")
        wait_all(procs)
    times = sorted(json.loads(line)["t"] for line in log.read_text().splitlines()
                   if json.loads(line)["host"] == HOST)
    assert len(times) > 30
    # any 1-second window holds at most 10 reservations, plus one for send-side jitter
    worst = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
    assert worst <= 11, worst
    overall = (len(times) - 1) / (times[-1] - times[0])
    assert overall <= 10.5, overall
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert sorted(gaps)[len(gaps) // 2] >= 0.08  # the median gap is the interval, not a burst


def test_bloom_filter_false_positive_rate_matches_its_sizing(redis_server):
    import hashlib

    from lendcorpus.crawler.distributed.bloom import BloomParams, RedisBloom
    from lendcorpus.crawler.distributed.keys import Keys, connect

    params = BloomParams(capacity=20_000, error_rate=0.01)
    assert params.hashes == 7 and 9.5 < params.bits / params.capacity < 9.7
    bloom = RedisBloom(connect(REDIS_URL), Keys("tb", "x"), params)
    fps = [hashlib.sha1(f"in-{i}".encode()).digest() for i in range(params.capacity)]
    assert sum(bloom.add_many(fps)) >= params.capacity * 0.99  # nearly all were new
    assert all(bloom.contains_many(fps))  # seen ones stay seen
    probes = [hashlib.sha1(f"out-{i}".encode()).digest() for i in range(20_000)]
    fpr = sum(bloom.contains_many(probes)) / len(probes)
    assert fpr <= 0.02, fpr  # designed 1%; measured numbers are in docs/distributed.md


def test_redis_state_store_merges_marks_of_workers(redis_server):
    from scrapy.settings import Settings

    from lendcorpus.crawler.distributed.state import RedisStateStore

    class FakeCrawler:
        settings = Settings({"LENDCORPUS_REDIS_URL": REDIS_URL, "LENDCORPUS_REDIS_PREFIX": "ts",
                             "LENDCORPUS_STATE_DIR": "/nonexistent"})

    store = RedisStateStore.from_crawler(FakeCrawler())
    assert store.load("sp") == {}
    store.save("sp", {"marks": {"feed": 10, "search": "2024-01-02"}})
    store.save("sp", {"marks": {"feed": 7, "search": "2024-03-01"}})  # a slower worker must not undo the mark
    assert store.load("sp")["marks"] == {"feed": 10, "search": "2024-03-01"}


# -- Redis outages: a Redis of our own per test (on a free loopback port), killed with SIGKILL -----------


class OwnRedis:
    """A real redis-server on a free loopback port, with AOF (fsync on every write) or no persistence."""

    def __init__(self, directory: Path, persistent: bool):
        import socket

        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.persistent = persistent
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "OwnRedis":
        import redis

        persistence = (["--appendonly", "yes", "--appendfsync", "always", "--save", ""] if self.persistent
                       else ["--appendonly", "no", "--save", ""])
        self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                      "--dir", str(self.dir), *persistence, "--logfile", str(self.dir / "redis.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        for _ in range(200):
            try:
                if client.ping():
                    return self
            except redis.exceptions.BusyLoadingError:
                pass
            except redis.RedisError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"redis-server on {self.port} did not start: {(self.dir / 'redis.log').read_text()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        self.kill()


@pytest.fixture()
def own_redis(tmp_path):
    started: list[OwnRedis] = []

    def make(persistent: bool = True) -> OwnRedis:
        r = OwnRedis(tmp_path / f"redis{len(started)}", persistent)
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


def outage_worker(site, url: str, home: Path, wid: str, outage_max: float) -> subprocess.Popen:
    env = dict(os.environ, LENDCORPUS_HOME=str(home))
    home.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "lendcorpus.cli", "crawl", "jiedai_baike", "--replay", site["server"].address,
           "--redis", url, "--worker-id", wid, *FAST, "-s", "LENDCORPUS_REDIS_HEARTBEAT=0.5",
           "-s", "LENDCORPUS_REDIS_IDLE_POLL=0.2", "-s", "LENDCORPUS_PROGRESS_INTERVAL=0",
           "-s", "LENDCORPUS_REDIS_DOMAIN_DELAY=0.03", "-s", f"LENDCORPUS_REDIS_OUTAGE_MAX={outage_max}"]
    return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=open(home / f"{wid}.log", "ab"))


def wait_archived(home: Path, wid: str, size: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list((home / "archive").rglob(f"jiedai_baike-{wid}-*.warc.gz"))
        if files and sum(f.stat().st_size for f in files) > size:
            return
        time.sleep(0.02)
    raise AssertionError("the worker archived too little before the outage")


def responses(directory: Path) -> Counter:
    return Counter(r.url for r in records(directory) if r.rec_type == "response")


def seed_url(url: str, env: dict) -> None:
    out = run_cli("seed", "jiedai_baike", "--redis", url, "--fresh", env=env).stdout
    assert "start requests queued" in out


def test_redis_outage_past_the_bound_exits_7_and_a_restart_loses_nothing(own_redis, site, single, tmp_path):
    """Redis (AOF, fsync always) is SIGKILLed mid-crawl and stays away: the worker retries, gives up
    after LENDCORPUS_REDIS_OUTAGE_MAX and exits 7 (it used to poll forever at 0 pages/s). Redis is
    restarted from its AOF, the worker restarted with the same id: the crawl completes with every
    page of the reference crawl, none twice."""
    r = own_redis(persistent=True).start()
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    seed_url(r.url, env)
    worker = outage_worker(site, r.url, home, "a", outage_max=3)
    wait_archived(home, "a", 30_000)
    r.kill()
    assert worker.wait(timeout=120) == 7
    log = (home / "a.log").read_text(encoding="utf-8", errors="replace")
    assert "retrying with back-off for up to 3s" in log and "giving up" in log
    assert "FAILED (exit 7)" in log
    partial = responses(run_dir(home))
    assert 0 < len(partial) < len(single)

    r.start()  # same port, same folder: the AOF brings the queue, the Bloom filter and the in-flight hash back
    again = outage_worker(site, r.url, home, "a", outage_max=3)
    assert again.wait(timeout=180) == 0, (home / "a.log").read_text(errors="replace")[-3000:]
    got = responses(run_dir(home))
    assert set(got) == {u for u, t in single if t == "response"}  # nothing lost
    assert max(got.values()) == 1  # nothing fetched twice: what was archived is served from the archive


def test_short_redis_outage_is_ridden_out(own_redis, site, single, tmp_path):
    """Redis killed and restarted (from its AOF) within the bound: the same worker carries on and
    finishes with exit 0 and every page."""
    r = own_redis(persistent=True).start()
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    seed_url(r.url, env)
    worker = outage_worker(site, r.url, home, "a", outage_max=60)
    wait_archived(home, "a", 30_000)
    r.kill()
    time.sleep(1.0)
    r.start()
    assert worker.wait(timeout=180) == 0, (home / "a.log").read_text(errors="replace")[-3000:]
    log = (home / "a.log").read_text(encoding="utf-8", errors="replace")
    assert "retrying with back-off" in log and "Redis answers again" in log
    got = responses(run_dir(home))
    assert set(got) == {u for u, t in single if t == "response"}
    assert sum(got.values()) - len(got) <= 2  # a request in flight at the kill may be fetched again


def test_redis_restarted_without_its_data_is_an_error_not_a_finished_crawl(own_redis, site, tmp_path):
    """No persistence: Redis comes back empty. The worker says the frontier is gone and exits 8,
    instead of waiting for a seed forever or ending "finished" with pages never fetched."""
    r = own_redis(persistent=False).start()
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    seed_url(r.url, env)
    worker = outage_worker(site, r.url, home, "a", outage_max=60)
    wait_archived(home, "a", 30_000)
    r.kill()
    r.start()
    assert worker.wait(timeout=120) == 8
    log = (home / "a.log").read_text(encoding="utf-8", errors="replace")
    assert "Redis no longer holds this crawl" in log and "FAILED (exit 8)" in log
