"""Spider base classes. Spiders navigate; they do not parse documents.

Every response a spider gets has already been archived (``ArchiveMiddleware``); what becomes a
document is decided later by ``lendcorpus build`` with the same pure parsing code, so a spider's
job is only to find the next requests. ``RuleSpider`` does that from a site-rules file, so a
content-farm or news site needs no Python at all (docs/adding-a-site.md).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import scrapy
from scrapy.http import Response, TextResponse

from lendcorpus.crawler.siterules import SiteRules

_LOC_RE = re.compile(rb"<loc>\s*([^<\s]+)\s*</loc>")


class LendSpider(scrapy.Spider):
    """What every lendcorpus spider shares: page kinds in ``meta['lc_kind']`` and counters."""

    #: Source name used in document ids (``<source>:<native id>``); defaults to the spider name.
    source: str = ""

    def count(self, key: str, n: int = 1) -> None:
        if self.crawler is not None:
            self.crawler.stats.inc_value(f"lendcorpus/{key}", n)


class RuleSpider(LendSpider):
    """Crawl a site described by a rules file: start pages and/or sitemaps, follow list pages,
    visit article pages. Subclasses only set ``rules`` (``spiders/sites.py`` makes one per file).
    """

    rules: SiteRules

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.rules.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, meta={"lc_kind": "sitemap"})
        for url in self.rules.start_urls:
            yield scrapy.Request(url, callback=self.parse, meta={"lc_kind": "list"})

    def _request(self, url: str) -> scrapy.Request | None:
        kind = self.rules.page_kind(url)
        if kind is None or not self.rules.owns(url):
            return None
        return scrapy.Request(url, callback=self.parse, meta={"lc_kind": kind})

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if response.meta.get("lc_kind") == "article":
            self.count("pages/document")
            return  # articles are leaves; their links are found through list pages and sitemaps
        if not isinstance(response, TextResponse):
            return
        for href in response.css("a::attr(href)").getall():
            req = self._request(response.urljoin(href.strip()))
            if req is not None:
                yield req

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        for loc in _LOC_RE.findall(response.body):
            url = loc.decode("utf-8", "replace").replace("&amp;", "&")
            if url.endswith(".xml"):
                yield scrapy.Request(url, callback=self.parse_sitemap, meta={"lc_kind": "sitemap"})
                continue
            req = self._request(url)
            if req is not None:
                yield req
