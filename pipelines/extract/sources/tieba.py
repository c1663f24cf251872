"""百度贴吧 (tieba.baidu.com): forum lists → forum_threads; thread pages → forum_posts + one
document per floor.

Shapes (docs/sources/tieba.md): the list's thread items are inside an HTML comment (the site
injects them with JavaScript), so the comment is unwrapped before parsing; items are
``li.j_thread_list`` with an HTML-escaped ``data-field`` JSON (``id``, ``author_name``,
``reply_num``, ``is_top``), ``data-tid`` and ``a.j_th_tit``. Floors are ``div.l_post`` with
``data-field`` (``author.user_name``, ``content.post_id``, ``content.post_no``, ``content.date``
on older pages, else the time is in ``span.tail-info``) and the body in ``div.d_post_content``.

Real pages also carry (docs/sources/tieba.md, "Real shapes"):

* ad blocks between floors that reuse the floor classes plus a random suffix
  (``j_l_post_k3x9q``); some carry a ``data-field`` naming another thread and repeating a floor
  number. They are ads (``ThreadPage.ads`` → ``forum_ads``), never posts and never damage;
* the mobile list layout (``ul.threads_list#frslistcontent``, ``li.tl_shadow``, thread ids on
  ``a.ti_item``), which the PC list URL may answer with. It is read like the PC list.

Everything here is a pure function of the stored bytes; the spider reuses ``read_list`` and
``read_thread`` to navigate, so crawler and build agree on what a page says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser, LexborNode as Node

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract.model import Document, Extraction, PageKind, ParseContext, Reject
from lendcorpus.pipelines.extract.sources import Source, source_parser

SOURCE = Source(
    id="tieba", name="百度贴吧", hosts=("tieba.baidu.com",),
    spider="lendcorpus.crawler.spiders.tieba.TiebaSpider",
    page_kinds=(PageKind.FORUM_LIST, PageKind.THREAD), row_tables=("forum_threads", "forum_posts", "forum_ads"),
    document_kind="post",
    collects="forum threads and every floor in 网贷吧, 催收吧, 逾期吧 and similar",
    terms="public forum pages; Baidu's terms reserve rights in the content",
    expect={"thread": (1.0, 0.2), "forum_list": (1.0, 0.5)},
    announced=("thread_deleted",),
)
HOSTS = SOURCE.hosts
SOURCE_ID = SOURCE.id
EXTRACTOR = "source:tieba@2"
CHINA = timezone(timedelta(hours=8))
BASE = "https://tieba.baidu.com"
#: Real list and thread pages are far larger; the security-check page the site serves is smaller.
MIN_PAGE_BYTES = 5000

_COMMENT_RE = re.compile(r"<!--(.*?)-->", re.S)
_THREAD_PATH_RE = re.compile(r"^/p/(\d+)/?$")
_CHARSET_RE = re.compile(r"charset=([\w.:-]+)", re.I)
_FULL_TIME_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})")
_DELETED_MARKERS = ("该贴已被删除", "该帖已被删除", "贴子已被删除")
_THREAD_HREF_RE = re.compile(r"/p/(\d+)")
#: the security-check page's title, whatever its size
_BLOCK_MARKERS = ("百度安全验证".encode(),)
#: Class names real floors carry. A token that starts like one of them but is none of them
#: (``l_post_7fq2m``, ``j_l_post_k3x9q``) is the random suffix ad blocks wear.
FLOOR_CLASSES = frozenset({"l_post", "l_post_bright", "j_l_post", "l_post_fold", "l_post_bright_fold"})
_FLOOR_PREFIXES = ("l_post", "j_l_post")
#: The PC list pages by 50 threads; a mobile answer to the same URL pages the same way.
LIST_STEP = 50


# -- page classification ---------------------------------------------------------------------

def page_kind(url: str) -> PageKind:
    """A forum's thread list for /f, a thread page for /p/<tid>, else other."""
    path = urlsplit(url).path
    if path == "/f":
        return PageKind.FORUM_LIST
    if _THREAD_PATH_RE.match(path):
        return PageKind.THREAD
    return PageKind.OTHER


