"""The ``dedup`` corpus pass: exact hashes, capped-bucket LSH edges and clusters, persisted in DuckDB.

Incremental, and linear in what changed: only documents without a signature (or whose main text
changed since signing) are signed. The LSH index (``dedup_bands``) holds one row per band of each
*node* (distinct exact text with a signature; see ``graph.py``). A node's candidates are the
``centers`` smallest nodes of each of its buckets; so a run recomputes the edges of the new nodes
and, only where a bucket's centers changed (a new node smaller than them, or a center removed),
of that bucket's members. Signatures are read once per node. Clusters are recomputed only for
the clusters those nodes and documents belonged to, plus the new documents: a run that adds 1k
documents to a large corpus touches their buckets and the clusters they join, nothing else. The
result equals a one-shot build over the same documents (the edge set is a function of the set of
nodes), and so does ``Deduper`` in memory. A run that signs nothing writes nothing.

Signatures can be exported to Parquet and a later corpus matched against them
(``export_signatures`` / ``match_previous``): that is how a release is deduplicated against the
previous release.

Why DuckDB and not a sidecar file for the index: the build already holds the corpus open for
writing, the tables commit in the same transaction as the signatures (no index/corpus drift
after a crash), and the candidate queries are set-based joins.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    import duckdb

from .core import confirm_edges
from .graph import components, estimate, keep_smallest, node_ids
from .minhash import DEFAULT_PARAMS, MemoryIndex, MinHashParams, band_keys, sign_batch

VERSION = 2
CHUNK = 10_000
_TABLES = ("dedup_signatures", "dedup_bands", "dedup_edges", "dedup_clusters", "dedup_members")

#: md5 of a document's main text without reading it when the boilerplate pass recorded it: its
#: output digest is ``md5(text_main_simplified)``, written in the transaction that wrote the text
#: (passes.py). Hashing every main text on every build to find the few that changed was the
#: pass's largest cost that grew with the corpus.
_BP_JOIN = "LEFT JOIN pass_state bp ON bp.pass = 'boilerplate' AND bp.doc_id = d.doc_id"
_MAIN_MD5 = "coalesce(bp.output_digest, md5(d.text_main_simplified))"

_SIG_SCHEMA = pa.schema([("doc_id", pa.string()), ("text_md5", pa.string()), ("main_hash", pa.string()),
                         ("shingles", pa.int32()), ("sig", pa.binary()), ("hash_rep", pa.bool_()),
                         ("signer", pa.string()), ("node", pa.int64()), ("main_chars", pa.int32())])


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _sig_matrix(blobs: list[bytes], k: int) -> np.ndarray:
    if not blobs:
        return np.empty((0, k), np.uint32)
    return np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(blobs), k).astype(np.uint32)


class _Temp:
    """Register an Arrow table under a name for the duration of a ``with`` block."""

    def __init__(self, con, name: str, table: pa.Table):
        self.con, self.name, self.table = con, name, table

    def __enter__(self):
        self.con.register(self.name, self.table)
        return self.name

    def __exit__(self, *exc):
        self.con.unregister(self.name)


class DedupPass:
    """Corpus pass; see the module docstring. ``run(con, reprocess=...)`` is what the build calls."""

    def __init__(self, params: MinHashParams = DEFAULT_PARAMS, max_edges: int | None = None):
        self.params = params  # max_edges: accepted for compatibility, unused
        self.name = f"dedup@{VERSION}"

    # ------------------------------------------------------------------ the pass

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        counts = {"signed": 0, "indexed": 0, "edges": 0, "resigned": 0, "relinked": 0, "reclustered": 0}
        stale = con.execute("SELECT count(*) FROM dedup_signatures WHERE signer <> ? OR node IS NULL AND sig IS NOT NULL",
                            [self.params.signer]).fetchone()[0]
        if reprocess or stale:
            con.execute("BEGIN TRANSACTION")
            for table in _TABLES:
                con.execute(f"DELETE FROM {table}")
            con.execute("COMMIT")
        todo = con.execute("""
            SELECT count(*) FROM documents d LEFT JOIN dedup_signatures s USING (doc_id)
            WHERE d.text_main_simplified IS NOT NULL AND s.doc_id IS NULL""").fetchone()[0]
        gone = [r[0] for r in con.execute(
            f"""SELECT s.doc_id FROM dedup_signatures s LEFT JOIN documents d USING (doc_id) {_BP_JOIN}
                WHERE d.doc_id IS NULL OR d.text_main_simplified IS NULL OR s.text_md5 <> {_MAIN_MD5}""").fetchall()]
        unclustered = con.execute("SELECT count(*) FROM dedup_signatures ANTI JOIN dedup_members USING (doc_id)"
                                  ).fetchone()[0]
        if not (todo or gone or unclustered):
            return counts
        # One transaction: a crash leaves the state of the previous run, never half an index.
        con.execute("BEGIN TRANSACTION")
        try:
            old_clusters = self._forget_changed(con, gone, counts)
            new_docs = self._sign_all(con, counts)
            removed, added = self._reconcile_index(con, counts)
            linked = self._relink(con, removed, added, counts)
            self._recluster_part(con, old_clusters, new_docs, linked, counts)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return counts

    def _forget_changed(self, con: duckdb.DuckDBPyConnection, gone: list[str], counts: dict[str, int]) -> set[str]:
        """Drop signatures and member rows of documents whose main text changed (a newly learned
        boilerplate line) or that are gone; return the clusters they were in."""
        if not gone:
            return set()
        with _Temp(con, "_dd_gone", pa.table({"doc_id": gone})):
            clusters = {r[0] for r in con.execute(
                "SELECT DISTINCT cluster_id FROM dedup_members WHERE doc_id IN (SELECT doc_id FROM _dd_gone)").fetchall()}
            lost = [r[0] for r in con.execute(
                "SELECT DISTINCT main_hash FROM dedup_signatures WHERE hash_rep AND doc_id IN "
                "(SELECT doc_id FROM _dd_gone) AND main_hash IS NOT NULL").fetchall()]
            con.execute("DELETE FROM dedup_signatures WHERE doc_id IN (SELECT doc_id FROM _dd_gone)")
            con.execute("DELETE FROM dedup_members WHERE doc_id IN (SELECT doc_id FROM _dd_gone)")
        if lost:  # another copy of the text now holds its signature row
            with _Temp(con, "_dd_lost", pa.table({"main_hash": lost})):
                con.execute("""UPDATE dedup_signatures SET hash_rep = true WHERE doc_id IN (
                                   SELECT min(doc_id) FROM dedup_signatures
                                   WHERE main_hash IN (SELECT main_hash FROM _dd_lost) GROUP BY main_hash)""")
        counts["resigned"] += len(gone)
        return clusters

    def _sign_all(self, con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> list[str]:
        """Sign every document without a (current) signature, a chunk at a time: the texts are
        streamed from a cursor, never all held at once (a fresh 100k-page corpus has 300k main
        texts). A cursor is another connection and sees the corpus as last committed, before
        ``_forget_changed`` dropped the signatures of changed texts in this transaction; so it
        selects those by their stale ``text_md5`` itself."""
        cur = con.cursor()
        new_docs: list[str] = []
        try:
            cur.execute(f"""
                SELECT d.doc_id, d.text_main_simplified FROM documents d
                LEFT JOIN dedup_signatures s USING (doc_id) {_BP_JOIN}
                WHERE d.text_main_simplified IS NOT NULL AND (s.doc_id IS NULL OR s.text_md5 <> {_MAIN_MD5})
                ORDER BY d.doc_id""")
            while True:
                rows = cur.fetchmany(CHUNK)
                if not rows:
                    break
                self._sign_chunk(con, rows)
                new_docs.extend(r[0] for r in rows)
        finally:
            cur.close()
        counts["signed"] += len(new_docs)
        return new_docs

    def _sign_chunk(self, con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str]]) -> None:
        ids = [r[0] for r in rows]
        texts = [r[1] or "" for r in rows]
        batch = sign_batch(texts, self.params)
        hashes = sorted({h for h in batch.hashes if h is not None})
        known: set[str] = set()
        if hashes:
            with _Temp(con, "_dd_h", pa.table({"main_hash": hashes})):
                known = {r[0] for r in con.execute(
                    "SELECT DISTINCT main_hash FROM dedup_signatures WHERE hash_rep AND main_hash IN "
                    "(SELECT main_hash FROM _dd_h)").fetchall()}
        cols: dict[str, list] = {f.name: [] for f in _SIG_SCHEMA}
        enough = (batch.shingles >= self.params.min_shingles).tolist()
        nodes = node_ids([h if h is not None else "0" * 16 for h in batch.hashes]).tolist()
        for i, doc_id in enumerate(ids):
            h = batch.hashes[i]
            rep = h is not None and h not in known
            if rep:
                known.add(h)
            ok = h is not None and enough[i]
            cols["doc_id"].append(doc_id)
            cols["text_md5"].append(_md5(texts[i]))
            cols["main_hash"].append(h)
            cols["shingles"].append(int(batch.shingles[i]))
            cols["sig"].append(batch.sigs[i].astype("<u4").tobytes() if ok else None)
            cols["hash_rep"].append(rep)
            cols["signer"].append(self.params.signer)
            cols["node"].append(nodes[i] if ok else None)
            cols["main_chars"].append(len(texts[i]))
        with _Temp(con, "_dd_sig", pa.table(cols, schema=_SIG_SCHEMA)):
            con.execute("INSERT INTO dedup_signatures BY NAME SELECT * FROM _dd_sig")

    def _reconcile_index(self, con: duckdb.DuckDBPyConnection, counts: dict[str, int]
                         ) -> tuple[pa.Table, np.ndarray]:
        """Make ``dedup_bands`` hold exactly the signed nodes. Returns the band rows removed and
        the nodes added."""
        removed = con.execute("""
            SELECT band, key, node FROM dedup_bands
            WHERE node IN (SELECT node FROM dedup_bands WHERE band = 0
                           EXCEPT SELECT node FROM dedup_signatures WHERE node IS NOT NULL)""").to_arrow_table()
        if removed.num_rows:
            with _Temp(con, "_dd_rm", removed):
                con.execute("DELETE FROM dedup_bands WHERE node IN (SELECT node FROM _dd_rm)")
                con.execute("DELETE FROM dedup_edges WHERE node IN (SELECT node FROM _dd_rm) "
                            "OR other IN (SELECT node FROM _dd_rm)")
        new = con.execute("""
            SELECT node, any_value(sig) FROM dedup_signatures
            WHERE node IS NOT NULL AND node NOT IN (SELECT node FROM dedup_bands WHERE band = 0)
            GROUP BY node ORDER BY node""").fetchall()
        added = np.asarray([r[0] for r in new], np.int64)
        if new:
            b = self.params.bands
            for s in range(0, len(new), CHUNK):
                part = new[s : s + CHUNK]
                keys = band_keys(_sig_matrix([r[1] for r in part], self.params.num_perm), self.params)
                bands = pa.table({"band": np.tile(np.arange(b, dtype=np.int16), len(part)),
                                  "key": keys.reshape(-1),
                                  "node": np.repeat(added[s : s + CHUNK], b)})
                with _Temp(con, "_dd_bands", bands):
                    con.execute("INSERT INTO dedup_bands SELECT band, key, node FROM _dd_bands")
        counts["indexed"] += len(added)
        return removed, added

    def _relink(self, con: duckdb.DuckDBPyConnection, removed: pa.Table, added: np.ndarray,
                counts: dict[str, int]) -> np.ndarray:
        """Recompute the edges of every node whose candidates may have changed: the new nodes and
        the members of buckets whose centers changed. Returns the nodes whose edges were redone
        and the nodes they now link to."""
        c = self.params.centers
        rm = removed.select(["band", "key", "node"]).cast(
            pa.schema([("band", pa.int16()), ("key", pa.int64()), ("node", pa.int64())]))
        with _Temp(con, "_dd_added", pa.table({"node": added})), _Temp(con, "_dd_rm", rm):
            # Members of the touched buckets whose centers (their c smallest nodes) differ before
            # and after this run. Aggregates, not a ranking of every member of a giant bucket.
            changed = con.execute(f"""
                WITH tb AS (SELECT band, key FROM dedup_bands WHERE node IN (SELECT node FROM _dd_added)
                            UNION SELECT band, key FROM _dd_rm),
                m AS (SELECT b.band, b.key, b.node, b.node IN (SELECT node FROM _dd_added) AS is_new
                      FROM dedup_bands b SEMI JOIN tb USING (band, key)),
                now AS (SELECT band, key, min(node, {c}) AS cs FROM m GROUP BY band, key),
                was AS (SELECT band, key, min(node, {c}) AS cs FROM (
                            SELECT band, key, node FROM m WHERE NOT is_new UNION ALL SELECT band, key, node FROM _dd_rm)
                        GROUP BY band, key),
                ch AS (SELECT band, key FROM now FULL JOIN was USING (band, key) WHERE now.cs IS DISTINCT FROM was.cs)
                SELECT DISTINCT m.node FROM m SEMI JOIN ch USING (band, key) WHERE NOT m.is_new
            """).fetchall()
        redo = np.union1d(added, np.asarray([r[0] for r in changed], np.int64))
        if not redo.size:
            return redo
        with _Temp(con, "_dd_redo", pa.table({"node": redo})):
            pairs = con.execute(f"""
                WITH ab AS (SELECT band, key, node FROM dedup_bands WHERE node IN (SELECT node FROM _dd_redo)),
                bk AS (SELECT DISTINCT band, key FROM ab),
                cen AS (SELECT band, key, unnest(min(node, {c})) AS center
                        FROM dedup_bands b SEMI JOIN bk USING (band, key) GROUP BY band, key)
                SELECT DISTINCT ab.node, cen.center FROM ab JOIN cen USING (band, key) WHERE cen.center < ab.node
            """).fetchnumpy()
        y = np.asarray(pairs["node"], np.int64)
        cc = np.asarray(pairs["center"], np.int64)
        counts["relinked"] += int(redo.size)
        if not y.size:
            self._write_edges(con, redo, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
            return redo
        need = np.union1d(y, cc)
        with _Temp(con, "_dd_need", pa.table({"node": need})):
            got = con.execute("SELECT node, any_value(sig) FROM dedup_signatures "
                              "WHERE node IN (SELECT node FROM _dd_need) GROUP BY node ORDER BY node").fetchall()
        sig_nodes = np.asarray([r[0] for r in got], np.int64)
        sigs = _sig_matrix([r[1] for r in got], self.params.num_perm)  # each signature read once
        est = estimate(sigs, np.searchsorted(sig_nodes, y), np.searchsorted(sig_nodes, cc))
        ok = np.flatnonzero(est >= self.params.threshold)
        ok = ok[keep_smallest(y[ok], cc[ok], cc[ok], self.params.links)]
        self._write_edges(con, redo, y[ok], cc[ok], np.round(est[ok], 6))
        counts["edges"] += int(ok.size)
        return np.union1d(redo, cc[ok])

    @staticmethod
    def _write_edges(con: duckdb.DuckDBPyConnection, redo: np.ndarray, node: np.ndarray, other: np.ndarray,
                     jaccard: np.ndarray) -> None:
        """Make the stored edges of the ``redo`` nodes these ones, touching only the rows that
        differ: most relinked members of a giant bucket keep their edges, and deleting and
        re-inserting rows of a keyed table is what a small run spent most on."""
        edges = pa.table({"node": pa.array(node, pa.int64()), "other": pa.array(other, pa.int64()),
                          "jaccard": pa.array(jaccard, pa.float64())})
        with _Temp(con, "_dd_redo", pa.table({"node": redo})), _Temp(con, "_dd_e", edges):
            con.execute("""DELETE FROM dedup_edges WHERE node IN (SELECT node FROM _dd_redo)
                           AND (node, other, jaccard) NOT IN (SELECT (node, other, jaccard) FROM _dd_e)""")
            con.execute("""INSERT INTO dedup_edges SELECT node, other, jaccard FROM _dd_e
                           WHERE (node, other, jaccard) NOT IN (SELECT (node, other, jaccard) FROM dedup_edges
                                                                WHERE node IN (SELECT node FROM _dd_redo))""")

    def _recluster_part(self, con: duckdb.DuckDBPyConnection, old_clusters: set[str], new_docs: list[str],
                        linked: np.ndarray, counts: dict[str, int]) -> None:
        """Recompute the clusters the changes can reach: the old clusters of changed, removed and
        relinked documents, the clusters sharing an exact text with a new document, and the new
        documents. Every other cluster is left as it is."""
        with _Temp(con, "_dd_new", pa.table({"doc_id": pa.array(new_docs, pa.string())})), \
             _Temp(con, "_dd_linked", pa.table({"node": linked})), \
             _Temp(con, "_dd_oldc", pa.table({"cluster_id": pa.array(sorted(old_clusters), pa.string())})):
            con.execute("""
                CREATE OR REPLACE TEMP TABLE _dd_touch_docs AS
                SELECT doc_id FROM dedup_signatures WHERE node IN (SELECT node FROM _dd_linked)
                UNION SELECT doc_id FROM dedup_signatures WHERE main_hash IN (
                    SELECT main_hash FROM dedup_signatures WHERE doc_id IN (SELECT doc_id FROM _dd_new))
                UNION SELECT doc_id FROM _dd_new
                UNION SELECT doc_id FROM dedup_signatures ANTI JOIN dedup_members USING (doc_id)""")
            con.execute("""
                CREATE OR REPLACE TEMP TABLE _dd_touch_clusters AS
                SELECT DISTINCT cluster_id FROM dedup_members WHERE doc_id IN (SELECT doc_id FROM _dd_touch_docs)
                UNION SELECT cluster_id FROM _dd_oldc""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _dd_load AS
            SELECT doc_id FROM _dd_touch_docs
            UNION SELECT doc_id FROM dedup_members WHERE cluster_id IN (SELECT cluster_id FROM _dd_touch_clusters)""")
        stats = self._assign_sql(con, "_dd_load")
        # Write only the rows that differ: a copy joining a giant article must not rewrite the
        # article's thousands of unchanged member rows (deleting and re-inserting rows of a
        # keyed table is what cost most).
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _dd_mk AS
            SELECT * FROM _dd_nm EXCEPT
            SELECT m.* FROM dedup_members m WHERE doc_id IN (SELECT doc_id FROM _dd_load)""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _dd_ck AS
            SELECT * FROM _dd_nc EXCEPT
            SELECT c.* FROM dedup_clusters c WHERE cluster_id IN (SELECT cluster_id FROM _dd_touch_clusters)""")
        con.execute("DELETE FROM dedup_members WHERE doc_id IN (SELECT doc_id FROM _dd_mk)")
        con.execute("""DELETE FROM dedup_clusters WHERE cluster_id IN (SELECT cluster_id FROM _dd_ck)
                       OR cluster_id IN (SELECT cluster_id FROM _dd_touch_clusters)
                          AND cluster_id NOT IN (SELECT cluster_id FROM _dd_nc)""")
        con.execute("INSERT INTO dedup_members BY NAME SELECT * FROM _dd_mk")
        con.execute("INSERT INTO dedup_clusters BY NAME SELECT * FROM _dd_ck")
        for t in ("_dd_touch_docs", "_dd_touch_clusters", "_dd_load", "_dd_nm", "_dd_nc", "_dd_mk", "_dd_ck"):
            con.execute(f"DROP TABLE {t}")
        counts["reclustered"] += stats.pop("documents")
        counts.update(stats)

    @staticmethod
    def _assign_sql(con: duckdb.DuckDBPyConnection, load: str) -> dict[str, int]:
        """``core.assign_clusters`` over the documents in the relation ``load`` (whole clusters),
        in SQL: member rows into ``_dd_nm``, cluster rows into ``_dd_nc``. Only the connected
        components are computed in numpy, over integer arrays; nothing per document is held in
        Python, so a giant cluster (a farm article's thousands of copies) costs a few vectorised
        queries, not a Python object per copy. Tests hold it equal to ``assign_clusters``."""
        # every distinct exact text of the load, numbered; its near edges as pairs of numbers
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _dd_h AS
            SELECT main_hash, any_value(node) AS node, (row_number() OVER (ORDER BY main_hash) - 1)::BIGINT AS ix
            FROM dedup_signatures WHERE doc_id IN (SELECT doc_id FROM {load}) AND main_hash IS NOT NULL
            GROUP BY main_hash""")
        n = con.execute("SELECT count(*) FROM _dd_h").fetchone()[0]
        pairs = con.execute("""
            SELECT a.ix AS a, b.ix AS b FROM dedup_edges e JOIN _dd_h a ON a.node = e.node
            JOIN _dd_h b ON b.node = e.other""").fetchnumpy()
        label = components(n, np.asarray(pairs["a"], np.int64), np.asarray(pairs["b"], np.int64))
        with _Temp(con, "_dd_lab", pa.table({"ix": np.arange(n, dtype=np.int64), "comp": label})):
            # comp: the component of the document's text; an empty document is a component alone
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _dd_d AS
                SELECT s.doc_id, s.main_hash, coalesce(s.main_chars, 0) AS len,
                       d.published_at AS pub, d.source, epoch(d.fetched_at) AS arrival,
                       coalesce(l.comp, -row_number() OVER (ORDER BY s.doc_id)) AS comp
                FROM dedup_signatures s JOIN documents d USING (doc_id)
                LEFT JOIN _dd_h h ON h.main_hash = s.main_hash LEFT JOIN _dd_lab l ON l.ix = h.ix
                WHERE s.doc_id IN (SELECT doc_id FROM {load})""")
        # canonical order (DocInfo.canonical_key) and naming order (DocInfo.cluster_key) per
        # component; the leader of each exact text is its first copy in canonical order
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _dd_r AS
            SELECT *, count(*) OVER (PARTITION BY comp) AS n,
                   row_number() OVER (PARTITION BY comp ORDER BY pub ASC NULLS LAST, len DESC, doc_id) AS crank,
                   first_value(doc_id) OVER (PARTITION BY comp ORDER BY arrival ASC NULLS LAST, doc_id) AS cid,
                   first_value(doc_id) OVER (PARTITION BY comp, main_hash
                                             ORDER BY pub ASC NULLS LAST, len DESC, doc_id) AS leader
            FROM _dd_d""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _dd_canon AS
            SELECT comp, doc_id AS canon, main_hash AS canon_hash FROM _dd_r WHERE crank = 1""")
        # a text's leader that is not the canonical's text joins by its best edge: to the
        # canonical's text first, then the highest Jaccard, then the smallest leader
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _dd_near AS
            WITH lead AS (SELECT DISTINCT main_hash, leader, comp FROM _dd_r WHERE n > 1 AND main_hash IS NOT NULL),
            adj AS (SELECT a.main_hash AS h, b.main_hash AS o, e.jaccard AS j FROM dedup_edges e
                    JOIN _dd_h a ON a.node = e.node JOIN _dd_h b ON b.node = e.other
                    UNION ALL
                    SELECT b.main_hash, a.main_hash, e.jaccard FROM dedup_edges e
                    JOIN _dd_h a ON a.node = e.node JOIN _dd_h b ON b.node = e.other)
            SELECT adj.h AS main_hash, lo.leader AS matched, adj.j AS jaccard
            FROM adj JOIN lead lh ON lh.main_hash = adj.h JOIN lead lo ON lo.main_hash = adj.o
            JOIN _dd_canon c ON c.comp = lh.comp
            QUALIFY row_number() OVER (PARTITION BY adj.h ORDER BY adj.o IS DISTINCT FROM c.canon_hash,
                                       adj.j DESC, lo.leader) = 1""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _dd_nm AS
            SELECT r.doc_id, CASE WHEN r.n = 1 THEN r.doc_id ELSE r.cid END AS cluster_id,
                   r.crank = 1 AS is_canonical,
                   CASE WHEN r.main_hash IS NULL THEN 'empty' WHEN r.n = 1 THEN 'unique'
                        WHEN r.crank = 1 THEN 'canonical'
                        WHEN r.main_hash = c.canon_hash OR r.doc_id <> r.leader THEN 'exact' ELSE 'near' END AS reason,
                   CASE WHEN r.n = 1 OR r.crank = 1 THEN NULL WHEN r.main_hash = c.canon_hash THEN c.canon
                        WHEN r.doc_id <> r.leader THEN r.leader ELSE nr.matched END AS matched_doc_id,
                   CASE WHEN r.n = 1 OR r.crank = 1 THEN NULL
                        WHEN r.main_hash = c.canon_hash OR r.doc_id <> r.leader THEN 1.0
                        ELSE nr.jaccard END::DOUBLE AS jaccard
            FROM _dd_r r JOIN _dd_canon c USING (comp) LEFT JOIN _dd_near nr ON nr.main_hash = r.main_hash""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _dd_nc AS
            SELECT any_value(CASE WHEN n = 1 THEN doc_id ELSE cid END) AS cluster_id,
                   any_value(c.canon) AS canonical_doc_id, count(*)::INTEGER AS members,
                   count(DISTINCT source)::INTEGER AS sources, min(pub) AS first_published_at,
                   CASE WHEN count(*) > 1 THEN (CASE WHEN count(DISTINCT main_hash) = 1 THEN 'exact' ELSE 'near' END)
                        WHEN any_value(main_hash) IS NULL THEN 'empty' ELSE 'single' END AS kind
            FROM _dd_r JOIN _dd_canon c USING (comp) GROUP BY comp""")
        docs, clusters = con.execute("SELECT (SELECT count(*) FROM _dd_nm), "
                                     "(SELECT count(*) FROM _dd_nc WHERE kind <> 'empty')").fetchone()
        reasons = dict(con.execute("SELECT reason, count(*) FROM _dd_nm GROUP BY reason").fetchall())
        for t in ("_dd_h", "_dd_d", "_dd_r", "_dd_canon", "_dd_near"):
            con.execute(f"DROP TABLE {t}")
        return {"documents": docs, "clusters": clusters, "exact": reasons.get("exact", 0),
                "near": reasons.get("near", 0), "empty": reasons.get("empty", 0)}

    def recluster(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        """Recompute every cluster from the stored hashes and edges (a check; the pass itself
        recomputes only what changed). Returns the counts of the whole corpus."""
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE _dd_all AS SELECT doc_id FROM dedup_signatures")
            stats = self._assign_sql(con, "_dd_all")
            con.execute("DELETE FROM dedup_members")
            con.execute("DELETE FROM dedup_clusters")
            con.execute("INSERT INTO dedup_members BY NAME SELECT * FROM _dd_nm")
            con.execute("INSERT INTO dedup_clusters BY NAME SELECT * FROM _dd_nc")
            for t in ("_dd_all", "_dd_nm", "_dd_nc"):
                con.execute(f"DROP TABLE {t}")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        stats.pop("documents")
        return stats


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
