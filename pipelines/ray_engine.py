"""The per-record stage as Ray tasks, for archives spread over a cluster (``build --engine ray``).

The distributed crawl leaves WARC shards on each worker machine. Here every node lists the shards
it holds (a task pinned to the node), and each shard is processed by a task pinned to a node that
has it: the task reads the file where it lies, in the same batches as the local build
(``read_batches``: boundaries depend only on the file), runs ``process_batch`` on each and
streams back (batch without its records, Arrow result) pairs. The single writer consumes the
shards' streams in archive order and loads each result through the same ``_write_batch`` as the
local executor, so the corpus is the same (tests/test_build_ray.py, against a real local
cluster).

Memory stays bounded: at most ``window`` shard tasks run at once and each stream may run at most
``AHEAD`` batches ahead of the writer (Ray's generator backpressure). A shard whose worker dies
(a crash in native code, the OOM killer) is finished record by record from the last batch that
came back, each record a task of its own; the record whose task dies becomes a
``record:worker_died`` reject, as with the local executor.

Ray is an optional extra (``pip install 'lendcorpus[ray]'``): nothing here imports it at module
level.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from lendcorpus.pipelines.record_stage import RECORD_SECONDS, Batch, BatchResult

#: Batches a shard's stream may hold ready before the writer takes them.
AHEAD = 2


@dataclass(frozen=True)
class Shard:
    """A WARC file on some node of the cluster, as that node saw it."""

    key: str  # archive_files.path: relative to the archive folder (the same path on every node)
    path: str  # where the node holds it
    size: int
    default_run: str
    node_id: str
    manifest: str | None  # the run folder's run.json as text (crawl_runs), read on the node


def require_ray():
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("--engine ray needs Ray: pip install 'lendcorpus[ray]'") from exc
    return ray


def _list_here(root: str, files: list[str] | None) -> list[tuple]:
    """The WARC files this node holds: under ``root``, or those of ``files`` present here."""
    import ray

    from lendcorpus.archive import warc_files
    from lendcorpus.pipelines.build import archive_key, default_run_of

    root_p = Path(root)
    if files is None:
        paths = warc_files(root_p) if root_p.exists() else []
    else:
        paths = [Path(f) for f in files if Path(f).is_file()]
    node = ray.get_runtime_context().get_node_id()
    out = []
    for p in paths:
        manifest = p.parent / "run.json"
        try:
            text = manifest.read_text(encoding="utf-8") if manifest.exists() else None
        except OSError:
            text = None
        out.append((archive_key(p, root_p), str(p), p.stat().st_size, default_run_of(p, root_p), node, text))
    return out


def _shard_batches(path: str, key: str, start: int, default_run: str, max_records: int, max_bytes: int,
                   seconds: float | None, first: bool = True, only_one: bool = False):
    """Read one shard where it lies and yield (batch without records, result) per batch."""
    from lendcorpus.pipelines.build import read_batches
    from lendcorpus.pipelines.record_stage import process_batch

    for batch in read_batches(Path(path), key, start, default_run, max_records=max_records, max_bytes=max_bytes):
        batch.first = batch.first and first
        result = process_batch(batch, seconds)
        yield replace(batch, items=[]), result
        if only_one:
            return


def _one_record(path: str, key: str, start: int, default_run: str, seconds: float | None, first: bool):
    """The next batch of one record (or damaged stretch) from ``start``: the crash fallback."""
    return next(_shard_batches(path, key, start, default_run, 1, 2**62, seconds, first, only_one=True))


def _peek(path: str, key: str, start: int, default_run: str, first: bool) -> Batch:
    """The same one-record batch, read but not processed (for the reject of a record that kills)."""
    from lendcorpus.pipelines.build import read_batches

    batch = next(read_batches(Path(path), key, start, default_run, max_records=1, max_bytes=2**62))
    batch.first = batch.first and first
    return batch


class RayExecutor:
    """Runs the per-record stage of a build as Ray tasks next to the WARC shards."""

    def __init__(self, address: str | None = None, *, window: int | None = None,
                 seconds: float | None = RECORD_SECONDS, num_cpus: int | None = None):
        """``address``: a running cluster (``host:port`` of its head, or ``auto``); ``None`` starts
        a Ray instance on this machine with ``num_cpus`` CPUs (for trying it out and benchmarks)."""
        self.address = address
        self.window = window
        self.seconds = seconds
        self.num_cpus = num_cpus
        self.restarts = 0  # shards finished record by record after a dead worker
        self._ray = None
        self._started_here = False

    def start(self) -> None:
        if self._ray is not None:
            return
        ray = require_ray()
        if not ray.is_initialized():
            kw = {"address": self.address} if self.address else {"num_cpus": self.num_cpus,
                                                                   "include_dashboard": False}
            crash = os.environ.get("LENDCORPUS_CRASH_AT")  # the kill tests' crash points reach the workers
            if crash:
                kw["runtime_env"] = {"env_vars": {"LENDCORPUS_CRASH_AT": crash}}
            ray.init(log_to_driver=False, configure_logging=False, **kw)
            self._started_here = True
        self._ray = ray
        if self.window is None:
            cpus = int(ray.cluster_resources().get("CPU", 1))
            self.window = max(cpus, 1) + 1

    def close(self) -> None:
        if self._ray is not None and self._started_here:
            self._ray.shutdown()
        self._ray = None
        self._started_here = False

    def __enter__(self) -> "RayExecutor":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _pinned(self, fn, node_id: str, **options):
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        return self._ray.remote(fn).options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node_id, soft=False),
            max_retries=0, **options)

    def list_shards(self, root: Path, files: list[Path] | None = None) -> list[Shard]:
        """Every shard on every alive node, in the local build's order (``warc_files`` order, or
        the order ``files`` were given); a file several nodes hold is read by them in turn."""
        self.start()
        ray = self._ray
        nodes = sorted(n["NodeID"] for n in ray.nodes() if n.get("Alive"))
        names = [str(f) for f in files] if files is not None else None
        listed = ray.get([self._pinned(_list_here, n, num_cpus=0).remote(str(root), names) for n in nodes])
        holders: dict[str, list[Shard]] = {}
        for rows in listed:
            for row in rows:
                holders.setdefault(row[0], []).append(Shard(*row))
        if files is None:
            keys = sorted(holders, key=lambda k: Path(holders[k][0].path))
        else:
            from lendcorpus.pipelines.build import archive_key

            order: dict[str, int] = {}
            for f in names:
                order.setdefault(archive_key(Path(f), Path(root)), len(order))
            keys = sorted(holders, key=lambda k: order.get(k, len(order)))
        # a file several nodes hold (a shared folder) goes to them in turn
        return [holders[k][i % len(holders[k])] for i, k in enumerate(keys)]

    def map_shards(self, shards: list[tuple[Shard, int]], max_records: int,
                   max_bytes: int) -> Iterator[tuple[Batch, BatchResult]]:
        """(batch without records, result) for every batch of every (shard, start offset), in order."""
        self.start()
        stream = self._ray.remote(_shard_batches)
        pending: deque = deque()
        todo = iter(shards)

        def submit() -> bool:
            nxt = next(todo, None)
            if nxt is None:
                return False
            shard, start = nxt
            task = stream.options(
                scheduling_strategy=_affinity(shard.node_id), max_retries=0, num_returns="streaming",
                _generator_backpressure_num_objects=AHEAD)
            pending.append((shard, start, task.remote(shard.path, shard.key, start, shard.default_run,
                                                      max_records, max_bytes, self.seconds)))
            return True

        while len(pending) < self.window and submit():
            pass
        while pending:
            shard, start, gen = pending.popleft()
            yield from self._drain(shard, start, gen)
            submit()

    def _drain(self, shard: Shard, start: int, gen) -> Iterator[tuple[Batch, BatchResult]]:
        ray = self._ray
        position, first = start, True
        try:
            for ref in gen:
                batch, result = ray.get(ref)
                position, first = batch.loaded_to, False
                yield batch, result
                if batch.last:
                    return
            return
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError):
            # the worker died under a record: finish the shard record by record
            self.restarts += 1
            yield from self._record_by_record(shard, position, first)

    def _record_by_record(self, shard: Shard, position: int, first: bool) -> Iterator[tuple[Batch, BatchResult]]:
        """The rest of a shard whose worker died, one record per task, from ``position``."""
        from lendcorpus.pipelines.executor import _dead_record

        ray = self._ray
        one = self._pinned(_one_record, shard.node_id)
        peek = self._pinned(_peek, shard.node_id)
        while True:
            try:
                batch, result = ray.get(one.remote(shard.path, shard.key, position, shard.default_run,
                                                   self.seconds, first))
            except (ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError):
                batch = ray.get(peek.remote(shard.path, shard.key, position, shard.default_run, first))
                result = _dead_record(batch, batch.items[0])
                batch = replace(batch, items=[])
            yield batch, result
            position, first = batch.loaded_to, False
            if batch.last:
                return


def _affinity(node_id: str):
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)

