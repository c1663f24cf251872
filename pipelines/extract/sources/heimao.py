"""黑猫投诉 (tousu.sina.com.cn): list answers of the JSON API and complaint pages into rows.

Lists (feed, search, company) give partial ``complaints`` rows (title, company, summary, status,
amount, counts, author display name); the complaint page gives the full row, the timeline as
``complaint_events`` (oldest first, 0 = filed) and one ``Document`` with the complainant's full
text. Everything the page or answer does not have is a ``Reject`` with a short reason, never an
exception: the build must get through any archive. When the timeline is missing, the filing
time comes from the page header ("发布于 2020年10月16日 08:48"). One filing against two
companies arrives as two consecutive complaint numbers with the same text; the corpus names such
pairs in the ``complaint_links`` view (migration 0022).

Personal data: ``author.title`` (display name) goes to ``complaints.author`` only; consumers in
the timeline are ``actor = 'consumer'``; ``author.wb_profile`` is never read.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser, LexborNode as Node

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract.model import Document, Extraction, PageKind, ParseContext, Reject
from lendcorpus.pipelines.extract.sources import Source, source_parser
from lendcorpus.pipelines.extract.values import parse_amount, parse_int, parse_time

SOURCE = Source(
    id="heimao", name="黑猫投诉", hosts=("tousu.sina.com.cn",),
    spider="lendcorpus.crawler.spiders.heimao.HeimaoSpider",
    page_kinds=(PageKind.API, PageKind.COMPLAINT), row_tables=("complaints", "complaint_events"),
    document_kind="complaint",
    collects="consumer complaints against companies, with the platform's timeline and the company's reply",
    terms="public complaint pages; the platform's user agreement reserves rights in the content",
    expect={"api": (1.0, 0.5), "complaint": (0.5, 0.5)},
    announced=("heimao_1", "page_not_found"),  # error envelopes 10005/10017/10019; 页面不存在
)
HOSTS = SOURCE.hosts
PLATFORM = "heimao"
EXTRACTOR = "heimao@2"

#: list endpoint path -> key of the item list inside ``result.data``
LIST_PATHS = {
    "/api/index/feed": "lists",
    "/api/index/s": "lists",
    "/api/company/received_complaints": "complaints",
}
#: what the list parser reads from each item (the contract test checks them in the fixtures)
ITEM_KEYS = ("sn", "title", "summary", "appeal", "issue", "cotitle", "couid", "cost", "status", "timestamp",
             "url", "upvote_amount", "comment_amount")
AUTHOR_KEYS = ("title",)
ENVELOPE_KEYS = ("result", "status", "code", "msg", "data", "pager")
#: CSS selectors the complaint-page parser reads
SELECTORS = {
    "question": "div.ts-d-question",
    "title": "div.ts-d-question h1",
    "fields": "ul.ts-q-list li",
    "label": "label",
    "company_link": "a",
    "steps": "div.ts-d-steplist div.ts-d-item",
    "step_name": "span.u-name",
    "step_status": "span.u-status",
    "step_date": "span.u-date",
    "step_text": "div.ts-d-cont",
    "header": "div.ts-q-user",
    "header_name": "span.u-name",
}
#: the page header's filing time, e.g. "发布于 2020年10月16日 08:48"
_FILED_RE = re.compile(r"发布于\s*(\d{4}年\d{1,2}月\d{1,2}日\s*\d{1,2}:\d{2})")
LABELS = ("投诉编号", "投诉对象", "使用服务", "投诉问题", "投诉要求", "涉诉金额", "投诉进度")

#: list status codes -> (status text as the site shows it, normalised status)
STATUS_CODES = {
    "1": ("通过审核", "submitted"),
    "3": ("待分配", "assigned"),
    "4": ("处理中", "in_progress"),
    "6": ("已回复", "replied"),
    "7": ("已完成", "resolved"),
    "8": ("已关闭", "closed"),
}
STATUS_TEXTS = {text: status for text, status in STATUS_CODES.values()}

FILED_STATUS = "发起投诉"
CONSUMER_STATUSES = ("发起投诉", "补充投诉", "确认完成", "用户评价", "评价", "申请", "撤销投诉")
PLATFORM_STATUSES = ("审核通过", "通过审核", "投诉已分配", "待分配", "已分配", "投诉已关闭", "已关闭", "平台")
PLATFORM_NAMES = ("黑猫", "新浪")

_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"[ \t\r\f\v\u3000]+")
_DETAIL_RE = re.compile(r"^/complaint/view/(\d+)")
_CAPTCHA_MARKERS = ("验证码", "安全验证", "captcha")


def strip_html(value: object) -> str | None:
    """Text of a field that may hold markup (``cotitle``, highlighted search titles)."""
    if value is None:
        return None
    text = str(value)
    if "<" in text or "&" in text:
        text = HTMLParser(f"<div>{text}</div>").body.text()
    text = _SPACE_RE.sub(" ", text).strip()
    return text or None


def map_status(raw: object) -> tuple[str | None, str]:
    """(status_raw, status) from a list code (1/3/4/6/7/8) or the page's progress text."""
    if raw is None or raw == "":
        return None, "unknown"
    text = str(raw).strip()
    if text in STATUS_CODES:
        return STATUS_CODES[text]
    return text, STATUS_TEXTS.get(text, "unknown")


