"""Progress and logs of the long commands as users see them (issue 16): the CLI run once on a
pseudo-terminal (rich bars, redrawn) and once on a pipe (plain lines a log can keep), and the output
shapes compared. Real crawls over loopback, real builds and releases; no timing is asserted.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from lc_testkit import FAST, REPO, archived, run_cli
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR

HOST = "www.jiedai-baike.example"

BAR = "━"  # rich's bar glyph
ANSI = "\x1b["


def run_in_pty(*args: str, env: dict, timeout: float = 300) -> tuple[int, str]:
    """``lendcorpus ARGS`` with a pseudo-terminal as stdin, stdout and stderr; (exit code, output)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the CLI
        os.chdir(REPO)
        os.environ.update(env)
        os.environ.pop("LENDCORPUS_PROGRESS", None)
        os.execv(sys.executable, [sys.executable, "-m", "lendcorpus.cli", *args])
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out += data
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def _env(home: Path, **extra: str) -> dict:
    env = {"LENDCORPUS_HOME": str(home), **extra}
    return env


def _pipe(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    """As a cron job or `2> log` sees it (stderr a pipe), whatever the test runner's terminal."""
    return run_cli(*args, env={**env, "LENDCORPUS_PROGRESS": ""}, check=check)


# -- crawl -----------------------------------------------------------------------------------------

def test_crawl_in_a_log_first_line_is_the_run_folder_scrapy_quiet_and_plain_progress(tmp_path, replay):
    home = tmp_path / "home"
    proc = _pipe("crawl", "jiedai_baike", "--replay", replay.address, *FAST, env=_env(home))
    lines = proc.stderr.splitlines()
    run_dir = next((home / "archive" / "jiedai_baike").iterdir())
    assert lines[0] == f"run folder: {run_dir}"
    assert ANSI not in proc.stderr and BAR not in proc.stderr
    # Scrapy's own INFO (banner, enabled middlewares, stats dump) is not there by default
    assert not [line for line in lines if re.search(r"\[(scrapy|spidermon)[\w.]*\] INFO:", line)]
    assert "Enabled extensions" not in proc.stderr and "Dumping Scrapy stats" not in proc.stderr
    assert "[Spidermon]" not in proc.stderr
    # the timed-out page: one line (it is archived and counted as a reject), not Twisted's traceback
    slow = json.loads((REPLAY_SITES_DIR / HOST / "_manifest.json").read_text(encoding="utf-8"))["special"]["slow"]
    assert f"ERROR: Error downloading <GET https://{HOST}{slow['path']}>" in proc.stderr
    assert "Traceback" not in proc.stderr
    # lendcorpus's own lines still are: one plain progress line at the end with totals and counts
    final = [line for line in lines if "[lendcorpus.progress] INFO: crawl jiedai_baike:" in line]
    assert final, proc.stderr[-2000:]
    m = re.search(r"crawl jiedai_baike: (\d+)/(\d+) pages \(100%\) · [\d.]+ pages/s · done in \d+:\d\d:\d\d · "
                  r"finished · queue 0 · in flight 0 · archived (\d+) · rejects (\d+) · blocks 0 · "
                  r"from archive 0 · documents (\d+)$", final[-1])
    assert m, final[-1]
    assert m.group(1) == m.group(2) and int(m.group(3)) == len(archived(run_dir))
    assert int(m.group(4)) == 4  # 404, 500, robots.txt refusal, timeout (the summary says the same)
    assert "rejects 4: http_404 1, http_500 1, robots_forbidden 1, timeout 1" in proc.stderr
    assert lines[-2:] == ["ok (exit 0)", "jiedai_baike: finished"]


def test_crawl_verbose_flags_let_scrapy_log_through(tmp_path, replay):
    home = tmp_path / "home"
    one = _pipe("crawl", "jiedai_baike", "--replay", replay.address, *FAST, "-v", env=_env(home))
    assert one.stderr.splitlines()[0].startswith("run folder: ")
    assert "[scrapy.middleware] INFO: Enabled extensions" in one.stderr
    assert "[scrapy.core.engine] INFO: Spider closed (finished)" in one.stderr
    assert "] DEBUG: " not in one.stderr
    assert "Traceback" in one.stderr and "DownloadTimeoutError" in one.stderr  # -v keeps the whole story
    two = _pipe("crawl", "jiedai_baike", "--replay", replay.address, *FAST, "-vv", env=_env(home))
    assert "[scrapy.core.engine] DEBUG: Crawled (200)" in two.stderr
    assert two.stderr.splitlines()[0].startswith("run folder: ")


def test_crawl_on_a_terminal_draws_bars_not_log_lines(tmp_path, replay):
    home = tmp_path / "home"
    code, out = run_in_pty("crawl", "jiedai_baike", "--replay", replay.address, *FAST, env=_env(home))
    assert code == 0, out[-3000:]
    run_dir = next((home / "archive" / "jiedai_baike").iterdir())
    assert out.splitlines()[0].strip() == f"run folder: {run_dir}"
    assert ANSI in out and BAR in out
    assert "crawl jiedai_baike" in out and " pages " in out and "ETA" in out
    assert "in flight" in out and "queue" in out and "blocks" in out
    assert "[lendcorpus.progress]" not in out  # the bar replaces the log lines
    assert "crawl summary" in out and "ok (exit 0)" in out


def test_ctrl_c_says_what_the_graceful_stop_waits_for(tmp_path, replay):
    home = tmp_path / "home"
    job = home / "archive" / "jiedai_baike" / "run"
    slow = ["-s", "DOWNLOAD_DELAY=0.2", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=0"]
    proc = subprocess.Popen([sys.executable, "-m", "lendcorpus.cli", "crawl", "jiedai_baike", "--replay",
                             replay.address, "--new", "--job", str(job), *slow],
                            env={**os.environ, **_env(home), "LENDCORPUS_PROGRESS": ""}, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not job.exists() or len(archived(job)) < 5):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err[-3000:]
    assert re.search(r"Ctrl-C: stopping gracefully\. Waiting for \d+ request\(s\) in flight to be answered or to "
                     r"time out \(at most 2 s, DOWNLOAD_TIMEOUT\) and be archived, then closing the WARC files and "
                     r"run\.json\. Press Ctrl-C again to stop at once\.", err), err[-3000:]
    assert f"Resume later with --job {job}." in err
    assert "STOPPED: shutdown" in err and "FAILED (exit 1)" in err


# -- build and release -----------------------------------------------------------------------------

PASSES = ["normalize", "boilerplate", "dedup", "tags", "search"]


def test_build_and_release_progress_in_a_log_and_on_a_terminal(tmp_path):
    from lendcorpus.archive import warc_files
    from lendcorpus_replay.archivegen import generate_archive
    from lendcorpus.progress import human_bytes

    archive = tmp_path / "archive"
    generate_archive(archive, 120, max_bytes=200_000)
    files = warc_files(archive)
    assert len(files) > 2
    total = human_bytes(sum(f.stat().st_size for f in files))
    env = _env(tmp_path / "home")
    db = tmp_path / "log.duckdb"

    # in a log: one plain line per task at its end, a started line per pass, the summary, no escapes
    proc = _pipe("build", "--db", str(db), "--archive", str(archive), "--jobs", "1", env=env)
    err = proc.stderr
    assert ANSI not in err and BAR not in err
    assert re.search(rf"^load archive: {re.escape(total)}/{re.escape(total)} \(100%\) · [\d.]+ \w+/s · done in "
                     rf"\d+:\d\d:\d\d · files {len(files)}/{len(files)} · records \d+ · new documents \d+ · rejects \d+$",
                     err, re.M), err[:2000]
    for name in PASSES:
        assert re.search(rf"^pass {name}: started \({re.escape(name)}", err, re.M), name
        assert re.search(rf"^pass {name}: .*done in \d+:\d\d:\d\d", err, re.M), name
    assert err.index("load archive:") < err.index("pass normalize: started") < err.index("pass search: started")
    summary = err[err.index("build summary"):].splitlines()
    assert summary[1].startswith(f"  archive: {len(files)} file(s) loaded, 0 already loaded · {total} read · ")
    assert summary[-1] == "ok (exit 0)" and len(summary) <= 10
    assert proc.stdout.startswith("build: files loaded")  # the line scripts read is unchanged

    # nothing new: the load says so, the summary too
    again = _pipe("build", "--db", str(db), "--archive", str(archive), "--jobs", "1", env=env).stderr
    assert re.search(r"^load archive: done in \d+:\d\d:\d\d · files 0/0 ", again, re.M), again[:2000]
    assert f"  archive: 0 file(s) loaded, {len(files)} already loaded · 0 B read · 0 records" in again

    # on a terminal: bars with rate and ETA instead of those lines
    code, out = run_in_pty("build", "--db", str(tmp_path / "tty.duckdb"), "--archive", str(archive), "--jobs", "1",
                           env=env)
    assert code == 0, out[-3000:]
    assert ANSI in out and BAR in out and "load archive" in out and "ETA" in out
    assert all(f"pass {name}" in out for name in PASSES)
    assert "build summary" in out and "ok (exit 0)" in out

    # release: one task per table, rows of the table's total, shard by shard
    rel = _pipe("release", "--db", str(db), "--version", "2026.12", "--out", str(tmp_path / "rel" / "2026.12"),
                "--workers", "1", "--csv", env=env)
    manifest = json.loads((tmp_path / "rel" / "2026.12" / "manifest.json").read_text())
    for table, info in manifest["tables"].items():
        rows = info["rows"]
        if rows:
            assert re.search(rf"^release {table}: {rows:,}/{rows:,} rows \(100%\) · [\d.]+ rows/s · done in "
                             rf"\d+:\d\d:\d\d · \d+ shard\(s\)", rel.stderr, re.M), (table, rel.stderr[:3000])
        else:
            assert re.search(rf"^release {table}: done in ", rel.stderr, re.M), table
    assert re.search(r"^release CSV copies: (\d+)/\1 shards \(100%\)", rel.stderr, re.M)
    assert ANSI not in rel.stderr


def test_pass_bars_know_their_totals_before_they_start(tmp_path):
    """Each pass's task gets the number of documents it will read before the first chunk is done
    (a count of the same query), so its bar has a total and an ETA, not only a count."""
    import io

    from lendcorpus_replay.archivegen import generate_archive
    from lendcorpus.pipelines.build import Build
    from lendcorpus.progress import Progress

    archive = tmp_path / "archive"
    generate_archive(archive, 60)
    out = io.StringIO()
    board = Progress(mode="log", stream=out, interval=0.0)  # every change is a line
    stats = Build(tmp_path / "c.duckdb", root=archive, jobs=0, board=board).run()
    board.close()
    lines = out.getvalue().splitlines()
    docs = stats.documents
    for name in ("tags", "search"):
        mine = [line for line in lines if line.startswith(f"pass {name}: ") and "started" not in line]
        assert mine[0] == f"pass {name}: 0/{docs:,} docs (0%) · 0.0 docs/s", mine[:3]
        assert mine[-1].startswith(f"pass {name}: {docs:,}/{docs:,} docs (100%)")
    # off: the same build without the count queries still counts its chunks
    out2 = io.StringIO()
    board = Progress(mode="log", stream=out2, interval=0.0)
    Build(tmp_path / "d.duckdb", root=archive, jobs=0, board=board, pass_totals=False).run()
    board.close()
    first = next(line for line in out2.getvalue().splitlines() if line.startswith("pass tags: ") and "docs" in line)
    assert re.match(rf"pass tags: \d+ docs · ", first), first