def block_reason(url: str, body: bytes) -> str | None:
    """'block_page' when a list or thread page is the site's block page rather than content.

    The security check (``百度安全验证``) and short pages without the list/post markup are blocks;
    a deleted thread's page, an empty forum and a full-size page in a layout we do not know are
    not (the last yields nothing and trips the drift alarms instead).
    """
    kind = page_kind(url)
    if kind == PageKind.OTHER:
        return None
    if any(m in body[:20000] for m in _BLOCK_MARKERS):
        return "block_page"
    if kind == PageKind.FORUM_LIST:
        if b'id="frslistcontent"' in body or b"j_thread_list" in body or b'id="thread_list"' in body:
            return None  # a list: PC or mobile layout
    elif b"l_post" in body or any(m.encode() in body for m in _DELETED_MARKERS):
        return None
    # Neither markup. A short page is the site's block page; a full-size one is a page whose
    # layout we no longer know: not a block (backing off would not help) but a page that yields
    # nothing, which the drift alarms report as "layout changed?".
    return "block_page" if len(body) < MIN_PAGE_BYTES else None


# -- values ----------------------------------------------------------------------------------

def list_time(text: str | None, now: datetime | None) -> tuple[datetime | None, datetime | None]:
    """A list page's short time as (exact, latest possible).

    The list writes today's times as ``HH:MM``, this year's as ``M-D`` and older ones as
    ``YYYY-M``; only the first is exact to the minute. ``now`` is when the page was fetched.
    """
    text = (text or "").strip()
    if not text:
        return None, None
    m = _FULL_TIME_RE.search(text)
    if m:
        y, mo, d, h, mi = map(int, m.groups())
        try:
            dt = datetime(y, mo, d, h, mi, tzinfo=CHINA)
        except ValueError:
            return None, None
        return dt, dt
    if now is None:
        return None, None
    now = now.astimezone(CHINA)
    try:
        if m := re.fullmatch(r"(\d{1,2}):(\d{2})", text):
            dt = now.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0)
            return dt, dt
        if m := re.fullmatch(r"(\d{1,2})-(\d{1,2})", text):
            day = datetime(now.year, int(m.group(1)), int(m.group(2)), tzinfo=CHINA)
            return None, day + timedelta(days=1) - timedelta(minutes=1)
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            y, mo = int(m.group(1)), int(m.group(2))
            nxt = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=CHINA)
            return None, nxt - timedelta(minutes=1)
    except ValueError:
        return None, None
    return None, None


def _exact_time(text: str | None) -> datetime | None:
    m = _FULL_TIME_RE.search(text or "")
    if not m:
        return None
    y, mo, d, h, mi = map(int, m.groups())
    try:
        return datetime(y, mo, d, h, mi, tzinfo=CHINA)
    except ValueError:
        return None


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _data_field(node: Node) -> tuple[dict | None, str | None]:
    """(parsed data-field, reject reason) — selectolax has already undone the HTML escaping."""
    raw = node.attributes.get("data-field")
    if raw is None or not raw.strip():
        return None, "missing_data_field"
    try:
        value = json.loads(raw)
    except ValueError:
        return None, "malformed_data_field"
    if not isinstance(value, dict):
        return None, "malformed_data_field"
    return value, None


def decode(body: bytes, content_type: str | None = None) -> str:
    """The page as text: the declared charset if Python knows it, else UTF-8 (what tieba sends)."""
    m = _CHARSET_RE.search(content_type or "")
    for enc in ([m.group(1)] if m else []) + ["utf-8"]:
        try:
            return body.decode(enc, errors="replace")
        except LookupError:
            continue
    return body.decode("utf-8", errors="replace")


def _forum_name(tree: HTMLParser, url: str) -> str | None:
    node = tree.css_first("a.card_title_fname")
    name = node.text(strip=True) if node is not None else ""
    if not name and page_kind(url) == PageKind.FORUM_LIST:
        kw = parse_qs(urlsplit(url).query).get("kw", [""])[0].strip()
        name = f"{kw}吧" if kw else ""
    return name or None


# -- list pages ------------------------------------------------------------------------------

@dataclass
class ListedThread:
    tid: str
    title: str | None
    author: str | None
    reply_count: int | None
    is_top: bool
    last_reply_at: datetime | None  # exact (minute) or None
    last_reply_latest: datetime | None  # latest time the list's short form allows


@dataclass
class ListPage:
    forum: str | None
    threads: list[ListedThread] = field(default_factory=list)
    next_pn: int | None = None
    rejects: list[Reject] = field(default_factory=list)
    layout: str = "pc"  # pc | mobile
    ads: int = 0  # list items that are ads (no thread id, or an ad label)


