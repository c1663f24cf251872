"""The tagging pass of the build: platforms, practices and relevance for untagged documents.

Incremental: a document is tagged again only when the tagger version (lexicon hashes) changes.
Spans refer to the boilerplate-free Simplified text when the dedup pass provides it, else to
``text_simplified``.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa

from lendcorpus.pipelines.tag.platforms import PlatformMatcher
from lendcorpus.pipelines.tag.practices import PracticeTagger
from lendcorpus.pipelines.tag.relevance import RELEVANCE_THRESHOLD, RELEVANCE_VERSION, relevance

BATCH = 5000


class TagPass:
    def __init__(self) -> None:
        self.platforms = PlatformMatcher()
        self.practices = PracticeTagger()
        self.name = f"tags({self.platforms.version}+{self.practices.version}+{RELEVANCE_VERSION})"

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'documents'").fetchall()}
        column = "text_main_simplified" if "text_main_simplified" in columns else "text_simplified"
        expr = f"COALESCE({column}, text_simplified, text)"
        self._refresh_platforms(con)
        if reprocess:
            con.execute("BEGIN TRANSACTION")
            for t in ("document_tags", "document_platforms", "document_practices"):
                con.execute(f"DELETE FROM {t}")
            con.execute("COMMIT")
        todo = con.execute(
            f"SELECT d.doc_id, {expr} FROM documents d LEFT JOIN document_tags t "
            "ON t.doc_id = d.doc_id AND t.tagger = ? WHERE t.doc_id IS NULL ORDER BY d.doc_id",
            [self.name]).fetchall()
        tagged = relevant = 0
        for i in range(0, len(todo), BATCH):
            batch = todo[i: i + BATCH]
            tags, plats, pracs = [], [], []
            for doc_id, text in batch:
                text = text or ""
                pm = self.platforms.find(text)
                pr = self.practices.find(text)
                p_ids = sorted({m.platform for m in pm})
                codes = sorted({m.code for m in pr})
                score, evidence = relevance(text, len(p_ids), len(codes))
                tags.append({"doc_id": doc_id, "tagger": self.name, "text_column": column, "relevance": score,
                             "relevant": score >= RELEVANCE_THRESHOLD,
                             "evidence": json.dumps(evidence, ensure_ascii=False),
                             "platforms": p_ids, "practices": codes})
                plats.extend({"doc_id": doc_id, "platform": m.platform, "matched": m.matched,
                              "start_pos": m.start, "end_pos": m.end, "masked": m.masked} for m in pm)
                pracs.extend({"doc_id": doc_id, "practice": m.code, "cue": m.cue, "start_pos": m.start,
                              "end_pos": m.end} for m in pr)
                relevant += score >= RELEVANCE_THRESHOLD
            ids = pa.table({"doc_id": [d for d, _ in batch]})
            con.execute("BEGIN TRANSACTION")
            try:
                con.register("_ids", ids)
                for t in ("document_tags", "document_platforms", "document_practices"):
                    con.execute(f"DELETE FROM {t} WHERE doc_id IN (SELECT doc_id FROM _ids)")
                con.unregister("_ids")
                for t, rows in (("document_tags", tags), ("document_platforms", plats),
                                ("document_practices", pracs)):
                    if rows:
                        con.register("_rows", pa.Table.from_pylist(rows))
                        con.execute(f"INSERT INTO {t} BY NAME SELECT * FROM _rows")
                        con.unregister("_rows")
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            tagged += len(batch)
        linked = self._link_complaints(con)
        return {"tagged": tagged, "relevant": relevant, "complaint_platforms": linked}

    def _link_complaints(self, con: duckdb.DuckDBPyConnection) -> int:
        """Rewrite complaint_platforms: platforms named by a complaint's target or title, plus
        those the tagger found in its text. Rewritten whole: targets change as detail pages
        arrive, and matching 1M short targets takes about a second."""
        rows: dict[tuple[str, str], str] = {}
        for cid, target in con.execute(
                "SELECT complaint_id, concat_ws(' ', company, title) FROM complaints").fetchall():
            for m in self.platforms.find(target or ""):
                rows[(cid, m.platform)] = "target"
        for cid, platform in con.execute(
                "SELECT c.complaint_id, unnest(t.platforms) FROM complaints c "
                "JOIN document_tags t ON t.doc_id = c.complaint_id").fetchall():
            rows.setdefault((cid, platform), "text")
        table = pa.table({"complaint_id": [k[0] for k in rows], "platform": [k[1] for k in rows],
                          "via": list(rows.values())})
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM complaint_platforms")
            con.register("_links", table)
            con.execute("INSERT INTO complaint_platforms BY NAME SELECT * FROM _links")
            con.unregister("_links")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return len(rows)

    def _refresh_platforms(self, con: duckdb.DuckDBPyConnection) -> None:
        rows = [{"platform": pid, "name": p["name"], "aliases": list(p.get("aliases", [])), "parent": p.get("parent")}
                for pid, p in self.platforms.platforms.items()]
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM platforms")
            con.register("_platforms", pa.Table.from_pylist(rows, schema=pa.schema([
                ("platform", pa.string()), ("name", pa.string()), ("aliases", pa.list_(pa.string())),
                ("parent", pa.string())])))
            con.execute("INSERT INTO platforms BY NAME SELECT * FROM _platforms")
            con.unregister("_platforms")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
