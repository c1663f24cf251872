"""Corpus passes: steps that need many documents at once, with declared inputs and versions.

The build runs them after loading archives, in order: normalise (re-derive text whose
normaliser version changed) -> boilerplate -> dedup -> tags -> search. Each pass declares
(``Declared``) the columns it reads, the tables and columns it writes, a version, and a SQL
expression for the digest of its inputs per document. ``pass_state`` (migration 0010) holds, per
document and pass, the version and input digest the pass last processed; a pass reruns exactly
the documents whose recorded pair differs from the current one. Because a pass's outputs are the
next pass's inputs, a change flows downstream and stops where nothing changed: a newly learned
boilerplate line changes ``text_main_simplified`` of that site's pages, so dedup re-signs them,
the tagger re-tags them and search re-indexes them, and no other document is touched.

A pass is an object with a versioned ``name``, a ``declared`` spec and ``run(con,
reprocess=...) -> dict[str, int]``; it must be idempotent, and on ``reprocess=True`` start from
scratch. The build sets ``executor`` on passes that have the attribute, so per-document work
(stripping, tagging, tokenising) runs on the same worker processes as the per-record stage.
Register a pass in ``corpus_passes``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import duckdb


@dataclass(frozen=True)
class Declared:
    """What a pass reads and writes, its version, and its per-document input digest."""

    step: str  # key in pass_state.pass
    version: str
    reads: tuple[str, ...]  # documents columns (and tables) the pass reads
    writes: tuple[str, ...]  # tables / documents columns it writes
    digest_sql: str  # SQL over ``d`` (documents) and ``joins``: digest of what the pass reads
    joins: str = ""  # extra joins the digest needs (an upstream pass's state, the site's line set)
    output_sql: str | None = None  # SQL over ``d``: digest of what it wrote, for the passes after it
    #: False when the inputs can only change by a reload (which forgets every state): the digest is
    #: then recorded but not recomputed for every document on every build.
    recheck: bool = True

    def stale_sql(self, where: str = "TRUE") -> tuple[str, list]:
        """SQL (and parameters) selecting ``doc_id`` of documents this pass must (re)process."""
        changed = f" OR s.input_digest IS DISTINCT FROM {self.digest_sql}" if self.recheck else ""
        return (f"""SELECT d.doc_id FROM documents d {self.joins}
                    LEFT JOIN pass_state s ON s.pass = ? AND s.doc_id = d.doc_id
                    WHERE ({where}) AND (s.doc_id IS NULL OR s.version <> ?{changed})""",
                [self.step, self.version])

    def mark_done(self, con: duckdb.DuckDBPyConnection, ids_relation: str) -> None:
        """Record version, input digest (and output digest) for the documents in ``ids_relation``."""
        output = self.output_sql or "NULL"
        # the documents are narrowed before the joins: a pass marks a chunk at a time, and joining
        # every document with pass_state per chunk made a fresh build quadratic in the corpus
        con.execute(f"""INSERT OR REPLACE INTO pass_state (doc_id, pass, version, input_digest, output_digest)
                        SELECT d.doc_id, ?, ?, {self.digest_sql}, {output}
                        FROM (SELECT * FROM documents WHERE doc_id IN (SELECT doc_id FROM {ids_relation})) d
                        {self.joins}""", [self.step, self.version])

    def forget(self, con: duckdb.DuckDBPyConnection, *, everything: bool = False) -> None:
        """Drop this pass's records: all of them, or those of documents no longer in the corpus."""
        if everything:
            con.execute("DELETE FROM pass_state WHERE pass = ?", [self.step])
        else:
            con.execute("DELETE FROM pass_state WHERE pass = ? AND doc_id NOT IN (SELECT doc_id FROM documents)",
                        [self.step])


def upstream(alias: str, step: str) -> str:
    """A join to an earlier pass's state, so a digest can use what that pass wrote."""
    return f"LEFT JOIN pass_state {alias} ON {alias}.pass = '{step}' AND {alias}.doc_id = d.doc_id"


