"""Shared fixtures: an isolated data folder per test, the replay server, subprocess crawls.

Crawls run in subprocesses because Scrapy's reactor cannot be restarted inside one process, and
because that is how users run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture()
def data_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "data"
    monkeypatch.setenv("LENDCORPUS_HOME", str(home))
    monkeypatch.delenv("LENDCORPUS_DB", raising=False)
    return home


@pytest.fixture(scope="session")
def replay():
    from lendcorpus.crawler.replay.server import ReplayProcess

    with ReplayProcess() as server:
        yield server


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


FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=2",
        "-s", "RETRY_TIMES=0"]
