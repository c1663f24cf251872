"""`lendcorpus cycle`: crawl → build → release when due, against the offline replay."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path

from lc_testkit import FAST, REPO, query, run_cli

from lendcorpus.commands.cycle import due_version


def _fast_set() -> list[str]:
    return [FAST[i + 1] for i in range(0, len(FAST), 2)]


def test_cycle_crawls_builds_and_releases_once_a_month(tmp_path):
    home, releases = tmp_path / "data", tmp_path / "releases"
    env = {"LENDCORPUS_HOME": str(home)}
    settings = [a for s in _fast_set() for a in ("-s", s)]
    first = run_cli("cycle", "jiedai_baike", "--replay", *settings, "--release-dir", str(releases), env=env, timeout=400)
    version = dt.date.today().strftime("%Y.%m")
    manifest = json.loads((releases / version / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == version
    db = home / "corpus.duckdb"
    docs = query(db, "SELECT count(*) FROM documents")[0][0]
    assert docs > 0 and manifest["tables"]["articles"]["rows"] > 0
    assert re.search(r"crawl jiedai_baike\s+ok", first.stderr) and re.search(r"verify\s+ok", first.stderr)
    runs = query(db, "SELECT count(*) FROM crawl_runs")[0][0]
    second = run_cli("cycle", "jiedai_baike", "--replay", *settings, "--release-dir", str(releases), env=env, timeout=400)
    assert "no release due" in second.stderr
    assert query(db, "SELECT count(*) FROM crawl_runs")[0][0] == runs + 1  # a new run, loaded
    assert query(db, "SELECT count(*) FROM documents")[0][0] == docs  # nothing new on the replay site
    assert sorted(p.name for p in releases.iterdir()) == [version]


def test_failed_crawl_still_builds_but_blocks_the_release(tmp_path):
    home, releases = tmp_path / "data", tmp_path / "releases"
    proc = run_cli("cycle", "no_such_spider", "--release-dir", str(releases),
                   env={"LENDCORPUS_HOME": str(home)}, check=False, timeout=300)
    assert proc.returncode == 2  # the crawl's own status (unknown spider)
    assert re.search(r"build\s+ok", proc.stderr) and "no release: a crawl failed" in proc.stderr
    assert (home / "corpus.duckdb").exists() and not releases.exists()


def test_due_version(tmp_path):
    (tmp_path / "2026.11").mkdir()
    assert due_version(tmp_path, None, dt.date(2026, 12, 3)) == "2026.12"
    assert due_version(tmp_path, "2026.11") == "2026.11"  # a folder without a manifest is no release
    (tmp_path / "2026.11" / "manifest.json").write_text("{}", encoding="utf-8")
    assert due_version(tmp_path, None, dt.date(2026, 11, 30)) is None


def test_documented_commands_parse():
    from lendcorpus.cli import build_parser

    text = (REPO / "docs" / "periodic.md").read_text(encoding="utf-8")
    lines = [m.group(1) for m in re.finditer(r"(?:ExecStart=\S*?|^)lendcorpus (cycle[^\n#]*)", text, re.M)]
    lines += [m.group(1) for m in re.finditer(r"\.venv/bin/lendcorpus (cycle[^\n>]*)", text)]
    assert len(lines) >= 4
    parser = build_parser()
    for line in lines:
        args = parser.parse_args(shlex.split(line.replace("%h", "/home/u").replace("$HOME", "/home/u")))
        assert args.command == "cycle" and args.release_dir is not None
