"""What the explorer reads from the corpus: plain functions of a read-only connection.

Kept apart from the web layer so they can be tested and timed without a server. Every function
takes an open connection and returns plain Python data; none writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from lendcorpus.analysis.explorer.columns import DocColumns
from lendcorpus.pipelines.tag.relevance import relevant_sql

#: Facets shown beside the results, with the SQL expression each one groups by.
FACETS = ("source", "kind", "platform", "practice", "month", "relevant")
PAGE_SIZE = 20
#: Scored matches kept per explorer (the last queries' words; 3 MB each for 280k matches).
SCORES_KEPT = 16


@dataclass
class Filters:
    q: str = ""
    source: str = ""
    kind: str = ""
    platform: str = ""
    practice: str = ""
    month: str = ""  # YYYY-MM of published_at (UTC)
    relevant: str = ""  # "", "yes", "no"
    page: int = 1

    def active(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in FACETS if getattr(self, k)}


@dataclass
class SearchResult:
    hits: list[dict] = field(default_factory=list)
    total_clusters: int = 0
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _base_sql(f: Filters, tables: set[str]) -> tuple[str, dict, list[str], bool]:
    """A query of narrow rows (doc_id, ..., cluster, canonical, copies) for every document matching
    the words and filters; the last value says whether words were given."""
    from lendcorpus.pipelines.search_index import scored_sql, simplified, tokens

    params: dict = {}
    words = [simplified(w) for w in f.q.split() if w.strip()]
    toks = list(dict.fromkeys(t for w in words for t in tokens(w)))
    cols = "d.doc_id, d.source, d.kind, d.title, d.published_at"
    if toks and "search_postings" in tables:
        params["terms"] = toks
        source = (f"(SELECT {cols}, sc.score FROM ({scored_sql('$terms', 'true')}) sc "
                  "JOIN search_docs s USING (docid) JOIN documents d ON d.doc_id = s.doc_id)")
    elif f.q.strip():
        params["like"] = f"%{f.q.strip()}%"  # an index-less corpus still answers, slower
        source = f"(SELECT {cols}, 1.0 AS score FROM documents d WHERE coalesce(d.text_simplified, d.text) LIKE $like)"
    else:
        source = f"(SELECT {cols}, 0.0 AS score FROM documents d)"
    where = []
    for name in ("source", "kind"):
        if getattr(f, name):
            params[name] = getattr(f, name)
            where.append(f"b.{name} = ${name}")
    if f.platform:
        params["platform"] = f.platform
        where.append("list_contains(coalesce(t.platforms, []), $platform)")
    if f.practice:
        params["practice"] = f.practice
        where.append("list_contains(coalesce(t.practices, []), $practice)")
    if f.month:
        params["month"] = f.month
        where.append("strftime(b.published_at AT TIME ZONE 'UTC', '%Y-%m') = $month")
    if f.relevant in ("yes", "no"):
        where.append(relevant_sql("t") if f.relevant == "yes" else f"NOT {relevant_sql('t')}")
    dedup = "dedup_members" in tables and "dedup_clusters" in tables
    sql = f"""
        SELECT b.doc_id, b.source, b.kind, b.title, b.published_at, b.score,
               {relevant_sql('t')} AS relevant, coalesce(t.platforms, []) AS platforms,
               coalesce(t.practices, []) AS practices,
               {"coalesce(m.cluster_id, b.doc_id)" if dedup else "b.doc_id"} AS cluster,
               {"coalesce(m.is_canonical, true)" if dedup else "true"} AS canonical,
               {"coalesce(c.members, 1)" if dedup else "1"} AS copies
        FROM {source} b LEFT JOIN document_tags t ON t.doc_id = b.doc_id
        {"LEFT JOIN dedup_members m ON m.doc_id = b.doc_id LEFT JOIN dedup_clusters c ON c.cluster_id = m.cluster_id"
         if dedup else ""}
        {"WHERE " + " AND ".join(where) if where else ""}"""
    return sql, params, words, bool(f.q.strip())


# Per value, the matching clusters with a matching copy that has it: what choosing it would show.
_FACET_SQL = """
    SELECT 'source', source, count(DISTINCT cluster) FROM {src} GROUP BY 2
    UNION ALL SELECT 'kind', kind, count(DISTINCT cluster) FROM {src} GROUP BY 2
    UNION ALL SELECT 'platform', p, count(DISTINCT cluster) FROM (SELECT cluster, unnest(platforms) AS p FROM {src})
              GROUP BY 2
    UNION ALL SELECT 'practice', p, count(DISTINCT cluster) FROM (SELECT cluster, unnest(practices) AS p FROM {src})
              GROUP BY 2
    UNION ALL SELECT 'month', strftime(published_at AT TIME ZONE 'UTC', '%Y-%m'), count(DISTINCT cluster) FROM {src}
              WHERE published_at IS NOT NULL GROUP BY 2
    UNION ALL SELECT 'relevant', CASE WHEN relevant THEN 'yes' ELSE 'no' END, count(DISTINCT cluster) FROM {src}
              GROUP BY 2
    UNION ALL SELECT '_total', '', count(DISTINCT cluster) FROM {src}"""


_HIT_COLS = ["doc_id", "source", "kind", "title", "published_at", "score", "relevant", "platforms", "practices",
             "cluster", "copies"]


def search(con, f: Filters, page_size: int = PAGE_SIZE, facet_cache: dict | None = None,
           corpus_version: object = None) -> SearchResult:
    """What ``search_sql`` answers, faster: the documents' columns come from the in-memory
    ``DocColumns`` of this corpus version (cached in ``facet_cache``) and only the scoring runs
    in DuckDB (columns.py says why). Words without an index fall back to ``search_sql``."""
    from lendcorpus.pipelines.search_index import scored_all_params, scored_all_sql, simplified, tokens

    tables = _tables(con)
    words = [simplified(w) for w in f.q.split() if w.strip()]
    toks = list(dict.fromkeys(t for w in words for t in tokens(w)))
    indexed = bool(toks) and "search_postings" in tables
    if f.q.strip() and not indexed:
        return search_sql(con, f, page_size, facet_cache, corpus_version)
    cols = doc_columns(con, tables, facet_cache, corpus_version)
    if indexed:
        # the next page or another filter on the same words scores nothing again
        key = ("scores", corpus_version, tuple(toks))
        hit = facet_cache.get(key) if facet_cache is not None and corpus_version is not None else None
        if hit is None:
            sc = con.execute(scored_all_sql(len(toks)), scored_all_params(toks)).fetchnumpy()
            rows = cols.rows_of(np.asarray(sc["docid"]))
            scores = np.asarray(sc["score"], dtype=np.float64)
            keep = rows >= 0
            hit = rows[keep], scores[keep]
            if facet_cache is not None and corpus_version is not None:
                kept = [k for k in facet_cache if k[0] == "scores"]
                for k in kept[:max(0, len(kept) - SCORES_KEPT + 1)]:
                    del facet_cache[k]
                facet_cache[key] = hit
        else:  # most recently used last
            facet_cache[key] = facet_cache.pop(key)
        rows, scores = hit
    else:
        rows, scores = np.arange(cols.n, dtype=np.int64), np.zeros(cols.n)
    m = cols.mask(f)
    if m is not None:
        keep = m[rows]
        rows, scores = rows[keep], scores[keep]
    if indexed or m is not None:
        best, best_scores, copies = cols.collapse(rows, scores)
        facet_rows = cols.facets(rows, len(best))
    else:  # nothing asked: each cluster's canonical copy, "copies" = the cluster's members
        best = np.flatnonzero(cols.canonical)
        best_scores, copies = np.zeros(len(best)), cols.members[best]
        if cols.browse_facets is None:  # the same for every visit of this corpus version
            cols.browse_facets = cols.facets(rows, len(best))
        facet_rows = cols.browse_facets
    if indexed:  # score DESC, doc_id (a row number is the doc_id's rank)
        order = np.lexsort((best, -best_scores))
    else:  # published_at DESC NULLS LAST, doc_id
        order = np.lexsort((best, -cols.published[best], cols.unpublished[best]))
    offset = max(0, f.page - 1) * page_size
    page = order[offset:offset + page_size]
    hits = [cols.row(int(best[i])) | {"score": float(best_scores[i]), "copies": int(copies[i])} for i in page]
    # title and time from documents: one lookup of the page's rows, not a join of every match
    detail = {r[0]: r[1:] for r in con.execute(
        "SELECT doc_id, title, published_at FROM documents WHERE doc_id IN (SELECT unnest(?))",
        [[h["doc_id"] for h in hits]]).fetchall()} if hits else {}
    hits = [{k: (h[k] if k not in ("title", "published_at") else detail[h["doc_id"]][k == "published_at"])
             for k in _HIT_COLS} for h in hits]
    return _result(con, hits, facet_rows, words)


def doc_columns(con, tables: set[str], cache: dict | None, version: object) -> DocColumns:
    """This corpus version's DocColumns, loaded once per version when a cache is given."""
    key = ("columns", version)
    if cache is not None and version is not None and key in cache:
        return cache[key]
    cols = DocColumns.load(con, tables)
    if cache is not None and version is not None:
        for k in [k for k in cache if k[0] in ("columns", "scores") and k[1] != version]:
            del cache[k]
        cache[key] = cols
    return cols


