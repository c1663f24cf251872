"""黑猫投诉 (tousu.sina.com.cn): the feed, keyword searches and company lists through the signed
JSON API, then each complaint's page.

The spider only navigates: it signs list requests, pages through them, follows each listed
complaint to its page and stops a list when the platform says so (error envelope, anonymous
page limit, empty page, last page) or when it reaches what the last finished crawl already saw.
Parsing into rows happens in the build (``pipelines/extract/sources/heimao.py``).

    lendcorpus crawl heimao                                  # the feed
    lendcorpus crawl heimao -a keywords=催收,暴力催收          # searches
    lendcorpus crawl heimao -a couids=5650743478 -a feed=1   # company lists, and the feed too
    lendcorpus crawl heimao -s LENDCORPUS_HEIMAO_SALT='...'             # when the site changes its salt
    LENDCORPUS_HEIMAO_COOKIE='SUB=...' lendcorpus crawl heimao -a keywords=催收   # logged-in endpoints

Keyword search and company lists answer 10005 without a logged-in session; the feed works
anonymously. ``LENDCORPUS_HEIMAO_COOKIE`` (setting or environment variable) is a Cookie header
copied from the user's own logged-in browser. It is added to those requests only, at download
time (``SessionCookieMiddleware``), so it never sits in a request that is logged, persisted in
``JOBDIR`` or fingerprinted, and the archive strips it from the request records it writes.
HTTP 456 is how the site bans an IP: a block like 403/429 (back-off, then ``blocked_http_456``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from lendcorpus.crawler.spiders.base import LendSpider
from lendcorpus.pipelines.extract.sources.heimao import read_envelope
from lendcorpus.pipelines.extract.values import parse_time

logger = logging.getLogger(__name__)

BASE = "https://tousu.sina.com.cn"
DEFAULT_SALT = "$d6eb7ff91ee257475%"
_RS_ALPHABET = string.ascii_letters + string.digits


def sign(ts: str, rs: str, salt: str, page_size: str, page: str, extra: str | None = None,
         type_: str | None = None) -> str:
    """The site's signature: sha256 hex of the sorted parts concatenated (all strings).

    ``extra`` is the couid or the keywords when the endpoint takes one; ``type_`` is signed by
    the feed and company lists, not by the search.
    """
    parts = [ts, rs, salt, page_size, page]
    if extra is not None:
        parts.append(extra)
    if type_ is not None:
        parts.append(type_)
    return hashlib.sha256("".join(sorted(parts)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Listing:
    """One list the spider pages through: the feed, a keyword search or a company's complaints."""

    kind: str  # feed | search | company
    value: str = ""

    @property
    def key(self) -> str:
        """High-water mark key, one per list (newest complaint time seen in it)."""
        return self.kind if self.kind == "feed" else f"{self.kind}:{self.value}"


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]


