"""Redis key names and the shared client, in one place so status and workers agree."""

from __future__ import annotations

from dataclasses import dataclass

import redis


class CountingRedis(redis.Redis):
    """A redis client that counts round-trips (one per command or pipeline execute), for stats."""

    roundtrips = 0

    def execute_command(self, *args, **options):
        CountingRedis.roundtrips += 1
        return super().execute_command(*args, **options)


def connect(url: str) -> CountingRedis:
    """Client for ``url``; fails fast with a clear message if Redis does not answer."""
    client = CountingRedis.from_url(url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True)
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


def keys_for(settings, spider: str) -> Keys:
    return Keys(settings.get("LENDCORPUS_REDIS_PREFIX") or "lendcorpus", spider)


def client_for(crawler) -> CountingRedis:
    """One Redis client per crawler, shared by scheduler, middlewares and extensions."""
    client = getattr(crawler, "_lendcorpus_redis", None)
    if client is None:
        url = redis_url_from(crawler.settings)
        client = connect(url)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise RuntimeError(f"Redis at {url} does not answer: {exc}") from exc
        crawler._lendcorpus_redis = client
    return client
