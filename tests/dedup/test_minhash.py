"""Signatures, band keys and the in-memory index."""

from __future__ import annotations

import random

import numpy as np

from lendcorpus.pipelines.dedup import MemoryIndex, MinHashParams, band_keys, sign_batch, signatures
from lendcorpus.pipelines.dedup.minhash import MAX_SIGN_CHARS, shingle_text


def _text(rng: random.Random, n: int) -> str:
    return "".join(chr(0x4E00 + rng.randrange(2000)) for _ in range(n))


def _true_jaccard(a: str, b: str, n: int = 5) -> float:
    a, b = shingle_text(a), shingle_text(b)
    A = {a[i : i + n] for i in range(len(a) - n + 1)}
    B = {b[i : i + n] for i in range(len(b) - n + 1)}
    return len(A & B) / len(A | B)


def test_estimate_tracks_true_jaccard():
    rng = random.Random(1)
    base = _text(rng, 1500)
    errs = []
    for cut in (100, 400, 800, 1200):
        other = base[cut:] + _text(rng, cut // 2)
        s, _ = signatures([base, other])
        errs.append(abs(float((s[0] == s[1]).mean()) - _true_jaccard(base, other)))
    assert max(errs) < 0.12


def test_signature_ignores_whitespace_punctuation_and_batching():
    a = "网贷逾期以后，催收打电话到家里怎么办？先保留证据。"
    b = "网贷逾期以后 催收打电话到家里怎么办\n先保留证据"
    one = sign_batch([a])
    two = sign_batch(["别的文本在前面一起签名", b])
    assert one.hashes[0] == two.hashes[1]
    assert np.array_equal(one.sigs[0], two.sigs[1])


def test_short_and_empty_texts():
    b = sign_batch(["", "！？。", "短", "一二三四五六"])
    assert b.hashes[0] is None and b.hashes[1] is None  # nothing to hash: empty for dedup
    assert b.hashes[2] is not None and b.shingles[2] == 0
    assert b.shingles[3] == 2
    assert (b.sigs[3] != 0xFFFFFFFF).all()  # densified


def test_long_text_is_signed_on_its_head_and_hashed_whole():
    line = "逾期了怎么办，催收电话打到家里"
    long_a = line * (MAX_SIGN_CHARS // len(line) + 10)
    long_b = long_a + "不同的结尾"
    b = sign_batch([long_a, long_b])
    assert b.hashes[0] != b.hashes[1]
    assert np.array_equal(b.sigs[0], b.sigs[1])


def test_index_finds_near_copies_not_strangers():
    rng = random.Random(2)
    p = MinHashParams()
    docs = [_text(rng, 800) for _ in range(50)]
    copies = [d[:700] + _text(rng, 40) for d in docs[:10]]
    idx = MemoryIndex(p)
    s, _ = signatures(docs, p)
    idx.insert(band_keys(s, p), np.arange(len(docs)))
    qs, _ = signatures(copies, p)
    q, r = idx.query(band_keys(qs, p))
    found = set(zip(q.tolist(), r.tolist()))
    assert {(i, i) for i in range(10)} <= found
    assert all(a == b for a, b in found)
