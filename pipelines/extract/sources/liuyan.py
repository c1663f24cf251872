"""人民网 领导留言板 (liuyan.people.com.cn): letters to officials and the officials' replies.

Two signed JSON APIs (docs/sources/liuyan.md):

* ``POST /v2/threads/search`` → ``data.data[]`` of threads (``tid, subject, content, forumName,
  fid, stateInfo, typeName, domainName, createDateline``): partial ``complaints`` rows;
* ``POST /v1/threads/list/df`` (one office's letters, paged by the last tid) →
  ``resultData.data[]`` of the same items: read the same way;
* ``POST /v1/threads/content?tid=N`` → ``resultData.contentList[]`` where ``dataType`` 1 is the
  letter and 4 an official reply (``organization, content, dateline``): the full row, its
  ``complaint_events`` (letter first, then replies oldest first) and one ``letter`` Document
  holding the letter only — replies are the office's words, not the complainant's. The letter is
  picked by ``dataType``: real answers do not always put it first.

The POST body is in the WARC *request* record, which the build does not hand to parsers, so the
spider puts ``?tid=`` in the content URL (the site ignores it); the letter item's ``tid`` is the
fallback. Every problem becomes a ``Reject(stage="source", ...)``; ``parse`` never raises.

``read_json`` and ``envelope_problem`` are shared with the spider so both sides agree on what a
signing failure, an error envelope or a broken answer is.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract.model import Document, Extraction, PageKind, ParseContext, Reject
from lendcorpus.pipelines.extract.sources import Source, source_parser
from lendcorpus.pipelines.extract.values import parse_time

SOURCE = Source(
    id="liuyan", name="人民网 领导留言板", hosts=("liuyan.people.com.cn",),
    spider="lendcorpus.crawler.spiders.liuyan.LiuyanSpider",
    page_kinds=(PageKind.API, PageKind.COMPLAINT), row_tables=("complaints", "complaint_events"),
    document_kind="letter",
    collects="public letters to local officials and the officials' replies",
    terms="public letters published by 人民网",
    expect={"api": (1.0, 0.5), "complaint": (0.5, 0.5)},
    announced=("signature_sn0006", "api_error"),
)
HOSTS = SOURCE.hosts
SOURCE_ID = SOURCE.id
SEARCH_PATH = "/v2/threads/search"
CONTENT_PATH = "/v1/threads/content"
LIST_PATH = "/v1/threads/list/df"
THREAD_URL = "https://liuyan.people.com.cn/threads/content?tid={tid}"
EXTRACTOR = "source:liuyan@2"
#: What the gateway says when the signature (or the body around it) does not check out.
SIGNING_FAILURE = "SN0006"
OK_CODES = frozenset({"0", "200"})
LETTER, REPLY = 1, 4

#: stateInfo → complaints.status. Unknown wording maps to 'unknown' (status_raw keeps it).
STATUS_MAP = {
    "未回复": "submitted", "待回复": "submitted", "待受理": "submitted", "未办理": "submitted",
    "已受理": "assigned", "已转办": "assigned", "转办中": "assigned",
    "办理中": "in_progress", "处理中": "in_progress",
    "已回复": "replied", "已答复": "replied",
    "已办理": "resolved", "已办结": "resolved", "已解决": "resolved", "已评价": "resolved",
    "不予受理": "closed", "已关闭": "closed",
}

_TAG_RE = re.compile(r"<[^>]*>")
_BREAK_RE = re.compile(r"<\s*(br|/p|/div|p)\b[^>]*>", re.I)
_SPACE_RE = re.compile(r"[ \t\u3000\xa0]+")


def map_status(state_info: Any) -> str | None:
    """The board's stateInfo in the shared status vocabulary; None when there is no stateInfo."""
    if state_info is None or str(state_info).strip() == "":
        return None
    return STATUS_MAP.get(str(state_info).strip(), "unknown")


def clean_text(value: Any) -> str | None:
    """Letter/reply HTML (``<br>``, ``<p>``, entities, keyword ``<em>`` highlights) as plain lines."""
    if value is None:
        return None
    text = _BREAK_RE.sub("\n", str(value))
    text = html.unescape(_TAG_RE.sub("", text))
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    out = "\n".join(line for line in lines if line)
    return out or None