def page_kind(url: str) -> PageKind:
    path = urlsplit(url).path
    return PageKind.API if path in LIST_PATHS else PageKind.COMPLAINT if _DETAIL_RE.match(path) else PageKind.OTHER


@source_parser(page_kind)
def parse(record: ArchivedRecord, ctx: ParseContext) -> Extraction:
    """One archived response of tousu.sina.com.cn → rows, documents and rejects; never raises."""
    if ctx.page_kind == PageKind.API:
        return parse_list(record, LIST_PATHS[urlsplit(record.url).path])
    if ctx.page_kind == PageKind.COMPLAINT:
        return parse_complaint(record, ctx.fetched_at)
    return Extraction(ctx.page_kind)


# -- lists ---------------------------------------------------------------------------------------

def _reject(kind: PageKind, reason: str, detail: str = "") -> Extraction:
    return Extraction(kind, rejects=[Reject("source", reason, detail[:300])])


class Envelope(NamedTuple):
    """What a list answer's ``{"result": {"status": {...}, "data": {...}}}`` wrapper says.

    ``reason`` is None when the status code is 0 and ``data`` is the answer's ``result.data``;
    otherwise it is the reject reason (``empty_body``, ``html_not_json``, ``malformed_json``,
    ``unexpected_envelope``, ``heimao_<code>``) and ``detail`` says more. The spider (to stop a
    list) and the parser (to reject the record) read answers with this one function.
    """

    reason: str | None
    detail: str = ""
    code: str | None = None
    data: object = None


def read_envelope(body: bytes, content_type: str = "") -> Envelope:
    if not body.strip():
        return Envelope("empty_body")
    if body.lstrip()[:1] == b"<":
        return Envelope("html_not_json", content_type[:80])
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return Envelope("malformed_json", str(exc)[:200])
    result = doc.get("result") if isinstance(doc, dict) else None
    status = result.get("status") if isinstance(result, dict) else None
    if not isinstance(status, dict) or "code" not in status:
        keys = ",".join(sorted(doc)[:8]) if isinstance(doc, dict) else type(doc).__name__
        return Envelope("unexpected_envelope", f"top-level keys: {keys}")
    code = str(status.get("code"))
    if code != "0":
        return Envelope(f"heimao_{code}", str(status.get("msg") or "")[:200], code)
    return Envelope(None, "", code, result.get("data"))


def parse_list(record: ArchivedRecord, list_key: str) -> Extraction:
    env = read_envelope(record.body, record.header("Content-Type") or "")
    if env.reason:
        return _reject(PageKind.API, env.reason, env.detail)
    data = env.data
    items = data.get(list_key, data.get("lists")) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return _reject(PageKind.API, "unexpected_envelope", f"result.data has no {list_key} list")
    ex = Extraction(PageKind.API)
    for i, item in enumerate(items):
        row = _list_row(item)
        if isinstance(row, str):
            ex.rejects.append(Reject("source", "missing_field", f"item {i}: {row}"))
        else:
            ex.add("complaints", row)
    return ex


