"""Chinese full-text search that works offline: DuckDB's FTS extension over character bigrams.

DuckDB's FTS tokenizer splits on spaces and drops what is not a-z, so Chinese must arrive
pre-segmented. Character bigrams need no dictionary, never miss a platform name or a new slang
word a segmenter does not know, and match masked forms' unmasked parts; BM25 over bigrams ranks
well for short queries. The extension is loaded from its PyPI wheel (``duckdb-extension-fts``,
same version as duckdb) by file path, so nothing is downloaded at run time.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa

SEARCH_VERSION = "bigram@1"
# The extension's `ignore` regex is replaced by a space before splitting; an empty one would put a
# space between every character, so it must match something harmless (white space).
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(rf"[{_HAN}]+|[0-9a-z]+")


def fts_extension_path() -> Path:
    import duckdb_extension_fts

    root = Path(duckdb_extension_fts.__file__).parent / "extensions"
    wanted = root / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if wanted.exists():
        return wanted
    found = sorted(root.glob("*/fts.duckdb_extension"))
    raise RuntimeError(
        f"duckdb-extension-fts for duckdb {duckdb.__version__} not installed (found: {[p.parent.name for p in found]}); "
        "install the same version as duckdb (pinned in pyproject.toml)")


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD '{fts_extension_path()}'")


def simplified(text: str) -> str:
    """Titles are stored as extracted (any script); search matches Simplified."""
    if not text:
        return ""
    from lendcorpus.pipelines.normalize import normalize_text

    return normalize_text(text).text_simplified


def tokens(text: str) -> list[str]:
    """Bigrams of every Han run (a lone character stays a unigram), lower-cased Latin words and numbers."""
    out: list[str] = []
    for run in _RUN_RE.findall((text or "").lower()):
        if run[0].isascii():
            out.append(run)
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


class SearchIndexPass:
    """Keeps ``search_docs`` (doc_id, title, tokens) in step with documents and rebuilds the FTS
    index when anything changed (DuckDB's FTS index is not incremental)."""

    name = f"search({SEARCH_VERSION})"

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        cols = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'documents'").fetchall()}
        body = "COALESCE(NULLIF(text_main_simplified, ''), text_simplified, text)" if "text_main_simplified" in cols \
            else "COALESCE(text_simplified, text)"
        if reprocess:
            con.execute("DELETE FROM search_docs")
        removed = con.execute("DELETE FROM search_docs WHERE doc_id NOT IN (SELECT doc_id FROM documents) "
                              "OR indexer <> ?", [self.name]).fetchone()[0]
        todo = con.execute(
            f"SELECT doc_id, coalesce(title, ''), {body} FROM documents "
            "WHERE doc_id NOT IN (SELECT doc_id FROM search_docs)").fetchall()
        if todo:
            table = pa.table({
                "doc_id": [r[0] for r in todo],
                "indexer": [self.name] * len(todo),
                "tokens": [" ".join(tokens(simplified(r[1])) + tokens(r[2])) for r in todo],
            })
            con.register("_search", table)
            con.execute("INSERT INTO search_docs BY NAME SELECT * FROM _search")
            con.unregister("_search")
        if todo or removed or reprocess or not _index_exists(con):
            load_fts(con)
            con.execute("PRAGMA create_fts_index('search_docs', 'doc_id', 'tokens', stemmer = 'none', "
                        "stopwords = 'none', ignore = '\\s+', strip_accents = 0, lower = 0, overwrite = 1)")
            _cluster_postings(con)
        return {"indexed": len(todo), "removed": removed}


def _cluster_postings(con: duckdb.DuckDBPyConnection) -> None:
    """Store the index's postings (one row per token occurrence) ordered by term.

    The extension writes them in document order, so every query scans all of them (71M rows at a
    million documents). Ordered by term, each row group holds few terms and DuckDB skips the row
    groups whose min/max cannot hold the query's terms: search time halves at 1M documents
    (docs/analysis.md, "Scale"), for about a tenth more index-build time. Scores are unchanged
    (up to floating-point summation order, which may reorder exact ties).
    """
    con.execute("CREATE OR REPLACE TABLE fts_main_search_docs.terms AS "
                "SELECT * FROM fts_main_search_docs.terms ORDER BY termid, docid")


def _index_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.schemata "
                            "WHERE schema_name = 'fts_main_search_docs'").fetchone()[0])
