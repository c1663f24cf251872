"""Exact and near-duplicate clustering: one article, one cluster, however it was spun.

    from lendcorpus.pipelines.dedup import dedup_records, Deduper, sign_batch, DEFAULT_PARAMS

Exact duplicates share a hash of the Simplified main text (letters, digits and Han only); near
duplicates are found with one-permutation MinHash over character n-grams and LSH banding with
capped buckets (each bucket compares its members with its few smallest "centers" only, so the
work is linear in the corpus), confirmed by estimated Jaccard. Every document keeps its row;
clusters name a canonical member and keep a stable id. See docs/dedup.md.
"""

from .core import MAX_EDGES, ClusterInfo, Deduper, DocInfo, Member, assign_clusters, confirm_edges
from .corpus_pass import DedupPass, export_signatures, match_previous
from .graph import center_pairs, components, node_ids
from .minhash import DEFAULT_PARAMS, MemoryIndex, MinHashParams, band_keys, sign_batch, signatures
from .standalone import dedup_records

__all__ = [
    "DEFAULT_PARAMS", "MAX_EDGES", "ClusterInfo", "DedupPass", "Deduper", "DocInfo", "MemoryIndex", "Member",
    "MinHashParams", "assign_clusters", "band_keys", "center_pairs", "components", "confirm_edges",
    "dedup_records", "export_signatures", "match_previous", "node_ids", "sign_batch", "signatures",
]
