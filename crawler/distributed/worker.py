"""Worker life: registry and heartbeat, reaping dead workers, knowing when the crawl is over.

Every ``LENDCORPUS_REDIS_HEARTBEAT`` seconds a worker refreshes ``alive:<id>`` (expires after
``LENDCORPUS_REDIS_WORKER_TTL``) and writes its counters to the ``workers`` hash, which
``lendcorpus status`` reads. On the same beat it returns the in-flight requests of workers whose
``alive`` key has expired to the queue.

A worker with an empty queue does not stop at once: other workers may still be parsing pages
whose links have not been pushed yet. It stops (reason ``finished``) only when the crawl has been
seeded, the queue is empty and no worker holds a request in flight; until then it polls every
``LENDCORPUS_REDIS_IDLE_POLL`` seconds.

Outages (docs/distributed.md, "Redis outages"): every Redis call retries with back-off; when the
client gives up after ``LENDCORPUS_REDIS_OUTAGE_MAX`` seconds the spider closes with reason
``redis_unavailable`` (``crawl`` exits 7) instead of polling forever. A Redis that comes back
*without* the crawl (restarted without persistence, flushed, evicted) is noticed on the next beat:
the spider closes with ``redis_data_lost`` (exit 8) instead of waiting for a seed forever.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from twisted.internet import task

from lendcorpus.crawler.distributed.keys import CountingRedis, RedisUnavailable, client_for, keys_for
from lendcorpus.crawler.distributed.scheduler import requeue
from lendcorpus.crawler.runs import run_for

logger = logging.getLogger(__name__)

#: KEYS: queue, workers hash. ARGV: in-flight key prefix. Returns {queued, in flight in total}.
PENDING_LUA = """
local queued = redis.call('ZCARD', KEYS[1])
local inflight = 0
for _, w in ipairs(redis.call('HKEYS', KEYS[2])) do
  inflight = inflight + redis.call('HLEN', ARGV[1] .. w)
