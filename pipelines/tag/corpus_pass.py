"""The tagging pass of the build: platforms, practices and relevance for untagged documents.

Incremental: a document is tagged again exactly when the tagger version (lexicon hashes) or the
text it tags changed (``pass_state``; a newly learned boilerplate line changes the main text).
Spans refer to the boilerplate-free Simplified text (``text_main_simplified``; falling back to
``text_simplified`` for a document the boilerplate pass has not seen).
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa

from lendcorpus.pipelines.passes import MAIN_TEXT, Declared, run_chunks, stream_rows, upstream
from lendcorpus.pipelines.tag.platforms import PlatformMatcher
from lendcorpus.pipelines.tag.practices import PracticeTagger
from lendcorpus.pipelines.tag.relevance import RELEVANCE_THRESHOLD, RELEVANCE_VERSION, relevance

BATCH = 2000
_MATCHERS: tuple | None = None


def _name(platforms: PlatformMatcher, practices: PracticeTagger) -> str:
    return f"tags({platforms.version}+{practices.version}+{RELEVANCE_VERSION})"


def _matchers(lexicons: tuple[str, str] | None = None) -> tuple[PlatformMatcher, PracticeTagger]:
    """The lexicons, loaded once per process and again when their versions are not ``lexicons``
    (a lexicon file edited between two builds of one process)."""
    global _MATCHERS
    if _MATCHERS is None or (lexicons is not None and (_MATCHERS[0].version, _MATCHERS[1].version) != lexicons):
        _MATCHERS = (PlatformMatcher(), PracticeTagger())
    return _MATCHERS


def tag_rows(args: tuple) -> tuple[list[dict], list[dict], list[dict]]:
    """Worker function: tags, platform matches and practice matches for (doc_id, text) rows."""
    rows, tagger, column, lexicons = args
    platforms, practices = _matchers(lexicons)
    tags, plats, pracs = [], [], []
    for doc_id, text in rows:
        text = text or ""
        pm = platforms.find(text)
        pr = practices.find(text)
        p_ids = sorted({m.platform for m in pm})
        codes = sorted({m.code for m in pr})
        score, evidence = relevance(text, len(p_ids), len(codes))
        tags.append({"doc_id": doc_id, "tagger": tagger, "text_column": column, "relevance": score,
                     "relevant": score >= RELEVANCE_THRESHOLD,
                     "evidence": json.dumps(evidence, ensure_ascii=False),
                     "platforms": p_ids, "practices": codes})
        plats.extend({"doc_id": doc_id, "platform": m.platform, "matched": m.matched,
                      "start_pos": m.start, "end_pos": m.end, "masked": m.masked} for m in pm)
        pracs.extend({"doc_id": doc_id, "practice": m.code, "cue": m.cue, "start_pos": m.start,
                      "end_pos": m.end} for m in pr)
    return tags, plats, pracs


class TagPass:
    def __init__(self) -> None:
        self.platforms = PlatformMatcher()
        self.practices = PracticeTagger()
        self.name = _name(self.platforms, self.practices)
        self.executor = None

    @property
    def declared(self) -> Declared:
        return Declared(
            "tags", self.name, reads=("documents.text_main_simplified",),
            writes=("document_tags", "document_platforms", "document_practices", "complaint_platforms"),
            digest_sql=MAIN_TEXT, joins=upstream("bp", "boilerplate"))

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        column = "text_main_simplified"
        self._refresh_platforms(con)
        decl = self.declared
        con.execute("BEGIN TRANSACTION")
        try:
            if reprocess:
                for t in ("document_tags", "document_platforms", "document_practices"):
                    con.execute(f"DELETE FROM {t}")
                decl.forget(con, everything=True)
            # documents gone from the corpus leave no tags behind
            for t in ("document_tags", "document_platforms", "document_practices"):
                con.execute(f"DELETE FROM {t} WHERE doc_id NOT IN (SELECT doc_id FROM documents)")
            decl.forget(con)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        sql, params = decl.stale_sql()
        stream = stream_rows(con, f"SELECT doc_id, COALESCE(text_main_simplified, text_simplified, text) FROM documents "
                                f"WHERE doc_id IN ({sql}) ORDER BY doc_id", params, BATCH)
        tagged = relevant = 0
        lexicons = (self.platforms.version, self.practices.version)
        chunks = ((batch, self.name, column, lexicons) for batch in stream)
        for tags, plats, pracs in run_chunks(self.executor, tag_rows, chunks):
            relevant += sum(1 for t in tags if t["relevant"])
            ids = pa.table({"doc_id": [t["doc_id"] for t in tags]})
            con.execute("BEGIN TRANSACTION")
            try:
                con.register("_ids", ids)
                for t in ("document_tags", "document_platforms", "document_practices"):
                    con.execute(f"DELETE FROM {t} WHERE doc_id IN (SELECT doc_id FROM _ids)")
                for t, rows in (("document_tags", tags), ("document_platforms", plats),
                                ("document_practices", pracs)):
                    if rows:
                        con.register("_rows", pa.Table.from_pylist(rows))
                        con.execute(f"INSERT INTO {t} BY NAME SELECT * FROM _rows")
                        con.unregister("_rows")
                decl.mark_done(con, "_ids")
                con.unregister("_ids")
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            tagged += len(tags)
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
