"""The scrapy-redis scheduler, adapted: Bloom dedup, in-flight tracking, one round-trip per step.

What changes against ``scrapy_redis.scheduler.Scheduler`` / ``scrapy_redis.queue.PriorityQueue``
(same sorted set, same pickle-of-``Request.to_dict`` serialisation, so ``seed`` and any
scrapy-redis tool read and write the same queue):

- ``pop`` moves the request from the queue into this worker's in-flight hash in one Lua call,
  with a token; the request is *acknowledged* (removed from the hash) only when Scrapy's engine
  is done with it — downloaded, archived, parsed and its links pushed. A killed worker's
  in-flight requests are therefore never lost: the same worker id, restarted, takes them first
  (and its archive serves back what it had already fetched, so nothing is archived twice);
  another worker's reaper returns them to the queue once the dead worker's heartbeat expires.
- ``enqueue_request`` checks the Bloom filter and pushes in the same Lua call.
- ``close`` never flushes: the frontier belongs to the whole crawl, not to one worker.
- Redis outages: every call retries with back-off up to ``LENDCORPUS_REDIS_OUTAGE_MAX`` (keys.py).
  Once the client gives up, nothing is acknowledged any more: every request this worker holds
  stays in its in-flight hash, so a page whose new links could not be pushed is done again (from
  the archive) after a restart, and its links pushed then. ``next_request`` returns nothing and
  the worker closes with reason ``redis_unavailable``.

Scrapy 2.19 notes: scrapy-redis 0.9.1 works as is for the queue and scheduler protocol
(``open``/``close``/``enqueue_request``/``next_request``/``has_pending_requests``). Its spiders
(``RedisSpider``) use the pre-2.13 ``start_requests`` API and are not used: our spiders keep
``async def start()``, and a spider middleware (``worker.StartFromRedis``) drops their start
output on workers. The acknowledgement hooks the engine's private ``_slot.remove_request`` —
the only place Scrapy says "this request is completely handled"; it is wrapped, not replaced.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque

from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from lendcorpus.crawler.distributed.keys import Keys, RedisUnavailable, client_for, keys_for
from lendcorpus.crawler.runs import run_for

logger = logging.getLogger(__name__)

#: KEYS: queue, in-flight hash. ARGV: token. Moves the best request into the hash.
POP_LUA = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('HSET', KEYS[2], ARGV[1], r[2] .. '|' .. r[1])
return r[1]
"""

#: KEYS: queue, meta, bloom blocks...; ARGV: score, data, bit offsets (aligned with the blocks).
PUSH_IF_NEW_LUA = """
local new = 0
for i = 3, #KEYS do
  if redis.call('SETBIT', KEYS[i], ARGV[i], 1) == 0 then new = 1 end
end
if new == 1 then
  redis.call('HINCRBY', KEYS[2], 'bloom_count', 1)
  redis.call('HINCRBY', KEYS[2], 'enqueued', 1)
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
end
return new
"""

#: KEYS: alive key, in-flight hash, queue. ARGV: '1' to requeue even if alive.
#: Returns -1 if the worker is alive, else how many requests went back to the queue.
REQUEUE_LUA = """
if ARGV[1] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local all = redis.call('HGETALL', KEYS[2])
local n = 0
for i = 1, #all, 2 do
  local v = all[i + 1]
  local p = string.find(v, '|', 1, true)
  redis.call('ZADD', KEYS[3], string.sub(v, 1, p - 1), string.sub(v, p + 1))
  n = n + 1
end
redis.call('DEL', KEYS[2])
return n
"""

#: KEYS: in-flight hash, queue. ARGV: tokens. Returns them to the queue (a pop whose reply was lost).
REQUEUE_TOKENS_LUA = """
local n = 0
for i = 1, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v then
    local p = string.find(v, '|', 1, true)
    redis.call('ZADD', KEYS[2], string.sub(v, 1, p - 1), string.sub(v, p + 1))
    redis.call('HDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
"""


class InFlightPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose ``pop`` leaves a copy in the worker's in-flight hash."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        crawler = spider.crawler
        self.keys: Keys = keys_for(crawler.settings, spider.name)
        self.worker = run_for(crawler).worker if not crawler.settings.getbool("LENDCORPUS_REDIS_SEED") else "seed"
        self.inflight_key = self.keys.inflight(self.worker)
        self.instance = uuid.uuid4().hex[:8]
        self.popped = 0
        self._pop = server.register_script(POP_LUA)
        self._push_new = server.register_script(PUSH_IF_NEW_LUA)

    def encode(self, request) -> bytes:
        return self._encode_request(request)

    def decode(self, data: bytes):
        return self._decode_request(data)

    def pop(self, timeout: int = 0):
        self.popped += 1
        token = f"{self.instance}:{self.popped}"
        data = self._pop(keys=[self.key, self.inflight_key], args=[token])
        if not data:
            return None
        request = self._decode_request(data)
        request.meta["lc_inflight"] = token
        return request

    def push_if_new(self, request, bloom_keys: list[str], offsets: list[int]) -> bool:
        """Bloom check-and-set plus push, atomically: True if the request was new and queued."""
        data = self._encode_request(request)
        return bool(self._push_new(keys=[self.key, *bloom_keys], args=[-request.priority, data, *offsets]))

    def inflight(self) -> dict[bytes, bytes]:
        return self.server.hgetall(self.inflight_key)


