"""Helpers shared by the test files (imported by name: `from lc_testkit import run_cli`).

Kept out of conftest.py on purpose: sub-folders have conftest.py files of their own, and a bare
`import conftest` picks whichever was imported first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def run_cli(*args: str, env: dict | None = None, timeout: float = 300, check: bool = True,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``lendcorpus ARGS`` as a user would, in a subprocess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "lendcorpus.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=cwd or REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"lendcorpus {' '.join(args)} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}")
    return proc


#: Crawl settings for tests against the loopback replay: no politeness delays, short timeouts.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=2",
        "-s", "RETRY_TIMES=0"]


def archived(run_dir: Path) -> list:
    """Every intact record archived in a run folder (damage is left out)."""
    from lendcorpus.archive import ArchivedRecord, iter_archive, warc_files

    return [r for f in warc_files(run_dir) for r in iter_archive(f) if isinstance(r, ArchivedRecord)]


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a read-only query on a corpus file."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
