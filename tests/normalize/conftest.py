"""Fixtures for the normalisation tests.

The evaluation data and seeds live in ``shared/`` beside the repository (CI checks it out
there). Missing data is a failure, not a skip: a green run must mean the goals were checked.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "eval").is_dir() or not (SHARED / "seeds").is_dir():
        pytest.fail(f"evaluation data missing: expected {SHARED}/eval and {SHARED}/seeds beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def seeds(shared: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted((shared / "seeds").glob("*.txt"))}


@pytest.fixture(scope="session")
def evalmod():
    """benchmarks/eval_normalize.py, so tests assert exactly what the evaluation reports."""
    path = REPO / "benchmarks" / "eval_normalize.py"
    spec = importlib.util.spec_from_file_location("lendcorpus_eval_normalize", path)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod
