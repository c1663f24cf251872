"""Cost of keeping the search index up to date: an incremental build against full rebuilds.

    python benchmarks/make_synthetic_corpus.py --docs 1000000 --db /tmp/syn1m.duckdb
    python benchmarks/bench_search_index.py --db /tmp/syn1m.duckdb --add 10000

Works on a copy of the corpus (the original is not touched). Adds --add documents (copies of
existing texts under new ids), then times, in this order:

1. the search pass as a build runs it: tokenise the new documents, post them, re-sort if due;
2. rewriting every posting from the stored tokens (what a version change or ``--reprocess``
   costs, without re-tokenising);
3. the baseline: DuckDB's FTS extension building its index over the same tokens, which the
   search used before migration 0009 and had to redo whole on every build (skipped with
   --no-extension; needs the test extra's duckdb-extension-fts).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--add", type=int, default=10_000, help="documents to add before the incremental pass")
    ap.add_argument("--no-extension", action="store_true", help="skip the FTS-extension baseline")
    args = ap.parse_args(argv)

    import duckdb

    from lendcorpus.corpus import connect_write
    from lendcorpus.pipelines.search_index import SearchIndexPass, post_pending

    with tempfile.TemporaryDirectory(dir=args.db.parent) as tmp:
        db = Path(tmp) / "copy.duckdb"
        shutil.copy(args.db, db)
        con = connect_write(db)
        docs = con.execute("SELECT count(*) FROM search_docs").fetchone()[0]
        con.execute(f"""
            INSERT INTO documents BY NAME
            SELECT * REPLACE ('added:' || doc_id AS doc_id) FROM documents
            USING SAMPLE reservoir({int(args.add)} ROWS) REPEATABLE (7)""")
        print(f"corpus copy: {docs:,} indexed documents, {args.add:,} added")

        t = time.perf_counter()
        result = SearchIndexPass().run(con)
        inc = time.perf_counter() - t
        print(f"  incremental search pass      {inc:8.2f}s  {result}")

        t = time.perf_counter()
        con.execute("DELETE FROM search_postings")
        con.execute("UPDATE search_index_state SET posted_upto = 0, unsorted_rows = 0")
        written, _ = post_pending(con)
        full = time.perf_counter() - t
        print(f"  rewrite all postings         {full:8.2f}s  ({written:,} rows)   ratio {full / inc:5.1f}x")

        if not args.no_extension:
            import duckdb_extension_fts

            ext = Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}" / \
                "fts.duckdb_extension"
            con.execute(f"LOAD '{ext}'")
            t = time.perf_counter()
            con.execute("PRAGMA create_fts_index('search_docs', 'doc_id', 'tokens', stemmer = 'none', "
                        "stopwords = 'none', ignore = '\\s+', strip_accents = 0, lower = 0, overwrite = 1)")
            fts = time.perf_counter() - t
            print(f"  baseline: FTS extension index {fts:7.2f}s                       ratio {fts / inc:5.1f}x")
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
