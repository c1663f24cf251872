"""聚投诉 (ts.21cn.com): keyword search and merchant lists → detail page → post-content API.

Navigation only: what becomes a row or a document is decided by the build
(``pipelines/extract/sources/jutousu.py``), which reads the same archived answers. The spider
stops a list on a pagination end, an error answer or a login wall and counts why under
``lendcorpus/rejects/<reason>``; it never logs anything from a complaint.

Arguments: ``-a keywords=催收,暴力催收`` (search; default ``催收``), ``-a merchants=2352,...``
(merchant lists), ``-a since=YYYY-MM-DD``. Incremental: one high-water mark (newest complaint id)
per list; a later crawl stops paging a list at the first complaint it already knew.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import scrapy
from scrapy.http import Response

from lendcorpus.crawler.spiders.base import LendSpider
from lendcorpus.pipelines.extract.sources.jutousu import (
    BASE, POST_PATH, SEARCH_PATH, BadAnswer, detail_url, is_login_wall, post_key, read_json,
)
from lendcorpus.pipelines.extract.values import parse_time

_SPLIT_RE = re.compile(r"[,，\s]+")


def _split(value: str | None) -> list[str]:
    return [v for v in _SPLIT_RE.split(value or "") if v]


class JutousuSpider(LendSpider):
    name = "jutousu"
    source = "jutousu"
    allowed_domains = ["ts.21cn.com"]
    #: Safety stop for one list, whatever the site answers.
    max_pages = 500

    def __init__(self, *args: Any, keywords: str = "催收", merchants: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.keywords = _split(keywords)
        self.merchants = _split(merchants)
        bad = [m for m in self.merchants if not m.isdigit()]
        if bad:
            raise ValueError(f"merchants: ids are numbers, got {bad!r}")
        #: ids listed by each list in this crawl (a page boundary may repeat an item)
        self._listed: dict[str, set[int]] = {}

    # -- requests ------------------------------------------------------------------------------
    @staticmethod
    def search_url(keyword: str, page: int) -> str:
        return f"{BASE}{SEARCH_PATH}?" + urlencode({"pageNo": page, "title": keyword, "listType": 1})

    @staticmethod
    def merchant_url(mid: str, page: int, offset: str) -> str:
        return f"{BASE}/json/merchantPostList/merchantId/{mid}/listType/1/pageNo/{page}/offset/{quote(offset, safe='')}"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for kw in self.keywords:
            yield self._search(kw, 1)
        for mid in self.merchants:
            yield self._merchant(mid, 1, "")

    def _search(self, keyword: str, page: int) -> scrapy.Request:
        return scrapy.Request(self.search_url(keyword, page), callback=self.parse_search,
                              meta={"lc_kind": "api", "jts_list": f"search:{keyword}", "jts_page": page},
                              cb_kwargs={"keyword": keyword, "page": page})

    def _merchant(self, mid: str, page: int, offset: str) -> scrapy.Request:
        return scrapy.Request(self.merchant_url(mid, page, offset), callback=self.parse_merchant,
                              meta={"lc_kind": "api", "jts_list": f"merchant:{mid}", "jts_page": page},
                              cb_kwargs={"mid": mid, "page": page, "offset": offset})

    # -- blocks --------------------------------------------------------------------------------
    def block_reason(self, response: Response) -> str | None:
        """403/429 and captcha pages block; a login wall is an answer (recorded, not retried),
        and a JSON answer is never a captcha page even when a complaint mentions one."""
        if response.status in self.block_statuses:
            return f"http_{response.status}"
        body = response.body
        if is_login_wall(body) or body.lstrip()[:1] in (b"{", b"["):
            return None
        return super().block_reason(response)

    # -- lists ---------------------------------------------------------------------------------
    def _walk(self, response: Response, key: str, page: int) -> tuple[dict | None, Iterator[scrapy.Request], bool]:
        """Read one list page: (data, detail requests, go on?)."""
        try:
            data = read_json(response.body, "postList")
        except BadAnswer as bad:
            self.count(f"rejects/{bad.reason}")
            self.logger.info("%s page %d: stopped (%s)", key, page, bad.reason)
            return None, iter(()), False
        items = data["postList"] if isinstance(data["postList"], list) else []
        self.yielded("list", len(items), response)
        if not items:
            self.count("lists/end")
            return data, iter(()), False
        listed = self._listed.setdefault(key, set())
        requests = []
        known = 0
        for item in items:
            native = str(item.get("id", "")).strip() if isinstance(item, dict) else ""
            if not native.isdigit():
                self.count("rejects/missing_field")
                continue
            cid = int(native)
            if cid in listed:
                self.count("items/repeated")  # the same complaint on two pages of one list
                continue
            listed.add(cid)
            if not self.is_new(key, cid, parse_time(item.get("ctime"))):
                known += 1
                continue
            self.see(key, cid)
            self.count("items/listed")
            requests.append(scrapy.Request(detail_url(native), callback=self.parse_detail,
                                           meta={"lc_kind": "complaint"}))
        if known:
            self.count("lists/reached_known")  # newest first: the rest was seen before (or is before --since)
        go_on = not known and page < self.max_pages
        return data, iter(requests), go_on

    def parse_search(self, response: Response, keyword: str, page: int) -> Iterator[scrapy.Request]:
        data, requests, go_on = self._walk(response, f"search:{keyword}", page)
        yield from requests
        if go_on:
            yield self._search(keyword, page + 1)

    def parse_merchant(self, response: Response, mid: str, page: int, offset: str) -> Iterator[scrapy.Request]:
        data, requests, go_on = self._walk(response, f"merchant:{mid}", page)
        yield from requests
        if not go_on or data is None:
            return
        cursor = str(data.get("offset") or "")
        if not cursor or cursor == offset:
            self.count("lists/end")
            return
        yield self._merchant(mid, page + 1, cursor)

    # -- one complaint -------------------------------------------------------------------------
    def parse_detail(self, response: Response) -> Iterator[scrapy.Request]:
        if is_login_wall(response.body):
            self.count("rejects/login_wall")
            return
        key = post_key(response.body)
        self.yielded("complaint", int(key is not None), response)  # the detail page's postKey
        if key is None:
            self.count("rejects/no_post_key")
            return
        yield scrapy.Request(f"{BASE}{POST_PATH}?" + urlencode({"postKey": key}), callback=self.parse_post,
                             meta={"lc_kind": "api"})

    def parse_post(self, response: Response) -> None:
        try:
            data = read_json(response.body, "post")
        except BadAnswer as bad:
            self.count(f"rejects/{bad.reason}")
            return
        post = data["post"] if isinstance(data["post"], dict) else {}
        self.yielded("api", int(bool(post.get("topic"))), response)
        if not post.get("topic"):
            self.count("rejects/missing_field")
            return
        self.count("pages/document")
