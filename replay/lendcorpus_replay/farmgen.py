"""Generate the content-farm replay fixture ``www.jiedai-baike.example`` (借貸百科).

Why this exists: none of the real content farms can be reached, so the rule-driven spider, the
extractor and the later boilerplate/dedup passes are tested against an offline site that has the
shape and the damage of the seeds (``../shared/seeds``): Traditional text, inline pinyin
annotations (``現(xiàn)``), spun copies, Simplified copies, farm template text inside the content
container, a publisher contact footer, and pages that break naive crawlers (charset liar, 404,
500, empty body, body-less HTML, a slow page, a redirect, a robots-disallowed page).

Everything is a pure function of ``seed`` (``random.Random`` with string seeds, fixed dates, sorted
iteration), so ``python -m lendcorpus_replay.farmgen`` rebuilds the committed site byte for
byte, and ``n_extra`` grows the site with spun/recombined articles for benchmarks. Output bytes also
depend on the installed OpenCC and pypinyin tables; the committed fixture was made with OpenCC 1.4.2
and pypinyin 0.55.0 (a table change shows up as a failing reproducibility test: regenerate).

Where the farm template lands (decided from the seeds, whose extracted text carries it):

* inside ``div.content`` -- the empty ``精彩評論`` comment widget (seeds 000/001 start with it), the
  ``小編導語`` marker before the first paragraph, the ``小編總結`` marker before the last one, an ad
  ``<script>``, an inline ``<style>``, the ``div.share`` bar, and ``div.footer`` with
  ``內容侵權、刪帖舉報聯系方式:<phone> <qq email>`` + ``投訴`` (seeds 002/003 end with it). The
  rules drop only ``div.share``/``script``/``style``; the marker and footer lines reach the
  documents on purpose, for the corpus-wide boilerplate pass to remove.
* outside it -- nav, breadcrumb, title, date line, the ``相關內容`` list of links to other
  articles, previous/next links, the hot-articles sidebar and the copyright line.

Site folder format: see ``replay/lendcorpus_replay/server.py`` (one file per URL path, ``_routes.toml`` for
special behaviours, ``_``-files never served). ``_manifest.json`` labels every article page with its
base text and variant kinds so dedup evaluation can label pairs.
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import random
import re
import shutil
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import opencc
from pypinyin import Style, pinyin

HOST = "www.jiedai-baike.example"
SITE_NAME = "借貸百科"
HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "farm_corpus"
SITES_DIR = HERE / "sites"
#: The seed articles next to the checkout (``<checkout>/../shared/seeds``), when present.
SHARED_SEEDS_DIR = HERE.parent.parent.parent / "shared" / "seeds"

#: Invented publisher contact that replaces the seeds' real one everywhere (clearly fake).
INVENTED_PHONE = "13900001234"
INVENTED_QQ = "10001234@qq.com"

PER_LIST_PAGE = 10
MEMBER_PATH = "/member/login.html"
FIRST_ID = 1001

#: One inline annotation: a Han character followed by ``(pinyin with tone marks)``.
PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
ANNOTATION_RE = re.compile(rf"([\u3400-\u9fff])\(([{PINYIN_LETTERS}]+)\)")
_PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_QQ_RE = re.compile(r"(?<![\w.])\d{5,12}@qq\.com", re.IGNORECASE)

Block = tuple[str, str]  # (kind, text); kind is "p", "h2", "h3" or "hr"


# --------------------------------------------------------------------------- text helpers


@functools.lru_cache(maxsize=8)
def _cc(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@functools.lru_cache(maxsize=None)
def _readings(ch: str) -> frozenset[str]:
    got = pinyin(ch, style=Style.TONE, heteronym=True, errors="ignore")
    return frozenset(got[0]) if got else frozenset()


@functools.lru_cache(maxsize=None)
def _default_reading(ch: str) -> str | None:
    got = pinyin(ch, style=Style.TONE, heteronym=False, errors="ignore")
    return got[0][0] if got and got[0] else None


@functools.lru_cache(maxsize=None)
def _char_info(ch: str, config: str) -> tuple[str | None, bool]:
    """(default reading, written differently after ``config``) of one character."""
    return _default_reading(ch), _cc(config).convert(ch) != ch


def is_valid_annotation(ch: str, reading: str) -> bool:
    """True when ``reading`` is one of pypinyin's readings of ``ch`` (any heteronym)."""
    return reading in _readings(ch)


def strip_pinyin(text: str) -> str:
    """Remove inline annotations that are real readings; keep legit parentheses."""
    if "(" not in text:
        return text
    return ANNOTATION_RE.sub(
        lambda m: m.group(1) if is_valid_annotation(m.group(1), m.group(2)) else m.group(0), text
    )


def _drop_invalid_annotations(text: str) -> str:
    # Script conversion can turn an annotated character into one with other readings.
    if "(" not in text:
        return text
    return ANNOTATION_RE.sub(
        lambda m: m.group(0) if is_valid_annotation(m.group(1), m.group(2)) else m.group(1), text
    )


def sanitize_contacts(text: str) -> str:
    """Replace phone numbers and QQ mail addresses with the invented publisher contact."""
    return _QQ_RE.sub(INVENTED_QQ, _PHONE_RE.sub(INVENTED_PHONE, text))


def _norm(line: str) -> str:
    """Comparison key for template markers: no annotations, Simplified, no spaces."""
    return _cc("t2s").convert(strip_pinyin(line)).replace(" ", "").strip()


# --------------------------------------------------------------------------- articles


