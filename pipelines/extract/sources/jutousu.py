"""聚投诉 (ts.21cn.com): search and merchant lists, detail pages, the post-content API.

A pure function of one stored response (``parse``). Lists give partial complaint rows (title,
summary, time, demand); the detail page only carries the key for the post API (navigation); the
post API gives the full row and the complaint's text as a document.

Privacy: the post API also returns ``contactway``, the complainant's phone number. This module
reads fields by name from an explicit list and ``contactway`` is not on it, so it never reaches a
row, a document, a reject detail or a log line. Reject details never quote response bodies.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from urllib.parse import urlsplit

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract.model import Document, Extraction, PageKind, ParseContext, Reject
from lendcorpus.pipelines.extract.sources import Source, source_parser
from lendcorpus.pipelines.extract.values import parse_time

SOURCE = Source(
    id="jutousu", name="聚投诉", hosts=("ts.21cn.com",),
    spider="lendcorpus.crawler.spiders.jutousu.JutousuSpider",
    page_kinds=(PageKind.LIST, PageKind.API, PageKind.COMPLAINT), row_tables=("complaints",),
    document_kind="complaint",
    collects="consumer complaints against merchants (the complainant's phone is never read)",
    terms="public complaint pages; the complainant's phone (contactway) is never collected",
    expect={"list": (1.0, 0.5), "complaint": (0.5, 0.5), "api": (0.5, 0.5)},
    crawl_only=("complaint",),  # the detail page only holds the postKey
    announced=("login_wall", "api_error"),
)
HOSTS = SOURCE.hosts
SOURCE_ID = SOURCE.id
EXTRACTOR = "source:jutousu@1"
BASE = "https://ts.21cn.com"
#: A page with this text is the login wall, whatever URL it answers.
LOGIN_WALL_MARK = "登录聚投诉".encode()

#: Every JSON key and CSS selector this module reads (the contract test checks the fixtures).
SEARCH_ITEM_KEYS = ("id", "title", "shortTopic", "username", "ctime")
MERCHANT_ITEM_KEYS = ("id", "title", "shortTopic", "shuqiu", "ctime")
MERCHANT_LIST_KEYS = ("offset", "postList")
POST_KEYS = ("id", "title", "ctimeStr", "merchantname", "problemLabelList", "shuqiu", "topic", "username")
LABEL_KEYS = ("name",)
ERROR_KEYS = ("code", "msg")
POST_KEY_SELECTOR = "input#postKeyValue"

SEARCH_PATH = "/front/api/search/searchPostList.do"
POST_PATH = "/front/api/post/getPostContent.do"
_MERCHANT_RE = re.compile(r"^/json/merchantPostList/merchantId/(\d+)/")
_DETAIL_RE = re.compile(r"^/tousu/show/id/(\d+)/?$")
_POST_KEY_RE = re.compile(rb"<input\b[^>]*\bid=[\"']postKeyValue[\"'][^>]*>", re.I)
_VALUE_RE = re.compile(rb"\bvalue=[\"']([^\"']*)[\"']", re.I)
_TAG_RE = re.compile(r"<[^>]+>")
_BREAK_RE = re.compile(r"<\s*br\s*/?\s*>|</\s*(p|div|li|h\d)\s*>", re.I)
_ABSOLUTE_MINUTE_RE = re.compile(r"^\s*\d{4}\s*[-/年]\s*\d{1,2}\s*[-/月]\s*\d{1,2}\s*日?\s+\d{1,2}:\d{2}")


class BadAnswer(ValueError):
    """An answer that is not the JSON we asked for; ``reason`` is the reject code."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def is_login_wall(body: bytes) -> bool:
    """The site answers anonymous visitors past its limit with a login page, on any URL."""
    return LOGIN_WALL_MARK in body


