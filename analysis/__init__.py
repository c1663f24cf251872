"""Analysis: SQL views over the corpus (analysis/views/*.sql) and the search macro, created by the build."""

from __future__ import annotations

from pathlib import Path

import duckdb

VIEWS_DIR = Path(__file__).resolve().parent / "views"


def view_files() -> list[Path]:
    return sorted(VIEWS_DIR.glob("*.sql"))


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every view, in file order, and the ``search_bm25`` table macro, in one
    transaction; returns the files applied."""
    from lendcorpus.pipelines.search_index import SEARCH_MACRO

    applied = []
    con.execute("BEGIN TRANSACTION")
    try:
        for path in view_files():
            con.execute(path.read_text(encoding="utf-8"))
            applied.append(path.stem)
        con.execute(SEARCH_MACRO)  # generated with the search module's tokenizer, so kept in code
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return applied
