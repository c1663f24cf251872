"""The build: the only process that writes the corpus.

It reads WARC files not yet loaded (its own crawl runs by default, or any WARC files given) in
batches of records; worker processes run the per-record stage on each batch (extract,
normalise: ``record_stage``, ``executor``) and this process, the single writer, loads what they
return in read order, one transaction per batch. Each transaction also moves the file's
``loaded_bytes`` past the batch, so memory is bounded by the batch size, running the build again
loads nothing twice, a file that grew is read from where the last build stopped, and a killed
build resumes after the last committed batch.
``reprocess=True`` forgets everything derived and re-reads the whole archive: that is how a
better parser reaches everything ever fetched, with no request to any site.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from lendcorpus.archive import DEFAULT_TYPES, ArchiveDamage, iter_archive, warc_files
from lendcorpus.corpus import connect_write
from lendcorpus.crashpoints import crash_point
from lendcorpus.paths import archive_root
from lendcorpus.pipelines.executor import LocalExecutor
from lendcorpus.pipelines.extract.model import ROW_TABLES
from lendcorpus.pipelines.passes import corpus_passes, observe_chunks
from lendcorpus.pipelines.record_stage import (DOC_SCHEMA, FETCH_SCHEMA, RECORD_SECONDS, REJECT_SCHEMA,  # noqa: F401
                                               WORKER_MEMORY, Batch, BatchResult, default_jobs)

#: Tables rebuilt from the archive by ``--reprocess`` (corpus passes reset their own).
DERIVED_TABLES = ["documents", "rejects", "fetches", "archive_files", "crawl_runs", *ROW_TABLES]

_ARROW_TYPES = {
    "VARCHAR": pa.string(), "JSON": pa.string(), "BIGINT": pa.int64(), "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(), "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "DATE": pa.date32(),
}


class RowTables:
    """Upserts parser rows into the source tables: a later non-NULL value fills in or updates
    an earlier one, so a complaint seen in a list and then on its detail page is one full row."""

    def __init__(self, con):
        self.columns: dict[str, dict[str, pa.DataType]] = {}
        self.keys: dict[str, list[str]] = {}
        for table in ROW_TABLES:
            cols = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()
            self.columns[table] = {c: _ARROW_TYPES.get(t, pa.string()) for c, t in cols}
            pk = con.execute("SELECT constraint_column_names FROM duckdb_constraints() "
                             "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [table]).fetchone()
            self.keys[table] = list(pk[0]) if pk else []

    def merge(self, rows: list[tuple[str, dict]]) -> dict[str, list[dict]]:
        merged: dict[str, dict[tuple, dict]] = {t: {} for t in ROW_TABLES}
        for table, row in rows:
            cols = self.columns[table]
            row = {k: v for k, v in row.items() if k in cols}
            key = tuple(row.get(k) for k in self.keys[table])
            old = merged[table].get(key)
            if old is None:
                merged[table][key] = row
            else:
                old.update({k: v for k, v in row.items() if v is not None})
        return {t: list(m.values()) for t, m in merged.items() if m}

    def upsert(self, con, table: str, rows: list[dict]) -> int:
        cols = self.columns[table]
        schema = pa.schema([(c, cols[c]) for c in cols])
        full = [{c: r.get(c) for c in cols} for r in rows]
        con.register("_rows", pa.Table.from_pylist(full, schema=schema))
        keys = self.keys[table]
        present = {c for r in rows for c, v in r.items() if v is not None}
        updates = ", ".join(f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in cols if c not in keys and c in present)
        conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}" if keys and updates else \
            "ON CONFLICT DO NOTHING"
        n = con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows {conflict}").fetchone()[0]
        con.unregister("_rows")
        return n

@dataclass
class BuildStats:
    files_loaded: int = 0
    files_skipped: int = 0
    records: int = 0
    fetches: int = 0
    documents: int = 0
    documents_known: int = 0
    rejects: Counter = field(default_factory=Counter)
    damaged: int = 0
    seconds: float = 0.0
    passes: dict[str, dict[str, int]] = field(default_factory=dict)
    rows: Counter = field(default_factory=Counter)
    files_to_load: int = 0
    bytes_to_load: int = 0
    bytes_read: int = 0
    load_seconds: float = 0.0
    pass_seconds: dict[str, float] = field(default_factory=dict)

    def load_line(self) -> str:
        """What the load has done so far, beside its progress bar."""
        return (f"files {self.files_loaded}/{self.files_to_load} · records {self.records} · "
                f"new documents {self.documents} · rejects {sum(self.rejects.values())}")

    def screen(self, top: int = 5) -> list[str]:
        """The build's one-screen summary (without the verdict line)."""
        from lendcorpus.progress import human_bytes

        lines = ["build summary",
                 f"  archive: {self.files_loaded} file(s) loaded, {self.files_skipped} already loaded · "
                 f"{human_bytes(self.bytes_read)} read · {self.records} records · "
                 f"{self.damaged} damaged stretch(es) · {self.load_seconds:.1f} s",
                 f"  corpus: {self.documents} new document(s), {self.documents_known} already in · "
                 f"{self.fetches} fetch(es)" + (" · rows " + ", ".join(f"{t} {n}" for t, n in sorted(self.rows.items()))
                                                if self.rows else "")]
        n_rejects = sum(self.rejects.values())
        shown = ", ".join(f"{k} {v}" for k, v in self.rejects.most_common(top))
        more = f", … {len(self.rejects) - top} more reasons" if len(self.rejects) > top else ""
        lines.append(f"  rejects {n_rejects}" + (f": {shown}{more}" if n_rejects else ""))
        if self.passes:
            lines.append("  passes: " + ", ".join(f"{short_pass_name(name)} {self.pass_seconds.get(name, 0):.1f} s"
                                                   for name in self.passes))
        lines.append(f"  took {self.seconds:.1f} s")
        return lines

    @property
    def docs_per_second(self) -> float:
        return (self.documents + self.documents_known) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        rej = sum(self.rejects.values())
        return (
            f"files loaded {self.files_loaded} (skipped {self.files_skipped} already loaded), "
            f"records {self.records}, fetches {self.fetches}, documents new {self.documents} "
            f"(already in corpus {self.documents_known}), rejects {rej}, damaged stretches {self.damaged}, "
            f"{self.seconds:.1f}s"
        ) + "".join(f", {t} rows {n}" for t, n in sorted(self.rows.items())) + "".join(f"; {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                    for name, counts in self.passes.items())


def short_pass_name(name: str) -> str:
    """``tags(platforms@..+relevance@3)`` -> ``tags``: the pass without its versions, for people."""
    return re.split(r"[(@]", name, maxsplit=1)[0]


def archive_key(path: Path, root: Path) -> str:
    """How a WARC file is named in the corpus: relative to the archive folder when inside it,
    so the data folder can move; absolute otherwise (foreign WARCs)."""
    path = path.resolve()
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()



def default_run_of(path: Path, root: Path) -> str:
    """The run a file's records belong to when they do not name one: its run folder's name."""
    return path.parent.name if path.parent.resolve() != root.resolve() else path.name


#: DuckDB's own memory in the build (its default is 80% of the machine): sorts, aggregates and
#: joins of the corpus passes spill to ``<corpus>.tmp`` past it instead of growing with the corpus
#: (the search postings of a fresh 100k-page build alone took 6.5 GiB). Not lower: adding 1k pages
#: to a 100k-page corpus needs ~1.9 GiB of DuckDB's buffers (indexes, pass_state); under 1 GiB it
#: re-reads them and took 21.5 s instead of 12.3 (benchmarks.md).
DUCKDB_MEMORY = "2GiB"

#: A batch closes at this many records or this many body bytes, whichever comes first.
BATCH_RECORDS = 1000
BATCH_BYTES = 32 * 2**20


def read_batches(path: Path, key: str, start: int, default_run: str, *, max_records: int = BATCH_RECORDS,
                 max_bytes: int = BATCH_BYTES) -> Iterator[Batch]:
    """The records of one file from byte ``start``, in batches; always at least one batch (maybe
    empty), the last one marked ``last``. Batch boundaries depend only on the file, never on
    the number of workers, so 1 or N jobs give the same transactions."""
    items: list = []
    size = 0
    loaded_to = start
    first = True
    for item in iter_archive(path, start, types=None):
        if not isinstance(item, ArchiveDamage) and item.rec_type not in DEFAULT_TYPES:
            # a request or warcinfo record: nothing to load, but read -- so a file whose last record
            # is a request is not read again by every later build
            loaded_to = item.next_offset
            continue
        items.append(item)
        if isinstance(item, ArchiveDamage):
            if item.resumed_at is None:
                break  # the tail may still be growing: the next build retries from here
            loaded_to = item.resumed_at
        else:
            loaded_to = item.next_offset  # past any trailing records the reader skipped (e.g. requests)
            size += len(item.body)
        if len(items) >= max_records or size >= max_bytes:
            yield Batch(key, default_run, items, loaded_to, first, False, start)
            items, size, first = [], 0, False
    yield Batch(key, default_run, items, loaded_to, first, True, start)


class Build:
    def __init__(self, db: Path | str, *, root: Path | None = None,
                 progress: Callable[[BuildStats], None] | None = None, progress_every: float = 2.0,
                 jobs: int | None = None, passes: list | None = None, batch_records: int = BATCH_RECORDS,
                 batch_bytes: int = BATCH_BYTES, record_seconds: float | None = RECORD_SECONDS,
                 worker_memory: int | None = WORKER_MEMORY, board=None, pass_totals: bool = True,
                 engine: str = "local", ray_address: str | None = None,
                 duckdb_memory: str | None = DUCKDB_MEMORY):
        """``jobs``: worker processes for the per-record stage (default: every core; 0 runs it in
        this process, without the memory budget or crash isolation). ``passes``: the corpus
        passes to run (default: all of ``corpus_passes()``). ``board``: a progress board
        (``lendcorpus.progress.Progress``): bytes of archive read of the bytes to load, then one
        task per corpus pass (with a total unless ``pass_totals`` is off: one count query per stream).
        ``engine="ray"`` runs the per-record stage as Ray tasks next to the WARC shards instead
        (``ray_address``: the cluster's head; ``None`` starts Ray on this machine with ``jobs``
        CPUs); ``jobs`` workers still do the corpus passes' per-document work. ``duckdb_memory``:
        DuckDB's memory limit for this build (``None``: DuckDB's default, 80% of the machine)."""
        if engine not in ("local", "ray"):
            raise ValueError(f"unknown engine {engine!r} (local or ray)")
        self.db = Path(db)
        self.root = Path(root) if root else archive_root()
        self.progress = progress
        self.progress_every = progress_every
        self.jobs = default_jobs() if jobs is None else jobs
        self.passes = passes
        self.batch_records = batch_records
        self.batch_bytes = batch_bytes
        self.record_seconds = record_seconds
        self.worker_memory = worker_memory
        self.board = board
        self.pass_totals = pass_totals  # count what each pass will stream, for its bar's total and ETA
        self.engine = engine
        self.ray_address = ray_address
        self.duckdb_memory = duckdb_memory
        self._tables: RowTables | None = None

    def _row_tables(self, con) -> RowTables:
        if self._tables is None:
            self._tables = RowTables(con)
        return self._tables

    def run(self, files: Iterable[Path] | None = None, reprocess: bool = False) -> BuildStats:
        started = time.perf_counter()
        stats = BuildStats()
        executor = LocalExecutor(self.jobs, seconds=self.record_seconds, memory=self.worker_memory)
        executor.start()  # fork the workers before DuckDB starts its threads
        remote = None
        try:
            if self.engine == "ray":
                from lendcorpus.pipelines.ray_engine import RayExecutor

                # after the fork (Ray's threads stay out of the local workers), before DuckDB's
                remote = RayExecutor(self.ray_address, seconds=self.record_seconds, num_cpus=self.jobs or 1)
                remote.start()
            con = connect_write(self.db)
            con.execute("SET enable_progress_bar = false")  # DuckDB's bar is noise in a build's output
            if self.duckdb_memory:
                con.execute(f"SET memory_limit = '{self.duckdb_memory}'")
            try:
                if reprocess:
                    con.execute("BEGIN TRANSACTION")
                    for table in DERIVED_TABLES:
                        con.execute(f"DELETE FROM {table}")
                    con.execute("COMMIT")
                manifests: dict[str, str | None] = {}
                if remote is not None:
                    shards = remote.list_shards(self.root, None if files is None else list(files))
                    paths = [Path(s.path) for s in shards]
                    manifests = {s.key: s.manifest for s in shards}
                else:
                    paths = list(files) if files is not None else warc_files(self.root) if self.root.exists() else []
                known = {row[0]: (row[1], row[2]) for row in
                         con.execute("SELECT path, size_bytes, loaded_bytes FROM archive_files").fetchall()}
                last_report = time.perf_counter()
                sizes: dict[str, int] = {}
                file_runs: dict[str, set[str]] = {}
                damaged: dict[str, int] = {}

                def batches() -> Iterator[Batch]:
                    for path in paths:
                        path = Path(path)
                        key = archive_key(path, self.root)
                        size = path.stat().st_size
                        start = known.get(key, (0, 0))[1]
                        if key in known and start >= size:
                            stats.files_skipped += 1
                            continue
                        sizes[key] = size
                        default_run = default_run_of(path, self.root)
                        yield from read_batches(path, key, start, default_run, max_records=self.batch_records,
                                                max_bytes=self.batch_bytes)

                def remote_batches() -> Iterator[tuple[Batch, BatchResult]]:
                    todo = []
                    for shard in shards:
                        start = known.get(shard.key, (0, 0))[1]
                        if shard.key in known and start >= shard.size:
                            stats.files_skipped += 1
                            continue
                        sizes[shard.key] = shard.size
                        todo.append((shard, start))
                    return remote.map_shards(todo, self.batch_records, self.batch_bytes)

                if remote is not None:
                    paths_by_key = {s.key: Path(s.path) for s in shards}
                    # the shards lie on the cluster's nodes: their sizes come from there
                    todo = {s.key: s.size - known.get(s.key, (0, 0))[1] for s in shards
                            if not (s.key in known and known[s.key][1] >= s.size)}
                    results = remote_batches()
                else:
                    paths_by_key = {archive_key(Path(p), self.root): Path(p) for p in paths}
                    todo = self._bytes_to_load(paths, known)
                    results = executor.map(batches())
                stats.files_to_load = len(todo)
                stats.bytes_to_load = sum(todo.values())
                load = self.board.task("load archive", stats.bytes_to_load, "bytes") if self.board else None
                read_to: dict[str, int] = {}
                for batch, result in results:
                    if batch.first:
                        file_runs[batch.key] = set()
                        damaged[batch.key] = 0
                        read_to[batch.key] = batch.start
                    damaged[batch.key] += result.damaged
                    self._write_batch(con, batch, result, sizes[batch.key], damaged[batch.key],
                                      file_runs[batch.key], paths_by_key[batch.key], stats,
                                      manifests.get(batch.key))
                    # the last batch read the file to its end (trailing records it skips included)
                    upto = max(batch.loaded_to, sizes[batch.key]) if batch.last else batch.loaded_to
                    stats.bytes_read += max(upto - read_to[batch.key], 0)
                    read_to[batch.key] = upto
                    if batch.last:
                        stats.files_loaded += 1
                    if load is not None:
                        load.update(stats.bytes_read, info=stats.load_line())
                    if self.progress and time.perf_counter() - last_report >= self.progress_every:
                        stats.seconds = time.perf_counter() - started
                        self.progress(stats)
                        last_report = time.perf_counter()
                if load is not None:
                    load.update(stats.bytes_read, total=max(stats.bytes_read, stats.bytes_to_load))
                    load.done(info=stats.load_line())
                stats.load_seconds = time.perf_counter() - started
                for corpus_pass in (corpus_passes() if self.passes is None else self.passes):
                    crash_point(f"build:before-pass:{corpus_pass.name}")
                    if hasattr(corpus_pass, "executor"):
                        corpus_pass.executor = executor if self.jobs else None
                    task = None
                    if self.board is not None:
                        short = short_pass_name(corpus_pass.name)
                        self.board.print(f"pass {short}: started ({corpus_pass.name})")
                        task = self.board.task(f"pass {short}", None, "docs")
                    t0 = time.perf_counter()
                    try:
                        with observe_chunks(*((task.advance, lambda n, t=task: t.update(total=(t.total or 0) + n))
                                              if task is not None and self.pass_totals else
                                              (task.advance if task is not None else None, None))):
                            stats.passes[corpus_pass.name] = corpus_pass.run(con, reprocess=reprocess)
                    finally:
                        if hasattr(corpus_pass, "executor"):
                            corpus_pass.executor = None
                    stats.pass_seconds[corpus_pass.name] = time.perf_counter() - t0
                    if task is not None:
                        counts = stats.passes[corpus_pass.name] or {}
                        task.done(info=", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to do")
            finally:
                con.close()
        finally:
            if remote is not None:
                remote.close()
            executor.close()
        stats.seconds = time.perf_counter() - started
        return stats

    def _bytes_to_load(self, paths, known: dict[str, tuple[int, int]]) -> dict[str, int]:
        """Bytes of each WARC file this build will read: its size less what earlier builds loaded."""
        todo = {}
        for path in paths:
            path = Path(path)
            try:
                size = path.stat().st_size
            except OSError:
                continue
            start = known.get(archive_key(path, self.root), (0, 0))[1]
            if size > start:
                todo[archive_key(path, self.root)] = size - start
        return todo

    def _write_batch(self, con, batch: Batch, result: BatchResult, size: int, damaged: int,
                     runs_done: set[str], path: Path, stats: BuildStats, manifest: str | None = None) -> None:
        """Load one batch and move the file's ``loaded_bytes`` past it, in one transaction.
        ``manifest``: the run folder's run.json as read where the file lies (Ray engine)."""
        key = batch.key
        stats.records += result.records
        stats.damaged += result.damaged
        if result.rejects.num_rows:
            for stage, reason in zip(result.rejects.column("stage").to_pylist(),
                                     result.rejects.column("reason").to_pylist()):
                stats.rejects[f"{stage}:{reason}"] += 1
        con.execute("BEGIN TRANSACTION")
        try:
            if batch.first:
                # A truncated tail is retried by the next build; drop its old reject so it is not doubled.
                con.execute("DELETE FROM rejects WHERE archive_path = ? AND stage = 'archive' AND archive_offset >= ?",
                            [key, batch.start])
            for name, table, rel in (("_fetches", "fetches", result.fetches), ("_docs", "documents", result.documents),
                                     ("_rejects", "rejects", result.rejects)):
                if not rel.num_rows:
                    continue
                con.register(name, rel)
                # An explicit order, so the stored order does not depend on how DuckDB scans the Arrow
                # batch (1 or N jobs give the same file). INSERT OR IGNORE does not keep an ORDER BY in
                # DuckDB 1.5, so known keys are left out by an anti-join and, within the batch, the
                # first row of a key (in archive order) wins -- what OR IGNORE meant.
                order = {"fetches": "archive_offset", "documents": "archive_offset, doc_id",
                         "rejects": "archive_offset NULLS FIRST, stage, reason, url"}[table]
                key_cols = {"fetches": ("archive_path", "archive_offset"), "documents": ("doc_id",)}.get(table)
                if key_cols is None:
                    sql = f"INSERT INTO {table} BY NAME SELECT * FROM {name} ORDER BY {order}"
                else:
                    keys = ", ".join(f"b.{c}" for c in key_cols)
                    same = " AND ".join(f"t.{c} = b.{c}" for c in key_cols)
                    sql = (f"INSERT INTO {table} BY NAME SELECT * EXCLUDE (_n) FROM ("
                           f"SELECT b.*, row_number() OVER (PARTITION BY {keys} ORDER BY {order}) AS _n "
                           f"FROM {name} b WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same})"
                           f") WHERE _n = 1 ORDER BY {order}")
                n = con.execute(sql).fetchone()[0]
                con.unregister(name)
                if table == "fetches":
                    stats.fetches += n
                elif table == "documents":
                    stats.documents += n
                    stats.documents_known += rel.num_rows - n
            if result.rows:
                tables = self._row_tables(con)
                for table, table_rows in tables.merge(result.rows).items():
                    stats.rows[table] += tables.upsert(con, table, table_rows)
            for run_id, spider in result.runs.items():
                if run_id not in runs_done:
                    runs_done.add(run_id)
                    self._upsert_run(con, run_id, spider, path, manifest)
            first_run = next(iter(result.runs), batch.default_run)
            con.execute(
                "INSERT INTO archive_files (path, run_id, size_bytes, loaded_bytes, records, damaged) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size_bytes = excluded.size_bytes, "
                "loaded_bytes = excluded.loaded_bytes, records = archive_files.records + excluded.records, "
                "damaged = excluded.damaged, last_loaded_at = now()",
                [key, first_run, size, batch.loaded_to, result.records, damaged],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        if batch.last:
            crash_point("build:file-committed")

    def _upsert_run(self, con, run_id: str, spider: str, path: Path, text: str | None = None) -> None:
        manifest = path.parent / "run.json"
        started = finished = reason = None
        sessions = None
        if text is not None or manifest.exists():
            try:
                data = json.loads(text if text is not None else manifest.read_text(encoding="utf-8"))
                ss = data.get("sessions") or []
                sessions = len(ss)
                if ss:
                    started = datetime.fromtimestamp(ss[0]["started"], timezone.utc)
                    if ss[-1].get("finished"):
                        finished = datetime.fromtimestamp(ss[-1]["finished"], timezone.utc)
                    reason = ss[-1].get("reason")
            except (ValueError, KeyError, TypeError, OSError):
                pass
        con.execute(
            "INSERT INTO crawl_runs (run_id, spider, archive_dir, started_at, finished_at, finish_reason, sessions) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, "
            "finish_reason = excluded.finish_reason, sessions = excluded.sessions",
            [run_id, spider or None, archive_key(path.parent, self.root), started, finished, reason, sessions],
        )