def read_json(body: bytes, content_type: str | None = None) -> tuple[Any, Reject | None]:
    """The decoded JSON object of a response, or why there is none (empty, HTML, broken JSON)."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return None, Reject("source", "empty_body", "")
    ctype = (content_type or "").lower()
    if stripped[:1] == b"<" or ("html" in ctype and stripped[:1] not in (b"{", b"[")):
        title = re.search(rb"<title>(.*?)</title>", stripped[:4096], re.I | re.S)
        detail = title.group(1).decode("utf-8", "replace").strip()[:80] if title else ctype[:80]
        return None, Reject("source", "html_not_json", detail)
    try:
        value = json.loads(stripped.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, Reject("source", "malformed_json", f"{type(exc).__name__}: {exc}"[:200])
    if not isinstance(value, dict):
        return None, Reject("source", "malformed_json", f"top level is {type(value).__name__}")
    return value, None


def envelope_problem(payload: dict) -> Reject | None:
    """SN0006 (signing failure) or any other non-success code, from either envelope style
    (``code``/``msg`` on search and on gateway errors, ``resultCode``/``resultMsg`` on content)."""
    if "code" in payload:
        code, msg = payload.get("code"), payload.get("msg")
    elif "resultCode" in payload:
        code, msg = payload.get("resultCode"), payload.get("resultMsg")
    else:
        return Reject("source", "missing_field", "no code/resultCode in the envelope")
    if str(code) == SIGNING_FAILURE:
        return Reject("source", "signature_sn0006", str(msg or "")[:200])
    if str(code) not in OK_CODES:
        return Reject("source", "api_error", f"{code}: {msg or ''}"[:200])
    return None


def _tid(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if text.isdigit() else None


def _issue(item: dict) -> str | None:
    labels = [str(item[k]).strip() for k in ("typeName", "domainName") if item.get(k)]
    return "；".join(labels) or None


def _base_row(tid: str, item: dict) -> dict:
    """The complaint columns both endpoints can fill from one thread/letter item."""
    fid = item.get("fid")
    return {
        "complaint_id": f"{SOURCE_ID}:{tid}", "platform": SOURCE_ID, "native_id": tid,
        "url": THREAD_URL.format(tid=tid), "title": clean_text(item.get("subject")),
        "company": clean_text(item.get("forumName")), "company_id": str(fid) if fid not in (None, "") else None,
        "issue": _issue(item), "status_raw": item.get("stateInfo") or None, "status": map_status(item.get("stateInfo")),
    }


def _payload(rec: ArchivedRecord, kind: PageKind) -> tuple[dict | None, Extraction]:
    out = Extraction(kind)
    payload, problem = read_json(rec.body, rec.header("Content-Type"))
    if problem is None:
        problem = envelope_problem(payload)
    if problem is not None:
        out.rejects.append(problem)
        return None, out
    return payload, out


def list_items(payload: dict) -> list | None:
    """The thread items of a search (``data.data``) or office list (``resultData.data``) answer."""
    for key in ("data", "resultData"):
        data = payload.get(key)
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            return data["data"]
    return None


def _parse_search(rec: ArchivedRecord) -> Extraction:
    payload, out = _payload(rec, PageKind.API)
    if payload is None:
        return out
    items = list_items(payload)
    if not isinstance(items, list):
        out.rejects.append(Reject("source", "missing_field", "data.data is not a list"))
        return out
    missing = 0
    for item in items:
        tid = _tid(item.get("tid")) if isinstance(item, dict) else None
        if tid is None:
            missing += 1
            continue
        row = _base_row(tid, item)
        row["summary"] = clean_text(item.get("content"))
        row["created_at"] = parse_time(item.get("createDateline"))
        out.add("complaints", row)
    if missing:
        out.rejects.append(Reject("source", "missing_field", f"{missing} of {len(items)} items without tid"))
    return out


def _parse_content(rec: ArchivedRecord) -> Extraction:
    payload, out = _payload(rec, PageKind.COMPLAINT)
    if payload is None:
        return out
    data = payload.get("resultData")
    items = data.get("contentList") if isinstance(data, dict) else None
    if not isinstance(items, list):
        out.rejects.append(Reject("source", "missing_field", "resultData.contentList is not a list"))
        return out
    items = [i for i in items if isinstance(i, dict)]
    letters = [i for i in items if str(i.get("dataType")) == str(LETTER)]
    tid = _tid((parse_qs(urlsplit(rec.url).query).get("tid") or [None])[0])
    if tid is None and letters:
        tid = _tid(letters[0].get("tid"))
    if tid is None:
        out.rejects.append(Reject("source", "missing_field", "no tid in the URL or the letter"))
        return out
    text = clean_text(letters[0].get("content")) if letters else None
    if not text:
        out.rejects.append(Reject("source", "no_letter", f"tid {tid}: {len(items)} items, no letter text"))
        return out
    letter = letters[0]
    letter_at = parse_time(letter.get("dateline"))
    replies = [(parse_time(i.get("dateline")), n, i) for n, i in enumerate(items) if str(i.get("dataType")) == str(REPLY)]
    # oldest first; undated replies keep their list order after the dated ones
    replies.sort(key=lambda r: (r[0] is None, r[0].timestamp() if r[0] else 0.0, r[1]))
    complaint_id = f"{SOURCE_ID}:{tid}"
    row = _base_row(tid, letter)
    row["narrative"] = text
    row["created_at"] = letter_at
    events = [{"complaint_id": complaint_id, "seq": 0, "actor": "consumer", "actor_role": "consumer",
               "status_raw": None, "event_at": letter_at, "text": text}]
    for seq, (when, _, reply) in enumerate(replies, start=1):
        events.append({"complaint_id": complaint_id, "seq": seq, "actor": clean_text(reply.get("organization")),
                       "actor_role": "official", "status_raw": None, "event_at": when,
                       "text": clean_text(reply.get("content"))})
    reply_times = [e["event_at"] for e in events[1:] if e["event_at"] is not None]
    row["updated_at"] = max(reply_times) if reply_times else None
    out.add("complaints", row)
    for event in events:
        out.add("complaint_events", event)
    out.documents.append(Document(
        doc_id=complaint_id, source=SOURCE_ID, kind="letter", url=row["url"], title=row["title"], text=text,
        published_at=letter_at, extractor=EXTRACTOR, encoding="utf-8", encoding_evidence="json",
    ))
    return out


def page_kind(url: str) -> PageKind:
    path = urlsplit(url).path
    if path in (SEARCH_PATH, LIST_PATH):
        return PageKind.API
    if path == CONTENT_PATH:
        return PageKind.COMPLAINT
    return PageKind.OTHER


@source_parser(page_kind)
def parse(record: ArchivedRecord, ctx: ParseContext) -> Extraction:
    """One archived 领导留言板 response → rows, a letter Document, or rejects with reasons."""
    if ctx.page_kind == PageKind.API:
        return _parse_search(record)
    if ctx.page_kind == PageKind.COMPLAINT:
        return _parse_content(record)
    return Extraction(ctx.page_kind)
