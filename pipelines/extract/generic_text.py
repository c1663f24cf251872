"""Main text for pages without site rules: several extractors, one pick per page, then a trim.

No single extractor wins on Chinese pages. Readability (readability-lxml) keeps the whole article
block best but sometimes locks onto a caption, a menu or a disclaimer; trafilatura and
resiliparse's main-content mode rarely miss the article but keep more of the page around it.
So every page is read by readability and by resiliparse (which costs little), and:

1. readability's text stands when resiliparse's agrees with it (character-bag F1 >= ``AGREE``);
2. otherwise trafilatura reads the page too, and readability's text stands when trafilatura's
   agrees with it;
3. otherwise it still stands while it holds ``READABILITY_SHARE`` of the *prose* resiliparse
   found: characters in lines that read as sentences (``PROSE_MIN_HAN`` Han characters, or
   ``PROSE_MIN_LATIN`` letters, and sentence punctuation);
4. else the text of trafilatura or resiliparse with the higher share of prose wins (among those
   within 80% of the most prose).

Thresholds were set on the dev half of the evaluation pages only (docs/extraction.md).

The trim afterwards removes news-site furniture that every extractor keeps: a "related"
side-bar heading and what follows it, "返回…首页" links, copyright/contact footers, paging
links, and whatever trails the ``责任编辑：`` line. Per-site lines learned across many pages are
the boilerplate pass's job; this trim only knows what such lines look like anywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

#: A line counts as prose with at least this many Han characters and sentence punctuation.
PROSE_MIN_HAN = 15
#: Readability's text stands when another extractor's text agrees with it this well (char-bag F1).
AGREE = 0.9
#: Without such agreement it still stands while it holds this share of resiliparse's prose.
READABILITY_SHARE = 0.3

#: The same for alphabetic scripts (letters), so English or Japanese-kana pages are judged too.
PROSE_MIN_LATIN = 60
_LETTER = re.compile(r"[^\W\d_\u3400-\u9fff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SENTENCE = re.compile(r"[。！？；，、：」”）.!?;,]")
_WS = re.compile(r"\s+")
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_LINE_SPLIT = re.compile(r"\n|\s\|\s|^\|\s|\s\|$")

_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr table blockquote pre section article header footer "
    "dd dt dl td th figcaption figure hr center form".split()
)


def han_count(text: str) -> int:
    return len(_HAN.findall(text))


def _lines(text: str) -> list[str]:
    return [ln.strip(" \t|\u3000") for ln in _LINE_SPLIT.split(text or "")]


def prose_chars(text: str) -> int:
    """Characters in sentence-like lines: how much of a text reads as running prose.

    A line is prose with ``PROSE_MIN_HAN`` Han characters (or ``PROSE_MIN_LATIN`` letters on
    pages in alphabetic scripts) and sentence punctuation; Han characters count one each,
    letters one third (a Chinese character carries about a word).
    """
    n = 0
    for line in _lines(text):
        if not _SENTENCE.search(line):
            continue
        h = han_count(line)
        if h >= PROSE_MIN_HAN:
            n += h
        else:
            letters = len(_LETTER.findall(line))
            if letters >= PROSE_MIN_LATIN:
                n += letters // 3
    return n


def prose_share(text: str) -> float:
    total = len(_WS.sub("", text or "").replace("|", ""))
    return prose_chars(text) / total if total else 0.0


def html_to_text(fragment_tree) -> str:
    """Text of an lxml tree with a line break at every block element (lines matter downstream)."""
    parts: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style", "noscript"):
            if el.tail:
                parts.append(el.tail)
            return
        block = tag.lower() in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if el.text and tag:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(fragment_tree)
    text = "".join(parts)
    lines = (_WS.sub(" ", ln).strip() for ln in text.split("\n"))
    return "\n".join(ln for ln in lines if ln)


# --- candidates ------------------------------------------------------------------------------

def readability_text(html: str) -> str:
    from lxml import html as lh
    from readability import Document as ReadabilityDocument

    doc = ReadabilityDocument(html)
    summary = doc.summary(html_partial=True)
    if not summary or not summary.strip():
        return ""
    text = html_to_text(lh.fromstring(summary))
    m = _TITLE_TAG.search(html)
    if m and text.strip() == _WS.sub(" ", m.group(1)).strip():
        return ""  # a page without a body: readability hands back the <title>, which is not main text
    return text


def resiliparse_text(html: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    text = extract_plain_text(HTMLTree.parse(html), main_content=True, alt_texts=False, links=False,
                              list_bullets=False)
    lines = (_WS.sub(" ", ln).strip() for ln in text.split("\n"))
    return "\n".join(ln for ln in lines if ln)


def trafilatura_text(html: str, url: str | None) -> str:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, include_comments=False, include_tables=True,
                                      favor_precision=True, with_metadata=False)
    text = (doc.text if doc is not None and hasattr(doc, "text") else (doc or {}).get("text")) or ""
    # tables come back as "| a | b |" rows: keep the cells, drop the pipes
    lines = (_WS.sub(" ", " ".join(c.strip() for c in ln.split("|") if c.strip())) for ln in text.split("\n"))
    return "\n".join(ln for ln in lines if ln)


@dataclass
class Pick:
    text: str
    method: str  # readability, trafilatura, resiliparse
    prose: int


def _safe(fn, *args) -> str:
    try:
        return fn(*args) or ""
    except Exception:  # a broken page must not stop a build; the other extractors still run
        return ""


def agreement(a: str, b: str) -> float:
    """Character-bag F1 of two texts (whitespace ignored): 1.0 when they hold the same characters."""
    ca, cb = Counter(_WS.sub("", a or "")), Counter(_WS.sub("", b or ""))
    if not ca or not cb:
        return 0.0
    overlap = sum((ca & cb).values())
    return 2 * overlap / (sum(ca.values()) + sum(cb.values()))


def pick_main_text(html: str, url: str | None = None) -> Pick:
    """The main text of a page by the rule in the module docstring, trimmed; '' when none."""
    r_text = trim_furniture(_safe(readability_text, html))
    p_text = trim_furniture(_safe(resiliparse_text, html))
    r_prose, p_prose = prose_chars(r_text), prose_chars(p_text)
    if r_text and agreement(r_text, p_text) >= AGREE:
        return Pick(r_text, "readability", r_prose)
    t_text = trim_furniture(_safe(trafilatura_text, html, url))
    if r_text and agreement(r_text, t_text) >= AGREE:
        return Pick(r_text, "readability", r_prose)
    if r_text and r_prose >= READABILITY_SHARE * p_prose and (r_prose > 0 or not p_text):
        return Pick(r_text, "readability", r_prose)
    cands = [Pick(t_text, "trafilatura", prose_chars(t_text)), Pick(p_text, "resiliparse", p_prose)]
    best = max(c.prose for c in cands)
    if best == 0:
        # no prose anywhere (short posts, lists of lines): the fullest text, readability first
        cands.insert(0, Pick(r_text, "readability", r_prose))
        return max(cands, key=lambda c: len(_WS.sub("", c.text)))
    return max((c for c in cands if c.prose >= 0.8 * best), key=lambda c: prose_share(c.text))


# --- the trim --------------------------------------------------------------------------------

#: A heading after which a news page lists other stories (side-bars, "more news").
_RELATED_HEAD = re.compile(
    r"^[\s【\[<《]*(热门推荐|相关推荐|相关阅读|相关新闻|相关报道|相关文章|相关链接|推荐阅读|延伸阅读|猜你喜欢|"
    r"热点推荐|热门文章|热门新闻|精彩推荐|更多精彩|最新文章|最新新闻|为你推荐|今日推荐|图片推荐|往期回顾)"
    r"[\s】\]>》:：]*$")
#: The line that closes a news article; anything after it belongs to the page, not the story.
_EDITOR = re.compile(r"^[\(（\[【]?\s*(责任编辑|责编|编辑|审核|校对|本文编辑)\s*[:：]\s*\S{1,20}\s*[\)）\]】]?$")
#: Furniture lines that may sit anywhere: navigation, paging, copyright, contact, sharing.
_FURNITURE = re.compile(
    r"(返回.{0,12}首页|^(首页|上一页|下一页|上一篇|下一篇|打印本文|关闭窗口|发表评论|我要评论|分享到|收藏本文|"
    r"字号|发送给朋友|推荐给朋友|进入论坛|点击排行|查看评论)\b|第\s*\d+\s*页\s*/\s*共\s*\d+\s*页|"
    r"(版权所有|copyright\s*(©|\(c\))?|©\s*\d{4}|all rights reserved|ICP[备证]\s*\d|增值电信业务经营许可证|"
    r"违法和不良信息举报|联系(我们|电话)|客服电话|举报电话|投稿邮箱|e-?mail\s*[:：]))",
    re.I)
_CONTACT = re.compile(r"(电话|热线|手机|传真|tel|qq|微信)\s*[:：]?\s*[\d\-()（） ]{7,}|[\w.+-]+@[\w-]+\.[\w.]+", re.I)


def _is_furniture(line: str) -> bool:
    if len(line) > 80:
        return False
    if _FURNITURE.search(line):
        return True
    # a short line that is mostly a phone number or e-mail address is a footer
    return bool(_CONTACT.search(line)) and han_count(line) <= 20


def trim_furniture(text: str) -> str:
    """Drop furniture lines; cut at a late "related" heading and after the editor line."""
    lines = [ln for ln in (text or "").split("\n") if ln.strip()]
    if not lines:
        return ""
    total = sum(han_count(ln) for ln in lines) or 1
    seen = 0
    out: list[str] = []
    for ln in lines:
        s = ln.strip()
        if seen >= 0.5 * total and _RELATED_HEAD.match(s):
            break  # the story is over; a list of other stories follows
        if _is_furniture(s):
            continue
        out.append(ln)
        seen += han_count(s)
        if seen >= 0.5 * total and _EDITOR.match(s):
            break
    return "\n".join(out)
