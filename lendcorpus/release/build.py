"""``lendcorpus release``: cut a versioned, scrubbed, reproducible open-dataset release.

Flow: open the corpus read-only (a running build makes this fail cleanly) → resolve takedowns and
their cluster copies → for each table, stream rows in id order, scrub text in worker processes,
run the final gate on everything written, re-cut into deterministic Parquet shards → write the
dataset card, data dictionary, changelog and manifest → move the finished folder into place.
Everything is written into a hidden temporary folder beside the target first, fsynced and renamed
at the end, so a refusal or a crash leaves no release half-written; a folder left by a killed
release is never taken for a release and is removed by the next one (writer.py, docs/release.md).
Nothing in the output depends on the wall clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
import tomllib
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import pyarrow as pa

from lendcorpus.paths import CONTRACT_DIR
from lendcorpus.release.scrubbing import scrub_chunk
from lendcorpus.release.tables import TABLES, TableSpec
from lendcorpus.release.takedowns import TAKEDOWNS_FILE, Takedown, load_takedowns, takedown_digest
from lendcorpus.release.writer import (PARQUET_OPTIONS, ShardWriter, lock_folder, partial_folder,
                                       publish_folder, remove_stale_partials)

VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$")
ROWS_PER_SHARD = 250_000
ROW_GROUP_ROWS = 25_000
BATCH_ROWS = 20_000
CHUNK_ROWS = 2_500
REQUIRED_TABLES = ("documents", "complaints", "forum_posts", "forum_threads", "document_tags", "dedup_members",
                   "dedup_clusters", "publishers", "platforms")


class ReleaseError(RuntimeError):
    """A release was refused; nothing was written."""


class GateFailure(ReleaseError):
    """The final scan found personal data in text about to be published."""


@dataclass
class ReleaseOptions:
    relevant_only: bool = True
    takedown_files: tuple[Path, ...] = (TAKEDOWNS_FILE,)
    previous: Path | None = None
    rows_per_shard: int = ROWS_PER_SHARD
    row_group_rows: int = ROW_GROUP_ROWS
    workers: int = 0  # 0 = one per CPU for big tables, inline for small ones
    progress: bool = False
    csv: bool = False  # a CSV copy beside each Parquet shard
    #: a progress board (lendcorpus.progress.Progress): rows of each table written, shard by shard
    board: object | None = None


@dataclass
class TableResult:
    spec: TableSpec
    rows: int
    files: list[Path]
    redactions: dict[str, int] = field(default_factory=dict)
    rows_redacted: int = 0


def natural_key(version: str) -> list:
    """Order versions as people expect: 2026.2 < 2026.10, v1.9 < v1.10."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", version) if p]


def sibling_releases(parent: Path) -> dict[str, Path]:
    """version -> folder for the releases beside ``parent/<new>`` (folders holding a manifest.json).

    Hidden folders are never releases: a release killed before its final rename leaves a complete
    looking ``.NAME.partial-PID`` folder, which must not block its version or become a previous one.
    """
    found = {}
    if parent.is_dir():
        for child in sorted(parent.iterdir()):
            m = child / "manifest.json"
            if child.is_dir() and not child.name.startswith(".") and m.is_file():
                try:
                    found[json.loads(m.read_text(encoding="utf-8"))["version"]] = child
                except (ValueError, KeyError):
                    continue
    return found


def _log(opts: ReleaseOptions, msg: str) -> None:
    if opts.progress:
        print(msg, file=sys.stderr, flush=True)


def check_target(out: Path, version: str) -> None:
    """Refuse a bad version, a non-empty folder, or a version already released beside it."""
    if not VERSION_RE.match(version or ""):
        raise ReleaseError(f"bad version {version!r}: use letters, digits, '.', '-', '_' (e.g. 2026.11)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} exists and is not an empty folder: a release is written into a new folder")
    existing = sibling_releases(out.parent)
    if version in existing:
        raise ReleaseError(f"version {version} already exists at {existing[version]}: versions are never reused")


