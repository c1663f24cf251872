"""Shared fixtures: an isolated data folder per test, the replay server.

Helpers (run_cli, FAST, REPO) live in lc_testkit.py. Crawls run in subprocesses because Scrapy's
reactor cannot be restarted inside one process, and because that is how users run them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lc_testkit import FAST, REPO, SHARED, run_cli  # noqa: F401  (re-exported for older imports)

# evaluation helpers (labelled-set scoring) live beside the benchmarks, outside the installed package
sys.path.insert(0, str(REPO / "benchmarks"))


def pytest_configure(config) -> None:
    """The fixtures and the replay server are a distribution of their own (replay/): say how to get
    it instead of failing every test that needs it with an import error."""
    try:
        import lendcorpus_replay  # noqa: F401
    except ModuleNotFoundError:
        raise pytest.UsageError("the tests need the offline replay: pip install -e ./replay "
                                "(README, the test command)") from None


@pytest.fixture()
def data_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "data"
    monkeypatch.setenv("LENDCORPUS_HOME", str(home))
    monkeypatch.delenv("LENDCORPUS_DB", raising=False)
    return home


@pytest.fixture(scope="session")
def replay():
    from lendcorpus_replay.server import ReplayProcess

    with ReplayProcess() as server:
        yield server
