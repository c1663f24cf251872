"""`lendcorpus sql` and `search` cannot write, read outside the corpus, attach, install or load.

Every statement in HARMFUL ran against a real corpus file through the real command; each must be
refused (exit 4, a sentence on stderr), leak nothing and change nothing: the corpus, a second
database and a secret file beside it keep their checksums, and no file appears anywhere.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from lc_testkit import run_cli
from lendcorpus import cli

SECRET = "TOP-SECRET-7f3a"

#: (label, statement). Paths are relative to the test's working folder, which holds data/corpus.duckdb,
#: outside/secret.csv, outside/other.duckdb and the folder exp/ (an EXPORT DATABASE of other.duckdb).
HARMFUL = [
    ("copy over the corpus", "COPY (SELECT 'gone') TO 'data/corpus.duckdb' (FORMAT csv)"),
    ("copy a table out", "COPY documents TO 'out.csv'"),
    ("copy into a table", "COPY documents FROM 'outside/secret.csv'"),
    ("copy into a new parquet", "COPY (SELECT * FROM documents) TO 'out.parquet' (FORMAT parquet)"),
    ("export database", "EXPORT DATABASE 'exported'"),
    ("import database", "IMPORT DATABASE 'exp'"),
    ("copy from database", "COPY FROM DATABASE corpus TO other"),
    ("attach read-write + insert", "ATTACH 'outside/other.duckdb' AS o (READ_WRITE); INSERT INTO o.secret VALUES (1)"),
    ("attach read-only", "ATTACH 'outside/other.duckdb' AS o (READ_ONLY)"),
    ("attach memory", "ATTACH ':memory:' AS m"),
    ("detach", "DETACH corpus"),
    ("use", "USE memory"),
    ("insert", "INSERT INTO rejects (url, stage, reason) VALUES ('x', 'fetch', 'planted')"),
    ("update", "UPDATE documents SET title = 'defaced'"),
    ("delete", "DELETE FROM documents"),
    ("truncate", "TRUNCATE documents"),
    ("drop", "DROP TABLE documents"),
    ("create table", "CREATE TABLE planted AS SELECT 1"),
    ("create temp table", "CREATE TEMP TABLE planted (a INTEGER)"),
    ("create macro", "CREATE OR REPLACE MACRO search_bm25(q) AS TABLE SELECT 1"),
    ("alter", "ALTER TABLE documents ADD COLUMN planted INTEGER"),
    ("comment on", "COMMENT ON TABLE documents IS 'planted'"),
    ("with ... insert", "WITH x AS (SELECT 1) INSERT INTO rejects (url, stage, reason) SELECT 'x', 'f', 'p' FROM x"),
    ("install", "INSTALL httpfs"),
    ("force install from url", "FORCE INSTALL httpfs FROM 'http://127.0.0.1:9/'"),
    ("load extension file", "LOAD 'outside/evil.duckdb_extension'"),
    ("load built-in", "LOAD json"),
    ("update extensions", "UPDATE EXTENSIONS"),
    ("read_text", "SELECT * FROM read_text('outside/secret.csv')"),
    ("read_text /etc/passwd", "SELECT * FROM read_text('/etc/passwd')"),
    ("read_blob", "SELECT * FROM read_blob('outside/secret.csv')"),
    ("read_csv", "SELECT * FROM read_csv('outside/secret.csv', header=false)"),
    ("read_json", "SELECT * FROM read_json_auto('outside/secret.csv')"),
    ("read_parquet", "SELECT * FROM read_parquet('outside/*.parquet')"),
    ("replacement scan of a file", "SELECT * FROM 'outside/secret.csv'"),
    ("scan of another database", "SELECT * FROM 'outside/other.duckdb'"),
    ("glob", "SELECT * FROM glob('outside/*')"),
    ("glob /root", "SELECT * FROM glob('/root/*')"),
    ("sniff_csv", "SELECT * FROM sniff_csv('outside/secret.csv')"),
    ("url read", "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')"),
    ("read inside a subquery", "SELECT (SELECT content FROM read_text('outside/secret.csv')) AS c"),
    ("read inside query()", "SELECT * FROM query('SELECT * FROM read_text(''outside/secret.csv'')')"),
    ("set external access", "SET enable_external_access = true"),
    ("set allowed dirs", "SET allowed_directories = ['/']"),
    ("pragma setter", "PRAGMA threads = 1"),
    ("pragma profiling to file", "PRAGMA enable_profiling"),
    ("reset", "RESET lock_configuration"),
    ("set variable", "SET VARIABLE x = 1"),
    ("select then copy", "SELECT 1; COPY (SELECT 'gone') TO 'data/corpus.duckdb' (FORMAT csv)"),
    ("select then drop", "SELECT 1; DROP TABLE documents"),
    ("select then select", "SELECT 1; SELECT 2"),
    ("checkpoint", "CHECKPOINT"),
    ("force checkpoint", "FORCE CHECKPOINT"),
    ("call", "CALL glob('/root/*')"),
    ("vacuum", "VACUUM"),
    ("analyze", "ANALYZE"),
    ("begin", "BEGIN TRANSACTION"),
    ("prepare", "PREPARE p AS DELETE FROM documents"),
    ("execute", "EXECUTE p"),
    ("create secret", "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')"),
    ("explain analyze copy", "EXPLAIN ANALYZE COPY (SELECT 'gone') TO 'data/corpus.duckdb' (FORMAT csv)"),
    ("explain insert", "EXPLAIN INSERT INTO rejects (url, stage, reason) VALUES ('x', 'f', 'p')"),
    ("pivot creating a type", "PIVOT documents ON kind USING count(*)"),
    ("pragma import_database", "PRAGMA import_database('exp')"),
    ("pragma force_checkpoint", "PRAGMA force_checkpoint"),
    ("pragma profiling output", "PRAGMA profiling_output = 'out.json'"),
    ("empty", "   ;  "),
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def sandbox(tmp_path, small_corpus, monkeypatch) -> Path:
    import duckdb

    (tmp_path / "data").mkdir()
    shutil.copy(small_corpus, tmp_path / "data" / "corpus.duckdb")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text(f"name,value\n{SECRET},1\n", encoding="utf-8")
    other = duckdb.connect(str(outside / "other.duckdb"))
    other.execute(f"CREATE TABLE secret AS SELECT '{SECRET}' AS s")
    other.execute(f"EXPORT DATABASE '{tmp_path / 'exp'}'")
    other.close()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_harmful_table_is_large_enough():
    assert len(HARMFUL) >= 39 and len({q for _, q in HARMFUL}) == len(HARMFUL)


def test_every_harmful_statement_is_refused_and_nothing_changes(sandbox, capsys):
    before = _tree(sandbox)
    db = str(sandbox / "data" / "corpus.duckdb")
    ran = []
    for label, statement in HARMFUL:
        code = cli.main(["sql", statement, "--db", db, "--format", "json"])
        out, err = capsys.readouterr()
        if code != 4 or not err.startswith("refused:") or SECRET in out + err:
            ran.append(f"{label}: exit {code}, stdout {out[:80]!r}, stderr {err[:160]!r}")
    assert ran == [], "harmful statements that were not refused:\n" + "\n".join(ran)
    assert _tree(sandbox) == before  # corpus, other database, secret, export: byte for byte; no new file
    # and the corpus still answers
    assert cli.main(["sql", "SELECT count(*) AS n FROM documents", "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 6}]


def test_refusal_through_the_real_command(sandbox):
    db = sandbox / "data" / "corpus.duckdb"
    before = _sha(db)
    proc = run_cli("sql", "COPY (SELECT 'gone') TO 'data/corpus.duckdb' (FORMAT csv)", "--db", str(db),
                   cwd=sandbox, check=False)
    assert proc.returncode == 4 and "COPY statements are not allowed" in proc.stderr, proc.stderr
    proc = run_cli("sql", "SELECT * FROM read_text('/etc/passwd')", "--db", str(db), cwd=sandbox, check=False)
    assert proc.returncode == 4 and "outside the corpus" in proc.stderr and "root:" not in proc.stdout
    proc = run_cli("sql", "SELECT 1; COPY (SELECT 1) TO 'x.csv'", "--db", str(db), cwd=sandbox, check=False)
    assert proc.returncode == 4 and "one statement at a time" in proc.stderr
    assert _sha(db) == before and not (sandbox / "x.csv").exists()


ANALYST = [
    ("SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind",
     [{"kind": "article", "n": 3}, {"kind": "complaint", "n": 3}]),
    ("WITH c AS (SELECT * FROM complaints) SELECT count(*) AS n FROM c", [{"n": 3}]),
    ("FROM documents SELECT doc_id WHERE source = 'farm2'", [{"doc_id": "farm2:1"}]),
    ("SELECT doc_id FROM search_bm25('暴力催收') ORDER BY score DESC, doc_id LIMIT 1", [{"doc_id": "heimao:1"}]),
    ("SELECT count(*) AS n FROM search_bm25('网贷 逾期', match_all := true)", [{"n": 2}]),
    ("PIVOT (SELECT kind FROM documents) ON kind IN ('article', 'complaint') USING count(*)",
     [{"article": 3, "complaint": 3}]),
    ("VALUES (1)", [{"col0": 1}]),
    ("SELECT 1 AS a; ", [{"a": 1}]),
    ("-- a comment first\nSELECT 2 AS b", [{"b": 2}]),
]


@pytest.mark.parametrize("query,expected", ANALYST)
def test_analyst_queries_still_work(sandbox, capsys, query, expected):
    code = cli.main(["sql", query, "--db", str(sandbox / "data" / "corpus.duckdb"), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == expected


def test_views_describe_show_explain_and_formats(sandbox, capsys):
    db = str(sandbox / "data" / "corpus.duckdb")
    views = [r[0] for r in __import__("lc_testkit").query(
        Path(db), "SELECT view_name FROM duckdb_views() WHERE NOT internal")]
    assert views
    for view in views:
        assert cli.main(["sql", f"SELECT * FROM {view} LIMIT 3", "--db", db]) == 0, capsys.readouterr().err
    for query in ("SHOW TABLES", "DESCRIBE documents", "SUMMARIZE rejects", "PRAGMA show_tables",
                  "PRAGMA table_info('documents')", "EXPLAIN SELECT * FROM documents",
                  "EXPLAIN ANALYZE SELECT count(*) FROM documents"):
        assert cli.main(["sql", query, "--db", db]) == 0, (query, capsys.readouterr().err)
    capsys.readouterr()
    assert cli.main(["sql", "SELECT reason FROM rejects ORDER BY reason", "--db", db, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["reason", "empty_body", "http_404", "http_404"]
    assert cli.main(["sql", "SELECT reason FROM rejects LIMIT 1", "--db", db]) == 0
    assert "(1 row)" in capsys.readouterr().out
    # an ordinary mistake is still an error (exit 1), not a refusal
    assert cli.main(["sql", "SELECT nope FROM documents", "--db", db]) == 1
    assert capsys.readouterr().err.startswith("error:")


def test_search_runs_sandboxed(sandbox, capsys):
    from lendcorpus.commands.search import search
    from lendcorpus.corpus import connect_sandboxed

    db = sandbox / "data" / "corpus.duckdb"
    assert cli.main(["search", "暴力催收", "--db", str(db), "--format", "json"]) == 0
    assert [h["doc_id"] for h in json.loads(capsys.readouterr().out)] == ["heimao:1"]
    con = connect_sandboxed(db)
    try:
        assert search(con, "逾期 协商", limit=5)
        # the stored macro runs with external access off; the guards are on and locked
        assert con.execute("SELECT count(*) FROM search_bm25('催收')").fetchone()[0] >= 3
        assert con.execute("SELECT current_setting('enable_external_access')").fetchone()[0] is False
        with pytest.raises(Exception, match="locked"):
            con.execute("SET enable_external_access = true")
        with pytest.raises(Exception, match="disabled by configuration"):
            con.execute("SELECT * FROM read_text('outside/secret.csv')")
    finally:
        con.close()


@pytest.mark.parametrize("statement,named", [("INSTALL httpfs", "INSTALL and LOAD statements are not allowed"),
                                             ("LOAD json", "INSTALL and LOAD statements are not allowed"),
                                             ("UPDATE EXTENSIONS", "UPDATE EXTENSIONS statements are not allowed"),
                                             ("ATTACH 'outside/other.duckdb' AS o (READ_WRITE)",
                                              "ATTACH statements are not allowed")])
def test_refusal_names_what_was_typed(sandbox, capsys, statement, named):
    assert cli.main(["sql", statement, "--db", str(sandbox / "data" / "corpus.duckdb")]) == 4
    assert capsys.readouterr().err.startswith(f"refused: {named}")
