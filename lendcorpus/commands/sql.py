"""lendcorpus sql "QUERY": read-only SQL on the corpus, as a table, CSV or JSON.

Two independent locks, so one mistake in either is not enough (docs/analysis.md, "SQL safety"):
the query must be exactly one read statement (checked with DuckDB's own parser, by statement
type), and it runs on ``connect_sandboxed``: read-only file, no file/network/extension access,
configuration locked.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import re
import sys

#: exit code of a refused statement (docs: README "Exit codes")
REFUSED = 4

#: statement types that only read. DuckDB rewrites DESCRIBE, SHOW, SUMMARIZE, PIVOT ... IN (...) and
#: the reading PRAGMAs (show_tables, table_info, database_size, version, ...) into SELECT.
READ_TYPES = ("SELECT", "EXPLAIN")
_EXPLAIN = re.compile(r"^\s*(?:(?:/\*.*?\*/|--[^\n]*\n)\s*)*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\([^()]*\)\s*)?(?P<inner>.*)$",
                      re.IGNORECASE | re.DOTALL)


class Refused(Exception):
    """A statement `lendcorpus sql` will not run; the message says why."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="SQL to run (the corpus is opened read-only)")
    p.add_argument("--format", choices=("table", "csv", "json", "jsonl"), default="table",
                   help="json: one array; jsonl: one object per line (for streaming tools)")
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
    if fmt == "jsonl":
        return "\n".join(json.dumps({c: _jsonable(v) for c, v in zip(columns, r)}, ensure_ascii=False, default=str)
                         for r in rows)
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


def _type(stmt) -> str:
    return str(stmt.type).rsplit(".", 1)[-1]


#: DuckDB statement types whose name is not the word the user typed
_NAMED = {"LOAD": "INSTALL and LOAD", "EXTENSION": "extension"}


def single_read_statement(con, query: str):
    """The one read statement in ``query``, parsed on ``con``; Refused for anything else.

    Parsing happens on the sandboxed connection on purpose: DuckDB's parser itself opens files for
    some statements (IMPORT DATABASE reads the folder's schema.sql).
    """
    statements = con.extract_statements(query)
    if not statements:
        raise Refused("nothing to run: the query is empty")
    if len(statements) > 1:
        raise Refused(f"one statement at a time: this query holds {len(statements)} "
                      f"({', '.join(_type(s) for s in statements)})")
    stmt = statements[0]
    kind = _type(stmt)
    if kind not in READ_TYPES:
        words = " ".join(stmt.query.split()[:2]).upper()
        kind = _NAMED.get(kind) or (words if kind == "???" and words else kind)
        raise Refused(f"{kind} statements are not allowed: `lendcorpus sql` is read-only and runs one read statement "
                      "(SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE, PIVOT with an IN list, EXPLAIN, "
                      "reading PRAGMAs such as show_tables)")
    if kind == "EXPLAIN":  # EXPLAIN ANALYZE runs its statement: it must be a read too
        m = _EXPLAIN.match(stmt.query)
        inner = con.extract_statements(m.group("inner")) if m and m.group("inner").strip() else []
        if len(inner) != 1 or _type(inner[0]) != "SELECT":
            raise Refused("EXPLAIN is allowed only in front of a single SELECT")
    return stmt


def _refusal(exc: Exception) -> str | None:
    """The sentence for a DuckDB error raised by one of the sandbox's guards, else None."""
    text = str(exc)
    low = text.lower()
    if "file system operations are disabled" in low or "disabled by configuration" in low:
        first = text.splitlines()[0] if text else ""
        return ("refused: `lendcorpus sql` cannot read or write files, URLs or extensions outside the corpus "
                f"({first})")
    if "configuration has been locked" in low:
        return "refused: settings cannot be changed from `lendcorpus sql`"
    if "read-only" in low or "read only" in low:
        return ("refused: the corpus is opened read-only by `lendcorpus sql`; only `lendcorpus build` "
                "writes to it")
    return None


def run(args: argparse.Namespace) -> int:
    import duckdb

    from lendcorpus.corpus import connect_sandboxed

    con = connect_sandboxed(args.db)  # CorpusError becomes a clear message in cli.main
    try:
        stmt = single_read_statement(con, args.query)
        cur = con.execute(stmt)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return REFUSED
    except duckdb.Error as exc:
        refusal = _refusal(exc)
        if refusal:
            print(refusal, file=sys.stderr)
            return REFUSED
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    print(format_rows(columns, rows, args.format, args.max_width))
    return 0