@dataclass(frozen=True)
class Article:
    """One article as the farm stores it: template markers kept apart from the text blocks."""

    key: str
    title: str
    script: str  # "hant" | "hans"
    topic: str
    comments: str  # 精彩評論 widget heading
    intro_head: str  # 小編導語 marker
    intro: tuple[Block, ...]
    body: tuple[Block, ...]
    summary_head: str  # 小編總結 marker (may be numbered, as in seed 003)
    summary: tuple[Block, ...]
    tail: tuple[Block, ...]  # text after the summary that belongs to the article (seed 003's 相關內容)
    footer: str  # 內容侵權、刪帖舉報聯系方式:... line
    footer_tail: str  # 投訴

    def content_texts(self) -> list[str]:
        """Every text that goes inside div.content, template lines included."""
        out = [self.comments, self.intro_head, self.summary_head, self.footer, self.footer_tail]
        for blocks in (self.intro, self.body, self.summary, self.tail):
            out.extend(t for _, t in blocks)
        return out

    def map_text(self, fn, *, title: bool = True) -> Article:
        """Apply ``fn`` to every text (markers and footer included)."""

        def blocks(bs: tuple[Block, ...]) -> tuple[Block, ...]:
            return tuple((k, fn(t)) for k, t in bs)

        return replace(
            self,
            title=fn(self.title) if title else self.title,
            comments=fn(self.comments),
            intro_head=fn(self.intro_head),
            intro=blocks(self.intro),
            body=blocks(self.body),
            summary_head=fn(self.summary_head),
            summary=blocks(self.summary),
            tail=blocks(self.tail),
            footer=fn(self.footer),
            footer_tail=fn(self.footer_tail),
        )

    @property
    def has_pinyin(self) -> bool:
        return any(ANNOTATION_RE.search(t) for t in self.content_texts())


_HEAD_NUM_RE = re.compile(r"^[一二三四五六七八九十]+、")
_LIST_ITEM_RE = re.compile(r"^\d+\.\s")
_SUMMARY_RE = re.compile(r"^(?:[一二三四五六七八九十]+、)?小编总结$")


def _classify(line: str) -> Block:
    if line.strip() == "---":
        return ("hr", "")
    plain = strip_pinyin(line)
    if _HEAD_NUM_RE.match(plain) and len(plain) <= 30:
        return ("h2", line)
    if len(plain) <= 30 and not _LIST_ITEM_RE.match(plain) and not plain.endswith(("。", "，", "；", "：", ":")):
        return ("h3", line)
    return ("p", line)


def _template_line(text_hant: str, script: str) -> str:
    return _cc("t2s").convert(text_hant) if script == "hans" else text_hant


def parse_article(text: str, *, key: str, title: str, script: str, topic: str) -> Article:
    """Split a stored content-area text into template markers and blocks, then fill the farm
    template where the source lacks a part (every page of one farm carries the same template)."""
    comments = intro_head = summary_head = footer = footer_tail = ""
    intro: list[Block] = []
    body: list[Block] = []
    summary: list[Block] = []
    tail: list[Block] = []
    state = "body"
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        n = _norm(line)
        if not comments and not body and not intro_head and n == "精彩评论":
            comments = line
        elif n == "小编导语" and not intro_head:
            intro_head, state = line, "intro"
        elif _SUMMARY_RE.match(n) and not summary_head:
            summary_head, state = line, "summary"
        elif "举报联系方式" in n:
            footer, state = line, "footer"
        elif state == "footer" and n == "投诉":
            footer_tail = line
        elif state == "intro":
            intro.append(_classify(line))
            state = "body"
        elif state in ("summary", "tail") and n == "相关内容":
            tail.append(_classify(line))
            state = "tail"
        elif state == "summary":
            summary.append(_classify(line))
        elif state == "tail":
            tail.append(_classify(line))
        else:
            body.append(_classify(line))
    if not comments:
        comments = _template_line("精彩評論", script)
    if not intro_head:
        intro_head = _template_line("小編導語", script)
        if not intro and body and body[0][0] == "p":
            intro.append(body.pop(0))
    if not summary_head:
        summary_head = _template_line("小編總結", script)
        if not summary and body and body[-1][0] == "p":
            summary.append(body.pop())
    if not footer:
        footer = _template_line(f"內容侵權、刪帖舉報聯系方式:{INVENTED_PHONE} {INVENTED_QQ}", script)
    if not footer_tail:
        footer_tail = _template_line("投訴", script)
    return Article(
        key=key, title=title, script=script, topic=topic, comments=comments,
        intro_head=intro_head, intro=tuple(intro), body=tuple(body), summary_head=summary_head,
        summary=tuple(summary), tail=tuple(tail), footer=footer, footer_tail=footer_tail,
    )


@dataclass(frozen=True)
class Source:
    key: str
    file: str
    seed_file: str
    script: str
    topic: str
    title: str


def load_sources(corpus_dir: Path = CORPUS_DIR) -> list[Source]:
    """The article list of ``articles.toml`` (order matters: it fixes the random draws)."""
    data = tomllib.loads((corpus_dir / "articles.toml").read_text(encoding="utf-8"))
    return [
        Source(a["key"], a["file"], a.get("seed_file", ""), a["script"], a["topic"], a["title"])
        for a in data["article"]
    ]


def read_source_text(src: Source, corpus_dir: Path = CORPUS_DIR, seeds_dir: Path | None = None) -> str:
    """A source's text; seeds come from ``seeds_dir`` (sanitized) when given, else the corpus."""
    if seeds_dir is not None and src.seed_file:
        return sanitize_contacts((seeds_dir / src.seed_file).read_text(encoding="utf-8"))
    return (corpus_dir / src.file).read_text(encoding="utf-8")


