"""Per-domain politeness across all workers: one clock per domain, kept in Redis.

Scrapy's ``DOWNLOAD_DELAY`` and AutoThrottle space requests *per process*; ten workers would hit
a site ten times as often. Here every request to a domain first reserves a send time from Redis:
a Lua script reads the Redis server's clock (so machines' clocks need not agree), takes
``max(now, next_allowed)``, moves ``next_allowed`` on by the domain's interval and returns how
long to wait. The reservation is atomic, so across any number of workers two requests to one
domain are reserved at least ``interval`` apart. The middleware sits last before the download
handler (order 950); responses served from the archive never reach it and cost no token.

Local delays (``DOWNLOAD_DELAY``, AutoThrottle, block back-off) still apply on top: they can only
make a worker slower than its reservation, never faster.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, task

from lendcorpus.crawler.distributed.keys import RedisUnavailable, client_for, keys_for

#: KEYS: the domain's next-allowed key. ARGV: interval (µs), key TTL (ms). Returns wait in µs.
RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = now
if nxt > now then at = nxt end
redis.call('SET', KEYS[1], string.format('%.0f', at + tonumber(ARGV[1])), 'PX', ARGV[2])
return at - now
"""


class GlobalRateLimitMiddleware:
    """Downloader middleware: wait for this domain's shared send slot before downloading."""

    def __init__(self, crawler, default: float, per_domain: dict[str, float]):
        self.crawler = crawler
        self.server = client_for(crawler)
        self.keys = keys_for(crawler.settings, crawler.spidercls.name)
        self.default = default
        self.per_domain = per_domain
        self._reserve = self.server.register_script(RESERVE_LUA)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        default = s.getfloat("LENDCORPUS_REDIS_DOMAIN_DELAY", 0.5)
        per_domain = {k.lower(): float(v) for k, v in s.getdict("LENDCORPUS_REDIS_DOMAIN_DELAYS").items()}
        if default <= 0 and not any(v > 0 for v in per_domain.values()):
            raise NotConfigured("no global per-domain delay")
        return cls(crawler, default, per_domain)

    def interval(self, domain: str) -> float:
        return self.per_domain.get(domain, self.default)

    def reserve(self, domain: str) -> float:
        """Seconds to wait before this request may be sent (0 if the domain is free now)."""
        interval = self.interval(domain)
        if interval <= 0:
            return 0.0
        ttl_ms = int(max(interval * 1000 * 10, 60_000))
        wait_us = self._reserve(keys=[self.keys.rate(domain)], args=[int(interval * 1_000_000), ttl_ms])
        return int(wait_us) / 1_000_000

    async def process_request(self, request, spider=None):
        domain = (urlsplit(request.url).hostname or "").lower()
        try:
            wait = self.reserve(domain)
        except RedisUnavailable as exc:
            # not sent, not archived; it stays in this worker's in-flight hash and is done after a restart
            raise IgnoreRequest(f"not sent: {exc}") from None
        stats = self.crawler.stats
        stats.inc_value("lendcorpus/ratelimit/requests")
        if wait > 0:
            stats.inc_value("lendcorpus/ratelimit/wait_s", wait, start=0.0)
            await maybe_deferred_to_future(task.deferLater(reactor, wait, lambda: None))
        return None


class OutageRetryMiddleware:
    """Downloader middleware: a download that failed around a Redis outage is tried again once.

    Redis calls block the worker's reactor while they retry through an outage, so downloads in
    flight can time out although the site answered; without this they would be archived as
    ``timeout`` rejects and acknowledged, never fetched in this crawl. The failure is not archived;
    the request goes back through the scheduler (``dont_filter``) and is fetched again.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = client_for(crawler)
        self.window = crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180.0) + 5.0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, IgnoreRequest) or request.meta.get("lc_outage_retry"):
            return None
        if self.server.gave_up or not self.server.outage_within(self.window):
            return None
        self.crawler.stats.inc_value("lendcorpus/redis/outage_retries")
        retry = request.replace(dont_filter=True)
        retry.meta["lc_outage_retry"] = True
        return retry
