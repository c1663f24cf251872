"""The explorer's fast search (in-memory columns, analysis/explorer/columns.py) answers exactly what
the plain SQL search answers: the same hits in the same order with the same scores and copies,
the same total and the same facet counts, for words, filters, both, neither, and later pages.
On the synthetic corpus (templated texts: many equal scores, so the doc_id tie-break matters,
and copied article pairs, so the cluster collapse matters) and a small hand-made one."""

from __future__ import annotations

import importlib.util
import itertools

import pytest

from lc_testkit import REPO
from lendcorpus.analysis.explorer import queries
from lendcorpus.corpus import connect_sandboxed


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_synthetic_corpus",
                                                  REPO / "benchmarks" / "make_synthetic_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    db = tmp_path_factory.mktemp("explorer-synthetic") / "syn.duckdb"
    mod.make(db, 3000)
    return db


def _plain(result: queries.SearchResult) -> tuple:
    hits = [{k: v for k, v in h.items()} for h in result.hits]
    return hits, result.total_clusters, result.facets


def _cases(con) -> list[queries.Filters]:
    """Words of every frequency, each facet's most and least common value, pairs of filters,
    a value that matches nothing, and pages past the first."""
    browse = queries.search_sql(con, queries.Filters())
    filters: list[dict] = [{}]
    for facet in queries.FACETS:
        values = browse.facets[facet]
        if not values:  # the small corpus has no publication times
            continue
        filters += [{facet: values[0][0]}, {facet: values[-1][0]}]
    filters += [{"kind": browse.facets["kind"][0][0], "relevant": "yes"},
                {"platform": browse.facets["platform"][0][0], "source": browse.facets["source"][-1][0]},
                {"practice": "NO_SUCH_PRACTICE"}]
    words = ["", "逾期", "网贷逾期", "暴力催收 通讯录", "借呗 协商", "上门", "催收", "没有这个词语"]
    cases = []
    for q, fl in itertools.product(words, filters):
        cases.append(queries.Filters(q=q, **fl))
        if not fl or len(fl) == 2:
            cases += [queries.Filters(q=q, page=2, **fl), queries.Filters(q=q, page=7, **fl)]
    return cases


@pytest.mark.parametrize("corpus", ["synthetic", "small"])
def test_fast_search_equals_the_plain_sql(corpus, synthetic, small_corpus):
    db = synthetic if corpus == "synthetic" else small_corpus
    con = connect_sandboxed(db)
    cache: dict = {}
    compared = matched = 0
    try:
        for f in _cases(con):
            want = queries.search_sql(con, f)
            got = queries.search(con, f, facet_cache=cache, corpus_version="v1")
            assert _plain(got) == _plain(want), f
            compared += 1
            matched += bool(want.hits)
        # one load per corpus version, reused by every query; the last words' scores kept, bounded
        assert [k for k in cache if k[0] == "columns"] == [("columns", "v1")]
        assert 0 < len([k for k in cache if k[0] == "scores"]) <= queries.SCORES_KEPT
    finally:
        con.close()
    assert matched > compared // 3  # the cases are not all empty


def test_words_without_tokens_still_answer(small_corpus):
    """Punctuation only (no token) falls back to the plain SQL's substring match."""
    con = connect_sandboxed(small_corpus)
    try:
        f = queries.Filters(q="，")
        assert _plain(queries.search(con, f, facet_cache={}, corpus_version=1)) == _plain(queries.search_sql(con, f))
    finally:
        con.close()


def test_columns_follow_the_corpus_version(synthetic):
    """A new corpus version loads new columns (a build between two requests is seen)."""
    con = connect_sandboxed(synthetic)
    cache: dict = {}
    try:
        queries.search(con, queries.Filters(q="逾期"), facet_cache=cache, corpus_version=1)
        first = cache[("columns", 1)]
        queries.search(con, queries.Filters(q="逾期"), facet_cache=cache, corpus_version=1)
        assert cache[("columns", 1)] is first
        queries.search(con, queries.Filters(q="逾期"), facet_cache=cache, corpus_version=2)
        assert ("columns", 1) not in cache and cache[("columns", 2)] is not first
        assert {k[1] for k in cache if k[0] == "scores"} == {2}  # no scores of an old corpus
    finally:
        con.close()


def test_per_term_joined_scores_equal_the_plain_scoring(synthetic):
    from lendcorpus.pipelines.search_index import scored_all_params, scored_all_sql, scored_sql, tokens

    con = connect_sandboxed(synthetic)
    try:
        for q in ("网贷逾期", "暴力催收", "借呗协商", "上门", "逾期", "没有这个词语"):
            toks = list(dict.fromkeys(tokens(q)))
            plain = con.execute(f"SELECT docid, score FROM ({scored_sql('$t', 'true')}) ORDER BY 1",
                                {"t": toks}).fetchall()
            fast = con.execute(f"SELECT * FROM ({scored_all_sql(len(toks))}) ORDER BY 1",
                               scored_all_params(toks)).fetchall()
            assert fast == plain and (fast or q == "没有这个词语"), q
    finally:
        con.close()


def test_preload_loads_the_columns_the_first_search_uses(synthetic):
    """`lendcorpus serve` loads the columns before it listens; the first search uses them."""
    from starlette.testclient import TestClient

    from lendcorpus.analysis.explorer import create_app

    app = create_app(synthetic)
    ex = app.state.explorer
    ex.preload()
    (key,) = [k for k in ex._facets if k[0] == "columns"]
    cols = ex._facets[key]
    page = TestClient(app).get("/", params={"q": "逾期"})
    assert page.status_code == 200 and 'class="hit"' in page.text
    assert [k for k in ex._facets if k[0] == "columns"] == [key] and ex._facets[key] is cols