def unwrap_comments(html: str) -> str:
    """Bring the thread list out of its HTML comment; other comments are dropped."""
    return _COMMENT_RE.sub(lambda m: m.group(1) if "thread_list" in m.group(1) else "", html)


def read_list(html: str, url: str, now: datetime | None = None) -> ListPage:
    """The threads a forum list page shows, and the next page's ``pn`` if its pager has one."""
    tree = HTMLParser(unwrap_comments(html))
    page = ListPage(forum=_forum_name(tree, url))
    mobile = tree.css_first("ul#frslistcontent")
    if mobile is not None:
        return _read_mobile_list(mobile, tree, page, url, now)
    for i, li in enumerate(tree.css("li.j_thread_list")):
        data, problem = _data_field(li)
        data = data or {}
        tid = _int(data.get("id")) or _int(li.attributes.get("data-tid"))
        if tid is None:
            page.rejects.append(Reject("source", problem or "malformed_data_field", f"list item {i}: no thread id"))
            continue
        link = li.css_first("a.j_th_tit")
        title = (link.attributes.get("title") or link.text(strip=True)) if link is not None else None
        author = data.get("author_name")
        if not isinstance(author, str) or not author:
            a = li.css_first("a.frs-author-name")
            author = a.text(strip=True) if a is not None else None
        replies = _int(data.get("reply_num"))
        if replies is None:
            rep = li.css_first("span.threadlist_rep_num")
            replies = _int(rep.text(strip=True)) if rep is not None else None
        when = li.css_first("span.threadlist_reply_date")
        exact, latest = list_time(when.text(strip=True) if when is not None else None, now)
        page.threads.append(ListedThread(str(tid), title or None, author or None, replies, bool(data.get("is_top")),
                                         exact, latest))
    nxt = tree.css_first("#frs_list_pager a.next")
    if nxt is not None:
        pn = parse_qs(urlsplit((nxt.attributes.get("href") or "").replace("&amp;", "&")).query).get("pn", [""])[0]
        page.next_pn = _int(pn)
    return page


def _read_mobile_list(ul: Node, tree: HTMLParser, page: ListPage, url: str, now: datetime | None) -> ListPage:
    """The mobile layout: ``li.tl_shadow`` items, the thread id on ``a.ti_item`` (``tid`` or href)."""
    page.layout = "mobile"
    for i, li in enumerate(ul.css("li")):
        classes = set((li.attributes.get("class") or "").split())
        link = li.css_first("a.ti_item")
        if link is None or not classes & {"tl_shadow", "tl_top"}:
            continue
        href = link.attributes.get("href") or ""
        m = _THREAD_HREF_RE.search(href) if href.startswith("/") or "tieba.baidu.com/p/" in href else None
        tid = _int(link.attributes.get("tid")) or _int(li.attributes.get("data-tid")) or (int(m.group(1)) if m else None)
        label = li.css_first(".ti_ad_label, .ad_label")
        if tid is None or label is not None:
            page.ads += 1  # promoted items sit in the list without a thread id
            continue
        spans = [s for s in li.css(".ti_title span") if "ti_title_icon" not in (s.attributes.get("class") or "")]
        title = " ".join(s.text(strip=True) for s in spans).strip() or None
        author = li.css_first(".ti_author")
        replies = li.css_first(".btn_reply, .ti_reply_num")
        when = li.css_first(".ti_time")
        exact, latest = list_time(when.text(strip=True) if when is not None else None, now)
        is_top = "tl_top" in classes or li.css_first(".ti_icon_zhiding") is not None
        page.threads.append(ListedThread(str(tid), title, author.text(strip=True) or None if author is not None else None,
                                         _int(replies.text(strip=True)) if replies is not None else None, is_top,
                                         exact, latest))
    for a in tree.css("a"):
        if "下一页" in a.text(strip=True):
            pn = parse_qs(urlsplit((a.attributes.get("href") or "").replace("&amp;", "&")).query).get("pn", [""])[0]
            page.next_pn = _int(pn)
            break
    return page


# -- thread pages ----------------------------------------------------------------------------

@dataclass
class Floor:
    post_id: str
    floor: int | None
    author: str | None
    posted_at: datetime | None
    text: str


@dataclass
class Ad:
    """An ad block between floors: where it sat and what gave it away."""

    position: int  # index among the page's floor-like blocks
    signal: str  # class_suffix | foreign_thread | repeated_floor
    claimed_floor: int | None
    linked_tid: str | None  # the other thread its data-field names, if any
    text: str


