"""Redis key names and the shared client, in one place so status and workers agree.

The client rides out Redis outages (docs/distributed.md, "Redis outages"): a command that cannot
reach Redis is retried with exponential back-off (0.1 s doubling to 5 s) until Redis answers or
the outage has lasted ``LENDCORPUS_REDIS_OUTAGE_MAX`` seconds (default 60); then it gives up for
good, raises ``RedisUnavailable`` and tells its listeners (the worker closes its spider with
reason ``redis_unavailable``, exit 7). Every command we send is safe to send twice (Lua scripts
check-and-set, HDEL/SET are idempotent; a pop whose reply was lost is requeued by its worker).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

#: seconds a worker keeps retrying an unreachable Redis before it gives up (setting of the same name)
DEFAULT_OUTAGE_MAX = 60.0
BACKOFF_FIRST = 0.1
BACKOFF_CAP = 5.0


class RedisUnavailable(redis.ConnectionError):
    """Redis did not answer for longer than the outage bound; this client has given up."""


@dataclass
class _Outage:
    limit: float = DEFAULT_OUTAGE_MAX
    since: float | None = None
    last_end: float | None = None  # when Redis last answered again after an outage (monotonic)
    gave_up: str = ""
    listeners: list = field(default_factory=list)


class CountingRedis(redis.Redis):
    """A redis client that counts round-trips (one per command or pipeline execute), for stats,
    and retries through outages up to a bound (module doc)."""

    roundtrips = 0

    @property
    def outage(self) -> _Outage:
        o = self.__dict__.get("_lc_outage")
        if o is None:
            o = self.__dict__["_lc_outage"] = _Outage()
        return o

    @property
    def gave_up(self) -> bool:
        return bool(self.outage.gave_up)

    def outage_within(self, seconds: float) -> bool:
        """True during an outage or less than ``seconds`` after the last one ended."""
        o = self.outage
        return o.since is not None or (o.last_end is not None and time.monotonic() - o.last_end < seconds)

    def on_give_up(self, callback) -> None:
        """Call ``callback(message)`` once, when this client gives up on Redis."""
        self.outage.listeners.append(callback)

    def guarded(self, call):
        """``call()`` with retries and back-off through an outage, up to the bound."""
        o = self.outage
        if o.gave_up:
            raise RedisUnavailable(o.gave_up)
        delay = BACKOFF_FIRST
        while True:
            try:
                result = call()
            except (redis.ConnectionError, redis.TimeoutError) as exc:  # BusyLoadingError too: Redis replaying its AOF
                if isinstance(exc, RedisUnavailable):
                    raise
                now = time.monotonic()
                if o.since is None:
                    o.since = now
                    logger.warning("Redis does not answer (%s): retrying with back-off for up to %.0fs",
                                   exc, o.limit)
                waited = now - o.since
                if waited >= o.limit:
                    o.gave_up = (f"Redis did not answer for {waited:.0f}s (LENDCORPUS_REDIS_OUTAGE_MAX={o.limit:g}): "
                                 f"giving up ({exc})")
                    logger.error("%s", o.gave_up)
                    for callback in list(o.listeners):
                        try:
                            callback(o.gave_up)
                        except Exception:  # noqa: BLE001 - a listener must not hide the outage
                            logger.exception("Redis give-up listener failed")
                    raise RedisUnavailable(o.gave_up) from exc
                time.sleep(min(delay, o.limit - waited))
                delay = min(delay * 2, BACKOFF_CAP)
                continue
            if o.since is not None:
                o.last_end = time.monotonic()
                logger.warning("Redis answers again after %.1fs", o.last_end - o.since)
                o.since = None
            return result

    def execute_command(self, *args, **options):
        CountingRedis.roundtrips += 1
        return self.guarded(lambda: super(CountingRedis, self).execute_command(*args, **options))

    def pipeline(self, transaction: bool = True, shard_hint=None):
        pipe = super().pipeline(transaction=transaction, shard_hint=shard_hint)
        original = pipe.execute

        def execute(raise_on_error: bool = True):
            stack = list(pipe.command_stack)  # redis-py empties it on failure: put it back for the retry

            def once():
                pipe.command_stack = list(stack)
                return original(raise_on_error)

            return self.guarded(once)

        pipe.execute = execute
        return pipe


def connect(url: str, outage_max: float = DEFAULT_OUTAGE_MAX) -> CountingRedis:
    """Client for ``url`` that retries through outages of up to ``outage_max`` seconds.

    redis-py's own retries are off (``Retry(NoBackoff(), 0)``) so the bound is ours alone; short
    socket timeouts make a hung Redis count as an outage instead of freezing the worker.
    """
    client = CountingRedis.from_url(url, socket_timeout=10, socket_connect_timeout=2,
                                    retry=Retry(NoBackoff(), 0), health_check_interval=0)
    client.outage.limit = float(outage_max)
    return client


@dataclass(frozen=True)
class Keys:
    """All keys of one spider's distributed crawl live under ``<prefix>:<spider>:``."""

    prefix: str
    spider: str

    def k(self, name: str) -> str:
        return f"{self.prefix}:{self.spider}:{name}"

    @property
    def queue(self) -> str:  # scrapy-redis PriorityQueue (sorted set of serialised requests)
        return self.k("requests")

    @property
    def bloom(self) -> str:  # bitmap blocks: bloom:0, bloom:1, ... (2**32 bits each)
        return self.k("bloom")

    @property
    def meta(self) -> str:  # hash: crawl id, seeded time, bloom sizing, counters
        return self.k("meta")

    @property
    def workers(self) -> str:  # hash: worker id -> JSON report
        return self.k("workers")

    def inflight(self, worker: str) -> str:  # hash: token -> "<score>|<serialised request>"
        return self.k(f"inflight:{worker}")

    def alive(self, worker: str) -> str:  # string with a TTL, refreshed by the worker's heartbeat
        return self.k(f"alive:{worker}")

    @property
    def state(self) -> str:  # high-water marks (JSON); survives --fresh, like the state file
        return self.k("state")

    def robots(self, netloc: str) -> str:
        return self.k(f"robots:{netloc}")

    def rate(self, domain: str) -> str:  # next allowed send time (µs, Redis clock)
        return f"{self.prefix}:rate:{domain}"  # per domain across spiders: politeness is per site

    def crawl_keys_pattern(self) -> str:
        return self.k("*")


