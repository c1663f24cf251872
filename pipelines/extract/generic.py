"""Generic main-text extraction for pages no site rule covers (foreign WARCs, new sites).

trafilatura is the strongest general extractor on Chinese pages we know of, and also slow
(100-200 pages/s), so it runs only where rules do not.
"""

from __future__ import annotations

from functools import lru_cache

from lendcorpus.pipelines.extract.dates import parse_date


@lru_cache(maxsize=1)
def extractor_version() -> str:
    from importlib.metadata import version

    return f"generic:trafilatura@{version('trafilatura')}"


def extract_generic(html: str, url: str) -> tuple[str | None, str, object]:
    """(title, main text, published datetime or None); text is '' when nothing was found."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=False, with_metadata=True,
        favor_precision=True,
    )
    if doc is None:
        return None, "", None
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    title = data.get("title") or None
    published = parse_date(data.get("date") or "")
    return title, text, published
