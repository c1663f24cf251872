"""Chinese full-text search that works offline: BM25 over character bigrams, in DuckDB tables.

Chinese has no spaces, so text is pre-segmented: character bigrams need no dictionary, never miss
a platform name or a new slang word a segmenter does not know, and match masked forms' unmasked
parts; BM25 over bigrams ranks well for short queries.

The index is two tables the build keeps up to date incrementally (migration 0009): ``search_docs``
(tokens and length per document) and ``search_postings`` (one row per term and document, stored
in term order so a query reads only the row groups of its own terms). Scoring is the same BM25 as
DuckDB's FTS extension (k1 = 1.2, b = 0.75; a test checks the scores agree), without its two
costs at a million documents: a full index rebuild on every build, and postings in document order
that every query scans whole (docs/analysis.md, "Search").
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa

SEARCH_VERSION = "bigram@2"
K1, B = 1.2, 0.75
#: Scores are exact to 1e-12 (see scored_sql).
SCORE_SCALE = 10 ** 12
# A re-sort of the postings is due when the rows appended since the last one pass this share.
RESORT_SHARE = 0.125
#: Postings are written for at most this many documents per statement (bounded memory).
POST_DOCS = 25_000
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(rf"[{_HAN}]+|[0-9a-z]+")
# The same tokenizer in SQL (RE2 syntax, same ranges), for the `search_bm25` macro and for
# corpora generated in SQL; tests hold it equal to tokens().
_RUN_RE2 = r"[\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{f900}-\x{faff}]+|[0-9a-z]+"


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


def tokens_sql(text: str) -> str:
    """SQL list expression equal to ``tokens(text)`` for the SQL expression ``text``."""
    return (f"flatten(list_transform(regexp_extract_all(lower(coalesce({text}, '')), '{_RUN_RE2}'), "
            "r -> CASE WHEN r[1] BETWEEN '0' AND 'z' OR length(r) = 1 THEN [r] "
            "ELSE list_transform(range(1, length(r)), k -> substr(r, k, 2)) END))")


def simplified(text: str) -> str:
    """Titles are stored as extracted (any script); search matches Simplified."""
    if not text:
        return ""
    from lendcorpus.pipelines.normalize import normalize_text

    return normalize_text(text).text_simplified


def _score_expr() -> str:
    return (f"sum(round(log((st.n - df.df + 0.5) / (df.df + 0.5) + 1) * (p.tf * {K1 + 1}) / "
            f"(p.tf + {K1} * ({1 - B} + {B} * p.dl / st.avgdl)) * {SCORE_SCALE})::BIGINT) / {SCORE_SCALE}")


def scored_sql(terms: str, match_all: str) -> str:
    """SQL yielding (docid, score) for documents matching the terms; BM25 as DuckDB's FTS extension.

    ``terms`` is a SQL expression for the query's distinct tokens (a list), ``match_all`` a SQL
    boolean (every term must occur, or any). Only the postings of the query's terms are read.
    Each term's share is summed in fixed point (SCORE_SCALE): a sum of doubles depends on the
    order DuckDB's threads add them in, so on a large corpus two copies of one text could score
    a last bit apart from one run to the next and swap places (or move between result pages);
    integers add up the same in any order.
    """
    return f"""
        WITH p AS (SELECT term, docid, tf, dl FROM search_postings WHERE term IN (SELECT unnest({terms}))),
        df AS (SELECT term, count(*) AS df FROM p GROUP BY term),
        st AS (SELECT count(*) AS n, coalesce(avg(dl), 1) AS avgdl FROM search_docs),
        sc AS (SELECT p.docid, {_score_expr()} AS score, count(*) AS hits
               FROM p JOIN df USING (term), st GROUP BY p.docid)
        SELECT docid, score FROM sc WHERE NOT ({match_all}) OR hits = len(list_distinct({terms}))"""


def scored_all_sql(n_terms: int) -> str:
    """``scored_sql`` when every term must occur — the same rows and scores — for the distinct
    terms bound as ``$t0`` … (``scored_all_params``). Faster for common terms: each term's
    postings are scored on their own and the terms joined on docid, instead of grouping every
    document that holds any of the terms (网贷逾期 on a million documents: 0.29–0.36 s instead of
    0.64–0.81 s, same runs under load). The fixed-point shares add up to the same integers in any order."""
    shares = ", ".join(
        f"""t{i} AS (SELECT docid, round(log((st.n - d.df + 0.5) / (d.df + 0.5) + 1) * (tf * {K1 + 1}) /
                (tf + {K1} * ({1 - B} + {B} * dl / st.avgdl)) * {SCORE_SCALE})::BIGINT AS s
            FROM search_postings, st, (SELECT count(*) AS df FROM search_postings WHERE term = $t{i}) d
            WHERE term = $t{i})""" for i in range(n_terms))
    total = " + ".join(["t0.s::HUGEINT"] + [f"t{i}.s" for i in range(1, n_terms)])
    joins = " ".join(f"JOIN t{i} USING (docid)" for i in range(1, n_terms))
    return (f"WITH st AS (SELECT count(*) AS n, coalesce(avg(dl), 1) AS avgdl FROM search_docs), {shares} "
            f"SELECT t0.docid, ({total}) / {SCORE_SCALE} AS score FROM t0 {joins}")


def scored_all_params(terms: list[str]) -> dict[str, str]:
    """The parameters of ``scored_all_sql(len(terms))`` (terms distinct)."""
    return {f"t{i}": t for i, t in enumerate(terms)}


# For the DuckDB shell and notebooks: `SELECT * FROM search_bm25('暴力催收 通讯录') ORDER BY score
# DESC LIMIT 10`. Words are Simplified (lendcorpus search converts Traditional ones first).
SEARCH_MACRO = (
    "CREATE OR REPLACE MACRO search_bm25(q, match_all := true) AS TABLE "
    f"SELECT d.doc_id, s.score FROM ({scored_sql(tokens_sql('q'), 'match_all')}) s "
    "JOIN search_docs d USING (docid)")


_BODY_SQL = "COALESCE(NULLIF(d.text_main_simplified, ''), d.text_simplified, d.text, '')"
_CHUNK = 2000


def tokenize_rows(rows: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Worker function: (doc_id, space-separated tokens of the Simplified title and the body)."""
    return [(doc_id, " ".join(tokens(simplified(title)) + tokens(body))) for doc_id, title, body in rows]


