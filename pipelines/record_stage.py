"""The per-record stage of the build: pure functions of stored records, run in worker processes.

A batch of archived records (and the damaged stretches between them) goes in; Arrow tables of
fetches, documents and rejects plus the parsers' source-table rows come out. Nothing here
touches the corpus, so any number of processes (or, later, machines) can run it and the single
DuckDB writer loads what they return, in the order the batches were read.

Every record is isolated: an exception, a recursion too deep, a record over the time budget or
over the memory budget, too many rows from one answer or a text too long to tag becomes a
``record`` reject with its reason; the record's fetch row is kept and the rest of the batch goes
on. Because the reject is committed with the batch and the file's ``loaded_bytes`` moves past
it, the next build does not try the record again (``--reprocess`` does, on purpose).
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyarrow as pa

from lendcorpus.archive import H_METHOD, H_RUN, H_SPIDER, ArchiveDamage, ArchivedRecord
from lendcorpus.crashpoints import crash_point
from lendcorpus.pipelines.extract.model import Document
from lendcorpus.pipelines.textchain import DERIVED_SCHEMA, derive_fields

#: Seconds one record may take (extract + normalise) before it becomes a ``time_budget`` reject.
RECORD_SECONDS = 30.0
#: Address space a worker may add on top of what it had after start-up (bytes).
WORKER_MEMORY = 2 * 2**30
#: Source-table rows one record may yield (a JSON list of 10^6 items is an attack, not a page).
MAX_ROWS_PER_RECORD = 20_000
#: Rejects one record may yield before the rest are summed up in one ``too_many_rejects``.
MAX_REJECTS_PER_RECORD = 1000
#: Characters of extracted text a document may have; longer is a ``text_too_long`` reject
#: (a 20 MB page kept the practice tagger busy for hours).
MAX_TEXT_CHARS = 2_000_000
#: Python recursion limit inside workers: deep enough for real pages, low enough that a page
#: of a million nested elements fails fast with RecursionError instead of the C stack.
RECURSION_LIMIT = 4000

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
_ROW_FILL_TABLES = ("complaints", "forum_threads", "forum_posts", "forum_ads")


class RecordTimeout(BaseException):
    """A record ran past RECORD_SECONDS. A BaseException, so that the extractors' broad
    ``except Exception`` guards (a broken page must not stop the others) cannot swallow it when
    the alarm fires inside them; ``process_record`` catches it by name."""


@dataclass
class Batch:
    """Records read from one WARC file, in file order, with what the writer needs to commit them."""

    key: str  # the file's name in the corpus (archive_files.path)
    default_run: str
    items: list  # ArchivedRecord | ArchiveDamage, in file order
    loaded_to: int  # byte offset after the last item (archive_files.loaded_bytes once committed)
    first: bool  # first batch of this file in this build
    last: bool  # last batch of this file in this build
    start: int = 0  # where this build began reading the file


@dataclass
class BatchResult:
    fetches: pa.Table
    documents: pa.Table
    rejects: pa.Table
    rows: list[tuple[str, dict]] = field(default_factory=list)
    runs: dict[str, str] = field(default_factory=dict)
    records: int = 0
    damaged: int = 0


def fetch_row(rec: ArchivedRecord, key: str, run_id: str) -> dict:
    return {
        "archive_path": key, "archive_offset": rec.offset, "archive_length": rec.length,
        "run_id": run_id, "spider": rec.warc_headers.get(H_SPIDER) or None, "url": rec.url,
        "method": rec.warc_headers.get(H_METHOD) or ("GET" if rec.rec_type == "response" else None),
        "status": rec.status, "error": rec.error or None, "page_kind": None,
        "fetched_at": rec.fetched_at, "content_type": rec.header("Content-Type"),
        "content_length": len(rec.body) if rec.rec_type == "response" else None,
        "content_sha1": rec.warc_headers.get("WARC-Payload-Digest"), "items": None,
    }


def doc_row(d: Document, rec: ArchivedRecord, key: str) -> dict:
    row = {
        "doc_id": d.doc_id, "source": d.source, "kind": d.kind, "url": d.url, "title": d.title,
        "text": d.text, "published_at": d.published_at, "fetched_at": rec.fetched_at,
        "extractor": d.extractor, "encoding": d.encoding, "encoding_evidence": d.encoding_evidence,
        "archive_path": key, "archive_offset": rec.offset,
    }
    row.update(derive_fields(d.text))
    return row


# ---------------------------------------------------------------------- isolation


_RULES = None


def _rules():
    global _RULES
    if _RULES is None:
        from lendcorpus.siterules import load_all

        _RULES = load_all()
    return _RULES


_WARM = False


def warm() -> None:
    """Build the site rules and the normaliser's lazy tables (OpenCC, the character-class
    lookup, pinyin) once per process, outside any record's time budget: an initialisation that
    a record's alarm interrupts would be started again, and interrupted again, by every record."""
    global _WARM
    if _WARM:
        return
    from lendcorpus.pipelines.normalize import normalize_text

    _rules()
    normalize_text("網貸逾期 現(xiàn)在 催收 ok\u00e9")
    _WARM = True


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the build that forked it dies. A build killed with
    SIGKILL cannot stop its workers; orphans would hold its pipes open (a caller waiting for the
    build's output would wait forever) and keep memory."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: the pipes close when the pool notices its parent is gone
    if os.getppid() == 1:
        os._exit(1)  # the build died before the request above took effect


def init_worker(memory: int | None = WORKER_MEMORY) -> None:
    """Set a worker process's budgets: address space and recursion depth; load the rules once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's to handle
    _die_with_parent()
    sys.setrecursionlimit(RECURSION_LIMIT)
    if memory:
        try:
            with open("/proc/self/status") as fh:
                vm = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = vm + memory
            if hard == resource.RLIM_INFINITY or limit < hard:
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (OSError, ValueError, StopIteration) as exc:
            # no /proc or no permission: the time budget and the recursion limit still hold
            logging.getLogger(__name__).warning("build worker: no memory budget (%s)", exc)
    warm()


def _on_alarm(signum, frame):  # noqa: ARG001
    raise RecordTimeout()


@contextmanager
def time_budget(seconds: float | None):
    """Raise RecordTimeout in this (main) thread after ``seconds``; no-op off the main thread.
    Inside ``alarm_handler`` (a whole batch) only the timer is set per record."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    installed = signal.getsignal(signal.SIGALRM) is _on_alarm
    old = None if installed else signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if not installed:
            signal.signal(signal.SIGALRM, old)


@contextmanager
def alarm_handler():
    """SIGALRM -> RecordTimeout for a whole batch (installing a handler per record cost more
    than setting the timer); the previous handler is back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        yield
    finally:
        signal.signal(signal.SIGALRM, old)


def _record_reject(reason: str, detail: str = "") -> tuple[str, str, str]:
    return ("record", reason, detail[:300])


def process_record(rec: ArchivedRecord, key: str, run_id: str, seconds: float | None = RECORD_SECONDS):
    """(page kind, document rows, reject (stage, reason, detail) triples, source rows, items yielded
    for the drift check) for one record; never raises for anything the record's bytes can cause."""
    from lendcorpus.pipelines.extract.model import primary_items
    from lendcorpus.pipelines.extract import extract_record

    try:
        with time_budget(seconds):
            ex = extract_record(rec, _rules())
            rejects = [(r.stage, r.reason, r.detail) for r in ex.rejects[:MAX_REJECTS_PER_RECORD]]
            if len(ex.rejects) > MAX_REJECTS_PER_RECORD:
                rejects.append(_record_reject("too_many_rejects", f"{len(ex.rejects)} rejects, "
                                              f"first {MAX_REJECTS_PER_RECORD} kept"))
            if len(ex.rows) > MAX_ROWS_PER_RECORD:
                return ex.page_kind, [], rejects + [_record_reject(
                    "too_many_rows", f"{len(ex.rows)} rows > {MAX_ROWS_PER_RECORD}")], [], None
            docs, seen = [], set()
            for d in ex.documents:
                if d.doc_id in seen:
                    continue
                seen.add(d.doc_id)
                if len(d.text or "") > MAX_TEXT_CHARS:
                    rejects.append(_record_reject("text_too_long", f"{d.doc_id}: {len(d.text)} chars > {MAX_TEXT_CHARS}"))
                    continue
                docs.append(doc_row(d, rec, key))
            rows = ex.rows
            if rows:
                fill = {"archive_path": key, "archive_offset": rec.offset, "fetched_at": rec.fetched_at}
                rows = [(t, {**fill, **r}) if t in _ROW_FILL_TABLES else (t, r) for t, r in rows]
            return ex.page_kind, docs, rejects, rows, primary_items(ex)
    except RecordTimeout:
        return None, [], [_record_reject("time_budget", f"over {seconds:g}s")], [], None
    except RecursionError:
        return None, [], [_record_reject("recursion_limit", "nesting too deep")], [], None
    except MemoryError:
        return None, [], [_record_reject("memory_budget", "over the worker's memory budget")], [], None
    except Exception as exc:  # a parser bug on one record must not stop the build
        return None, [], [_record_reject("exception", f"{type(exc).__name__}: {exc}")], [], None


def process_batch(batch: Batch, seconds: float | None = RECORD_SECONDS) -> BatchResult:
    """The per-record stage over one batch: the worker's entry point."""
    fetches: list[dict] = []
    docs: dict[str, dict] = {}
    rejects: list[dict] = []
    rows: list[tuple[str, dict]] = []
    runs: dict[str, str] = {}
    records = damaged = 0
    warm()  # in-process builds (--jobs 1) have no worker initialiser
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(RECURSION_LIMIT)  # the same depth in a worker and in-process
    try:
        with alarm_handler():
            for item in batch.items:
                _one(item, batch, seconds, fetches, docs, rejects, rows, runs)
                records += not isinstance(item, ArchiveDamage)
                damaged += isinstance(item, ArchiveDamage)
    finally:
        sys.setrecursionlimit(limit)
    return BatchResult(
        fetches=pa.Table.from_pylist(fetches, schema=FETCH_SCHEMA),
        documents=pa.Table.from_pylist(list(docs.values()), schema=DOC_SCHEMA),
        rejects=pa.Table.from_pylist(rejects, schema=REJECT_SCHEMA),
        rows=rows, runs=runs, records=records, damaged=damaged)


def _one(item, batch: Batch, seconds, fetches, docs, rejects, rows, runs) -> None:
    """One record (or damaged stretch) of a batch into the batch's row lists."""
    key = batch.key
    if isinstance(item, ArchiveDamage):
        rejects.append({"url": item.url, "stage": "archive",
                        "reason": item.code,
                        "detail": item.reason, "archive_path": key, "archive_offset": item.offset,
                        "run_id": batch.default_run})
        return
    run_id = item.warc_headers.get(H_RUN) or batch.default_run
    runs.setdefault(run_id, item.warc_headers.get(H_SPIDER, ""))
    fetch = fetch_row(item, key, run_id)
    crash_point(f"record:{item.url}")  # a test kills the worker on one record (tests/test_build_ray.py)
    kind, doc_rows, rec_rejects, rec_rows, items = process_record(item, key, run_id, seconds)
    fetch["page_kind"] = kind
    fetch["items"] = items  # drift alarms (crawler/drift.py)
    fetches.append(fetch)
    for stage, reason, detail in rec_rejects:
        rejects.append({"url": item.url, "stage": stage, "reason": reason, "detail": detail,
                        "archive_path": key, "archive_offset": item.offset, "run_id": run_id})
    for row in doc_rows:
        docs.setdefault(row["doc_id"], row)
    rows.extend(rec_rows)


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:
        return os.cpu_count() or 1
