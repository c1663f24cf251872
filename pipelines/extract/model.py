"""What extraction produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Document:
    doc_id: str
    source: str
    kind: str
    url: str
    title: str | None
    text: str
    published_at: datetime | None
    extractor: str
    encoding: str | None = None
    encoding_evidence: str | None = None

    def __repr__(self) -> str:  # documents may carry personal data: keep it out of logs
        return f"Document({self.doc_id!r}, {len(self.text)} chars)"


@dataclass(frozen=True)
class Reject:
    stage: str  # archive, fetch, decode, extract
    reason: str  # short machine-readable code, e.g. http_404, empty_body, no_main_text
    detail: str = ""


@dataclass
class Extraction:
    page_kind: str  # article, list, sitemap, robots, other
    documents: list[Document] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
