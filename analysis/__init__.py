"""Analysis: SQL views over the corpus (analysis/views/*.sql), created by the build."""

from __future__ import annotations

from pathlib import Path

import duckdb

VIEWS_DIR = Path(__file__).resolve().parent / "views"


def view_files() -> list[Path]:
    return sorted(VIEWS_DIR.glob("*.sql"))


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every view, in file order, in one transaction; returns the files applied."""
    applied = []
    con.execute("BEGIN TRANSACTION")
    try:
        for path in view_files():
            con.execute(path.read_text(encoding="utf-8"))
            applied.append(path.stem)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return applied
