"""Clustering: exact hashes + confirmed near edges -> one cluster per article, with reasons.

Shared by the corpus pass (state in DuckDB) and the in-memory ``Deduper`` (``lendcorpus dedup``,
evaluation, benchmarks). Clusters are the connected components of "same exact hash" and "near
edge" links, where the near edges come from the capped-bucket graph of ``graph.py``: a function
of the set of documents, so the clusters do not depend on the order documents arrived in (a
corpus built in ten increments, in any order, clusters like one built at once).

Two different questions get two rules:

* **cluster id** (stable): the ``doc_id`` of the member that arrived first -- smallest
  ``arrival`` (the build: ``fetched_at``; ``lendcorpus dedup``: the input line), then smallest
  ``doc_id``. A copy fetched later, even one published earlier, never renames a cluster; an id
  changes only when two clusters merge (the merged one keeps the earlier arrival's id) or the
  member that named it is removed.
* **canonical member** (the best copy): earliest ``published`` (unknown dates last), then the
  longest main text (the fullest copy), then the smallest id. It may change when an earlier
  copy arrives; the cluster id does not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from .graph import center_pairs, components, estimate, keep_smallest, node_ids
from .minhash import DEFAULT_PARAMS, MinHashParams, band_keys, sign_batch

#: kept for callers of the old API; edges are now bounded by ``bands × centers`` per node instead
MAX_EDGES = 5


@dataclass(frozen=True, slots=True)
class DocInfo:
    doc_id: str
    main_hash: str | None  # None: empty main text
    length: int  # characters of the main text
    published: datetime | None = None
    source: str | None = None
    arrival: float | None = None  # fetched_at (epoch s) in the build, input position in the CLI

    def canonical_key(self) -> tuple:
        ts = self.published.timestamp() if self.published is not None else 0.0
        return (self.published is None, ts, -self.length, self.doc_id)

    def cluster_key(self) -> tuple:
        """Order that names clusters: first arrival, then doc_id (see the module docstring)."""
        return (self.arrival is None, self.arrival or 0.0, self.doc_id)


@dataclass(frozen=True, slots=True)
class Member:
    doc_id: str
    cluster_id: str
    is_canonical: bool
    reason: str  # canonical | unique | exact | near | empty
    matched_doc_id: str | None = None
    jaccard: float | None = None


@dataclass(frozen=True)
class ClusterInfo:
    cluster_id: str
    canonical_doc_id: str
    members: int
    sources: int
    first_published_at: datetime | None
    kind: str  # single | exact | near | empty


def confirm_edges(new_ids: list[str], new_sigs: np.ndarray, q: np.ndarray, other_ids: list[str],
                  other_sigs: np.ndarray, params: MinHashParams = DEFAULT_PARAMS,
                  max_edges: int = MAX_EDGES) -> list[tuple[str, str, float]]:
    """Keep candidate pairs whose estimated Jaccard reaches the threshold, best few per document
    (used to match against a previous release, where each document needs its best match only).

    ``q[i]`` is the row of ``new_sigs`` of candidate ``i``; ``other_sigs[i]`` its partner's
    signature and ``other_ids[i]`` its id. Self-pairs are dropped.
    """
    if not len(q):
        return []
    est = estimate(np.concatenate([new_sigs, other_sigs]), np.asarray(q, np.int64),
                   len(new_sigs) + np.arange(len(q)))
    keep = np.flatnonzero(est >= params.threshold)
    best: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for i in keep.tolist():
        a = new_ids[q[i]]
        b = other_ids[i]
        if a != b:
            best[int(q[i])].append((float(est[i]), b))
    out = []
    for qi, cands in best.items():
        cands.sort(key=lambda t: (-t[0], t[1]))
        seen: set[str] = set()
        for j, b in cands:
            if b in seen:
                continue
            seen.add(b)
            out.append((new_ids[qi], b, round(j, 6)))
            if len(seen) >= max_edges:
                break
    return out


def assign_clusters(docs: list[DocInfo], edges: Iterable[tuple[str, str, float]]
                    ) -> tuple[list[Member], list[ClusterInfo]]:
    """Clusters of ``docs`` from exact hashes and near edges between exact hashes
    (``(main_hash, other_main_hash, jaccard)``); every document gets a member row.

    Empty documents are singletons with reason ``empty`` (never clustered together). A member's
    reason says how it joined: ``exact`` (same main hash as ``matched_doc_id``: the canonical
    if it shares the hash, else the first copy of its hash in canonical order) or ``near`` (an
    edge with the estimated Jaccard, preferring an edge to the canonical's text, then the
    highest, then the smallest id). All of it is a function of the documents and the edges.
    """
    hix: dict[str, int] = {}
    for d in docs:
        if d.main_hash is not None and d.main_hash not in hix:
            hix[d.main_hash] = len(hix)
    ea: list[int] = []
    eb: list[int] = []
    adj: dict[str, list[tuple[str, float]]] = defaultdict(list)  # hash -> (other hash, jaccard)
    for a, b, j in edges:
        ia, ib = hix.get(a), hix.get(b)
        if ia is None or ib is None or ia == ib:
            continue
        ea.append(ia)
        eb.append(ib)
        adj[a].append((b, j))
        adj[b].append((a, j))
    label = components(len(hix), np.asarray(ea, np.int64), np.asarray(eb, np.int64)).tolist()
    comps: dict[int, list[DocInfo]] = defaultdict(list)
    for i, d in enumerate(docs):
        comps[label[hix[d.main_hash]] if d.main_hash is not None else -1 - i].append(d)
    members: list[Member] = []
    clusters: list[ClusterInfo] = []
    for group in comps.values():
        if len(group) == 1:  # most documents: no copy
            d = group[0]
            empty = d.main_hash is None
            clusters.append(ClusterInfo(d.doc_id, d.doc_id, 1, 1, d.published, "empty" if empty else "single"))
            members.append(Member(d.doc_id, d.doc_id, True, "empty" if empty else "unique"))
            continue
        group.sort(key=DocInfo.canonical_key)
        canon = group[0]
        cid = min(group, key=DocInfo.cluster_key).doc_id
        dates = [d.published for d in group if d.published is not None]
        hashes = {d.main_hash for d in group}
        kind = ("empty" if canon.main_hash is None else "single" if len(group) == 1
                else "exact" if len(hashes) == 1 else "near")
        clusters.append(ClusterInfo(cid, canon.doc_id, len(group), len({d.source for d in group}),
                                    min(dates) if dates else None, kind))
        if canon.main_hash is None:
            members.append(Member(canon.doc_id, cid, True, "empty"))
            continue
        members.append(Member(canon.doc_id, cid, True, "canonical" if len(group) > 1 else "unique"))
        leader: dict[str, str] = {}
        for d in group:
            leader.setdefault(d.main_hash, d.doc_id)
        for d in group[1:]:
            if d.main_hash == canon.main_hash:
                members.append(Member(d.doc_id, cid, False, "exact", canon.doc_id, 1.0))
            elif leader[d.main_hash] != d.doc_id:
                members.append(Member(d.doc_id, cid, False, "exact", leader[d.main_hash], 1.0))
            else:
                o, j = min(adj[d.main_hash], key=lambda t: (t[0] != canon.main_hash, -t[1], leader[t[0]]))
                members.append(Member(d.doc_id, cid, False, "near", leader[o], j))
    return members, clusters


class _SigStore:
    """Signatures by row in fixed-size blocks: grows without copying (a doubling array would
    briefly hold twice the signatures)."""

    BLOCK = 1 << 15

    def __init__(self, k: int):
        self.k = k
        self.blocks: list[np.ndarray] = []
        self.n = 0

    def extend(self, sigs: np.ndarray) -> None:
        i = 0
        while i < len(sigs):
            if self.n == len(self.blocks) * self.BLOCK:
                self.blocks.append(np.empty((self.BLOCK, self.k), np.uint32))
            off = self.n % self.BLOCK
            take = min(len(sigs) - i, self.BLOCK - off)
            self.blocks[-1][off : off + take] = sigs[i : i + take]
            i += take
            self.n += take

    def matrix(self) -> np.ndarray:
        """All signatures as one (n, k) array (one copy)."""
        if not self.blocks:
            return np.empty((0, self.k), np.uint32)
        return np.concatenate(self.blocks)[: self.n]

    def take(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.k), np.uint32)
        blk = rows // self.BLOCK
        for b in np.unique(blk).tolist():
            sel = np.flatnonzero(blk == b)
            out[sel] = self.blocks[b][rows[sel] % self.BLOCK]
        return out


class Deduper:
    """In-memory exact + near-duplicate clustering (the standalone command, evaluation, benchmarks).

    ``add`` signs a batch and keeps one signature per new exact text; ``clusters`` builds the
    capped-bucket graph of ``graph.py`` over everything added in one vectorised pass and
    assigns clusters. The result does not depend on the order or batching of ``add`` calls,
    except for cluster ids, which follow ``arrival`` (by default: the order of adding).
    """

    def __init__(self, params: MinHashParams = DEFAULT_PARAMS, max_edges: int | None = None):
        self.params = params  # max_edges: accepted for compatibility, unused
        self.docs: list[DocInfo] = []
        self._sigs = _SigStore(params.num_perm)
        self._keys: list[np.ndarray] = []
        self._hashes: list[str] = []  # node row -> main hash
        self._seen: set[str] = set()
        self._edges: list[tuple[str, str, float]] | None = None

    def add(self, items: list[tuple]) -> None:
        """Add (doc_id, main Simplified text[, published, source[, arrival]]) tuples."""
        if not items:
            return
        self._edges = None
        texts = [it[1] or "" for it in items]
        batch = sign_batch(texts, self.params)
        rows: list[int] = []
        for i, it in enumerate(items):
            h = batch.hashes[i]
            arrival = it[4] if len(it) > 4 else None
            self.docs.append(DocInfo(str(it[0]), h, len(texts[i]), it[2] if len(it) > 2 else None,
                                     it[3] if len(it) > 3 else None,
                                     float(len(self.docs)) if arrival is None else arrival))
            if h is None or h in self._seen:
                continue
            self._seen.add(h)
            if batch.shingles[i] >= self.params.min_shingles:
                rows.append(i)
                self._hashes.append(h)
        if rows:
            sigs = batch.sigs[np.asarray(rows)]
            self._sigs.extend(sigs)
            self._keys.append(band_keys(sigs, self.params))

    def near_edges(self) -> list[tuple[str, str, float]]:
        """Confirmed edges between exact texts: (main_hash, smaller-node main_hash, jaccard)."""
        if self._edges is None:
            n = len(self._hashes)
            if n < 2:
                self._edges = []
                return self._edges
            keys = np.concatenate(self._keys)
            nodes = node_ids(self._hashes)
            y, c = center_pairs(keys, nodes, self.params.centers)
            est = estimate(self._sigs.matrix(), y, c)
            ok = np.flatnonzero(est >= self.params.threshold)
            ok = ok[keep_smallest(y[ok], c[ok], nodes[c[ok]], self.params.links)]
            h = self._hashes
            self._edges = [(h[a], h[b], round(j, 6)) for a, b, j in
                           zip(y[ok].tolist(), c[ok].tolist(), est[ok].tolist())]
        return self._edges

    @property
    def nodes(self) -> int:
        """Distinct exact texts in the LSH index (copies of one text are one node)."""
        return len(self._hashes)

    @property
    def edges(self) -> list[tuple[str, str, float]]:
        return self.near_edges()

    def clusters(self) -> tuple[list[Member], list[ClusterInfo]]:
        return assign_clusters(self.docs, self.near_edges())
