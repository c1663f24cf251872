"""The build's per-record stage on worker processes: same corpus for any --jobs, batches that
commit as they go, a killed build that the next one completes."""

from __future__ import annotations

import shutil

import pytest

from build_helpers import snapshot
from lc_testkit import query, run_cli
from lendcorpus_replay.archivegen import generate_archive
from lendcorpus.pipelines.build import Build


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    out = tmp_path_factory.mktemp("archive") / "archive"
    counts = generate_archive(out, 240)
    assert sum(counts.values()) == 240
    return out


def test_generated_archive_has_every_kind(archive, tmp_path):
    stats = Build(tmp_path / "c.duckdb", root=archive, jobs=1).run()
    assert stats.records == 240
    kinds = dict(query(tmp_path / "c.duckdb", "SELECT source, count(*) FROM documents GROUP BY 1"))
    assert set(kinds) == {"jiedai_baike", "heimao", "tieba", "jinrong_ribao"}
    # spun farm copies cluster; the shared footer is learned as boilerplate
    assert query(tmp_path / "c.duckdb", "SELECT count(*) FROM dedup_members WHERE reason = 'near'")[0][0] > 0
    assert query(tmp_path / "c.duckdb", "SELECT count(*) FROM publishers")[0][0] > 0


def test_same_corpus_for_one_or_many_jobs(archive, tmp_path):
    one, two, inproc = tmp_path / "one.duckdb", tmp_path / "two.duckdb", tmp_path / "inproc.duckdb"
    Build(one, root=archive, jobs=1, batch_records=16).run()
    Build(two, root=archive, jobs=2, batch_records=16).run()
    Build(inproc, root=archive, jobs=0, batch_records=16).run()
    a = snapshot(one)
    assert a["documents"] and a["search_postings"] and a["document_tags"] and a["dedup_members"]
    assert snapshot(two) == a
    assert snapshot(inproc) == a
    # the writer's plain inserts are also stored in the same order (upserts with ON CONFLICT and
    # the corpus passes' INSERT ... SELECT run as parallel DuckDB queries: their row order is
    # DuckDB's business, their content is compared above)
    loaded = ["fetches", "documents", "rejects"]
    stored = [(r[0], r[1]) for r in snapshot(two, storage_order=True)["fetches"]]
    assert stored == sorted(stored), "fetches are stored in archive order, file by file"
    assert {t: r for t, r in snapshot(two, storage_order=True).items() if t in loaded} == \
        {t: r for t, r in snapshot(one, storage_order=True).items() if t in loaded}


def test_batch_size_does_not_change_the_corpus(archive, tmp_path):
    small, large = tmp_path / "small.duckdb", tmp_path / "large.duckdb"
    Build(small, root=archive, jobs=2, batch_records=7).run()
    Build(large, root=archive, jobs=2, batch_records=10_000).run()
    assert snapshot(small) == snapshot(large)


def test_a_build_killed_mid_file_is_completed_by_the_next(archive, tmp_path, monkeypatch):
    fresh, killed = tmp_path / "fresh.duckdb", tmp_path / "killed.duckdb"
    Build(fresh, root=archive, jobs=2, batch_records=16).run()

    calls = {"n": 0}
    original = Build._write_batch

    def dying(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the user pressed Ctrl-C while the third batch loaded
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Build, "_write_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        Build(killed, root=archive, jobs=2, batch_records=16).run()
    monkeypatch.setattr(Build, "_write_batch", original)
    # two batches of the first file are committed, with the file's position after them
    ((loaded, size),) = query(killed, "SELECT loaded_bytes, size_bytes FROM archive_files")
    assert 0 < loaded < size
    assert query(killed, "SELECT count(*) FROM fetches")[0][0] == 32
    Build(killed, root=archive, jobs=2, batch_records=16).run()
    assert snapshot(killed) == snapshot(fresh)


def test_cli_jobs_option(archive, tmp_path):
    db = tmp_path / "cli.duckdb"
    out = run_cli("build", "--db", str(db), "--archive", str(archive), "--jobs", "2").stdout
    assert "records 240" in out
    bad = run_cli("build", "--db", str(db), "--jobs", "0", check=False)
    assert bad.returncode == 2 and "--jobs" in bad.stderr


def test_archive_copy_elsewhere_builds_the_same(archive, tmp_path):
    """Archive keys are relative to the archive folder, so a moved archive is the same corpus."""
    moved = tmp_path / "moved"
    shutil.copytree(archive, moved)
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    Build(a, root=archive, jobs=1).run()
    Build(b, root=moved, jobs=2).run()
    assert snapshot(a) == snapshot(b)
