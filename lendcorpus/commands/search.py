"""lendcorpus search "暴力催收 通讯录": ranked documents with snippets (read-only, offline)."""

from __future__ import annotations

import argparse
import json


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
    cluster = "coalesce(m.cluster_id, dc.name)" if has_dedup and not all_copies else "dc.name"
    joins = "LEFT JOIN dedup_members m ON m.doc_id = dc.name" if has_dedup and not all_copies else ""
    if kind:
        joins += " JOIN documents dk ON dk.doc_id = dc.name AND dk.kind = ?"
    # BM25 read straight from the index tables (the extension's formula: k1 = 1.2, b = 0.75):
    # calling its per-row macro scores every document, and joining documents before ranking reads
    # every text; here only the postings of the query's terms are read, and only the hits shown
    # are joined to documents. About 2x faster at 1M documents (docs/analysis.md, Scale).
    sql = f"""
        WITH qt AS (SELECT DISTINCT unnest(string_split(?, ' ')) AS term),
        qd AS (SELECT d.termid, d.df FROM fts_main_search_docs.dict d JOIN qt ON d.term = qt.term),
        tf AS (SELECT t.docid, t.termid, count(*) AS tf FROM fts_main_search_docs.terms t
               JOIN qd USING (termid) GROUP BY ALL),
        ok AS (SELECT docid FROM tf GROUP BY docid HAVING NOT ? OR count(*) = (SELECT count(*) FROM qt)),
        st AS (SELECT num_docs, avgdl FROM fts_main_search_docs.stats),
        sc AS (SELECT tf.docid, sum(log((st.num_docs - qd.df + 0.5) / (qd.df + 0.5) + 1)
                      * (tf.tf * 2.2) / (tf.tf + 1.2 * (0.25 + 0.75 * dc.len / st.avgdl))) AS score
               FROM tf JOIN ok USING (docid) JOIN qd USING (termid)
               JOIN fts_main_search_docs.docs dc ON dc.docid = tf.docid, st
               GROUP BY tf.docid),
        ranked AS (SELECT dc.name AS doc_id, sc.score,
                          row_number() OVER (PARTITION BY {cluster} ORDER BY sc.score DESC, dc.name) AS nth
                   FROM sc JOIN fts_main_search_docs.docs dc USING (docid) {joins}),
        top AS (SELECT doc_id, score FROM ranked WHERE nth = 1 ORDER BY score DESC, doc_id LIMIT ?)
        SELECT d.doc_id, d.source, d.kind, d.title, t.score, coalesce(d.text_simplified, d.text) AS body
        FROM top t JOIN documents d USING (doc_id) ORDER BY t.score DESC, d.doc_id"""
    params = [" ".join(dict.fromkeys(toks)), not any_word] + ([kind] if kind else []) + [limit]
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
    from lendcorpus.corpus import connect_read

    con = connect_read(args.db)  # CorpusError becomes a clear message in cli.main
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
