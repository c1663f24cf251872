"""Deterministic Parquet shards: same rows in, same bytes out.

Rows arrive in id order in batches of any size; the writer re-cuts them into fixed row groups and
fixed-size shards, so DuckDB's batch boundaries (which vary with threads) never reach the file.
Parquet written by pyarrow has no timestamps; its `created_by` names the library version only.

The folder functions at the end make a release appear all at once (docs/release.md, "Atomicity"):
it is written in a hidden ``.NAME.partial-PID`` folder beside the target, locked by its writer,
fsynced, and renamed into place; a partial folder is never a release and is removed by the next
release once its writer is gone.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
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


#: the hidden folder a release is written in before its final rename
PARTIAL_RE = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)$")


def partial_folder(out: Path) -> Path:
    return out.parent / f".{out.name}.partial-{os.getpid()}"


def is_partial_folder(path: Path) -> bool:
    """A release's temporary folder (its writer may be running or may have been killed)."""
    return bool(PARTIAL_RE.match(Path(path).absolute().name))


def lock_folder(path: Path) -> int:
    """Hold an exclusive flock on ``path`` (a folder) until the returned fd is closed or the process dies."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def remove_stale_partials(parent: Path) -> list[Path]:
    """Remove the partial folders in ``parent`` whose writer is gone (nobody holds their lock).

    A lock rather than the PID in the name: the kernel drops the lock when the writer dies, however
    it dies, and a recycled PID cannot keep a dead writer's folder alive.
    """
    removed: list[Path] = []
    if not Path(parent).is_dir():
        return removed
    for child in sorted(Path(parent).iterdir()):
        if not (child.is_dir() and not child.is_symlink() and PARTIAL_RE.match(child.name)):
            continue
        try:
            fd = os.open(child, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # a release is being written there right now
            continue
        try:
            shutil.rmtree(child, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(child)
    return removed


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Every file, then every folder (deepest first), of ``root`` on disk before it is renamed."""
    root = Path(root)
    dirs = [root]
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            dirs.append(path)
        elif path.is_file():
            _fsync_path(path)
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        _fsync_path(d, directory=True)


def publish_folder(tmp: Path, out: Path) -> None:
    """Rename the finished, fsynced ``tmp`` to ``out`` (an empty ``out`` is replaced) and make it durable."""
    fsync_tree(tmp)
    if out.exists():
        out.rmdir()  # callers check it is empty
    os.replace(tmp, out)
    _fsync_path(out.parent, directory=True)
