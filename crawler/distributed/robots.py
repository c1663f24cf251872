"""robots.txt fetched once per crawl, not once per worker.

Scrapy's RobotsTxtMiddleware fetches robots.txt in every process, and the archive keeps each
fetch, so N workers would leave N copies in the corpus. The first worker to ask takes a short
lock, fetches and archives it, and stores the answer in Redis; the others wait for that answer
and are served it (flagged ``archived``: the archive middleware does not write it again).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, task

from lendcorpus.crawler.distributed.keys import RedisUnavailable, client_for, keys_for


def _is_robots(request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and urlsplit(request.url).path == "/robots.txt"


class SharedRobotsMiddleware:
    """Downloader middleware (order 35, just outside the archive)."""

    lock_seconds = 60
    poll = 0.2

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = client_for(crawler)
        self.keys = keys_for(crawler.settings, crawler.spidercls.name)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("LENDCORPUS_REDIS_SHARE_ROBOTS", True):
            raise NotConfigured
        return cls(crawler)

    def _cached(self, request):
        key = self.keys.robots(urlsplit(request.url).netloc.lower())
        data = self.server.hgetall(key)
        if b"status" not in data:
            return None
        headers = Headers(json.loads(data[b"headers"]))
        body = data.get(b"body", b"")
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        self.crawler.stats.inc_value("lendcorpus/redis/robots_shared")
        return cls(url=request.url, status=int(data[b"status"]), headers=headers, body=body, request=request,
                   flags=["archived", "shared-robots"])

    async def process_request(self, request, spider=None):
        if not _is_robots(request):
            return None
        try:
            return await self._shared_or_ours(request)
        except RedisUnavailable as exc:  # the worker is closing; nothing is fetched without the shared copy
            raise IgnoreRequest(f"not sent: {exc}") from None

    async def _shared_or_ours(self, request):
        key = self.keys.robots(urlsplit(request.url).netloc.lower())
        waited = 0.0
        while True:
            hit = self._cached(request)
            if hit is not None:
                return hit
            if self.server.set(key + ":lock", "1", nx=True, ex=self.lock_seconds):
                request.meta["lc_robots_owner"] = True
                return None  # we fetch it; process_response shares it
            if waited >= self.lock_seconds:
                return None  # the owner died mid-fetch: fetch it ourselves
            await maybe_deferred_to_future(task.deferLater(reactor, self.poll, lambda: None))
            waited += self.poll

    def process_response(self, request, response, spider=None):
        if request.meta.get("lc_robots_owner") and "archived" not in response.flags:
            key = self.keys.robots(urlsplit(request.url).netloc.lower())
            headers = {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()}
            try:
                self.server.hset(key, mapping={"status": response.status, "headers": json.dumps(headers),
                                               "body": response.body})
            except RedisUnavailable:
                pass  # archived all the same; another worker fetches its own copy
        return response

    def process_exception(self, request, exception, spider=None):
        if request.meta.get("lc_robots_owner"):
            key = self.keys.robots(urlsplit(request.url).netloc.lower())
            try:
                self.server.delete(key + ":lock")  # let another worker try
            except RedisUnavailable:
                pass  # the lock expires by itself
        return None
