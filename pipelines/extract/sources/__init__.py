"""Parsers for sources with their own shapes (complaint platforms, forums).

Each module here is one source's unit: ``SOURCE = Source(...)`` (its one declaration: id, name,
hosts, page kinds, spider, row tables, expected yields, dataset-card text), ``page_kind(url) ->
PageKind`` and ``parse(record, ctx) -> Extraction`` decorated with ``@source_parser(page_kind)``: a pure
function of one stored response and its ``ParseContext`` (page kind, fetch time). The decorator
builds the context when a caller passes none and turns any exception into a ``parser_error``
reject of that page, so no source repeats either. Modules are found automatically: adding a
source touches only its own module.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract.model import Extraction, PageKind, ParseContext, Reject

Parser = Callable[..., Extraction]


@dataclass(frozen=True)
class Source:
    """Everything the rest of lendcorpus needs to know about one source, declared once.

    The release (platform values, dataset card), the drift alarms, the README's and the
    dictionary's source lists read this (tests hold the docs to it). The spider is named, not
    imported: the crawler depends on the parsers, never the other way round."""

    id: str  # spider name, document source and id prefix: "heimao"
    name: str  # as users know it: "黑猫投诉"
    hosts: tuple[str, ...]  # the real hosts this parser reads
    spider: str  # dotted path of the Scrapy spider class
    page_kinds: tuple[PageKind, ...]  # what page_kind(url) can answer, besides OTHER
    row_tables: tuple[str, ...]  # tables its rows go to (model.ROW_TABLES)
    document_kind: str  # documents.kind of its texts: complaint, letter, post
    collects: str  # one line for the README and the dataset card
    terms: str  # the dataset card's note on the content's terms
    #: page kind -> (mean items per page at least, share of empty pages at most): drift alarms
    expect: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: page kinds of ``expect`` judged during the crawl only: they give the build no rows
    crawl_only: tuple[str, ...] = ()
    #: reject reasons (prefixes) that are the site saying "nothing here" (deleted, login wall, its
    #: error envelopes): empty pages that are not drift
    announced: tuple[str, ...] = ()

    @property
    def docs(self) -> str:
        return f"docs/sources/{self.id}.md"


def source_modules() -> list:
    """Every source module of this package (and of any folder appended to its ``__path__``)."""
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            out.append(importlib.import_module(f"{__name__}.{info.name}"))
    return out


def registry() -> dict[str, Source]:
    """id -> Source, for every source module."""
    found: dict[str, Source] = {}
    for module in source_modules():
        src = getattr(module, "SOURCE", None)
        if not isinstance(src, Source):
            raise RuntimeError(f"{module.__name__} declares no SOURCE = Source(...)")
        if src.id in found:
            raise RuntimeError(f"two source modules declare id {src.id}")
        found[src.id] = src
    return found


def complaint_platforms() -> tuple[str, ...]:
    """Ids of the sources that file complaints (the release's ``platform`` values)."""
    return tuple(s.id for s in registry().values() if "complaints" in s.row_tables)


def context_for(record: ArchivedRecord, page_kind: Callable[[str], PageKind]) -> ParseContext:
    return ParseContext(page_kind(record.url), record.fetched_at)


def source_parser(page_kind: Callable[[str], PageKind]) -> Callable[[Callable], Parser]:
    """Decorate a source's ``parse(record, ctx)``: context made once, exceptions become rejects."""

    def wrap(parse: Callable[[ArchivedRecord, ParseContext], Extraction]) -> Parser:
        @functools.wraps(parse)
        def guarded(record: ArchivedRecord, ctx: ParseContext | None = None) -> Extraction:
            ctx = ctx or context_for(record, page_kind)
            try:
                return parse(record, ctx)
            except Exception as exc:  # a parser bug or a shape nobody foresaw costs one page, not the build
                return Extraction(ctx.page_kind, rejects=[
                    Reject("source", "parser_error", f"{type(exc).__name__}: {exc}"[:200])])

        guarded.page_kind = page_kind  # type: ignore[attr-defined]
        return guarded

    return wrap


@lru_cache(maxsize=1)
def parsers() -> dict[str, Parser]:
    """host -> parse function, from every source module's declaration."""
    found: dict[str, Parser] = {}
    for module in source_modules():
        for host in module.SOURCE.hosts:
            if host.lower() in found:
                raise RuntimeError(f"two source parsers claim host {host}")
            found[host.lower()] = module.parse
    return found


def parser_for(url: str) -> Parser | None:
    return parsers().get((urlsplit(url).hostname or "").lower())
