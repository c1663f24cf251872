"""Helpers for the dedup tests: WARC files of the content-farm fixture pages, corpus queries."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from lendcorpus.archive import Exchange, RotatingWarcWriter
from lendcorpus_replay import SITES_DIR

REPO = Path(__file__).resolve().parents[2]
FARM = SITES_DIR / "www.jiedai-baike.example"
LABELLED = REPO / "tests" / "fixtures" / "dedup" / "labelled.jsonl"


def farm_manifest() -> dict:
    return json.loads((FARM / "_manifest.json").read_text(encoding="utf-8"))


def write_farm_warc(directory: Path, article_ids: list[str], prefix: str = "farm") -> Path:
    """Archive the fixture farm's article pages as if a crawl had fetched them."""
    articles = farm_manifest()["articles"]
    w = RotatingWarcWriter(directory, prefix)
    for aid in article_ids:
        a = articles[aid]
        body = (FARM / a["file"]).read_bytes()
        ctype = "text/html; charset=utf-8"
        w.write(Exchange(url=f"https://www.jiedai-baike.example{a['path']}", method="GET", request_headers=[],
                         request_body=b"", status=200, response_headers=[("Content-Type", ctype)], body=body,
                         fetched_at=time.time()))
    path = w.current_path
    w.close()
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``lendcorpus ARGS`` in a subprocess, as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "lendcorpus.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"lendcorpus {' '.join(args)} exited {proc.returncode}\n{proc.stderr[-3000:]}")
    return proc
