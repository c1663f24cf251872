"""Speed of the analysis layer on a large corpus: the platform-by-month view, search vs LIKE, report.

    python benchmarks/make_synthetic_corpus.py --docs 1000000 --db /tmp/syn1m.duckdb
    python benchmarks/bench_analysis.py --db /tmp/syn1m.duckdb

Each measurement runs --repeat times on one read-only connection (the first run is shown apart:
it loads the FTS extension and reads the index from disk); medians are printed side by side.
"Search" is ``lendcorpus.commands.search.search`` (BM25 over bigrams, top 10, one hit per dedup
cluster); "proposed" is PROPOSED_SEARCH below (same hits, checked); "LIKE" is the same words as
``text_simplified LIKE '%word%'`` conditions, unranked, first 10 rows and the full count. Goals
(docs/analysis.md): view < 1 s, search < 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

QUERIES = ["暴力催收 通讯录", "借呗 协商", "上门", "网贷逾期", "冒充公检法"]
VIEW_SQL = {
    "complaints_per_platform_month (all rows)": "SELECT * FROM complaints_per_platform_month",
    "top 10 platforms, last 12 months": (
        "SELECT name, sum(complaints) AS n FROM complaints_per_platform_month "
        "WHERE month >= (SELECT max(month) FROM complaints_per_platform_month) - INTERVAL 11 MONTH "
        "GROUP BY 1 ORDER BY n DESC LIMIT 10"),
    "practice_prevalence (all rows)": "SELECT * FROM practice_prevalence",
}


# Proposal for lendcorpus/commands/search.py (not applied there): read BM25 straight from the
# index tables instead of calling the per-row macro over every document, and join `documents`
# (with its text) only for the hits kept. Same formula as the extension's match_bm25 (k=1.2,
# b=0.75), same one-hit-per-dedup-cluster rule and order.
PROPOSED_SEARCH = """
WITH qt AS (SELECT DISTINCT unnest(string_split(?, ' ')) AS term),
 qd AS (SELECT d.termid, d.df FROM fts_main_search_docs.dict d JOIN qt ON d.term = qt.term),
 tf AS (SELECT t.docid, t.termid, count(*) AS tf FROM fts_main_search_docs.terms t JOIN qd USING (termid) GROUP BY ALL),
 ok AS (SELECT docid FROM tf GROUP BY docid HAVING NOT ? OR count(*) = (SELECT count(*) FROM qt)),
 st AS (SELECT num_docs, avgdl FROM fts_main_search_docs.stats),
 sc AS (SELECT tf.docid, sum(log((st.num_docs - qd.df + 0.5) / (qd.df + 0.5) + 1)
                             * (tf.tf * 2.2) / (tf.tf + 1.2 * (0.25 + 0.75 * dc.len / st.avgdl))) AS score
        FROM tf JOIN ok USING (docid) JOIN qd USING (termid) JOIN fts_main_search_docs.docs dc ON dc.docid = tf.docid, st
        GROUP BY tf.docid),
 ranked AS (SELECT dc.name AS doc_id, sc.score,
                   row_number() OVER (PARTITION BY coalesce(m.cluster_id, dc.name) ORDER BY sc.score DESC, dc.name) AS nth
            FROM sc JOIN fts_main_search_docs.docs dc USING (docid) LEFT JOIN dedup_members m ON m.doc_id = dc.name),
 top AS (SELECT doc_id, score FROM ranked WHERE nth = 1 ORDER BY score DESC, doc_id LIMIT ?)
SELECT d.doc_id, d.source, d.kind, d.title, t.score, coalesce(d.text_simplified, d.text) AS body
FROM top t JOIN documents d USING (doc_id) ORDER BY t.score DESC, d.doc_id"""

# Proposal for analysis/views (not applied there): complaint_platforms as a table the build
# writes (the tag pass knows every complaint's platforms), so the per-month view is a plain
# aggregate instead of a complaints x platforms substring join on every query.
MATERIALISED_VIEW = """
SELECT cp.platform, p.name, date_trunc('month', timezone('Asia/Shanghai', c.created_at))::DATE AS month,
       count(*) AS complaints, count(*) FILTER (WHERE c.status = 'resolved') AS resolved,
       count(c.narrative) AS with_full_text
