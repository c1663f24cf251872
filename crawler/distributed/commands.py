"""What ``seed``, ``status`` and ``crawl --redis`` do with Redis, kept out of the CLI modules."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from lendcorpus.crawler.distributed.bloom import params_from_settings
from lendcorpus.crawler.distributed.keys import Keys, connect, keys_for
from lendcorpus.crawler.runs import new_run_id
from lendcorpus.paths import archive_root


def crawl_id(server, keys: Keys) -> str:
    """The crawl's id (fixed by the first seeder or worker); names the run folder on every machine."""
    server.hsetnx(keys.meta, "crawl", new_run_id())
    return server.hget(keys.meta, "crawl").decode()


def worker_run_dirs(settings, spiders: list[str]) -> dict[str, Path]:
    """``<archive>/<spider>/<crawl id>`` per spider: workers of a crawl on one machine share it,
    and a restarted worker resumes its own shards there."""
    server = connect(settings.get("LENDCORPUS_REDIS_URL"), outage_max=5.0)  # at start: fail fast, not ride it out
    base = Path(settings.get("LENDCORPUS_ARCHIVE_DIR") or archive_root())
    return {name: base / name / crawl_id(server, keys_for(settings, name)) for name in spiders}


def flush(server, keys: Keys) -> int:
    """Forget a spider's frontier (queue, Bloom filter, in flight, workers, robots); keep its marks."""
    doomed = [k for k in server.scan_iter(match=keys.crawl_keys_pattern(), count=1000) if k.decode() != keys.state]
    if doomed:
        server.delete(*doomed)
    return len(doomed)


def mark_seeded(server, keys: Keys) -> None:
    server.hset(keys.meta, mapping={"seeded": time.time()})


def spiders_in(server, prefix: str) -> list[str]:
    found = set()
    for k in server.scan_iter(match=f"{prefix}:*:meta", count=1000):
        found.add(k.decode()[len(prefix) + 1 : -len(":meta")])
    return sorted(found)


def status(url: str, prefix: str = "lendcorpus", spiders: list[str] | None = None, settings=None) -> list[dict[str, Any]]:
    """One dict per spider: queue size, in flight, Bloom fill, workers with their counters."""
    server = connect(url, outage_max=5.0)  # a status look should answer quickly, not wait out an outage
    out = []
    now = time.time()
    for spider in spiders or spiders_in(server, prefix):
        keys = Keys(prefix, spider)
        meta = {k.decode(): v.decode() for k, v in server.hgetall(keys.meta).items()}
        workers = []
        for wid, raw in sorted(server.hgetall(keys.workers).items()):
            rep = json.loads(raw)
            w = wid.decode()
            rep["alive"] = bool(server.exists(keys.alive(w)))
            rep["in_flight"] = server.hlen(keys.inflight(w))
            rep["seen_s_ago"] = round(now - rep.get("last_seen", now), 1)
            workers.append(rep)
        bloom_n = int(meta.get("bloom_count", 0))
        entry = {
            "spider": spider, "crawl": meta.get("crawl"), "seeded": "seeded" in meta,
            "queued": server.zcard(keys.queue), "in_flight": sum(w["in_flight"] for w in workers),
            "urls_seen": bloom_n, "workers": workers,
            "workers_alive": sum(w["alive"] for w in workers),
            "pages": sum(w.get("pages", 0) for w in workers),
            "pages_per_s": round(sum(w.get("pages_per_s", 0) for w in workers if w["alive"] and not w.get("finished")), 2),
            "rejects": sum(w.get("rejects", 0) for w in workers),
            "archived": sum(w.get("archived", 0) for w in workers),
        }
        if settings is not None:
            params = params_from_settings(settings)
            entry["bloom"] = {"capacity": params.capacity, "bytes": params.bytes,
                              "fpr_now": params.expected_fpr(bloom_n)}
        entry["finished"] = entry["seeded"] and not entry["queued"] and not entry["in_flight"] and bool(workers)
        out.append(entry)
    return out