class SearchIndexPass:
    """Keeps ``search_docs`` and ``search_postings`` in step with ``documents``, incrementally:
    a document is (re)indexed exactly when its title or main text, or the indexer, changed."""

    name = f"search({SEARCH_VERSION})"

    def __init__(self) -> None:
        from lendcorpus.pipelines.passes import DERIVED_TEXT, MAIN_TEXT, Declared, upstream

        self.executor = None
        self.declared = Declared(
            "search", self.name, reads=("documents.title", "documents.text_main_simplified"),
            writes=("search_docs", "search_postings", "search_index_state"),
            # the body is the main text, or the derived text when nothing was left of it
            digest_sql=f"md5(coalesce(d.title, '') || chr(0) || {MAIN_TEXT} || {DERIVED_TEXT})",
            joins=upstream("bp", "boilerplate") + " " + upstream("nz", "normalize"))

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        from lendcorpus.pipelines.passes import run_chunks, stream_rows

        decl = self.declared
        if reprocess:
            decl.forget(con, everything=True)
        sql, params = decl.stale_sql()
        con.execute(f"CREATE OR REPLACE TEMP TABLE _search_todo AS {sql}", params)
        removed = self._remove(con, reprocess)
        # what _remove left in _search_todo, in SQL a cursor can run (it cannot see temp tables)
        todo_sql = f"{sql} UNION SELECT doc_id FROM documents WHERE doc_id NOT IN (SELECT doc_id FROM search_docs)"
        stream = stream_rows(con, f"SELECT d.doc_id, coalesce(d.title, ''), {_BODY_SQL} FROM documents d "
                                  f"WHERE d.doc_id IN ({todo_sql}) ORDER BY d.doc_id", params, _CHUNK)
        indexed = 0
        for pairs in run_chunks(self.executor, tokenize_rows, stream):
            table = pa.table({"doc_id": [p[0] for p in pairs], "tokens": [p[1] for p in pairs]})
            con.register("_search", table)
            con.execute("BEGIN TRANSACTION")
            try:  # the documents and the record that they are indexed commit together
                add_search_docs(con, "_search", self.name)
                decl.mark_done(con, "_search")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("_search")
            indexed += len(pairs)
        con.execute("BEGIN TRANSACTION")
        try:
            decl.forget(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("DROP TABLE _search_todo")
        posted, resorted = post_pending(con)
        return {"indexed": indexed, "removed": removed, "postings": posted, "resorted": resorted}

    def _remove(self, con: duckdb.DuckDBPyConnection, reprocess: bool) -> int:
        """Drop documents gone from the corpus, indexed by another version or changed since, with
        their postings (the changed ones are indexed again)."""
        con.execute("BEGIN TRANSACTION")
        try:
            where = "TRUE" if reprocess else \
                "doc_id NOT IN (SELECT doc_id FROM documents) OR indexer <> ? " \
                "OR doc_id IN (SELECT doc_id FROM _search_todo)"
            params = [] if reprocess else [self.name]
            gone = con.execute(f"SELECT count(*) FROM search_docs WHERE {where}", params).fetchone()[0]
            total = con.execute("SELECT count(*) FROM search_docs").fetchone()[0]
            if gone and gone == total:
                con.execute("DELETE FROM search_postings")
                con.execute("DELETE FROM search_docs")
                con.execute("UPDATE search_index_state SET posted_upto = 0, unsorted_rows = 0")
            elif gone:
                con.execute(f"CREATE TEMP TABLE _gone AS SELECT docid FROM search_docs WHERE {where}", params)
                con.execute("DELETE FROM search_postings WHERE docid IN (SELECT docid FROM _gone)")
                con.execute("DELETE FROM search_docs WHERE docid IN (SELECT docid FROM _gone)")
                con.execute("DROP TABLE _gone")
            # documents the index lost (removed above, or never posted) are indexed again
            con.execute("INSERT INTO _search_todo SELECT doc_id FROM documents "
                        "WHERE doc_id NOT IN (SELECT doc_id FROM search_docs) "
                        "AND doc_id NOT IN (SELECT doc_id FROM _search_todo)")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return gone


def add_search_docs(con: duckdb.DuckDBPyConnection, relation: str, indexer: str) -> int:
    """Insert (doc_id, tokens) rows from ``relation`` into search_docs with fresh docids.

    Postings follow in ``post_pending``; corpora generated in SQL call both directly. New docids
    start past the posting watermark too: the highest docids may belong to removed documents, and
    a docid at or below the watermark would never be posted.
    """
    return con.execute(f"""
        INSERT INTO search_docs (doc_id, docid, indexer, dl, tokens)
        SELECT doc_id, greatest((SELECT coalesce(max(docid), 0) FROM search_docs),
                                (SELECT posted_upto FROM search_index_state)) + row_number() OVER (ORDER BY doc_id),
               ?, CASE WHEN tokens = '' THEN 0 ELSE len(string_split(tokens, ' ')) END, tokens
        FROM {relation}""", [indexer]).fetchone()[0]


def post_pending(con: duckdb.DuckDBPyConnection) -> tuple[int, bool]:
    """Write postings for search_docs rows past the watermark; re-sort the table when its
    unsorted tail passes RESORT_SHARE. Returns (postings rows written, re-sorted?)."""
    con.execute("BEGIN TRANSACTION")
    try:
        upto, unsorted = con.execute("SELECT posted_upto, unsorted_rows FROM search_index_state").fetchone()
        before = con.execute("SELECT count(*) FROM search_postings").fetchone()[0]
        top = con.execute("SELECT coalesce(max(docid), 0) FROM search_docs").fetchone()[0]
        # In ranges of POST_DOCS documents: one statement grouping a whole fresh corpus's
        # postings (45 M rows at 100k pages) needs several GiB, and fails under the build's
        # DuckDB memory cap instead of spilling.
        written = 0
        lows = list(range(upto, top, POST_DOCS)) or [upto]
        for lo in lows:
            written += con.execute("""
                INSERT INTO search_postings
                WITH t AS (SELECT docid, dl, unnest(string_split(tokens, ' ')) AS term
                           FROM search_docs WHERE docid > ? AND docid <= ? AND tokens <> '')
                SELECT term, docid, count(*), any_value(dl) FROM t GROUP BY term, docid ORDER BY term, docid""",
                [lo, lo + POST_DOCS]).fetchone()[0]
        # One sorted batch into an empty table is already in term order; several are not.
        unsorted = unsorted + written if before or len(lows) > 1 else 0
        resort = bool(unsorted) and unsorted > RESORT_SHARE * (before + written)
        if resort:
            _resort_postings(con)
            unsorted = 0
        con.execute("UPDATE search_index_state SET posted_upto = ?, unsorted_rows = ?", [max(top, upto), unsorted])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return written, resort


def _resort_postings(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite the postings in term order.

    Sorted by term, each row group holds few terms, and DuckDB skips the row groups whose min/max
    cannot hold the query's terms: a query reads its own postings, not all 60 M rows of a million
    documents. Batches appended by later builds are sorted among themselves only; once they pass
    RESORT_SHARE of the table the whole table is rewritten (about 40 s at a million documents).
    """
    ddl = con.execute("SELECT sql FROM duckdb_tables() WHERE schema_name = 'main' "
                      "AND table_name = 'search_postings'").fetchone()[0]  # as migration 0009 made it
    con.execute("ALTER TABLE search_postings RENAME TO search_postings_old")
    con.execute(ddl)
    con.execute("INSERT INTO search_postings SELECT * FROM search_postings_old ORDER BY term, docid")
    con.execute("DROP TABLE search_postings_old")


def write_macro_file(path: Path | None = None) -> Path:
    """The macro as schema SQL (``datasets/views/90_search_bm25.sql``): the corpus layer creates it
    without importing the indexer; a test keeps the two equal."""
    from lendcorpus.paths import VIEWS_DIR

    path = path or VIEWS_DIR / "90_search_bm25.sql"
    path.write_text(MACRO_FILE_HEADER + SEARCH_MACRO + ";\n", encoding="utf-8")
    return path


MACRO_FILE_HEADER = (
    "-- search_bm25(q, match_all := true): BM25 over search_postings with the indexer's tokenizer.\n"
    "-- Generated from pipelines/search_index.py (python -m lendcorpus.pipelines.search_index --write-macro);\n"
    "-- tests/test_architecture.py fails when this file and the code disagree.\n")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--write-macro"]:
        sys.exit("usage: python -m lendcorpus.pipelines.search_index --write-macro")
    print(write_macro_file())
