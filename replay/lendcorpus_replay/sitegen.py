"""Generate five more replay sites: three content farms and two news portals.

Why this exists: one farm (``farmgen``'s 借貸百科) cannot show that site rules are per site. These
five differ in everything a rules file must cope with -- layout, charset (UTF-8, GBK, Big5), URL
shape (paths, dates, ``?id=`` queries, extensionless news URLs), navigation (list pages, a
sitemap index only), date formats, robots.txt refusals, and one broken page each -- and they share
text with each other (spun farm copies of the farm corpus *and of each other's copies*, a
Taiwan portal reprinting mainland stories in Traditional), so cross-site near-duplicates exist.

=================  =====================================  ====================================
rules name         host                                   trait
=================  =====================================  ====================================
wangdai_zhishi     www.wangdai-zhishi.example             farm, Simplified, WordPress-like
                                                          HTML5, navigated by sitemap only
yuqi_bangbang      www.yuqi-bangbang.example              farm, GBK (header + meta say gbk),
                                                          DedeCMS tables, pinyin on some
daikuan_wenda      www.daikuan-wenda.example              farm, Traditional, ``/show.php?id=``,
                                                          pinyin on some
jinrong_ribao      news.jinrong-ribao.example             news, Simplified mainland daily,
                                                          ``/n1/2024/0516/c1004-N.html``
caixun_shibao      www.caixun-shibao.example              news, Traditional Taiwan-style, Big5,
                                                          ``<article>``, ``2024/05/17 09:32``
=================  =====================================  ====================================

Farm text comes from ``farm_corpus`` through farmgen's public functions (parse, spin, convert,
annotate); news text is invented and lives in ``sitegen_news.toml``. Every output byte is a pure
function of those inputs (string-seeded ``random.Random``, fixed dates, sorted iteration), so
``python -m lendcorpus_replay.sitegen`` rewrites the committed folders byte for byte (as
with farmgen, OpenCC/pypinyin table changes show up as a failing reproducibility test).

Each folder gets ``_manifest.json``: every article-like URL with its title, date, base text,
variant kinds, encoding and what an obeying crawler should make of it (``expect``), plus the
expected documents and rejects, so tests need not re-derive them. Expected body lines are not in
the manifest; ``build_sites()`` returns them for tests.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import opencc

from lendcorpus_replay.farmgen import (
    CORPUS_DIR,
    SITES_DIR,
    Article,
    load_sources,
    make_variant,
    parse_article,
    read_source_text,
    strip_pinyin,
)

GENERATOR = "lendcorpus_replay.sitegen"
HERE = Path(__file__).resolve().parent
NEWS_FILE = HERE / "sitegen_news.toml"

#: rules name -> host, in generation order (farm B copies farm A, farm C copies farm B).
HOSTS = {
    "wangdai_zhishi": "www.wangdai-zhishi.example",
    "yuqi_bangbang": "www.yuqi-bangbang.example",
    "daikuan_wenda": "www.daikuan-wenda.example",
    "jinrong_ribao": "news.jinrong-ribao.example",
    "caixun_shibao": "www.caixun-shibao.example",
}

#: expect -> (stage, reason) of the reject the build records; "document" and "unreachable" none.
REJECT_OF = {
    "robots_forbidden": ("fetch", "robots_forbidden"),
    "http_404": ("fetch", "http_404"),
    "empty_body": ("extract", "empty_body"),
    "no_html_body": ("extract", "no_html_body"),
}

_NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _a(text: str) -> str:
    return html.escape(text, quote=True)


def _line(text: str) -> str:
    """A text as the rules extractor prints it: whitespace runs folded to one space."""
    return " ".join(text.split())


@lru_cache(maxsize=4)
def _cc(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


# --------------------------------------------------------------------------- model


@dataclass
class Entry:
    """One article-like URL of a site (a real article, or a broken/refused page posing as one)."""

    id: str
    path: str
    title: str
    date: datetime
    expect: str  # "document" | "unreachable" | a key of REJECT_OF
    base: str
    kinds: list[str]
    script: str
    pinyin: bool = False
    file: str | None = None
    html: str | None = None
    lines: list[str] = field(default_factory=list)  # body lines the rules should extract
    date_text: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Site:
    """A generated site: files to write, routes, and the manifest."""

    name: str
    host: str
    kind: str
    display: str
    encoding: str
    traits: list[str]
    entries: list[Entry] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    routes: list[dict] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    robots_refused: list[str] = field(default_factory=list)  # non-article paths refused (lists, tags)
    contact: dict = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"https://{self.host}{path}"

    def add_html(self, path: str, file: str, text: str, *, route: bool, status: int = 200) -> None:
        """Store a page in the site's charset; ``route`` maps ``path`` to ``file`` with a correct
        Content-Type (the server's default says utf-8, wrong for GBK/Big5)."""
        try:
            data = text.encode(self.encoding)
        except UnicodeEncodeError as exc:  # a generator bug, not a fixture feature
            raise ValueError(f"{self.host}{path}: not encodable as {self.encoding}: {exc}") from exc
        self.files[file] = data
        if route:
            self.routes.append({"path": path, "file": file, "status": status,
                                "content_type": f"text/html; charset={self.encoding}"})

    def manifest(self) -> dict:
        articles = {}
        for e in self.entries:
            item = {
                "path": e.path, "url": self.url(e.path), "file": e.file, "title": e.title,
                "published": e.date.isoformat(), "date_text": e.date_text, "expect": e.expect,
                "base": e.base, "kinds": e.kinds, "script": e.script, "pinyin": e.pinyin,
                "encoding": self.encoding,
            }
            item.update(e.extra)
            articles[e.id] = item
        rejects = [[*REJECT_OF[e.expect], e.path] for e in self.entries if e.expect in REJECT_OF]
        rejects += [["fetch", "robots_forbidden", p] for p in self.robots_refused]
        return {
            "generator": GENERATOR,
            "site": self.name,
            "host": self.host,
            "name": self.display,
            "kind": self.kind,
            "encoding": self.encoding,
            "traits": self.traits,
            "lists": self.lists,
            "sitemaps": self.sitemaps,
            "contact": self.contact,
            "articles": articles,
            "expected_documents": sorted(f"{self.name}:{e.id}" for e in self.entries if e.expect == "document"),
            "expected_rejects": sorted(rejects),
        }

    def finish(self) -> None:
        """Add ``_routes.toml`` and ``_manifest.json`` to the files."""
        out = [f"# Routes of {self.host}, generated by {GENERATOR}; _manifest.json labels the pages."]
        for r in sorted(self.routes, key=lambda r: r["path"]):
            out += ["", "[[route]]"]
            for key in ("path", "file", "status", "content_type", "body"):
                if key in r:
                    v = r[key]
                    out.append(f"{key} = {json.dumps(v, ensure_ascii=False) if isinstance(v, str) else v}")
        self.files["_routes.toml"] = ("\n".join(out) + "\n").encode("utf-8")
        self.files["_manifest.json"] = (json.dumps(self.manifest(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- farm text


def _farm_articles() -> dict[str, Article]:
    """The farm corpus, parsed by farmgen (its template markers are dropped by our farms)."""
    return {
        s.key: parse_article(read_source_text(s), key=s.key, title=s.title, script=s.script, topic=s.topic)
        for s in load_sources(CORPUS_DIR)
    }


def _blocks(a: Article) -> list[tuple[str, str]]:
    """The article's own blocks, without farmgen's 借貸百科 template (each farm adds its own)."""
    return [b for b in (*a.intro, *a.body, *a.summary, *a.tail)]


def _blocks_html(blocks: list[tuple[str, str]], inserts: dict[int, str] | None = None) -> list[str]:
    out = []
    for i, (kind, text) in enumerate(blocks):
        if inserts and i in inserts:
            out.append(inserts[i])
        if kind == "hr":
            out.append("<hr />")
        elif kind in ("h2", "h3"):
            out.append(f"<{kind}>{_e(text)}</{kind}>")
        else:
            out.append(f"<p>{_e(text)}</p>")
    return out


def _block_lines(blocks: list[tuple[str, str]]) -> list[str]:
    return [_line(t) for k, t in blocks if k != "hr" and _line(t)]


#: One farm plan entry: (source, transforms, expect). Source is a farm-corpus key, or
#: (site, index) = that earlier farm's variant, to make copies of copies.
PlanItem = tuple[str | tuple[str, int], tuple[str, ...], str]

FARM_PLANS: dict[str, tuple[PlanItem, ...]] = {
    # Simplified; sitemap-only; one pinyin copy; /wenda/ is robots-disallowed; one sitemap 404.
    "wangdai_zhishi": (
        ("seed002", ("simplified", "spin"), "document"),
        ("seed003", ("unpinyin", "simplified"), "document"),
        ("xincheng_qisu", ("simplified", "spin"), "document"),
        ("xincheng_xieshang", ("spin",), "document"),
        ("bao_tongxunlu", ("spin",), "document"),
        ("baoli_cuishou", (), "document"),
        ("zhengxin_yuqi", ("simplified",), "document"),
        ("jinji_lianxiren", ("simplified", "spin", "rewrap"), "document"),
        ("yidai_yangdai", ("spin", "recombine"), "document"),
        ("danwei_dianhua", ("simplified", "pinyin"), "document"),
        ("gexinghua_fenqi", ("spin",), "document"),
        ("shangmen_qisu", ("simplified",), "robots_forbidden"),
        ("xinyongfei_benjin", ("spin",), "robots_forbidden"),
        ("seed000", ("simplified",), "http_404"),
    ),
    # GBK, Simplified; pinyin on some; spins of wangdai_zhishi's copies; /zt/ disallowed.
    "yuqi_bangbang": (
        (("wangdai_zhishi", 0), ("spin",), "document"),
        (("wangdai_zhishi", 2), ("spin", "pinyin"), "document"),
        ("seed001", ("simplified", "spin"), "document"),
        ("seed000", ("simplified", "spin", "pinyin"), "document"),
        ("xinyongfei_benjin", ("spin", "pinyin"), "document"),
        ("bao_tongxunlu", ("rewrap",), "document"),
        ("baoli_cuishou", ("spin",), "document"),
        ("yidai_yangdai", (), "document"),
        ("gexinghua_fenqi", ("spin", "pinyin"), "document"),
        ("jinji_lianxiren", ("simplified",), "document"),
        ("xincheng_tongxunlu", ("simplified",), "robots_forbidden"),
        ("danwei_dianhua", ("simplified", "spin"), "empty_body"),
    ),
    # Traditional; pinyin on some; a Traditional spin of yuqi_bangbang's copy; one id refused.
    "daikuan_wenda": (
        ("seed000", (), "document"),
        ("seed001", ("spin", "pinyin"), "document"),
        ("seed003", ("spin",), "document"),
        (("yuqi_bangbang", 2), ("traditional", "spin"), "document"),
        ("xincheng_qisu", ("rewrap", "pinyin"), "document"),
        ("xincheng_tongxunlu", ("spin",), "document"),
        ("zhengxin_yuqi", ("spin", "pinyin"), "document"),
        ("jinji_lianxiren", ("spin",), "document"),
        ("shangmen_qisu", ("spin",), "document"),
        ("danwei_dianhua", (), "document"),
        ("xincheng_xieshang", ("traditional", "spin"), "document"),
        ("baoli_cuishou", ("traditional",), "robots_forbidden"),
        ("bao_tongxunlu", ("traditional",), "http_404"),
    ),
}


@dataclass
class FarmItem:
    base: str
    kinds: list[str]
    article: Article
    expect: str
    copied_from: str | None = None


def _plan_farm(name: str, arts: dict[str, Article], done: dict[str, list[FarmItem]]) -> list[FarmItem]:
    keys = sorted(arts)
    items = []
    for i, (src, transforms, expect) in enumerate(FARM_PLANS[name]):
        rng = random.Random(f"sitegen:{name}:variant:{i}")
        copied_from = None
        if isinstance(src, tuple):
            origin = done[src[0]][src[1]]
            base_key, base = origin.base, origin.article
            copied_from = f"{src[0]}#{src[1]}"
        else:
            base_key, base = src, arts[src]
        donor = arts[rng.choice([k for k in keys if k != base_key])] if "recombine" in transforms else None
        art, kinds = make_variant(base, transforms, rng, donor)
        if not transforms:
            kinds = ["seed" if base_key.startswith("seed") else "original"]
        if copied_from:
            kinds = ["copy_of_copy", *kinds]
        items.append(FarmItem(base_key, kinds, art, expect, copied_from))
    return items


def _dates(name: str, start: datetime, n: int, seconds: bool = False) -> list[datetime]:
    rng = random.Random(f"sitegen:{name}:dates")
    out, when = [], start
    for _ in range(n):
        when += timedelta(minutes=rng.randint(300, 2600), seconds=rng.randint(0, 59) if seconds else 0)
        out.append(when)
    return out


def _excerpt(lines: list[str], n: int = 60) -> str:
    text = strip_pinyin("".join(lines[1:3]))
    return text[:n] + ("…" if len(text) > n else "")


def _pages(n: int, per: int) -> int:
    return max(1, -(-n // per))


# --------------------------------------------------------------------------- farm A: 网贷知识网


def build_wangdai_zhishi(items: list[FarmItem]) -> Site:
    """WordPress-like HTML5 farm, Simplified, reached through a sitemap index only."""
    site = Site("wangdai_zhishi", HOSTS["wangdai_zhishi"], "farm", "网贷知识网", "utf-8", [
        "Simplified content farm", "WordPress-like HTML5 layout", "navigated by sitemap index only (no list pages in the rules)",
        "robots.txt disallows /wenda/ (two sitemap URLs)", "one sitemap URL answers 404", "one pinyin-annotated copy",
    ])
    site.contact = {"wechat": "wdzs_kefu_000", "email": "tougao@wangdai-zhishi.example", "invented": True}
    tip = "本文来源于网络整理，仅供参考，不代表本站观点。"
    disclaimer = ("【免责声明】本站内容部分转载自互联网，版权归原作者所有。如有侵权，请联系客服删除："
                  "微信 wdzs_kefu_000 邮箱 tougao@wangdai-zhishi.example")
    dates = _dates(site.name, datetime(2024, 3, 11, 9, 0), len(items))
    for i, (it, when) in enumerate(zip(items, dates)):
        pid = str(3101 + i)
        folder = "wenda" if it.expect == "robots_forbidden" else "article"
        e = Entry(pid, f"/{folder}/{pid}.html", it.article.title, when, it.expect, it.base, it.kinds,
                  it.article.script, it.article.has_pinyin, date_text=f"{when:%Y年%m月%d日 %H:%M}")
        if it.copied_from:
            e.extra["copied_from"] = it.copied_from
        blocks = _blocks(it.article)
        e.lines = [tip, *_block_lines(blocks), disclaimer]
        site.entries.append(e)
    docs = [e for e in site.entries if e.expect != "http_404"]
    hot = sorted(docs, key=lambda e: e.date, reverse=True)[:6]

    def chrome(title: str, inner: list[str], canonical: str) -> str:
        menu = ('<ul id="primary-menu" class="menu"><li><a href="/">首页</a></li><li><a href="/category/yuqi/">逾期处理</a></li>'
                '<li><a href="/category/cuishou/">催收应对</a></li><li><a href="/wenda/">网贷问答</a></li></ul>')
        side = "".join(f'<li><a href="{x.path}">{_e(x.title)}</a></li>' for x in hot)
        return "\n".join([
            "<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="UTF-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>", f'<link rel="canonical" href="{_a(canonical)}">',
            "<link rel='stylesheet' id='zhishi-style-css' href='/wp-content/themes/zhishi/style.css?ver=5.8.2' type='text/css' media='all' />",
            "</head>", '<body class="post-template-default single single-post">',
            '<div id="page" class="site">',
            '<header id="masthead" class="site-header"><div class="site-branding"><p class="site-title"><a href="/" rel="home">网贷知识网</a></p>'
            '<p class="site-description">网贷逾期、催收应对知识分享</p></div>',
            f'<nav id="site-navigation" class="main-navigation">{menu}</nav></header>',
            '<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">',
            *inner,
            "</main></div>",
            f'<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2 class="widget-title">热门文章</h2><ul>{side}</ul></section></aside>',
            "</div>",
            '<footer id="colophon" class="site-footer"><div class="site-info">Copyright © 2019-2024 网贷知识网 保留所有权利 | '
            '<a href="/sitemap.xml">网站地图</a> | 本站内容仅供参考，不构成任何借贷建议</div></footer>',
            "</div>", "<script type='text/javascript' src='/wp-includes/js/wp-embed.min.js?ver=5.8.2'></script>",
            "</body>", "</html>", "",
        ])

    for idx, e in enumerate(site.entries):
        if e.expect == "http_404":
            site.routes.append({"path": e.path, "status": 404, "content_type": "text/html; charset=UTF-8",
                                "body": chrome("页面未找到 - 网贷知识网", [
                                    '<section class="error-404 not-found"><header class="page-header"><h1 class="page-title">抱歉，页面未找到。</h1></header>'
                                    '<div class="page-content"><p>您访问的内容可能已被删除。</p></div></section>'], site.url(e.path))})
            continue
        it = items[idx]
        blocks = _blocks(it.article)
        ad = ('<div class="wp-block-ad"><ins class="adsbygoogle" style="display:block" data-ad-slot="0000000000"></ins>'
              "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script></div>")
        prev = site.entries[idx - 1] if idx else None
        related = [x for x in docs if x is not e][idx % 3::3][:4]
        inner = [
            f'<article id="post-{e.id}" class="post-{e.id} post type-post status-publish format-standard hentry category-yuqi">',
            f'<header class="entry-header"><h1 class="entry-title">{_e(e.title)}</h1>',
            f'<div class="entry-meta"><span class="posted-on">发布于 <time class="entry-date published" datetime="{e.date:%Y-%m-%dT%H:%M:00+08:00}">{e.date_text}</time></span>'
            ' <span class="byline">作者：<span class="author vcard">小知</span></span>'
            ' <span class="cat-links">分类：<a href="/category/yuqi/" rel="category tag">逾期处理</a></span></div></header>',
            '<div class="entry-content">',
            f'<p class="wz-tip">{tip}</p>',
            *_blocks_html(blocks, {min(2, len(blocks) - 1): ad}),
            f'<p class="disclaimer">{_e(disclaimer)}</p>',
            '<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">分享到：</h3><ul><li>微信</li><li>微博</li><li>QQ</li></ul></div>',
            "</div>",
            '<footer class="entry-footer"><span class="tags-links">标签：<a href="/tag/wangdai/" rel="tag">网贷逾期</a> '
            '<a href="/tag/cuishou/" rel="tag">催收</a></span></footer>',
            "</article>",
            '<nav class="navigation post-navigation"><div class="nav-links">'
            + (f'<div class="nav-previous"><a href="{prev.path}" rel="prev">上一篇：{_e(prev.title)}</a></div>' if prev else "")
            + "</div></nav>",
            '<section class="related-posts"><h3>相关推荐</h3><ul>'
            + "".join(f'<li><a href="{x.path}">{_e(x.title)}</a></li>' for x in related) + "</ul></section>",
        ]
        e.file = e.path.lstrip("/")
        site.add_html(e.path, e.file, chrome(f"{e.title} - 网贷知识网", inner, site.url(e.path)), route=False)

    # Homepage (not used by the rules: the spider starts from the sitemap), sitemap index, robots.
    latest = sorted(docs, key=lambda e: e.date, reverse=True)[:8]
    home = [f'<article class="post"><h2 class="entry-title"><a href="{x.path}">{_e(x.title)}</a></h2>'
            f'<div class="entry-summary"><p>{_e(_excerpt(x.lines))}</p></div></article>' for x in latest]
    site.add_html("/", "index.html", chrome("网贷知识网 - 网贷逾期、催收应对知识分享", home, site.url("/")), route=False)
    ordered = sorted(site.entries, key=lambda e: e.date)
    half = (len(ordered) + 1) // 2
    parts = [ordered[:half], ordered[half:]]
    idx_xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for n, part in enumerate(parts, 1):
        path = f"/sitemap-posts-{n}.xml"
        idx_xml.append(f"<sitemap><loc>{site.url(path)}</loc><lastmod>{part[-1].date:%Y-%m-%dT%H:%M:00+08:00}</lastmod></sitemap>")
        body = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        body += [f"<url><loc>{site.url(x.path)}</loc><lastmod>{x.date:%Y-%m-%dT%H:%M:00+08:00}</lastmod>"
                 "<changefreq>monthly</changefreq><priority>0.6</priority></url>" for x in part]
        body += ["</urlset>", ""]
        site.files[path.lstrip("/")] = "\n".join(body).encode("utf-8")
        site.sitemaps.append(path)
    idx_xml += ["</sitemapindex>", ""]
    site.files["sitemap.xml"] = "\n".join(idx_xml).encode("utf-8")
    site.sitemaps.insert(0, "/sitemap.xml")
    site.files["robots.txt"] = (
        "User-agent: *\nDisallow: /wp-admin/\nDisallow: /wenda/\nAllow: /wp-admin/admin-ajax.php\n\n"
        f"Sitemap: {site.url('/sitemap.xml')}\n"
    ).encode("utf-8")
    return site


# --------------------------------------------------------------------------- farm B: 逾期帮帮网 (GBK)


def build_yuqi_bangbang(items: list[FarmItem]) -> Site:
    """DedeCMS-style table layout in GBK, declared in the HTTP header and in <meta>."""
    site = Site("yuqi_bangbang", HOSTS["yuqi_bangbang"], "farm", "逾期帮帮网", "gbk", [
        "Simplified content farm in GBK (Content-Type and <meta> both say gbk)", "DedeCMS table layout",
        "channel list pages with relative pagination links (list_7_N.html, page 1 twice)",
        "robots.txt disallows /zt/ (one linked article)", "one linked article answers 200 with an empty body",
        "pinyin annotations on some copies", "spun copies of wangdai_zhishi's copies",
    ])
    site.contact = {"phone": "139-0000-3333", "email": "jubao@yuqi-bangbang.example", "invented": True}
    tishi = "【温馨提示】逾期问题一对一解答，工作日9:00-18:00在线，本站不收取任何费用。"
    outro = ["本文由逾期帮帮网整理发布，转载请注明出处。", "举报电话：139-0000-3333　举报邮箱：jubao@yuqi-bangbang.example"]
    dates = _dates(site.name, datetime(2024, 3, 18, 8, 30), len(items), seconds=True)
    for i, (it, when) in enumerate(zip(items, dates)):
        pid = str(2051 + i)
        channel = "zt" if it.expect == "robots_forbidden" else "yuqi"
        e = Entry(pid, f"/{channel}/{when:%Y/%m%d}/{pid}.html", it.article.title, when, it.expect, it.base,
                  it.kinds, it.article.script, it.article.has_pinyin, date_text=f"{when:%Y-%m-%d %H:%M:%S}")
        if it.copied_from:
            e.extra["copied_from"] = it.copied_from
        e.lines = [_line(tishi), *_block_lines(_blocks(it.article)), *map(_line, outro)]
        site.entries.append(e)
    listed = sorted(site.entries, key=lambda e: e.date, reverse=True)
    docs = [e for e in listed if e.expect == "document"]

    def chrome(title: str, inner: list[str]) -> str:
        side = "".join(f'<li><a href="{x.path}">{_e(x.title)}</a></li>' for x in docs[:6])
        return "\n".join([
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
            '<html xmlns="http://www.w3.org/1999/xhtml">', "<head>",
            '<meta http-equiv="Content-Type" content="text/html; charset=gbk" />',
            f"<title>{_e(title)}</title>",
            '<meta name="keywords" content="网贷逾期,逾期处理,催收,协商还款" />',
            '<link href="/templets/default/style/dedecms.css" rel="stylesheet" media="screen" type="text/css" />',
            "</head>", '<body class="articleview">',
            '<div class="header_top"><div class="w960 center"><span class="time">逾期帮帮网 — 网贷逾期一站式解答</span>'
            '<div class="toplinks"><a href="/plus/heightsearch.php" target="_blank">高级搜索</a>|<a href="/member/">会员中心</a></div></div></div>',
            '<div class="header"><div class="top w960 center"><div class="title"><h1><a href="/">逾期帮帮网</a></h1></div></div>',
            '<div class="module blue mT10 wrapper w963"><div class="top"><div id="navMenu"><ul><li><a href="/"><span>主页</span></a></li>'
            '<li><a href="/yuqi/"><span>逾期处理</span></a></li><li><a href="/zt/"><span>专题</span></a></li></ul></div></div></div></div>',
            '<div class="w960 center clear mt1">',
            *inner,
            f'<div class="pright"><div class="commend mt1"><dl class="tbox"><dt><strong>推荐内容</strong></dt><dd><ul class="d4">{side}</ul></dd></dl></div></div>',
            "</div>",
            '<div class="footer w960 center mt1 clear"><div class="footer_body"><p class="powered">Powered by 逾期帮帮网 &copy; 2016-2024</p>'
            '<div class="copyright">Copyright &copy; 2016-2024 逾期帮帮网 版权所有 示例ICP备00000000号</div></div></div>',
            "</body>", "</html>", "",
        ])

    for e, it in zip(site.entries, items):
        if e.expect == "empty_body":
            site.routes.append({"path": e.path, "status": 200, "content_type": "text/html; charset=gbk", "body": ""})
            continue
        pos = listed.index(e)
        prev = listed[pos + 1] if pos + 1 < len(listed) else None
        nxt = listed[pos - 1] if pos else None
        inner = [
            '<div class="pleft">',
            '<div class="place"><strong>当前位置:</strong> <a href="/">主页</a> &gt; <a href="/yuqi/">逾期处理</a> &gt; </div>',
            '<div class="viewbox">',
            '<table width="100%" border="0" cellspacing="0" cellpadding="0">',
            f'<tr><td class="arc_title"><h2>{_e(e.title)}</h2></td></tr>',
            f'<tr><td class="info"><small>时间:</small><span class="pubtime">{e.date_text}</span><small>来源:</small>逾期帮帮网 '
            f'<small>作者:</small>admin <small>点击:</small><script src="/plus/count.php?view=yes&amp;aid={e.id}&amp;mid=1" '
            'type="text/javascript" language="javascript"></script>次</td></tr>',
            '<tr><td class="content"><div id="article_content">',
            f'<div class="tishi">{_e(tishi)}</div>',
            *_blocks_html(_blocks(it.article)),
            *(f"<p>{_e(t)}</p>" for t in outro),
            "</div></td></tr>",
            "</table>",
            '<div class="boxoff"><strong>------分隔线----------------------------</strong></div>',
            '<div class="handle"><div class="context"><ul>'
            + (f'<li>上一篇：<a href="{prev.path}">{_e(prev.title)}</a> </li>' if prev else "<li>上一篇：没有了 </li>")
            + (f'<li>下一篇：<a href="{nxt.path}">{_e(nxt.title)}</a> </li>' if nxt else "<li>下一篇：没有了 </li>")
            + f'</ul></div><div class="actbox"><ul><li id="act-fav"><a href="/plus/stow.php?aid={e.id}" target="_blank">收藏</a></li>'
            '<li id="act-pnt"><a href="#" onclick="window.print();">打印</a></li></ul></div></div>',
            "</div>",
            '<div class="commentbox"><dl class="tbox"><dt><strong>发表评论</strong></dt><dd>请自觉遵守互联网相关的政策法规。</dd></dl></div>',
            "</div>",
        ]
        e.file = e.path.lstrip("/")
        site.add_html(e.path, e.file, chrome(f"{e.title}_逾期处理_逾期帮帮网", inner), route=True)

    per = 5
    n_pages = _pages(len(listed), per)

    def list_page(n: int) -> str:
        chunk = listed[(n - 1) * per : n * per]
        lis = [
            f'<li><a href="/yuqi/" class="lm_title">[逾期处理]</a><a href="{x.path}" class="title">{_e(x.title)}</a>'
            f'<span class="info"><small>日期：</small>{x.date:%Y-%m-%d %H:%M:%S}</span>'
            f'<p class="intro">{_e(_excerpt(x.lines))}</p></li>' for x in chunk
        ]
        nav = ["<li><a href='list_7_1.html'>首页</a></li>"]
        if n > 1:
            nav.append(f"<li><a href='list_7_{n - 1}.html'>上一页</a></li>")
        for k in range(1, n_pages + 1):
            nav.append(f'<li class="thisclass">{k}</li>' if k == n else f"<li><a href='list_7_{k}.html'>{k}</a></li>")
        if n < n_pages:
            nav.append(f"<li><a href='list_7_{n + 1}.html'>下一页</a></li>")
        nav.append(f"<li><a href='list_7_{n_pages}.html'>末页</a></li>")
        nav.append(f'<li><span class="pageinfo">共 <strong>{n_pages}</strong>页<strong>{len(listed)}</strong>条</span></li>')
        inner = ['<div class="pleft">', '<div class="place"><strong>当前位置:</strong> <a href="/">主页</a> &gt; <a href="/yuqi/">逾期处理</a> &gt; </div>',
                 '<div class="listbox"><ul class="e2">', *lis, "</ul></div>",
                 f'<div class="dede_pages"><ul class="pagelist">{"".join(nav)}</ul></div>', "</div>"]
        return chrome(f"逾期处理_逾期帮帮网" + ("" if n == 1 else f"_第{n}页"), inner)

    for n in range(1, n_pages + 1):
        page = list_page(n)
        if n == 1:
            site.add_html("/yuqi/", "yuqi/index.html", page, route=True)
            site.lists.append("/yuqi/")
        site.add_html(f"/yuqi/list_7_{n}.html", f"yuqi/list_7_{n}.html", page, route=True)
        site.lists.append(f"/yuqi/list_7_{n}.html")
    home = ['<div class="pleft"><div class="listbox"><h3>最新文章</h3><ul class="c1">',
            *(f'<li><a href="{x.path}">{_e(x.title)}</a></li>' for x in listed[:6]),
            '</ul><p class="more"><a href="/yuqi/">更多逾期处理文章</a></p></div></div>']
    site.add_html("/", "index.html", chrome("逾期帮帮网_网贷逾期、催收应对一站式解答", home), route=True)
    site.lists.insert(0, "/")
    site.files["robots.txt"] = b"User-agent: *\nDisallow: /plus/\nDisallow: /member/\nDisallow: /zt/\nDisallow: /templets/\n"
    return site


# --------------------------------------------------------------------------- farm C: 貸款問答網 (?id=)


def build_daikuan_wenda(items: list[FarmItem]) -> Site:
    """PHP question-and-answer farm in Traditional Chinese with ``show.php?id=`` article URLs."""
    site = Site("daikuan_wenda", HOSTS["daikuan_wenda"], "farm", "貸款問答網", "utf-8", [
        "Traditional content farm", "PHP URLs: /show.php?id=N articles, /list.php?page=N lists",
        "robots.txt disallows one article id", "one linked id answers 404 (PHP-style page)",
        "pinyin annotations on some pages", "a Traditional spin of a yuqi_bangbang copy",
    ])
    site.contact = {"wechat": "dkwd_000", "email": "kefu@daikuan-wenda.example", "invented": True}
    intro = "編者按：本文整理自網友提問與站內解答，供大家參考。"
    outro = ["以上就是貸款問答網為大家整理的相關內容，希望對你有所幫助。",
             "版權聲明：本站部分文章來自網路，如有侵權請聯繫刪除。聯繫微信：dkwd_000　郵箱：kefu@daikuan-wenda.example"]
    dates = _dates(site.name, datetime(2024, 3, 25, 0, 0), len(items))
    for i, (it, when) in enumerate(zip(items, dates)):
        pid = str(5001 + i)
        day = datetime(when.year, when.month, when.day)
        e = Entry(pid, f"/show.php?id={pid}", it.article.title, day, it.expect, it.base, it.kinds,
                  it.article.script, it.article.has_pinyin, date_text=f"{day:%Y.%m.%d}")
        if it.copied_from:
            e.extra["copied_from"] = it.copied_from
        e.lines = [_line(intro), *_block_lines(_blocks(it.article)), *map(_line, outro)]
        site.entries.append(e)
    listed = sorted(site.entries, key=lambda e: (e.date, e.id), reverse=True)
    docs = [e for e in listed if e.expect == "document"]

    def chrome(title: str, inner: list[str]) -> str:
        hot = "".join(f'<li><a href="{_a(x.path)}">{_e(x.title)}</a></li>' for x in docs[:5])
        return "\n".join([
            "<!DOCTYPE html>", "<html>", "<head>", '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
            f"<title>{_e(title)}</title>", '<meta name="keywords" content="網貸逾期,催收,協商還款,貸款問答">',
            '<link rel="stylesheet" href="/static/css/main.css?v=20240301">', "</head>", "<body>",
            '<div id="top"><div class="inner"><a href="/" class="logo">貸款問答網</a>'
            '<form action="/search.php" method="get" class="search"><input type="text" name="q" placeholder="輸入問題關鍵字"><button type="submit">搜尋</button></form></div></div>',
            '<div id="menu"><a href="/">首頁</a><a href="/list.php?page=1">最新問答</a><a href="/member.php?act=login" rel="nofollow">登入</a></div>',
            '<div id="wrap">', '<div id="left">', *inner, "</div>",
            f'<div id="right"><div class="box"><h3>熱門問答</h3><ul>{hot}</ul></div></div>',
            "</div>",
            '<div id="foot"><p>&copy; 2017-2024 貸款問答網 daikuan-wenda.example 版權所有</p>'
            '<p><a href="/about.php">關於我們</a> | <a href="/sitemap.php">網站地圖</a></p></div>',
            "</body>", "</html>", "",
        ])

    for e, it in zip(site.entries, items):
        if e.expect == "http_404":
            site.routes.append({"path": e.path, "status": 404, "content_type": "text/html; charset=utf-8",
                                "body": chrome("提示信息 - 貸款問答網", ['<div class="msg"><h2>提示信息</h2><p>文章不存在或已被刪除！</p>'
                                                                   '<p><a href="/">返回首頁</a></p></div>'])})
            continue
        pos = listed.index(e)
        blocks = _blocks(it.article)
        ad = '<div class="ad-box"><script type="text/javascript">document.write(\'<a href="/go.php?ad=1">廣告</a>\');</script></div>'
        related = [x for x in docs if x is not e][pos % 2::2][:4]
        inner = [
            '<div class="crumb">您的位置：<a href="/">首頁</a> &raquo; 問答詳情</div>',
            '<div class="show-box">',
            f'<div class="show-title"><h1 id="arctitle">{_e(e.title)}</h1>'
            f'<div class="show-meta">更新時間：<em class="pubdate">{e.date_text}</em>　瀏覽：<em id="hits">{100 + int(e.id) % 997}</em>次</div></div>',
            '<div id="arc-body">',
            f'<p class="bianzhe">{_e(intro)}</p>',
            *_blocks_html(blocks, {len(blocks) // 2: ad}),
            *(f"<p>{_e(t)}</p>" for t in outro),
            "</div>",
            f'<div class="show-tool"><a href="/show.php?id={e.id}&amp;print=1" rel="nofollow">列印本頁</a></div>',
            '<div class="related"><h3>相關問答</h3><ul>'
            + "".join(f'<li><a href="{_a(x.path)}">{_e(x.title)}</a></li>' for x in related) + "</ul></div>",
            "</div>",
        ]
        e.file = f"show/{e.id}.html"
        site.add_html(e.path, e.file, chrome(f"{e.title} - 貸款問答網", inner), route=True)

    per = 5
    n_pages = _pages(len(listed), per)
    for n in range(1, n_pages + 1):
        chunk = listed[(n - 1) * per : n * per]
        lis = [f'<li><span class="date">{x.date_text}</span><a href="{_a(x.path)}" title="{_a(x.title)}">{_e(x.title)}</a>'
               f'<p>{_e(_excerpt(x.lines))}</p></li>' for x in chunk]
        on = ' class="on"'
        nav = [f'<a href="/list.php?page={k}"{on if k == n else ""}>{k}</a>' for k in range(1, n_pages + 1)]
        if n < n_pages:
            nav.append(f'<a href="/list.php?page={n + 1}">下一頁</a>')
        inner = ['<div class="list-box"><h2>最新問答</h2><ul class="qa-list">', *lis, "</ul>",
                 f'<div class="pager">{"".join(nav)}</div></div>']
        page = chrome("貸款問答網 - 網貸逾期、催收問題解答" if n == 1 else f"最新問答 第{n}頁 - 貸款問答網", inner)
        if n == 1:
            site.add_html("/", "index.html", page, route=False)
            site.lists.append("/")
        site.add_html(f"/list.php?page={n}", f"list/{n}.html", page, route=True)
        site.lists.append(f"/list.php?page={n}")
    refused = next(e for e in site.entries if e.expect == "robots_forbidden")
    site.files["robots.txt"] = (
        f"User-agent: *\nDisallow: /member.php\nDisallow: /search.php\nDisallow: /go.php\nDisallow: {refused.path}\n"
    ).encode("utf-8")
    return site


# --------------------------------------------------------------------------- news


@dataclass(frozen=True)
class Story:
    key: str
    site: str
    date: datetime
    title: str
    paragraphs: tuple[str, ...]
    channel: int = 0
    kicker: str = ""
    subtitle: str = ""
    reprint_title: str = ""


def load_stories(path: Path = NEWS_FILE) -> list[Story]:
    """The invented news stories, in file order (the order fixes the ids)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Story(s["key"], s["site"], datetime.strptime(s["date"], "%Y-%m-%d %H:%M"), s["title"],
              tuple(s["paragraphs"]), s.get("channel", 0), s.get("kicker", ""), s.get("subtitle", ""),
              s.get("reprint_title", ""))
        for s in data["story"]
    ]


def build_jinrong_ribao(stories: list[Story]) -> Site:
    """A mainland financial daily: people.cn-like layout, dated URLs, editor line inside the text."""
    site = Site("jinrong_ribao", HOSTS["jinrong_ribao"], "news", "金融日报网", "utf-8", [
        "Simplified mainland-style news portal", "URLs /n1/YYYY/MMDD/c1004-N.html", "kicker/title/subtitle heading",
        "date 2024年05月16日08:45", "editor line (责任编辑) and source line inside div.article (dropped by rules)",
        "robots.txt disallows channel /GB/1005/ (linked from every page)", "one linked article answers 404",
    ])
    site.contact = {}
    editors = ("晓禾", "安然", "林溪", "木子")
    ours = [s for s in stories if s.site == site.name]
    rng = random.Random("sitegen:jinrong_ribao:editors")
    broken_at = 3  # the 404 sits among the channel's stories
    entries: list[Entry] = []
    serial = 32051201
    for i, s in enumerate(ours):
        if i == broken_at:
            when = s.date - timedelta(hours=5, minutes=17)
            gone = Entry(str(serial), f"/n1/{when:%Y/%m%d}/c1004-{serial}.html", "网贷风险提示：警惕“债务优化”骗局",
                         when, "http_404", "deleted", ["deleted"], "hans", date_text=f"{when:%Y年%m月%d日%H:%M}")
            entries.append(gone)
            serial += 1
        e = Entry(str(serial), f"/n1/{s.date:%Y/%m%d}/c{s.channel}-{serial}.html", s.title, s.date,
                  "document" if s.channel == 1004 else "unreachable", s.key, ["original"], "hans",
                  date_text=f"{s.date:%Y年%m月%d日%H:%M}")
        e.extra = {"channel": s.channel, "editor": rng.choice(editors)}
        e.lines = [_line(p) for p in s.paragraphs]
        entries.append(e)
        serial += 1
    site.entries = entries
    story_of = {s.key: s for s in ours}
    ch1004 = sorted((e for e in entries if e.extra.get("channel", 1004) == 1004), key=lambda e: e.date, reverse=True)
    ch1005 = sorted((e for e in entries if e.extra.get("channel") == 1005), key=lambda e: e.date, reverse=True)
    docs = [e for e in ch1004 if e.expect == "document"]

    def chrome(title: str, inner: list[str], *, publishdate: str = "") -> str:
        return "\n".join([
            "<!DOCTYPE html>", "<html>", "<head>", '<meta http-equiv="content-type" content="text/html;charset=UTF-8"/>',
            f"<title>{_e(title)}</title>",
            '<meta name="keywords" content="金融监管,网贷,催收,个人信息保护">',
            *([f'<meta name="publishdate" content="{publishdate}">'] if publishdate else []),
            '<link href="/img/2024/css/page.css" type="text/css" rel="stylesheet" media="all" />', "</head>", "<body>",
            '<div class="topbg"><div class="w1000 top cf"><div class="fl"><a href="/">金融日报网</a>&gt;&gt;<a href="/GB/1004/index.html">金融监管</a></div>'
            '<div class="fr"><a href="/GB/1005/index.html">政策解读</a>|<a href="/app/">客户端</a></div></div></div>',
            '<div class="w1000 nav cf"><a href="/">首页</a><a href="/GB/1004/index.html">金融监管</a><a href="/GB/1005/index.html">政策解读</a></div>',
            *inner,
            '<div class="w1000 copyright">金融日报网版权所有，未经书面授权禁止使用<br />'
            "Copyright &copy; 2024 by news.jinrong-ribao.example. all rights reserved</div>",
            "</body>", "</html>", "",
        ])

    for e in entries:
        if e.expect == "http_404":
            site.routes.append({"path": e.path, "status": 404, "content_type": "text/html; charset=utf-8", "body": _NGINX_404})
            continue
        s = story_of[e.base]
        pool = ch1004 if s.channel == 1004 else ch1005
        related = [x for x in pool if x is not e and x.expect != "http_404"][:4]
        inner = [
            '<div class="w1000 clearfix text_title">',
            f'<h3 class="pre">{_e(s.kicker)}</h3>', f"<h1>{_e(s.title)}</h1>", f'<h4 class="sub">{_e(s.subtitle)}</h4>',
            '<p class="author"></p>',
            f'<div class="box01"><div class="fl"><span class="date">{e.date_text}</span>&nbsp;&nbsp;来源：<a href="/" target="_blank">金融日报</a></div>'
            '<div class="fr"><div class="fx">分享到：<a href="javascript:void(0)">微信</a><a href="javascript:void(0)">微博</a></div></div></div>',
            "</div>",
            '<div class="w1000 clearfix text_con"><div class="fl text_con_left">',
            '<div class="article" id="rwb_zw">',
            *(f"<p>\u3000\u3000{_e(p)}</p>" for p in s.paragraphs),
            '<p class="ly">（来源：金融日报）</p>',
            '<div class="zdfy clearfix"></div>',
            f'<div class="edit clearfix">(责任编辑：{e.extra["editor"]})</div>',
            "</div>",
            '<div class="box_news"><h2>相关新闻</h2><ul>'
            + "".join(f'<li><a href="{x.path}" target="_blank">{_e(x.title)}</a></li>' for x in related) + "</ul></div>",
            "</div>",
            '<div class="fr text_con_right"><div class="ph"><h2>热点排行</h2><ol>'
            + "".join(f'<li><a href="{x.path}">{_e(x.title)}</a></li>' for x in docs[:5]) + "</ol></div></div>",
            "</div>",
        ]
        e.file = e.path.lstrip("/")
        site.add_html(e.path, e.file, chrome(f"{s.title}--金融频道--金融日报网", inner, publishdate=f"{e.date:%Y-%m-%d}"), route=False)

    def channel_pages(channel: int, name: str, pool: list[Entry], per: int) -> None:
        n_pages = _pages(len(pool), per)
        for n in range(1, n_pages + 1):
            chunk = pool[(n - 1) * per : n * per]
            lis = [f"<li><a href='{x.path}' target=\"_blank\">{_e(x.title)}</a> <em>{x.date_text}</em></li>" for x in chunk]
            nav = ['<a href="index.html">首页</a>']
            if n > 1:
                nav.append(f'<a href="index{"" if n == 2 else n - 1}.html">上一页</a>')
            current = ' class="common_current_page"'
            nav += [f'<a href="index{"" if k == 1 else k}.html"{current if k == n else ""}>{k}</a>'
                    for k in range(1, n_pages + 1)]
            if n < n_pages:
                nav.append(f'<a href="index{n + 1}.html">下一页</a>')
            inner = [f'<div class="w1000 ej_list_box clearfix"><h2>{name}</h2><ul class="list_ej2">', *lis, "</ul>",
                     f'<div class="page_n clearfix">{"".join(nav)}</div></div>']
            path = f"/GB/{channel}/index{'' if n == 1 else n}.html"
            site.add_html(path, path.lstrip("/"), chrome(f"{name}--金融日报网", inner), route=False)
            if channel == 1004:
                site.lists.append(path)
            else:
                site.robots_refused.append(path)

    channel_pages(1004, "金融监管", ch1004, 4)
    channel_pages(1005, "政策解读", ch1005, 4)
    heads = [f'<li><a href="{x.path}" target="_blank">{_e(x.title)}</a></li>' for x in docs[:5]]
    home = ['<div class="w1000 clearfix p2j_list"><h2>要闻</h2><ul>', *heads, "</ul>",
            '<p class="more"><a href="/GB/1004/index.html">更多金融监管新闻</a> <a href="/GB/1005/index.html">更多政策解读</a></p></div>']
    site.add_html("/", "index.html", chrome("金融日报网--权威金融资讯", home), route=False)
    site.lists.insert(0, "/")
    site.files["robots.txt"] = b"User-agent: *\nDisallow: /GB/1005/\nDisallow: /search/\nDisallow: /app/\n"
    return site


def build_caixun_shibao(stories: list[Story]) -> Site:
    """A Traditional-Chinese Taiwan-style portal in Big5: <article> markup, extensionless story
    URLs, ``2024/05/17 09:32`` dates, own stories plus reprints of jinrong_ribao's."""
    site = Site("caixun_shibao", HOSTS["caixun_shibao"], "news", "財訊時報", "big5", [
        "Traditional Taiwan-style news portal in Big5 (Content-Type and <meta charset> both say big5)",
        "<article> markup, extensionless URLs /news/story/7238/N", "date 2024/05/17 09:32 in <time>",
        "reprints of jinrong_ribao stories converted with OpenCC s2twp (cross-site, cross-script near-duplicates)",
        "figure captions, ads and 延伸閱讀 box inside the text section (dropped by rules)",
        "robots.txt disallows /news/tag/ (tag links on list pages)", "one linked story answers 200 with body-less HTML",
    ])
    conv = _cc("s2twp")
    items: list[tuple[Story, list[str], list[str]]] = []  # (story, paragraphs, kinds)
    for s in stories:
        if s.site == site.name:
            items.append((s, list(s.paragraphs), ["original"]))
        elif s.reprint_title:
            when = s.date + timedelta(hours=3, minutes=11)
            paras = [conv.convert(p) for p in s.paragraphs]
            items.append((Story(s.key, site.name, when, s.reprint_title, tuple(paras)), paras, ["reprint", "traditional"]))
    items.sort(key=lambda t: (t[0].date, t[0].key))
    serial = 7951201
    entries: list[Entry] = []
    for i, (s, paras, kinds) in enumerate(items):
        e = Entry(str(serial), f"/news/story/7238/{serial}", s.title, s.date, "document", s.key, kinds, "hant",
                  date_text=f"{s.date:%Y/%m/%d %H:%M}")
        if "reprint" in kinds:
            e.extra["reprint_of"] = "jinrong_ribao"
        e.lines = [_line(p) for p in paras]
        entries.append(e)
        serial += 1
        if i == 4:
            when = s.date + timedelta(hours=2)
            entries.append(Entry(str(serial), f"/news/story/7238/{serial}", "網貸廣告亂象多 專家：小心「免審核」話術",
                                 when, "no_html_body", "truncated", ["truncated"], "hant",
                                 date_text=f"{when:%Y/%m/%d %H:%M}"))
            serial += 1
    site.entries = entries
    paras_of = {e.id: p for e, (_, p, _) in zip([x for x in entries if x.expect == "document"], items)}
    listed = sorted(entries, key=lambda e: e.date, reverse=True)
    docs = [e for e in listed if e.expect == "document"]
    tags = ("網貸", "催收", "個資")
    tag_paths = [f"/news/tag/{quote(t)}" for t in tags]

    def chrome(title: str, inner: list[str], meta: list[str] = ()) -> str:
        return "\n".join([
            "<!DOCTYPE html>", '<html lang="zh-Hant-TW">', "<head>", '<meta charset="big5">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{_e(title)}</title>", *meta,
            '<link rel="stylesheet" href="/static/css/story.css?v=3.2.1">', "</head>", "<body>",
            '<header class="header"><div class="header__logo"><a href="/">財訊時報</a></div>'
            '<nav class="navigation"><ul><li><a href="/">首頁</a></li><li><a href="/news/cate/7238">財經</a></li>'
            '<li><a href="/news/cate/7239">社會</a></li><li><a href="/search">搜尋</a></li></ul></nav></header>',
            '<main class="wrapper">', *inner, "</main>",
            '<footer class="footer"><p>財訊時報 &copy; 2024 caixun-shibao.example 版權所有 禁止轉載</p>'
            '<p><a href="/about">關於我們</a> <a href="/privacy">隱私權政策</a></p></footer>',
            "</body>", "</html>", "",
        ])

    for e in entries:
        if e.expect == "no_html_body":
            cut = f'<!DOCTYPE html>\n<html lang="zh-Hant-TW">\n<head>\n<meta charset="big5">\n<title>{_e(e.title)} | 財經 | 財訊時報</title>\n</head>\n</html>\n'
            e.file = f"news/story/7238/{e.id}.html"
            site.add_html(e.path, e.file, cut, route=True)
            continue
        paras = paras_of[e.id]
        pos = docs.index(e)
        related = [x for x in docs if x is not e][pos % 3::3][:3]
        blocks = [f"<p>{_e(p)}</p>" for p in paras]
        blocks.insert(1, '<div class="inline-ads"><script>googletag.cmd.push(function(){googletag.display("ad-inread");});</script>廣告</div>')
        blocks.insert(len(blocks) - 1, '<div class="related-inline"><h3>延伸閱讀</h3><ul>'
                      + "".join(f'<li><a href="{x.path}">{_e(x.title)}</a></li>' for x in related) + "</ul></div>")
        inner = [
            '<div class="breadcrumb"><a href="/">首頁</a> / <a href="/news/cate/7238">財經</a></div>',
            '<article class="article-content">',
            f'<h1 class="article-content__title">{_e(e.title)}</h1>',
            f'<div class="article-content__info"><time class="article-content__time" datetime="{e.date:%Y-%m-%dT%H:%M:00+08:00}">{e.date_text}</time>'
            '<span class="article-content__author">財訊時報 綜合報導</span></div>',
            '<div class="article-content__share">分享 <a href="javascript:;">Facebook</a> <a href="javascript:;">LINE</a></div>',
            '<section class="article-content__editor">',
            '<figure class="photo"><img src="/static/img/placeholder.jpg" alt=""><figcaption>示意圖。（圖／財訊時報資料照）</figcaption></figure>',
            *blocks,
            "</section>",
            '<div class="article-content__tags">標籤：' + " ".join(f'<span>{t}</span>' for t in tags) + "</div>",
            "</article>",
            '<section class="more-news"><h2>更多新聞</h2><ul>'
            + "".join(f'<li><a href="{x.path}">{_e(x.title)}</a></li>' for x in docs[:5] if x is not e) + "</ul></section>",
        ]
        meta = [f'<meta property="og:title" content="{_a(e.title)}">', '<meta property="og:type" content="article">',
                f'<meta property="article:published_time" content="{e.date:%Y-%m-%dT%H:%M:00+08:00}">']
        e.file = f"news/story/7238/{e.id}.html"
        site.add_html(e.path, e.file, chrome(f"{e.title} | 財經 | 財訊時報", inner, meta), route=True)

    tag_box = ('<aside class="hot-tags"><h3>熱門標籤</h3>'
               + "".join(f'<a href="{p}">#{t}</a> ' for p, t in zip(tag_paths, tags)) + "</aside>")
    per = 4
    n_pages = _pages(len(listed), per)
    for n in range(1, n_pages + 1):
        chunk = listed[(n - 1) * per : n * per]
        lis = [f'<div class="story-list__news"><h2><a href="{x.path}">{_e(x.title)}</a></h2>'
               f'<time class="story-list__time">{x.date_text}</time></div>' for x in chunk]
        active = ' class="active"'
        nav = [f'<a href="/news/cate/7238{"" if k == 1 else f"/{k}"}"{active if k == n else ""}>{k}</a>'
               for k in range(1, n_pages + 1)]
        if n < n_pages:
            nav.append(f'<a href="/news/cate/7238/{n + 1}">下一頁</a>')
        inner = ['<section class="story-list"><h1 class="story-list__title">財經</h1>', *lis,
                 f'<nav class="pagination">{"".join(nav)}</nav></section>', tag_box]
        path = "/news/cate/7238" if n == 1 else f"/news/cate/7238/{n}"
        site.add_html(path, "news/cate/7238/index.html" if n == 1 else f"news/cate/7238/{n}.html",
                      chrome("財經 | 財訊時報" + ("" if n == 1 else f" 第{n}頁"), inner), route=True)
        site.lists.append(path)
    for p, t in zip(tag_paths, tags):
        lis = [f'<li><a href="{x.path}">{_e(x.title)}</a></li>' for x in docs if t in "".join(paras_of[x.id]) or t in x.title]
        site.add_html(p, f"news/tag/{t}.html", chrome(f"#{t} | 財訊時報", [f'<section class="tag-list"><h1>#{t}</h1><ul>', *lis, "</ul></section>"]),
                      route=True)
        site.robots_refused.append(p)
    home = ['<section class="headlines"><h2>即時新聞</h2><ul>',
            *(f'<li><a href="{x.path}">{_e(x.title)}</a> <time>{x.date_text}</time></li>' for x in listed[:5]),
            '</ul><p><a href="/news/cate/7238">更多財經新聞</a></p></section>', tag_box]
    site.add_html("/", "index.html", chrome("財訊時報 | 財經新聞第一站", home), route=True)
    site.lists.insert(0, "/")
    site.files["robots.txt"] = b"User-agent: *\nDisallow: /news/tag/\nDisallow: /search\n\nUser-agent: BadBot\nDisallow: /\n"
    return site


# --------------------------------------------------------------------------- all sites


def build_sites() -> dict[str, Site]:
    """Every site in memory (files, routes, manifest, expected body lines); writes nothing."""
    arts = _farm_articles()
    done: dict[str, list[FarmItem]] = {}
    sites: dict[str, Site] = {}
    for name, builder in (("wangdai_zhishi", build_wangdai_zhishi), ("yuqi_bangbang", build_yuqi_bangbang),
                          ("daikuan_wenda", build_daikuan_wenda)):
        done[name] = _plan_farm(name, arts, done)
        sites[name] = builder(done[name])
    stories = load_stories()
    sites["jinrong_ribao"] = build_jinrong_ribao(stories)
    sites["caixun_shibao"] = build_caixun_shibao(stories)
    for site in sites.values():
        site.finish()
    return sites


def write_site(site: Site, out_dir: Path) -> None:
    """Replace ``out_dir`` with the site's files; refuses folders this generator did not write."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        manifest = out_dir / "_manifest.json"
        ours = manifest.is_file() and json.loads(manifest.read_text(encoding="utf-8")).get("generator") == GENERATOR
        if any(out_dir.iterdir()) and not ours:
            raise ValueError(f"{out_dir} was not written by {GENERATOR}; refusing to replace it")
        shutil.rmtree(out_dir)
    for rel, data in sorted(site.files.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def generate_all(sites_dir: Path = SITES_DIR) -> dict[str, Site]:
    """Write all five site folders under ``sites_dir`` (one folder per host)."""
    sites = build_sites()
    for site in sites.values():
        write_site(site, Path(sites_dir) / site.host)
    return sites


def main(argv: list[str] | None = None) -> int:
    """Regenerate the committed folders (default) or write them under ``--out``."""
    ap = argparse.ArgumentParser(prog=f"python -m {GENERATOR}", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=SITES_DIR, help=f"folder of site folders (default: {SITES_DIR})")
    args = ap.parse_args(argv)
    for site in generate_all(args.out).values():
        m = site.manifest()
        print(f"{site.name:15s} {site.host:28s} {len(site.files):3d} files, {len(m['expected_documents'])} documents, "
              f"{len(m['expected_rejects'])} rejects", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
