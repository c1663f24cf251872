"""The ``dedup`` corpus pass: exact hashes, MinHash/LSH edges and clusters, persisted in DuckDB.

Incremental: only documents without a signature (or whose main text changed since signing)
are signed; their band keys are joined against the persisted index (``dedup_bands``) in SQL,
candidates are confirmed on the stored signatures, and the clusters are recomputed from the
stored hashes and edges. A run that signs nothing writes nothing. Signatures can be exported
to Parquet and a later corpus matched against them (``export_signatures`` /
``match_previous``): that is how a release is deduplicated against the previous release.

Why DuckDB and not a sidecar file for the index: the build already holds the corpus open for
writing, the tables commit in the same transaction as the signatures (no index/corpus drift
after a crash), and the candidate query is one hash join.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    import duckdb

from .core import MAX_EDGES, DocInfo, assign_clusters, confirm_edges
from .minhash import DEFAULT_PARAMS, MemoryIndex, MinHashParams, band_keys, sign_batch

VERSION = 1
CHUNK = 10_000
_TABLES = ("dedup_signatures", "dedup_bands", "dedup_edges", "dedup_clusters", "dedup_members")

_SIG_SCHEMA = pa.schema([("doc_id", pa.string()), ("text_md5", pa.string()), ("main_hash", pa.string()),
                         ("shingles", pa.int32()), ("sig", pa.binary()), ("hash_rep", pa.bool_()),
                         ("signer", pa.string())])
_MEMBER_SCHEMA = pa.schema([("doc_id", pa.string()), ("cluster_id", pa.string()), ("is_canonical", pa.bool_()),
                            ("reason", pa.string()), ("matched_doc_id", pa.string()), ("jaccard", pa.float64())])
_CLUSTER_SCHEMA = pa.schema([("cluster_id", pa.string()), ("canonical_doc_id", pa.string()), ("members", pa.int32()),
                             ("sources", pa.int32()), ("first_published_at", pa.timestamp("us", tz="UTC")),
                             ("kind", pa.string())])


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _sig_matrix(blobs: list[bytes], k: int) -> np.ndarray:
    if not blobs:
        return np.empty((0, k), np.uint32)
    return np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(blobs), k).astype(np.uint32)


class DedupPass:
    """Corpus pass; see the module docstring."""

    def __init__(self, params: MinHashParams = DEFAULT_PARAMS, max_edges: int = MAX_EDGES):
        self.params = params
        self.max_edges = max_edges
        self.name = f"dedup@{VERSION}"

    # ------------------------------------------------------------------ the pass

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        counts = {"signed": 0, "indexed": 0, "edges": 0, "resigned": 0}
        stale = con.execute("SELECT count(*) FROM dedup_signatures WHERE signer <> ?",
                            [self.params.signer]).fetchone()[0]
        if reprocess or stale:
            con.execute("BEGIN TRANSACTION")
            for table in _TABLES:
                con.execute(f"DELETE FROM {table}")
            con.execute("COMMIT")
        changed = self._forget_changed(con, counts)
        todo_sql = """
            SELECT d.doc_id, d.text_main_simplified FROM documents d
            LEFT JOIN dedup_signatures s USING (doc_id)
            WHERE d.text_main_simplified IS NOT NULL AND s.doc_id IS NULL
            ORDER BY d.doc_id
        """
        cur = con.cursor()
        cur.execute(todo_sql)
        pending = []
        while True:
            rows = cur.fetchmany(CHUNK)
            if not rows:
                break
            pending.append(rows)
        cur.close()
        for rows in pending:
            self._sign_chunk(con, rows, counts)
        if counts["signed"] or changed or self._unclustered(con):
            counts.update(self.recluster(con))
        return counts

    def _unclustered(self, con: duckdb.DuckDBPyConnection) -> bool:
        return con.execute("SELECT (SELECT count(*) FROM dedup_signatures) <> (SELECT count(*) FROM dedup_members)"
                           ).fetchone()[0]

    def _forget_changed(self, con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> int:
        """Drop signatures of documents whose main text changed (a newly learned boilerplate
        line) or that are gone; an index representative that goes is replaced by a copy."""
        gone = [r[0] for r in con.execute(
            """SELECT s.doc_id FROM dedup_signatures s LEFT JOIN documents d USING (doc_id)
               WHERE d.doc_id IS NULL OR d.text_main_simplified IS NULL
                  OR s.text_md5 <> md5(d.text_main_simplified)""").fetchall()]
        if not gone:
            return 0
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("_dd_gone", pa.table({"doc_id": gone}))
            lost = [r[0] for r in con.execute(
                "SELECT DISTINCT main_hash FROM dedup_signatures WHERE hash_rep AND doc_id IN "
                "(SELECT doc_id FROM _dd_gone) AND main_hash IS NOT NULL").fetchall()]
            for table, col in (("dedup_signatures", "doc_id"), ("dedup_bands", "doc_id"),
                               ("dedup_edges", "doc_id"), ("dedup_edges", "other_id")):
                con.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT doc_id FROM _dd_gone)")
            con.unregister("_dd_gone")
            # Promote the first remaining copy of each orphaned hash and re-query it.
            promoted = []
            for h in lost:
                row = con.execute("SELECT doc_id, sig, shingles FROM dedup_signatures WHERE main_hash = ? "
                                  "ORDER BY doc_id LIMIT 1", [h]).fetchone()
                if row:
                    con.execute("UPDATE dedup_signatures SET hash_rep = true WHERE doc_id = ?", [row[0]])
                    if row[1] is not None:
                        promoted.append((row[0], row[1]))
            if promoted:
                sigs = _sig_matrix([p[1] for p in promoted], self.params.num_perm)
                self._index_and_query(con, [p[0] for p in promoted], sigs, counts)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        counts["resigned"] += len(gone)
        return len(gone)

    def _sign_chunk(self, con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str]], counts: dict[str, int]) -> None:
        ids = [r[0] for r in rows]
        texts = [r[1] or "" for r in rows]
        batch = sign_batch(texts, self.params)
        con.execute("BEGIN TRANSACTION")
        try:
            hashes = sorted({h for h in batch.hashes if h is not None})
            known: set[str] = set()
            if hashes:
                con.register("_dd_h", pa.table({"main_hash": hashes}))
                known = {r[0] for r in con.execute(
                    "SELECT DISTINCT main_hash FROM dedup_signatures WHERE hash_rep AND main_hash IN "
                    "(SELECT main_hash FROM _dd_h)").fetchall()}
                con.unregister("_dd_h")
            sig_rows = []
            index_rows: list[int] = []
            for i, doc_id in enumerate(ids):
                h = batch.hashes[i]
                rep = h is not None and h not in known
                if rep:
                    known.add(h)
                enough = h is not None and batch.shingles[i] >= self.params.min_shingles
                if rep and enough:
                    index_rows.append(i)
                sig_rows.append({"doc_id": doc_id, "text_md5": _md5(texts[i]), "main_hash": h,
                                 "shingles": int(batch.shingles[i]),
                                 "sig": batch.sigs[i].astype("<u4").tobytes() if enough else None,
                                 "hash_rep": rep, "signer": self.params.signer})
            con.register("_dd_sig", pa.Table.from_pylist(sig_rows, schema=_SIG_SCHEMA))
            con.execute("INSERT INTO dedup_signatures BY NAME SELECT * FROM _dd_sig")
            con.unregister("_dd_sig")
            if index_rows:
                sel = np.asarray(index_rows)
                self._index_and_query(con, [ids[i] for i in index_rows], batch.sigs[sel], counts)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        counts["signed"] += len(rows)

    def _index_and_query(self, con: duckdb.DuckDBPyConnection, new_ids: list[str], sigs: np.ndarray, counts: dict[str, int]) -> None:
        """Insert band keys of ``new_ids`` and confirm their candidates among older documents
        (and earlier ones of the same batch)."""
        keys = band_keys(sigs, self.params)
        n, b = keys.shape
        bands = pa.table({"band": np.tile(np.arange(b, dtype=np.int16), n),
                          "key": keys.reshape(-1),
                          "doc_id": np.repeat(np.asarray(new_ids, dtype=object), b),
                          "pos": np.repeat(np.arange(n, dtype=np.int64), b)})
        con.register("_dd_bands", bands)
        con.execute("INSERT INTO dedup_bands SELECT band, key, doc_id FROM _dd_bands")
        cand = con.execute(
            """SELECT DISTINCT nb.pos, o.doc_id FROM _dd_bands nb
               JOIN dedup_bands o ON o.band = nb.band AND o.key = nb.key
               WHERE o.doc_id <> nb.doc_id""").fetchall()
        con.unregister("_dd_bands")
        counts["indexed"] += n
        pos_of = {d: i for i, d in enumerate(new_ids)}
        cand = [(p, o) for p, o in cand if o not in pos_of or pos_of[o] < p]
        if not cand:
            return
        others = sorted({o for _, o in cand})
        con.register("_dd_o", pa.table({"doc_id": others}))
        got = dict(con.execute("SELECT doc_id, sig FROM dedup_signatures WHERE doc_id IN (SELECT doc_id FROM _dd_o)"
                               ).fetchall())
        con.unregister("_dd_o")
        cand = [(p, o) for p, o in cand if got.get(o) is not None]
        if not cand:
            return
        q = np.asarray([p for p, _ in cand])
        other_ids = [o for _, o in cand]
        other_sigs = _sig_matrix([got[o] for o in other_ids], self.params.num_perm)
        edges = confirm_edges(new_ids, sigs, q, other_ids, other_sigs, self.params, self.max_edges)
        if edges:
            con.register("_dd_e", pa.table({"doc_id": [e[0] for e in edges], "other_id": [e[1] for e in edges],
                                             "jaccard": [e[2] for e in edges]}))
            con.execute("INSERT OR IGNORE INTO dedup_edges SELECT doc_id, other_id, jaccard FROM _dd_e")
            con.unregister("_dd_e")
        counts["edges"] += len(edges)

    def recluster(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """Recompute clusters and members from stored hashes and edges (one transaction)."""
        docs = [DocInfo(r[0], r[1], r[2] or 0, r[3], r[4]) for r in con.execute(
            """SELECT d.doc_id, s.main_hash, length(d.text_main_simplified), d.published_at, d.source
               FROM dedup_signatures s JOIN documents d USING (doc_id) ORDER BY d.doc_id""").fetchall()]
        edges = con.execute("SELECT doc_id, other_id, jaccard FROM dedup_edges").fetchall()
        members, clusters = assign_clusters(docs, edges)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM dedup_members")
            con.execute("DELETE FROM dedup_clusters")
            if members:
                con.register("_dd_m", pa.Table.from_pylist([asdict(m) for m in members], schema=_MEMBER_SCHEMA))
                con.execute("INSERT INTO dedup_members BY NAME SELECT * FROM _dd_m")
                con.unregister("_dd_m")
                con.register("_dd_c", pa.Table.from_pylist([asdict(c) for c in clusters], schema=_CLUSTER_SCHEMA))
                con.execute("INSERT INTO dedup_clusters BY NAME SELECT * FROM _dd_c")
                con.unregister("_dd_c")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        reasons: dict[str, int] = {}
        for m in members:
            reasons[m.reason] = reasons.get(m.reason, 0) + 1
        return {"clusters": sum(1 for c in clusters if c.kind != "empty"),
                "exact": reasons.get("exact", 0), "near": reasons.get("near", 0), "empty": reasons.get("empty", 0)}


# ---------------------------------------------------------------------- releases


def export_signatures(con: duckdb.DuckDBPyConnection, path: Path | str) -> int:
    """Write every signed document's exact hash and signature to Parquet (for the next release
    to be deduplicated against this one). Returns the number of rows written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY (SELECT doc_id, main_hash, shingles, sig, signer FROM dedup_signatures ORDER BY doc_id) "
                f"TO '{path.as_posix()}' (FORMAT parquet)")
    return con.execute(f"SELECT count(*) FROM read_parquet('{path.as_posix()}')").fetchone()[0]


