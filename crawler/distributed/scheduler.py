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

from lendcorpus.crawler.distributed.keys import Keys, client_for, keys_for
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
            self.mine.discard(token)
            self.server.hdel(self.queue.inflight_key, token)

    def enqueue_request(self, request) -> bool:
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
        if self.seed_only:
            return None
        request = self.recovered.popleft() if self.recovered else self.queue.pop()
        if request is not None:
            self.mine.add(request.meta["lc_inflight"])
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.seed_only:
            return False
        return bool(self.recovered) or len(self.queue) > 0


def requeue(server, keys: Keys, worker: str, force: bool = False) -> int:
    """Return a worker's in-flight requests to the queue; -1 (nothing done) if it is still alive."""
    script = server.register_script(REQUEUE_LUA)
    return int(script(keys=[keys.alive(worker), keys.inflight(worker), keys.queue], args=["1" if force else "0"]))
