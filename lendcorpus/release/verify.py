"""``lendcorpus release verify DIR``: checksums, schema, ids, scrub and takedowns of a release."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from lendcorpus.release.tables import TABLES


def _type(t) -> str:
    # Parquet names a list's value field "element", Arrow "item": the same type either way.
    return str(t).replace("list<element:", "list<item:")


def takedown_hits(root: Path, ids: set[str]) -> list[str]:
    """Listed ids found in any id column, thread id or cluster member list of the release's shards."""
    if not ids:
        return []
    hits = set()
    for spec in TABLES:
        for f in sorted((Path(root) / "data").glob(f"{spec.name}-*.parquet")):
            cols = [c for c in dict.fromkeys((spec.id_column, "complaint_id", "thread_id", "member_ids",
                                              "canonical_doc_id"))
                    if c in spec.schema.names]
            t = pq.read_table(f, columns=cols)
            for name in cols:
                values = t.column(name).to_pylist()
                for v in values:
                    if isinstance(v, list):
                        hits.update(x for x in v if x in ids)
                    elif v in ids:
                        hits.add(v)
    return sorted(hits)


def verify_release(root: Path | str, takedown_files: tuple[Path, ...] | None = None) -> list[str]:
    """Problems found (empty list = the release is sound)."""
    from lendcorpus.release.build import sha256_file
    from lendcorpus.release.scrubbing import final_gate
    from lendcorpus.release.takedowns import TAKEDOWNS_FILE, load_takedowns

    from lendcorpus.release.writer import is_partial_folder

    root = Path(root)
    if is_partial_folder(root):
        return [f"{root}: a partial folder left by a release that did not finish (killed before its final "
                "rename), not a release; the next `lendcorpus release` beside it removes it"]
    problems: list[str] = []
    mpath = root / "manifest.json"
    if not mpath.is_file():
        return [f"{root}: no manifest.json (not a release folder)"]
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"manifest.json is not valid JSON: {exc}"]
    listed = {f["path"]: f for f in manifest.get("files", [])}
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {"manifest.json"}
    for extra in sorted(present - set(listed)):
        problems.append(f"{extra}: not in the manifest")
    bad: set[str] = set()
    for path, entry in sorted(listed.items()):
        f = root / path
        if not f.is_file():
            problems.append(f"{path}: listed in the manifest but missing")
            bad.add(path)
            continue
        if f.stat().st_size != entry["bytes"] or sha256_file(f) != entry["sha256"]:
            problems.append(f"{path}: SHA-256 does not match the manifest")
            bad.add(path)
    for spec in TABLES:
        tinfo = manifest.get("tables", {}).get(spec.name)
        if tinfo is None:
            problems.append(f"table {spec.name}: missing from the manifest")
            continue
        rows = 0
        last_id = None
        for path in tinfo["files"]:
            f = root / path
            if not f.is_file() or path in bad:
                continue  # already reported; its rows cannot be trusted
            try:
                pf = pq.ParquetFile(f)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
                problems.append(f"{path}: not readable as Parquet ({type(exc).__name__})")
                continue
            schema = pf.schema_arrow
            if [(x.name, _type(x.type)) for x in schema] != [(x.name, _type(x.type)) for x in spec.schema]:
                problems.append(f"{path}: schema differs from the published data dictionary")
                continue
            t = pf.read()
            rows += t.num_rows
            ids = t.column(spec.id_column).to_pylist()
            for i in ids:
                if i is None or (last_id is not None and i <= last_id):
                    problems.append(f"{path}: ids are not unique and sorted (at {i})")
                    break
                last_id = i
            for col in spec.gate_columns:
                for rid, v in zip(ids, t.column(col).to_pylist()):
                    found = final_gate(v) if isinstance(v, str) else {}
                    if found:
                        problems.append(f"{path}: {rid} {col} still holds personal data "
                                        f"({', '.join(f'{k}×{n}' for k, n in sorted(found.items()))})")
        if rows != tinfo["rows"] and not any(p in bad for p in tinfo["files"]):
            problems.append(f"table {spec.name}: {rows} rows, manifest says {tinfo['rows']}")
    takedowns = load_takedowns(*(takedown_files or (TAKEDOWNS_FILE,)))
    if bad:
        return problems  # the takedown scan reads every shard; a damaged one was reported above
    for hit in takedown_hits(root, {t.id for t in takedowns}):
        problems.append(f"{hit}: on the takedown list but present in the release")
    return problems
