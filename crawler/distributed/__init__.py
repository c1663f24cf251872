"""Distributed crawling: many Scrapy workers sharing one Redis frontier (scrapy-redis).

Single-machine crawls need none of this. ``lendcorpus crawl SPIDER --redis URL`` (or the
``LENDCORPUS_REDIS_URL`` setting/env) turns a crawl into a *worker*: it takes requests from the
shared scrapy-redis queue instead of generating start requests (``lendcorpus seed`` pushes
those), checks new links against a Bloom filter in Redis, spaces requests to each domain through
a Redis-side clock shared by all workers, marks what it has popped as in flight (returned to the
queue if the worker dies) and reports counters for ``lendcorpus status``. Each worker writes its
own WARC shards (worker id in the file name); ``lendcorpus build`` loads them all once.

See docs/distributed.md.
"""

from __future__ import annotations

import os
import re
import socket

#: Scrapy settings a worker (``worker=True``) or the seeder gets on top of the project's.
_SCHEDULER = "lendcorpus.crawler.distributed.scheduler.DistributedScheduler"


def default_worker_id() -> str:
    """host-pid: unique, but not stable across restarts (give --worker-id for lossless restarts)."""
    return re.sub(r"[^A-Za-z0-9_.]+", "_", f"{socket.gethostname()}-{os.getpid()}")


def configure(settings, redis_url: str, *, worker_id: str | None = None, seed: bool = False) -> None:
    """Switch a project ``Settings`` object to distributed mode (worker, or seeder with ``seed``)."""
    prio = "cmdline"
    settings.set("LENDCORPUS_REDIS_URL", redis_url, priority=prio)
    settings.set("REDIS_URL", redis_url, priority=prio)
    settings.set("SCHEDULER", _SCHEDULER, priority=prio)
    settings.set("SCHEDULER_PERSIST", True, priority=prio)  # a finishing worker must not flush the shared queue
    settings.set("SCHEDULER_QUEUE_CLASS", "lendcorpus.crawler.distributed.scheduler.InFlightPriorityQueue",
                 priority=prio)
    settings.set("DUPEFILTER_CLASS", "lendcorpus.crawler.distributed.bloom.BloomDupeFilter", priority=prio)
    settings.set("LENDCORPUS_STATE_STORE", "lendcorpus.crawler.distributed.state.RedisStateStore", priority=prio)
    if worker_id:
        settings.set("LENDCORPUS_WORKER_ID", worker_id, priority=prio)
    elif settings.get("LENDCORPUS_WORKER_ID", "w0") == "w0":
        settings.set("LENDCORPUS_WORKER_ID", default_worker_id(), priority=prio)
    spider_mw = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider_mw["lendcorpus.crawler.distributed.worker.StartFromRedis"] = 10
    settings.set("SPIDER_MIDDLEWARES", spider_mw, priority=prio)
    if seed:
        # The seeder only serialises start requests into Redis: no fetch, no archive, no run folder.
        settings.set("LENDCORPUS_REDIS_SEED", True, priority=prio)
        settings.set("LENDCORPUS_ARCHIVE_ENABLED", False, priority=prio)
        ext = dict(settings.getdict("EXTENSIONS"))
        ext["lendcorpus.crawler.extensions.RunManifest"] = None
        ext["lendcorpus.crawler.extensions.ProgressLog"] = None
        settings.set("EXTENSIONS", ext, priority=prio)
        return
    dl_mw = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    dl_mw["lendcorpus.crawler.distributed.robots.SharedRobotsMiddleware"] = 35
    dl_mw["lendcorpus.crawler.distributed.ratelimit.GlobalRateLimitMiddleware"] = 950
    dl_mw["lendcorpus.crawler.distributed.ratelimit.OutageRetryMiddleware"] = 960
    settings.set("DOWNLOADER_MIDDLEWARES", dl_mw, priority=prio)
    ext = dict(settings.getdict("EXTENSIONS"))
    ext["lendcorpus.crawler.distributed.worker.WorkerRegistry"] = 520
    settings.set("EXTENSIONS", ext, priority=prio)
