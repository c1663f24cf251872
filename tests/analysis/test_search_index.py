"""The search index (pipelines/search_index.py): its BM25 equals DuckDB's FTS extension, it stays
correct when built in batches, and collapsing dedup clusters keeps the exact ranking."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lendcorpus.commands.search import search
from lendcorpus.corpus import connect_read, connect_write, migrations
from lendcorpus.pipelines.search_index import SearchIndexPass, post_pending, tokens, tokens_sql

WORDS = ["借呗", "逾期", "催收", "通讯录", "暴力", "协商", "还款", "上门", "威胁", "网贷", "红烧肉", "做法",
         "微粒贷", "360借条", "app", "客服", "电话", "家人", "征信", "法院", "的", "了", "我"]


def fts_extension_path() -> Path:
    """DuckDB's FTS extension from its wheel (test extra), loaded by path: no download."""
    import duckdb_extension_fts

    path = Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    assert path.exists(), f"duckdb-extension-fts {duckdb.__version__} is not installed: pip install -e '.[test]'"
    return path


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["，".join("".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 8)))
            for _ in range(n)]


def _add_documents(con, texts: list[str], start: int = 0, kind: str = "post") -> None:
    for i, text in enumerate(texts, start):
        con.execute("INSERT INTO documents (doc_id, source, kind, url, title, text, text_simplified, extractor, "
                    "archive_path, archive_offset) VALUES (?, 's', ?, ?, NULL, ?, ?, 'x', 'a', 0)",
                    [f"s:{i:04d}", kind, f"https://x.example/{i}", text, text])


def _ranking(con, query: str, match_all: bool = True) -> list[tuple[str, float]]:
    rows = con.execute("SELECT doc_id, score FROM search_bm25(?, match_all := ?)", [query, match_all]).fetchall()
    return sorted(((d, round(s, 9)) for d, s in rows), key=lambda r: (-r[1], r[0]))


@given(st.text(alphabet=st.sampled_from(list("借呗逾期催收通讯錄 ，,.AbZ09x-\u3400\u9fff\uf900ぁ한")), max_size=30))
@settings(max_examples=300, deadline=None)
def test_sql_tokenizer_equals_python_tokenizer(text):
    con = duckdb.connect()
    assert con.execute(f"SELECT {tokens_sql('?')}", [text]).fetchone()[0] == tokens(text)
    con.close()


def test_scores_equal_duckdb_fts_extension(tmp_path):
    con = connect_write(tmp_path / "c.duckdb")
    _add_documents(con, _texts(400, seed=1))
    SearchIndexPass().run(con)
    con.execute(f"LOAD '{fts_extension_path()}'")
    con.execute("PRAGMA create_fts_index('search_docs', 'doc_id', 'tokens', stemmer = 'none', stopwords = 'none', "
                "ignore = '\\s+', strip_accents = 0, lower = 0)")
    for query in ["暴力催收 通讯录", "借呗 协商", "上门", "360借条 app", "红烧肉", "不存在"]:
        for match_all in (True, False):
            bigrams = " ".join(dict.fromkeys(t for w in query.split() for t in tokens(w)))
            want = con.execute(
                "SELECT doc_id, fts_main_search_docs.match_bm25(doc_id, ?, conjunctive := ?) AS s "
                "FROM search_docs WHERE s IS NOT NULL", [bigrams, int(match_all)]).fetchall()
            got = dict(_ranking(con, query, match_all))
            assert set(got) == {d for d, _ in want}, query
            for doc_id, score in want:
                assert got[doc_id] == pytest.approx(score, abs=1e-8), (query, doc_id)
    assert any(_ranking(con, "借呗 协商")) and not _ranking(con, "不存在")
    con.close()


def test_batches_deletions_and_resort_give_the_same_index_as_one_build(tmp_path):
    texts = _texts(600, seed=2)
    whole = connect_write(tmp_path / "whole.duckdb")
    _add_documents(whole, texts)
    assert SearchIndexPass().run(whole)["resorted"] is False  # one sorted batch into an empty table

    parts = connect_write(tmp_path / "parts.duckdb")
    resorted = []
    for lo, hi in ((0, 500), (500, 540), (540, 600)):
        _add_documents(parts, texts[lo:hi], start=lo)
        result = SearchIndexPass().run(parts)
        assert result["indexed"] == hi - lo
        resorted.append(result["resorted"])
    # 40 more documents are under an eighth of the postings, 100 of 600 over it
    assert resorted == [False, False, True]
    assert parts.execute("SELECT unsorted_rows FROM search_index_state").fetchone()[0] == 0
    terms = [t for (t,) in parts.execute("SELECT term FROM search_postings").fetchall()]
    assert terms == sorted(terms)  # rewritten in term order

    for query in ["暴力催收 通讯录", "借呗 协商", "上门"]:
        assert _ranking(parts, query) == _ranking(whole, query)
        assert _ranking(parts, query, False) == _ranking(whole, query, False)

    # a document leaving the corpus takes its postings with it, and nothing else
    victim = _ranking(parts, "借呗 协商")[0][0]
    for con in (parts, whole):
        con.execute("DELETE FROM documents WHERE doc_id = ?", [victim])
        assert SearchIndexPass().run(con)["removed"] == 1
    assert victim not in dict(_ranking(parts, "借呗 协商"))
    assert _ranking(parts, "借呗 协商") == _ranking(whole, "借呗 协商")
    orphans = parts.execute("SELECT count(*) FROM search_postings WHERE docid NOT IN "
                            "(SELECT docid FROM search_docs)").fetchone()[0]
    assert orphans == 0
    assert SearchIndexPass().run(parts) == {"indexed": 0, "removed": 0, "postings": 0, "resorted": False}
    whole.close()
    parts.close()


