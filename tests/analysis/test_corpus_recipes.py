"""The README's "Opening the corpus elsewhere" recipes, run as written: DuckDB shell, pandas, polars."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lc_testkit import REPO

SECTION = "### Opening the corpus elsewhere"


def recipes() -> list[tuple[str, str]]:
    """(language, code) of every fenced block in the README section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start)
    return re.findall(r"```(bash|python)\n(.*?)```", text[start:end], flags=re.S)


@pytest.fixture()
def workdir(small_corpus, tmp_path) -> Path:
    (tmp_path / "data").mkdir()
    shutil.copy(small_corpus, tmp_path / "data" / "corpus.duckdb")
    return tmp_path


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _run(lang: str, code: str, cwd: Path) -> str:
    if lang == "bash":
        code = "\n".join(line for line in code.splitlines() if not line.startswith("pip install"))
        cmd = ["bash", "-euo", "pipefail", "-c", code]
    else:
        cmd = [sys.executable, "-c", code]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60, env=_env())
    assert proc.returncode == 0, f"{lang} recipe failed:\n{code}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_readme_has_the_three_recipes():
    langs = [lang for lang, _ in recipes()]
    assert langs.count("bash") >= 2 and langs.count("python") >= 2
    text = "".join(code for _, code in recipes())
    assert "duckdb -readonly" in text and ".df()" in text and ".pl()" in text


def test_duckdb_shell_recipes(workdir):
    if not (Path(sys.executable).parent / "duckdb").exists() and not shutil.which("duckdb"):
        pytest.fail("the DuckDB shell is missing: pip install -e '.[test]' (duckdb-cli, same version as duckdb)")
    out = "".join(_run(lang, code, workdir) for lang, code in recipes() if lang == "bash")
    assert "借呗" in out  # platform ranking through the view
    assert "heimao:1" in out  # full-text search through the search_bm25 macro stored in the file
    csv = (workdir / "documents.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0] == "doc_id,source,kind,title" and len(csv) == 7

    import pandas as pd
    import polars as pl

    assert len(pl.read_parquet(workdir / "documents.parquet")) == 6
    assert set(pd.read_parquet(workdir / "documents.parquet")["kind"]) == {"complaint", "article"}


def test_pandas_and_polars_recipes(workdir):
    blocks = [code for lang, code in recipes() if lang == "python"]
    pandas_out = _run("python", next(b for b in blocks if ".df()" in b), workdir)
    assert "借呗" in pandas_out and "heimao" in pandas_out
    polars_out = _run("python", next(b for b in blocks if ".pl()" in b), workdir)
    assert "ADDRESS_BOOK" in polars_out
