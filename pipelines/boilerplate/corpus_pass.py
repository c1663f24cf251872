"""The ``boilerplate`` corpus pass: learn each site's template lines, strip them, keep a record.

Runs after the build has loaded documents. Per site (``documents.source``) with documents not
yet stripped by this version: count in SQL how many of the site's pages carry each short line,
learn the lines over the threshold (``boilerplate_lines``, kept across builds), then strip the
new documents -- or all of the site's documents when a new line was learned, so every page of a
site is stripped with the same list. Contact footers become one ``publishers`` row per
(site, contact).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import duckdb

from .core import DEFAULT_LEARN, WS_SQL_CLASS, LearnParams, Markers, learn_site_lines, load_markers, strip_boilerplate

VERSION = 1
_UPDATE_SCHEMA = pa.schema([("doc_id", pa.string()), ("text_main", pa.string()),
                            ("text_main_simplified", pa.string()), ("boilerplate_lines", pa.int32())])
_REMOVED_SCHEMA = pa.schema([("doc_id", pa.string()), ("line_no", pa.int32()), ("line", pa.string()),
                             ("rule", pa.string()), ("contact", pa.string())])
_CHUNK = 5000


class BoilerplatePass:
    """Corpus pass; see the module docstring."""

    def __init__(self, learn: LearnParams = DEFAULT_LEARN, markers: Markers | None = None):
        self.learn = learn
        self.markers = markers or load_markers()
        self.name = f"boilerplate@{VERSION}"
        self.stamp = f"boilerplate@{VERSION}+markers@{self.markers.version}"

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        if reprocess:
            con.execute("BEGIN TRANSACTION")
            for table in ("boilerplate_lines", "boilerplate_removed", "publishers"):
                con.execute(f"DELETE FROM {table}")
            con.execute("UPDATE documents SET text_main = NULL, text_main_simplified = NULL, "
                        "boilerplate = NULL, boilerplate_lines = NULL WHERE boilerplate IS NOT NULL")
            con.execute("COMMIT")
        sources = [r[0] for r in con.execute(
            "SELECT DISTINCT source FROM documents WHERE boilerplate IS DISTINCT FROM ? ORDER BY 1",
            [self.stamp]).fetchall()]
        counts = {"sites": 0, "lines_learned": 0, "documents": 0, "lines_removed": 0, "empty_after": 0}
        for source in sources:
            self._site(con, source, counts)
        return counts

    def line_frequencies(self, con: duckdb.DuckDBPyConnection, source: str) -> tuple[dict[str, int], int]:
        """(line key -> documents of the site containing it, number of site documents), in SQL."""
        n = con.execute("SELECT count(*) FROM documents WHERE source = ?", [source]).fetchone()[0]
        need = self.learn.threshold(n)
        rows = con.execute(
            f"""
            WITH lines AS (
                SELECT DISTINCT doc_id, regexp_replace(l, '{WS_SQL_CLASS}', '', 'g') AS key
                FROM (SELECT doc_id, unnest(string_split(text_simplified, chr(10))) AS l
                      FROM documents WHERE source = ? AND text_simplified IS NOT NULL)
            )
            SELECT key, count(*) FROM lines
            WHERE key <> '' AND length(key) <= ? GROUP BY key HAVING count(*) >= ?
            """,
            [source, self.learn.max_chars, need],
        ).fetchall()
        return dict(rows), n

    def _site(self, con: duckdb.DuckDBPyConnection, source: str, counts: dict[str, int]) -> None:
        con.execute("BEGIN TRANSACTION")
        try:
            freq, n_docs = self.line_frequencies(con, source)
            known = {r[0] for r in con.execute("SELECT line_key FROM boilerplate_lines WHERE source = ?",
                                               [source]).fetchall()}
            new = sorted(learn_site_lines(freq, n_docs, self.learn, self.markers) - known)
            if new:
                con.register("_bp_new", pa.table({"line_key": new, "docs": [freq[k] for k in new]}))
                con.execute("INSERT INTO boilerplate_lines (source, line_key, docs, site_docs) "
                            "SELECT ?, line_key, docs, ? FROM _bp_new", [source, n_docs])
                con.unregister("_bp_new")
            site_lines = frozenset(known.union(new))
            # A newly learned line applies to the pages stripped before it was learned, too.
            where = "source = ?" if new else "source = ? AND boilerplate IS DISTINCT FROM ?"
            params = [source] if new else [source, self.stamp]
            cur = con.cursor()
            cur.execute(f"SELECT doc_id, text_clean, text_simplified FROM documents WHERE {where} ORDER BY doc_id",
                        params)
            while True:
                rows = cur.fetchmany(_CHUNK)
                if not rows:
                    break
                self._strip_chunk(con, rows, site_lines, counts)
            cur.close()
            self._publishers(con, source)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        counts["sites"] += 1
        counts["lines_learned"] += len(new)

    def _strip_chunk(self, con: duckdb.DuckDBPyConnection, rows, site_lines: frozenset[str], counts: dict[str, int]) -> None:
        updates: list[dict] = []
        removed: list[dict] = []
        for doc_id, clean, simp in rows:
            s = strip_boilerplate(clean or "", simp or "", site_lines, self.markers)
            updates.append({"doc_id": doc_id, "text_main": s.text_main,
                            "text_main_simplified": s.text_main_simplified, "boilerplate_lines": len(s.removed)})
            removed.extend({"doc_id": doc_id, "line_no": r.line_no, "line": r.line, "rule": r.rule,
                            "contact": r.contact} for r in s.removed)
            counts["documents"] += 1
            counts["lines_removed"] += len(s.removed)
            counts["empty_after"] += not s.text_main_simplified
        con.register("_bp_upd", pa.Table.from_pylist(updates, schema=_UPDATE_SCHEMA))
        con.execute("DELETE FROM boilerplate_removed WHERE doc_id IN (SELECT doc_id FROM _bp_upd)")
        con.execute(
            "UPDATE documents SET text_main = u.text_main, text_main_simplified = u.text_main_simplified, "
            "boilerplate_lines = u.boilerplate_lines, boilerplate = ? FROM _bp_upd u WHERE documents.doc_id = u.doc_id",
            [self.stamp])
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
            ON CONFLICT (source, contact) DO UPDATE SET docs = excluded.docs,
                last_seen = CASE WHEN publishers.docs <> excluded.docs THEN now() ELSE publishers.last_seen END
            """,
            [source],
        )