end
return {queued, inflight}
"""


class StartFromRedis:
    """Spider middleware: on workers, start requests come from ``lendcorpus seed``, not the spider."""

    def __init__(self, crawler):
        self.seeding = crawler.settings.getbool("LENDCORPUS_REDIS_SEED")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_start(self, start):
        if self.seeding:
            async for item in start:
                yield item
        # a worker yields nothing: its work is in the shared queue

    def process_spider_output(self, response, result):
        return result

    async def process_spider_output_async(self, response, result):
        async for item in result:
            yield item


class WorkerRegistry:
    """Extension: heartbeat, counters for ``status``, reaping, and the distributed idle rule."""

    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.server = client_for(crawler)
        self.keys = keys_for(s, crawler.spidercls.name)
        self.run = run_for(crawler)
        self.worker = self.run.worker
        self.interval = s.getfloat("LENDCORPUS_REDIS_HEARTBEAT", 5.0)
        self.ttl = max(s.getfloat("LENDCORPUS_REDIS_WORKER_TTL", 30.0), self.interval * 2)
        self.idle_poll = s.getfloat("LENDCORPUS_REDIS_IDLE_POLL", 0.5)
        self.pending = self.server.register_script(PENDING_LUA)
        self.started = time.time()
        self.last = (time.monotonic(), 0)
        self.rate = 0.0
        self._task: task.LoopingCall | None = None
        self.crawl_id: bytes | None = None
        self.closing = ""
        self.server.on_give_up(lambda message: self.close("redis_unavailable", message))
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if crawler.settings.getbool("LENDCORPUS_REDIS_SEED"):
            raise NotConfigured
        return cls(crawler)

    # -- heartbeat -----------------------------------------------------------------------
    def spider_opened(self, spider) -> None:
        previous = self.server.get(self.keys.alive(self.worker))
        if previous:
            logger.warning("worker id %s was alive less than %.0fs ago (%s): if another process still uses this "
                           "id, stop one of them — ids must be unique", self.worker, self.ttl, previous.decode())
        self.server.hsetnx(self.keys.meta, "crawl", self.run.run_id)
        self.crawl_id = self.server.hget(self.keys.meta, "crawl")
        self.beat()
        self._task = task.LoopingCall(self.beat)
        self._task.start(self.interval, now=False)

    def report(self, finished: str | None = None) -> dict:
        s = self.crawler.stats.get_stats()
        pages = s.get("response_received_count", 0)
        now = time.monotonic()
        last_t, last_pages = self.last
        if now - last_t >= 1.0:
            self.rate = (pages - last_pages) / (now - last_t)
            self.last = (now, pages)
        rejects = sum(v for k, v in s.items() if k.startswith("lendcorpus/rejects/"))
        return {
            "worker": self.worker, "host": socket.gethostname(), "pid": os.getpid(), "run": self.run.run_id,
            "archive_dir": str(self.run.directory), "started": self.started, "last_seen": time.time(),
            "pages": pages, "archived": s.get("lendcorpus/archive/records", 0),
            "from_archive": s.get("lendcorpus/archive/replayed", 0), "rejects": rejects,
            "pages_per_s": round(self.rate, 2), "redis_roundtrips": CountingRedis.roundtrips,
            "rate_wait_s": round(s.get("lendcorpus/ratelimit/wait_s", 0.0), 2),
            "finished": finished,
        }

    def close(self, reason: str, message: str) -> None:
        """Close the spider (once) with ``reason``; from the reactor's next turn, not mid-call."""
        if self.closing:
            return
        self.closing = reason
        self.crawler.stats.set_value("lendcorpus/redis/closed", reason)
        logger.error("closing the worker (%s): %s", reason, message)
        from scrapy.utils.defer import deferred_from_coro
        from twisted.internet import reactor

        reactor.callLater(0, lambda: deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason)))

    def check_data(self) -> bool:
        """False (and the spider closing) if Redis came back without this crawl's frontier."""
        now = self.server.hget(self.keys.meta, "crawl")
        if self.crawl_id is not None and now != self.crawl_id:
            self.close("redis_data_lost",
                       "Redis no longer holds this crawl (it restarted without persistence, or was flushed or "
                       "evicted): the queue and the in-flight requests are gone; re-seed with `lendcorpus seed "
                       "--fresh` (pages already archived are served from the archive, not fetched again)")
            return False
        return True

    def beat(self) -> None:
        if self.closing:
            return
        try:
            if not self.check_data():
                return
            pipe = self.server.pipeline(transaction=False)
            pipe.set(self.keys.alive(self.worker), f"pid {os.getpid()} on {socket.gethostname()}",
                     px=int(self.ttl * 1000))
            pipe.hset(self.keys.workers, self.worker, json.dumps(self.report()))
            pipe.execute()
            CountingRedis.roundtrips += 1
            self.reap()
            df = getattr(self.crawler.engine._slot.scheduler, "df", None) if self.crawler.engine._slot else None
            if df is not None and hasattr(df, "check_capacity"):
                df.check_capacity()
        except Exception as exc:  # Redis away for a moment: the next beat tries again
            logger.warning("heartbeat to Redis failed: %s", exc)

    def reap(self) -> int:
        """Return the in-flight requests of workers whose heartbeat expired to the queue."""
        total = 0
        for raw in self.server.hkeys(self.keys.workers):
            other = raw.decode()
            if other == self.worker:
                continue
            n = requeue(self.server, self.keys, other)
            if n > 0:
                logger.warning("worker %s stopped answering: %d of its in-flight requests returned to the queue",
                               other, n)
                self.crawler.stats.inc_value("lendcorpus/redis/reaped", n)
                total += n
        return total

    # -- when is the crawl over? ---------------------------------------------------------
    def spider_idle(self, spider) -> None:
        if self.closing:
            raise DontCloseSpider  # the close with the real reason is on its way; never "finished"
        try:
            if not self.check_data():
                raise DontCloseSpider
            scheduler = self.crawler.engine._slot.scheduler if self.crawler.engine._slot else None
            if hasattr(scheduler, "requeue_orphans"):
                scheduler.requeue_orphans()
            seeded = self.server.hexists(self.keys.meta, "seeded")
            queued, inflight = self.pending(keys=[self.keys.queue, self.keys.workers],
                                            args=[self.keys.inflight("")])
            if seeded and (queued or inflight):
                self.reap()
        except RedisUnavailable:
            raise DontCloseSpider from None  # closing with reason redis_unavailable
        except DontCloseSpider:
            raise
        except Exception as exc:
            logger.warning("cannot reach Redis to decide whether the crawl is over (%s); waiting", exc)
            seeded, queued, inflight = True, 1, 0
        if seeded and not queued and not inflight:
            logger.info("queue empty and nothing in flight on any worker: the crawl is finished")
            return
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule(self.idle_poll)
        raise DontCloseSpider

    def spider_closed(self, spider, reason) -> None:
        if self._task and self._task.running:
            self._task.stop()
        if self.server.gave_up or reason == "redis_data_lost":
            return  # nothing to tell Redis; in-flight requests stay for the restart
        try:
            self.server.hset(self.keys.workers, self.worker, json.dumps(self.report(finished=reason)))
            if not self.server.hlen(self.keys.inflight(self.worker)):
                self.server.delete(self.keys.alive(self.worker))
        except Exception as exc:
            logger.warning("cannot write the final report to Redis: %s", exc)
