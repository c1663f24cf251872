"""人民网 领导留言板 (liuyan.people.com.cn): keyword search and letter detail via signed POST APIs.

Navigation only (what a letter says is read later by ``pipelines/extract/sources/liuyan.py``):

* for each keyword, ``POST /v2/threads/search?sortType=0`` page 1, 2, ... (newest first) until
  a short or empty page, a thread already known from the last finished crawl (high-water mark
  per keyword), a thread older than ``--since``, or ``max_pages``;
* for each office (``-a fids=539,585``), ``POST /v1/threads/list/df`` paged by the last tid seen
  (``lastItem``), newest first, with the same stops (high-water mark per office);
* for each new thread, once, ``POST /v1/threads/content?tid=N`` with ``{"tid": "N", "fromTrash": 0}``
  as public clients send it (the query string is ours, the site ignores it; it makes the archived
  response say which letter it is).

Every body is ``{"appCode", "token", "signature", "param"}`` with ``param`` compact JSON and
``signature = md5(path + param + md5(appCode)[:16] + token)``. A ``SN0006`` answer means the
signing no longer matches the site (new appCode or algorithm): the crawl stops at once with
finish reason ``signature_sn0006`` instead of asking again and again. Error envelopes, HTML and
broken JSON stop that keyword's paging (or skip that letter) and are counted under
``lendcorpus/rejects/<reason>``; how each listing ended is counted under
``lendcorpus/search/end/<why>``.

A keyword's mark moves only when its listing ended cleanly, so a listing cut short by an error
is walked again next time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from lendcorpus.crawler.spiders.base import LendSpider
from lendcorpus.pipelines.extract.sources.liuyan import (
    CONTENT_PATH, LIST_PATH, SEARCH_PATH, envelope_problem, list_items, read_json,
)
from lendcorpus.pipelines.extract.values import parse_time

BASE_URL = "https://liuyan.people.com.cn"
DEFAULT_APP_CODE = "PC42ce3bfa4980a9"
DEFAULT_KEYWORDS = "催收,暴力催收,网贷"


def compact(obj: Any) -> str:
    """JSON as the site's front end writes it (``JSON.stringify``): no spaces, Chinese unescaped."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sign(path: str, param: str, app_code: str = DEFAULT_APP_CODE, token: str = "") -> str:
    """The board's request signature: md5 hex of path + param + md5(appCode)[:16] + token."""
    key = hashlib.md5(app_code.encode("utf-8")).hexdigest()[:16]
    return hashlib.md5((path + param + key + token).encode("utf-8")).hexdigest()


def signed_body(path: str, param: dict, app_code: str = DEFAULT_APP_CODE, token: str = "") -> bytes:
    """The POST body for ``path`` with ``param`` (key order kept: the signature depends on it)."""
    text = compact(param)
    return compact({"appCode": app_code, "token": token, "signature": sign(path, text, app_code, token),
                    "param": text}).encode("utf-8")


def search_param(keyword: str, page: int, rows: int) -> dict:
    """The search parameters in the front end's key order."""
    return {"position": 0, "keywords": keyword, "fid": None, "domainId": None, "typeId": None,
            "timeRange": None, "ansChecked": False, "stTime": None, "sortType": "0", "page": page, "rows": rows}


def list_param(fid: str, last_tid: str, rows: int, type_id: int = 5) -> dict:
    """``/v1/threads/list/df`` parameters in the front end's key order (``lastItem`` '' = first page)."""
    return {"fid": str(fid), "showUnAnswer": 1, "typeId": type_id, "lastItem": str(last_tid), "position": "0",
            "rows": rows, "orderType": 2}


def content_param(tid: str) -> dict:
    """What public clients send for a letter: the tid as a string, and ``fromTrash``."""
    return {"tid": str(tid), "fromTrash": 0}


