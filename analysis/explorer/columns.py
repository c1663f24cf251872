"""The explorer's in-memory columns: what search needs of every document, as numpy arrays.

Why: a search shows facet counts over *every* matching dedup cluster, so it cannot stop at the
top 20 hits (a WAND/max-score cut would rank the hits without reading every posting, but the
counts would still need all matches). On the 1M-document synthetic corpus a common query
(网贷逾期, 28 % of the corpus) spent 0.3 s scoring its postings and over 1 s joining 280k
matches to ``documents``, ``document_tags`` and the dedup tables by string keys, collapsing them
into clusters with a window function and counting six facets. Here those per-document columns
(source, kind, month, publication time, relevance, cluster, platforms, practices) are read once
per corpus version into arrays indexed by row (rows in ``doc_id`` order, so a row number is also
the ``doc_id`` tie-break), and a query only scores its postings in DuckDB and does the rest with
numpy: filters are masks, the cluster collapse is one lexsort, facets are bincounts. The counts
stay exact and the ranking is the one the plain SQL gives (``queries.search_sql``, which a test
holds equal). The arrays hold no file open: a build can still take the corpus between requests,
and the next corpus version reloads them (a few seconds at 1M documents, paid by the first
search after a build).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lendcorpus.pipelines.tag.relevance import relevant_sql

_MONTH = "strftime(d.published_at AT TIME ZONE 'UTC', '%Y-%m')"


def _codes(col: pa.ChunkedArray, as_list: bool = True) -> tuple[np.ndarray, list | pa.Array]:
    """Dictionary codes (int32, -1 for null) and the values they stand for."""
    enc = pc.dictionary_encode(col.combine_chunks())
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, enc.dictionary.to_pylist() if as_list else enc.dictionary


def _pairs(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, list]:
    """(row, code) for every element of a list column, and the values the codes stand for."""
    arr = col.combine_chunks()
    rows = pc.list_parent_indices(arr).to_numpy().astype(np.int64)
    codes, values = _codes(pa.chunked_array([pc.list_flatten(arr)]))
    return rows, codes, values


@dataclass
class DocColumns:
    """Per-document columns of one corpus version, row i = the i-th document in doc_id order."""

    doc_ids: pa.Array
    docid_row: np.ndarray  # search docid → row (-1: no such document)
    source: np.ndarray
    sources: list
    kind: np.ndarray
    kinds: list
    month: np.ndarray
    months: list
    published: np.ndarray  # epoch microseconds, 0 when unknown
    unpublished: np.ndarray  # bool: no publication time (sorted last)
    relevant: np.ndarray
    cluster: np.ndarray
    clusters: pa.Array  # cluster code → cluster_id (the doc_id for a document in no cluster)
    canonical: np.ndarray  # bool: the copy that stands for its cluster when nothing is asked
    members: np.ndarray  # the size of the document's cluster
    platform_rows: np.ndarray
    platform_codes: np.ndarray
    platforms: list
    practice_rows: np.ndarray
    practice_codes: np.ndarray
    practices: list
    browse_facets: list | None = None  # facets of the whole corpus, computed on first use

    @property
    def n(self) -> int:
        return len(self.doc_ids)

    @classmethod
    def load(cls, con, tables: set[str]) -> DocColumns:
        dedup = "dedup_members" in tables and "dedup_clusters" in tables
        tags = "document_tags" in tables
        search = "search_docs" in tables
        t = con.execute(f"""
            SELECT d.doc_id, {"s.docid" if search else "NULL::BIGINT"} AS docid, d.source, d.kind,
                   {_MONTH} AS month, epoch_us(d.published_at) AS published,
                   {relevant_sql("t") if tags else "false"} AS relevant,
                   {"coalesce(t.platforms, [])" if tags else "[]::VARCHAR[]"} AS platforms,
                   {"coalesce(t.practices, [])" if tags else "[]::VARCHAR[]"} AS practices,
                   {"coalesce(m.cluster_id, d.doc_id)" if dedup else "d.doc_id"} AS cluster,
                   {"coalesce(m.is_canonical, true)" if dedup else "true"} AS canonical,
                   {"coalesce(c.members, 1)" if dedup else "1"}::BIGINT AS members
            FROM documents d
            {"LEFT JOIN search_docs s ON s.doc_id = d.doc_id" if search else ""}
            {"LEFT JOIN document_tags t ON t.doc_id = d.doc_id" if tags else ""}
            {"LEFT JOIN dedup_members m ON m.doc_id = d.doc_id LEFT JOIN dedup_clusters c "
             "ON c.cluster_id = m.cluster_id" if dedup else ""}
            ORDER BY d.doc_id""").to_arrow_table()
        docid = t.column("docid").combine_chunks()
        rows = np.flatnonzero(docid.is_valid().to_numpy(zero_copy_only=False))
        ids = docid.drop_null().to_numpy().astype(np.int64)
        docid_row = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
        docid_row[ids] = rows
        source, sources = _codes(t.column("source"))
        kind, kinds = _codes(t.column("kind"))
        month, months = _codes(t.column("month"))
        pub = t.column("published").combine_chunks()
        cluster, clusters = _codes(t.column("cluster"), as_list=False)
        prow, pcode, plats = _pairs(t.column("platforms"))
        rrow, rcode, pracs = _pairs(t.column("practices"))
        return cls(t.column("doc_id").combine_chunks(), docid_row, source, sources, kind, kinds, month, months,
                   pub.fill_null(0).to_numpy().astype(np.int64), np.logical_not(pub.is_valid().to_numpy(
                       zero_copy_only=False)), t.column("relevant").to_numpy().astype(bool), cluster, clusters,
                   t.column("canonical").to_numpy().astype(bool), t.column("members").to_numpy().astype(np.int64),
                   prow, pcode, plats, rrow, rcode, pracs)

    # ------------------------------------------------------------------ one query

    def rows_of(self, docids: np.ndarray) -> np.ndarray:
        """Rows of search docids; docids of documents no longer in the corpus are dropped."""
        docids = docids.astype(np.int64)
        ok = (docids >= 0) & (docids < len(self.docid_row))
        rows = np.full(len(docids), -1, dtype=np.int64)
        rows[ok] = self.docid_row[docids[ok]]
        return rows

    def mask(self, f) -> np.ndarray | None:
        """Rows passing the filters of ``f`` (a queries.Filters), or None without filters."""
        m: np.ndarray | None = None

        def both(x: np.ndarray) -> None:
            nonlocal m
            m = x if m is None else (m & x)

        for name, col, values in (("source", self.source, self.sources), ("kind", self.kind, self.kinds),
                                  ("month", self.month, self.months)):
            v = getattr(f, name)
            if v:
                both(col == values.index(v) if v in values else np.zeros(self.n, dtype=bool))
        for name, rows, codes, values in (("platform", self.platform_rows, self.platform_codes, self.platforms),
                                          ("practice", self.practice_rows, self.practice_codes, self.practices)):
            v = getattr(f, name)
            if v:
                has = np.zeros(self.n, dtype=bool)
                if v in values:
                    has[rows[codes == values.index(v)]] = True
                both(has)
        if f.relevant in ("yes", "no"):
            both(self.relevant if f.relevant == "yes" else ~self.relevant)
        return m

    def row(self, i: int) -> dict:
        """What a hit shows of row i, besides title, time and score (those come from documents)."""
        def listed(rows: np.ndarray, codes: np.ndarray, values: list) -> list[str]:
            lo, hi = np.searchsorted(rows, i), np.searchsorted(rows, i, side="right")
            return [values[c] for c in codes[lo:hi]]

        return {"doc_id": self.doc_ids[i].as_py(), "source": self.sources[self.source[i]],
                "kind": self.kinds[self.kind[i]], "relevant": bool(self.relevant[i]),
                "platforms": listed(self.platform_rows, self.platform_codes, self.platforms),
                "practices": listed(self.practice_rows, self.practice_codes, self.practices),
                "cluster": self.clusters[int(self.cluster[i])].as_py()}

    def collapse(self, rows: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each cluster's best match (highest score, then first doc_id) and its number of matches:
        (rows, scores, copies) of the best matches, in no particular order."""
        if not len(rows):
            return rows, scores, rows
        order = np.lexsort((rows, -scores, self.cluster[rows]))
        c = self.cluster[rows][order]
        first = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
        copies = np.diff(np.r_[first, len(c)])
        best = order[first]
        return rows[best], scores[best], copies

    def facets(self, rows: np.ndarray, clusters: int) -> list[tuple[str, str, int]]:
        """(facet, value, count) for the matching rows: per value, the number of matching
        clusters with a matching copy that has it — what choosing that value would show (a
        cluster with copies on two sites counts under both). ``clusters`` is the total."""
        out: list[tuple[str, str, int]] = []
        cl = self.cluster[rows].astype(np.int64)
        # rows whose cluster matched only once need no de-duplication: a plain count
        shared = np.bincount(cl, minlength=len(self.clusters))[cl] > 1
        for name, col, values in (("source", self.source, self.sources), ("kind", self.kind, self.kinds),
                                  ("month", self.month, self.months),
                                  ("relevant", self.relevant.astype(np.int32), ["no", "yes"])):
            out += _distinct_counts(name, cl, col[rows], shared, values)
        in_rows = np.zeros(self.n, dtype=bool)
        in_rows[rows] = True
        shared_row = np.zeros(self.n, dtype=bool)
        shared_row[rows[shared]] = True
        for name, prow, codes, values in (("platform", self.platform_rows, self.platform_codes, self.platforms),
                                          ("practice", self.practice_rows, self.practice_codes, self.practices)):
            sel = in_rows[prow]
            out += _distinct_counts(name, self.cluster[prow[sel]].astype(np.int64), codes[sel],
                                    shared_row[prow[sel]], values)
        out.append(("_total", "", int(clusters)))
        return out


def _distinct_counts(name: str, clusters: np.ndarray, codes: np.ndarray, shared: np.ndarray,
                     values: list) -> list[tuple[str, str, int]]:
    """Per value, how many distinct clusters have it (codes < 0 are no value); ``shared`` marks
    the rows of clusters with more than one row, the only ones that can repeat a pair."""
    if len(values) == 0:
        return []
    ok = codes >= 0
    single = ok & ~shared
    counts = np.bincount(codes[single], minlength=len(values))
    multi = ok & shared
    if multi.any():
        keys = np.sort(clusters[multi] * len(values) + codes[multi])  # a sort beats np.unique's hash here
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
        counts = counts + np.bincount(keys % len(values), minlength=len(values))
    return [(name, values[i], int(counts[i])) for i in np.flatnonzero(counts)]
