"""Per-site rules for content farms and news sites, read from ``crawler/sites/*.toml``.

One TOML file describes one site: where to start, which URLs are navigation and which are
articles, and the CSS that finds title, body and date. The crawler uses the navigation part; the
build uses the extraction part. No Scrapy import here, so the build can read rules too.
The file format is documented in docs/adding-a-site.md.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from lendcorpus.paths import SITE_RULES_DIR

NAME_RE = re.compile(r"^[a-z0-9_]+$")


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class ExtractRules:
    title: str = "h1"
    body: str = "article"
    date: str = ""
    date_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M", "%Y-%m-%d")
    drop: tuple[str, ...] = ("script", "style")


@dataclass(frozen=True)
class SiteRules:
    name: str
    kind: str
    allowed_domains: tuple[str, ...]
    start_urls: tuple[str, ...]
    sitemaps: tuple[str, ...]
    follow: tuple[re.Pattern, ...]
    articles: tuple[re.Pattern, ...]
    id_regex: re.Pattern | None
    encoding: str
    extract: ExtractRules
    path: Path | None = None
    version: str = field(default="")

    def page_kind(self, url: str) -> str | None:
        """'article', 'list' or None (not ours to follow)."""
        if any(p.search(url) for p in self.articles):
            return "article"
        if any(p.search(url) for p in self.follow):
            return "list"
        return None

    def owns(self, url: str) -> bool:
        return self.owns_host((urlsplit(url).hostname or "").lower())

    def owns_host(self, host: str) -> bool:
        """``owns`` for a host already split off and lower-cased."""
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def native_id(self, url: str) -> str:
        if self.id_regex is not None:
            m = self.id_regex.search(url)
            if m:
                return m.group(1)
        return url_hash(url)


def url_hash(url: str) -> str:
    """A short stable id for pages without one of their own."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def _compile(patterns, path: Path, key: str) -> tuple[re.Pattern, ...]:
    try:
        return tuple(re.compile(p) for p in patterns)
    except re.error as exc:
        raise RulesError(f"{path.name}: bad regex in {key!r}: {exc}") from exc


def parse_rules(text: str, path: Path) -> SiteRules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path.name}: not valid TOML: {exc}") from exc
    name = data.get("name", "")
    if not NAME_RE.match(name):
        raise RulesError(f"{path.name}: 'name' must match [a-z0-9_]+ (got {name!r})")
    if not data.get("start_urls") and not data.get("sitemaps"):
        raise RulesError(f"{path.name}: needs 'start_urls' or 'sitemaps'")
    if not data.get("articles"):
        raise RulesError(f"{path.name}: needs at least one 'articles' pattern")
    ex = data.get("extract", {})
    extract = ExtractRules(
        title=ex.get("title", "h1"),
        body=ex.get("body", "article"),
        date=ex.get("date", ""),
        date_formats=tuple(ex.get("date_formats", ExtractRules.date_formats)),
        drop=tuple(ex.get("drop", ExtractRules.drop)),
    )
    id_regex = data.get("id_regex")
    return SiteRules(
        name=name,
        kind=data.get("kind", "farm"),
        allowed_domains=tuple(d.lower() for d in data.get("allowed_domains", [])),
        start_urls=tuple(data.get("start_urls", [])),
        sitemaps=tuple(data.get("sitemaps", [])),
        follow=_compile(data.get("follow", []), path, "follow"),
        articles=_compile(data["articles"], path, "articles"),
        id_regex=_compile([id_regex], path, "id_regex")[0] if id_regex else None,
        encoding=data.get("encoding", "") or "",
        extract=extract,
        path=path,
        version=hashlib.sha1(text.encode("utf-8")).hexdigest()[:8],
    )


@lru_cache(maxsize=8)
def load_all(directory: Path = SITE_RULES_DIR) -> dict[str, SiteRules]:
    """Every rules file in ``directory`` by site name (cached: rules are read once a process)."""
    rules: dict[str, SiteRules] = {}
    for path in sorted(Path(directory).glob("*.toml")):
        r = parse_rules(path.read_text(encoding="utf-8"), path)
        if r.name in rules:
            raise RulesError(f"{path.name}: site name {r.name!r} also used by {rules[r.name].path.name}")
        rules[r.name] = r
    return rules


def rules_for_url(url: str, rules: dict[str, SiteRules] | None = None) -> SiteRules | None:
    """The site whose domains own ``url``, if any."""
    host = (urlsplit(url).hostname or "").lower()  # split once, not once per site
    for r in (rules if rules is not None else load_all()).values():
        if r.owns_host(host):
            return r
    return None