class LiuyanSpider(LendSpider):
    name = "liuyan"
    source = "liuyan"
    allowed_domains = ["liuyan.people.com.cn"]

    def __init__(self, *args: Any, keywords: str | None = None, fids: str | None = None, rows: str | int = 10,
                 max_pages: str | int = 50, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if keywords is None and not fids:
            keywords = DEFAULT_KEYWORDS
        self.keywords = [k.strip() for k in str(keywords or "").replace("，", ",").split(",") if k.strip()]
        self.fids = [f.strip() for f in str(fids or "").replace("，", ",").split(",") if f.strip()]
        if not self.keywords and not self.fids:
            raise ValueError("-a keywords / -a fids: give at least one keyword or office id")
        if any(not f.isdigit() for f in self.fids):
            raise ValueError("-a fids: office ids are numbers, e.g. fids=539,585")
        self.rows = int(rows)
        self.max_pages = int(max_pages)
        self.asked: set[str] = set()  # tids whose letter was requested in this crawl
        self.newest: dict[str, int] = {}  # keyword -> highest tid listed in this crawl

    @property
    def app_code(self) -> str:
        return self.settings.get("LENDCORPUS_LIUYAN_APP_CODE") or DEFAULT_APP_CODE

    # -- requests ----------------------------------------------------------------------------
    def _post(self, path: str, query: str, param: dict, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(
            f"{BASE_URL}{path}?{query}", method="POST", body=signed_body(path, param, self.app_code),
            headers={"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json, text/plain, */*",
                     "Referer": f"{BASE_URL}/messageSearch", "token": ""},
            **kwargs,
        )

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        return self._post(SEARCH_PATH, "sortType=0", search_param(keyword, page, self.rows),
                          callback=self.parse_search, meta={"lc_kind": "api", "lc_keyword": keyword, "lc_page": page})

    def content_request(self, tid: str) -> scrapy.Request:
        return self._post(CONTENT_PATH, f"tid={tid}", content_param(tid), callback=self.parse_content,
                          meta={"lc_kind": "complaint", "lc_tid": tid}, priority=1)

    def list_request(self, fid: str, last_tid: str, page: int) -> scrapy.Request:
        # the query string is ours (the site ignores it): it keeps each page's URL distinct
        return self._post(LIST_PATH, f"fid={fid}&lastItem={last_tid}", list_param(fid, last_tid, self.rows),
                          callback=self.parse_office, meta={"lc_kind": "api", "lc_fid": fid, "lc_page": page})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for keyword in self.keywords:
            yield self.search_request(keyword, 1)
        for fid in self.fids:
            yield self.list_request(fid, "", 1)

    # -- answers -----------------------------------------------------------------------------
    def block_reason(self, response: Response) -> str | None:
        """Status-based only for JSON: letters quote SMS texts with 验证码 and are not captchas."""
        if response.body.lstrip()[:1] in (b"{", b"["):
            return f"http_{response.status}" if response.status in self.block_statuses else None
        return super().block_reason(response)

    def _problem(self, response: Response) -> tuple[dict | None, str | None]:
        payload, problem = read_json(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
        if problem is None:
            problem = envelope_problem(payload)
        if problem is None:
            return payload, None
        if problem.reason == "signature_sn0006":
            self.count("rejects/signature_sn0006")
            self.logger.error("signing failed (SN0006) for %s: the site's appCode or signing changed; "
                              "stopping (set LENDCORPUS_LIUYAN_APP_CODE or update the spider)", response.url)
            raise CloseSpider("signature_sn0006")
        self.count(f"rejects/{problem.reason}")
        self.logger.warning("%s: %s %s", response.url, problem.reason, problem.detail)
        return None, problem.reason

    def _end(self, keyword: str, why: str, clean: bool = True) -> None:
        self.count(f"search/end/{why}")
        if clean and keyword in self.newest:
            self.see(f"tid:{keyword}", self.newest[keyword])

    def parse_search(self, response: Response) -> Iterator[scrapy.Request]:
        keyword, page = response.meta["lc_keyword"], response.meta["lc_page"]
        payload, problem = self._problem(response)
        if problem is not None:
            self._end(keyword, problem, clean=False)
            return
        data = payload.get("data")
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            self.count("rejects/missing_field")
            self._end(keyword, "missing_field", clean=False)
            return
        self.count("search/pages")
        self.yielded("api", len(items), response)
        reached_known, _ = yield from self._letters(items, keyword, "search")
        if reached_known:
            self._end(keyword, "known")
        elif not items:
            self._end(keyword, "empty_page")
        elif len(items) < self.rows:
            self._end(keyword, "last_page")
        elif page >= self.max_pages:
            self._end(keyword, "max_pages")
        else:
            yield self.search_request(keyword, page + 1)

    def _letters(self, items: list, key: str, counter: str):
        """Content requests for the letters of one list page, newest first; returns (reached a
        letter seen before or too old, the page's last tid) for the caller's paging decision."""
        reached_known = False
        last = ""
        for item in items:
            tid = str(item.get("tid", "")).strip() if isinstance(item, dict) else ""
            if not tid.isdigit():
                self.count("rejects/missing_field")
                continue
            last = tid
            when = parse_time(item.get("createDateline"))
            if not self.is_new(f"tid:{key}", int(tid), when):
                reached_known = True  # newest first: everything after this was seen or is too old
                self.count(f"{counter}/known_or_old")
                continue
            self.newest[key] = max(self.newest.get(key, 0), int(tid))
            if tid in self.asked:
                self.count("search/duplicate")
                continue
            self.asked.add(tid)
            yield self.content_request(tid)
        return reached_known, last

    def parse_office(self, response: Response) -> Iterator[scrapy.Request]:
        """One page of an office's letters; the next page starts after its last tid."""
        fid, page = response.meta["lc_fid"], response.meta["lc_page"]
        key = f"fid:{fid}"
        payload, problem = self._problem(response)
        if problem is not None:
            self._end(key, problem, clean=False)
            return
        items = list_items(payload)
        if items is None:
            self.count("rejects/missing_field")
            self._end(key, "missing_field", clean=False)
            return
        self.count("office/pages")
        self.yielded("api", len(items), response)
        reached_known, last = yield from self._letters(items, key, "office")
        if reached_known:
            self._end(key, "known")
        elif not items:
            self._end(key, "empty_page")
        elif len(items) < self.rows:
            self._end(key, "last_page")
        elif page >= self.max_pages:
            self._end(key, "max_pages")
        elif not last:
            self._end(key, "missing_field", clean=False)
        else:
            yield self.list_request(fid, last, page + 1)

    def parse_content(self, response: Response) -> None:
        payload, problem = self._problem(response)
        if problem is not None:
            return
        data = payload.get("resultData")
        items = data.get("contentList") if isinstance(data, dict) else None
        letter = isinstance(items, list) and any(isinstance(i, dict) and str(i.get("dataType")) == "1" for i in items)
        self.yielded("complaint", int(letter), response)
        if not isinstance(items, list):
            self.count("rejects/missing_field")
        elif not letter:
            self.count("rejects/no_letter")
        else:
            self.count("pages/document")
