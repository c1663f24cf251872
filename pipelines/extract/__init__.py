"""Extraction: a stored response in, documents and rejects out. Pure functions, no I/O.

The same code serves a crawl that wants to look at a page and the build that re-reads the whole
archive, so a fixed parser is applied to everything ever fetched by re-running the build.
"""

from lendcorpus.pipelines.extract.model import Document, Extraction, Reject
from lendcorpus.pipelines.extract.dispatch import extract_record

__all__ = ["Document", "Extraction", "Reject", "extract_record"]