class HeimaoSpider(LendSpider):
    name = "heimao"
    source = "heimao"
    allowed_domains = ["tousu.sina.com.cn"]
    page_size = 10
    #: complaint pages mention 验证码 often; a captcha page never carries the complaint structure
    complaint_marker = b"ts-d-question"
    #: 456 is the site's IP ban
    block_statuses = (403, 429, 456)

    def __init__(self, *args, keywords: str | None = None, couids: str | None = None, feed: str | None = None,
                 max_pages: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.listings: list[Listing] = [Listing("search", k) for k in _split(keywords)]
        self.listings += [Listing("company", c) for c in _split(couids)]
        if feed not in (None, "", "0", "false", "no") or not self.listings:
            self.listings.insert(0, Listing("feed"))
        self.max_pages = int(max_pages) if max_pages else None

    @property
    def salt(self) -> str:
        return self.crawler.settings.get("LENDCORPUS_HEIMAO_SALT") or DEFAULT_SALT

    @property
    def session_cookie(self) -> str:
        """The user's logged-in Cookie header for search and company lists ('' = anonymous)."""
        return (self.crawler.settings.get("LENDCORPUS_HEIMAO_COOKIE") or "").strip()

    # -- requests ----------------------------------------------------------------------------
    def list_url(self, listing: Listing, page: int, ts: str | None = None, rs: str | None = None) -> str:
        """A signed list URL with the parameters in the order the site's own pages send them."""
        ts = ts or str(int(time.time() * 1000))
        rs = rs or "".join(secrets.choice(_RS_ALPHABET) for _ in range(16))
        size, pg = str(self.page_size), str(page)
        if listing.kind == "feed":
            sig = sign(ts, rs, self.salt, size, pg, type_="1")
            return f"{BASE}/api/index/feed?ts={ts}&rs={rs}&signature={sig}&type=1&page_size={size}&page={pg}"
        if listing.kind == "search":
            sig = sign(ts, rs, self.salt, size, pg, extra=listing.value)
            return (f"{BASE}/api/index/s?ts={ts}&rs={rs}&signature={sig}&keywords={quote(listing.value)}"
                    f"&page_size={size}&page={pg}")
        sig = sign(ts, rs, self.salt, size, pg, extra=listing.value, type_="1")
        return (f"{BASE}/api/company/received_complaints?ts={ts}&rs={rs}&signature={sig}"
                f"&couid={quote(listing.value)}&type=1&page_size={size}&page={pg}")

    def _list_request(self, listing: Listing, page: int) -> scrapy.Request:
        # search and company lists need a logged-in session: SessionCookieMiddleware adds it
        return scrapy.Request(self.list_url(listing, page), callback=self.parse_list,
                              meta={"lc_kind": "api", "heimao_list": listing, "heimao_page": page,
                                    "lc_session": listing.kind != "feed"})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for listing in self.listings:
            yield self._list_request(listing, 1)

    # -- blocks ------------------------------------------------------------------------------
    def block_reason(self, response: Response) -> str | None:
        """JSON answers and complaint pages are never captcha pages, whatever their text says."""
        if response.status == 200:
            head = response.body[:20000]
            if head.lstrip()[:1] in (b"{", b"[") or self.complaint_marker in head:
                return None
        return super().block_reason(response)

    # -- lists -------------------------------------------------------------------------------
    def _stop(self, listing: Listing, page: int, reason: str, error: bool, detail: str = "") -> None:
        self.count(f"{'rejects' if error else 'stops'}/{reason}")
        log = logger.warning if error else logger.info
        log("heimao %s page %d: stopping this list (%s)%s", listing.key, page, reason,
            f": {detail}" if detail else "")

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        listing: Listing = response.meta["heimao_list"]
        page: int = response.meta["heimao_page"]
        env = read_envelope(response.body)
        if env.reason in ("empty_body", "html_not_json", "malformed_json"):
            return self._stop(listing, page, env.reason, True, env.detail[:80])
        if env.reason == "unexpected_envelope":
            self.yielded("api", 0, response)  # a shape we do not know: drift, unless it is rare
            return self._stop(listing, page, env.reason, True)
        code = env.code
        if env.reason:
            why = {"10005": "signature refused or login needed; check LENDCORPUS_HEIMAO_SALT",
                   "10017": "anonymous page limit reached"}.get(code, env.detail[:80])
            if code == "10005" and listing.kind != "feed":
                why = ("login needed: keyword search and company lists need a logged-in session; set "
                       "LENDCORPUS_HEIMAO_COOKIE (docs/sources/heimao.md)" if not self.session_cookie else
                       "refused although a session cookie is set: it may have expired, or the salt changed")
            return self._stop(listing, page, env.reason, True, why)
        data = env.data
        items = None
        if isinstance(data, dict):
            items = data.get("lists") if "lists" in data else data.get("complaints")
        if not isinstance(items, list):
            self.yielded("api", 0, response)
            return self._stop(listing, page, "unexpected_envelope", True, "no lists/complaints")
        self.yielded("api", len(items), response)
        if not items:
            return self._stop(listing, page, "empty_page", False)
        yield from self._follow_items(listing, page, items, data)

    def _follow_items(self, listing: Listing, page: int, items: list, data: dict) -> Iterator[scrapy.Request]:
        reached = None
        for item in items:
            main = item.get("main") if isinstance(item, dict) else None
            sn = str(main.get("sn") or "") if isinstance(main, dict) else ""
            if not sn.isdigit():
                self.count("rejects/missing_field")
                logger.info("heimao %s page %d: an item without a complaint number, skipped", listing.key, page)
                continue
            when = parse_time(main.get("timestamp"))
            mark = int(when.timestamp()) if when else None
            if not self.is_new(listing.key, mark, when):
                reached = reached or ("since" if self.since and when and when < self.since else "high_water")
                continue
            self.see(listing.key, mark)
            yield self._detail_request(sn, main.get("url"))
        pager = data.get("pager") if isinstance(data.get("pager"), dict) else {}
        try:
            current = int(pager.get("current", page))
            amount = int(pager.get("page_amount", 0))
        except (TypeError, ValueError):
            current, amount = page, 0
        if reached:
            return self._stop(listing, page, reached, False)
        if amount and current >= amount:
            return self._stop(listing, page, "end_of_list", False)
        if not amount:
            return self._stop(listing, page, "no_pager", False)
        if self.max_pages and page >= self.max_pages:
            return self._stop(listing, page, "max_pages", False)
        yield self._list_request(listing, page + 1)

    # -- complaint pages ---------------------------------------------------------------------
    def _detail_request(self, sn: str, url: object) -> scrapy.Request:
        if isinstance(url, str) and url.startswith("//"):
            url = "https:" + url
        if not (isinstance(url, str) and url.startswith(f"{BASE}/complaint/view/{sn}/")):
            url = f"{BASE}/complaint/view/{sn}/"  # without its sld the site will say 页面不存在
        return scrapy.Request(url, callback=self.parse_complaint, meta={"lc_kind": "complaint", "heimao_sn": sn})

    def parse_complaint(self, response: Response) -> None:
        found = self.complaint_marker in response.body
        if found or "页面不存在".encode() not in response.body:  # a missing page is not drift
            self.yielded("complaint", int(found), response)
        if found:
            self.count("pages/document")
        elif "页面不存在".encode() in response.body:
            self.count("rejects/page_not_found")
            logger.info("heimao complaint %s: page not found (missing or stale sld)", response.meta.get("heimao_sn"))
        else:
            self.count("rejects/unexpected_page")
