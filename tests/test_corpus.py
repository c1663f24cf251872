"""The corpus file: migrations, one writer, read-only queries with clear refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import duckdb
import pytest

from lendcorpus import corpus
from lendcorpus.corpus import CorpusError, CorpusInUse, connect_read, connect_write, migrations

from lc_testkit import run_cli


def test_migrations_apply_once_in_order_and_are_recorded(tmp_path):
    db = tmp_path / "c.duckdb"
    con = connect_write(db)
    rows = con.execute("SELECT version, name FROM _migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [m.version for m in migrations()]
    assert corpus.migrate(con) == []  # nothing left to apply
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"crawl_runs", "archive_files", "fetches", "documents", "rejects"} <= tables
    con.close()


def test_edited_migration_is_refused(tmp_path, monkeypatch):
    db = tmp_path / "c.duckdb"
    connect_write(db).close()
    real = migrations()
    edited = [corpus.Migration(m.version, m.name, m.sql + "\n-- edited") for m in real]
    monkeypatch.setattr(corpus, "migrations", lambda: edited)
    with pytest.raises(CorpusError, match="changed after it was applied"):
        connect_write(db)


def test_failed_migration_rolls_back(tmp_path, monkeypatch):
    db = tmp_path / "c.duckdb"
    connect_write(db).close()
    bad = migrations() + [corpus.Migration(999, "broken", "CREATE TABLE half (x INT); SELECT * FROM nowhere;")]
    monkeypatch.setattr(corpus, "migrations", lambda: bad)
    with pytest.raises(duckdb.Error):
        connect_write(db)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'").fetchone()[0] == 0
    assert con.execute("SELECT max(version) FROM _migrations").fetchone()[0] < 999
    con.close()


def test_second_writer_gets_corpus_in_use(tmp_path):
    db = tmp_path / "c.duckdb"
    connect_write(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from lendcorpus.corpus import connect_write
            con = connect_write({str(db)!r})
            print("held", flush=True)
            time.sleep(300)
        """)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CorpusInUse, match="corpus is in use"):
            connect_write(db, wait=1)  # (the default wait, 30 s, raced the holder's old 30 s sleep)
        with pytest.raises(CorpusInUse):
            connect_read(db)
        proc = run_cli("sql", "SELECT 1", "--db", str(db), check=False)
        assert proc.returncode == 3 and "corpus is in use" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        holder.kill()
        holder.wait()


def test_sql_is_read_only_and_formats(tmp_path):
    db = tmp_path / "c.duckdb"
    con = connect_write(db)
    con.execute("INSERT INTO rejects (url, stage, reason) VALUES ('https://x.example/1', 'fetch', 'http_404')")
    con.close()
    out = run_cli("sql", "SELECT stage, reason, count(*) AS n FROM rejects GROUP BY ALL", "--db", str(db),
                  "--format", "json").stdout
    assert json.loads(out) == [{"stage": "fetch", "reason": "http_404", "n": 1}]
    csv_out = run_cli("sql", "SELECT reason FROM rejects", "--db", str(db), "--format", "csv").stdout
    assert csv_out.splitlines() == ["reason", "http_404"]
    table = run_cli("sql", "SELECT reason FROM rejects", "--db", str(db)).stdout
    assert "http_404" in table and "(1 row)" in table
    refused = run_cli("sql", "DELETE FROM rejects", "--db", str(db), check=False)
    assert refused.returncode == 4 and "read-only" in refused.stderr
    still = run_cli("sql", "SELECT count(*) AS n FROM rejects", "--db", str(db), "--format", "json").stdout
    assert json.loads(still) == [{"n": 1}]


def test_sql_on_missing_corpus_says_what_to_do(tmp_path):
    proc = run_cli("sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb"), check=False)
    assert proc.returncode == 3 and "lendcorpus build" in proc.stderr


def test_empty_result_is_not_an_error(tmp_path):
    db = tmp_path / "c.duckdb"
    connect_write(db).close()
    out = run_cli("sql", "SELECT * FROM documents", "--db", str(db), "--format", "json").stdout
    assert json.loads(out) == []


def test_kill_right_after_connect_write_leaves_an_openable_corpus(tmp_path):
    """Issue 13: a kill before DuckDB's first checkpoint left a log nothing could replay."""
    db = tmp_path / "c.duckdb"
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal
        from lendcorpus.corpus import connect_write
        connect_write({str(db)!r})
        os.kill(os.getpid(), signal.SIGKILL)
    """)])
    assert proc.returncode == -9
    con = connect_read(db)
    assert con.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(migrations())
    con.close()
    connect_write(db).close()


def test_unreplayable_log_is_set_aside_with_a_named_backup(tmp_path, caplog):
    """A kill between a schema change and the next checkpoint: readers explain, the writer recovers."""
    db = tmp_path / "c.duckdb"
    old = [m for m in migrations() if m.version == 1]
    con = duckdb.connect(str(db))
    real = corpus.migrations
    corpus.migrations = lambda: old
    try:
        corpus.migrate(con)
    finally:
        corpus.migrations = real
    con.close()
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from lendcorpus.corpus import connect_write
        connect_write({str(db)!r})
    """)], env={**os.environ, "LENDCORPUS_CRASH_AT": "migrate:after-commit:0002"})
    assert proc.returncode == -9
    wal = tmp_path / "c.duckdb.wal"
    assert wal.exists()
    size = wal.stat().st_size
    with caplog.at_level("WARNING"):  # readers see the last checkpoint and leave the log alone
        reader = connect_read(db)
    assert reader.execute("SELECT max(version) FROM _migrations").fetchone()[0] == 1
    reader.close()
    assert "as of its last checkpoint" in caplog.text and wal.stat().st_size == size
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    proc = subprocess.run([sys.executable, "-m", "lendcorpus.cli", "sql", "SELECT count(*) FROM _migrations",
                           "--db", str(db), "--format", "csv"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.split() == ["count_star()", "1"]
    assert "last checkpoint" in proc.stderr and "Traceback" not in proc.stderr
    caplog.clear()
    with caplog.at_level("WARNING"):
        con = connect_write(db)
    (backup,) = tmp_path.glob("c.duckdb.wal.unreplayable-*")
    assert backup.stat().st_size == size and not wal.exists()
    assert backup.name in caplog.text and "Lost:" in caplog.text
    assert [r[0] for r in con.execute("SELECT version FROM _migrations ORDER BY 1").fetchall()] == \
        [m.version for m in migrations()]
    con.close()
    connect_read(db).close()
