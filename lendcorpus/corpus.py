"""Opening the DuckDB corpus: one writer at a time, readers read-only, schema by migrations.

DuckDB lets one process write a file and then refuses every other process, readers included.
So only ``lendcorpus build`` (and later release bookkeeping) opens it for writing, briefly;
crawls never do. A second writer gets ``CorpusInUse`` with the holder's PID, not a traceback.
Migrations are the numbered files in ``datasets/migrations``; each runs in its own transaction
and is recorded in ``_migrations`` with its checksum (sqlite-utils style).

Crash safety (docs/architecture.md): DuckDB 1.5 cannot replay a write-ahead log that holds
``ALTER TABLE ... ADD COLUMN`` on a table with a ``DEFAULT now()`` column, so a process killed
between a migration and DuckDB's next checkpoint left a file nothing could open. Now a new
corpus is built in a side file, checkpointed and only then linked into place; an existing one
is checkpointed before and after its pending migrations; and should a log still be unreplayable,
the writer sets it aside under a named backup and goes on from the last checkpoint. What that
loses is re-loaded by the next build: which bytes of which WARC file are loaded is committed in
the same transactions as the rows, so it is rolled back with them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from lendcorpus.config import CORE_DEFAULTS
from lendcorpus.config import get as config_get
from lendcorpus.crashpoints import crash_point
from lendcorpus.paths import MIGRATIONS_DIR, VIEWS_DIR

logger = logging.getLogger(__name__)


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
#: default seconds a writer waits for the lock; ``LENDCORPUS_LOCK_WAIT`` (lendcorpus.config) changes it
LOCK_WAIT_SECONDS = CORE_DEFAULTS["LENDCORPUS_LOCK_WAIT"]


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


def _wal_unreplayable(exc: Exception) -> bool:
    return "replaying WAL" in str(exc) or "WAL file" in str(exc)


def wal_backup_name(db: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return db.with_name(f"{db.name}.wal.unreplayable-{stamp}")


def _explain_open(db: Path, exc: Exception) -> CorpusError:
    if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
        return _explain_lock(db, exc)
    if _wal_unreplayable(exc):
        return CorpusError(
            f"corpus {db} has a write-ahead log DuckDB cannot replay (a build was killed during a schema "
            "change). Run `lendcorpus build`: it sets the log aside as a named backup and goes on from the last "
            "checkpoint, re-loading from the archive whatever the log held."
        )
    return CorpusError(f"cannot open corpus {db}: {exc}")


def _open(db: Path, wait: float) -> duckdb.DuckDBPyConnection:
    """Open for writing; an unreplayable write-ahead log is set aside (named backup), not fatal.

    While another process holds the file, wait up to ``wait`` seconds with an intent file
    telling polite readers to stand back; then give up with ``CorpusInUse``."""
    deadline = time.monotonic() + wait
    intent = None
    try:
        while True:
            try:
                return duckdb.connect(str(db))
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise CorpusError(f"cannot open corpus {db}: {exc}") from None
                if time.monotonic() >= deadline:
                    raise _explain_lock(db, exc) from None
                if intent is None:
                    intent = intent_file(db)
                    intent.write_text(str(os.getpid()), encoding="ascii")
                time.sleep(0.05)
            except duckdb.Error as exc:
                if not _wal_unreplayable(exc):
                    raise _explain_open(db, exc) from None
                unreplayable = exc
                break
    finally:
        if intent is not None:
            intent.unlink(missing_ok=True)
    return _set_log_aside(db, unreplayable)


def _set_log_aside(db: Path, exc: Exception) -> duckdb.DuckDBPyConnection:
    """Move the log to a named backup, say what that loses, open the last checkpoint."""
    wal = db.with_name(db.name + ".wal")
    backup = wal_backup_name(db)
    size = wal.stat().st_size if wal.exists() else 0
    os.replace(wal, backup)
    logger.warning(
        "corpus %s: its write-ahead log could not be replayed (%s). Moved it to %s (%d bytes) and opened the "
        "corpus as of its last checkpoint. Lost: the transactions committed since then (a schema change, "
        "or WARC files loaded since); the build re-loads those files, as `archive_files` was rolled back "
        "with them. Delete the backup once the build has run.",
        db, str(exc).splitlines()[0][:200], backup.name, size,
    )
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as again:
        raise _explain_open(db, again) from None
    con.execute("CHECKPOINT")
    return con


def view_files() -> list[Path]:
    return sorted(VIEWS_DIR.glob("*.sql"))


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every view and the ``search_bm25`` macro, in file order, in one transaction;
    returns the files applied. Views are schema, so they follow the code even on an old corpus."""
    applied = []
    con.execute("BEGIN TRANSACTION")
    try:
        for path in view_files():
            con.execute(path.read_text(encoding="utf-8"))
            applied.append(path.stem)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return applied