#: The digests every pass after boilerplate reads: the main text, and the derived text.
MAIN_TEXT = "coalesce(bp.output_digest, '')"
DERIVED_TEXT = "coalesce(nz.output_digest, '')"


class CorpusPass(Protocol):
    name: str
    declared: Declared

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        ...


def corpus_passes() -> list[CorpusPass]:
    """The passes the build runs, in order."""
    from lendcorpus.pipelines.boilerplate import BoilerplatePass
    from lendcorpus.pipelines.dedup import DedupPass
    from lendcorpus.pipelines.textchain import NormalizePass
    from lendcorpus.pipelines.search_index import SearchIndexPass
    from lendcorpus.pipelines.tag.corpus_pass import TagPass

    # normalise first (its output is everyone's input); boilerplate before dedup: dedup signs
    # the main text the boilerplate pass leaves; tags and search read that main text too
    return [NormalizePass(), BoilerplatePass(), TrackedDedup(DedupPass()), TagPass(), SearchIndexPass()]


class TrackedDedup:
    """The dedup pass as its owner wrote it (it finds changed main texts itself, by their md5),
    with its per-document input recorded in ``pass_state`` like every other pass."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.declared = Declared(
            "dedup", f"{inner.name}+{inner.params.signer}", reads=("documents.text_main_simplified",),
            writes=("dedup_signatures", "dedup_bands", "dedup_edges", "dedup_clusters", "dedup_members"),
            digest_sql=MAIN_TEXT, joins=upstream("bp", "boilerplate"))

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        counts = self.inner.run(con, reprocess=reprocess)
        sql, params = self.declared.stale_sql()
        con.execute("BEGIN TRANSACTION")
        try:
            if reprocess:
                self.declared.forget(con, everything=True)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _dd_seen AS {sql}", params)
            self.declared.mark_done(con, "_dd_seen")
            self.declared.forget(con)
            con.execute("DROP TABLE _dd_seen")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return counts


def stream_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list, size: int):
    """Rows of ``sql`` in lists of ``size``, read on a cursor of their own so the caller can write
    on ``con`` meanwhile: a pass holds one chunk per worker in memory, not the corpus's texts.
    (A cursor is another connection: it does not see ``con``'s temporary tables.)"""
    cur = con.cursor()
    try:
        if _total_observer is not None:
            _total_observer(cur.execute(f"SELECT count(*) FROM ({sql}) AS _rows", params).fetchone()[0])
        cur.execute(sql, params)
        while True:
            rows = cur.fetchmany(size)
            if not rows:
                return
            yield rows
    finally:
        cur.close()


#: called with the number of rows of each chunk a pass has finished (the build's progress)
_chunk_observer: Callable[[int], None] | None = None
#: called with the number of rows a pass is about to stream (``stream_rows``): the bar's total
_total_observer: Callable[[int], None] | None = None


@contextmanager
def observe_chunks(observer: Callable[[int], None] | None, totals: Callable[[int], None] | None = None):
    """Meanwhile, report the rows of every chunk the passes finish (``run_chunks``) to ``observer``
    and the rows each ``stream_rows`` will yield to ``totals`` (one count query per stream)."""
    global _chunk_observer, _total_observer
    previous = _chunk_observer, _total_observer
    _chunk_observer, _total_observer = observer, totals
    try:
        yield
    finally:
        _chunk_observer, _total_observer = previous


def _rows_in(chunk) -> int:
    """Documents in a chunk: a list of rows, or a tuple whose first item is one (rows + context)."""
    if isinstance(chunk, tuple) and chunk and isinstance(chunk[0], list):
        return len(chunk[0])
    return len(chunk) if isinstance(chunk, list) else 0


def run_chunks(executor, fn, chunks):
    """``fn`` over ``chunks`` on the build's workers when there are any, else here; in order."""
    sizes: deque[int] = deque()

    def counted():
        for chunk in chunks:
            sizes.append(_rows_in(chunk))
            yield chunk

    results = executor.map_calls(fn, counted()) if executor is not None else map(fn, counted())
    for result in results:
        n = sizes.popleft() if sizes else 0
        if _chunk_observer is not None:
            _chunk_observer(n)
        yield result
