"""End to end: WARC files of the content farm -> lendcorpus build -> boilerplate and clusters."""

from __future__ import annotations

import itertools

from lendcorpus.pipelines.boilerplate.corpus_pass import BoilerplatePass
from lendcorpus.pipelines.build import Build
from lendcorpus.pipelines.dedup import export_signatures, match_previous
from lendcorpus.corpus import connect_write

import pytest

from dedup_helpers import farm_manifest, rows, run_cli, write_farm_warc

BOILERPLATE = BoilerplatePass().name

STATE = [
    "SELECT doc_id, cluster_id, is_canonical, reason, matched_doc_id, jaccard FROM dedup_members ORDER BY doc_id",
    "SELECT * FROM dedup_clusters ORDER BY cluster_id",
    "SELECT doc_id, line_no, line, rule, contact FROM boilerplate_removed ORDER BY doc_id, line_no",
    "SELECT source, contact, rule, first_doc_id, docs FROM publishers ORDER BY 1, 2",
    "SELECT source, line_key FROM boilerplate_lines ORDER BY 1, 2",
    "SELECT doc_id, text_main, text_main_simplified FROM documents ORDER BY doc_id",
    "SELECT doc_id, main_hash, shingles, sig, hash_rep FROM dedup_signatures ORDER BY doc_id",
    "SELECT * FROM dedup_edges ORDER BY 1, 2",
    "SELECT band, key, node FROM dedup_bands ORDER BY 1, 2, 3",
]


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LENDCORPUS_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("LENDCORPUS_DB", raising=False)
    return tmp_path


def snapshot(db) -> list[list[tuple]]:
    return [rows(db, q) for q in STATE]


def build(db, files, reprocess=False):
    return Build(db).run(files, reprocess=reprocess)


def test_build_strips_boilerplate_and_clusters_copies(data_dir):
    ids = sorted(farm_manifest()["articles"])
    warc = write_farm_warc(data_dir / "warc", ids)
    db = data_dir / "c.duckdb"
    stats = build(db, [warc])
    assert stats.passes[BOILERPLATE]["documents"] == len(ids)
    assert stats.passes["dedup@2"]["signed"] == len(ids)

    # The raw text keeps the template; the main text does not.
    for text, main, main_s in rows(db, "SELECT text, text_main, text_main_simplified FROM documents"):
        assert "10001234@qq.com" in text
        for marker in ("精彩评论", "小编导语", "举报联系方式", "10001234@qq.com"):
            assert marker not in main_s
        assert main and "13900001234" not in main
    # The contact footer is one publisher row, not repeated in the main text.
    assert rows(db, "SELECT source, contact, docs FROM publishers") == [
        ("jiedai_baike", "13900001234 10001234@qq.com", len(ids))]
    rules = dict(rows(db, "SELECT rule, count(DISTINCT doc_id) FROM boilerplate_removed GROUP BY 1"))
    assert rules["contact:report_contact"] == len(ids) and rules["marker:小编导语"] == len(ids)

    # Clusters match the manifest's base labels exactly: copies together, articles apart.
    base = {f"jiedai_baike:{k}": v["base"] for k, v in farm_manifest()["articles"].items()}
    cluster = dict(rows(db, "SELECT doc_id, cluster_id FROM dedup_members"))
    assert set(cluster) == set(base)
    for a, b in itertools.combinations(sorted(base), 2):
        assert (base[a] == base[b]) == (cluster[a] == cluster[b]), (a, b)
    # One row per article; the canonical member is the earliest published of its cluster.
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == len(set(base.values()))
    bad = rows(db, """SELECT m.doc_id FROM dedup_members m JOIN documents d USING (doc_id)
                      JOIN dedup_members c ON c.cluster_id = m.cluster_id AND c.is_canonical
                      JOIN documents cd ON cd.doc_id = c.doc_id
                      WHERE d.published_at < cd.published_at""")
    assert bad == []
    # Every non-canonical member says why it joined and to which member.
    for reason, matched, j in rows(db, "SELECT reason, matched_doc_id, jaccard FROM dedup_members "
                                       "WHERE NOT is_canonical"):
        assert reason in ("exact", "near") and matched in cluster and j >= 0.4


def test_incremental_rerun_and_reprocess(data_dir):
    ids = sorted(farm_manifest()["articles"])
    db_all, db_inc = data_dir / "all.duckdb", data_dir / "inc.duckdb"
    w_all = write_farm_warc(data_dir / "w_all", ids)
    w1 = write_farm_warc(data_dir / "w1", ids[: len(ids) // 2], "one")
    w2 = write_farm_warc(data_dir / "w2", ids[len(ids) // 2 :], "two")
    build(db_all, [w_all])
    build(db_inc, [w1])
    learned = rows(db_inc, "SELECT line_key FROM boilerplate_lines")
    stats = build(db_inc, [w1, w2])
    # the second build signed only the new documents and kept what the first learned
    assert stats.passes["dedup@2"]["signed"] == len(ids) - len(ids) // 2
    assert set(learned) <= set(rows(db_inc, "SELECT line_key FROM boilerplate_lines"))
    want = rows(db_all, STATE[0])
    assert rows(db_inc, STATE[0]) == want  # built in two increments = built at once

    before = snapshot(db_inc)
    stats = build(db_inc, [w1, w2])
    assert stats.passes["dedup@2"]["signed"] == 0 and stats.passes[BOILERPLATE]["documents"] == 0
    assert snapshot(db_inc) == before  # re-running changes nothing

    build(db_inc, [w1, w2], reprocess=True)
    assert rows(db_inc, STATE[0]) == want
    after = snapshot(db_inc)
    assert after == before  # reprocess re-derives the same tables from the archive


def test_release_against_previous_release(data_dir):
    ids = sorted(farm_manifest()["articles"])
    half = ids[: len(ids) // 2]
    old_db, new_db = data_dir / "old.duckdb", data_dir / "new.duckdb"
    build(old_db, [write_farm_warc(data_dir / "w_old", half)])
    con = connect_write(old_db)
    n = export_signatures(con, data_dir / "prev.parquet")
    con.close()
    assert n == len(half)
    # the command line writes the same file
    run_cli("dedup", "--export-signatures", str(data_dir / "cli.parquet"), "--db", str(old_db))
    assert rows(old_db, f"SELECT count(*) FROM read_parquet('{data_dir / 'cli.parquet'}')") == [(len(half),)]
    build(new_db, [write_farm_warc(data_dir / "w_new", ids)])
    con = connect_write(new_db)
    got = {r["doc_id"]: r for r in match_previous(con, data_dir / "prev.parquet")}
    con.close()
    base = {f"jiedai_baike:{k}": v["base"] for k, v in farm_manifest()["articles"].items()}
    old_bases = {base[f"jiedai_baike:{i}"] for i in half}
    for doc_id in base:
        if doc_id.split(":")[1] in half:
            assert got[doc_id]["reason"] == "same_id"
        elif base[doc_id] in old_bases:
            # a copy of an article the previous release already had (found directly or not at all
            # only when its best match is a copy that is itself new: the cluster still links it)
            if doc_id in got:
                assert base[got[doc_id]["previous_doc_id"]] == base[doc_id]
        else:
            assert doc_id not in got  # a new article never matches the old release
    assert any(r["reason"] in ("near", "exact") for r in got.values())
    # the command line gives the same matches, one JSON line each
    out = run_cli("dedup", "--against", str(data_dir / "prev.parquet"), "--db", str(new_db)).stdout
    import json

    assert {json.loads(line)["doc_id"]: json.loads(line) for line in out.splitlines()} == got
