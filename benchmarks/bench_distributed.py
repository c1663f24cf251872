"""Distributed crawl throughput: 1, 2 and 4 workers on one Redis against the loopback replay.

Prints pages/s per worker count, the scaling ratio against one worker, Redis round-trips per
page, Redis memory per million queued requests and the Bloom filter's measured false-positive
rate. Needs a Redis (``bash .ci/redis.sh``); uses database 13 of ``$LENDCORPUS_BENCH_REDIS``.

    python benchmarks/bench_distributed.py [--extra 600]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parent.parent
HOST = "www.jiedai-baike.example"
URL = os.environ.get("LENDCORPUS_BENCH_REDIS", "redis://127.0.0.1:6379/13")
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0",
        "-s", "LENDCORPUS_REDIS_DOMAIN_DELAY=0", "-s", "LENDCORPUS_PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=WARNING",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LENDCORPUS_REDIS_IDLE_POLL=0.2"]


def crawl(n: int, address: str, tmp: Path) -> dict:
    home = tmp / f"w{n}"
    env = dict(os.environ, LENDCORPUS_HOME=str(home))
    prefix = f"bench{n}"
    cli = [sys.executable, "-m", "lendcorpus.cli"]
    subprocess.run([*cli, "seed", "jiedai_baike", "--redis", URL, "--fresh", "-s", f"LENDCORPUS_REDIS_PREFIX={prefix}"],
                   env=env, check=True, capture_output=True, cwd=REPO)
    t0 = time.monotonic()
    procs = [subprocess.Popen([*cli, "crawl", "jiedai_baike", "--replay", address, "--redis", URL, "--worker-id",
                               f"w{i}", *FAST, "-s", f"LENDCORPUS_REDIS_PREFIX={prefix}"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(n)]
    for p in procs:
        p.wait()
    wall = time.monotonic() - t0
    reports = [json.loads(v) for v in redis.Redis.from_url(URL).hgetall(f"{prefix}:jiedai_baike:workers").values()]
    pages = sum(r["pages"] for r in reports)
    trips = sum(r["redis_roundtrips"] for r in reports)
    return {"workers": n, "pages": pages, "wall_s": wall, "pages_per_s": pages / wall, "rt_per_page": trips / pages}


def redis_memory_per_million_queued(client: redis.Redis) -> float:
    """Bytes of Redis memory per queued request, times a million (real serialised requests)."""
    import pickle

    from scrapy import Request

    key = "bench:mem:requests"
    client.delete(key)
    before = client.info("memory")["used_memory"]
    n = 50_000
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        req = Request(f"https://{HOST}/a/{100000 + i}.html", meta={"lc_kind": "article"})
        pipe.execute_command("ZADD", key, 0, pickle.dumps(req.to_dict(), protocol=-1))
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    after = client.info("memory")["used_memory"]
    client.delete(key)
    return (after - before) / n * 1_000_000


def bloom_fpr(url: str) -> list[tuple]:
    from lendcorpus.crawler.distributed.bloom import BloomParams, RedisBloom
    from lendcorpus.crawler.distributed.keys import Keys, connect

    rows = []
    for cap, p in ((100_000, 1e-2), (100_000, 1e-3), (100_000, 1e-4)):
        params = BloomParams(cap, p)
        bloom = RedisBloom(connect(url), Keys("bench", f"bloom{p}"), params)
        bloom.clear()
        bloom.add_many([hashlib.sha1(f"in{i}".encode()).digest() for i in range(cap)])
        probes = [hashlib.sha1(f"out{i}".encode()).digest() for i in range(200_000)]
        fpr = sum(bloom.contains_many(probes)) / len(probes)
        rows.append((p, params.hashes, params.bytes_per_million() / 2**20, fpr))
        bloom.clear()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extra", type=int, default=600, help="generated articles beyond the fixture")
    ap.add_argument("--workers", default="1,2,4")
    args = ap.parse_args()
    from lendcorpus_replay.farmgen import generate_farm_site
    from lendcorpus_replay.server import ReplayProcess

    client = redis.Redis.from_url(URL)
    client.flushdb()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        generate_farm_site(tmp / "sites" / HOST, host=HOST, n_extra=args.extra, seed=1)
        with ReplayProcess([tmp / "sites"]) as server:
            rows = [crawl(int(n), server.address, tmp) for n in args.workers.split(",")]
    base = rows[0]["pages_per_s"]
    print(f"{'workers':>7} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'scaling':>8} {'Redis RT/page':>14}")
    for r in rows:
        print(f"{r['workers']:>7} {r['pages']:>6} {r['wall_s']:>7.1f} {r['pages_per_s']:>8.1f} "
              f"{r['pages_per_s'] / base:>8.2f} {r['rt_per_page']:>14.1f}")
    print(f"Redis memory per million queued requests: {redis_memory_per_million_queued(client) / 2**20:.0f} MiB")
    print("Bloom filter (100k URLs at capacity): p, k, MiB per million URLs, measured FPR")
    for p, k, mib, fpr in bloom_fpr(URL):
        print(f"  {p:g}  k={k}  {mib:.2f} MiB/M  measured {fpr:.2g}")
    print(f"machine: {os.cpu_count()} CPUs (workers, replay server and Redis share them)")
    client.flushdb()


if __name__ == "__main__":
    main()
