"""Title and publication time of a page without site rules, from the evidence the page carries.

Order of trust for the date: structured data the publisher wrote for machines (JSON-LD
``datePublished``, ``article:published_time`` and similar meta tags), then a date the page shows
next to a label (发布时间, 发表于, 时间: ...), then the first date just after the headline, then the
first date with a time of day in the visible text, then the first date there, then htmldate
(which also reads URLs and page structure). The time of day is kept whenever the evidence has one.

Titles: the publisher's own headline (JSON-LD ``headline``, ``og:title``, ``<h1>``) when the
``<title>`` contains it, else the ``<title>`` without its site part ("…_证券时报网", "… - 新华网"),
and never a bracketed keyword prefix ("[某某化妆品]…") that the headline does not carry.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from lendcorpus.pipelines.extract.dates import CHINA, parse_date

# separators between an article title and site/channel names: "_", " - ", "|", "--", and a bare
# "-" that touches a CJK character ("标题-新华网"; never "2020-02-19" or "e-mail"; a dash "—" inside
# a Chinese title is punctuation, not a separator)
_TITLE_SEP = re.compile(r"\s*(?:_+|\s[-|–—·:：]\s|--+|－|\s\|\s|\||(?<=[\u3000-\u9fff\uff00-\uffef])-(?=\S)|"
                        r"(?<=\S)-(?=[\u3000-\u9fff\uff00-\uffef]))\s*")
_CRUMB = re.compile(r"^\s*(当前位置|您的位置|你的位置|您现在的位置|位置)\s*[:：]|^\s*首页\s*[>»/]")
_BRACKET_PREFIX = re.compile(r"^\s*(\[[^\]]{1,20}\]|【[^】]{1,20}】)\s*")
_WS = re.compile(r"\s+")
#: How far after the headline (characters of visible text) a news page prints its date.
HEADLINE_REACH = 200

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
        if 2 <= len(t) <= 120:
            heads.append(t)
    return [h for h in heads if h]


def clean_title(title: str, headlines: list[str] = ()) -> str | None:
    """The article's title without site name parts and bracketed keyword prefixes."""
    title = _clean(title)
    trusted = False
    parts = [p for p in _TITLE_SEP.split(title) if p.strip()]
    for h in headlines:
        if len(h) < 2 or h not in title or h == title:
            continue
        if title.endswith(h) and not title.startswith(h):
            # a logo heading ("<h1>新华网</h1>") that ends the <title>: the site name, cut it off
            rest = title[: -len(h)].strip(" -_|:：·—–\u3000")
            if len(rest) >= 2:
                title, trusted = rest, True
            break
        if title.startswith(h) or h not in parts:
            title, trusted = h, True  # the publisher's headline inside the <title>: nothing to split
            break
    if not trusted and _TITLE_SEP.search(title):
        parts = [p for p in _TITLE_SEP.split(title) if p.strip()]
        if len(parts) > 1:
            # the article comes first ("标题_频道_网站") unless that part is a short site name
            longest = max(parts, key=len)
            title = parts[0] if len(parts[0]) >= 0.5 * len(longest) else longest
    m = _BRACKET_PREFIX.match(title)
    if m and len(title) - m.end() >= 4:
        tag = m.group(1)
        carried = any(h.startswith(tag) for h in headlines)
        if tag.startswith("[") or (headlines and not carried):
            title = title[m.end():]
    title = title.strip()
    return title or None


def page_title(tree, meta: dict[str, str] | None = None, ld: list[dict] | None = None,
               text: str | None = None) -> str | None:
    """The page's title (see the module docstring); ``text`` is the extracted main text."""
    meta = _meta(tree) if meta is None else meta
    ld = _jsonld_objects(tree) if ld is None else ld
    heads = _headline(tree, meta, ld)
    t = tree.xpath("//title")
    raw = _clean(t[0].text_content()) if t else ""
    if not raw:
        # no <title>: a headline only if the main text starts with it, else the text's first line
        # when it reads as a heading (short, no sentence end)
        lines = [ln.strip() for ln in (text or "").split("\n") if ln.strip()][:3]
        for h in heads:
            if any(ln.startswith(h) for ln in lines):
                return clean_title(h, heads)
        if lines and len(lines[0]) <= 60 and not re.search(r"[。！？]", lines[0]) and not _CRUMB.match(lines[0]):
            return clean_title(lines[0], heads)
        return None
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


_US_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?",
                      re.I)


def _us_dt(m: re.Match) -> datetime | None:
    mo, d, y, h, mi, s, ampm = m.groups()
    hour = int(h)
    if ampm and ampm.upper() == "PM" and hour < 12:
        hour += 12
    elif ampm and ampm.upper() == "AM" and hour == 12:
        hour = 0
    try:
        return datetime(int(y), int(mo), int(d), hour, int(mi), int(s or 0), tzinfo=CHINA)
    except ValueError:
        return None


def date_in_text(text: str, title: str | None = None) -> datetime | None:
    """The date a page shows for itself, from its visible text.

    In order: a date after a label (发布时间: ...), the first date within a short stretch after
    the headline (where news pages print it), the first date with a time of day, the first date.
    Dates with a time written US-style (5/7/2005 9:23:57 PM, common on old ASP pages) count too.
    """
    text = text or ""
    after_title = -1
    if title and len(title) >= 4:
        after_title = text.find(title)
        after_title = after_title + len(title) if after_title >= 0 else -1
    found: list[tuple[int, datetime, bool]] = []  # (position, datetime, has time)
    for m in _DATE_IN_TEXT.finditer(text):
        dt = _to_dt(m)
        if dt is None:
            continue
        if _DATE_LABEL.search(text[max(0, m.start() - 12):m.start()]):
            return dt
        found.append((m.start(), dt, bool(m.group(5))))
    for m in _US_DATE.finditer(text):
        dt = _us_dt(m)
        if dt is not None:
            found.append((m.start(), dt, True))
    if not found:
        return None
    found.sort(key=lambda f: f[0])
    if after_title >= 0:
        near = [f for f in found if after_title <= f[0] <= after_title + HEADLINE_REACH]
        if near:
            return near[0][1]
    timed = [f for f in found if f[2]]
    return (timed or found)[0][1]


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