def _list_row(item: object) -> dict | str:
    """A partial complaints row from one list item, or what is missing."""
    main = item.get("main") if isinstance(item, dict) else None
    if not isinstance(main, dict):
        return "main"
    sn = str(main.get("sn") or "").strip()
    if not sn.isdigit():
        return "main.sn"
    author = item.get("author") if isinstance(item.get("author"), dict) else {}
    status_raw, status = map_status(main.get("status"))
    url = main.get("url")
    if isinstance(url, str) and url.startswith("//"):
        url = "https:" + url
    cost = main.get("cost")
    cost = str(cost).strip() if cost not in (None, "") else None
    couid = main.get("couid")
    return {
        "complaint_id": f"{PLATFORM}:{sn}",
        "platform": PLATFORM,
        "native_id": sn,
        "url": url if isinstance(url, str) and url else None,
        "title": strip_html(main.get("title")),
        "company": strip_html(main.get("cotitle")),
        "company_id": str(couid) if couid not in (None, "") else None,
        "issue": strip_html(main.get("issue")),
        "demand": strip_html(main.get("appeal")),
        "amount_yuan": parse_amount(cost),
        "amount_raw": cost,
        "status": status,
        "status_raw": status_raw,
        "created_at": parse_time(main.get("timestamp")),
        "summary": strip_html(main.get("summary")),
        "upvotes": parse_int(main.get("upvote_amount")),
        "comments": parse_int(main.get("comment_amount")),
        "author": strip_html(author.get("title")),
    }


# -- complaint pages -------------------------------------------------------------------------------

def _text(node: Node | None) -> str:
    return _SPACE_RE.sub(" ", node.text(deep=True)).strip() if node is not None else ""


def _block_text(node: Node) -> str:
    """Paragraphs of a step's content, one per line."""
    blocks = [_text(child) for child in node.iter() if child.tag in ("p", "div")]
    blocks = [b for b in blocks if b]
    return "\n".join(blocks) if blocks else _text(node)


def _fields(question: Node) -> dict[str, Node]:
    """``投诉编号`` → the <li> node, for each labelled line (the page leaves <li> unclosed)."""
    out: dict[str, Node] = {}
    for li in question.css(SELECTORS["fields"]):
        label = li.css_first(SELECTORS["label"])
        if label is None:
            continue
        name = _text(label).rstrip("：:").strip()
        out.setdefault(name, li)
    return out


def _field_value(li: Node | None) -> str | None:
    if li is None:
        return None
    label = _text(li.css_first(SELECTORS["label"]))
    text = _text(li)
    value = text[len(label):].strip() if text.startswith(label) else text
    return value or None


