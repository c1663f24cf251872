"""Page times of the corpus explorer (`lendcorpus serve`), beside the CLI search in the same run.

    python benchmarks/bench_explorer.py                       # builds the demo corpus in a temp folder
    python benchmarks/bench_explorer.py --db /tmp/syn1m.duckdb  # e.g. the 1M synthetic corpus

Each page is requested through the real application (Starlette's in-process client: routing,
per-request read-only connection, queries, masking, templates), --repeat times; the first request
is shown apart (cold caches), then the median. Two baselines in the same run, on the same words:
the plain-SQL search the explorer used before its in-memory columns (``queries.search_sql``:
same hits, same facet counts, a test holds them equal) and `lendcorpus search`'s own function,
which ranks only the top hits and counts no facets. The explorer's columns are loaded once per
corpus version; that load is timed apart ("columns load") and is inside the first search's
"first". Goals (issue 17): pages < 300 ms on the demo corpus, search < 1 s on the 1M-document
synthetic corpus.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = ["暴力催收 通讯录", "借呗 协商", "上门", "网贷逾期"]


def timed(fn, repeat: int) -> tuple[float, float]:
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    runs = []
    for _ in range(max(1, repeat - 1)):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return first, statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    db = args.db
    if db is None:
        home = Path(tempfile.mkdtemp(prefix="bench-explorer-"))
        subprocess.run([sys.executable, "-m", "lendcorpus.cli", "demo", "--quiet"], check=True,
                       env={**__import__("os").environ, "LENDCORPUS_HOME": str(home)}, stdout=subprocess.DEVNULL)
        db = home / "corpus.duckdb"
    from starlette.testclient import TestClient

    from lendcorpus.analysis.explorer import create_app, queries
    from lendcorpus.commands.search import search

    from lendcorpus.corpus import connect_sandboxed

    from lendcorpus.analysis.explorer.app import warm_up

    t = time.perf_counter()
    warm_up()  # as `lendcorpus serve` does before it listens
    warm = time.perf_counter() - t
    app = create_app(db)
    t = time.perf_counter()
    app.state.explorer.preload()  # as `lendcorpus serve` does before it listens
    warm += time.perf_counter() - t
    client = TestClient(app)
    # the same configuration as the explorer's own connections: DuckDB refuses a second
    # connection to one file with different settings inside one process
    con = connect_sandboxed(db)
    doc = con.execute("SELECT doc_id FROM documents ORDER BY doc_id LIMIT 1").fetchone()[0]
    complaint = con.execute("SELECT complaint_id FROM complaints WHERE narrative IS NOT NULL ORDER BY 1 LIMIT 1"
                            ).fetchone()
    platform = con.execute("SELECT platform FROM resolution_rates ORDER BY complaints DESC LIMIT 1").fetchone()
    n_docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    pages = {"browse (no words, newest first)": "/", "document": f"/doc/{doc}", "platforms": "/platforms"}
    if complaint:
        pages["complaint document"] = f"/doc/{complaint[0]}"
    if platform:
        pages["platform page"] = f"/platform/{platform[0]}"
    print(f"corpus {db}: {n_docs:,} documents; {args.repeat} requests each (first apart, then median)\n")
    print(f"{'(server start: warm-up and preload)':<44} {warm * 1000:7.0f}ms")
    print(f"{'page':<44} {'first':>8} {'median':>8}")
    for name, url in pages.items():
        first, med = timed(lambda: client.get(url).raise_for_status(), args.repeat)
        print(f"{name:<44} {first * 1000:7.0f}ms {med * 1000:7.0f}ms")
    t = time.perf_counter()
    queries.DocColumns.load(con, queries._tables(con))
    print(f"{'columns load (once per corpus version)':<44} {(time.perf_counter() - t) * 1000:7.0f}ms")
    print(f"\n{'search':<24} {'explorer first':>15} {'explorer median':>16} {'plain SQL median':>17} "
          f"{'CLI search median':>18} {'SQL/explorer':>13}")
    cache = client.app.state.explorer._facets

    def fresh_search(q: str) -> None:  # as a new query: its words not scored before
        for k in [k for k in cache if k[0] == "scores"]:
            del cache[k]
        client.get("/", params={"q": q}).raise_for_status()

    again = {}
    for q in QUERIES:
        first, med = timed(lambda: fresh_search(q), args.repeat)
        _, again[q] = timed(lambda: client.get("/", params={"q": q, "page": 2}).raise_for_status(), args.repeat)
        _, plain = timed(lambda: queries.search_sql(con, queries.Filters(q=q)), args.repeat)
        _, base = timed(lambda: search(con, q, 10), args.repeat)
        print(f"{q:<24} {first * 1000:14.0f}ms {med * 1000:15.0f}ms {plain * 1000:16.0f}ms "
              f"{base * 1000:17.0f}ms {plain / med:13.1f}")
    print("\nthe same words again (next page, another filter: scored matches kept), median:")
    for q, t in again.items():
        print(f"{q:<24} {t * 1000:7.0f}ms")
    con.close()


if __name__ == "__main__":
    main()