def match_previous(con: duckdb.DuckDBPyConnection, path: Path | str, params: MinHashParams = DEFAULT_PARAMS,
                   doc_ids: list[str] | None = None) -> list[dict]:
    """Match this corpus's documents against a previous release's exported signatures.

    Returns one row per document that has a copy in the previous release: ``{"doc_id",
    "previous_doc_id", "reason": "same_id"|"exact"|"near", "jaccard"}`` (best match). Signatures
    made with other parameters are refused (they cannot be compared).
    """
    import duckdb  # noqa: F811 (the module, not only the type)

    prev = duckdb.connect().execute(f"SELECT doc_id, main_hash, sig, signer FROM read_parquet('{Path(path).as_posix()}')"
                                    ).fetchall()
    signers = {r[3] for r in prev}
    if signers - {params.signer}:
        raise ValueError(f"previous signatures were made with {sorted(signers)}, not {params.signer}")
    where = "" if doc_ids is None else "WHERE doc_id IN (SELECT unnest(?))"
    cur = con.execute(f"SELECT doc_id, main_hash, sig FROM dedup_signatures {where} ORDER BY doc_id",
                      [] if doc_ids is None else [doc_ids]).fetchall()
    prev_ids = {r[0] for r in prev}
    prev_hash: dict[str, str] = {}
    for r in prev:
        if r[1] is not None:
            prev_hash.setdefault(r[1], r[0])
    out: list[dict] = []
    rest = []
    for doc_id, h, sig in cur:
        if doc_id in prev_ids:
            out.append({"doc_id": doc_id, "previous_doc_id": doc_id, "reason": "same_id", "jaccard": None})
        elif h is not None and h in prev_hash:
            out.append({"doc_id": doc_id, "previous_doc_id": prev_hash[h], "reason": "exact", "jaccard": 1.0})
        elif sig is not None:
            rest.append((doc_id, sig))
    indexed = [r for r in prev if r[2] is not None]
    if rest and indexed:
        index = MemoryIndex(params)
        psigs = _sig_matrix([r[2] for r in indexed], params.num_perm)
        index.insert(band_keys(psigs, params), np.arange(len(indexed)))
        qsigs = _sig_matrix([r[1] for r in rest], params.num_perm)
        q, rr = index.query(band_keys(qsigs, params))
        edges = confirm_edges([r[0] for r in rest], qsigs, q, [indexed[i][0] for i in rr.tolist()], psigs[rr],
                              params, max_edges=1)
        out.extend({"doc_id": a, "previous_doc_id": b, "reason": "near", "jaccard": j} for a, b, j in edges)
    return sorted(out, key=lambda r: r["doc_id"])
