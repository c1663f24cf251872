"""`build --engine ray` against a real local Ray cluster (a head node and one more worker node,
each its own raylet and object store): the same corpus as the local executor."""

from __future__ import annotations

import os

import pytest

from build_helpers import snapshot
from lc_testkit import query, run_cli
from lendcorpus_replay.archivegen import generate_archive
from lendcorpus.pipelines.build import Build
from ray_cluster import LocalRayCluster
from test_record_isolation import _page, record_rejects, write_archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    out = tmp_path_factory.mktemp("archive") / "archive"
    generate_archive(out, 240)
    return out


@pytest.fixture(scope="module")
def ray_cluster():
    with LocalRayCluster(workers=1) as running:
        saved = {k: os.environ.get(k) for k in running.env}
        os.environ.update(running.env)  # this process is a driver too
        try:
            yield running
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@pytest.fixture
def cluster(ray_cluster):
    return ray_cluster.address


def _nodes_that_ran(address: str) -> int:
    import ray

    ray.init(address=address, log_to_driver=False, configure_logging=False)
    try:
        return sum(1 for n in ray.nodes() if n.get("Alive"))
    finally:
        ray.shutdown()


def test_ray_cluster_builds_the_same_corpus(archive, cluster, tmp_path):
    assert _nodes_that_ran(cluster) == 2  # a head and a worker node
    local, remote = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    Build(local, root=archive, jobs=1, batch_records=16).run()
    stats = Build(remote, root=archive, jobs=1, batch_records=16, engine="ray", ray_address=cluster).run()
    assert stats.records == 240 and stats.files_loaded == 4
    a = snapshot(local)
    assert a["documents"] and a["search_postings"] and a["document_tags"] and a["dedup_members"] and a["complaints"]
    assert snapshot(remote) == a
    # the writer's plain inserts are stored in the same order too
    loaded = ["fetches", "documents", "rejects"]
    assert {t: r for t, r in snapshot(remote, storage_order=True).items() if t in loaded} == \
        {t: r for t, r in snapshot(local, storage_order=True).items() if t in loaded}
    # a second build over the cluster loads nothing twice
    again = Build(remote, root=archive, jobs=1, engine="ray", ray_address=cluster).run()
    assert again.records == 0 and again.fetches == 0 and again.documents == 0
    assert snapshot(remote) == a


def test_ray_build_continues_a_partly_loaded_archive(archive, cluster, tmp_path):
    """Files already loaded in part (a killed build, a growing file) continue from their offset."""
    fresh, partial = tmp_path / "fresh.duckdb", tmp_path / "partial.duckdb"
    Build(fresh, root=archive, jobs=1, batch_records=16).run()
    calls = {"n": 0}
    original = Build._write_batch

    def dying(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    Build._write_batch = dying
    try:
        with pytest.raises(KeyboardInterrupt):
            Build(partial, root=archive, jobs=1, batch_records=16, engine="ray", ray_address=cluster).run()
    finally:
        Build._write_batch = original
    assert query(partial, "SELECT count(*) FROM fetches")[0][0] == 32
    Build(partial, root=archive, jobs=1, batch_records=16, engine="ray", ray_address=cluster).run()
    assert snapshot(partial) == snapshot(fresh)


def test_a_record_that_kills_its_ray_worker_costs_one_record(cluster, tmp_path, monkeypatch):
    """A crash in native code kills the Ray worker; the shard is finished record by record and
    the record that did it is a reject, as with the local executor."""
    root = write_archive(tmp_path / "archive", [_page(1002), _page(1003), _page(1005), _page(1006)])
    monkeypatch.setenv("LENDCORPUS_CRASH_AT", "record:https://www.jiedai-baike.example/a/1005.html")
    db = tmp_path / "c.duckdb"
    Build(db, root=root, jobs=1, batch_records=2, engine="ray", ray_address=cluster).run()
    assert record_rejects(db) == {"https://www.jiedai-baike.example/a/1005.html": "worker_died"}
    assert {r[0] for r in query(db, "SELECT doc_id FROM documents")} == \
        {"jiedai_baike:1002", "jiedai_baike:1003", "jiedai_baike:1006"}
    assert query(db, "SELECT count(*) FROM fetches")[0][0] == 4


def test_cli_engine_ray(archive, cluster, tmp_path):
    db = tmp_path / "cli.duckdb"
    out = run_cli("build", "--db", str(db), "--archive", str(archive), "--jobs", "1", "--engine", "ray",
                  "--ray-address", cluster).stdout
    assert "records 240" in out
    bad = run_cli("build", "--db", str(db), "--ray-address", cluster, check=False)
    assert bad.returncode == 2 and "--engine ray" in bad.stderr
