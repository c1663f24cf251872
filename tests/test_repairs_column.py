"""``documents.repairs`` as a list of structs (migration 0024): the build stores the chain's
repair log as it is, old JSON rows are converted in place, and the log still replays."""

from __future__ import annotations

import json

import duckdb
import pytest

from lendcorpus import corpus
from lendcorpus.corpus import connect_write
from lendcorpus_replay.archivegen import generate_archive
from lendcorpus.pipelines.build import Build
from lendcorpus.pipelines.normalize import normalize_text, replay

_OLD = [
    ("with-note", json.dumps([
        {"step": "mojibake", "start": 0, "end": 6, "before": "鍙鍖栦", "after": "可视化", "note": "utf8-as-gbk"},
        {"step": "pinyin", "start": 4, "end": 11, "before": "(xiàn)", "after": ""}], ensure_ascii=False)),
    ("empty", "[]"),
    ("null", None),
]


def test_migration_converts_json_repairs_in_place(tmp_path, monkeypatch):
    db = tmp_path / "c.duckdb"
    every = corpus.migrations()
    assert any(m.version == 24 for m in every)
    monkeypatch.setattr(corpus, "migrations", lambda: [m for m in every if m.version < 24])
    con = connect_write(db)
    assert con.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = 'documents' "
                       "AND column_name = 'repairs'").fetchone()[0] == "JSON"
    for doc_id, repairs in _OLD:
        con.execute("INSERT INTO documents (doc_id, source, kind, url, text, extractor, archive_path, archive_offset, "
                    "repairs) VALUES (?, 's', 'article', 'https://x.test/', 't', 'e', 'a.warc.gz', 0, ?)",
                    [doc_id, repairs])
    con.close()
    monkeypatch.setattr(corpus, "migrations", lambda: every)
    con = connect_write(db)
    try:
        got = dict(con.execute("SELECT doc_id, repairs FROM documents").fetchall())
        assert got["empty"] == [] and got["null"] is None
        want = [{**r, "note": r.get("note")} for r in json.loads(_OLD[0][1])]
        assert got["with-note"] == want
        # SQL over the structs, as the data dictionary shows
        assert con.execute("SELECT r.step, count(*) FROM documents, unnest(repairs) AS u(r) GROUP BY 1 "
                           "ORDER BY 1").fetchall() == [("mojibake", 1), ("pinyin", 1)]
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("arch")
    generate_archive(root, 120)
    db = tmp_path_factory.mktemp("db") / "c.duckdb"
    Build(db, root=root, jobs=0).run()
    return db


def test_build_stores_the_chains_log_as_structs(built):
    con = duckdb.connect(str(built), read_only=True)
    try:
        rows = con.execute("SELECT text, text_clean, repairs FROM documents ORDER BY doc_id").fetchall()
    finally:
        con.close()
    with_repairs = 0
    for text, clean, repairs in rows:
        n = normalize_text(text)
        assert repairs == [{**r, "note": r.get("note")} for r in n.repairs]
        assert replay(text, repairs) == clean
        with_repairs += bool(repairs)
    assert with_repairs >= 10  # the farm pages carry inline pinyin: the check is not vacuous


def test_export_writes_the_repairs_in_every_format(built, tmp_path):
    """jsonl: a list of objects; csv: the same as JSON text in one cell; parquet: list<struct>."""
    import csv
    import io

    import pyarrow.parquet as pq

    from lc_testkit import run_cli

    con = duckdb.connect(str(built), read_only=True)
    try:
        want = dict(con.execute("SELECT doc_id, repairs FROM documents WHERE len(repairs) > 0 ORDER BY doc_id").fetchall())
    finally:
        con.close()
    common = ["export", "--db", str(built), "--columns", "doc_id,repairs"]
    lines = [json.loads(line) for line in run_cli(*common).stdout.splitlines()]
    got = {r["doc_id"]: r["repairs"] for r in lines if r["repairs"]}
    assert got == want
    rows = list(csv.DictReader(io.StringIO(run_cli(*common, "--format", "csv").stdout)))
    assert {r["doc_id"]: json.loads(r["repairs"]) for r in rows if r["repairs"] not in ("", "[]")} == want
    run_cli(*common, "--format", "parquet", "--out", str(tmp_path / "r.parquet"))
    t = pq.read_table(tmp_path / "r.parquet")
    assert t.schema.field("repairs").type.value_type.names == ["step", "start", "end", "before", "after", "note"]
    assert {d: r for d, r in zip(t.column("doc_id").to_pylist(), t.column("repairs").to_pylist()) if r} == want
