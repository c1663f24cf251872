"""Request fingerprints that survive volatile query parameters.

Signed APIs put a timestamp, a random string and a signature in every URL, so two requests for
the same page never share a URL. Resume (serving archived responses instead of refetching) and
the duplicate filter both key on the fingerprint, so those parameters are left out of it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter


def strip_params(url: str, volatile: frozenset[str]) -> str:
    parts = urlsplit(url)
    if not parts.query or not volatile:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in volatile]
    return urlunsplit(parts._replace(query=urlencode(kept)))


class StableFingerprinter:
    """Scrapy's fingerprint of the request with LENDCORPUS_VOLATILE_PARAMS removed from its URL."""

    def __init__(self, crawler=None):
        self._inner = RequestFingerprinter(crawler)
        params = crawler.settings.getlist("LENDCORPUS_VOLATILE_PARAMS") if crawler else []
        self.volatile = frozenset(params)
        self._cache: WeakKeyDictionary[Request, bytes] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        cached = self._cache.get(request)
        if cached is None:
            stable_url = strip_params(request.url, self.volatile)
            probe = request if stable_url == request.url else request.replace(url=stable_url)
            cached = self._inner.fingerprint(probe)
            self._cache[request] = cached
        return cached
