"""A source is one unit: its SOURCE declaration is read by the build, the release, the dataset card
and the drift alarms; the README's source table and the dictionary's platform values are written
from it (tests/doc_tables.py) and the drift page is held to it; docs/adding-a-source.md lists
exactly the files a source is; its worked example, dropped in as a module, shows up everywhere
without another edit."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys

import pytest

import doc_tables
from lc_testkit import REPO
from lendcorpus.pipelines.extract.model import ROW_TABLES, PageKind
from lendcorpus.pipelines.extract.sources import complaint_platforms, parser_for, registry, source_modules
from lendcorpus.siterules import load_all
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR

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
    assert set(src.crawl_only) <= set(src.expect), "crawl-only kinds without an expectation"
    assert all(src.announced), "an empty announced reason would explain every reject"
    for host in src.hosts:
        assert (REPLAY_SITES_DIR / host).is_dir(), f"no replay fixture folder for {host}"
    parse = parser_for(f"https://{src.hosts[0]}/")
    assert parse.page_kind(f"https://{src.hosts[0]}/robots.txt") in {*src.page_kinds, PageKind.OTHER}


def test_readme_and_dictionary_tables_are_the_registrys():
    """The README's source table and the dictionary's platform values are written from the
    registry and the rules files (``python tests/doc_tables.py --write``)."""
    for path in doc_tables.GENERATED:
        assert path.read_text(encoding="utf-8") == doc_tables.rendered(path), \
            f"{path.name} is out of date: python tests/doc_tables.py --write"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for src in SOURCES.values():
        row = f"| `{src.id}` | {src.name} {src.hosts[0]} | {src.collects} | [{src.docs}]({src.docs}) |"
        assert row in readme, f"README's source table lacks: {row}"
    for name in load_all():
        assert f"`{name}`" in "\n".join(doc_tables.readme_source_table()), f"rules file {name} not in the README table"
    dictionary = (REPO / "datasets" / "dictionary.md").read_text(encoding="utf-8")
    assert doc_tables.dictionary_platform_row() in dictionary
    for sid in complaint_platforms():
        assert f"`{sid}` ({SOURCES[sid].name})" in doc_tables.dictionary_platform_row()
    for src in SOURCES.values():
        if src.id not in complaint_platforms():  # forum sources: their id form is prose (docs/adding-a-source.md, 8)
            assert f"`{src.id}:" in dictionary, f"the dictionary never shows an id of {src.id}"


def test_the_table_writer_restores_a_stale_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    tieba = next(line for line in readme.splitlines() if line.startswith("| `tieba` |"))
    stale = readme.replace(tieba + "\n", "").replace("`daikuan_wenda`, ", "")
    assert stale != readme and doc_tables.render_readme(stale) == readme
    dictionary = (REPO / "datasets" / "dictionary.md").read_text(encoding="utf-8")
    row = doc_tables.dictionary_platform_row()
    stale = dictionary.replace(row, doc_tables.PLATFORM_ROW + "`heimao` (黑猫投诉) |")
    assert stale != dictionary and doc_tables.render_dictionary(stale) == dictionary
    # the lexicon's platform rows elsewhere in the dictionary are left alone
    assert dictionary.count(doc_tables.PLATFORM_ROW) > 1


def _drift_table() -> dict[str, dict[str, tuple[float, float]]]:
    """spider -> page kind -> (at least, at most empty) from docs/sources/drift.md."""
    doc = (REPO / "docs" / "sources" / "drift.md").read_text(encoding="utf-8")
    rows = doc.split("## Expected yields", 1)[1].split("\n\n", 2)[1].splitlines()[2:]
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for row in rows:
        spider, kinds, _item, means, empties = (c.strip() for c in row.strip("|").split("|"))
        kinds = [k.strip(" `") for k in kinds.split(",")]
        means = [float(m) for m in means.split("/")]
        empties = [float(e.strip(" %")) / 100 for e in empties.split("/")]
        for i, kind in enumerate(kinds):
            out.setdefault(spider, {})[kind] = (means[i if len(means) > 1 else 0],
                                                empties[i if len(empties) > 1 else 0])
    return out


def test_the_drift_page_states_every_sources_expected_yields():
    table = _drift_table()
    for src in SOURCES.values():
        assert table.get(src.id) == src.expect, f"docs/sources/drift.md, Expected yields: {src.id}"
    assert set(table) - set(SOURCES) == {"any site (build only)"}


def _file_table() -> list[str]:
    """The 'file' column of docs/adding-a-source.md's table."""
    doc = (REPO / "docs" / "adding-a-source.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if re.match(r"\| \d+ \|", line)]
    return [re.findall(r"`([^`]+)`", row.split("|")[2])[0] for row in rows]


def test_a_source_is_the_files_adding_a_source_names():
    """Every registered source is exactly the per-source files the doc lists: each exists, and no
    other tracked file or folder is named after the source or one of its hosts."""
    files = _file_table()
    per_source = [f for f in files if "<id>" in f or "<host>" in f]
    assert len(per_source) == 5, files
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             capture_output=True, check=True).stdout.decode().split("\0")
    for src in SOURCES.values():
        want = set()
        for pattern in per_source:
            targets = src.hosts if "<host>" in pattern else [src.id]
            want |= {pattern.replace("<host>", t).replace("<id>", t) for t in targets}
        for path in want:
            assert (REPO / path).exists(), f"{src.id}: {path} is missing"
        named = set()
        for rel in filter(None, tracked):
            if not (REPO / rel).exists():
                continue
            parts = rel.split("/")
            host_at = next((i for i, part in enumerate(parts) if part in src.hosts), None)
            if host_at is not None:
                named.add("/".join(parts[:host_at + 1]) + "/")
            elif re.search(rf"(^|[/_.]){re.escape(src.id)}([/_.]|$)", rel):
                named.add(rel)
        assert named == want, f"{src.id}: files named after it beyond docs/adding-a-source.md: {named ^ want}"


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
from lendcorpus.crawler.drift import EXPECTED, EXPLAINED
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
    "drift": EXPECTED.get("kuaisu", {{}}).get("api") is not None and "kuaisu_" in EXPLAINED,
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
