"""Deterministic Parquet shards: same rows in, same bytes out.

Rows arrive in id order in batches of any size; the writer re-cuts them into fixed row groups and
fixed-size shards, so DuckDB's batch boundaries (which vary with threads) never reach the file.
Parquet written by pyarrow has no timestamps; its `created_by` names the library version only.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "store_schema": True,
}


def shard_name(table: str, k: int, n: int) -> str:
    return f"{table}-{k:05d}-of-{n:05d}.parquet"


class ShardWriter:
    """Writes ``total_rows`` rows of one table as ``n`` shards of ``rows_per_shard`` rows."""

    def __init__(self, directory: Path, table: str, schema: pa.Schema, total_rows: int, rows_per_shard: int,
                 row_group_rows: int) -> None:
        self.directory = Path(directory)
        self.table = table
        self.schema = schema
        self.total = total_rows
        self.per_shard = rows_per_shard
        self.group = row_group_rows
        self.n = max(1, -(-total_rows // rows_per_shard))
        self.paths: list[Path] = []
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._shard = -1
        self._in_shard = 0
        self._writer: pq.ParquetWriter | None = None
        self.written = 0

    def _open_next(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._shard += 1
        path = self.directory / shard_name(self.table, self._shard, self.n)
        self.paths.append(path)
        self._writer = pq.ParquetWriter(path, self.schema, **PARQUET_OPTIONS)
        self._in_shard = 0

    def _emit(self, rows: int) -> None:
        data = pa.concat_tables(self._pending) if len(self._pending) > 1 else self._pending[0]
        head, tail = data.slice(0, rows), data.slice(rows)
        self._pending = [tail] if tail.num_rows else []
        self._pending_rows = tail.num_rows
        if self._writer is None or self._in_shard >= self.per_shard:
            self._open_next()
        self._writer.write_table(head.combine_chunks(), row_group_size=rows)
        self._in_shard += rows
        self.written += rows

    def _next_cut(self) -> int:
        room = self.per_shard - self._in_shard if (self._writer is not None and self._in_shard < self.per_shard) \
            else self.per_shard
        return min(self.group, room)

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows >= self._next_cut():
            self._emit(self._next_cut())

    def close(self) -> list[Path]:
        while self._pending_rows:
            self._emit(min(self._pending_rows, self._next_cut()))
        if self._writer is None:  # an empty table still gets one (empty) shard with its schema
            self._open_next()
        self._writer.close()
        if self.written != self.total:
            raise RuntimeError(f"{self.table}: wrote {self.written} rows, expected {self.total}")
        return self.paths