def search_sql(con, f: Filters, page_size: int = PAGE_SIZE, facet_cache: dict | None = None,
               corpus_version: object = None) -> SearchResult:
    """One hit per dedup cluster with its number of copies, and facet counts over the clusters that
    match. With words or filters: each cluster's best-scoring matching copy (the matches are kept in
    a temporary table, so scoring runs once for the hits and the facets), best first, or newest
    first without words. With neither: each cluster's canonical member, newest first; "copies"
    then counts the cluster's members, otherwise its matching members.

    All in SQL: the definition ``search`` is held to (a test compares them), and what answers
    where the in-memory columns do not (an index-less corpus, the unfiltered browse)."""

    tables = _tables(con)
    base, params, words, ranked = _base_sql(f, tables)
    offset = max(0, f.page - 1) * page_size
    cols = ["doc_id", "source", "kind", "title", "published_at", "score", "relevant", "platforms", "practices",
            "cluster", "copies"]
    select = ", ".join(cols)
    order = "score DESC, doc_id" if ranked else "published_at DESC NULLS LAST, doc_id"
    if ranked or f.active():
        # a filter may leave out a cluster's canonical member: collapse what matched instead
        con.execute(f"CREATE OR REPLACE TEMP TABLE _explorer_matches AS {base}", params)
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE _explorer_clusters AS SELECT * EXCLUDE (rk, copies), "
                        "n AS copies FROM (SELECT *, row_number() OVER (PARTITION BY cluster ORDER BY score DESC, "
                        "doc_id) AS rk, count(*) OVER (PARTITION BY cluster) AS n FROM _explorer_matches) WHERE rk = 1")
            rows = con.execute(f"SELECT {select} FROM _explorer_clusters ORDER BY {order} "
                               f"LIMIT {int(page_size)} OFFSET {int(offset)}").fetchall()
            facet_rows = con.execute(_FACET_SQL.format(src="_explorer_matches")).fetchall()
        finally:
            con.execute("DROP TABLE IF EXISTS _explorer_clusters")
            con.execute("DROP TABLE IF EXISTS _explorer_matches")
    else:
        src = f"(SELECT * FROM ({base}) WHERE canonical)"
        rows = con.execute(f"SELECT {select} FROM {src} ORDER BY published_at DESC NULLS LAST, doc_id "
                           f"LIMIT {int(page_size)} OFFSET {int(offset)}", params).fetchall()
        # the whole corpus's facets change only when a build changes the corpus: kept per version
        key = ("browse", corpus_version)
        facet_rows = facet_cache.get(key) if facet_cache is not None and corpus_version is not None else None
        if facet_rows is None:
            facet_rows = con.execute(f"WITH c AS MATERIALIZED ({base}) " + _FACET_SQL.format(src="c"),
                                     params).fetchall()
            if facet_cache is not None and corpus_version is not None:
                for k in [k for k in facet_cache if k[0] == "browse"]:
                    del facet_cache[k]
                facet_cache[key] = facet_rows
    return _result(con, [dict(zip(cols, r)) for r in rows], facet_rows, words)


