"""Spider base classes. Spiders navigate; they do not parse documents.

Every response a spider gets has already been archived (``ArchiveMiddleware``); what becomes a
document is decided later by ``lendcorpus build`` with the same pure parsing code, so a spider's
job is only to find the next requests. ``RuleSpider`` does that from a site-rules file, so a
content-farm or news site needs no Python at all (docs/adding-a-site.md).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse

from lendcorpus.siterules import SiteRules
from lendcorpus.crawler.state import load_state, save_state

_LOC_RE = re.compile(rb"<loc>\s*([^<\s]+)\s*</loc>")


class FileStateStore:
    """Where spiders keep high-water marks by default: ``crawler/state.py``'s JSON file.

    ``LENDCORPUS_STATE_STORE`` names another class with the same ``from_crawler``/``load``/``save``
    (distributed crawls use ``lendcorpus.crawler.distributed.state.RedisStateStore``).
    """

    def __init__(self, directory: str | None = None):
        self.directory = directory

    @classmethod
    def from_crawler(cls, crawler) -> "FileStateStore":
        return cls(crawler.settings.get("LENDCORPUS_STATE_DIR") or None)

    def load(self, spider: str) -> dict:
        return load_state(spider, self.directory)

    def save(self, spider: str, state: dict) -> None:
        save_state(spider, state, self.directory)


def state_store(crawler) -> Any:
    """The state store named by ``LENDCORPUS_STATE_STORE`` (default: the JSON file)."""
    from scrapy.utils.misc import load_object

    name = crawler.settings.get("LENDCORPUS_STATE_STORE") or ""
    cls = load_object(name) if name else FileStateStore
    return cls.from_crawler(crawler)


class LendSpider(scrapy.Spider):
    """What every lendcorpus spider shares.

    - page kinds in ``meta['lc_kind']`` (archived with the response; the build uses them);
    - ``since`` (``-a since=2024-01-01`` / ``lendcorpus crawl --since``): skip older items;
    - high-water marks: ``is_new(key, value)`` says whether an item is newer than the mark kept
      from the last *finished* crawl, ``see(key, value)`` records what this crawl saw; marks are
      saved only when the crawl finishes normally (``crawler/state.py``);
    - ``block_reason(response)``: how this source says "you are blocked" (``http_403``,
      ``http_429``, ``captcha`` by default; the spider closes with ``blocked_<reason>``);
      blocked responses are archived, marked, retried with back-off and never served back on
      resume;
    - ``count(key)``: crawler stats under ``lendcorpus/``;
    - ``yielded(kind, n, response)``: what a page gave, checked by the drift alarms.
    """

    #: Source name used in document ids (``<source>:<native id>``); defaults to the spider name.
    source: str = ""
    block_statuses: tuple[int, ...] = (403, 429)
    block_markers: tuple[bytes, ...] = (b"captcha", "验证码".encode(), "安全验证".encode())

    def __init__(self, *args: Any, since: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.since: datetime | None = None
        if since:
            from lendcorpus.pipelines.extract.values import parse_time

            self.since = parse_time(since)
            if self.since is None:
                raise ValueError(f"--since: cannot read {since!r} as a date (use YYYY-MM-DD)")
        self.state: dict = {}
        self.marks: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.state_store = state_store(crawler)
        spider.state = spider.state_store.load(spider.name)
        crawler.signals.connect(spider._save_marks, signal=signals.spider_closed)
        return spider

    def count(self, key: str, n: int = 1) -> None:
        if self.crawler is not None:
            self.crawler.stats.inc_value(f"lendcorpus/{key}", n)

    def yielded(self, kind: str, items: int, response: Response | None = None) -> None:
        """What one page of ``kind`` gave, for the drift alarms (``crawler/drift.py``)."""
        if self.crawler is not None:
            from lendcorpus.crawler.drift import record_yield

            record_yield(self, kind, items, response)

    # -- incremental crawling ----------------------------------------------------------------
    def high_water(self, key: str) -> Any:
        return self.state.get("marks", {}).get(key)

    def is_new(self, key: str, value: Any, when: datetime | None = None) -> bool:
        """False for items at or below the last finished crawl's mark, or older than --since."""
        if self.since is not None and when is not None and when < self.since:
            return False
        mark = self.high_water(key)
        return mark is None or value is None or value > mark

    def see(self, key: str, value: Any) -> None:
        if value is not None and (key not in self.marks or value > self.marks[key]):
            self.marks[key] = value

    def _save_marks(self, spider, reason: str) -> None:
        if spider is not self or reason != "finished" or not self.marks:
            return
        marks = dict(self.state.get("marks", {}))
        for key, value in self.marks.items():
            if key not in marks or value > marks[key]:
                marks[key] = value
        self.state["marks"] = marks
        self.state_store.save(self.name, self.state)

    # -- blocks ----------------------------------------------------------------------------
    def block_reason(self, response: Response) -> str | None:
        if response.status in self.block_statuses:
            return f"http_{response.status}"
        if response.status == 200 and len(response.body) < 20000:
            head = response.body[:20000].lower()
            if any(marker in head for marker in self.block_markers):
                return "captcha"
        return None


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