def redis_url_from(settings) -> str:
    url = settings.get("LENDCORPUS_REDIS_URL") or settings.get("REDIS_URL") or ""
    if not url:
        raise RuntimeError("distributed mode needs LENDCORPUS_REDIS_URL (lendcorpus crawl --redis URL)")
    return url


def outage_from(settings) -> float:
    return settings.getfloat("LENDCORPUS_REDIS_OUTAGE_MAX", DEFAULT_OUTAGE_MAX)


def keys_for(settings, spider: str) -> Keys:
    return Keys(settings.get("LENDCORPUS_REDIS_PREFIX") or "lendcorpus", spider)


def client_for(crawler) -> CountingRedis:
    """One Redis client per crawler, shared by scheduler, middlewares and extensions."""
    client = getattr(crawler, "_lendcorpus_redis", None)
    if client is None:
        url = redis_url_from(crawler.settings)
        client = connect(url, outage_from(crawler.settings))
        try:
            client.outage.limit, limit = min(client.outage.limit, 5.0), client.outage.limit
            client.ping()  # at start, a Redis that is not there is a mistake, not an outage: fail fast
        except redis.RedisError as exc:
            raise RuntimeError(f"Redis at {url} does not answer: {exc}") from exc
        finally:
            client.outage.limit = limit
        crawler._lendcorpus_redis = client
    return client
