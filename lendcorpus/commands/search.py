"""lendcorpus search "暴力催收 通讯录": ranked documents with snippets (read-only, offline)."""

from __future__ import annotations

import argparse
import json
import sys

from lendcorpus.analysis.search import snippet  # noqa: F401 (the CLI's and the explorer's snippets)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="words separated by spaces; every word must occur (use --any for either)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--any", action="store_true", help="rank documents containing any of the words")
    p.add_argument("--kind", default=None, help="only this document kind (article, complaint, letter, post)")
    p.add_argument("--all-copies", action="store_true", help="show every copy of a farm article, not one per dedup cluster")
    p.add_argument("--format", choices=("table", "json"), default="table")


def search(con, query: str, limit: int = 10, any_word: bool = False, kind: str | None = None,
           all_copies: bool = False) -> list[dict]:
    """Ranked hits: doc_id, source, kind, title, score, snippet.

    One hit per dedup cluster (its best-scoring copy) unless ``all_copies``. Only the best
    candidates are collapsed into clusters: taking every document scoring at least the m-th best
    score (ties included) gives an exact prefix of the ranking, and m grows until it holds
    ``limit`` clusters or every match (docs/analysis.md, "Search").
    """
    from lendcorpus.corpus import CorpusError
    from lendcorpus.pipelines.search_index import scored_sql, simplified, tokens

    words = [simplified(w) for w in query.split() if w.strip()]
    toks = list(dict.fromkeys(t for w in words for t in tokens(w)))
    if not toks or limit <= 0:
        return []
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "search_postings" not in tables:
        raise CorpusError("this corpus has no search index yet (built by an older lendcorpus): "
                          "run `lendcorpus build` once to create it")
    collapse = "dedup_members" in tables and not all_copies
    kind_join = "JOIN search_docs k USING (docid) JOIN documents kd ON kd.doc_id = k.doc_id AND kd.kind = $kind" \
        if kind else ""
    sql = f"""
        WITH sc AS ({scored_sql('$terms', '$match_all')}),
        f AS (SELECT sc.docid, sc.score FROM sc {kind_join}),
        top AS (SELECT score FROM f ORDER BY score DESC LIMIT $m),
        best AS (SELECT docid, score FROM f WHERE score >= (SELECT min(score) FROM top))
        SELECT d.doc_id, best.score, {"coalesce(m.cluster_id, d.doc_id)" if collapse else "d.doc_id"},
               (SELECT count(*) FROM best) = (SELECT count(*) FROM f) AS complete
        FROM best JOIN search_docs d USING (docid)
        {"LEFT JOIN dedup_members m ON m.doc_id = d.doc_id" if collapse else ""}
        ORDER BY best.score DESC, d.doc_id"""
    params: dict = {"terms": toks, "match_all": not any_word}
    if kind:
        params["kind"] = kind
    m = limit if not collapse else 4 * limit + 16
    while True:
        rows = con.execute(sql, {**params, "m": m}).fetchall()
        picked: list[tuple[str, float]] = []
        seen: set[str] = set()
        for doc_id, score, cluster, _ in rows:
            if cluster not in seen:
                seen.add(cluster)
                picked.append((doc_id, score))
                if len(picked) == limit:
                    break
        if len(picked) == limit or not rows or rows[0][3]:
            break
        m *= 8  # many copies of the same article at the top: look further down
    if not picked:
        return []
    rank = {doc_id: i for i, (doc_id, _) in enumerate(picked)}
    scores = dict(picked)
    out = sorted(con.execute("SELECT doc_id, source, kind, title, coalesce(text_simplified, text) FROM documents "
                             "WHERE doc_id IN (SELECT unnest(?))", [list(rank)]).fetchall(),
                 key=lambda r: rank[r[0]])
    return [{"doc_id": r[0], "source": r[1], "kind": r[2], "title": r[3], "score": round(scores[r[0]], 4),
             "snippet": snippet(r[4] or "", words)} for r in out]


def run(args: argparse.Namespace) -> int:
    from lendcorpus.corpus import connect_sandboxed

    con = connect_sandboxed(args.db)  # CorpusError becomes a clear message in cli.main
    try:
        if args.kind:
            kinds = sorted(r[0] for r in con.execute("SELECT DISTINCT kind FROM documents").fetchall())
            if args.kind not in kinds:
                print(f"error: no documents of kind {args.kind!r}; the corpus has: {', '.join(kinds) or '(none)'}",
                      file=sys.stderr)
                return 2
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
