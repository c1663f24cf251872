"""The near-duplicate graph, linear in the corpus: capped LSH buckets ("centers") + union-find.

Why this shape: comparing every pair of documents that share an LSH bucket is quadratic in the
bucket, and content farms make huge buckets (thousands of spun copies of one article share most
band keys). Here a bucket compares each member with at most ``centers`` of its members only:

* **nodes** are distinct exact texts (``main_hash``) with a signature; copies with the same hash
  are one node, so a million identical pages are one index entry;
* a node's **order key** is its hash read as a signed 64-bit integer: a property of the text, not
  of when it arrived, so everything below is a function of the *set* of documents;
* the **centers** of a bucket are its ``centers`` smallest nodes; every member of the bucket is a
  candidate of each center smaller than itself, so a node has at most ``bands × centers``
  candidates however large its buckets are;
* a candidate is confirmed when the estimated Jaccard reaches the threshold, and a node keeps
  its edges to its ``links`` smallest confirmed candidates: every copy of an article then links
  towards the article's few smallest nodes, so clusters (the connected components) stay whole
  while edges stay at most ``links`` per node (a giant bucket still clusters transitively).

The corpus pass maintains the same edge set incrementally in DuckDB (``corpus_pass.py``); the
in-memory ``Deduper`` computes it in one batch with the functions here. Both give the same
clusters whatever order documents arrived in (tested with random orders and random increments).
"""

from __future__ import annotations

import numpy as np

#: pairs confirmed per numpy step (bounds the temporary (pairs, num_perm) comparison array)
CONFIRM_CHUNK = 1 << 16


def node_ids(hashes: list[str]) -> np.ndarray:
    """The order key of each exact hash (16 hex digits): the digest as a signed big-endian int64."""
    if not hashes:
        return np.empty(0, np.int64)
    return np.frombuffer(bytes.fromhex("".join(hashes)), dtype=">i8").astype(np.int64)


def node_id(h: str) -> int:
    return int.from_bytes(bytes.fromhex(h), "big", signed=True)


def center_pairs(keys: np.ndarray, nodes: np.ndarray, centers: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``(later, center)`` as row indices into ``keys``/``nodes``.

    ``keys`` is (N, bands) band keys of N distinct nodes, ``nodes`` their order keys. Per band,
    rows with equal keys form a bucket; the bucket's ``centers`` smallest nodes are its centers
    and every member larger than a center is paired with it. Pairs are unique; cost
    O(N × bands × centers) after one sort per band.
    """
    n = keys.shape[0]
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ys: list[np.ndarray] = []
    cs: list[np.ndarray] = []
    idx = np.arange(n)
    by_node = np.argsort(nodes, kind="stable")
    start = np.empty(n, bool)
    for band in range(keys.shape[1]):
        # rows ordered by node, then (stable radix sort) by band key: buckets with their
        # members in node order
        order = by_node[np.argsort(keys[by_node, band], kind="stable")]
        k = keys[order, band]
        start[0] = True
        np.not_equal(k[1:], k[:-1], out=start[1:])
        if start.all():
            continue  # no bucket with two members in this band
        gs = np.maximum.accumulate(np.where(start, idx, 0))
        pos = idx - gs
        for j in range(centers):
            sel = np.flatnonzero(pos > j)
            if not sel.size:
                break
            ys.append(order[sel])
            cs.append(order[gs[sel] + j])
    if not ys:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    y = np.concatenate(ys).astype(np.int64)
    c = np.concatenate(cs).astype(np.int64)
    code = np.unique(y * n + c)
    return code // n, code % n


def keep_smallest(y: np.ndarray, c: np.ndarray, order_c: np.ndarray, k: int) -> np.ndarray:
    """Indices of the pairs to keep: per ``y``, the ``k`` pairs with the smallest ``order_c``
    (a node keeps its edges to its smallest confirmed centers: they lead every copy of an
    article to the article's few smallest nodes, so components stay connected while edges
    stay at most ``k`` per node)."""
    if not len(y):
        return np.empty(0, np.int64)
    o = np.lexsort((order_c, y))
    ys = y[o]
    start = np.empty(len(ys), bool)
    start[0] = True
    np.not_equal(ys[1:], ys[:-1], out=start[1:])
    idx = np.arange(len(ys))
    rank = idx - np.maximum.accumulate(np.where(start, idx, 0))
    return o[rank < k]


def estimate(sigs: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard (share of equal bins) of the row pairs ``(sigs[a[i]], sigs[b[i]])``,
    in chunks so the temporary comparison array stays small."""
    out = np.empty(len(a), np.float64)
    k = sigs.shape[1]
    for s in range(0, len(a), CONFIRM_CHUNK):
        e = s + CONFIRM_CHUNK
        out[s:e] = np.count_nonzero(sigs[a[s:e]] == sigs[b[s:e]], axis=1) / k
    return out


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of n nodes and edges (a[i], b[i]): each node's label is the smallest
    node index of its component. Vectorised union-find (min-label hooking + pointer jumping)."""
    label = np.arange(n, dtype=np.int64)
    if not len(a):
        return label
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    while True:
        la, lb = label[a], label[b]
        lo = np.minimum(la, lb)
        hi = np.maximum(la, lb)
        diff = lo != hi
        if not diff.any():
            return label
        # hook the larger root onto the smaller, then compress paths
        np.minimum.at(label, hi[diff], lo[diff])
        while True:
            nxt = label[label]
            if np.array_equal(nxt, label):
                break
            label = nxt
