"""MinHash signatures and LSH band keys, vectorised with numpy over whole batches of documents.

Why this shape: per-document Python loops (datasketch) sign ~2,000 docs/s; the corpus needs
signing *and* indexing at >= 5,000 docs/s on one core. So a batch of texts becomes one array of
code points, n-gram hashes come from a rolling polynomial over that array, and the signature is
a *one-permutation* MinHash (OPH): each shingle hash is mixed once, its top bits choose one of
``num_perm`` bins and its low 32 bits compete for the minimum of that bin. Empty bins (short
texts) are filled by rotation densification, so the fraction of equal bins of two signatures
estimates their Jaccard similarity like a ``num_perm``-permutation MinHash does. Cost is
O(shingles), not O(shingles x permutations).

Shingles are character n-grams of the text with everything but letters, digits and Han removed
(whitespace, line breaks, punctuation): re-wrapped copies and ASCII/full-width punctuation
variants then give the same shingles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

_MASK32 = np.uint64(0xFFFFFFFF)
_EMPTY = np.uint32(0xFFFFFFFF)
#: Multiplier of the rolling n-gram hash (odd 64-bit constant; arithmetic wraps mod 2**64).
_ROLL = np.uint64(0x100000001B3)
_BAND_MUL = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class MinHashParams:
    """Signature and LSH parameters (chosen by measurement, see docs/dedup.md)."""

    ngram: int = 5
    num_perm: int = 128  # OPH bins; a power of two
    bands: int = 32
    rows: int = 4
    threshold: float = 0.4  # estimated Jaccard needed for a near-duplicate edge
    min_shingles: int = 20  # shorter texts are matched only exactly
    seed: int = 1
    centers: int = 2  # per LSH bucket, the members every other member is compared with (see graph.py)
    links: int = 3  # confirmed edges a node keeps: to its smallest confirmed candidates

    def __post_init__(self) -> None:
        if self.num_perm & (self.num_perm - 1) or self.num_perm < 8:
            raise ValueError("num_perm must be a power of two >= 8")
        if self.bands * self.rows > self.num_perm:
            raise ValueError("bands * rows must not exceed num_perm")
        if self.ngram < 1:
            raise ValueError("ngram must be >= 1")
        if self.centers < 1 or self.links < 1:
            raise ValueError("centers and links must be >= 1")

    @property
    def signer(self) -> str:
        """Version string stored with every signature: a change means re-signing everything."""
        return (f"oph@1:n{self.ngram}:k{self.num_perm}:b{self.bands}r{self.rows}"
                f":t{self.threshold:g}:m{self.min_shingles}:s{self.seed}:c{self.centers}l{self.links}")


DEFAULT_PARAMS = MinHashParams()


def shingle_text(text: str) -> str:
    """The text the shingles are taken from: letters, digits and Han only (``str.isalnum``)."""
    return "".join(ch for ch in text or "" if ch.isalnum())


_KEEP: np.ndarray | None = None


def _keep_table() -> np.ndarray:
    """Boolean table over all code points: True where ``chr(cp).isalnum()`` (built once, 1 MB)."""
    global _KEEP
    if _KEEP is None:
        _KEEP = np.fromiter((chr(cp).isalnum() for cp in range(0x110000)), dtype=bool, count=0x110000)
    return _KEEP


def _mix(x: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64 finaliser (in place on a uint64 array): good avalanche for bin choice."""
    x ^= np.uint64((seed * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _codepoints(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The batch as one uint32 array of kept code points and the owning text of each."""
    if not texts:
        return np.empty(0, np.uint32), np.empty(0, np.int64)
    # A table lookup drops what is not text (a regex per document was the slowest step).
    raw = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    keep = _keep_table()[raw]
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lens)[keep]
    return raw[keep], owner


def _rolling(cps: np.ndarray, owner: np.ndarray, params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    n = params.ngram
    total = cps.shape[0]
    if total < n:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    c64 = cps.astype(np.uint64)
    m = total - n + 1
    h = c64[:m].copy()
    for j in range(1, n):
        h *= _ROLL
        h += c64[j : j + m]
    valid = owner[:m] == owner[n - 1 :]  # the window lies inside one text
    return _mix(h[valid], params.seed), owner[:m][valid]


def shingle_hashes(texts: list[str], params: MinHashParams = DEFAULT_PARAMS) -> tuple[np.ndarray, np.ndarray]:
    """Mixed 64-bit hashes of every character n-gram of every text.

    Returns (hashes, owner) where ``owner[i]`` is the index of the text shingle ``i`` came from.
    Texts shorter than n contribute nothing.
    """
    cps, owner = _codepoints(texts)
    return _rolling(cps, owner, params)


@dataclass
class SignedBatch:
    """Signatures of a batch: ``sigs`` (N, num_perm) uint32, ``shingles`` per text, and
    ``hashes``: the exact-duplicate key of each text (hex blake2b of its letters, digits and
    Han; None when it has none, i.e. the text is empty for dedup)."""

    sigs: np.ndarray
    shingles: np.ndarray
    hashes: list[str | None]


#: Texts longer than this are signed on their first MAX_SIGN_CHARS characters (the exact hash
#: still covers all of it): a page of one line pasted a million times must not take gigabytes.
MAX_SIGN_CHARS = 200_000


def _hash_cps(cps: np.ndarray) -> str | None:
    return hashlib.blake2b(cps.tobytes(), digest_size=8).hexdigest() if cps.size else None


def sign_batch(texts: list[str], params: MinHashParams = DEFAULT_PARAMS) -> SignedBatch:
    """Exact-duplicate hashes and MinHash signatures of a batch of texts in one pass."""
    long = {i: _hash_cps(_codepoints([t])[0]) for i, t in enumerate(texts) if len(t) > MAX_SIGN_CHARS}
    if long:
        texts = [t[:MAX_SIGN_CHARS] if i in long else t for i, t in enumerate(texts)]
    cps, owner = _codepoints(texts)
    counts = np.bincount(owner, minlength=len(texts)) if owner.size else np.zeros(len(texts), np.int64)
    ends = np.cumsum(counts)
    buf = memoryview(cps.tobytes())
    hashes: list[str | None] = []
    start = 0
    for end in ends.tolist():
        hashes.append(hashlib.blake2b(buf[start * 4 : end * 4], digest_size=8).hexdigest() if end > start else None)
        start = end
    for i, h in long.items():
        hashes[i] = h
    hv, hown = _rolling(cps, owner, params)
    sigs, shingles = _oph(hv, hown, len(texts), params)
    return SignedBatch(sigs, shingles, hashes)


def signatures(texts: list[str], params: MinHashParams = DEFAULT_PARAMS) -> tuple[np.ndarray, np.ndarray]:
    """OPH MinHash signatures of a batch of texts.

    Returns (sigs, counts): ``sigs`` is (len(texts), num_perm) uint32, ``counts`` the number of
    shingles per text (0 = no signature; its row is all 0xFFFFFFFF and must not be indexed).
    """
    hv, hown = shingle_hashes(texts, params)
    return _oph(hv, hown, len(texts), params)


def _oph(hashes: np.ndarray, owner: np.ndarray, n_texts: int, params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    k = params.num_perm
    shift = np.uint64(64 - (k.bit_length() - 1))
    sigs = np.full(n_texts * k, _EMPTY, dtype=np.uint32)
    if hashes.size:
        slot = owner * k + (hashes >> shift).astype(np.int64)
        np.minimum.at(sigs, slot, (hashes & _MASK32).astype(np.uint32))
    sigs = sigs.reshape(n_texts, k)
    counts = np.bincount(owner, minlength=n_texts) if hashes.size else np.zeros(n_texts, np.int64)
    _densify(sigs, counts)
    return sigs, counts


def _densify(sigs: np.ndarray, counts: np.ndarray) -> None:
    """Rotation densification: an empty bin takes the value of the next non-empty bin to its
    right (circularly), offset by the distance, so two texts with the same shingles get the same
    filled bins and the collision probability stays the Jaccard similarity."""
    k = sigs.shape[1]
    rows = np.flatnonzero((sigs == _EMPTY).any(axis=1) & (counts > 0))
    if not rows.size:
        return
    sub = sigs[rows]
    filled = sub != _EMPTY
    # next filled bin at or after each position, circularly: a reverse running minimum over the
    # row written twice (positions of empty bins count as "infinitely far")
    pos = np.where(np.concatenate([filled, filled], axis=1), np.arange(2 * k), 4 * k)
    nxt = np.minimum.accumulate(pos[:, ::-1], axis=1)[:, ::-1][:, :k]
    dist = (nxt - np.arange(k)).astype(np.uint64)
    src = np.take_along_axis(sub, nxt % k, axis=1).astype(np.uint64)
    vals = ((src + dist * np.uint64(0x9E3779B1)) & _MASK32).astype(np.uint32)
    sigs[rows] = np.where(filled, sub, vals)


def band_keys(sigs: np.ndarray, params: MinHashParams = DEFAULT_PARAMS) -> np.ndarray:
    """(N, bands) int64 keys: a hash of each band's ``rows`` signature values (band index mixed
    in, so the same values in two bands never collide)."""
    b, r = params.bands, params.rows
    if sigs.shape[0] == 0:
        return np.empty((0, b), np.int64)
    part = sigs[:, : b * r].reshape(sigs.shape[0], b, r).astype(np.uint64)
    acc = np.zeros((sigs.shape[0], b), np.uint64) + np.arange(1, b + 1, dtype=np.uint64)
    for j in range(r):
        acc *= _BAND_MUL
        acc += part[:, :, j]
        acc ^= acc >> np.uint64(29)
    return _mix(acc, params.seed + 7).view(np.int64)


def jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray | float:
    """Estimated Jaccard similarity: share of equal signature bins (rows of 2-D arrays pairwise)."""
    eq = a == b
    return eq.mean(axis=-1)


def _merge(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Merge two segments band by band (sorted keys; ``a`` first among equal keys). Works in
    place of a concatenate+argsort so the temporary memory is one band, not the whole index."""
    (ka, ra), (kb, rb) = a, b
    bands, na = ka.shape
    nb = kb.shape[1]
    keys = np.empty((bands, na + nb), ka.dtype)
    rows = np.empty((bands, na + nb), ra.dtype)
    take_b = np.empty(na + nb, bool)
    for band in range(bands):
        pos = np.searchsorted(ka[band], kb[band], side="right") + np.arange(nb)
        take_b[:] = False
        take_b[pos] = True
        keys[band, pos] = kb[band]
        rows[band, pos] = rb[band]
        keys[band, ~take_b] = ka[band]
        rows[band, ~take_b] = ra[band]
    return keys, rows


class MemoryIndex:
    """LSH index in memory: per band, sorted numpy arrays of keys and row numbers.

    Why not a dict of lists: 1M docs x 32 bands would be 32M Python objects (GBs); sorted arrays
    take 16 bytes per entry and a batch query is a ``searchsorted`` per band. Inserts append a
    sorted segment and merge segments of similar size (like a binary counter), so inserting N
    documents in batches costs O(N log N), not O(N^2), and a query looks at O(log N) segments.
    """

    def __init__(self, params: MinHashParams = DEFAULT_PARAMS):
        self.params = params
        # each segment: (keys (bands, m) int64 sorted per band, rows (bands, m) int64)
        self._segments: list[tuple[np.ndarray, np.ndarray]] = []
        self.size = 0

    def insert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Add documents ``rows`` (caller's row numbers) with their band keys (N, bands)."""
        if not len(rows):
            return
        k = np.ascontiguousarray(keys.T)
        order = np.argsort(k, axis=1, kind="stable")
        seg = (np.take_along_axis(k, order, axis=1), np.asarray(rows, np.int32)[order])  # 2**31 docs is enough
        self._segments.append(seg)
        while len(self._segments) > 1 and self._segments[-2][0].shape[1] <= 2 * self._segments[-1][0].shape[1]:
            new_seg, old_seg = self._segments.pop(), self._segments.pop()
            self._segments.append(_merge(old_seg, new_seg))
        self.size += len(rows)

    def query(self, keys: np.ndarray, max_bucket: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs (query position, stored row) sharing at least one band key.

        ``max_bucket`` caps how many rows one bucket returns per segment (a huge bucket means
        the same text many times; exact hashing already groups those).
        """
        qs: list[np.ndarray] = []
        rs: list[np.ndarray] = []
        for seg_keys, seg_rows in self._segments:
            for band in range(self.params.bands):
                stored = seg_keys[band]
                lo = np.searchsorted(stored, keys[:, band], side="left")
                hi = np.searchsorted(stored, keys[:, band], side="right")
                n = np.minimum(hi - lo, max_bucket)
                hit = np.flatnonzero(n)
                if not hit.size:
                    continue
                reps = n[hit]
                q = np.repeat(hit, reps)
                start = np.repeat(lo[hit], reps)
                offs = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
                qs.append(q)
                rs.append(seg_rows[band][start + offs])
        if not qs:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        q = np.concatenate(qs)
        r = np.concatenate(rs)
        r = r.astype(np.int64)
        span = np.int64(r.max()) + 1
        pairs = np.unique(q * span + r)  # one int64 per pair: far faster than unique(axis=0)
        return pairs // span, pairs % span

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + r.nbytes for k, r in self._segments)