class DistributedScheduler(Scheduler):
    """scrapy-redis Scheduler with the in-flight queue and the Bloom filter; see module doc."""

    crawler = None

    @classmethod
    def from_crawler(cls, crawler) -> "DistributedScheduler":
        s = crawler.settings
        keys = keys_for(s, crawler.spidercls.name)
        kwargs = {"queue_key": keys.queue,
                  "queue_cls": s.get("SCHEDULER_QUEUE_CLASS") or f"{__name__}.InFlightPriorityQueue",
                  "dupefilter_cls": s.get("DUPEFILTER_CLASS")}
        serializer = s.get("SCHEDULER_SERIALIZER")
        if serializer:
            import importlib

            kwargs["serializer"] = importlib.import_module(serializer) if isinstance(serializer, str) else serializer
        inst = cls(server=client_for(crawler), persist=True, **kwargs)
        inst.stats = crawler.stats
        inst.crawler = crawler
        inst.keys = keys
        inst.seed_only = s.getbool("LENDCORPUS_REDIS_SEED")
        inst.recovered: deque = deque()
        inst.mine: set[str] = set()
        return inst

    def open(self, spider):
        super().open(spider)
        queue: InFlightPriorityQueue = self.queue
        if self.seed_only:
            return None
        # Our own in-flight requests from an earlier life of this worker id come first.
        for token, value in sorted(queue.inflight().items()):
            _score, _, data = value.partition(b"|")
            try:
                request = queue.decode(data)
            except Exception as exc:  # a request of an older code version: put it back for the reaper
                logger.warning("cannot decode in-flight request %s: %s", token, exc)
                continue
            request.meta["lc_inflight"] = token.decode()
            self.recovered.append(request)
        if self.recovered:
            logger.info("worker %s restarted: %d requests it had in flight are taken first", queue.worker,
                        len(self.recovered))
            self.stats.set_value("lendcorpus/redis/recovered_inflight", len(self.recovered))
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and hasattr(slot, "remove_request"):
            original = slot.remove_request

            def remove_request(request, _original=original):
                try:
                    self.ack(request)
                finally:
                    _original(request)

            slot.remove_request = remove_request
        else:  # pragma: no cover - a future Scrapy without the slot: in-flight entries stay until reaped
            logger.warning("Scrapy engine has no _slot.remove_request: in-flight requests are not acknowledged")
        return None

    def close(self, reason):
        return None  # never flush the shared frontier (``lendcorpus seed --fresh`` does that)

    def ack(self, request) -> None:
        token = request.meta.get("lc_inflight")
        if token and token in self.mine:
            if self.server.gave_up:  # its links may not have reached Redis: keep it in flight, redo it later
                return
            self.mine.discard(token)
            try:
                self.server.hdel(self.queue.inflight_key, token)
            except RedisUnavailable:
                pass  # still in flight in Redis: a restart redoes it (served from the archive)

    def requeue_orphans(self) -> int:
        """Return to the queue what this worker's in-flight hash holds but the worker does not.

        A pop whose reply was lost in an outage moved a request into the hash that no one will
        ever process or acknowledge; without this the crawl would never be over."""
        pending = {r.meta.get("lc_inflight") for r in self.recovered}
        orphans = [t.decode() for t in self.server.hkeys(self.queue.inflight_key)
                   if t.decode() not in self.mine and t.decode() not in pending]
        if not orphans:
            return 0
        n = int(self.server.register_script(REQUEUE_TOKENS_LUA)(keys=[self.queue.inflight_key, self.queue.key],
                                                                  args=orphans))
        if n:
            logger.warning("%d request(s) popped during a Redis outage whose reply was lost: back in the queue", n)
            self.stats.inc_value("lendcorpus/redis/orphans_requeued", n)
        return n

    def enqueue_request(self, request) -> bool:
        try:
            return self._enqueue(request)
        except RedisUnavailable:
            # Not silently lost: the page that found this link is not acknowledged (see ack), so it
            # is processed again after a restart and pushes the link then.
            self.stats.inc_value("lendcorpus/redis/unsent")
            return False

    def _enqueue(self, request) -> bool:
        if request.dont_filter:
            self.queue.push(request)
        else:
            df = self.df
            fp = df.fingerprint(request)
            if df.seen_locally(fp):
                df.log(request, self.spider)
                return False
            bloom_keys, offsets = df.bloom.script_args(fp)
            new = self.queue.push_if_new(request, bloom_keys, offsets)
            df.remember(fp)
            if not new:
                df.log(request, self.spider)
                return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        if self.seed_only or self.server.gave_up:
            return None
        try:
            request = self.recovered.popleft() if self.recovered else self.queue.pop()
        except RedisUnavailable:
            return None
        if request is not None:
            self.mine.add(request.meta["lc_inflight"])
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.seed_only or self.server.gave_up:
            return False
        try:
            return bool(self.recovered) or len(self.queue) > 0
        except RedisUnavailable:
            return False


def requeue(server, keys: Keys, worker: str, force: bool = False) -> int:
    """Return a worker's in-flight requests to the queue; -1 (nothing done) if it is still alive."""
    script = server.register_script(REQUEUE_LUA)
    return int(script(keys=[keys.alive(worker), keys.inflight(worker), keys.queue], args=["1" if force else "0"]))
