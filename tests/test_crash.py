"""Kill matrix: a build killed at any moment leaves a corpus the next command opens and the next
build completes, equal to a clean build.

Real ``lendcorpus build`` processes on a real archive (the fixture farm's pages, several WARC
files), killed with SIGKILL at named stages (``LENDCORPUS_CRASH_AT``, lendcorpus/crashpoints.py)
and after timed delays spread over a clean build's duration.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from lendcorpus import corpus
from lendcorpus.archive import Exchange, RotatingWarcWriter
from lendcorpus.pipelines.passes import corpus_passes
from lendcorpus_replay import SITES_DIR as SITES

from lc_testkit import REPO, run_cli



@pytest.fixture(scope="module")
def farm_archive(tmp_path_factory) -> Path:
    """Every fixture page of two farm sites, archived as a crawl would, over several WARC files."""
    root = tmp_path_factory.mktemp("archive")
    w = RotatingWarcWriter(root / "farm-run", "farm-w0", max_bytes=40_000, warcinfo={"spider": "farm", "run": "farm-run"})
    for host in ("www.jiedai-baike.example", "www.daikuan-wenda.example"):
        for page in sorted((SITES / host).rglob("*.html")):
            path = "/" + page.relative_to(SITES / host).as_posix()
            w.write(Exchange(url=f"https://{host}{path}", method="GET", request_headers=[], request_body=b"",
                             status=200, response_headers=[("Content-Type", "text/html; charset=utf-8")],
                             body=page.read_bytes(), fetched_at=1_700_000_000.0))
    w.close()
    assert len(list((root / "farm-run").glob("*.warc.gz"))) >= 3
    return root


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def build_cmd(db: Path, archive: Path) -> list[str]:
    return [sys.executable, "-m", "lendcorpus.cli", "build", "--db", str(db), "--archive", str(archive)]


def killed_build(db: Path, archive: Path, *, at: str | None = None, after: float | None = None) -> int:
    env = dict(os.environ)
    if at:
        env["LENDCORPUS_CRASH_AT"] = at
    proc = subprocess.Popen(build_cmd(db, archive), env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    if after is not None:
        try:
            proc.wait(timeout=after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=600)
    assert "Traceback" not in err, err[-3000:]
    return proc.returncode


def recovers(db: Path, archive: Path, clean: dict[str, int], extra: dict[str, int] | None = None) -> None:
    """The next command opens the corpus, the next build completes, and equals a clean build
    (plus ``extra`` rows a killed process committed before it died)."""
    if db.exists():
        opened = run_cli("sql", "SELECT count(*) AS n FROM _migrations", "--db", str(db), "--format", "csv",
                         check=False)
        assert opened.returncode == 0, opened.stderr[-2000:]
    run_cli("build", "--db", str(db), "--archive", str(archive))
    assert counts(db) == {t: n + (extra or {}).get(t, 0) for t, n in clean.items()}
    assert not list(db.parent.glob(f".{db.name}.*"))  # no side file of a killed creation is left


@pytest.fixture(scope="module")
def clean_build(farm_archive, tmp_path_factory) -> tuple[dict[str, int], float]:
    db = tmp_path_factory.mktemp("clean") / "corpus.duckdb"
    started = time.monotonic()
    run_cli("build", "--db", str(db), "--archive", str(farm_archive))
    elapsed = time.monotonic() - started
    clean = counts(db)
    assert clean["documents"] > 20 and clean["fetches"] > 20
    run_cli("build", "--db", str(db), "--archive", str(farm_archive))  # a second build changes nothing
    assert counts(db) == clean
    return clean, elapsed


NAMED = ["create:before-link", "open:before-checkpoint", "open:ready", "build:file-committed",
         *[f"build:before-pass:{p.name}" for p in corpus_passes()]]


@pytest.mark.parametrize("point", NAMED)
def test_kill_at_named_stage(point, farm_archive, clean_build, tmp_path):
    clean, _ = clean_build
    db = tmp_path / "corpus.duckdb"
    assert killed_build(db, farm_archive, at=point) == -signal.SIGKILL
    recovers(db, farm_archive, clean)


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.4, 0.55, 0.7, 0.85])
def test_kill_after_a_delay(fraction, farm_archive, clean_build, tmp_path):
    clean, elapsed = clean_build
    db = tmp_path / "corpus.duckdb"
    killed_build(db, farm_archive, after=fraction * elapsed)
    recovers(db, farm_archive, clean)


def test_kill_twice_then_again_mid_recovery(farm_archive, clean_build, tmp_path):
    clean, elapsed = clean_build
    db = tmp_path / "corpus.duckdb"
    killed_build(db, farm_archive, at="build:file-committed")
    killed_build(db, farm_archive, after=0.5 * elapsed)
    recovers(db, farm_archive, clean)


def _old_corpus(db: Path, upto: int) -> None:
    """A corpus made by an older lendcorpus: only the first ``upto`` migrations applied."""
    old = [m for m in corpus.migrations() if m.version <= upto]
    con = duckdb.connect(str(db))
    real = corpus.migrations
    corpus.migrations = lambda: old
    try:
        corpus.migrate(con)
    finally:
        corpus.migrations = real
    con.execute("CHECKPOINT")
    con.close()


@pytest.mark.parametrize("point", ["migrate:before-commit:0004", "migrate:after-commit:0002",
                                   "migrate:after-commit:0004"])
def test_kill_during_schema_upgrade(point, farm_archive, clean_build, tmp_path):
    """The issue's brick: ALTER TABLE ... ADD COLUMN left in the log of a table with DEFAULT now()."""
    clean, _ = clean_build
    db = tmp_path / "corpus.duckdb"
    _old_corpus(db, upto=1)
    assert killed_build(db, farm_archive, at=point) == -signal.SIGKILL
    opened = run_cli("sql", "SELECT count(*) FROM _migrations", "--db", str(db))  # the next command opens
    assert "Traceback" not in opened.stderr
    proc = run_cli("build", "--db", str(db), "--archive", str(farm_archive))
    backups = list(tmp_path.glob("corpus.duckdb.wal.unreplayable-*"))
    if point == "migrate:after-commit:0004":
        # this is the state that bricked the corpus on main: the log cannot be replayed
        assert len(backups) == 1 and "could not be replayed" in proc.stderr and backups[0].name in proc.stderr
    assert counts(db) == clean
    run_cli("sql", "SELECT count(*) FROM documents", "--db", str(db))


