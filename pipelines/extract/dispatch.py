"""Choose how to read one archived record: site rules, generic extraction, or nothing."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lendcorpus.archive import H_BLOCKED, H_KIND, ArchivedRecord
from lendcorpus.siterules import SiteRules, rules_for_url, url_hash
from lendcorpus.pipelines.extract.generic import extract_generic_page, extractor_version
from lendcorpus.pipelines.extract.model import Document, Extraction, PageKind, Reject
from lendcorpus.pipelines.extract.rules import extract_with_rules
from lendcorpus.pipelines.extract.sources import context_for, parser_for

NAVIGATION = frozenset({PageKind.LIST, PageKind.SITEMAP, PageKind.ROBOTS})
#: Generic extraction on pages nobody described yields menus and stubs; below this it is a reject.
GENERIC_MIN_CHARS = 80
#: More replacement characters than this share of the text means the bytes were not text.
MAX_REPLACEMENT_SHARE = 0.02

_CHARSET_RE = re.compile(r"charset=([\w.:-]+)", re.I)
_BODY_RE = re.compile(rb"<body[\s>]", re.I)


def _looks_html(ctype: str, body: bytes) -> bool:
    if "html" in ctype or "xml+xhtml" in ctype:
        return True
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def page_kind(rec: ArchivedRecord, site: SiteRules | None) -> str:
    """The kind the crawl wrote beside the record, else robots.txt, else the site's rules."""
    kind = rec.warc_headers.get(H_KIND, "")
    if kind:
        return kind
    path = urlsplit(rec.url).path
    if path == "/robots.txt":
        return PageKind.ROBOTS
    if site is not None:
        return site.page_kind(rec.url) or PageKind.OTHER
    return PageKind.OTHER


def extract_record(rec: ArchivedRecord, rules: dict[str, SiteRules] | None = None) -> Extraction:
    """Turn one archived record into documents and/or rejects, with the reason for each reject."""
    from lendcorpus.pipelines.normalize import decode_html

    site = rules_for_url(rec.url, rules)
    kind = page_kind(rec, site)
    if rec.rec_type == "metadata" or rec.status is None:
        return Extraction(kind, rejects=[Reject("fetch", rec.error or "no_response")])
    blocked = rec.warc_headers.get(H_BLOCKED)
    if blocked:
        return Extraction(kind, rejects=[Reject("fetch", blocked)])
    if rec.status >= 400:
        return Extraction(kind, rejects=[Reject("fetch", f"http_{rec.status}")])
    if rec.status >= 300 or kind in NAVIGATION:
        return Extraction(kind)
    source_parser = parser_for(rec.url)
    if source_parser is not None:
        return source_parser(rec, context_for(rec, source_parser.page_kind))
    ctype = (rec.header("Content-Type") or "").lower()
    if site is not None and kind != PageKind.ARTICLE:
        return Extraction(kind)  # a page of a described site that is not an article: navigation
    if not rec.body.strip():
        return Extraction(kind, rejects=[Reject("extract", "empty_body")])
    if not _looks_html(ctype, rec.body):
        if site is not None:
            return Extraction(kind, rejects=[Reject("extract", "not_html", ctype[:80])])
        return Extraction(kind)
    m = _CHARSET_RE.search(ctype)
    try:
        decoded = decode_html(rec.body, m.group(1) if m else None)
    except ValueError as exc:
        return Extraction(kind, rejects=[Reject("decode", "undecodable", str(exc)[:200])])
    html = decoded.text
    if decoded.errors > MAX_REPLACEMENT_SHARE * max(len(html), 1):
        return Extraction(kind, rejects=[Reject("decode", "undecodable",
                                                f"{decoded.errors} bad sequences as {decoded.encoding}")])
    title = text = None
    published = None
    extractor = ""
    if site is not None:
        title, text, published = extract_with_rules(html, site)
        extractor = f"rules:{site.name}@{site.version}"
    if not text:
        page = extract_generic_page(html, rec.url)
        text = page.text
        title = title or page.title
        published = published or page.published
        extractor = f"{extractor_version()}/{page.method}"
        if site is None and text and len(text) < GENERIC_MIN_CHARS:
            return Extraction(kind, rejects=[Reject("extract", "too_short", f"{len(text)} chars")])
    if not text:
        reason = "no_html_body" if not _BODY_RE.search(rec.body) else "no_main_text"
        return Extraction(kind, rejects=[Reject("extract", reason)])
    source = site.name if site is not None else "web"
    native = site.native_id(rec.url) if site is not None else url_hash(rec.url)
    doc = Document(
        doc_id=f"{source}:{native}",
        source=source,
        kind="article",
        url=rec.url,
        title=title,
        text=text,
        published_at=published,
        extractor=extractor,
        encoding=decoded.encoding,
        encoding_evidence=decoded.evidence,
    )
    return Extraction(PageKind.ARTICLE if site is None else kind, documents=[doc])