@dataclass
class ThreadPage:
    tid: str
    pn: int
    forum: str | None = None
    title: str | None = None
    reply_count: int | None = None
    pages: int | None = None
    deleted: bool = False
    floors: list[Floor] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    ads: list[Ad] = field(default_factory=list)


def _floor_blocks(tree: HTMLParser) -> list[tuple[Node, set[str]]]:
    """Every block wearing a floor class, exact or suffixed, with its class tokens."""
    out = []
    for node in tree.css('div[class*="l_post"]'):
        tokens = set((node.attributes.get("class") or "").split())
        if any(t.startswith(_FLOOR_PREFIXES) for t in tokens):
            out.append((node, tokens))
    return out


def _ad_signal(tokens: set[str], content: dict, tid: str, seen_floors: set[int]) -> str | None:
    """Why a floor-like block is an ad, or None for a real floor."""
    if any(t.startswith(_FLOOR_PREFIXES) and t not in FLOOR_CLASSES for t in tokens):
        return "class_suffix"
    other = _int(content.get("thread_id"))
    if other is not None and tid and str(other) != tid:
        return "foreign_thread"
    no = _int(content.get("post_no"))
    if no is not None and no in seen_floors:
        return "repeated_floor"
    return None


def floor_text(node: Node | None) -> str:
    """A floor's words: line breaks kept, images and emoticons dropped, @mentions as text."""
    if node is None:
        return ""
    out: list[str] = []

    def walk(n: Node) -> None:
        child = n.child
        while child is not None:
            tag = child.tag
            if tag == "-text":
                out.append(child.text_content or "")
            elif tag == "br":
                out.append("\n")
            elif tag in ("img", "script", "style", "video", "embed", "object"):
                pass
            else:
                if tag in ("div", "p"):
                    out.append("\n")
                walk(child)
            child = child.next

    walk(node)
    lines = (" ".join(line.split()) for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)


def read_thread(html: str, url: str) -> ThreadPage:
    """Every floor on one page of a thread, plus what the page says about the thread."""
    parts = urlsplit(url)
    m = _THREAD_PATH_RE.match(parts.path)
    tid = m.group(1) if m else ""
    pn = _int(parse_qs(parts.query).get("pn", ["1"])[0]) or 1
    tree = HTMLParser(html)
    page = ThreadPage(tid=tid, pn=pn, forum=_forum_name(tree, url))
    blocks = _floor_blocks(tree)
    posts = [node for node, _ in blocks]
    if not posts and any(marker in html for marker in _DELETED_MARKERS):
        page.deleted = True
        return page
    head = tree.css_first("h3.core_title_txt") or tree.css_first("h1.core_title_txt")
    if head is not None:
        page.title = head.attributes.get("title") or head.text(strip=True) or None
    reds = tree.css("li.l_reply_num span.red")
    if reds:
        page.reply_count = _int(reds[0].text(strip=True))
        page.pages = _int(reds[-1].text(strip=True)) if len(reds) > 1 else None
    current = tree.css_first("li.l_pager span.tP")
    if current is not None and "pn=" not in parts.query:
        page.pn = _int(current.text(strip=True)) or pn
    seen_floors: set[int] = set()
    for i, (post, tokens) in enumerate(blocks):
        data, problem = _data_field(post)
        content = (data or {}).get("content")
        content = content if isinstance(content, dict) else {}
        signal = _ad_signal(tokens, content, tid, seen_floors)
        if signal is not None:
            other = _int(content.get("thread_id"))
            page.ads.append(Ad(i, signal, _int(content.get("post_no")),
                               str(other) if other is not None and str(other) != tid else None,
                               floor_text(post)[:500]))
            continue
        if "l_post" not in tokens:
            continue
        pid = _int(content.get("post_id"))
        if pid is None:
            page.rejects.append(Reject("source", problem or "malformed_data_field", f"floor {i} on page {pn}: no post id"))
            continue
        author = (data or {}).get("author")
        author = author.get("user_name") if isinstance(author, dict) else None
        if not isinstance(author, str) or not author:
            a = post.css_first("a.p_author_name")
            author = a.text(strip=True) if a is not None else None
        posted = _exact_time(content.get("date")) if isinstance(content.get("date"), str) else None
        if posted is None:
            for tail in post.css("span.tail-info"):
                posted = _exact_time(tail.text(strip=True))
                if posted is not None:
                    break
        no = _int(content.get("post_no"))
        if no is None:
            for tail in post.css("span.tail-info"):
                fm = re.fullmatch(r"(\d+)楼", tail.text(strip=True))
                if fm:
                    no = int(fm.group(1))
                    break
        body = post.css_first("div.d_post_content")
        if no is not None:
            seen_floors.add(no)
        page.floors.append(Floor(str(pid), no, author or None, posted, floor_text(body)))
    return page


