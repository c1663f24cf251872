"""Generic extraction for pages no site rule covers (foreign WARCs, news sites, the long tail of farms).

Main text: readability-lxml and resiliparse read every page, trafilatura joins when readability
looks wrong, and one is picked per page by how much running prose each found
(``generic_text``). Title and publication time come from the page's own evidence: JSON-LD and
meta tags, labelled dates in the visible text, htmldate last (``generic_meta``). Pages with site
rules never get here, so only hosts without rules pay for the extra extractors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from lendcorpus.pipelines.extract.generic_meta import (
    _jsonld_objects, _meta, date_in_text, htmldate_date, page_title, structured_date,
)
from lendcorpus.pipelines.extract.generic_text import pick_main_text

#: Bump when the output for the same bytes changes; documents record it in ``extractor``.
VERSION = 2

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_WS = re.compile(r"\s+")


@lru_cache(maxsize=1)
def extractor_version() -> str:
    from importlib.metadata import version

    return (f"generic@{VERSION}:readability-lxml@{version('readability-lxml')}"
            f"+resiliparse@{version('resiliparse')}+trafilatura@{version('trafilatura')}")


@dataclass
class GenericPage:
    title: str | None
    text: str
    published: datetime | None
    method: str  # which extractor's text was kept: readability, resiliparse, trafilatura
    date_from: str  # structured, text, htmldate or ''


def _tree(html: str):
    from lxml import html as lh

    try:
        return lh.document_fromstring(_XML_DECL.sub("", html, count=1))
    except Exception:  # lxml refuses empty or pathological input; the extractors may still cope
        return None


def extract_generic_page(html: str, url: str | None = None) -> GenericPage:
    """Everything the generic path finds on one decoded page."""
    pick = pick_main_text(html, url)
    tree = _tree(html)
    title = published = None
    date_from = ""
    if tree is not None:
        meta, ld = _meta(tree), _jsonld_objects(tree)
        title = page_title(tree, meta, ld, pick.text)
        published = structured_date(meta, ld)
        date_from = "structured" if published else ""
        if published is None:
            visible = " ".join(tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")
                               or tree.xpath("//text()[not(ancestor::script) and not(ancestor::style)"
                                             " and not(ancestor::title)]"))
            # one space per run: the date pattern's optional parts would backtrack over long runs
            published = date_in_text(_WS.sub(" ", visible), title)
            date_from = "text" if published else ""
    if published is None and pick.text:
        published = htmldate_date(html, url)
        date_from = "htmldate" if published else ""
    return GenericPage(title, pick.text, published, pick.method, date_from)


def extract_generic(html: str, url: str) -> tuple[str | None, str, datetime | None]:
    """(title, main text, published datetime or None); text is '' when nothing was found."""
    page = extract_generic_page(html, url)
    return page.title, page.text, page.published