def make_release(db: Path | str, version: str, out: Path | str, opts: ReleaseOptions | None = None) -> dict:
    """Write release ``version`` of corpus ``db`` into the new folder ``out``; returns the manifest."""
    from lendcorpus.corpus import connect_read
    from lendcorpus.release import documents as docs

    opts = opts or ReleaseOptions()
    out = Path(out).absolute()
    check_target(out, version)
    takedowns = load_takedowns(*opts.takedown_files)
    previous = _previous_release(out, version, opts)
    con = connect_read(db)  # CorpusInUse while a build holds the file
    tmp = partial_folder(out)
    lock = None
    try:
        con.execute("SET TimeZone = 'UTC'")
        _check_corpus(con)
        snapshot = _snapshot(con)
        removed = _register_takedowns(con, takedowns)
        _register_practices(con)
        out.parent.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_partials(out.parent):
            _log(opts, f"  removed {stale.name}, left by a release that did not finish")
        if tmp.exists():
            shutil.rmtree(tmp)
        (tmp / "data").mkdir(parents=True)
        lock = lock_folder(tmp)  # held until the rename: a concurrent release leaves this folder alone
        results = []
        for spec in TABLES:
            if spec.name == "clusters":
                _register_release_ids(con, results)
            t0 = time.perf_counter()
            res = _write_table(con, spec, tmp / "data", opts)
            results.append(res)
            if opts.board is None:  # the board printed its own line
                _log(opts, f"  {spec.name}: {res.rows} rows, {len(res.files)} file(s) in {time.perf_counter() - t0:.1f}s")
        _check_takedowns_absent(tmp, results, takedowns)
        if opts.csv:
            from lendcorpus.release.csvcopy import write_csv_copy

            shards = [f for res in results for f in res.files]
            task = opts.board.task("release CSV copies", len(shards), "shards") if opts.board is not None else None
            for f in shards:
                write_csv_copy(f)
                if task is not None:
                    task.update(advance=1, info=f.name)
            if task is not None:
                task.done(info=f"{len(shards)} CSV file(s)")
        context = docs.collect_context(con, results, snapshot)
        changes = docs.compare_with_previous(tmp, results, previous, takedowns)
        con.close()
        con = None
        (tmp / "CHANGELOG.md").write_text(docs.changelog(version, results, changes, removed), encoding="utf-8")
        (tmp / "DICTIONARY.md").write_text(docs.dictionary(), encoding="utf-8")
        (tmp / "LICENSE.md").write_text(docs.license_text(), encoding="utf-8")
        (tmp / "README.md").write_text(docs.dataset_card(version, results, context, opts), encoding="utf-8")
        manifest = _manifest(tmp, version, results, snapshot, takedowns, removed, opts, previous)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
        publish_folder(tmp, out)  # fsync every file and folder, rename, fsync the parent; `out` checked empty
        return manifest
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if lock is not None:
            os.close(lock)
        if con is not None:
            con.close()


def _previous_release(out: Path, version: str, opts: ReleaseOptions) -> Path | None:
    if opts.previous is not None:
        prev = Path(opts.previous)
        if not (prev / "manifest.json").is_file():
            raise ReleaseError(f"--previous {prev} is not a release folder (no manifest.json)")
        return prev
    older = [(natural_key(v), p) for v, p in sibling_releases(out.parent).items() if natural_key(v) < natural_key(version)]
    return max(older)[1] if older else None


def _check_corpus(con) -> None:
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise ReleaseError(f"the corpus lacks {', '.join(missing)}: run `lendcorpus build` with this version first")
    if con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0:
        raise ReleaseError("the corpus is empty: nothing to release (run `lendcorpus build` first)")