FROM _complaint_platforms cp JOIN complaints c ON c.complaint_id = cp.complaint_id
JOIN platforms p ON p.platform = cp.platform
WHERE c.created_at IS NOT NULL GROUP BY ALL"""


def proposed_search(con, query: str, limit: int = 10) -> list[tuple]:
    from lendcorpus.pipelines.search_index import load_fts, simplified, tokens

    toks = [t for w in query.split() for t in tokens(simplified(w))]
    load_fts(con)
    return con.execute(PROPOSED_SEARCH, [" ".join(toks), True, limit]).fetchall()


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(first run, median of the rest, last result) in seconds."""
    t = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t
    runs = []
    for _ in range(max(1, repeat - 1)):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    return first, statistics.median(runs), result


def like_sql(words: list[str], count: bool) -> str:
    cond = " AND ".join("text_simplified LIKE ?" for _ in words)
    if count:
        return f"SELECT count(*) FROM documents WHERE {cond}"
    return f"SELECT doc_id, title FROM documents WHERE {cond} LIMIT 10"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--report", action="store_true", help="also time `lendcorpus report` (write_report)")
    args = ap.parse_args(argv)

    from lendcorpus.commands.search import search
    from lendcorpus.corpus import connect_read

    con = connect_read(args.db)
    docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    postings = con.execute("SELECT count(*) FROM fts_main_search_docs.terms").fetchone()[0]
    terms = con.execute("SELECT count(*) FROM fts_main_search_docs.dict").fetchone()[0]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"corpus {args.db}: {docs:,} documents, {args.db.stat().st_size / 2**20:,.0f} MiB, "
          f"FTS postings {postings:,}, terms {terms:,}, threads {threads}")

    print("\nviews                                         first     median   rows")
    for label, sql in VIEW_SQL.items():
        first, med, rows = timed(lambda: con.execute(sql).fetchall(), args.repeat)
        print(f"  {label:42} {first:7.3f}s  {med:7.3f}s  {len(rows):,}")

    t = time.perf_counter()
    con.execute("CREATE TEMP TABLE _complaint_platforms AS SELECT * FROM complaint_platforms")
    build = time.perf_counter() - t
    first, med, rows = timed(lambda: con.execute(MATERIALISED_VIEW).fetchall(), args.repeat)
    print(f"  {'proposal: over a materialised table':42} {first:7.3f}s  {med:7.3f}s  {len(rows):,}"
          f"   (materialising it: {build:.2f}s, once per build)")

    print("\nquery            search first  median  hits | proposed median | LIKE top10  LIKE count    count")
    for q in QUERIES:
        words = q.split()
        s_first, s_med, hits = timed(lambda: search(con, q), args.repeat)
        _, p_med, prop = timed(lambda: proposed_search(con, q), args.repeat)
        assert sorted(round(h["score"], 3) for h in hits) == sorted(round(r[4], 3) for r in prop), q
        pats = [f"%{w}%" for w in words]
        _, l_med, _ = timed(lambda: con.execute(like_sql(words, False), pats).fetchall(), args.repeat)
        _, c_med, n = timed(lambda: con.execute(like_sql(words, True), pats).fetchone()[0], args.repeat)
        print(f"  {q:14} {s_first:10.3f}s {s_med:6.3f}s  {len(hits):4} | {p_med:14.3f}s | {l_med:9.3f}s"
              f"  {c_med:9.3f}s  {n:8,}")

    if args.report:
        import tempfile

        from lendcorpus.analysis.report import write_report

        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            write_report(con, tmp)
            print(f"\nreport: {time.perf_counter() - t:.2f}s")
    con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
