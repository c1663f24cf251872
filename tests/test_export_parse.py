"""`lendcorpus export` and `lendcorpus parse` on the demo corpus, and a closed pipe on output."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from lendcorpus_replay import SITES_DIR

from lc_testkit import REPO, query, run_cli


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    run_cli("demo", "--quiet", env={"LENDCORPUS_HOME": str(home)}, timeout=240)
    return home


@pytest.fixture(scope="module")
def db(home) -> Path:
    return home / "corpus.duckdb"


def test_export_jsonl_is_every_document_one_per_line(db):
    out = run_cli("export", "--db", str(db)).stdout.splitlines()
    rows = [json.loads(line) for line in out]
    assert len(rows) == query(db, "SELECT count(*) FROM documents")[0][0]
    assert [r["doc_id"] for r in rows] == sorted(r["doc_id"] for r in rows)
    first = rows[0]
    assert {"doc_id", "text", "text_simplified", "cluster_id", "relevant", "practices"} <= set(first)
    original = query(db, "SELECT text FROM documents WHERE doc_id = ?", [first["doc_id"]])[0][0]
    assert first["text"] == original  # the original text, not a derived one


def test_export_filters_match_sql(db, tmp_path):
    path = tmp_path / "out.csv"
    run_cli("export", "--db", str(db), "--format", "csv", "--out", str(path), "--source", "heimao",
            "--relevant", "--canonical", "--since", "2024-01-01", "--until", "2030-01-01",
            "--columns", "doc_id,title,practices")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = {r[0] for r in query(db, (
        "SELECT d.doc_id FROM documents d JOIN document_tags t USING (doc_id) "
        "LEFT JOIN dedup_members m USING (doc_id) WHERE d.source = 'heimao' AND t.relevant "
        "AND coalesce(m.is_canonical, TRUE) AND d.published_at >= TIMESTAMPTZ '2024-01-01' "
        "AND d.published_at < TIMESTAMPTZ '2030-01-01'"))}
    assert expected and {r["doc_id"] for r in rows} == expected
    assert list(rows[0]) == ["doc_id", "title", "practices"]
    assert all(isinstance(json.loads(r["practices"]), list) for r in rows)


def test_export_parquet_keeps_types_and_is_atomic(db, tmp_path):
    path = tmp_path / "complaints.parquet"
    run_cli("export", "--db", str(db), "--format", "parquet", "--out", str(path), "--kind", "complaint")
    table = pq.read_table(path)
    n = query(db, "SELECT count(*) FROM documents WHERE kind = 'complaint'")[0][0]
    assert table.num_rows == n > 0
    assert str(table.schema.field("published_at").type).startswith("timestamp")
    assert str(table.schema.field("practices").type).startswith("list")
    assert not list(tmp_path.glob("*.partial"))


def test_export_redact_scrubs_text(db, tmp_path):
    rows = [json.loads(x) for x in run_cli("export", "--db", str(db), "--kind", "post", "--redact",
                                           "--columns", "doc_id,text").stdout.splitlines()]
    raw = dict(query(db, "SELECT doc_id, text FROM documents WHERE kind = 'post'"))
    from lendcorpus.pipelines.redact import scrub

    assert all(r["text"] == scrub(raw[r["doc_id"]])[0] for r in rows)
    assert any(r["text"] != raw[r["doc_id"]] for r in rows)  # forum posts carry (invented) handles and numbers


@pytest.mark.parametrize("args, message", [
    (["--source", "nosuch"], "no documents with source nosuch"),
    (["--kind", "nosuchkind"], "no documents with kind nosuchkind"),
    (["--columns", "doc_id,secret"], "unknown column(s) secret"),
    (["--format", "parquet"], "parquet needs a file"),
])
def test_export_refuses_bad_options(db, args, message):
    proc = run_cli("export", "--db", str(db), *args, check=False)
    assert proc.returncode == 2 and message in proc.stderr and proc.stdout == ""


def test_parse_archived_complaint_shows_rows_tags_and_provenance(db):
    url = query(db, "SELECT url FROM fetches WHERE page_kind = 'complaint' AND status = 200 ORDER BY url LIMIT 1")[0][0]
    out = json.loads(run_cli("parse", url, "--db", str(db), "--json").stdout)
    assert out["page_kind"] == "complaint" and out["archive"]["offset"] >= 0
    assert {r["table"] for r in out["rows"]} >= {"complaints"}
    (doc,) = out["documents"]
    stored = query(db, "SELECT d.text, d.text_simplified, t.practices, d.boilerplate_lines FROM documents d "
                       "JOIN document_tags t USING (doc_id) WHERE doc_id = ?", [doc["doc_id"]])[0]
    assert doc["text"] == stored[0] and doc["text_simplified"] == stored[1]
    # the page's own tags are over its whole text; the corpus's after learned boilerplate is removed
    from lendcorpus.pipelines.tag.practices import PracticeTagger

    assert sorted({p["practice"] for p in doc["tags"]["practices"]}) == \
        sorted({m.code for m in PracticeTagger().find(stored[1])})
    assert doc["in_corpus"]["practices"] == list(stored[2])
    assert doc["in_corpus"]["boilerplate_lines"] == stored[3]
    readable = run_cli("parse", url, "--db", str(db)).stdout
    assert doc["doc_id"] in readable and "not applied here" in readable


def test_parse_reject_says_why_and_exits_1(db):
    url, reason = query(db, "SELECT url, stage || ':' || reason FROM rejects WHERE stage = 'fetch' "
                            "AND reason LIKE 'http_%' ORDER BY url LIMIT 1")[0]
    proc = run_cli("parse", url, "--db", str(db), check=False)
    assert proc.returncode == 1 and f"REJECT     {reason}" in proc.stdout


def test_parse_scans_the_archive_without_a_corpus(home, tmp_path, db):
    url = query(db, "SELECT url FROM documents WHERE kind = 'article' ORDER BY url LIMIT 1")[0][0]
    out = json.loads(run_cli("parse", url, "--db", str(tmp_path / "none.duckdb"), "--archive",
                             str(home / "archive"), "--json").stdout)
    assert out["url"] == url and out["documents"][0]["doc_id"] in {r[0] for r in query(db, "SELECT doc_id FROM documents WHERE url = ?", [url])}


def test_parse_local_file_with_and_without_rules(tmp_path):
    page = SITES_DIR / "www.jiedai-baike.example/a/1018.html"
    url = "https://www.jiedai-baike.example/a/1018.html"
    ruled = json.loads(run_cli("parse", str(page), "--url", url, "--json").stdout)["documents"][0]
    assert ruled["doc_id"] == "jiedai_baike:1018" and ruled["extractor"].startswith("rules:jiedai_baike@")
    generic = json.loads(run_cli("parse", str(page), "--json").stdout)["documents"][0]
    assert generic["source"] == "web" and generic["extractor"].startswith("generic")
    # --rules: a rules file being written is used instead of the installed ones
    rules = (REPO / "crawler/sites/jiedai_baike.toml").read_text(encoding="utf-8")
    mine = tmp_path / "mine.toml"
    mine.write_text(rules.replace('name = "jiedai_baike"', 'name = "my_site"'), encoding="utf-8")
    own = json.loads(run_cli("parse", str(page), "--url", url, "--rules", str(mine), "--json").stdout)
    assert own["documents"][0]["doc_id"] == "my_site:1018"
    proc = run_cli("parse", str(tmp_path / "missing.html"), check=False)
    assert proc.returncode == 2 and "neither an http(s) URL nor a file" in proc.stderr


@pytest.mark.parametrize("args", [["sql", "SELECT * FROM fetches"], ["export"]])
def test_closed_pipe_is_quiet(db, args):
    proc = subprocess.Popen([sys.executable, "-m", "lendcorpus.cli", *args, "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.close()  # what `| head -0` does: the reader is gone before the first write
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_sql_jsonl_is_one_object_per_line(db):
    out = run_cli("sql", "SELECT doc_id, published_at FROM documents ORDER BY doc_id LIMIT 5", "--db", str(db),
                  "--format", "jsonl").stdout.splitlines()
    rows = [json.loads(line) for line in out]
    assert [r["doc_id"] for r in rows] == [r[0] for r in query(db, "SELECT doc_id FROM documents ORDER BY doc_id LIMIT 5")]


def test_search_unknown_kind_is_an_error_not_no_matches(db):
    proc = run_cli("search", "催收", "--kind", "nosuchkind", "--db", str(db), check=False)
    assert proc.returncode == 2 and "no documents of kind 'nosuchkind'" in proc.stderr and "complaint" in proc.stderr