def _result(con, hits: list[dict], facet_rows: list[tuple], words: list[str]) -> SearchResult:
    from lendcorpus.analysis.search import snippet

    facets: dict[str, list[tuple[str, int]]] = {k: [] for k in FACETS}
    total = 0
    for facet, value, n in facet_rows:
        if facet == "_total":
            total = n
        else:
            facets[facet].append((value, n))
    for k, values in facets.items():
        values.sort(key=lambda v: (v[0] if k == "month" else -v[1], v[0]), reverse=(k == "month"))
    bodies = dict(con.execute("SELECT doc_id, coalesce(text_simplified, text) FROM documents "
                              "WHERE doc_id IN (SELECT unnest(?))", [[h["doc_id"] for h in hits]]).fetchall()) \
        if hits else {}
    for h in hits:
        h["snippet"] = snippet(bodies.get(h["doc_id"]) or "", words)
    return SearchResult(hits, total, facets, words)


def names(con) -> dict[str, dict[str, str]]:
    """Display names of platforms and practices (ids → names)."""
    from lendcorpus.pipelines.tag.lexicon import load

    out = {"platform": {}, "practice": {}}
    if "platforms" in _tables(con):
        out["platform"] = dict(con.execute("SELECT platform, name FROM platforms").fetchall())
    data, _ = load("practices")
    out["practice"] = {p["code"]: p.get("name", "") for p in data.get("practice", [])}
    return out