def refresh_corpus_seeds(seeds_dir: Path, corpus_dir: Path = CORPUS_DIR) -> list[Path]:
    """Rewrite the corpus copies of the seeds from ``seeds_dir`` with the invented contact."""
    written = []
    for src in load_sources(corpus_dir):
        if src.seed_file:
            path = corpus_dir / src.file
            path.write_bytes(read_source_text(src, corpus_dir, seeds_dir).encode("utf-8"))
            written.append(path)
    return written


# --------------------------------------------------------------------------- variants

_SPIN_PAIRS = (
    ("重要", "必不可少"), ("我們", "咱們"), ("第一步", "之一步"), ("問題", "疑惑"), ("影響", "作用"),
    ("方式", "辦法"), ("如果", "假使"), ("導致", "致使"), ("需要", "須要"), ("注意", "留意"),
    ("根據", "依據"), ("處理", "解決"), ("進行", "實施"), ("了解", "熟悉"), ("降低", "減低"),
    ("可能", "也許"), ("主要", "首要"), ("採取", "採納"), ("幫助", "協助"), ("一般", "通常"),
)
_TITLE_DECOR = ("", "（最新）", "，看完你就懂了", "？這些要點要知道", "【2024】", "（附處理辦法）", "，一文看懂")


@functools.lru_cache(maxsize=2)
def _spin_table(script: str) -> tuple[dict[str, str], re.Pattern]:
    table: dict[str, str] = {}
    for a, b in _SPIN_PAIRS:
        a, b = _template_line(a, script), _template_line(b, script)
        table.setdefault(a, b)
        table.setdefault(b, a)
    words = sorted(table, key=lambda w: (-len(w), w))
    return table, re.compile("|".join(map(re.escape, words)))


def _spin_text(text: str, script: str, rng: random.Random, p: float) -> str:
    table, rx = _spin_table(script)
    return rx.sub(lambda m: table[m.group(0)] if rng.random() < p else m.group(0), text)


def spin(a: Article, rng: random.Random) -> Article:
    """Synonym swaps both ways (重要↔必不可少, 我們↔咱們 ...) and a dropped/swapped paragraph,
    the way farms respin a copied article; annotations are removed first (farms spin clean text)."""
    a = _unannotated(a)
    p = rng.uniform(0.45, 0.85)
    body = [(k, _spin_text(t, a.script, rng, p)) for k, t in a.body]
    paras = [i for i, (k, _) in enumerate(body) if k == "p"]
    if len(paras) >= 6 and rng.random() < 0.6:
        del body[rng.choice(paras[1:-1])]
    pairs = [i for i in range(len(body) - 1) if body[i][0] == "p" and body[i + 1][0] == "p"]
    if len(pairs) >= 2 and rng.random() < 0.6:
        i = rng.choice(pairs)
        body[i], body[i + 1] = body[i + 1], body[i]
    decor = _template_line(rng.choice(_TITLE_DECOR), a.script)
    title = _spin_text(a.title, a.script, rng, 0.9)
    title = title.rstrip("？?") + decor if decor.startswith(("？", "，")) else title + decor
    return replace(
        a,
        title=title,
        intro=tuple((k, _spin_text(t, a.script, rng, p)) for k, t in a.intro),
        body=tuple(body),
        summary=tuple((k, _spin_text(t, a.script, rng, p)) for k, t in a.summary),
    )


@functools.lru_cache(maxsize=256)
def _unannotated(a: Article) -> Article:
    # Cached: extra articles strip the same base articles thousands of times.
    return a.map_text(strip_pinyin)


@functools.lru_cache(maxsize=256)
def convert_script(a: Article, script: str) -> Article:
    """OpenCC t2s (or s2tw) over everything, annotations kept where still valid."""
    if script == a.script:
        return a
    conv = _cc("t2s") if script == "hans" else _cc("s2tw")
    texts = [a.title, *a.content_texts()]
    # One OpenCC call per article (texts never hold a newline, which also stops phrase matching).
    converted = dict(zip(texts, conv.convert("\n".join(texts)).split("\n")))
    a = a.map_text(lambda t: _drop_invalid_annotations(converted[t]))
    return replace(a, script=script)


def annotate(a: Article, rng: random.Random) -> Article:
    """Add ``字(zì)`` annotations the way the seeds have them: a random set of characters (those
    written differently in the other script first) whose every occurrence is annotated, chosen
    so that 10-20% of the Han characters in the content area carry a reading."""
    a = _unannotated(a)
    counts = {c: k for c, k in Counter("".join(a.content_texts())).items() if "\u4e00" <= c <= "\u9fff"}
    total = sum(counts.values())
    lo, hi = 0.10 * total, 0.20 * total
    target = rng.uniform(lo, hi)
    other = "t2s" if a.script == "hant" else "s2t"
    preferred: list[str] = []
    rest: list[str] = []
    for c in sorted(counts):
        reading, differs = _char_info(c, other)
        if reading:
            (preferred if differs else rest).append(c)
    chosen: list[str] = []
    n = 0
    for pool in (preferred, rest):
        rng.shuffle(pool)
        for c in pool:
            if n >= target:
                break
            if n + counts[c] <= hi:
                chosen.append(c)
                n += counts[c]
        if n >= lo:
            break
    if not chosen:
        return a
    table = {ord(c): f"{c}({_default_reading(c)})" for c in chosen}
    return a.map_text(lambda t: t.translate(table), title=False)


