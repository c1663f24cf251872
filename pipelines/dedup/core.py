"""Clustering: exact hashes + confirmed LSH edges -> one cluster per article, with reasons.

Shared by the corpus pass (state in DuckDB) and the in-memory ``Deduper`` (``lendcorpus dedup``,
evaluation, benchmarks). Clusters are the connected components of "same exact hash" and "near
edge" links, so the result does not depend on the order documents arrived in: a corpus built in
ten increments clusters like one built at once. (One exception: a document keeps only its
``MAX_EDGES`` best edges to documents signed before it, so with more than that many near copies
the edges kept, and in rare cases a link, can depend on arrival order.)

Canonical member: earliest ``published`` (unknown dates last), then the longest main text (the
fullest copy), then the smallest id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from .minhash import DEFAULT_PARAMS, MemoryIndex, MinHashParams, band_keys, sign_batch

#: at most this many confirmed edges are kept per newly signed document (its best matches);
#: enough to connect it, and edges stay linear in the corpus size however big a cluster grows.
MAX_EDGES = 5


@dataclass(frozen=True, slots=True)
class DocInfo:
    doc_id: str
    main_hash: str | None  # None: empty main text
    length: int  # characters of the main text
    published: datetime | None = None
    source: str | None = None

    def canonical_key(self) -> tuple:
        ts = self.published.timestamp() if self.published is not None else 0.0
        return (self.published is None, ts, -self.length, self.doc_id)


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
    """Keep candidate pairs whose estimated Jaccard reaches the threshold, best few per document.

    ``q[i]`` is the row of ``new_sigs`` of candidate ``i``; ``other_sigs[i]`` its partner's
    signature and ``other_ids[i]`` its id. Self-pairs are dropped.
    """
    if not len(q):
        return []
    est = (new_sigs[q] == other_sigs).mean(axis=1)
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


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        p = self.parent
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def assign_clusters(docs: list[DocInfo], edges: Iterable[tuple[str, str, float]]
                    ) -> tuple[list[Member], list[ClusterInfo]]:
    """Clusters of ``docs`` from exact hashes and near edges; every document gets a member row.

    Empty documents are singletons with reason ``empty`` (never clustered together). A member's
    reason says how it joined: ``exact`` (same main hash as ``matched_doc_id``: the canonical
    if it shares the hash, else the first copy of its hash) or ``near`` (an edge with the
    estimated Jaccard, preferring an edge to the canonical's copies, then the highest).
    """
    pos = {d.doc_id: i for i, d in enumerate(docs)}
    uf = _UnionFind(len(docs))
    by_hash: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        if d.main_hash is not None:
            by_hash[d.main_hash].append(i)
    for idxs in by_hash.values():
        for i in idxs[1:]:
            uf.union(idxs[0], i)
    adj: dict[str, list[tuple[str, float]]] = defaultdict(list)  # hash -> (other doc, jaccard)
    for a, b, j in edges:
        ia, ib = pos.get(a), pos.get(b)
        if ia is None or ib is None or docs[ia].main_hash is None or docs[ib].main_hash is None:
            continue
        uf.union(ia, ib)
        adj[docs[ia].main_hash].append((b, j))
        adj[docs[ib].main_hash].append((a, j))
    comps: dict[int, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        comps[uf.find(i) if d.main_hash is not None else -1 - i].append(i)
    members: list[Member] = []
    clusters: list[ClusterInfo] = []
    for idxs in comps.values():
        group = sorted((docs[i] for i in idxs), key=DocInfo.canonical_key)
        canon = group[0]
        cid = canon.doc_id
        dates = [d.published for d in group if d.published is not None]
        hashes = {d.main_hash for d in group}
        kind = ("empty" if canon.main_hash is None else "single" if len(group) == 1
                else "exact" if len(hashes) == 1 else "near")
        clusters.append(ClusterInfo(cid, cid, len(group), len({d.source for d in group}),
                                    min(dates) if dates else None, kind))
        if canon.main_hash is None:
            members.append(Member(canon.doc_id, cid, True, "empty"))
            continue
        members.append(Member(canon.doc_id, cid, True, "canonical" if len(group) > 1 else "unique"))
        leader: dict[str, str] = {}
        for d in group:
            leader.setdefault(d.main_hash, d.doc_id)
        canon_group = {d.doc_id for d in group if d.main_hash == canon.main_hash}
        for d in group[1:]:
            if d.main_hash == canon.main_hash:
                members.append(Member(d.doc_id, cid, False, "exact", canon.doc_id, 1.0))
            elif leader[d.main_hash] != d.doc_id:
                members.append(Member(d.doc_id, cid, False, "exact", leader[d.main_hash], 1.0))
            else:
                cands = [(o, j) for o, j in adj[d.main_hash] if docs[pos[o]].main_hash != d.main_hash]
                o, j = min(cands, key=lambda t: (t[0] not in canon_group, -t[1], t[0]))
                members.append(Member(d.doc_id, cid, False, "near", o, j))
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

    def take(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.k), np.uint32)
        blk = rows // self.BLOCK
        for b in np.unique(blk).tolist():
            sel = np.flatnonzero(blk == b)
            out[sel] = self.blocks[b][rows[sel] % self.BLOCK]
        return out


class Deduper:
    """In-memory exact + near-duplicate clustering (the standalone command, evaluation, benchmarks).

    ``add`` signs a batch, indexes the documents whose exact hash is new (one per hash) and
    confirms LSH candidates against everything added before; ``clusters`` assigns clusters.
    """

    def __init__(self, params: MinHashParams = DEFAULT_PARAMS, max_edges: int = MAX_EDGES):
        self.params = params
        self.max_edges = max_edges
        self.index = MemoryIndex(params)
        self.docs: list[DocInfo] = []
        self.edges: list[tuple[str, str, float]] = []
        self._sigs = _SigStore(params.num_perm)
        self._ids: list[str] = []  # indexed documents, row -> doc_id
        self._hash_rep: dict[str, str] = {}

    def add(self, items: list[tuple[str, str]] | list[tuple[str, str, datetime | None, str | None]]) -> None:
        """Add (doc_id, main Simplified text[, published, source]) tuples."""
        if not items:
            return
        texts = [it[1] or "" for it in items]
        batch = sign_batch(texts, self.params)
        rows: list[int] = []
        for i, it in enumerate(items):
            doc_id, h = str(it[0]), batch.hashes[i]
            published = it[2] if len(it) > 2 else None
            source = it[3] if len(it) > 3 else None
            self.docs.append(DocInfo(doc_id, h, len(texts[i]), published, source))
            if h is None or h in self._hash_rep:
                continue
            self._hash_rep[h] = doc_id
            if batch.shingles[i] >= self.params.min_shingles:
                rows.append(i)
        if not rows:
            return
        sel = np.asarray(rows)
        sigs = batch.sigs[sel]
        keys = band_keys(sigs, self.params)
        start = len(self._ids)
        need = start + len(rows)
        self._sigs.extend(sigs)
        new_ids = [str(items[i][0]) for i in rows]
        self._ids.extend(new_ids)
        self.index.insert(keys, np.arange(start, need))
        q, r = self.index.query(keys)
        # pairs inside the batch are found twice (a->b and b->a): keep the one towards the older row
        ok = r < (start + q)
        q, r = q[ok], r[ok]
        self.edges.extend(confirm_edges(new_ids, sigs, q, [self._ids[x] for x in r.tolist()],
                                        self._sigs.take(r), self.params, self.max_edges))

    def clusters(self) -> tuple[list[Member], list[ClusterInfo]]:
        return assign_clusters(self.docs, self.edges)
