"""A small hand-made corpus for the report and recipe tests (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

DOCS = [
    ("heimao:1", "heimao", "complaint", "借呗暴力催收", "借呗逾期后催收爆通讯录，还威胁要上门。"),
    ("heimao:2", "heimao", "complaint", "微粒贷催收辱骂", "微粒贷的催收人员辱骂我，还打我父母电话。"),
    ("heimao:3", "heimao", "complaint", "借呗协商", "借呗逾期想协商还款，客服不同意。"),
    ("farm:1", "farm", "article", "網貸逾期怎麼辦", "网贷逾期以后要主动协商还款，不要失联，催收爆通讯录可以投诉。"),
    ("farm2:1", "farm2", "article", "网贷逾期怎么办", "网贷逾期以后要主动协商还款，不要失联，催收爆通讯录可以投诉。"),
    ("farm:2", "farm", "article", "红烧肉做法", "今天教大家做红烧肉，先焯水再炒糖色。"),
]
COMPLAINTS = [
    ("heimao:1", "1", "借呗", "resolved", "2024-05-03 10:00:00+08"),
    ("heimao:2", "2", "微粒贷", "replied", "2024-05-20 10:00:00+08"),
    ("heimao:3", "3", "蚂蚁借呗", "in_progress", "2024-08-02 10:00:00+08"),
]
REJECTS = [("fetch", "http_404"), ("fetch", "http_404"), ("extract", "empty_body")]


def make_small_corpus(db: Path) -> Path:
    from lendcorpus.corpus import connect_write
    from lendcorpus.pipelines.search_index import SearchIndexPass
    from lendcorpus.pipelines.tag.corpus_pass import TagPass

    con = connect_write(db)
    for doc_id, source, kind, title, text in DOCS:
        con.execute("INSERT INTO documents (doc_id, source, kind, url, title, text, text_simplified, extractor, "
                    "archive_path, archive_offset) VALUES (?, ?, ?, ?, ?, ?, ?, 'x', 'a', 0)",
                    [doc_id, source, kind, f"https://x.example/{doc_id}", title, text, text])
    for cid, native, company, status, created in COMPLAINTS:
        con.execute("INSERT INTO complaints (complaint_id, platform, native_id, company, status, created_at, narrative)"
                    " VALUES (?, 'heimao', ?, ?, ?, ?::TIMESTAMPTZ, 'x')", [cid, native, company, status, created])
    for stage, reason in REJECTS:
        con.execute("INSERT INTO rejects (url, stage, reason) VALUES ('https://x.example/r', ?, ?)", [stage, reason])
    # farm:1 and farm2:1 are one article copied to two sites; every other document is its own cluster.
    for doc_id, *_ in DOCS:
        cluster = "c:farm:1" if doc_id in ("farm:1", "farm2:1") else f"c:{doc_id}"
        canonical = doc_id != "farm2:1"
        con.execute("INSERT INTO dedup_members VALUES (?, ?, ?, ?, ?, ?)",
                    [doc_id, cluster, canonical, "canonical" if canonical else "exact",
                     None if canonical else "farm:1", None if canonical else 1.0])
    con.execute("INSERT INTO dedup_clusters SELECT cluster_id, any_value(doc_id) FILTER (WHERE is_canonical), "
                "count(*), count(DISTINCT split_part(doc_id, ':', 1)), NULL, "
                "CASE WHEN count(*) > 1 THEN 'exact' ELSE 'single' END FROM dedup_members GROUP BY cluster_id")
    TagPass().run(con)
    SearchIndexPass().run(con)
    con.close()
    return db


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    return make_small_corpus(tmp_path_factory.mktemp("small") / "corpus.duckdb")


@pytest.fixture(scope="session")
def empty_corpus(tmp_path_factory) -> Path:
    from lendcorpus.corpus import connect_write

    db = tmp_path_factory.mktemp("empty") / "corpus.duckdb"
    connect_write(db).close()
    return db
