"""The scale benchmark's synthetic corpus, small: same shape as a build's, so views, search and the
report run on it unchanged, and its SQL tokens equal pipelines.search_index.tokens."""

from __future__ import annotations

import importlib.util

import pytest

from lc_testkit import REPO
from lendcorpus.commands.search import search
from lendcorpus.corpus import connect_read
from lendcorpus.pipelines.search_index import tokens


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_synthetic_corpus",
                                                  REPO / "benchmarks" / "make_synthetic_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    db = tmp_path_factory.mktemp("synthetic") / "syn.duckdb"
    mod.make(db, 3000)
    return db


def test_shape_views_and_search(synthetic):
    con = connect_read(synthetic)
    kinds = dict(con.execute("SELECT kind, count(*) FROM documents GROUP BY 1").fetchall())
    assert kinds == {"complaint": 900, "article": 1500, "post": 600}
    assert con.execute("SELECT count(*) FROM complaints").fetchone()[0] == 900
    assert con.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 3000
    # articles come in copied pairs: fewer clusters than documents
    assert con.execute("SELECT count(*) FROM dedup_clusters").fetchone()[0] < 3000
    rows = con.execute("SELECT d.title, coalesce(d.text_main_simplified, d.text), s.tokens FROM documents d "
                       "JOIN search_docs s USING (doc_id) ORDER BY doc_id LIMIT 300").fetchall()
    for title, text, toks in rows:
        assert toks == " ".join(tokens(title) + tokens(text))
    per_month = con.execute("SELECT sum(complaints) FROM complaints_per_platform_month").fetchone()[0]
    assert per_month >= 900  # every complaint names at least one platform
    assert con.execute("SELECT count(*) FROM practice_prevalence").fetchone()[0] > 0
    hits = search(con, "通讯录")
    assert len(hits) == 10 and all("通讯录" in h["snippet"] for h in hits)
    con.close()


def test_report_on_synthetic_corpus(synthetic, tmp_path):
    from lendcorpus.analysis.report import write_report

    con = connect_read(synthetic)
    result = write_report(con, tmp_path)
    con.close()
    page = result.html_path.read_text(encoding="utf-8")
    assert page.count('data-empty="false"') == 6 and page.count('data-empty="true"') == 2  # no rejects, no runs
