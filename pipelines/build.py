"""The build: the only process that writes the corpus.

It reads WARC files not yet loaded (its own crawl runs by default, or any WARC files given),
runs extraction and normalisation on each record, and loads fetches, documents and rejects in
one transaction per file. What was loaded is recorded per file (up to which byte), so running
it again loads nothing twice and a file that grew is read from where the last build stopped.
``reprocess=True`` forgets everything derived and re-reads the whole archive: that is how a
better parser reaches everything ever fetched, with no request to any site.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from lendcorpus.archive import H_METHOD, H_RUN, H_SPIDER, ArchiveDamage, ArchivedRecord, iter_archive, warc_files
from lendcorpus.corpus import connect_write
from lendcorpus.crashpoints import crash_point
from lendcorpus.crawler.siterules import load_all
from lendcorpus.paths import archive_root
from lendcorpus.pipelines.extract import Document, extract_record
from lendcorpus.crawler.drift import primary_items
from lendcorpus.pipelines.extract.model import ROW_TABLES
from lendcorpus.pipelines.passes import corpus_passes
from lendcorpus.pipelines.textchain import derive_fields, DERIVED_SCHEMA

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

FETCH_SCHEMA = pa.schema([
    ("archive_path", pa.string()), ("archive_offset", pa.int64()), ("archive_length", pa.int64()),
    ("run_id", pa.string()), ("spider", pa.string()), ("url", pa.string()), ("method", pa.string()),
    ("status", pa.int32()), ("error", pa.string()), ("page_kind", pa.string()),
    ("fetched_at", pa.timestamp("us", tz="UTC")), ("content_type", pa.string()),
    ("content_length", pa.int64()), ("content_sha1", pa.string()), ("items", pa.int32()),
])
DOC_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("source", pa.string()), ("kind", pa.string()), ("url", pa.string()),
    ("title", pa.string()), ("text", pa.string()), ("published_at", pa.timestamp("us", tz="UTC")),
    ("fetched_at", pa.timestamp("us", tz="UTC")), ("extractor", pa.string()), ("encoding", pa.string()),
    ("encoding_evidence", pa.string()), ("archive_path", pa.string()), ("archive_offset", pa.int64()),
    *DERIVED_SCHEMA,
])
REJECT_SCHEMA = pa.schema([
    ("url", pa.string()), ("stage", pa.string()), ("reason", pa.string()), ("detail", pa.string()),
    ("archive_path", pa.string()), ("archive_offset", pa.int64()), ("run_id", pa.string()),
])


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


def _warc_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def archive_key(path: Path, root: Path) -> str:
    """How a WARC file is named in the corpus: relative to the archive folder when inside it,
    so the data folder can move; absolute otherwise (foreign WARCs)."""
    path = path.resolve()
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


class Build:
    def __init__(self, db: Path | str, *, root: Path | None = None,
                 progress: Callable[[BuildStats], None] | None = None, progress_every: float = 2.0):
        self.db = Path(db)
        self.root = Path(root) if root else archive_root()
        self.progress = progress
        self.progress_every = progress_every
        self.rules = load_all()
        self._tables: RowTables | None = None

    def _row_tables(self, con) -> RowTables:
        if self._tables is None:
            self._tables = RowTables(con)
        return self._tables

    def run(self, files: Iterable[Path] | None = None, reprocess: bool = False) -> BuildStats:
        started = time.perf_counter()
        stats = BuildStats()
        con = connect_write(self.db)
        try:
            if reprocess:
                con.execute("BEGIN TRANSACTION")
                for table in DERIVED_TABLES:
                    con.execute(f"DELETE FROM {table}")
                con.execute("COMMIT")
            paths = list(files) if files is not None else warc_files(self.root) if self.root.exists() else []
            known = {row[0]: (row[1], row[2]) for row in
                     con.execute("SELECT path, size_bytes, loaded_bytes FROM archive_files").fetchall()}
            last_report = time.perf_counter()
            for path in paths:
                path = Path(path)
                key = archive_key(path, self.root)
                size = path.stat().st_size
                start = known.get(key, (0, 0))[1]
                if key in known and start >= size:
                    stats.files_skipped += 1
                    continue
                self._load_file(con, path, key, size, start, stats)
                stats.files_loaded += 1
                if self.progress and time.perf_counter() - last_report >= self.progress_every:
                    stats.seconds = time.perf_counter() - started
                    self.progress(stats)
                    last_report = time.perf_counter()
            for corpus_pass in corpus_passes():
                crash_point(f"build:before-pass:{corpus_pass.name}")
                stats.passes[corpus_pass.name] = corpus_pass.run(con, reprocess=reprocess)
        finally:
            con.close()
        stats.seconds = time.perf_counter() - started
        return stats

    def _load_file(self, con, path: Path, key: str, size: int, start: int, stats: BuildStats) -> None:
        fetches: list[dict] = []
        docs: dict[str, dict] = {}
        rejects: list[dict] = []
        parsed_rows: list[tuple[str, dict]] = []
        runs: dict[str, str] = {}
        loaded_to = start
        records = damaged = 0
        default_run = path.parent.name if path.parent.resolve() != self.root.resolve() else path.name
        for item in iter_archive(path, start):
            if isinstance(item, ArchiveDamage):
                damaged += 1
                rejects.append({"url": None, "stage": "archive",
                                "reason": item.code,
                                "detail": item.reason, "archive_path": key, "archive_offset": item.offset,
                                "run_id": default_run})
                if item.resumed_at is None:
                    break  # the tail may still be growing: the next build retries from here
                loaded_to = item.resumed_at
                continue
            records += 1
            loaded_to = item.next_offset
            run_id = item.warc_headers.get(H_RUN) or default_run
            runs.setdefault(run_id, item.warc_headers.get(H_SPIDER, ""))
            fetches.append(self._fetch_row(item, key, run_id))
            ex = extract_record(item, self.rules)
            fetches[-1]["page_kind"] = ex.page_kind
            fetches[-1]["items"] = primary_items(ex)  # drift alarms (crawler/drift.py)
            for r in ex.rejects:
                rejects.append({"url": item.url, "stage": r.stage, "reason": r.reason, "detail": r.detail,
                                "archive_path": key, "archive_offset": item.offset, "run_id": run_id})
            for d in ex.documents:
                if d.doc_id not in docs:
                    docs[d.doc_id] = self._doc_row(d, item, key)
            if ex.rows:
                fill = {"archive_path": key, "archive_offset": item.offset, "fetched_at": _warc_time(item.date)}
                parsed_rows.extend((t, {**fill, **r}) if t in ("complaints", "forum_threads", "forum_posts", "forum_ads") else (t, r)
                            for t, r in ex.rows)
        stats.records += records
        stats.damaged += damaged
        for r in rejects:
            stats.rejects[f"{r['stage']}:{r['reason']}"] += 1
        con.execute("BEGIN TRANSACTION")
        try:
            # A truncated tail is retried by the next build; drop its old reject so it is not doubled.
            con.execute("DELETE FROM rejects WHERE archive_path = ? AND stage = 'archive' AND archive_offset >= ?",
                        [key, start])
            for name, rows, schema, table in (("_fetches", fetches, FETCH_SCHEMA, "fetches"),
                                              ("_docs", list(docs.values()), DOC_SCHEMA, "documents"),
                                              ("_rejects", rejects, REJECT_SCHEMA, "rejects")):
                if not rows:
                    continue
                con.register(name, pa.Table.from_pylist(rows, schema=schema))
                verb = "INSERT INTO" if table == "rejects" else "INSERT OR IGNORE INTO"
                n = con.execute(f"{verb} {table} BY NAME SELECT * FROM {name}").fetchone()[0]
                con.unregister(name)
                if table == "fetches":
                    stats.fetches += n
                elif table == "documents":
                    stats.documents += n
                    stats.documents_known += len(rows) - n
            if parsed_rows:
                tables = self._row_tables(con)
                for table, table_rows in tables.merge(parsed_rows).items():
                    stats.rows[table] += tables.upsert(con, table, table_rows)
            for run_id, spider in runs.items():
                self._upsert_run(con, run_id, spider, path)
            con.execute(
                "INSERT INTO archive_files (path, run_id, size_bytes, loaded_bytes, records, damaged) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size_bytes = excluded.size_bytes, "
                "loaded_bytes = excluded.loaded_bytes, records = archive_files.records + excluded.records, "
                "damaged = excluded.damaged, last_loaded_at = now()",
                [key, next(iter(runs), default_run), size, loaded_to, records, damaged],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        crash_point("build:file-committed")

    @staticmethod
    def _fetch_row(rec: ArchivedRecord, key: str, run_id: str) -> dict:
        return {
            "archive_path": key, "archive_offset": rec.offset, "archive_length": rec.length,
            "run_id": run_id, "spider": rec.warc_headers.get(H_SPIDER) or None, "url": rec.url,
            "method": rec.warc_headers.get(H_METHOD) or ("GET" if rec.rec_type == "response" else None),
            "status": rec.status, "error": rec.error or None, "page_kind": None,
            "fetched_at": _warc_time(rec.date), "content_type": rec.header("Content-Type"),
            "content_length": len(rec.body) if rec.rec_type == "response" else None,
            "content_sha1": rec.warc_headers.get("WARC-Payload-Digest"),
        }

    @staticmethod
    def _doc_row(d: Document, rec: ArchivedRecord, key: str) -> dict:
        row = {
            "doc_id": d.doc_id, "source": d.source, "kind": d.kind, "url": d.url, "title": d.title,
            "text": d.text, "published_at": d.published_at, "fetched_at": _warc_time(rec.date),
            "extractor": d.extractor, "encoding": d.encoding, "encoding_evidence": d.encoding_evidence,
            "archive_path": key, "archive_offset": rec.offset,
        }
        row.update(derive_fields(d.text))
        return row

    def _upsert_run(self, con, run_id: str, spider: str, path: Path) -> None:
        manifest = path.parent / "run.json"
        started = finished = reason = None
        sessions = None
        if manifest.exists():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
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
