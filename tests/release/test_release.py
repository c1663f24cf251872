"""Releases end to end on the demo corpus: layout, reproducibility, verification, takedowns,
the scrub gate, refusals, and loading with DuckDB, pandas, polars and Hugging Face datasets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from lc_testkit import run_cli
from lendcorpus.corpus import connect_write


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    run_cli("demo", "--quiet", env={"LENDCORPUS_HOME": str(home)}, timeout=240)
    return home / "corpus.duckdb"


@pytest.fixture(scope="module")
def release(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rel") / "2026.11"
    run_cli("release", "--db", str(corpus), "--version", "2026.11", "--out", str(out))
    return out


def test_layout_manifest_and_verify(release):
    names = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    for t in ("complaints", "articles", "posts", "clusters", "platforms", "practices"):
        assert f"data/{t}-00000-of-00001.parquet" in names
    assert {"README.md", "DICTIONARY.md", "CHANGELOG.md", "manifest.json"} <= set(names)
    m = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert m["version"] == "2026.11" and m["tables"]["complaints"]["rows"] > 0
    assert {f["path"] for f in m["files"]} == set(names) - {"manifest.json"}
    assert all(len(f["sha256"]) == 64 for f in m["files"])
    assert {"lendcorpus", "duckdb", "pyarrow", "redactor"} <= set(m["tools"])
    card = (release / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlicense:") and "config_name: complaints" in card
    for section in ("## Motivation", "## Composition", "## Collection process", "## Preprocessing",
                    "## Personal-data policy", "## Known biases", "## Maintenance and removal requests"):
        assert section in card
    dictionary = (release / "DICTIONARY.md").read_text(encoding="utf-8")
    assert "`narrative`" in dictionary and "`resolved`" in dictionary
    assert "OK" in run_cli("release", "verify", str(release)).stdout


def test_no_personal_columns_and_clean_text_only(release, corpus):
    con = duckdb.connect()
    cols = con.sql(f"SELECT * FROM read_parquet('{release}/data/posts-*.parquet') LIMIT 0").columns
    assert "author" not in cols and "by_thread_starter" in cols
    ccols = con.sql(f"SELECT * FROM read_parquet('{release}/data/complaints-*.parquet') LIMIT 0").columns
    assert "author" not in ccols and "summary" not in ccols
    handles = {r[0] for r in duckdb.connect(str(corpus), read_only=True).execute(
        "SELECT author FROM forum_posts WHERE length(author) >= 4").fetchall()}
    texts = " ".join(r[0] or "" for r in con.sql(f"SELECT text FROM read_parquet('{release}/data/posts-*.parquet')").fetchall())
    assert "[用户名]" in texts and not [h for h in handles if h in texts]
    # the farm's footer contact from the fixtures is gone from every article
    arts = con.sql(f"SELECT string_agg(text, ' ') FROM read_parquet('{release}/data/articles-*.parquet')").fetchone()[0]
    assert "13900001234" not in arts and "10001234@qq.com" not in arts
    # only relevant documents by default
    assert con.sql(f"SELECT min(relevance) FROM read_parquet('{release}/data/posts-*.parquet')").fetchone()[0] >= 0.5


def test_byte_identical_and_verify_detects_tampering(release, corpus, tmp_path):
    again = tmp_path / "elsewhere" / "2026.11"
    run_cli("release", "--db", str(corpus), "--version", "2026.11", "--out", str(again))
    for f in release.rglob("*"):
        if f.is_file():
            assert (again / f.relative_to(release)).read_bytes() == f.read_bytes(), f
    shard = again / "data" / "complaints-00000-of-00001.parquet"
    shard.write_bytes(shard.read_bytes()[:-20] + b"\0" * 20)
    proc = run_cli("release", "verify", str(again), check=False)
    assert proc.returncode == 1 and "SHA-256" in proc.stdout


def test_takedown_removes_cluster_copies_and_changelog(release, corpus, tmp_path):
    con = duckdb.connect()
    cluster = con.sql(f"SELECT cluster_id, member_ids FROM read_parquet('{release}/data/clusters-*.parquet') "
                      "WHERE members > 1 ORDER BY cluster_id LIMIT 1").fetchone()
    victim, copies = cluster[1][-1], set(cluster[1])
    td = tmp_path / "takedowns.toml"
    td.write_text(f'[[takedown]]\nid = "{victim}"\ndate = 2026-11-20\nreason = "subject_request"\n', encoding="utf-8")
    # the old release now fails verification against the new list
    assert run_cli("release", "verify", str(release), "--takedowns", str(td), check=False).returncode == 1
    nxt = release.parent / "2026.12"
    run_cli("release", "--db", str(corpus), "--version", "2026.12", "--out", str(nxt), "--takedowns", str(td))
    released = set()
    for t, key in (("articles", "doc_id"), ("posts", "post_id"), ("complaints", "complaint_id")):
        released |= {r[0] for r in con.sql(f"SELECT {key} FROM read_parquet('{nxt}/data/{t}-*.parquet')").fetchall()}
    assert not (copies & released)
    assert "OK" in run_cli("release", "verify", str(nxt), "--takedowns", str(td)).stdout
    log = (nxt / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"`{victim}`" in log and "takedowns 1" in log
    assert json.loads((nxt / "manifest.json").read_text())["previous_version"] == "2026.11"


def test_refusals_leave_nothing_behind(release, corpus, tmp_path):
    # existing version beside it, non-empty folder, bad version
    p = run_cli("release", "--db", str(corpus), "--version", "2026.11", "--out", str(release.parent / "x"), check=False)
    assert p.returncode == 2 and "already exists" in p.stderr
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "f").write_text("x")
    p = run_cli("release", "--db", str(corpus), "--version", "9", "--out", str(busy), check=False)
    assert p.returncode == 2 and "not an empty folder" in p.stderr
    # empty corpus
    empty = tmp_path / "empty.duckdb"
    connect_write(empty).close()
    p = run_cli("release", "--db", str(empty), "--version", "1", "--out", str(tmp_path / "r1"), check=False)
    assert p.returncode == 2 and "empty" in p.stderr
    # corpus held by a writer (a build in progress)
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(corpus)!r}); "
                               "print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        p = run_cli("release", "--db", str(corpus), "--version", "2", "--out", str(tmp_path / "r2"), check=False)
        assert p.returncode == 3 and "in use" in p.stderr
    finally:
        holder.kill()
        holder.wait()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["busy", "empty.duckdb"]
    assert not [x for x in release.parent.iterdir() if x.name.startswith(".")]


def test_gate_refuses_when_scrubbing_fails(corpus, tmp_path, monkeypatch):
    from lendcorpus.release import GateFailure, ReleaseOptions, make_release
    from lendcorpus.release import scrubbing

    db = tmp_path / "pii.duckdb"
    con = connect_write(db)
    con.execute("INSERT INTO documents (doc_id, source, kind, url, text, text_clean, text_main, extractor, archive_path,"
                " archive_offset) VALUES ('farm:1', 'farm', 'article', 'https://x.invalid/1', 'x',"
                " '借款逾期请联系13800138000', '借款逾期请联系13800138000', 'x', 'a', 0)")
    con.execute("INSERT INTO document_tags (doc_id, tagger, text_column, relevance, relevant) "
                "VALUES ('farm:1', 't', 'text_main', 0.9, TRUE)")
    con.close()
    monkeypatch.setattr(scrubbing, "scrub", lambda text, **kw: (text, {}))  # a scrubber that misses everything
    with pytest.raises(GateFailure, match="mobile"):
        make_release(db, "1", tmp_path / "out", ReleaseOptions(workers=1))
    assert not (tmp_path / "out").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    monkeypatch.undo()
    make_release(db, "1", tmp_path / "out", ReleaseOptions(workers=1))
    text = duckdb.sql(f"SELECT text FROM read_parquet('{tmp_path}/out/data/articles-*.parquet')").fetchone()[0]
    assert text == "借款逾期请联系[手机号]"


def test_loads_in_duckdb_pandas_polars_and_hf_datasets(release, tmp_path):
    import pandas as pd
    import polars as pl
    from datasets import load_dataset

    n = json.loads((release / "manifest.json").read_text())["tables"]["complaints"]["rows"]
    files = sorted((release / "data").glob("complaints-*.parquet"))
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{release}/data/complaints-*.parquet')").fetchone()[0] == n
    assert len(pd.concat(pd.read_parquet(f) for f in files)) == n
    assert pl.read_parquet(str(release / "data" / "complaints-*.parquet")).height == n
    cache = str(tmp_path / "hf")
    ds = load_dataset("parquet", data_dir=str(release), data_files={"train": "data/complaints-*.parquet"},
                      cache_dir=cache)
    assert ds["train"].num_rows == n and "narrative" in ds["train"].column_names
    posts = load_dataset(str(release), "posts", cache_dir=cache)  # the card's YAML configs
    assert posts["train"].num_rows == json.loads((release / "manifest.json").read_text())["tables"]["posts"]["rows"]