def rewrap(a: Article, rng: random.Random) -> Article:
    """Move paragraph boundaries (merge short neighbours, split long ones at a 。) -- the same
    text wrapped differently, as when a farm re-imports an article."""
    out: list[Block] = []
    body = a.body
    i = 0
    while i < len(body):
        k, t = body[i]
        if (
            k == "p" and i + 1 < len(body) and body[i + 1][0] == "p"
            and len(t) + len(body[i + 1][1]) < 420 and rng.random() < 0.5
        ):
            out.append(("p", t + body[i + 1][1]))
            i += 2
            continue
        if k == "p" and len(t) > 150 and rng.random() < 0.7:
            stops = [j + 1 for j, ch in enumerate(t[:-1]) if ch == "。"]
            if stops:
                cut = min(stops, key=lambda j: (abs(j - len(t) // 2), j))
                out.extend((("p", t[:cut]), ("p", t[cut:])))
                i += 1
                continue
        out.append((k, t))
        i += 1
    return replace(a, body=tuple(out))


def recombine(a: Article, other: Article, rng: random.Random) -> Article:
    """Insert one or two paragraphs of another article (farm 'pseudo-original' mixing)."""
    donor = [t for k, t in convert_script(_unannotated(other), a.script).body if k == "p"]
    if not donor:
        return a
    a = _unannotated(a)
    body = list(a.body)
    for t in rng.sample(donor, min(len(donor), rng.randint(1, 2))):
        body.insert(rng.randint(1, max(1, len(body))), ("p", t))
    return replace(a, body=tuple(body))


def make_variant(
    base: Article, transforms: tuple[str, ...], rng: random.Random, donor: Article | None = None
) -> tuple[Article, list[str]]:
    """Apply transforms in a fixed order; return the article and its manifest kinds."""
    a = base
    kinds: list[str] = []
    if "unpinyin" in transforms:
        a = _unannotated(a)
    # Script conversion first: it is cached per base article, which keeps n_extra=5000 fast.
    if "simplified" in transforms:
        a = convert_script(a, "hans")
        kinds.append("simplified")
    if "traditional" in transforms:
        a = convert_script(a, "hant")
        kinds.append("traditional")
    if "spin" in transforms:
        a = spin(a, rng)
        kinds.append("spun")
    if "recombine" in transforms and donor is not None:
        a = recombine(a, donor, rng)
        kinds.append("recombined")
    if "rewrap" in transforms:
        a = rewrap(a, rng)
        kinds.append("rewrapped")
    if "pinyin" in transforms:
        a = annotate(a, rng)
        kinds.append("pinyin")
    if base.has_pinyin and not a.has_pinyin:
        kinds.append("unpinyin")
    return a, kinds


# --------------------------------------------------------------------------- the demo plan

#: (base key, transforms, special) for the committed demo site, before the seeded shuffle.
DEMO_PLAN: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    # the four seeds as they are (000, 002, 003 carry pinyin annotations, 001 does not)
    ("seed000", (), None),
    ("seed001", (), None),
    ("seed002", (), None),
    ("seed003", (), None),
    # spun copies of the seeds
    ("seed000", ("spin", "pinyin"), None),
    ("seed000", ("spin",), None),
    ("seed001", ("spin",), None),
    ("seed001", ("spin", "pinyin"), None),
    ("seed002", ("spin", "rewrap", "pinyin"), None),
    ("seed003", ("spin",), None),
    # Simplified copies, and copies with annotations added or removed
    ("seed000", ("simplified",), None),
    ("seed001", ("simplified",), None),
    ("seed002", ("unpinyin", "simplified"), None),
    ("seed003", ("spin", "simplified"), None),
    ("seed001", ("pinyin",), None),
    ("seed003", ("unpinyin",), None),
    # the team's own articles, as written (some Traditional, some Simplified)
    ("xincheng_qisu", (), None),
    ("xincheng_xieshang", (), None),
    ("xincheng_tongxunlu", (), None),
    ("xinyongfei_benjin", (), None),
    ("zhengxin_yuqi", (), None),
    ("bao_tongxunlu", (), None),
    ("jinji_lianxiren", (), None),
    ("baoli_cuishou", (), None),
    ("shangmen_qisu", (), None),
    ("yidai_yangdai", (), None),
    ("danwei_dianhua", (), None),
    ("gexinghua_fenqi", (), None),
    # variants of the team's articles
    ("xincheng_qisu", ("spin",), None),
    ("xincheng_qisu", ("spin", "simplified"), None),
    ("xincheng_xieshang", ("traditional",), None),
    ("xincheng_tongxunlu", ("pinyin",), None),
    ("zhengxin_yuqi", ("spin", "pinyin"), None),
    ("jinji_lianxiren", ("rewrap",), None),
    # special pages (see SPECIAL_KINDS); the liar and the slow page have real article content
    ("xincheng_tongxunlu", ("simplified",), "charset_liar"),
    ("shangmen_qisu", ("spin",), "slow"),
    ("xinyongfei_benjin", ("spin",), "not_found"),
    ("zhengxin_yuqi", ("spin",), "server_error"),
    ("baoli_cuishou", ("spin",), "empty_body"),
    ("yidai_yangdai", ("spin",), "no_body"),
    ("seed000", (), "redirect"),
    ("xincheng_xieshang", ("spin", "simplified"), "robots_article"),
)

#: special kind -> what it tests
SPECIAL_KINDS = {
    "charset_liar": "GB18030 bytes served as 'text/html; charset=utf-8' with <meta charset=\"utf-8\">",
    "slow": "answers after 30 s (delay = 30); linked only from the last list page",
    "not_found": "linked article whose URL answers 404",
    "server_error": "linked article whose URL answers 500",
    "empty_body": "200 with an empty body",
    "no_body": "200 with <html><head><title>x</title></head></html>",
    "redirect": "301 to an existing article",
    "robots_article": "a real article whose path robots.txt disallows; an obeying crawler never fetches it",
}
#: Specials whose page is an article document (they are in "articles" too).
_CONTENT_SPECIALS = ("charset_liar", "slow", "robots_article")

_SOURCES = ("網絡整理", "借貸百科", "互聯網", "投稿")
_AUTHORS = ("小編", "admin", "佚名", "編輯部")
_START = datetime(2024, 3, 4, 8, 17)

_NOT_FOUND_BODY = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_SERVER_ERROR_BODY = (
    "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 "
    "Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
NO_BODY_HTML = "<html><head><title>x</title></head></html>"


@dataclass
class Page:
    """One listed URL of the site: an article variant, or a special page posing as one."""

    id: int
    base: str
    kinds: list[str]
    article: Article
    special: str | None
    date: datetime
    source: str
    author: str
    recombined_from: str | None = None
    related: tuple[int, ...] = ()

    @property
    def path(self) -> str:
        return f"/a/{self.id}.html"

    @property
    def has_content(self) -> bool:
        return self.special is None or self.special in _CONTENT_SPECIALS


# --------------------------------------------------------------------------- HTML


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _a(text: str) -> str:
    return html.escape(text, quote=True)


def _excerpt(a: Article, n: int = 68) -> str:
    text = strip_pinyin("".join(t for _, t in a.intro) or "".join(t for _, t in a.body[:1]))
    return text[:n] + ("…" if len(text) > n else "")


def _head(title: str, keywords: str, description: str, *, html5_meta: bool = False) -> list[str]:
    meta = (
        '<meta charset="utf-8">'
        if html5_meta
        else '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />'
    )
    return [
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml">',
        "<head>",
        meta,
        f"<title>{_e(title)}</title>",
        f'<meta name="keywords" content="{_a(keywords)}" />',
        f'<meta name="description" content="{_a(description)}" />',
        '<link href="/skin/css/style.css" rel="stylesheet" type="text/css" />',
        '<script type="text/javascript" src="/skin/js/jquery.min.js"></script>',
        "</head>",
        "<body>",
        '<div class="topbar"><div class="wrap"><span>歡迎來到借貸百科，專注網貸逾期、協商還款知識分享！</span>'
        f'<a href="{MEMBER_PATH}" rel="nofollow">會員登錄</a></div></div>',
        f'<div class="header"><div class="wrap"><a class="logo" href="/" title="{SITE_NAME}">{SITE_NAME}</a>'
        '<span class="slogan">網貸逾期 · 催收應對 · 協商還款</span></div></div>',
        '<div class="nav"><ul><li><a href="/">首頁</a></li><li><a href="/list_2.html">最新文章</a></li>'
        '<li><a href="/sitemap.xml">網站地圖</a></li></ul></div>',
        '<div class="main wrap">',
    ]


def _tail(sidebar: list[str], host: str) -> list[str]:
    return [
        *sidebar,
        "</div>",
        '<div class="copyright"><p>Copyright © 2018-2024 借貸百科 版權所有</p>'
        "<p>本站部分內容來源於網絡，僅供參考，不構成任何投資或借貸建議。如有侵權請聯系刪除。</p>"
        f'<p>{_e(host)} <a href="/sitemap.xml">網站地圖</a></p></div>',
        '<script type="text/javascript">var _hmt = _hmt || [];</script>',
        "</body>",
        "</html>",
        "",
    ]


def _sidebar(hot: list[Page]) -> list[str]:
    items = "".join(f'<li><a href="{p.path}" title="{_a(p.article.title)}">{_e(p.article.title)}</a></li>' for p in hot)
    return [
        '<div class="sidebar">',
        f'<div class="box"><h3>熱門文章</h3><ul class="hot">{items}</ul></div>',
        '<div class="box"><h3>熱門標籤</h3><p class="tags"><span>網貸逾期</span> <span>催收</span> '
        "<span>協商還款</span> <span>徵信</span> <span>通訊錄</span> <span>新橙分期</span></p></div>",
        "</div>",
    ]


def _blocks_html(blocks: tuple[Block, ...]) -> list[str]:
    out = []
    for kind, text in blocks:
        if kind == "hr":
            out.append("<hr />")
        elif kind in ("h2", "h3"):
            out.append(f"<{kind}>{_e(text)}</{kind}>")
        else:
            out.append(f"<p>{_e(text)}</p>")
    return out


def render_article(
    page: Page, by_id: dict[int, Page], prev_next: tuple[Page | None, Page | None], hot: list[Page], host: str
) -> str:
    """An article page: farm chrome around div.content, which carries the template lines."""
    a = page.article
    keywords = f"{a.topic},網貸逾期,催收,協商還款"
    lines = _head(f"{a.title}_{SITE_NAME}", keywords, _excerpt(a, 90), html5_meta=page.special == "charset_liar")
    related = "".join(
        f'<li><a href="{by_id[r].path}" title="{_a(by_id[r].article.title)}">{_e(by_id[r].article.title)}</a></li>'
        for r in page.related
    )
    prev, nxt = prev_next
    lines += [
        '<div class="left">',
        '<div class="position">當前位置：<a href="/">首頁</a> &gt; 網貸知識 &gt; 正文</div>',
        '<div class="article">',
        f'<h1 class="title">{_e(a.title)}</h1>',
        f'<div class="info"><span class="date">{page.date:%Y-%m-%d %H:%M}</span> '
        f'<span class="source">來源：{_e(page.source)}</span> <span class="author">作者：{_e(page.author)}</span> '
        f'<span class="hits">閱讀：<script type="text/javascript" src="/plus/count.js?aid={page.id}"></script></span></div>',
        '<div class="content">',
        '<style type="text/css">.content p{text-indent:2em;line-height:1.9em;}</style>',
        f'<div class="pinglun"><h3>{_e(a.comments)}</h3><ul class="pl-list"></ul></div>',
        f'<p class="daoyu"><strong>{_e(a.intro_head)}</strong></p>',
        *_blocks_html(a.intro),
        '<script type="text/javascript">var cpro_id = "u0000000";</script>',
        *_blocks_html(a.body),
        f'<p class="zongjie"><strong>{_e(a.summary_head)}</strong></p>',
        *_blocks_html(a.summary),
        *_blocks_html(a.tail),
        '<div class="share">分享到：<a href="javascript:void(0);">微信</a> <a href="javascript:void(0);">QQ空間</a> '
        '<a href="javascript:void(0);">新浪微博</a></div>',
        f'<div class="footer"><p>{_e(a.footer)}</p><p><a href="{MEMBER_PATH}" rel="nofollow">{_e(a.footer_tail)}</a></p></div>',
        "</div>",
        f'<div class="related"><h3>相關內容</h3><ul>{related}</ul></div>',
        '<div class="prenext">'
        + (f'<p>上一篇：<a href="{prev.path}">{_e(prev.article.title)}</a></p>' if prev else "<p>上一篇：沒有了</p>")
        + (f'<p>下一篇：<a href="{nxt.path}">{_e(nxt.article.title)}</a></p>' if nxt else "<p>下一篇：沒有了</p>")
        + "</div>",
        "</div>",
        "</div>",
    ]
    return "\n".join(lines + _tail(_sidebar(hot), host))


def _list_path(n: int) -> str:
    return "/" if n == 1 else f"/list_{n}.html"


def render_list(n: int, n_pages: int, entries: list[Page], hot: list[Page], host: str) -> str:
    """List page ``n`` (1 = the index): ten entries newest first, windowed pagination."""
    title = SITE_NAME + ("_網貸逾期、催收應對、協商還款知識" if n == 1 else f"_最新文章_第{n}頁")
    lines = _head(title, "網貸逾期,催收,協商還款,通訊錄,徵信", "借貸百科分享網貸逾期處理、催收應對、協商還款等知識。")
    lines += ['<div class="left">', '<div class="list-box">', f"<h2>最新文章{'' if n == 1 else f'（第{n}頁）'}</h2>", '<ul class="list">']
    for p in entries:
        lines.append(
            f'<li><h3><a href="{p.path}" target="_blank" title="{_a(p.article.title)}">{_e(p.article.title)}</a></h3>'
            f'<p class="intro">{_e(_excerpt(p.article))}</p><span class="time">{p.date:%Y-%m-%d}</span></li>'
        )
    lines.append("</ul>")
    nav = ['<a href="/">首頁</a>']
    if n > 1:
        nav.append(f'<a href="{_list_path(n - 1)}">上一頁</a>')
    first = max(1, min(n - 4, n_pages - 9))
    for k in range(first, min(n_pages, first + 9) + 1):
        nav.append(f'<span class="current">{k}</span>' if k == n else f'<a href="{_list_path(k)}">{k}</a>')
    if n < n_pages:
        nav.append(f'<a href="{_list_path(n + 1)}">下一頁</a>')
    nav.append(f'<a href="{_list_path(n_pages)}">尾頁</a>')
    lines += [f'<div class="pages">{"".join(nav)}</div>', "</div>", "</div>"]
    return "\n".join(lines + _tail(_sidebar(hot), host))


def render_member(host: str) -> str:
    """The robots-disallowed login page (it exists, so a crawler that ignores robots gets a 200)."""
    lines = _head(f"會員登錄_{SITE_NAME}", "會員登錄", "借貸百科會員登錄")
    lines += [
        '<div class="left"><div class="login">',
        '<h2>會員登錄</h2>',
        '<form action="/member/index.php" method="post"><p>用戶名：<input type="text" name="userid" /></p>'
        '<p>密碼：<input type="password" name="pwd" /></p><p><input type="submit" value="登錄" /></p></form>',
        "</div></div>",
    ]
    return "\n".join(lines + _tail([], host))


def _toml(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


# --------------------------------------------------------------------------- the site


def _load_articles(corpus_dir: Path, seeds_dir: Path | None) -> dict[str, Article]:
    arts = {}
    for src in load_sources(corpus_dir):
        text = read_source_text(src, corpus_dir, seeds_dir)
        arts[src.key] = parse_article(text, key=src.key, title=src.title, script=src.script, topic=src.topic)
    return arts


def _plan_pages(arts: dict[str, Article], n_extra: int, seed: int) -> list[Page]:
    rng = random.Random(f"farm:{seed}:plan")
    plan = list(DEMO_PLAN)
    rng.shuffle(plan)
    # The slow page goes oldest, so it sits on the last list page (lists are newest first).
    slow = next(i for i, e in enumerate(plan) if e[2] == "slow")
    plan.insert(0, plan.pop(slow))
    pages: list[Page] = []
    when = _START
    for i, (key, transforms, special) in enumerate(plan):
        pid = FIRST_ID + i
        prng = random.Random(f"farm:{seed}:page:{pid}")
        art, kinds = make_variant(arts[key], transforms, prng)
        if not transforms:
            kinds = ["seed" if key.startswith("seed") else "original"]
        when += timedelta(minutes=rng.randint(150, 2300))
        pages.append(Page(pid, key, kinds, art, special, when, prng.choice(_SOURCES), prng.choice(_AUTHORS)))
    keys = sorted(arts)
    for i in range(n_extra):
        pid = FIRST_ID + len(plan) + i
        erng = random.Random(f"farm:{seed}:extra:{i}")
        key = erng.choice(keys)
        base = arts[key]
        transforms = ["spin"] if erng.random() < 0.85 else []
        donor = None
        if erng.random() < 0.25:
            donor = arts[erng.choice([k for k in keys if k != key])]
            transforms.append("recombine")
        if erng.random() < 0.3:
            transforms.append("simplified" if base.script == "hant" else "traditional")
        if erng.random() < 0.2:
            transforms.append("rewrap")
        if erng.random() < 0.35:
            transforms.append("pinyin")
        art, kinds = make_variant(base, tuple(transforms), erng, donor)
        if not kinds:
            kinds = ["copy"]
        when += timedelta(minutes=erng.randint(20, 240))
        pages.append(
            Page(pid, key, kinds, art, None, when, erng.choice(_SOURCES), erng.choice(_AUTHORS),
                 recombined_from=donor.key if donor else None)
        )
    # related links: other ordinary articles, demo pages pointing only to demo pages
    n_demo = len(plan)
    demo_pool = [p.id for p in pages[:n_demo] if p.special is None]
    all_pool = [p.id for p in pages if p.special is None]
    for idx, p in enumerate(pages):
        if not p.has_content:
            continue
        pool = demo_pool if idx < n_demo else all_pool
        prng = random.Random(f"farm:{seed}:related:{p.id}")
        p.related = tuple(sorted([x for x in prng.sample(pool, 6) if x != p.id][:5]))
    return pages


def generate_farm_site(
    out_dir: Path,
    *,
    host: str,
    n_extra: int = 0,
    seed: int = 0,
    seeds_dir: Path | None = None,
    corpus_dir: Path = CORPUS_DIR,
    clean: bool = False,
) -> dict:
    """Write a replay site folder for a content farm at ``host`` and return a summary.

    Deterministic from ``seed``; ``n_extra`` appends spun/recombined articles (benchmarks).
    ``seeds_dir``: read the four seeds from there (contacts replaced) instead of the corpus copies.
    ``clean``: remove ``out_dir`` first -- only if it is empty or holds a generated site.
    """
    out_dir = Path(out_dir)
    if clean and out_dir.exists():
        if any(out_dir.iterdir()) and not (out_dir / "_manifest.json").is_file():
            raise ValueError(f"{out_dir} is not a generated farm site; refusing to delete it")
        shutil.rmtree(out_dir)
    (out_dir / "a").mkdir(parents=True, exist_ok=True)
    (out_dir / "member").mkdir(parents=True, exist_ok=True)

    arts = _load_articles(corpus_dir, seeds_dir)
    pages = _plan_pages(arts, n_extra, seed)
    by_id = {p.id: p for p in pages}
    site_rng = random.Random(f"farm:{seed}:site")
    normal_demo = [p for p in pages[: len(DEMO_PLAN)] if p.special is None]
    hot = sorted(site_rng.sample(normal_demo, 8), key=lambda p: p.id)
    ordinary = [p for p in pages if p.special is None]
    neighbours: dict[int, tuple[Page | None, Page | None]] = {
        p.id: (ordinary[i - 1] if i else None, ordinary[i + 1] if i + 1 < len(ordinary) else None)
        for i, p in enumerate(ordinary)
    }
    specials = {p.special: p for p in pages if p.special}
    redirect_target = next(
        p for p in pages if p.special is None and p.base == specials["redirect"].base and p.kinds == ["seed"]
    )

    files: dict[str, bytes] = {}
    for p in pages:
        if not p.has_content:
            continue
        doc = render_article(p, by_id, neighbours.get(p.id, (None, None)), hot, host)
        files[f"a/{p.id}.html"] = doc.encode("gb18030" if p.special == "charset_liar" else "utf-8")
    files[f"a/{specials['no_body'].id}.html"] = NO_BODY_HTML.encode("ascii")

    listing = sorted(pages, key=lambda p: p.id, reverse=True)
    n_lists = max(1, -(-len(listing) // PER_LIST_PAGE))
    list_paths = []
    for n in range(1, n_lists + 1):
        chunk = listing[(n - 1) * PER_LIST_PAGE : n * PER_LIST_PAGE]
        name = "index.html" if n == 1 else f"list_{n}.html"
        files[name] = render_list(n, n_lists, chunk, hot, host).encode("utf-8")
        list_paths.append(_list_path(n))
    files[MEMBER_PATH.lstrip("/")] = render_member(host).encode("utf-8")

    in_sitemap = [p for p in pages if p.special is None or p.special == "charset_liar"]
    sm = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    sm += [f"<url><loc>https://{host}{p.path}</loc><lastmod>{p.date:%Y-%m-%d}</lastmod></url>" for p in in_sitemap]
    sm += ["</urlset>", ""]
    files["sitemap.xml"] = "\n".join(sm).encode("utf-8")
    files["robots.txt"] = (
        f"User-agent: *\nDisallow: /member/\nDisallow: {specials['robots_article'].path}\n\n"
        f"Sitemap: https://{host}/sitemap.xml\n"
    ).encode("utf-8")

    # _routes.toml: the special behaviours
    routes = [f"# Special pages of {host}, generated by lendcorpus_replay.farmgen (seed {seed}).",
              "# _manifest.json lists the same pages under \"special\"."]

    def route(comment: str, **kw) -> None:
        routes.extend(["", f"# {comment}", "[[route]]"])
        headers = kw.pop("headers", None)
        for k, v in kw.items():
            routes.append(f"{k} = {_toml(v) if isinstance(v, str) else v}")
        if headers:
            routes.append("[route.headers]")
            routes.extend(f"{_toml(k)} = {_toml(v)}" for k, v in headers.items())

    html_ct = "text/html; charset=utf-8"
    route_of = {
        "charset_liar": dict(file=f"a/{specials['charset_liar'].id}.html", status=200, content_type=html_ct),
        "slow": dict(file=f"a/{specials['slow'].id}.html", status=200, delay=30.0),
        "not_found": dict(status=404, content_type=html_ct, body=_NOT_FOUND_BODY),
        "server_error": dict(status=500, content_type=html_ct, body=_SERVER_ERROR_BODY),
        "empty_body": dict(status=200, content_type=html_ct, body=""),
        "no_body": dict(file=f"a/{specials['no_body'].id}.html", status=200, content_type=html_ct),
        "redirect": dict(status=301, content_type=html_ct, body="", headers={"Location": redirect_target.path}),
        "robots_article": dict(file=f"a/{specials['robots_article'].id}.html", status=200),
    }
    for kind, p in sorted(specials.items(), key=lambda kv: kv[1].id):
        if kind == "robots_article":
            continue  # an ordinary file; only robots.txt makes it special
        route(f"{kind}: {SPECIAL_KINDS[kind]}", path=p.path, **route_of[kind])
    files["_routes.toml"] = ("\n".join(routes) + "\n").encode("utf-8")

    # _manifest.json
    list_of: dict[int, str] = {}
    for n in range(1, n_lists + 1):
        for p in listing[(n - 1) * PER_LIST_PAGE : n * PER_LIST_PAGE]:
            list_of[p.id] = _list_path(n)
    articles = {}
    for p in pages:
        if not p.has_content:
            continue
        entry = {
            "path": p.path,
            "file": f"a/{p.id}.html",
            "base": p.base,
            "kinds": p.kinds,
            "script": p.article.script,
            "pinyin": p.article.has_pinyin,
            "title": p.article.title,
            "date": f"{p.date:%Y-%m-%d %H:%M}",
            "encoding": "gb18030" if p.special == "charset_liar" else "utf-8",
            "in_sitemap": p.special is None or p.special == "charset_liar",
            "special": p.special,
        }
        if p.recombined_from:
            entry["recombined_from"] = p.recombined_from
        articles[str(p.id)] = entry
    special_out: dict[str, dict] = {}
    for kind, p in sorted(specials.items()):
        r = route_of[kind]
        special_out[kind] = {
            "id": p.id,
            "path": p.path,
            "status": r["status"],
            "what": SPECIAL_KINDS[kind],
            "linked_from": list_of[p.id],
            "list_title": p.article.title,
        }
        if "file" in r:
            special_out[kind]["file"] = r["file"]
        if kind == "redirect":
            special_out[kind]["location"] = redirect_target.path
        if kind == "slow":
            special_out[kind]["delay"] = r["delay"]
        if kind == "charset_liar":
            special_out[kind]["encoding"] = "gb18030"
            special_out[kind]["declared"] = "utf-8"
    special_out["robots_disallowed"] = {
        "path": MEMBER_PATH, "status": 200, "file": MEMBER_PATH.lstrip("/"),
        "what": "exists, linked from every page, disallowed by robots.txt", "linked_from": "/",
    }
    manifest = {
        "generator": "lendcorpus_replay.farmgen",
        "host": host,
        "seed": seed,
        "n_extra": n_extra,
        "contact": {"phone": INVENTED_PHONE, "qq_email": INVENTED_QQ, "invented": True},
        "lists": list_paths,
        "articles": articles,
        "special": special_out,
    }
    files["_manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    for rel, data in files.items():
        (out_dir / rel).write_bytes(data)
    return {
        "host": host,
        "out_dir": str(out_dir),
        "seed": seed,
        "n_extra": n_extra,
        "files": len(files),
        "pages": sum(1 for rel in files if rel.endswith(".html")),
        "article_ids": [int(k) for k in articles],
        "lists": list_paths,
        "special": {k: v["path"] for k, v in special_out.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Regenerate the committed demo site (default) or write a bigger synthetic site elsewhere."""
    ap = argparse.ArgumentParser(prog="python -m lendcorpus_replay.farmgen", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="site folder to write (default: the committed replay site)")
    ap.add_argument("--host", default=HOST)
    ap.add_argument("--n-extra", type=int, default=0, help="extra spun/recombined articles")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seeds-dir", type=Path, help=f"seed articles (default: {SHARED_SEEDS_DIR} if present)")
    args = ap.parse_args(argv)
    seeds_dir = args.seeds_dir or (SHARED_SEEDS_DIR if SHARED_SEEDS_DIR.is_dir() else None)
    if args.out is None:
        if seeds_dir is not None:
            refresh_corpus_seeds(seeds_dir)
        out = SITES_DIR / args.host
    else:
        out = args.out
    summary = generate_farm_site(out, host=args.host, n_extra=args.n_extra, seed=args.seed, seeds_dir=seeds_dir, clean=True)
    print(
        f"wrote {summary['files']} files ({summary['pages']} HTML pages, {len(summary['article_ids'])} articles) "
        f"to {out}; seeds from {seeds_dir or CORPUS_DIR}",
        file=sys.stderr,
    )
    for kind, path in summary["special"].items():
        print(f"  {kind:18s} {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
