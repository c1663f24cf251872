"""``lendcorpus export``: write documents (or a filtered part) as JSON lines, CSV or Parquet.

For researchers who want the corpus in another tool without writing SQL. Rows are streamed from
DuckDB in Arrow batches, so memory stays flat however large the corpus is. The export is the
corpus as it is — personal data included — for work inside the project; ``--redact`` runs the
release scrubber on every text column, and ``lendcorpus release`` is the way to publish.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

#: Columns written unless ``--columns`` says otherwise: ids, provenance, original and derived text, tags.
DEFAULT_COLUMNS = (
    "doc_id", "source", "kind", "url", "title", "published_at", "fetched_at", "lang", "script",
    "text", "text_clean", "text_simplified", "text_main_simplified",
    "cluster_id", "is_canonical", "relevance", "relevant", "platforms", "practices",
)
#: Columns the scrubber runs over with ``--redact`` (everything a person wrote).
TEXT_COLUMNS = ("title", "text", "text_clean", "text_simplified", "text_main", "text_main_simplified")
BATCH_ROWS = 2048


class ExportError(ValueError):
    """A bad option: exit 2 with the sentence, no traceback."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    p.add_argument("-o", "--out", default="-",
                   help="output file, or - for standard output (default; not for parquet)")
    p.add_argument("--source", action="append", default=[], metavar="SOURCE",
                   help="only this source (repeatable), e.g. heimao, tieba, jiedai_baike")
    p.add_argument("--kind", action="append", default=[], metavar="KIND",
                   help="only this kind (repeatable): article, complaint, letter, thread, post ...")
    p.add_argument("--relevant", action="store_true",
                   help="only documents tagged relevant (relevance >= 0.5; untagged ones are left out)")
    p.add_argument("--since", type=_date, help="published on or after this day (YYYY-MM-DD)")
    p.add_argument("--until", type=_date, help="published before this day (YYYY-MM-DD, exclusive)")
    p.add_argument("--canonical", action="store_true",
                   help="one document per dedup cluster (its canonical member)")
    p.add_argument("--columns", help="comma-separated columns (default: %s)" % ",".join(DEFAULT_COLUMNS))
    p.add_argument("--limit", type=int, help="at most this many rows")
    p.add_argument("--redact", action="store_true",
                   help="scrub personal data from the text columns with the release scrubber")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {value!r}") from None


def _available(con) -> dict[str, str]:
    """Every exportable column and the SQL that yields it."""
    cols = {r[0]: f"d.{r[0]}" for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'documents' "
        "ORDER BY ordinal_position").fetchall()}
    cols.update({"cluster_id": "m.cluster_id", "is_canonical": "m.is_canonical", "relevance": "t.relevance",
                 "relevant": "t.relevant", "platforms": "t.platforms", "practices": "t.practices"})
    return cols


def build_query(con, args: argparse.Namespace) -> tuple[str, list]:
    """The SELECT behind an export, with its parameters; unknown values are refused, not ignored."""
    available = _available(con)
    wanted = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else \
        [c for c in DEFAULT_COLUMNS if c in available]
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise ExportError(f"unknown column(s) {', '.join(unknown)}; available: {', '.join(available)}")
    if not wanted:
        raise ExportError("no columns to export")
    where, params = [], []
    for name, values in (("source", args.source), ("kind", args.kind)):
        if values:
            known = {r[0] for r in con.execute(f"SELECT DISTINCT {name} FROM documents").fetchall()}
            missing = sorted(set(values) - known)
            if missing:
                raise ExportError(f"no documents with {name} {', '.join(missing)}; the corpus has: "
                                  f"{', '.join(sorted(known)) or '(none)'}")
            where.append(f"d.{name} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    if args.relevant:
        from lendcorpus.pipelines.tag.relevance import relevant_sql

        where.append(relevant_sql("t"))
    if args.since:
        where.append("d.published_at >= ?")
        params.append(dt.datetime.combine(args.since, dt.time(), dt.timezone.utc))
    if args.until:
        where.append("d.published_at < ?")
        params.append(dt.datetime.combine(args.until, dt.time(), dt.timezone.utc))
    if args.canonical:
        where.append("coalesce(m.is_canonical, TRUE)")
    sql = (f"SELECT {', '.join(f'{available[c]} AS {c}' for c in wanted)} FROM documents d "
           "LEFT JOIN dedup_members m ON m.doc_id = d.doc_id LEFT JOIN document_tags t ON t.doc_id = d.doc_id"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.doc_id")
    if args.limit is not None:
        if args.limit < 0:
            raise ExportError("--limit must be 0 or more")
        sql += f" LIMIT {int(args.limit)}"
    return sql, params


def _jsonable(v):
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return v


def _redact_batch(batch, scrub):
    import pyarrow as pa

    arrays = []
    for name, col in zip(batch.schema.names, batch.columns):
        if name in TEXT_COLUMNS:
            col = pa.array([scrub(v)[0] if v is not None else None for v in col.to_pylist()], type=pa.string())
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _csv_cell(v):
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return v


def export(con, args: argparse.Namespace, out_path: str) -> int:
    """Stream the rows to ``out_path`` (``-`` = stdout); returns the number of rows written."""
    import csv

    sql, params = build_query(con, args)
    reader = con.execute(sql, params).fetch_record_batch(BATCH_ROWS)
    scrub = None
    if args.redact:
        from lendcorpus.pipelines.redact import scrub
    n = 0
    if args.format == "parquet":
        import pyarrow.parquet as pq

        tmp = Path(out_path).with_name(Path(out_path).name + ".partial")
        writer = None
        try:
            for batch in reader:
                if scrub:
                    batch = _redact_batch(batch, scrub)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, batch.schema, compression="zstd")
                writer.write_batch(batch)
                n += batch.num_rows
            if writer is None:
                writer = pq.ParquetWriter(tmp, reader.schema, compression="zstd")
            writer.close()
            writer = None
            tmp.replace(out_path)  # a reader never sees half a file
        finally:
            if writer is not None:
                writer.close()
            tmp.unlink(missing_ok=True)
        return n
    stream = sys.stdout if out_path == "-" else open(out_path, "w", encoding="utf-8", newline="")
    try:
        w = csv.writer(stream) if args.format == "csv" else None
        if w:
            w.writerow(reader.schema.names)
        for batch in reader:
            if scrub:
                batch = _redact_batch(batch, scrub)
            rows = batch.to_pylist()
            if w:
                w.writerows([[_csv_cell(v) for v in r.values()] for r in rows])
            else:
                stream.write("".join(json.dumps({k: _jsonable(v) for k, v in r.items()}, ensure_ascii=False)
                                     + "\n" for r in rows))
            n += len(rows)
        stream.flush()
    finally:
        if stream is not sys.stdout:
            stream.close()
    return n


def run(args: argparse.Namespace) -> int:
    from lendcorpus.corpus import connect_read

    if args.format == "parquet" and args.out == "-":
        print("error: parquet needs a file: --out FILE.parquet", file=sys.stderr)
        return 2
    con = connect_read(args.db)
    try:
        n = export(con, args, args.out)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    where = "standard output" if args.out == "-" else args.out
    print(f"exported {n} document{'s' if n != 1 else ''} to {where} ({args.format})", file=sys.stderr)
    return 0
