"""CSV copies of a release's Parquet shards, for spreadsheet users (``lendcorpus release --csv``).

The Parquet shard stays the reference: each CSV is written from it after scrubbing and the gate,
so both hold the same rows in the same order. List columns become JSON arrays; times are ISO 8601
in UTC; the file is UTF-8 with a byte-order mark, which spreadsheet programs need to show Chinese.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv_copy(parquet_path: Path) -> Path:
    """``data/x-00000-of-00001.parquet`` → ``data/x-00000-of-00001.csv`` beside it."""
    out = parquet_path.with_suffix(".csv")
    pf = pq.ParquetFile(parquet_path)
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(pf.schema_arrow.names)
        for batch in pf.iter_batches(batch_size=4096):
            table = pa.Table.from_batches([batch])
            columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
            w.writerows([_cell(v) for v in row] for row in zip(*columns))
    return out