def parse_complaint(record: ArchivedRecord, fetched_at: datetime | None = None) -> Extraction:
    html = record.body.decode("utf-8", "replace")
    tree = HTMLParser(html)
    question = tree.css_first(SELECTORS["question"])
    if question is None:
        if "页面不存在" in html:
            return _reject(PageKind.COMPLAINT, "page_not_found", "no valid sld, or the complaint was removed")
        if any(m in html[:20000] for m in _CAPTCHA_MARKERS):
            return _reject(PageKind.COMPLAINT, "captcha")
        if not html.strip():
            return _reject(PageKind.COMPLAINT, "empty_body")
        return _reject(PageKind.COMPLAINT, "missing_field", SELECTORS["question"])
    ex = Extraction(PageKind.COMPLAINT)
    fields = _fields(question)
    url_sn = _DETAIL_RE.match(urlsplit(record.url).path).group(1)
    sn = _field_value(fields.get("投诉编号")) or url_sn
    if not sn.isdigit():
        sn = url_sn
    cid = f"{PLATFORM}:{sn}"
    company_li = fields.get("投诉对象")
    company_id = None
    if company_li is not None:
        link = company_li.css_first(SELECTORS["company_link"])
        href = link.attributes.get("href") if link is not None else None
        if href:
            company_id = (parse_qs(urlsplit(href).query).get("couid") or [None])[0]
    status_raw, status = map_status(_field_value(fields.get("投诉进度")))
    cost = _field_value(fields.get("涉诉金额"))
    now = fetched_at
    events = _events(tree, now)
    row = {
        "complaint_id": cid,
        "platform": PLATFORM,
        "native_id": sn,
        "url": record.url,
        "title": _text(tree.css_first(SELECTORS["title"])) or None,
        "company": _field_value(company_li),
        "company_id": company_id,
        "issue": _field_value(fields.get("投诉问题")),
        "demand": _field_value(fields.get("投诉要求")),
        "amount_raw": cost,
        "amount_yuan": parse_amount(cost),
        "status": status,
        "status_raw": status_raw,
    }
    for name in ("title", "company"):
        if not row[name]:
            ex.rejects.append(Reject("source", "missing_field", name))
    header_time, header_name = _header(question, now)
    if not events:
        # the header still says when (and by whom) it was filed
        row["created_at"] = header_time
        row["author"] = header_name
        ex.rejects.append(Reject("source", "missing_field", "timeline (div.ts-d-steplist)"))
        ex.add("complaints", row)
        return ex
    filed = next((e for e in events if e["status_raw"] and FILED_STATUS in e["status_raw"]), None)
    dated = [e["event_at"] for e in events if e["event_at"] is not None]
    row["updated_at"] = max(dated) if dated else None
    for e in events:
        e["actor_role"] = _role(e, filed, row["company"])
    if filed is None:
        ex.rejects.append(Reject("source", "missing_field", f"filed step ({FILED_STATUS})"))
    else:
        row["created_at"] = filed["event_at"] or header_time
        row["narrative"] = filed["text"] or None
        row["author"] = filed["actor"] or None  # the display name, for the complaints row only
        if not filed["text"]:
            ex.rejects.append(Reject("source", "missing_field", "text of the filed step"))
    ordered = ([filed] if filed else []) + [e for e in events if e is not filed]
    for seq, e in enumerate(ordered):
        ex.add("complaint_events", {
            "complaint_id": cid, "seq": seq,
            "actor": "consumer" if e["actor_role"] == "consumer" else e["actor"] or None,
            "actor_role": e["actor_role"], "status_raw": e["status_raw"] or None,
            "event_at": e["event_at"], "text": e["text"] or None,
        })
    ex.add("complaints", row)
    if filed is not None and filed["text"]:
        ex.documents.append(Document(
            doc_id=cid, source=PLATFORM, kind="complaint", url=record.url, title=row["title"],
            text=filed["text"], published_at=filed["event_at"], extractor=EXTRACTOR, encoding="utf-8",
            encoding_evidence="declared",
        ))
    return ex


def _header(question: Node, now: datetime | None) -> tuple[datetime | None, str | None]:
    """(filing time, display name) from the page header ``发布于 2020年10月16日 08:48``."""
    node = question.css_first(SELECTORS["header"])
    text = _text(node) if node is not None else _text(question)
    m = _FILED_RE.search(text)
    when = parse_time(m.group(1), now) if m else None
    name = _text(node.css_first(SELECTORS["header_name"])) if node is not None else ""
    return when, name or None


def _events(tree: HTMLParser, now: datetime | None) -> list[dict]:
    """Timeline steps, oldest first. The page lists newest first; the dates decide when they can."""
    steps = []
    for node in tree.css(SELECTORS["steps"]):
        cont = node.css_first(SELECTORS["step_text"])
        steps.append({
            "actor": _text(node.css_first(SELECTORS["step_name"])),
            "status_raw": _text(node.css_first(SELECTORS["step_status"])),
            "event_at": parse_time(_text(node.css_first(SELECTORS["step_date"])) or None, now),
            "text": _block_text(cont) if cont is not None else "",
        })
    dated = [s["event_at"] for s in steps if s["event_at"] is not None]
    if len(dated) >= 2 and dated[0] < dated[-1]:
        return steps  # already oldest first
    return steps[::-1]


def _role(event: dict, filed: dict | None, company: str | None) -> str | None:
    status = event["status_raw"] or ""
    actor = event["actor"] or ""
    if company and actor == company or status.startswith("商家"):
        return "company"
    if any(n in actor for n in PLATFORM_NAMES) or status in PLATFORM_STATUSES:
        return "platform"
    if status in CONSUMER_STATUSES or (filed is not None and actor == filed["actor"]):
        return "consumer"
    return None
