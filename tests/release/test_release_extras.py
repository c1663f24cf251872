"""Release additions for publishers and spreadsheet users: the complaint timelines config, CSV
copies, the licence file the card links to, and loading the card's configs the ways it says."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from lc_testkit import run_cli


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    run_cli("demo", "--quiet", env={"LENDCORPUS_HOME": str(home)}, timeout=240)
    return home / "corpus.duckdb"


@pytest.fixture(scope="module")
def release(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rel") / "2026.12"
    run_cli("release", "--db", str(corpus), "--version", "2026.12", "--out", str(out), "--csv")
    return out


def test_complaint_events_are_the_released_complaints_timelines(release, corpus):
    con = duckdb.connect()
    ev = con.sql(f"SELECT * FROM read_parquet('{release}/data/complaint_events-*.parquet')").fetchall()
    cols = [c for c in con.sql(f"SELECT * FROM read_parquet('{release}/data/complaint_events-*.parquet') LIMIT 0").columns]
    rows = [dict(zip(cols, r)) for r in ev]
    released = {r[0] for r in con.sql(f"SELECT complaint_id FROM read_parquet('{release}/data/complaints-*.parquet')").fetchall()}
    assert rows and {r["complaint_id"] for r in rows} <= released
    roles = {r["actor_role"] for r in rows}
    assert {"consumer", "company"} <= roles  # the company's answer is what CFPB-style users ask for
    src = duckdb.connect(str(corpus), read_only=True)
    expected = src.execute("SELECT count(*) FROM complaint_events e JOIN document_tags t ON t.doc_id = e.complaint_id "
                           "WHERE t.relevant").fetchone()[0]
    assert len(rows) == expected
    # consumers never appear by name; text is scrubbed like the narratives
    assert all(r["actor"] == "consumer" for r in rows if r["actor_role"] == "consumer")
    from lendcorpus.pipelines.redact import scan

    assert not any(scan(r["text"]) for r in rows if r["text"])
    ids = [r["event_id"] for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_takedown_removes_the_complaints_timeline(release, corpus, tmp_path):
    con = duckdb.connect()
    victim = con.sql(f"SELECT complaint_id FROM read_parquet('{release}/data/complaint_events-*.parquet') "
                     "WHERE actor_role = 'company' ORDER BY 1 LIMIT 1").fetchone()[0]
    td = tmp_path / "takedowns.toml"
    td.write_text(f'[[takedown]]\nid = "{victim}"\ndate = 2026-12-01\nreason = "subject_request"\n', encoding="utf-8")
    assert run_cli("release", "verify", str(release), "--takedowns", str(td), check=False).returncode == 1
    nxt = tmp_path / "2027.01"
    run_cli("release", "--db", str(corpus), "--version", "2027.01", "--out", str(nxt), "--takedowns", str(td))
    left = con.sql(f"SELECT count(*) FROM read_parquet('{nxt}/data/complaint_events-*.parquet') "
                   "WHERE complaint_id = ?", params=[victim]).fetchone()[0]
    assert left == 0


def test_csv_copies_hold_the_parquet_rows(release):
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    for table in ("complaints", "complaint_events", "posts"):
        for shard in sorted((release / "data").glob(f"{table}-*.parquet")):
            copy = shard.with_suffix(".csv")
            assert f"data/{copy.name}" in listed
            assert copy.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheets need the BOM for Chinese
            with open(copy, encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.DictReader(fh))
            t = pq.read_table(shard)
            assert len(rows) == t.num_rows and list(rows[0]) == t.schema.names
            id_col = manifest["tables"][table]["id_column"]
            assert [r[id_col] for r in rows] == t.column(id_col).to_pylist()
            if "practices" in t.schema.names:
                assert [json.loads(r["practices"]) if r["practices"] else None for r in rows] == \
                    t.column("practices").to_pylist()
    assert "OK" in run_cli("release", "verify", str(release)).stdout


def test_card_links_its_licence(release):
    card = (release / "README.md").read_text(encoding="utf-8")
    header = card.split("---", 2)[1]
    assert "license: other" in header and "license_link: LICENSE.md" in header
    terms = (release / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC0" in terms and "non-commercial" in terms
    assert "config_name: complaint_events" in header


def test_hf_datasets_loads_every_config_by_path_and_from_inside(release, tmp_path):
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    from datasets import load_dataset

    cache = str(tmp_path / "hf")
    for config in ("complaints", "complaint_events"):
        ds = load_dataset(str(release), config, cache_dir=cache)
        assert ds["train"].num_rows == manifest["tables"][config]["rows"]
    # from inside the folder, as the card says (a fresh interpreter with the release as its cwd)
    code = ("import os, json; from datasets import load_dataset; "
            f"d = load_dataset(os.getcwd(), 'complaint_events', cache_dir={cache!r}); print(d['train'].num_rows)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=release, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip().splitlines()[-1]) == manifest["tables"]["complaint_events"]["rows"]
