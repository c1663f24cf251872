"""Views and search over a small hand-made corpus; read-only safety; empty corpus."""

from __future__ import annotations

import json

import pytest

from lc_testkit import run_cli
from lendcorpus.corpus import create_views, view_files
from lendcorpus.commands.search import search, snippet
from lendcorpus.corpus import connect_read, connect_write
from lendcorpus.pipelines.search_index import SearchIndexPass, tokens
from lendcorpus.pipelines.tag.corpus_pass import TagPass

DOCS = [
    ("heimao:1", "heimao", "complaint", "借呗暴力催收", "借呗逾期后催收爆通讯录，还威胁要上门。"),
    ("heimao:2", "heimao", "complaint", "微粒贷催收辱骂", "微粒贷的催收人员辱骂我，还打我父母电话。"),
    ("heimao:3", "heimao", "complaint", "借呗协商", "借呗逾期想协商还款，客服不同意。"),
    ("farm:1", "farm", "article", "網貸逾期怎麼辦", "网贷逾期以后要主动协商还款，不要失联。"),
    ("farm:2", "farm", "article", "红烧肉做法", "今天教大家做红烧肉，先焯水再炒糖色。"),
]
COMPLAINTS = [
    ("heimao:1", "heimao", "1", "借呗", "resolved", "2024-05-03 10:00:00+08"),
    ("heimao:2", "heimao", "2", "微粒贷", "replied", "2024-05-20 10:00:00+08"),
    ("heimao:3", "heimao", "3", "蚂蚁借呗", "in_progress", "2024-06-02 10:00:00+08"),
]


@pytest.fixture()
def corpus(tmp_path):
    db = tmp_path / "c.duckdb"
    con = connect_write(db)
    for doc_id, source, kind, title, text in DOCS:
        con.execute("INSERT INTO documents (doc_id, source, kind, url, title, text, text_simplified, extractor, "
                    "archive_path, archive_offset) VALUES (?, ?, ?, ?, ?, ?, ?, 'x', 'a', 0)",
                    [doc_id, source, kind, f"https://x.example/{doc_id}", title, text, text])
    for cid, platform, native, company, status, created in COMPLAINTS:
        con.execute("INSERT INTO complaints (complaint_id, platform, native_id, company, status, created_at, narrative)"
                    " VALUES (?, ?, ?, ?, ?, ?::TIMESTAMPTZ, 'x')", [cid, platform, native, company, status, created])
    TagPass().run(con)
    SearchIndexPass().run(con)
    assert create_views(con) == [p.stem for p in view_files()]
    con.close()
    return db


def test_views_count_per_platform_month_and_resolution(corpus):
    con = connect_read(corpus)
    per_month = con.execute("SELECT platform, month::VARCHAR, complaints, resolved FROM complaints_per_platform_month "
                            "ORDER BY platform, month").fetchall()
    assert per_month == [("jiebei", "2024-05-01", 1, 1), ("jiebei", "2024-06-01", 1, 0),
                         ("weilidai", "2024-05-01", 1, 0)]
    rates = dict(con.execute("SELECT platform, resolution_rate FROM resolution_rates").fetchall())
    assert rates == {"jiebei": 0.5, "weilidai": 0.0}
    prevalence = con.execute("SELECT platform, practice, with_practice, complaints FROM practice_prevalence "
                             "WHERE platform = 'jiebei' AND month = DATE '2024-05-01' ORDER BY practice").fetchall()
    assert prevalence == [("jiebei", "ADDRESS_BOOK", 1, 1), ("jiebei", "HOME_VISIT", 1, 1), ("jiebei", "THREAT", 1, 1)]
    con.close()


def test_search_ranks_and_snippets(corpus):
    con = connect_read(corpus)
    hits = search(con, "暴力催收 通讯录")
    assert [h["doc_id"] for h in hits] == ["heimao:1"]
    assert "【暴力催收】" in hits[0]["snippet"] or "【通讯录】" in hits[0]["snippet"]
    both = [h["doc_id"] for h in search(con, "借呗 协商")]
    assert both == ["heimao:3"]
    either = {h["doc_id"] for h in search(con, "借呗 协商", any_word=True)}
    assert {"heimao:1", "heimao:3", "farm:1"} <= either
    assert [h["doc_id"] for h in search(con, "網貸逾期")] == ["farm:1"]  # Traditional query finds Simplified text
    assert search(con, "不存在的组合") == [] and search(con, "   ") == []
    assert [h["doc_id"] for h in search(con, "逾期", kind="article")] == ["farm:1"]
    con.close()


def test_tokens_and_snippet():
    assert tokens("暴力催收 App2") == ["暴力", "力催", "催收", "app2"]
    assert tokens("债") == ["债"]
    assert snippet("一二三四五", ["三"], width=1) == "…二【三】四…"


def test_search_and_sql_are_read_only_and_work_on_an_empty_corpus(tmp_path, corpus):
    empty = tmp_path / "empty.duckdb"
    connect_write(empty).close()
    out = run_cli("search", "催收", "--db", str(empty), "--format", "json").stdout
    assert json.loads(out) == []
    for view in ("complaints_per_platform_month", "practice_prevalence", "resolution_rates",
                 "articles_one_per_cluster"):
        assert json.loads(run_cli("sql", f"SELECT * FROM {view}", "--db", str(empty), "--format", "json").stdout) == []
    refused = run_cli("sql", "DROP VIEW resolution_rates", "--db", str(corpus), check=False)
    assert refused.returncode == 4
    out = run_cli("search", "暴力催收", "--db", str(corpus)).stdout
    assert "heimao:1" in out
