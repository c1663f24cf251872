"""Speed of the analysis layer on a large corpus: the platform-by-month view, search vs LIKE, report.

    python benchmarks/make_synthetic_corpus.py --docs 1000000 --db /tmp/syn1m.duckdb
    python benchmarks/bench_analysis.py --db /tmp/syn1m.duckdb

Each measurement runs --repeat times on one read-only connection (the first run is shown apart:
it reads the tables from disk); medians are printed side by side. "Search" is
``lendcorpus.commands.search.search`` (BM25 over bigrams, top 10, one hit per dedup cluster);
"macro" ranks every match with the stored ``search_bm25`` macro (what the DuckDB shell recipe
does); "LIKE" is the same words as ``text_simplified LIKE '%word%'`` conditions, unranked: the
first 10 rows and the full count. Goals (docs/analysis.md): view < 1 s, search < 0.5 s.
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


MACRO_TOP10 = "SELECT doc_id, score FROM search_bm25(?) ORDER BY score DESC, doc_id LIMIT 10"


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
    postings = con.execute("SELECT count(*) FROM search_postings").fetchone()[0]
    terms = con.execute("SELECT count(DISTINCT term) FROM search_postings").fetchone()[0]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"corpus {args.db}: {docs:,} documents, {args.db.stat().st_size / 2**20:,.0f} MiB, "
          f"search postings {postings:,}, terms {terms:,}, threads {threads}")

    print("\nviews                                         first     median   rows")
    for label, sql in VIEW_SQL.items():
        first, med, rows = timed(lambda: con.execute(sql).fetchall(), args.repeat)
        print(f"  {label:42} {first:7.3f}s  {med:7.3f}s  {len(rows):,}")

    print("\nquery            search first  median  hits | macro top10 | LIKE top10  LIKE count | matches")
    for q in QUERIES:
        words = q.split()
        s_first, s_med, hits = timed(lambda: search(con, q), args.repeat)
        _, m_med, top = timed(lambda: con.execute(MACRO_TOP10, [q]).fetchall(), args.repeat)
        # with one copy per cluster the CLI may list later documents; the best score is the same
        assert not hits or round(hits[0]["score"], 3) == round(top[0][1], 3), q
        pats = [f"%{w}%" for w in words]
        _, l_med, _ = timed(lambda: con.execute(like_sql(words, False), pats).fetchall(), args.repeat)
        _, c_med, n = timed(lambda: con.execute(like_sql(words, True), pats).fetchone()[0], args.repeat)
        matches = con.execute("SELECT count(*) FROM search_bm25(?)", [q]).fetchone()[0]
        print(f"  {q:14} {s_first:10.3f}s {s_med:6.3f}s  {len(hits):4} | {m_med:10.3f}s | {l_med:9.3f}s"
              f"  {c_med:9.3f}s | {matches:7,} (LIKE {n:,})")

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