def _create(db: Path) -> None:
    """Build a new corpus's schema in a side file and link it into place only when complete.

    A kill at any moment leaves either no corpus or a complete, checkpointed one (plus at most a
    hidden ``.<name>.creating-<pid>`` file, removed by the next creator).
    """
    for stale in db.parent.glob(f".{db.name}.creating-*"):
        pid = stale.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)
    side = db.with_name(f".{db.name}.creating-{os.getpid()}")
    side.unlink(missing_ok=True)
    side.with_name(side.name + ".wal").unlink(missing_ok=True)
    con = duckdb.connect(str(side))
    try:
        migrate(con)
        create_views(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    crash_point("create:before-link")
    try:
        os.link(side, db)  # never replaces a corpus another process created meanwhile
    except FileExistsError:
        pass
    finally:
        side.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def connect_write(db: Path | str, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the corpus for writing and bring its schema up to date (crash-safe, see module doc).

    While another process holds the file, wait up to ``wait`` seconds (``$LENDCORPUS_LOCK_WAIT``,
    default 30), then give up with ``CorpusInUse``."""
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    if not db.exists():
        _create(db)
    con = _open(db, float(config_get("LENDCORPUS_LOCK_WAIT")) if wait is None else wait)
    try:
        migrate(con)
        create_views(con)  # views follow the SQL files in datasets/views, also on an empty corpus
        crash_point("open:before-checkpoint")
        con.execute("CHECKPOINT")  # schema changes never wait in the log for a kill
    except BaseException:
        con.close()
        raise
    crash_point("open:ready")
    return con


def connect_read(db: Path | str) -> duckdb.DuckDBPyConnection:
    """Open the corpus read-only; writes through this connection are refused by DuckDB."""
    db = Path(db)
    if not db.exists():
        raise CorpusError(f"no corpus at {db}: run `lendcorpus build` (or `lendcorpus demo`) first")
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        if not _wal_unreplayable(exc):
            raise _explain_open(db, exc) from None
        return open_last_checkpoint(db, exc)


def open_last_checkpoint(db: Path, exc: Exception, **config) -> duckdb.DuckDBPyConnection:
    """Read-only view of the corpus as of its last checkpoint, leaving an unreplayable log alone.

    DuckDB finds the log by name (``<file>.wal``), so a hard link to the file under another
    name opens without it: no copy, nothing written. Only the next build (the writer) decides
    what happens to the log. ``config`` is passed to ``duckdb.connect``.
    """
    snapshot = db.with_name(f".{db.name}.checkpoint-{os.getpid()}")
    snapshot.unlink(missing_ok=True)
    try:
        os.link(db, snapshot)
    except OSError:
        raise _explain_open(db, exc) from None
    try:
        con = duckdb.connect(str(snapshot), read_only=True, config=config)
    except duckdb.Error as again:
        raise _explain_open(db, again) from None
    finally:
        snapshot.unlink(missing_ok=True)
    logger.warning(
        "corpus %s: its write-ahead log cannot be replayed (a build was killed during a schema change); showing "
        "the corpus as of its last checkpoint. The next `lendcorpus build` sets the log aside and re-loads what "
        "it held from the archive.", db,
    )
    return con


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
    except duckdb.Error as exc:
        if not _wal_unreplayable(exc):
            raise _explain_open(db, exc) from None
        return open_last_checkpoint(db, exc, **SANDBOX_CONFIG)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet recorded; returns the versions applied now.

    With anything to apply, the log is checkpointed first and after, so a kill in between
    leaves only schema changes in it (see ``_open`` for what happens to such a log).
    """
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
        if not applied:
            con.execute("CHECKPOINT")
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(m.sql)
            con.execute(
                "INSERT INTO _migrations VALUES (?, ?, ?, ?)",
                [m.version, m.name, m.checksum, datetime.now(timezone.utc)],
            )
            crash_point(f"migrate:before-commit:{m.version:04d}")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        crash_point(f"migrate:after-commit:{m.version:04d}")
        applied.append(m.version)
    if applied:
        con.execute("CHECKPOINT")
    return applied