def document(con, doc_id: str) -> dict | None:
    """Everything the document page shows: the row, tags with spans, cluster, source rows, fetch."""
    row = con.execute("SELECT * FROM documents WHERE doc_id = ?", [doc_id]).fetchone()
    if row is None:
        return None
    cols = [d[0] for d in con.description]
    doc = dict(zip(cols, row))
    for key in ("repairs", "gaps"):
        v = doc.get(key)
        doc[key] = json.loads(v) if isinstance(v, str) and v else (v or [])
    tables = _tables(con)
    tag = con.execute("SELECT relevance, relevant, platforms, practices, text_column, evidence FROM document_tags "
                      "WHERE doc_id = ?", [doc_id]).fetchone() if "document_tags" in tables else None
    doc["tags"] = dict(zip(("relevance", "relevant", "platforms", "practices", "text_column", "evidence"), tag)) \
        if tag else None
    doc["platform_spans"] = con.execute(
        "SELECT platform, matched, start_pos, end_pos FROM document_platforms WHERE doc_id = ? ORDER BY start_pos",
        [doc_id]).fetchall() if "document_platforms" in tables else []
    doc["practice_spans"] = con.execute(
        "SELECT practice, cue, start_pos, end_pos FROM document_practices WHERE doc_id = ? ORDER BY start_pos",
        [doc_id]).fetchall() if "document_practices" in tables else []
    doc["cluster"] = []
    if "dedup_members" in tables:
        m = con.execute("SELECT cluster_id, is_canonical, reason, matched_doc_id, jaccard FROM dedup_members "
                        "WHERE doc_id = ?", [doc_id]).fetchone()
        doc["membership"] = dict(zip(("cluster_id", "is_canonical", "reason", "matched_doc_id", "jaccard"), m)) \
            if m else None
        if m:
            doc["cluster"] = [dict(zip(("doc_id", "source", "title", "url", "reason", "jaccard", "is_canonical"), r))
                              for r in con.execute(
                "SELECT m.doc_id, d.source, d.title, d.url, m.reason, m.jaccard, m.is_canonical FROM dedup_members m "
                "JOIN documents d USING (doc_id) WHERE m.cluster_id = ? ORDER BY m.is_canonical DESC, m.doc_id "
                "LIMIT 200", [m[0]]).fetchall()]
    doc["complaint"] = None
    doc["events"] = []
    if "complaints" in tables:
        c = con.execute("SELECT * FROM complaints WHERE complaint_id = ?", [doc_id]).fetchone()
        if c:
            doc["complaint"] = dict(zip([d[0] for d in con.description], c))
            doc["events"] = [dict(zip(("seq", "actor", "actor_role", "status_raw", "event_at", "text"), r))
                             for r in con.execute(
                "SELECT seq, actor, actor_role, status_raw, event_at, text FROM complaint_events "
                "WHERE complaint_id = ? ORDER BY seq", [doc_id]).fetchall()]
    doc["thread"] = None
    doc["floors"] = []
    if "forum_posts" in tables:
        p = con.execute("SELECT thread_id FROM forum_posts WHERE post_id = ?", [doc_id]).fetchone()
        thread_id = p[0] if p else (doc_id if con.execute("SELECT 1 FROM forum_threads WHERE thread_id = ?",
                                                          [doc_id]).fetchone() else None)
        if thread_id:
            t = con.execute("SELECT thread_id, forum, title, reply_count, url FROM forum_threads WHERE thread_id = ?",
                            [thread_id]).fetchone()
            doc["thread"] = dict(zip(("thread_id", "forum", "title", "reply_count", "url"), t)) if t else \
                {"thread_id": thread_id, "forum": None, "title": None, "reply_count": None, "url": None}
            doc["floors"] = [dict(zip(("post_id", "floor", "author", "posted_at", "text"), r)) for r in con.execute(
                "SELECT post_id, floor, author, posted_at, text FROM forum_posts WHERE thread_id = ? "
                "ORDER BY floor NULLS LAST, post_id LIMIT 300", [thread_id]).fetchall()]
    doc["fetch"] = fetch_of(con, doc["archive_path"], doc["archive_offset"])
    return doc


