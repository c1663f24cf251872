"""百度贴吧 (tieba.baidu.com): page through forum lists, then every page of every thread.

Navigation only: what a page holds is read by ``pipelines/extract/sources/tieba.py``, whose
``read_list``/``read_thread`` this spider also uses, so crawl and build read pages the same way.

Incremental: each thread's reply count (from the list) is its high-water mark, and the number of
pages it had is kept beside it. A later crawl fetches only threads whose reply count grew,
starting at the page that was last then (it may have gained floors). Lists are ordered by last
reply, so paging a forum stops at the first page holding a known, unchanged (non-pinned) thread.
Marks move only once every page of a thread arrived, and are saved only when the crawl finishes.

A list URL may answer in the mobile layout; it is read the same way (``pages/forum_list_mobile``).
Ad blocks are counted under ``lendcorpus/ads/...``, never as posts or rejects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response, TextResponse

from lendcorpus.crawler.spiders.base import LendSpider
from lendcorpus.pipelines.extract.sources.tieba import CHINA, block_reason, read_list, read_thread

BASE = "https://tieba.baidu.com"


class TiebaSpider(LendSpider):
    name = "tieba"
    source = "tieba"
    allowed_domains = ["tieba.baidu.com"]
    default_forums = ("网贷", "催收", "逾期")

    def __init__(self, *args: Any, forums: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        names = [f.strip() for f in (forums or ",".join(self.default_forums)).replace("，", ",").split(",")]
        # "网贷吧" and "网贷" name the same forum; the site's kw is without 吧
        self.forums = list(dict.fromkeys(n[:-1] if n.endswith("吧") and len(n) > 1 else n for n in names if n))
        self._queued: set[str] = set()
        self._pending: dict[str, set[int]] = {}

    # -- requests --------------------------------------------------------------------------
    def list_request(self, forum: str, pn: int) -> scrapy.Request:
        return scrapy.Request(f"{BASE}/f?kw={quote(forum)}&ie=utf-8&pn={pn}", callback=self.parse_list,
                              meta={"lc_kind": "forum_list"}, cb_kwargs={"forum": forum, "pn": pn})

    def thread_request(self, tid: str, pn: int, replies: int | None, first: bool) -> scrapy.Request:
        self._pending.setdefault(tid, set()).add(pn)
        return scrapy.Request(f"{BASE}/p/{tid}?pn={pn}", callback=self.parse_thread, meta={"lc_kind": "thread"},
                              cb_kwargs={"tid": tid, "replies": replies, "first": first})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for forum in self.forums:
            yield self.list_request(forum, 0)

    def block_reason(self, response: Response) -> str | None:
        """Tieba's block page is a short page without the list (or post) markup, HTTP 200."""
        if response.status == 200:
            reason = block_reason(response.url, response.body)
            if reason:
                return reason
        return super().block_reason(response)

    # -- callbacks -------------------------------------------------------------------------
    def parse_list(self, response: Response, forum: str, pn: int) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse) or block_reason(response.url, response.body):
            self.count("rejects/block_page")
            return
        page = read_list(response.text, response.url, datetime.now(CHINA))
        for reject in page.rejects:
            self.count(f"rejects/{reject.reason}")
        self.count(f"pages/forum_list_{page.layout}")
        self.yielded("forum_list", len(page.threads), response)
        if page.ads:
            self.count("ads/forum_list", page.ads)
        if not page.threads:
            self.count("rejects/empty_forum" if pn == 0 else "rejects/list_end")
            return
        unchanged = False
        listed = older = 0
        for t in page.threads:
            if not t.is_top:
                listed += 1
            if self.since is not None and t.last_reply_latest is not None and t.last_reply_latest < self.since:
                older += not t.is_top
                self.count("threads/older_than_since")
                continue
            if t.tid in self._queued:
                self.count("threads/duplicate_in_list")  # bumped while we paged: listed twice
                continue
            key = f"thread:{t.tid}"
            if not self.is_new(key, t.reply_count):
                self.count("threads/unchanged")
                unchanged = unchanged or not t.is_top
                continue
            self._queued.add(t.tid)
            self.count("threads/queued")
            known_pages = self.high_water(f"pages:{t.tid}") if self.high_water(key) is not None else None
            yield self.thread_request(t.tid, int(known_pages or 1), t.reply_count, first=True)
        if unchanged:
            self.count("rejects/no_new_replies")  # the list is by last reply: the rest is older
        elif listed and older == listed:
            self.count("rejects/older_than_since")
        elif page.next_pn is None or page.next_pn <= pn:
            self.count("rejects/list_end")
        else:
            yield self.list_request(forum, page.next_pn)

    def parse_thread(self, response: Response, tid: str, replies: int | None, first: bool) -> Iterator[scrapy.Request]:
        pn = int(response.url.rsplit("pn=", 1)[-1]) if "pn=" in response.url else 1
        pending = self._pending.setdefault(tid, set())
        pending.discard(pn)
        if not isinstance(response, TextResponse) or block_reason(response.url, response.body):
            self.count("rejects/block_page")
            return
        page = read_thread(response.text, response.url)
        if page.ads:
            self.count("ads/thread", len(page.ads))  # ads, neither posts nor damage
        for reject in page.rejects:
            self.count(f"rejects/{reject.reason}")
        if not page.deleted:
            self.yielded("thread", len(page.floors), response)
        if page.deleted:
            self.count("rejects/thread_deleted")
            self._done(tid, replies, 1)
            return
        if not page.floors:
            self.count("rejects/no_floors")
            return
        self.count("pages/document", len(page.floors))
        pages = page.pages or pn
        if first:
            for k in range(pn + 1, pages + 1):
                yield self.thread_request(tid, k, replies, first=False)
        if not pending:
            self._done(tid, replies if replies is not None else page.reply_count, pages)

    def _done(self, tid: str, replies: int | None, pages: int) -> None:
        """Every requested page of the thread arrived: move its marks."""
        if replies is not None:
            self.see(f"thread:{tid}", replies)
            self.see(f"pages:{tid}", pages)
