"""Runs the per-record stage on worker processes, streaming, in order, with bounded memory.

``LocalExecutor.map(batches)`` yields one ``BatchResult`` per ``Batch`` in the order the batches
came in, whatever order the workers finish in: the writer loads them in file order, so the corpus
is the same with one worker or many. At most ``window`` batches are in flight, so memory is
bounded by batch size x window, not by file or corpus size.

A worker that dies (a segfault in a C parser, the kernel's OOM killer) breaks the pool. The
executor starts a new one and runs the batch again; if it breaks again, it runs the batch one
record at a time, and the record that kills a worker becomes a ``record:worker_died`` reject.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pyarrow as pa

from lendcorpus.archive import H_RUN, ArchivedRecord
from lendcorpus.pipelines.record_stage import (FETCH_SCHEMA, REJECT_SCHEMA, RECORD_SECONDS, WORKER_MEMORY, Batch,
                                               BatchResult, fetch_row, init_worker, process_batch)


def concat_results(parts: list[BatchResult]) -> BatchResult:
    runs: dict[str, str] = {}
    rows: list = []
    for p in parts:
        for k, v in p.runs.items():
            runs.setdefault(k, v)
        rows.extend(p.rows)
    docs = pa.concat_tables([p.documents for p in parts])
    # a document id seen in two records of the batch keeps its first
    if docs.num_rows:
        seen: set[str] = set()
        keep = []
        for i, d in enumerate(docs.column("doc_id").to_pylist()):
            keep.append(d not in seen)
            seen.add(d)
        docs = docs.filter(pa.array(keep))
    return BatchResult(fetches=pa.concat_tables([p.fetches for p in parts]), documents=docs,
                       rejects=pa.concat_tables([p.rejects for p in parts]), rows=rows, runs=runs,
                       records=sum(p.records for p in parts), damaged=sum(p.damaged for p in parts))


def _dead_record(batch: Batch, item: ArchivedRecord) -> BatchResult:
    run_id = item.warc_headers.get(H_RUN) or batch.default_run
    one = process_batch(Batch(batch.key, batch.default_run, [], batch.loaded_to, False, False))
    fetch = fetch_row(item, batch.key, run_id)
    reject = {"url": item.url, "stage": "record", "reason": "worker_died",
              "detail": "the worker process died on this record (crash or out of memory)",
              "archive_path": batch.key, "archive_offset": item.offset, "run_id": run_id}
    one.fetches = pa.Table.from_pylist([fetch], schema=FETCH_SCHEMA)
    one.rejects = pa.Table.from_pylist([reject], schema=REJECT_SCHEMA)
    one.records = 1
    one.runs = {run_id: ""}
    return one


class LocalExecutor:
    """``jobs`` worker processes on this machine (``jobs=0``: in this process, no pool)."""

    def __init__(self, jobs: int, *, window: int | None = None, seconds: float | None = RECORD_SECONDS,
                 memory: int | None = WORKER_MEMORY):
        self.jobs = jobs
        self.window = window or 2 * max(jobs, 1) + 1
        self.seconds = seconds
        self.memory = memory
        self._pool: ProcessPoolExecutor | None = None
        self.restarts = 0

    def start(self) -> None:
        """Start the workers now (before the caller opens files or threads a fork would copy)."""
        if self.jobs and self._pool is None:
            ctx = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=init_worker,
                                             initargs=(self.memory,))
            # fork every worker now, while this process has no DuckDB connection or threads
            for f in [self._pool.submit(int, 0) for _ in range(self.jobs)]:
                f.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "LocalExecutor":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _submit(self, batch: Batch) -> tuple[int, Future | BatchResult]:
        if not self.jobs:
            return 0, process_batch(batch, self.seconds)
        self.start()
        assert self._pool is not None
        return self.restarts, self._pool.submit(process_batch, batch, self.seconds)

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self.restarts += 1
        self.start()

    def _run_here(self, batch: Batch) -> BatchResult:
        """Run ``batch`` on the current pool and wait; restart the pool if it breaks."""
        assert self._pool is not None
        try:
            return self._pool.submit(process_batch, batch, self.seconds).result()
        except BrokenProcessPool:
            self._restart()
            raise

    def _result(self, batch: Batch, submitted: tuple[int, Future | BatchResult]) -> BatchResult:
        generation, fut = submitted
        if isinstance(fut, BatchResult):
            return fut
        try:
            return fut.result()
        except (BrokenProcessPool, CancelledError):
            if generation == self.restarts:  # this pool broke (not one already replaced)
                self._restart()
        try:  # a batch broken by another batch's record passes on the second try
            return self._run_here(batch)
        except BrokenProcessPool:
            pass
        parts = []
        for item in batch.items:
            single = Batch(batch.key, batch.default_run, [item], batch.loaded_to, False, False)
            try:
                parts.append(self._run_here(single))
            except BrokenProcessPool:
                parts.append(_dead_record(batch, item))
        return concat_results(parts)

    def map_calls(self, fn, chunks: Iterable) -> Iterator:
        """``fn(chunk)`` for each chunk, in order, on the workers (corpus passes' per-document
        work); at most ``window`` chunks in flight. ``fn`` must be a module-level function."""
        if not self.jobs:
            for chunk in chunks:
                yield fn(chunk)
            return
        self.start()
        pending: deque = deque()
        for chunk in chunks:
            pending.append(self._pool.submit(fn, chunk))
            while len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def map(self, batches: Iterable[Batch]) -> Iterator[tuple[Batch, BatchResult]]:
        """(batch, result) pairs in input order, at most ``window`` batches in flight."""
        pending: deque = deque()
        for batch in batches:
            pending.append((batch, self._submit(batch)))
            while len(pending) >= self.window:
                b, f = pending.popleft()
                yield b, self._result(b, f)
        while pending:
            b, f = pending.popleft()
            yield b, self._result(b, f)