def _snapshot(con) -> dict:
    """What identifies the corpus state, without the wall clock: counts and the last build time."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT max(built_at) FROM documents), "
        "(SELECT count(*) FROM complaints), (SELECT count(*) FROM forum_posts), "
        "(SELECT max(version) FROM _migrations)").fetchone()
    ids = con.execute("SELECT md5(string_agg(doc_id, ',' ORDER BY doc_id)) FROM documents").fetchone()[0]
    return {"documents": row[0], "last_built_at": row[1].isoformat() if row[1] else None, "complaints": row[2],
            "forum_posts": row[3], "schema_version": row[4], "document_ids_md5": ids}


def _register_takedowns(con, takedowns: list[Takedown]) -> dict[str, str]:
    """Register every id to drop: listed ids and all members of their clusters. Returns id -> why."""
    listed = [t.id for t in takedowns]
    con.register("release_listed", pa.table({"id": pa.array(listed, pa.string())}))
    rows = con.execute(
        "SELECT m2.doc_id, m1.doc_id FROM dedup_members m1 JOIN dedup_members m2 USING (cluster_id) "
        "WHERE m1.doc_id IN (SELECT id FROM release_listed) AND m2.doc_id <> m1.doc_id ORDER BY 1").fetchall()
    why = {i: "listed" for i in listed}
    for copy, original in rows:
        why.setdefault(copy, f"copy of {original}")
    ids = sorted(why)
    con.register("release_takedown_ids", pa.table({"id": pa.array(ids, pa.string())}))
    return why


def _register_practices(con) -> None:
    data = tomllib.loads((CONTRACT_DIR / "lexicons" / "practices.toml").read_text(encoding="utf-8"))
    rows = [(p["code"], p.get("name"), p.get("definition")) for p in data.get("practice", [])]
    con.register("release_practices", pa.table({"code": [r[0] for r in rows], "name": [r[1] for r in rows],
                                                "definition": [r[2] for r in rows]}))


def _register_release_ids(con, results: list[TableResult]) -> None:
    import pyarrow.parquet as pq

    ids, sources = [], []
    for res in results:
        if res.spec.doc_ids:
            cols = [res.spec.id_column, res.spec.source_column]
            for f in res.files:
                t = pq.read_table(f, columns=cols)
                ids.extend(t.column(0).to_pylist())
                sources.extend(t.column(1).to_pylist())
    con.register("release_ids", pa.table({"id": pa.array(ids, pa.string()), "source": pa.array(sources, pa.string())}))


def _workers(opts: ReleaseOptions, rows: int) -> int:
    if opts.workers:
        return opts.workers
    return 1 if rows < 4 * CHUNK_ROWS else max(1, os.cpu_count() or 1)


def _chunks(con, spec: TableSpec, sql: str):
    """Yield (arrow batch slice, payload for the scrubber) in id order."""
    cur = con.execute(sql)
    reader = cur.to_arrow_reader(BATCH_ROWS) if hasattr(cur, "to_arrow_reader") else cur.fetch_record_batch(BATCH_ROWS)
    text_cols = spec.text_columns
    gate_only = [c for c in spec.gate_columns if c not in text_cols]
    has_hidden = bool(spec.hidden)
    for batch in reader:
        for start in range(0, batch.num_rows, CHUNK_ROWS):
            part = batch.slice(start, CHUNK_ROWS)
            n = part.num_rows
            payload = {
                "rows": n,
                "text": {c: part.column(c).to_pylist() for c in text_cols},
                "gate": {c: part.column(c).to_pylist() for c in gate_only},
                "handles": part.column("_handles").to_pylist() if has_hidden else [None] * n,
                "contacts": part.column("_contacts").to_pylist() if has_hidden else [None] * n,
            }
            yield part, payload


def _write_table(con, spec: TableSpec, data_dir: Path, opts: ReleaseOptions) -> TableResult:
    sql = spec.render(opts.relevant_only)
    total = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    writer = ShardWriter(data_dir, spec.name, spec.schema, total, opts.rows_per_shard, opts.row_group_rows)
    result = TableResult(spec, total, [])
    names = [c.name for c in spec.columns]
    needs_scrub = bool(spec.gate_columns)
    failures: list[tuple[str, str, dict]] = []
    workers = _workers(opts, total)
    task = opts.board.task(f"release {spec.name}", total, "rows") if opts.board is not None else None

    def finish(part: pa.RecordBatch, res: dict | None) -> None:
        arrays = {}
        for name in names:
            if res is not None and name in res["text"]:
                arrays[name] = pa.array(res["text"][name], pa.string())
            elif name == "redactions" and res is not None:
                arrays[name] = pa.array(res["redactions"], pa.string())
            else:
                arrays[name] = part.column(name)
        if res is not None:
            for i, col, found in res["findings"]:
                failures.append((part.column(spec.id_column)[i].as_py(), col, found))
            for log in res["redactions"]:
                if log != "{}":
                    result.rows_redacted += 1
                    for k, v in json.loads(log).items():
                        result.redactions[k] = result.redactions.get(k, 0) + v
        table = pa.Table.from_pydict(arrays).cast(spec.schema)
        writer.add(table)
        if task is not None:
            task.update(advance=table.num_rows, info=f"shard {writer._shard + 1}/{writer.n}")

    chunks = _chunks(con, spec, sql)
    if not needs_scrub:
        for part, _ in chunks:
            finish(part, None)
    elif workers <= 1:
        for part, payload in chunks:
            finish(part, scrub_chunk(payload))
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            window: deque = deque()
            for part, payload in chunks:
                window.append((part, pool.submit(scrub_chunk, payload)))
                if len(window) >= 3 * workers:
                    p, fut = window.popleft()
                    finish(p, fut.result())
            while window:
                p, fut = window.popleft()
                finish(p, fut.result())
    if failures:
        shown = "; ".join(f"{i} {c}: {', '.join(f'{k}×{v}' for k, v in sorted(f.items()))}" for i, c, f in failures[:10])
        raise GateFailure(f"refusing to release: the final scan found personal data in {len(failures)} value(s) of "
                          f"table {spec.name} ({shown}{' …' if len(failures) > 10 else ''}). Nothing was written.")
    result.files = writer.close()
    result.redactions = dict(sorted(result.redactions.items()))
    if task is not None:
        task.done(info=f"{len(result.files)} shard(s), {result.rows_redacted} row(s) redacted")
    return result


def _check_takedowns_absent(tmp: Path, results: list[TableResult], takedowns: list[Takedown]) -> None:
    """The release verifies itself: no listed id in any id column or cluster member list."""
    from lendcorpus.release.verify import takedown_hits

    hits = takedown_hits(tmp, {t.id for t in takedowns})
    if hits:
        raise ReleaseError(f"takedown check failed: {len(hits)} listed id(s) still present ({', '.join(hits[:5])})")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tool_versions() -> dict[str, str]:
    """Versions that can change the bytes or the content of a release."""
    import duckdb
    import pyarrow

    from lendcorpus import __version__
    from lendcorpus.pipelines.redact import REDACTOR_VERSION

    return {"lendcorpus": __version__, "redactor": REDACTOR_VERSION, "duckdb": duckdb.__version__,
            "pyarrow": pyarrow.__version__, "python": ".".join(map(str, sys.version_info[:3]))}


def _manifest(tmp: Path, version: str, results: list[TableResult], snapshot: dict, takedowns: list[Takedown],
              removed: dict[str, str], opts: ReleaseOptions, previous: Path | None) -> dict:
    files = []
    for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
        rel = path.relative_to(tmp).as_posix()
        entry = {"path": rel, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
        files.append(entry)
    rows_by_file = {}
    import pyarrow.parquet as pq

    for res in results:
        for f in res.files:
            rows_by_file[f"data/{f.name}"] = pq.ParquetFile(f).metadata.num_rows
    for entry in files:
        if entry["path"] in rows_by_file:
            entry["rows"] = rows_by_file[entry["path"]]
    return {
        "name": "lendcorpus",
        "version": version,
        "format": 1,
        "previous_version": json.loads((previous / "manifest.json").read_text(encoding="utf-8"))["version"]
        if previous else None,
        "corpus_snapshot": snapshot,
        "tools": tool_versions(),
        "options": {"relevant_only": opts.relevant_only, "rows_per_shard": opts.rows_per_shard, "csv": opts.csv,
                    "row_group_rows": opts.row_group_rows,
                    "parquet": {k: v for k, v in PARQUET_OPTIONS.items()}},
        "takedowns": {"entries": len(takedowns), "ids_sha256": takedown_digest(takedowns),
                      "documents_removed": len(removed)},
        "tables": {
            r.spec.name: {
                "id_column": r.spec.id_column,
                "rows": r.rows,
                "files": [f"data/{f.name}" for f in r.files],
                "columns": {c.name: str(c.type) for c in r.spec.columns},
                "rows_with_redactions": r.rows_redacted,
                "redactions": r.redactions,
            } for r in results},
        "files": files,
    }
