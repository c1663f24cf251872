"""Issue 13: the 39 planted obfuscated forms never reach a release, and ``release verify`` refuses a
release into which one is planted after writing (the independent gate names row, column and kind,
never the value)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lc_testkit import REPO, run_cli
from lendcorpus.corpus import connect_write

sys.path.insert(0, str(REPO / "tests" / "fixtures" / "redact"))
from planted import PLANTED  # noqa: E402

KEEP = "涉诉金额5000元，投诉编号17390396995，2024年5月3日在借呗借款。"

# The test's own canonical form of a number (not the scrubber's code): Chinese and capital numerals,
# circled and full-width digits, O for zero → ASCII; everything else dropped.
_DIGIT_MAP = {**{c: str(i) for i, c in enumerate("〇一二三四五六七八九")}, **{c: str(i) for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")},
              **{c: str(i) for i, c in enumerate("⓪①②③④⑤⑥⑦⑧⑨")}, **{chr(0xFF10 + i): str(i) for i in range(10)},
              "幺": "1", "O": "0", "o": "0"}


def digits_of(s: str) -> str:
    return "".join(_DIGIT_MAP.get(c, c) for c in s if c.isdigit() or c in _DIGIT_MAP)


def _planted_corpus(db: Path) -> None:
    con = connect_write(db)
    docs, tags = [], []
    for i, (_kind, sentence, _value) in enumerate(PLANTED):
        body = f"{KEEP}{sentence}。网贷逾期后催收天天打电话。"
        docs.append((f"farm:{i:03d}", "farm", "article", f"https://farm.invalid/{i}", body, body, body))
        docs.append((f"tieba:{9000 + i}", "tieba", "post", f"https://tieba.invalid/p/1?pid={9000 + i}", body, body, body))
        docs.append((f"heimao:{17390000000 + i}", "heimao", "complaint", f"https://tousu.invalid/complaint/view/{i}/",
                     body, body, body))
    con.executemany("INSERT INTO documents (doc_id, source, kind, url, text, text_clean, text_main, extractor, "
                    "archive_path, archive_offset) VALUES (?, ?, ?, ?, ?, ?, ?, 'x', 'a', 0)", docs)
    for d in docs:
        tags.append((d[0],))
    con.executemany("INSERT INTO document_tags (doc_id, tagger, text_column, relevance, relevant) "
                    "VALUES (?, 't', 'text_main', 0.9, TRUE)", tags)
    con.execute("INSERT INTO forum_threads (thread_id, platform, forum, title, author) "
                "VALUES ('tieba:1', 'tieba', '网贷吧', '催收电话135一二三四5678求助', '某用户')")
    for i, (_kind, sentence, _value) in enumerate(PLANTED):
        con.execute("INSERT INTO forum_posts (post_id, thread_id, floor, author, text) VALUES (?, 'tieba:1', ?, '某用户', ?)",
                    [f"tieba:{9000 + i}", i + 1, sentence])
        con.execute("INSERT INTO complaints (complaint_id, platform, native_id, url, title, company, demand, status) "
                    "VALUES (?, 'heimao', ?, ?, ?, '某某金融', ?, 'submitted')",
                    [f"heimao:{17390000000 + i}", str(17390000000 + i), f"https://tousu.invalid/complaint/view/{i}/",
                     sentence, sentence])
    con.close()


@pytest.fixture(scope="module")
def planted_release(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pii")
    db = root / "planted.duckdb"
    _planted_corpus(db)
    out = root / "rel" / "1"
    run_cli("release", "--db", str(db), "--version", "1", "--out", str(out))
    return out


def _all_strings(release: Path):
    for f in sorted((release / "data").glob("*.parquet")):
        t = pq.read_table(f)
        ids = t.column(0).to_pylist()
        for name in t.column_names:
            for rid, v in zip(ids, t.column(name).to_pylist()):
                for s in (v if isinstance(v, list) else [v]):
                    if isinstance(s, str):
                        yield f.name, name, rid, s


def test_no_planted_form_survives_in_any_column(planted_release):
    m = json.loads((planted_release / "manifest.json").read_text(encoding="utf-8"))
    assert m["tables"]["articles"]["rows"] == 39 and m["tables"]["posts"]["rows"] == 39
    assert m["tables"]["complaints"]["rows"] == 39
    cells = list(_all_strings(planted_release))
    texts = [c for c in cells if c[1] in ("text", "narrative", "demand", "title", "thread_title")]
    assert len(texts) >= 39 * 4
    leaks = []
    for kind, _sentence, value in PLANTED:
        canon = digits_of(value)
        for fname, col, rid, s in cells:
            if value in s or (len(canon) >= 7 and canon in digits_of(s)):
                leaks.append((kind, fname, col, rid))
    assert not leaks, leaks
    # must-keep text next to them stays: the amount, the complaint number, the date, the platform
    kept = [s for _, col, _, s in texts if col in ("text", "narrative")]
    assert all(KEEP in s for s in kept), kept[:3]
    assert "OK" in run_cli("release", "verify", str(planted_release)).stdout


def _plant_after_writing(release: Path, dest: Path, sentence: str) -> str:
    shutil.copytree(release, dest)
    shard = next((dest / "data").glob("articles-*.parquet"))
    t = pq.read_table(shard)
    texts = t.column("text").to_pylist()
    victim = t.column("doc_id")[3].as_py()
    texts[3] = texts[3] + sentence
    t = t.set_column(t.column_names.index("text"), t.schema.field("text"), pa.array(texts, pa.string()))
    pq.write_table(t, shard, compression="zstd")
    # a careful forger fixes the manifest too, so only the personal-data gate can object
    mpath = dest / "manifest.json"
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    from lendcorpus.release.build import sha256_file

    for entry in manifest["files"]:
        if entry["path"] == f"data/{shard.name}":
            entry["bytes"] = shard.stat().st_size
            entry["sha256"] = sha256_file(shard)
    mpath.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return victim


@pytest.mark.parametrize("idx", [1, 6, 9, 12, 13, 14])  # numerals, 加V, at…dot, 我是王五, bad ID check, bad Luhn
def test_verify_refuses_a_form_planted_after_writing(planted_release, tmp_path, idx):
    kind, sentence, value = PLANTED[idx]
    victim = _plant_after_writing(planted_release, tmp_path / "tampered", sentence)
    proc = run_cli("release", "verify", str(tmp_path / "tampered"), check=False)
    assert proc.returncode == 1, proc.stdout
    line = next(x for x in proc.stdout.splitlines() if "personal data" in x)
    assert victim in line and " text " in line
    assert re.search(r"gate-\w+×\d", line), line  # the independent detector sees it too
    assert value not in proc.stdout + proc.stderr
    assert digits_of(value) not in digits_of(proc.stdout + proc.stderr) or len(digits_of(value)) < 7


def test_second_detector_alone_refuses_every_planted_form(tmp_path, monkeypatch):
    """With the scrubber and its own re-scan both blinded, the independent gate still refuses."""
    from lendcorpus.release import GateFailure, ReleaseOptions, make_release, scrubbing

    db = tmp_path / "planted.duckdb"
    _planted_corpus(db)
    monkeypatch.setattr(scrubbing, "scrub", lambda text, **kw: (text, {}))
    monkeypatch.setattr(scrubbing, "scan", lambda text: {})
    with pytest.raises(GateFailure) as err:
        make_release(db, "1", tmp_path / "out", ReleaseOptions(workers=1))
    msg = str(err.value)
    assert "in 117 value(s) of table complaints" in msg  # 39 titles, demands and narratives
    assert "gate-" in msg and not any(v in msg for _, _, v in PLANTED)
    assert not (tmp_path / "out").exists()
    # every one of the 39 forms, on its own, is refused by the second detector
    for _kind, sentence, _value in PLANTED:
        assert scrubbing.final_gate(sentence), sentence