# -- the issue's own reproduction: connect_write a new file, then kill -9 the process -----------------

#: a process that opens a NEW corpus with connect_write, does ``then`` on it, and SIGKILLs itself
#: (nothing closed, nothing checkpointed after ``then``)
SELF_KILL = """
import os, signal, sys
from lendcorpus.corpus import connect_write
con = connect_write(sys.argv[1])
{then}
os.kill(os.getpid(), signal.SIGKILL)
"""

AFTER_OPEN = {
    "nothing": "",
    "committed row in a DEFAULT now() table": "con.execute(\"INSERT INTO crawl_runs (run_id) VALUES ('r1')\")",
    "open transaction": "con.execute('BEGIN'); con.execute(\"INSERT INTO crawl_runs (run_id) VALUES ('r2')\")",
    # what bricked the corpus on main: ADD COLUMN on a table with DEFAULT now() left in the log
    "ALTER TABLE ADD COLUMN in the log": "con.execute('ALTER TABLE crawl_runs ADD COLUMN planted INTEGER')",
}


@pytest.mark.parametrize("then", list(AFTER_OPEN))
def test_connect_write_on_a_new_file_then_kill_9(then, farm_archive, clean_build, tmp_path):
    clean, _ = clean_build
    db = tmp_path / "corpus.duckdb"
    proc = subprocess.run([sys.executable, "-c", SELF_KILL.format(then=AFTER_OPEN[then]), str(db)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert db.exists()
    if then.startswith("ALTER"):  # the brick is real: plain DuckDB cannot open this file
        plain = subprocess.run([sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)",
                                str(db)], capture_output=True, text=True, timeout=120)
        assert plain.returncode != 0 and "WAL" in plain.stderr, plain.stderr[-2000:]
    committed = then.startswith("committed")
    recovers(db, farm_archive, clean, extra={"crawl_runs": 1} if committed else None)
    if committed:  # what was committed before the kill is still there
        con = duckdb.connect(str(db), read_only=True)
        assert con.execute("SELECT count(*) FROM crawl_runs WHERE run_id = 'r1'").fetchone() == (1,)
        con.close()
    if then == "ALTER TABLE ADD COLUMN in the log":
        # the log could not be replayed: it was set aside under a name the build said, not deleted
        assert len(list(tmp_path.glob("corpus.duckdb.wal.unreplayable-*"))) == 1


@pytest.mark.parametrize("fraction", [0.15, 0.35, 0.55, 0.75, 0.95])
def test_connect_write_on_a_new_file_killed_from_outside(fraction, farm_archive, clean_build, tmp_path):
    """SIGKILL at moments spread over a new corpus's creation (schema, views, checkpoints)."""
    clean, _ = clean_build
    probe = tmp_path / "probe.duckdb"
    code = "import sys; from lendcorpus.corpus import connect_write; connect_write(sys.argv[1]).close()"
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", code, str(probe)], cwd=REPO, check=True, timeout=300)
    took = time.monotonic() - started
    db = tmp_path / "corpus.duckdb"
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=fraction * took)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert "Traceback" not in err, err[-2000:]
    recovers(db, farm_archive, clean)
