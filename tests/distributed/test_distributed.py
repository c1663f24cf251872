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
    from lendcorpus.crawler.replay.farmgen import generate_farm_site
    from lendcorpus.crawler.replay.server import ReplayProcess

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
    run_cli("crawl", "jiedai_baike", "--replay", site["server"].address, "--job", str(job), *FAST,
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
    # a duplicate is possible only for a request archived in the instant before the kill
    assert sum(got.values()) - len(got) <= 2


def test_global_rate_limit_holds_across_workers(redis_server, tmp_path):
    """Three workers, one domain, 0.1 s between requests: the server sees at most ~10 requests/s."""
    from lendcorpus.crawler.replay.server import ReplayProcess

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
