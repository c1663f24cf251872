"""A source is one unit: its SOURCE declaration is read by the build, the release, the dataset card
and the drift alarms, and the README and the dictionary are held to it; the worked example in
docs/adding-a-source.md, dropped in as a module, shows up everywhere without another edit."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys

import pytest

from lc_testkit import REPO
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR
from lendcorpus.pipelines.extract.model import ROW_TABLES, PageKind
from lendcorpus.pipelines.extract.sources import parser_for, registry, source_modules

SOURCES = registry()


def test_every_source_module_declares_itself():
    assert len(SOURCES) == len(source_modules()) >= 4
    for module in source_modules():
        assert parser_for(f"https://{module.SOURCE.hosts[0]}/") is module.parse


@pytest.mark.parametrize("sid", sorted(SOURCES))
def test_declaration_agrees_with_the_code_and_the_docs(sid):
    src = SOURCES[sid]
    module_name, cls_name = src.spider.rsplit(".", 1)
    spider = getattr(importlib.import_module(module_name), cls_name)
    assert spider.name == src.id
    assert set(src.row_tables) <= set(ROW_TABLES)
    assert set(src.expect) <= {str(k) for k in src.page_kinds}, "drift expectations for kinds the parser never gives"
    assert (REPO / src.docs).is_file()
    for host in src.hosts:
        assert (REPLAY_SITES_DIR / host).is_dir(), f"no replay fixture folder for {host}"
    parse = parser_for(f"https://{src.hosts[0]}/")
    assert parse.page_kind(f"https://{src.hosts[0]}/robots.txt") in {*src.page_kinds, PageKind.OTHER}


def test_readme_and_dictionary_list_every_source():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    dictionary = (REPO / "datasets" / "dictionary.md").read_text(encoding="utf-8")
    for src in SOURCES.values():
        row = f"| `{src.id}` | {src.name} {src.hosts[0]} | {src.collects} | [{src.docs}]({src.docs}) |"
        assert row in readme, f"README's source table lacks: {row}"
        assert f"`{src.id}:" in dictionary, f"the dictionary never shows an id of {src.id}"


def _blocks(lang: str) -> list[str]:
    doc = (REPO / "docs" / "adding-a-source.md").read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", doc, flags=re.S)


def test_the_worked_example_is_a_whole_source(tmp_path):
    (module,) = _blocks("python")
    (answer,) = _blocks("json")
    (tmp_path / "kuaisu.py").write_text(module, encoding="utf-8")
    code = f"""
import json
import lendcorpus.pipelines.extract.sources as sources
sources.__path__.append({str(tmp_path)!r})
from lendcorpus.archive import ArchivedRecord
from lendcorpus.crawler.drift import EXPECTED
from lendcorpus.pipelines.extract import extract_record
from lendcorpus.release.documents import source_rows
from lendcorpus.release.tables import TABLES

rec = ArchivedRecord(path=None, offset=0, length=0, rec_type="response",
                     url="https://tousu.kuaisu.example/api/list?page=1", date="2026-11-21T16:30:00Z",
                     status=200, headers=[("Content-Type", "application/json")], body={answer.strip()!r}.encode())
ex = extract_record(rec)
bad = extract_record(ArchivedRecord(path=None, offset=0, length=0, rec_type="response", url=rec.url,
                                    date=rec.date, status=200, headers=[], body=b"{{oops"))
platforms = next(c.enum for t in TABLES if t.name == "complaints" for c in t.columns if c.name == "platform")
print(json.dumps({{
    "registered": "kuaisu" in sources.registry(),
    "release_platforms": list(platforms),
    "card": [r[0] for r in source_rows()],
    "drift": EXPECTED.get("kuaisu", {{}}).get("api") is not None,
    "page_kind": str(ex.page_kind),
    "rows": [[t, r["complaint_id"], r["created_at"].isoformat()] for t, r in ex.rows],
    "docs": [d.doc_id for d in ex.documents],
    "bad": [[r.stage, r.reason] for r in bad.rejects],
}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["registered"] and got["drift"]
    assert "kuaisu" in got["release_platforms"] and "快诉 tousu.kuaisu.example" in got["card"]
    assert got["page_kind"] == "api"
    # 3小时前, read against the fetch time 16:30 UTC, never the clock
    assert got["rows"] == [["complaints", "kuaisu:7", "2026-11-21T13:30:00+00:00"]]
    assert got["docs"] == ["kuaisu:7"]
    assert got["bad"] == [["source", "parser_error"]]
