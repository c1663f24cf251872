"""``lendcorpus dedup FILE.jsonl``: one line per document, errors per line, counts on stderr."""

from __future__ import annotations

import json

from dedup_helpers import LABELLED, run_cli


def test_cli_clusters_a_jsonl_file_and_reports_bad_lines(tmp_path):
    recs = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()][:60]
    lines = [json.dumps({"id": r["id"], "text": r["text"], "url": r["url"]}, ensure_ascii=False) for r in recs]
    lines += ['{"id": "no-text"}', "not json", '{"text": "no id"}', json.dumps({"id": recs[0]["id"], "text": "x"}),
              '{"id": 7, "text": ""}', '{"id": "one", "text": "一行"}']
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli("dedup", str(path), "--json", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)  # one line per input line, in order
    errors = [o for o in out if "error" in o]
    assert [e["id"] for e in errors] == ["no-text", None, None, recs[0]["id"]]
    rows = {o["id"]: o for o in out if "error" not in o}
    assert rows[7]["reason"] == "empty" and rows["one"]["reason"] == "unique"
    base = {r["id"]: r["base"] for r in recs}
    for a in base:
        for b in base:
            assert (base[a] == base[b]) == (rows[a]["cluster"] == rows[b]["cluster"])
    for o in rows.values():
        assert set(o) >= {"id", "cluster", "canonical", "reason"}
        if not o["canonical"]:
            assert o["reason"] in ("exact", "near") and o["matched"] in rows
    assert "documents 62, errors 4" in proc.stderr


def test_cli_tsv_and_empty_file(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("", encoding="utf-8")
    proc = run_cli("dedup", str(path))
    assert proc.stdout == "" and "documents 0" in proc.stderr
    path.write_text('{"id": "a", "text": "网贷逾期以后怎么和平台协商还款，先把证据保留好"}\n', encoding="utf-8")
    assert run_cli("dedup", str(path)).stdout == "a\ta\ttrue\tunique\n"


def test_cli_clusters_like_the_build(tmp_path, monkeypatch):
    """The command shares the build's path: the farm fixture's pages, given to ``lendcorpus dedup``
    in fetch order, get the build's clusters and cluster ids."""
    from dedup_helpers import farm_manifest, rows, write_farm_warc

    from lendcorpus.pipelines.build import Build

    monkeypatch.setenv("LENDCORPUS_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("LENDCORPUS_DB", raising=False)
    ids = sorted(farm_manifest()["articles"])
    db = tmp_path / "c.duckdb"
    Build(db).run([write_farm_warc(tmp_path / "warc", ids)])
    docs = rows(db, "SELECT doc_id, text, url FROM documents ORDER BY fetched_at, doc_id")
    path = tmp_path / "farm.jsonl"
    path.write_text("".join(json.dumps({"id": d, "text": t, "url": u}, ensure_ascii=False) + "\n"
                            for d, t, u in docs), encoding="utf-8")
    out = {o["id"]: o for o in map(json.loads, run_cli("dedup", str(path), "--json").stdout.splitlines())}
    build = dict(rows(db, "SELECT doc_id, cluster_id FROM dedup_members"))
    assert {d: o["cluster"] for d, o in out.items()} == build
    assert len(set(build.values())) == len({v["base"] for v in farm_manifest()["articles"].values()})
    # --prepared on the build's own main texts gives the same clusters again
    main = rows(db, "SELECT doc_id, text_main_simplified FROM documents ORDER BY fetched_at, doc_id")
    path.write_text("".join(json.dumps({"id": d, "text": t}, ensure_ascii=False) + "\n" for d, t in main),
                    encoding="utf-8")
    out = {o["id"]: o["cluster"] for o in map(json.loads, run_cli("dedup", str(path), "--json", "--prepared",
                                                                   "--jobs", "1").stdout.splitlines())}
    assert out == build


def test_normalising_in_worker_processes_gives_the_same_texts():
    from lendcorpus.pipelines.dedup.standalone import normalise

    recs = [(str(i), f"第{i}條：逾期後催收電話打到家(jiā)裡，怎麼辦？" * (1 + i % 3), None) for i in range(2100)]
    assert normalise(recs, jobs=2) == normalise(recs, jobs=1)
