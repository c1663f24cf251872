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


#: Tables a source parser may add rows to, besides documents.
ROW_TABLES = ("complaints", "complaint_events", "forum_threads", "forum_posts", "forum_ads")


@dataclass
class Extraction:
    page_kind: str  # article, list, sitemap, robots, api, complaint, thread, other
    documents: list[Document] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    #: (table, row) pairs for ROW_TABLES; archive_path/archive_offset/fetched_at are filled in by
    #: the build when the table has those columns.
    rows: list[tuple[str, dict]] = field(default_factory=list)

    def add(self, table: str, row: dict) -> None:
        if table not in ROW_TABLES:
            raise ValueError(f"unknown table {table!r}; one of {ROW_TABLES}")
        self.rows.append((table, row))


#: which rows count as a page's yield, per page kind (stored in fetches.items; the drift alarms read it)
PRIMARY_TABLE = {"thread": "forum_posts", "forum_list": "forum_threads", "api": "complaints",
                 "complaint": "complaints", "list": "complaints"}


def primary_items(ex: Extraction) -> int:
    """What one extracted response yielded, for its page kind (the build stores it in fetches.items)."""
    table = PRIMARY_TABLE.get(ex.page_kind)
    if table is not None:
        return sum(1 for t, _ in ex.rows if t == table)
    return len(ex.documents)
