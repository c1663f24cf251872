"""Opening the DuckDB corpus: one writer at a time, readers read-only, schema by migrations.

DuckDB lets one process write a file and then refuses every other process, readers included.
So only ``lendcorpus build`` (and later release bookkeeping) opens it for writing, briefly;
crawls never do. A second writer gets ``CorpusInUse`` with the holder's PID, not a traceback.
Migrations are the numbered files in ``datasets/migrations``; each runs in its own transaction
and is recorded in ``_migrations`` with its checksum (sqlite-utils style).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from lendcorpus.paths import MIGRATIONS_DIR


class CorpusError(RuntimeError):
    """A problem with the corpus file that the user can act on."""


class CorpusInUse(CorpusError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()[:16]


def migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(Path(directory).glob("*.sql")):
        m = re.match(r"^(\d{4})_(\w+)\.sql$", path.name)
        if not m:
            raise CorpusError(f"migration file name must be NNNN_name.sql: {path.name}")
        found.append(Migration(int(m.group(1)), m.group(2), path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise CorpusError("two migrations share a number")
    return found


def _explain_lock(db: Path, exc: Exception) -> CorpusError:
    text = str(exc)
    pid = re.search(r"PID (\d+)", text)
    holder = f" (process {pid.group(1)})" if pid else ""
    return CorpusInUse(
        f"corpus is in use: {db} is open for writing by another process{holder}. "
        "DuckDB allows one writer and then no readers; wait for that build to finish and try again."
    )


#: How long a writer waits for readers (the explorer, a `sql` query) to let go of the file.
LOCK_WAIT_SECONDS = float(os.environ.get("LENDCORPUS_LOCK_WAIT", "30"))


def intent_file(db: Path | str) -> Path:
    """A writer waiting for the file announces itself here, so that polite readers (the explorer)
    stop opening the corpus until it got in; without it a busy reader could starve the build."""
    db = Path(db)
    return db.with_name(db.name + ".writer-waiting")


def writer_waiting(db: Path | str) -> bool:
    """Whether a live process is waiting to write ``db``."""
    f = intent_file(db)
    try:
        pid = int(f.read_text(encoding="ascii").strip() or "0")
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False  # a writer that died waiting: stale
    except PermissionError:
        pass
    return True


def connect_write(db: Path | str, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the corpus for writing and bring its schema up to date.

    While another process holds the file, wait up to ``wait`` seconds (``$LENDCORPUS_LOCK_WAIT``,
    default 30) with an intent file telling polite readers to stand back; then give up with
    ``CorpusInUse``."""
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
    intent = None
    try:
        while True:
            try:
                con = duckdb.connect(str(db))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise CorpusError(f"cannot open corpus {db}: {exc}") from None
                if time.monotonic() >= deadline:
                    raise _explain_lock(db, exc) from None
                if intent is None:
                    intent = intent_file(db)
                    intent.write_text(str(os.getpid()), encoding="ascii")
                time.sleep(0.05)
    finally:
        if intent is not None:
            intent.unlink(missing_ok=True)
    migrate(con)
    from lendcorpus.analysis import create_views

    create_views(con)  # views follow the SQL files in analysis/views, also on an empty corpus
    return con


def connect_read(db: Path | str) -> duckdb.DuckDBPyConnection:
    """Open the corpus read-only; writes through this connection are refused by DuckDB."""
    db = Path(db)
    if not db.exists():
        raise CorpusError(f"no corpus at {db}: run `lendcorpus build` (or `lendcorpus demo`) first")
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise _explain_lock(db, exc) from None
        raise CorpusError(f"cannot open corpus {db}: {exc}") from None


#: DuckDB's own guards for connections that run SQL a user typed (``sql``, ``search``): no file,
#: network or extension access outside the corpus file itself, no extension auto-loading, no
#: scanning of Python variables, and settings locked so a query cannot turn any of it back on.
SANDBOX_CONFIG: dict[str, object] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "python_enable_replacements": False,
    "lock_configuration": True,  # last: locks everything above
}


def connect_sandboxed(db: Path | str) -> duckdb.DuckDBPyConnection:
    """connect_read plus SANDBOX_CONFIG: for untrusted SQL, which must not touch anything else."""
    db = Path(db)
    if not db.exists():
        raise CorpusError(f"no corpus at {db}: run `lendcorpus build` (or `lendcorpus demo`) first")
    try:
        return duckdb.connect(str(db), read_only=True, config=dict(SANDBOX_CONFIG))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise _explain_lock(db, exc) from None
        raise CorpusError(f"cannot open corpus {db}: {exc}") from None


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet recorded; returns the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " checksum VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0]: row[1] for row in con.execute("SELECT version, checksum FROM _migrations").fetchall()}
    applied = []
    for m in migrations():
        if m.version in done:
            if done[m.version] != m.checksum:
                raise CorpusError(
                    f"migration {m.version:04d}_{m.name} changed after it was applied; "
                    "add a new migration instead of editing an old one"
                )
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(m.sql)
            con.execute(
                "INSERT INTO _migrations VALUES (?, ?, ?, ?)",
                [m.version, m.name, m.checksum, datetime.now(timezone.utc)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(m.version)
    return applied