# -- the build's entry point -----------------------------------------------------------------

def thread_url(tid: str) -> str:
    return f"{BASE}/p/{tid}"


@source_parser(page_kind)
def parse(record: ArchivedRecord, ctx: ParseContext) -> Extraction:
    """One stored tieba response → rows, documents and rejects. Never raises on bad input."""
    ex = Extraction(ctx.page_kind)
    if ctx.page_kind == PageKind.OTHER:
        return ex
    blocked = block_reason(record.url, record.body)
    if blocked:
        ex.rejects.append(Reject("source", blocked, f"{len(record.body)} bytes"))
        return ex
    html = decode(record.body, record.header("Content-Type"))
    if ctx.page_kind == PageKind.FORUM_LIST:
        page = read_list(html, record.url, ctx.fetched_at)
        ex.rejects.extend(page.rejects)
        for i in range(page.ads):
            ex.add("forum_ads", {"ad_id": f"{SOURCE_ID}:ad:{record.url}#{i}", "platform": SOURCE_ID, "thread_id": None,
                                 "page_url": record.url, "position": i, "layout": page.layout,
                                 "signal": "list_item_without_thread"})
        for t in page.threads:
            ex.add("forum_threads", {
                "thread_id": f"{SOURCE_ID}:{t.tid}", "platform": SOURCE_ID, "forum": page.forum, "title": t.title,
                "author": t.author, "reply_count": t.reply_count, "last_reply_at": t.last_reply_at,
                "url": thread_url(t.tid),
            })
        return ex
    page = read_thread(html, record.url)
    if page.deleted:
        ex.rejects.append(Reject("source", "thread_deleted", f"thread {page.tid}"))
        return ex
    ex.rejects.extend(page.rejects)
    thread_id = f"{SOURCE_ID}:{page.tid}"
    for ad in page.ads:
        ex.add("forum_ads", {"ad_id": f"{SOURCE_ID}:ad:{page.tid}:{page.pn}:{ad.position}", "platform": SOURCE_ID,
                             "thread_id": thread_id, "page_url": record.url, "position": ad.position,
                             "layout": "pc", "signal": ad.signal, "claimed_floor": ad.claimed_floor,
                             "linked_thread_id": f"{SOURCE_ID}:{ad.linked_tid}" if ad.linked_tid else None,
                             "text": ad.text or None})
    if not page.floors:
        if not page.rejects:
            ex.rejects.append(Reject("source", "no_floors", f"thread {page.tid} page {page.pn}"))
        return ex
    row = {"thread_id": thread_id, "platform": SOURCE_ID, "forum": page.forum, "title": page.title,
           "reply_count": page.reply_count, "pages": page.pages, "url": thread_url(page.tid)}
    first = next((f for f in page.floors if f.floor == 1), None)
    if first is not None:
        row["created_at"] = first.posted_at
        row["author"] = first.author
    times = [f.posted_at for f in page.floors if f.posted_at is not None]
    if page.pages is not None and page.pn >= page.pages and times:
        row["last_reply_at"] = max(times)
    ex.add("forum_threads", row)
    for f in page.floors:
        post_url = f"{BASE}/p/{page.tid}?pid={f.post_id}#{f.post_id}"
        ex.add("forum_posts", {"post_id": f"{SOURCE_ID}:{f.post_id}", "thread_id": thread_id, "floor": f.floor,
                               "author": f.author, "posted_at": f.posted_at, "text": f.text, "url": post_url})
        if not f.text:
            ex.rejects.append(Reject("source", "empty_floor", f"post {f.post_id}: images or emoticons only"))
            continue
        ex.documents.append(Document(
            doc_id=f"{SOURCE_ID}:{f.post_id}", source=SOURCE_ID, kind="post", url=post_url, title=page.title,
            text=f.text, published_at=f.posted_at, extractor=EXTRACTOR, encoding="utf-8",
            encoding_evidence="tieba",
        ))
    return ex