def read_json(body: bytes, want: str) -> dict:
    """The JSON object of an API answer that has key ``want``, or BadAnswer with why not.

    Shared with the spider so the crawl stops for exactly the reasons the build records.
    """
    if is_login_wall(body):
        raise BadAnswer("login_wall")
    stripped = body.strip()
    if not stripped:
        raise BadAnswer("empty_body")
    if stripped[:1] == b"<":
        raise BadAnswer("html_not_json", f"{len(body)} bytes of markup")
    try:
        data = json.loads(stripped.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadAnswer("malformed_json", f"not UTF-8 at byte {exc.start} of {len(body)}") from None
    except ValueError as exc:
        pos = getattr(exc, "pos", None)
        raise BadAnswer("malformed_json", f"invalid JSON at char {pos} of {len(body)} bytes") from None
    if not isinstance(data, dict):
        raise BadAnswer("malformed_json", f"top level is {type(data).__name__}")
    if want not in data:
        if any(k in data for k in ERROR_KEYS):
            code = str(data.get("code", ""))[:20]
            msg = str(data.get("msg", ""))[:80]
            raise BadAnswer("api_error", f"code={code} msg={msg}")
        raise BadAnswer("missing_field", want)
    return data


def post_key(body: bytes) -> str | None:
    """The ``postKeyValue`` input's value on a detail page (what the post API wants)."""
    m = _POST_KEY_RE.search(body)
    if not m:
        return None
    v = _VALUE_RE.search(m.group(0))
    value = v.group(1).decode("utf-8", "replace").strip() if v else ""
    return value or None


def strip_html(fragment: str | None) -> str:
    """The text of the site's editor HTML: paragraphs and <br> become lines, entities decoded."""
    if not fragment:
        return ""
    text = _BREAK_RE.sub("\n", str(fragment))
    text = html.unescape(_TAG_RE.sub("", text)).replace("\xa0", " ").replace("\u3000", " ")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def detail_url(native_id: str) -> str:
    return f"{BASE}/tousu/show/id/{native_id}"


def _native(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if text.isdigit() else None


def _clean(value) -> str | None:
    if value is None:
        return None
    text = strip_html(str(value))
    return text or None


def _base_row(native: str) -> dict:
    return {"complaint_id": f"{SOURCE_ID}:{native}", "platform": SOURCE_ID, "native_id": native,
            "url": detail_url(native), "status": "unknown", "status_raw": None}


def _list(record: ArchivedRecord, kind: str, company_id: str | None) -> Extraction:
    ex = Extraction(PageKind.LIST)
    try:
        data = read_json(record.body, "postList")
    except BadAnswer as bad:
        ex.rejects.append(Reject("source", bad.reason, bad.detail))
        return ex
    items = data["postList"]
    if not isinstance(items, list):
        ex.rejects.append(Reject("source", "missing_field", "postList is not a list"))
        return ex
    skipped = 0
    for item in items:
        native = _native(item.get("id")) if isinstance(item, dict) else None
        if native is None:
            skipped += 1
            continue
        row = _base_row(native)
        row.update(title=_clean(item.get("title")), summary=_clean(item.get("shortTopic")),
                   created_at=parse_time(item.get("ctime")))
        if kind == "search":
            row["author"] = _clean(item.get("username"))
        else:
            row["demand"] = _clean(item.get("shuqiu"))
            row["company_id"] = company_id
        ex.add("complaints", row)
    if skipped:
        ex.rejects.append(Reject("source", "missing_field", f"{skipped} list items without id"))
    return ex


def _detail(record: ArchivedRecord) -> Extraction:
    ex = Extraction(PageKind.COMPLAINT)
    if is_login_wall(record.body):
        ex.rejects.append(Reject("source", "login_wall"))
    elif post_key(record.body) is None:
        ex.rejects.append(Reject("source", "no_post_key", POST_KEY_SELECTOR))
    return ex


def _post(record: ArchivedRecord, fetched: datetime | None = None) -> Extraction:
    ex = Extraction(PageKind.API)
    try:
        data = read_json(record.body, "post")
    except BadAnswer as bad:
        ex.rejects.append(Reject("source", bad.reason, bad.detail))
        return ex
    post = data["post"]
    if not isinstance(post, dict):
        ex.rejects.append(Reject("source", "missing_field", "post is not an object"))
        return ex
    native = _native(post.get("id"))
    if native is None:
        ex.rejects.append(Reject("source", "missing_field", "post.id"))
        return ex
    shown = post.get("ctimeStr")
    when = parse_time(shown, now=fetched) if shown else None
    labels = post.get("problemLabelList") or []
    names = [_clean(lab.get("name")) for lab in labels if isinstance(lab, dict)] if isinstance(labels, list) else []
    title = _clean(post.get("title"))
    narrative = strip_html(post.get("topic")) or None
    row = _base_row(native)
    row.update(
        title=title,
        company=_clean(post.get("merchantname")),
        issue="；".join(n for n in names if n) or None,
        demand=_clean(post.get("shuqiu")),
        narrative=narrative,
        author=_clean(post.get("username")),
        # the list's unix ctime is exact; only a full date-and-minute display may stand beside it
        created_at=when if shown and _ABSOLUTE_MINUTE_RE.match(str(shown)) else None,
    )
    ex.add("complaints", row)
    if narrative is None:
        ex.rejects.append(Reject("source", "missing_field", "post.topic"))
        return ex
    ex.documents.append(Document(
        doc_id=row["complaint_id"], source=SOURCE_ID, kind="complaint", url=row["url"], title=title,
        text=narrative, published_at=when, extractor=EXTRACTOR, encoding="utf-8",
        encoding_evidence="json",
    ))
    return ex


def page_kind(url: str) -> PageKind:
    path = urlsplit(url).path
    if path == SEARCH_PATH or _MERCHANT_RE.match(path):
        return PageKind.LIST
    if path == POST_PATH:
        return PageKind.API
    if _DETAIL_RE.match(path):
        return PageKind.COMPLAINT
    return PageKind.OTHER


@source_parser(page_kind)
def parse(record: ArchivedRecord, ctx: ParseContext) -> Extraction:
    """Rows, documents and rejects of one ts.21cn.com response; never raises."""
    path = urlsplit(record.url).path
    if ctx.page_kind == PageKind.LIST:
        m = _MERCHANT_RE.match(path)
        return _list(record, "merchant", m.group(1)) if m else _list(record, "search", None)
    if ctx.page_kind == PageKind.API:
        return _post(record, ctx.fetched_at)
    if ctx.page_kind == PageKind.COMPLAINT:
        return _detail(record)
    if is_login_wall(record.body):
        return Extraction(ctx.page_kind, rejects=[Reject("source", "login_wall")])
    return Extraction(ctx.page_kind)