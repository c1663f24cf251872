"""Send every request to the replay server while everything above the downloader sees real URLs.

With ``LENDCORPUS_REPLAY=127.0.0.1:PORT`` the handler rewrites ``https://real.host/path`` to
``http://127.0.0.1:PORT/path`` with ``Host: real.host`` and hands the answer back under the real
URL. Robots.txt, the duplicate filter, download slots (per real domain), the archive and the
spiders never see the loopback address. Without the setting it is Scrapy's own HTTP/1.1 handler.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response


class ReplayAwareDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.replay = crawler.settings.get("LENDCORPUS_REPLAY") or ""

    async def download_request(self, request: Request) -> Response:
        if not self.replay:
            return await super().download_request(request)
        parts = urlsplit(request.url)
        local = urlunsplit(("http", self.replay, parts.path or "/", parts.query, ""))
        headers = request.headers.copy()
        headers[b"Host"] = parts.netloc.encode("idna") if not parts.netloc.isascii() else parts.netloc.encode()
        routed = request.replace(url=local, headers=headers)
        response = await super().download_request(routed)
        return response.replace(url=request.url, request=request)
