"""lendcorpus sql "QUERY": read-only SQL on the corpus, as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="SQL to run (the corpus is opened read-only)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--max-width", type=int, default=60, help="table format: cut cells longer than this")


def _jsonable(v):
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return v


def _cell(v, width: int) -> str:
    s = "NULL" if v is None else str(v).replace("\n", "⏎")
    return s if len(s) <= width else s[: width - 1] + "…"


def format_rows(columns: list[str], rows: list[tuple], fmt: str, width: int = 60) -> str:
    if fmt == "json":
        return json.dumps([{c: _jsonable(v) for c, v in zip(columns, r)} for r in rows],
                          ensure_ascii=False, indent=1, default=str)
    if fmt == "csv":
        import io

        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        w.writerows([[_jsonable(v) for v in r] for r in rows])
        return buf.getvalue().rstrip("\n")
    cells = [[_cell(v, width) for v in r] for r in rows]
    widths = [max([_display_width(c)] + [_display_width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda vals: " | ".join(v + " " * (w - _display_width(v)) for v, w in zip(vals, widths))  # noqa: E731
    out = [line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _display_width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def run(args: argparse.Namespace) -> int:
    import duckdb

    from lendcorpus.corpus import connect_read

    con = connect_read(args.db)  # CorpusError becomes a clear message in cli.main
    try:
        cur = con.execute(args.query)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    except duckdb.InvalidInputException as exc:
        if "read-only" in str(exc) or "read only" in str(exc):
            print("refused: the corpus is opened read-only by `lendcorpus sql`; only `lendcorpus build` "
                  "writes to it", file=sys.stderr)
            return 4
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    print(format_rows(columns, rows, args.format, args.max_width))
    return 0