def fetch_of(con, archive_path: str, offset: int) -> dict | None:
    row = con.execute(
        "SELECT f.archive_path, f.archive_offset, f.archive_length, f.run_id, f.spider, f.url, f.method, f.status, "
        "f.fetched_at, f.content_type, f.content_length, f.content_sha1, r.started_at, r.finished_at, "
        "r.finish_reason FROM fetches f LEFT JOIN crawl_runs r USING (run_id) "
        "WHERE f.archive_path = ? AND f.archive_offset = ?", [archive_path, offset]).fetchone()
    if row is None:
        return None
    return dict(zip(("archive_path", "archive_offset", "archive_length", "run_id", "spider", "url", "method", "status",
                     "fetched_at", "content_type", "content_length", "content_sha1", "run_started_at",
                     "run_finished_at", "run_finish_reason"), row))


def platform(con, platform_id: str) -> dict | None:
    """The views for one platform: monthly complaints, practice mix, resolution rate."""
    p = con.execute("SELECT platform, name, aliases, parent FROM platforms WHERE platform = ?", [platform_id]).fetchone()
    if p is None:
        return None
    out = dict(zip(("platform", "name", "aliases", "parent"), p))
    out["months"] = con.execute(
        "SELECT month, complaints, resolved, with_full_text FROM complaints_per_platform_month WHERE platform = ? "
        "ORDER BY month", [platform_id]).fetchall()
    out["practices"] = con.execute(
        "SELECT practice, sum(with_practice)::BIGINT, (SELECT count(DISTINCT c.complaint_id) FROM complaint_platforms cp "
        "JOIN complaints c USING (complaint_id) WHERE cp.platform = $p AND c.narrative IS NOT NULL "
        "AND c.created_at IS NOT NULL) FROM practice_prevalence WHERE platform = $p GROUP BY 1 ORDER BY 2 DESC, 1",
        {"p": platform_id}).fetchall()
    r = con.execute("SELECT complaints, resolved, resolution_rate FROM resolution_rates WHERE platform = ?",
                    [platform_id]).fetchone()
    out["resolution"] = dict(zip(("complaints", "resolved", "rate"), r)) if r else None
    out["recent"] = con.execute(
        "SELECT c.complaint_id, c.title, c.created_at, c.status FROM complaint_platforms cp JOIN complaints c "
        "USING (complaint_id) WHERE cp.platform = ? ORDER BY c.created_at DESC NULLS LAST, 1 LIMIT 20",
        [platform_id]).fetchall()
    return out


def platforms(con) -> list[tuple]:
    return con.execute("SELECT platform, name, complaints, resolved FROM resolution_rates "
                       "ORDER BY complaints DESC, platform").fetchall()
