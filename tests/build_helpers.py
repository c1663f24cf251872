"""Helpers for the build tests: small generated archives and whole-corpus snapshots."""

from __future__ import annotations

from pathlib import Path

import duckdb

#: Columns that record when the build ran, not what it produced.
CLOCK_COLUMNS = {"first_loaded_at", "last_loaded_at", "built_at", "created_at", "learned_at", "first_seen",
                 "last_seen", "signed_at", "tagged_at", "applied_at"}
#: Tables whose content depends on build history by design (bookkeeping, not corpus content).
HISTORY_TABLES = {"_migrations"}


def corpus_tables(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1").fetchall()
            if r[0] not in HISTORY_TABLES]
    finally:
        con.close()


def snapshot(db: Path, *, storage_order: bool = False, skip: set[str] = frozenset(),
             skip_columns: set[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every table's rows without the clock columns: sorted (content) or in storage order
    (``rowid``, to see that rows were also written in the same order)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in corpus_tables(db):
            if table in skip:
                continue
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [table]).fetchall() if r[0] not in CLOCK_COLUMNS and r[0] not in skip_columns]
            select = ", ".join(f'"{c}"' for c in cols)
            order = "rowid" if storage_order else "ALL"
            out[table] = con.execute(f"SELECT {select} FROM {table} ORDER BY {order}").fetchall()
        return out
    finally:
        con.close()
