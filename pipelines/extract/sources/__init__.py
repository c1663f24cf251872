"""Parsers for sources with their own shapes (complaint platforms, forums).

Each module here declares ``HOSTS`` (the real hosts it reads), ``page_kind(url) -> PageKind``
and ``parse(record, ctx) -> Extraction`` decorated with ``@source_parser(page_kind)``: a pure
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
from functools import lru_cache
from urllib.parse import urlsplit

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract.model import Extraction, PageKind, ParseContext, Reject

Parser = Callable[..., Extraction]


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
    """host -> parse function, from every module in this package."""
    found: dict[str, Parser] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for host in getattr(module, "HOSTS", ()):
            if host in found:
                raise RuntimeError(f"two source parsers claim host {host}")
            found[host.lower()] = module.parse
    return found


def parser_for(url: str) -> Parser | None:
    return parsers().get((urlsplit(url).hostname or "").lower())