def test_postings_interrupted_after_the_documents_are_written_next_build_completes(tmp_path, monkeypatch):
    import lendcorpus.pipelines.search_index as search_index

    con = connect_write(tmp_path / "c.duckdb")
    _add_documents(con, [f"借呗协商{i}" for i in range(50)])

    def killed(_con):
        raise KeyboardInterrupt  # the build died between the two steps

    with monkeypatch.context() as m:
        m.setattr(search_index, "post_pending", killed)
        with pytest.raises(KeyboardInterrupt):
            SearchIndexPass().run(con)
    # documents tokenised (and recorded as such), postings not yet written
    assert con.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 50
    assert con.execute("SELECT count(*) FROM search_postings").fetchone()[0] == 0
    result = SearchIndexPass().run(con)
    assert result["indexed"] == 0 and result["postings"] > 0
    assert len(_ranking(con, "借呗 协商")) == 50
    assert post_pending(con) == (0, False)  # nothing left past the watermark
    con.close()


def test_a_document_added_after_the_newest_one_was_removed_is_searchable(tmp_path):
    con = connect_write(tmp_path / "c.duckdb")
    _add_documents(con, ["借呗逾期", "借呗协商", "借呗上门"])
    SearchIndexPass().run(con)
    con.execute("DELETE FROM documents WHERE doc_id = 's:0002'")  # the highest docid
    _add_documents(con, ["借呗催收"], start=3)
    assert SearchIndexPass().run(con)["removed"] == 1
    assert [d for d, _ in _ranking(con, "借呗")] == ["s:0000", "s:0001", "s:0003"]
    assert dict(_ranking(con, "催收")).keys() == {"s:0003"}
    con.close()


def test_one_hit_per_cluster_is_exact_even_when_copies_fill_the_top(tmp_path):
    db = tmp_path / "c.duckdb"
    con = connect_write(db)
    # 100 copies of the best-matching article (one cluster), then 30 other documents
    best = "借呗暴力催收爆通讯录。" * 3
    _add_documents(con, [best] * 100, kind="article")
    others = [f"借呗的催收{'打电话' * (i % 5 + 1)}，说要爆通讯录{i}" for i in range(30)]
    _add_documents(con, others, start=100)
    con.execute("INSERT INTO dedup_members SELECT doc_id, CASE WHEN doc_id < 's:0100' THEN 'c:copies' "
                "ELSE 'c:' || doc_id END, doc_id IN ('s:0000') OR doc_id >= 's:0100', 'canonical', NULL, NULL "
                "FROM documents")
    SearchIndexPass().run(con)
    con.close()
    con = connect_read(db)
    hits = search(con, "借呗 通讯录", limit=12)
    assert len(hits) == 12
    assert hits[0]["doc_id"] == "s:0000"  # the cluster's best copy (ties broken by doc_id)
    assert not any(h["doc_id"].startswith("s:00") and h["doc_id"] != "s:0000" for h in hits)
    # the same as ranking everything and keeping each cluster's first document
    clusters = dict(con.execute("SELECT doc_id, cluster_id FROM dedup_members").fetchall())
    seen, want = set(), []
    for doc_id, _ in _ranking(con, "借呗 通讯录"):
        if clusters[doc_id] not in seen:
            seen.add(clusters[doc_id])
            want.append(doc_id)
    assert [h["doc_id"] for h in hits] == want[:12]
    assert len(search(con, "借呗 通讯录", limit=12, all_copies=True)) == 12
    assert {h["doc_id"] for h in search(con, "借呗 通讯录", limit=200, all_copies=True)} == set(clusters)
    assert [h["kind"] for h in search(con, "借呗", kind="post", limit=5)] == ["post"] * 5
    con.close()


def test_an_older_corpus_with_the_extension_index_is_migrated(tmp_path):
    """A corpus from before migration 0009 (FTS extension index) opens, drops the old index, and is
    searchable after one build."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " checksum VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)")
    for m in migrations():
        if m.version < 9:
            con.execute(m.sql)
            con.execute("INSERT INTO _migrations VALUES (?, ?, ?, ?)",
                        [m.version, m.name, m.checksum, datetime.now(timezone.utc)])
    con.execute("INSERT INTO search_docs VALUES ('s:1', 'search(bigram@1)', '借呗 协商')")
    con.execute(f"LOAD '{fts_extension_path()}'")
    con.execute("PRAGMA create_fts_index('search_docs', 'doc_id', 'tokens')")
    con.close()

    con = connect_read(db)
    with pytest.raises(Exception, match="no search index yet"):
        search(con, "借呗")
    con.close()
    con = connect_write(db)
    assert not con.execute("SELECT count(*) FROM information_schema.schemata "
                           "WHERE schema_name = 'fts_main_search_docs'").fetchone()[0]
    _add_documents(con, ["借呗逾期想协商还款"])
    SearchIndexPass().run(con)
    con.close()
    con = connect_read(db)
    assert [h["doc_id"] for h in search(con, "借呗 协商")] == ["s:0000"]
    con.close()
