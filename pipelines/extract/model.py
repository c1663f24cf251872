"""What extraction produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class PageKind(StrEnum):
    """What a fetched page is, decided once per record (stored in ``fetches.page_kind``)."""

    ARTICLE = "article"
    LIST = "list"  # a list of complaints or articles
    SITEMAP = "sitemap"
    ROBOTS = "robots"
    API = "api"  # a JSON answer listing complaints or letters
    COMPLAINT = "complaint"  # one complaint or letter
    THREAD = "thread"  # a forum thread page
    FORUM_LIST = "forum_list"  # a forum's thread list
    OTHER = "other"


@dataclass(frozen=True)
class ParseContext:
    """What a source parser may know besides the stored response, handed in by the dispatcher so
    parsers stay pure: the page kind (from the source's ``page_kind(url)``) and the fetch time
    (relative dates such as 昨天 or 5分钟前 are read against it; there is no wall clock)."""

    page_kind: PageKind
    fetched_at: datetime | None


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
    page_kind: str  # a PageKind (a str); spiders' own kinds from WARC headers pass through as text
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
PRIMARY_TABLE = {PageKind.THREAD: "forum_posts", PageKind.FORUM_LIST: "forum_threads", PageKind.API: "complaints",
                 PageKind.COMPLAINT: "complaints", PageKind.LIST: "complaints"}


def primary_items(ex: Extraction) -> int:
    """What one extracted response yielded, for its page kind (the build stores it in fetches.items)."""
    table = PRIMARY_TABLE.get(ex.page_kind)
    if table is not None:
        return sum(1 for t, _ in ex.rows if t == table)
    return len(ex.documents)
