"""Exact and near-duplicate clustering: one article, one cluster, however it was spun.

    from lendcorpus.pipelines.dedup import dedup_records, Deduper, sign_batch, DEFAULT_PARAMS

Exact duplicates share a hash of the Simplified main text (letters, digits and Han only); near
duplicates are found with one-permutation MinHash over character n-grams and LSH banding, then
confirmed by estimated Jaccard. Every document keeps its row; clusters name a canonical member.
See docs/dedup.md.
"""

from .core import MAX_EDGES, ClusterInfo, Deduper, DocInfo, Member, assign_clusters, confirm_edges
from .corpus_pass import DedupPass, export_signatures, match_previous
from .minhash import DEFAULT_PARAMS, MemoryIndex, MinHashParams, band_keys, sign_batch, signatures
from .standalone import dedup_records

__all__ = [
    "DEFAULT_PARAMS", "MAX_EDGES", "ClusterInfo", "DedupPass", "Deduper", "DocInfo", "MemoryIndex", "Member",
    "MinHashParams", "assign_clusters", "band_keys", "confirm_edges", "dedup_records", "export_signatures",
    "match_previous", "sign_batch", "signatures",
]
