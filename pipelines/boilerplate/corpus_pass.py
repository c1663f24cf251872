"""The ``boilerplate`` corpus pass: learn each site's template lines, strip them, keep a record.

Per site (``documents.source``): line counts (``boilerplate_line_counts``: documents of the site
carrying each short line) are kept up to date by adding each new document's lines once, not by
re-counting the site; a document whose Simplified text changed (a new normaliser) makes that
site be counted again from scratch. The learned set is then recomputed from the counts
(``learn_site_lines``) -- learned *and* unlearned, so it is a function of the corpus, never of
the order pages arrived in -- and stored with its digest (``boilerplate_sites``). A page is
stripped again exactly when its texts or its site's line-set digest differ from what
``pass_state`` says the pass saw. Contact footers become one ``publishers`` row per (site,
contact).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import duckdb

from lendcorpus.pipelines.passes import DERIVED_TEXT, Declared, run_chunks, stream_rows, upstream

from .core import DEFAULT_LEARN, WS_SQL_CLASS, LearnParams, Markers, learn_site_lines, load_markers, strip_boilerplate

VERSION = 2
COUNT_VERSION = "lines@1"
_UPDATE_SCHEMA = pa.schema([("doc_id", pa.string()), ("text_main", pa.string()),
                            ("text_main_simplified", pa.string()), ("boilerplate_lines", pa.int32())])
_REMOVED_SCHEMA = pa.schema([("doc_id", pa.string()), ("line_no", pa.int32()), ("line", pa.string()),
                             ("rule", pa.string()), ("contact", pa.string())])
_CHUNK = 2000


def strip_rows(args: tuple) -> tuple[list[dict], list[dict]]:
    """Worker function: strip a chunk of (doc_id, text_clean, text_simplified) rows."""
    rows, site_lines, markers = args
    updates: list[dict] = []
    removed: list[dict] = []
    for doc_id, clean, simp in rows:
        s = strip_boilerplate(clean or "", simp or "", site_lines, markers)
        updates.append({"doc_id": doc_id, "text_main": s.text_main,
                        "text_main_simplified": s.text_main_simplified, "boilerplate_lines": len(s.removed)})
        removed.extend({"doc_id": doc_id, "line_no": r.line_no, "line": r.line, "rule": r.rule,
                        "contact": r.contact} for r in s.removed)
    return updates, removed


def _lines_digest(lines: set[str]) -> str:
    return hashlib.md5("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


class BoilerplatePass:
    """Corpus pass; see the module docstring."""

    def __init__(self, learn: LearnParams = DEFAULT_LEARN, markers: Markers | None = None):
        self.learn = learn
        self.markers = markers or load_markers()
        self.name = f"boilerplate@{VERSION}"
        self.stamp = (f"boilerplate@{VERSION}+markers@{self.markers.version}"
                      f"+learn@{learn.min_docs},{learn.min_share},{learn.max_chars}")
        self.executor = None
        self.counted = Declared(
            "boilerplate_count", COUNT_VERSION, reads=("documents.text_simplified",),
            writes=("boilerplate_line_counts", "boilerplate_sites.site_docs"),
            digest_sql=DERIVED_TEXT, joins=upstream("nz", "normalize"))
        self.declared = Declared(
            "boilerplate", self.stamp,
            reads=("documents.text_clean", "documents.text_simplified", "boilerplate_sites.lines_digest"),
            writes=("documents.text_main", "documents.text_main_simplified", "documents.boilerplate",
                    "documents.boilerplate_lines", "boilerplate_removed", "boilerplate_lines", "publishers"),
            digest_sql=f"md5({DERIVED_TEXT} || coalesce(b.lines_digest, ''))",
            joins="LEFT JOIN boilerplate_sites b ON b.source = d.source " + upstream("nz", "normalize"),
            output_sql="md5(COALESCE(d.text_main_simplified, d.text_simplified, d.text, ''))")

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        counts = {"sites": 0, "sites_recounted": 0, "lines_learned": 0, "lines_unlearned": 0, "documents": 0,
                  "lines_removed": 0, "empty_after": 0}
        con.execute("BEGIN TRANSACTION")
        try:
            if reprocess:
                for table in ("boilerplate_lines", "boilerplate_removed", "publishers", "boilerplate_line_counts",
                              "boilerplate_sites"):
                    con.execute(f"DELETE FROM {table}")
                self.counted.forget(con, everything=True)
                self.declared.forget(con, everything=True)
                con.execute("UPDATE documents SET text_main = NULL, text_main_simplified = NULL, "
                            "boilerplate = NULL, boilerplate_lines = NULL WHERE boilerplate IS NOT NULL")
            gone = con.execute("SELECT count(*) FROM pass_state WHERE pass = ? AND doc_id NOT IN "
                               "(SELECT doc_id FROM documents)", [self.counted.step]).fetchone()[0]
            if gone:  # documents left the corpus: their lines must leave the counts
                con.execute("DELETE FROM boilerplate_line_counts")
                self.counted.forget(con, everything=True)
                self.declared.forget(con)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        sql, params = self.counted.stale_sql()
        to_count = [r[0] for r in con.execute(
            f"SELECT DISTINCT source FROM documents WHERE doc_id IN ({sql}) ORDER BY 1", params).fetchall()]
        for source in to_count:
            self._count_site(con, source, counts)
        sql, params = self.declared.stale_sql()
        to_strip = [r[0] for r in con.execute(
            f"SELECT DISTINCT source FROM documents WHERE doc_id IN ({sql}) ORDER BY 1", params).fetchall()]
        for source in to_strip:
            self._strip_site(con, source, counts)
        return counts

    # ------------------------------------------------------------------ learning

    def _line_counts_sql(self, ids_where: str) -> str:
        return f"""
            WITH lines AS (
                SELECT DISTINCT doc_id, regexp_replace(l, '{WS_SQL_CLASS}', '', 'g') AS key
                FROM (SELECT doc_id, unnest(string_split(text_simplified, chr(10))) AS l
                      FROM documents WHERE source = ? AND text_simplified IS NOT NULL AND {ids_where})
            )
            SELECT key, count(*) AS docs FROM lines WHERE key <> '' AND length(key) <= ? GROUP BY key"""

    def line_frequencies(self, con: duckdb.DuckDBPyConnection, source: str) -> tuple[dict[str, int], int]:
        """(line key -> documents of the site containing it, number of site documents), as counted."""
        n = con.execute("SELECT count(*) FROM documents WHERE source = ?", [source]).fetchone()[0]
        need = self.learn.threshold(n)
        rows = con.execute("SELECT line_key, docs FROM boilerplate_line_counts WHERE source = ? AND docs >= ?",
                           [source, need]).fetchall()
        return dict(rows), n

    def _count_site(self, con: duckdb.DuckDBPyConnection, source: str, counts: dict[str, int]) -> None:
        """Add the lines of the site's uncounted documents; recount the site when a counted text changed."""
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _bp_new AS {self._stale_of_site()}",
                        [self.counted.step, source, self.counted.version])
            changed = con.execute("SELECT count(*) FROM _bp_new n JOIN pass_state s ON s.pass = ? AND s.doc_id = n.doc_id",
                                  [self.counted.step]).fetchone()[0]
            if changed:
                counts["sites_recounted"] += 1
                con.execute("DELETE FROM boilerplate_line_counts WHERE source = ?", [source])
                con.execute("CREATE OR REPLACE TEMP TABLE _bp_new AS SELECT doc_id FROM documents WHERE source = ?",
                            [source])
            con.execute(f"""
                INSERT INTO boilerplate_line_counts (source, line_key, docs)
                SELECT ?, key, docs FROM ({self._line_counts_sql('doc_id IN (SELECT doc_id FROM _bp_new)')})
                ON CONFLICT (source, line_key) DO UPDATE SET docs = boilerplate_line_counts.docs + excluded.docs""",
                        [source, source, self.learn.max_chars])
            self.counted.mark_done(con, "_bp_new")
            con.execute("DROP TABLE _bp_new")
            self._learn(con, source, counts)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

    def _stale_of_site(self) -> str:
        return (f"SELECT d.doc_id FROM documents d {self.counted.joins} "
                "LEFT JOIN pass_state s ON s.pass = ? AND s.doc_id = d.doc_id WHERE d.source = ? AND "
                f"(s.doc_id IS NULL OR s.version <> ? OR s.input_digest IS DISTINCT FROM {self.counted.digest_sql})")

    def _learn(self, con: duckdb.DuckDBPyConnection, source: str, counts: dict[str, int]) -> None:
        """Recompute the site's learned lines from its counts; store them and their digest."""
        freq, n_docs = self.line_frequencies(con, source)
        lines = learn_site_lines(freq, n_docs, self.learn, self.markers)
        known = {r[0] for r in con.execute("SELECT line_key FROM boilerplate_lines WHERE source = ?",
                                           [source]).fetchall()}
        new, dropped = sorted(lines - known), sorted(known - lines)
        if dropped:
            con.register("_bp_drop", pa.table({"line_key": dropped}))
            con.execute("DELETE FROM boilerplate_lines WHERE source = ? AND line_key IN (SELECT line_key FROM _bp_drop)",
                        [source])
            con.unregister("_bp_drop")
        if new:
            con.register("_bp_learn", pa.table({"line_key": new, "docs": [freq[k] for k in new]}))
            con.execute("INSERT INTO boilerplate_lines (source, line_key, docs, site_docs) "
                        "SELECT ?, line_key, docs, ? FROM _bp_learn", [source, n_docs])
            con.unregister("_bp_learn")
        # the counts behind every learned line, as of now
        con.execute("UPDATE boilerplate_lines SET docs = c.docs, site_docs = ? FROM boilerplate_line_counts c "
                    "WHERE boilerplate_lines.source = ? AND c.source = boilerplate_lines.source "
                    "AND c.line_key = boilerplate_lines.line_key", [n_docs, source])
        con.execute("INSERT INTO boilerplate_sites (source, site_docs, lines_digest) VALUES (?, ?, ?) "
                    "ON CONFLICT (source) DO UPDATE SET site_docs = excluded.site_docs, "
                    "lines_digest = excluded.lines_digest", [source, n_docs, _lines_digest(lines)])
        counts["lines_learned"] += len(new)
        counts["lines_unlearned"] += len(dropped)

    # ------------------------------------------------------------------ stripping

    def _strip_site(self, con: duckdb.DuckDBPyConnection, source: str, counts: dict[str, int]) -> None:
        site_lines = frozenset(r[0] for r in con.execute(
            "SELECT line_key FROM boilerplate_lines WHERE source = ?", [source]).fetchall())
        sql = (f"SELECT d.doc_id FROM documents d {self.declared.joins} "
               "LEFT JOIN pass_state s ON s.pass = ? AND s.doc_id = d.doc_id WHERE d.source = ? AND "
               f"(s.doc_id IS NULL OR s.version <> ? OR s.input_digest IS DISTINCT FROM {self.declared.digest_sql})")
        stream = stream_rows(con, f"SELECT doc_id, text_clean, text_simplified FROM documents WHERE doc_id IN ({sql}) "
                                  "ORDER BY doc_id", [self.declared.step, source, self.declared.version], _CHUNK)
        chunks = ((rows, site_lines, self.markers) for rows in stream)
        con.execute("BEGIN TRANSACTION")
        try:
            for updates, removed in run_chunks(self.executor, strip_rows, chunks):
                self._write_chunk(con, updates, removed, counts)
            self._publishers(con, source)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        counts["sites"] += 1

    def _write_chunk(self, con: duckdb.DuckDBPyConnection, updates: list[dict], removed: list[dict],
                     counts: dict[str, int]) -> None:
        counts["documents"] += len(updates)
        counts["lines_removed"] += len(removed)
        counts["empty_after"] += sum(1 for u in updates if not u["text_main_simplified"])
        con.register("_bp_upd", pa.Table.from_pylist(updates, schema=_UPDATE_SCHEMA))
        con.execute("DELETE FROM boilerplate_removed WHERE doc_id IN (SELECT doc_id FROM _bp_upd)")
        con.execute(
            "UPDATE documents SET text_main = u.text_main, text_main_simplified = u.text_main_simplified, "
            "boilerplate_lines = u.boilerplate_lines, boilerplate = ? FROM _bp_upd u WHERE documents.doc_id = u.doc_id",
            [self.stamp])
        self.declared.mark_done(con, "_bp_upd")
        con.unregister("_bp_upd")
        if removed:
            con.register("_bp_rm", pa.Table.from_pylist(removed, schema=_REMOVED_SCHEMA))
            con.execute("INSERT INTO boilerplate_removed BY NAME SELECT * FROM _bp_rm")
            con.unregister("_bp_rm")

    @staticmethod
    def _publishers(con: duckdb.DuckDBPyConnection, source: str) -> None:
        con.execute(
            """
            INSERT INTO publishers (source, contact, rule, first_doc_id, docs)
            SELECT d.source, r.contact, min(r.rule), min(r.doc_id), count(DISTINCT r.doc_id)
            FROM boilerplate_removed r JOIN documents d USING (doc_id)
            WHERE d.source = ? AND r.contact IS NOT NULL
            GROUP BY d.source, r.contact
            ON CONFLICT (source, contact) DO UPDATE SET rule = excluded.rule, first_doc_id = excluded.first_doc_id,
                docs = excluded.docs,
                last_seen = CASE WHEN publishers.docs <> excluded.docs THEN now() ELSE publishers.last_seen END
            """,
            [source],
        )
        # a contact no page of the site carries any more is no longer a publisher of it
        con.execute("""DELETE FROM publishers WHERE source = ? AND contact NOT IN (
                           SELECT r.contact FROM boilerplate_removed r JOIN documents d USING (doc_id)
                           WHERE d.source = ? AND r.contact IS NOT NULL)""", [source, source])
