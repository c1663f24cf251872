"""lendcorpus search "暴力催收 通讯录": ranked documents with snippets (read-only, offline)."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="words separated by spaces; every word must occur (use --any for either)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--any", action="store_true", help="rank documents containing any of the words")
    p.add_argument("--kind", default=None, help="only this document kind (article, complaint, letter, post)")
    p.add_argument("--all-copies", action="store_true", help="show every copy of a farm article, not one per dedup cluster")
    p.add_argument("--format", choices=("table", "json"), default="table")


def search(con, query: str, limit: int = 10, any_word: bool = False, kind: str | None = None,
           all_copies: bool = False) -> list[dict]:
    """Ranked hits: doc_id, source, kind, title, score, snippet."""
    from lendcorpus.pipelines.search_index import load_fts, simplified, tokens

    words = [simplified(w) for w in query.split() if w.strip()]
    toks = [t for w in words for t in tokens(w)]
    if not toks:
        return []
    if not con.execute("SELECT count(*) FROM information_schema.schemata "
                       "WHERE schema_name = 'fts_main_search_docs'").fetchone()[0]:
        return []  # an empty corpus has no index yet: no hits, not an error
    load_fts(con)
    has_dedup = bool(con.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = 'dedup_members'").fetchone()[0])
    cluster = "coalesce(m.cluster_id, d.doc_id)" if has_dedup and not all_copies else "d.doc_id"
    join = "LEFT JOIN dedup_members m ON m.doc_id = d.doc_id" if has_dedup else ""
    sql = f"""
        WITH hits AS (
            SELECT doc_id, fts_main_search_docs.match_bm25(doc_id, ?, conjunctive := ?) AS score
            FROM search_docs
        ), ranked AS (
            SELECT d.doc_id, d.source, d.kind, d.title, h.score,
                   coalesce(d.text_simplified, d.text) AS body,
                   row_number() OVER (PARTITION BY {cluster} ORDER BY h.score DESC, d.doc_id) AS nth
            FROM hits h JOIN documents d ON d.doc_id = h.doc_id {join}
            WHERE h.score IS NOT NULL {"AND d.kind = ?" if kind else ""}
        )
        SELECT doc_id, source, kind, title, score, body FROM ranked WHERE nth = 1
        ORDER BY score DESC, doc_id LIMIT ?"""
    params = [" ".join(toks), 0 if any_word else 1] + ([kind] if kind else []) + [limit]
    rows = con.execute(sql, params).fetchall()
    return [{"doc_id": r[0], "source": r[1], "kind": r[2], "title": r[3], "score": round(r[4], 4),
             "snippet": snippet(r[5] or "", words)} for r in rows]


def snippet(text: str, words: list[str], width: int = 36) -> str:
    """Text around the first query word found, the word in 【】; the opening when none is found."""
    flat = " ".join(text.split())
    for w in words:
        i = flat.find(w)
        if i >= 0:
            start = max(0, i - width)
            end = min(len(flat), i + len(w) + width)
            return ("…" if start else "") + flat[start:i] + "【" + w + "】" + flat[i + len(w):end] + \
                ("…" if end < len(flat) else "")
    return flat[: 2 * width] + ("…" if len(flat) > 2 * width else "")


def run(args: argparse.Namespace) -> int:
    from lendcorpus.corpus import CorpusError, connect_read

    try:
        con = connect_read(args.db)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    try:
        hits = search(con, args.query, args.limit, args.any, args.kind, args.all_copies)
    finally:
        con.close()
    if args.format == "json":
        print(json.dumps(hits, ensure_ascii=False, indent=1))
        return 0
    if not hits:
        print("(no matches)")
    for i, h in enumerate(hits, 1):
        print(f"{i:2}. [{h['score']:.2f}] {h['doc_id']} ({h['kind']}) {h['title'] or ''}")
        print(f"    {h['snippet']}")
    return 0
