"""Title and publication time of a page without site rules, from the evidence the page carries.

Order of trust for the date: structured data the publisher wrote for machines (JSON-LD
``datePublished``, ``article:published_time`` and similar meta tags), then a date the page shows
next to a label (发布时间, 发表于, 时间: ...), then the first date with a time of day in the
visible text, then the first date there, then htmldate (which also reads URLs and page
structure). The time of day is kept whenever the evidence has one.

Titles: the publisher's own headline (JSON-LD ``headline``, ``og:title``, ``<h1>``) when the
``<title>`` contains it, else the ``<title>`` without its site part ("…_证券时报网", "… - 新华网"),
and never a bracketed keyword prefix ("[某某化妆品]…") that the headline does not carry.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from lendcorpus.pipelines.extract.dates import CHINA, parse_date

_TITLE_SEP = re.compile(r"\s*(?:_+|\s[-|–—·:：]\s|--+|——|－|\s\|\s|\|)\s*")
_BRACKET_PREFIX = re.compile(r"^\s*(\[[^\]]{1,20}\]|【[^】]{1,20}】)\s*")
_WS = re.compile(r"\s+")

_META_DATE_KEYS = (
    "article:published_time", "og:published_time", "og:article:published_time", "publishdate", "pubdate",
    "publish_date", "publish-date", "datepublished", "dc.date.issued", "dc.date", "sailthru.date",
    "article.published", "published_time", "og:release_date", "weibo:article:create_at", "created",
)

# dates as pages show them: 2005-04-05 06:40, 2005年4月5日 6时40分, 2005/4/5, 2005.04.05 06:40:12
_DATE_IN_TEXT = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(?:星期.|周.)?\s*(?:[（(][^)）]{0,4}[)）])?\s*(?:(上午|下午|AM|PM)\s*)?(\d{1,2})\s*[:：时点]\s*(\d{1,2})"
    r"(?:\s*[:：分]\s*(\d{1,2}))?)?", re.I)
_DATE_LABEL = re.compile(
    r"(发布时间|发表时间|发布日期|发表日期|发稿时间|时间|日期|发表于|发布于|发帖时间|更新时间|更新于|刊发时间|"
    r"published|posted|date)\s*[:：]?\s*$", re.I)


def _clean(s: str | None) -> str:
    return _WS.sub(" ", s or "").strip()


def _jsonld_objects(tree) -> list[dict]:
    out: list[dict] = []
    for node in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        try:
            data = json.loads(node.text or "")
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack:
            cur = stack.pop()
            if isinstance(cur, list):
                stack.extend(cur)
            elif isinstance(cur, dict):
                out.append(cur)
                if "@graph" in cur:
                    stack.append(cur["@graph"])
    return out


def _meta(tree) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in tree.xpath("//meta[@content]"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv") or "").strip().lower()
        if key and key not in found:
            found[key] = m.get("content") or ""
    return found


def _headline(tree, meta: dict[str, str], ld: list[dict]) -> list[str]:
    """The publisher's own headlines, most trusted first."""
    heads = [_clean(str(o.get("headline"))) for o in ld if o.get("headline")]
    for key in ("og:title", "twitter:title", "title"):
        if meta.get(key):
            heads.append(_clean(meta[key]))
    for h in tree.xpath("//h1"):
        t = _clean(h.text_content())
        if 4 <= len(t) <= 120:
            heads.append(t)
    return [h for h in heads if h]


def clean_title(title: str, headlines: list[str] = ()) -> str | None:
    """The article's title without site name parts and bracketed keyword prefixes."""
    title = _clean(title)
    trusted = False
    for h in headlines:
        if len(h) >= 4 and h in title and h != title:
            title, trusted = h, True  # the publisher's headline inside the <title>: nothing to split
            break
    if not trusted and _TITLE_SEP.search(title):
        parts = [p for p in _TITLE_SEP.split(title) if p.strip()]
        if len(parts) > 1:
            # the article's part is the longest; site names and channel names are short
            title = max(parts, key=len)
    m = _BRACKET_PREFIX.match(title)
    if m and len(title) - m.end() >= 4:
        tag = m.group(1)
        carried = any(h.startswith(tag) for h in headlines)
        if tag.startswith("[") or (headlines and not carried):
            title = title[m.end():]
    title = title.strip()
    return title or None


def page_title(tree, meta: dict[str, str] | None = None, ld: list[dict] | None = None) -> str | None:
    meta = _meta(tree) if meta is None else meta
    ld = _jsonld_objects(tree) if ld is None else ld
    heads = _headline(tree, meta, ld)
    t = tree.xpath("//title")
    raw = _clean(t[0].text_content()) if t else ""
    if not raw:
        return clean_title(heads[0], heads[1:]) if heads else None
    return clean_title(raw, heads)


def _to_dt(m: re.Match) -> datetime | None:
    y, mo, d, ampm, h, mi, s = m.groups()
    try:
        hour = int(h) if h else 0
        if ampm and ampm.upper() in ("下午", "PM") and hour < 12:
            hour += 12
        return datetime(int(y), int(mo), int(d), hour, int(mi) if mi else 0, int(s) if s else 0, tzinfo=CHINA)
    except ValueError:
        return None


def date_in_text(text: str) -> datetime | None:
    """A labelled date, else the first date with a time of day, else the first date."""
    first = first_timed = None
    for m in _DATE_IN_TEXT.finditer(text or ""):
        dt = _to_dt(m)
        if dt is None:
            continue
        if _DATE_LABEL.search(text[max(0, m.start() - 12):m.start()]):
            return dt
        first = first or dt
        if first_timed is None and m.group(5):
            first_timed = dt
    return first_timed or first


def structured_date(meta: dict[str, str], ld: list[dict]) -> datetime | None:
    for o in ld:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            if o.get(key):
                dt = parse_date(str(o[key]))
                if dt:
                    return dt
    for key in _META_DATE_KEYS:
        if meta.get(key):
            dt = parse_date(meta[key])
            if dt:
                return dt
    return None


def htmldate_date(html: str, url: str | None) -> datetime | None:
    try:
        from htmldate import find_date

        found = find_date(html, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except Exception:  # htmldate is the last resort: its failure means "no date", not a broken build
        return None
    return parse_date(found) if found else None
