"""Drift alarms: the check itself, and real crawls on loopback of a replay site whose layout changed.

The changed site is a copy of the tieba fixture whose thread pages no longer carry the floor
markup (``div.l_post`` became ``div.pb_floor``): full-size pages that yield nothing. The crawl must
end with a "layout changed?" report naming the page kind and an archived example, exit 4, and the
build of that archive must say the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lc_testkit import FAST, archived, run_cli
from lendcorpus.archive import read_record
from lendcorpus.crawler.drift import EXIT_LAYOUT_CHANGED, Expect, check
from lendcorpus_replay.server import ReplayProcess
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR

HOST = "tieba.baidu.com"
ARGS = ["-a", "forums=网贷", *FAST, "-s", "LENDCORPUS_DRIFT_CHECK_EVERY=10", "-s", "LENDCORPUS_PROGRESS_INTERVAL=0"]


def test_check_names_the_collapsed_kind_and_its_example():
    expects = {"thread": Expect(1.0, 0.2), "forum_list": Expect(1.0, 0.5)}
    example = {"warc": "tieba-w0-00000.warc.gz", "offset": 4711, "url": "https://tieba.baidu.com/p/1?pn=1"}
    counts = {"thread": {"pages": 12, "items": 0, "empty": 12, "example": example},
              "forum_list": {"pages": 3, "items": 0, "empty": 3, "example": {}}}
    (alarm,) = check("tieba", counts, expects, min_pages=5)
    assert (alarm.spider, alarm.kind, alarm.pages, alarm.items) == ("tieba", "thread", 12, 0)
    text = alarm.report()
    assert text.startswith("layout changed? tieba/thread:") and "tieba-w0-00000.warc.gz offset 4711" in text
    assert "https://tieba.baidu.com/p/1?pn=1" in text
    # normal yields, a few empty pages, and too few pages to judge: no alarm
    ok = {"thread": {"pages": 40, "items": 900, "empty": 2, "example": example}}
    assert check("tieba", ok, expects) == []
    # many pages with something, but most of them empty
    sparse = {"thread": {"pages": 10, "items": 30, "empty": 7, "example": example}}
    assert [a.problem for a in check("tieba", sparse, expects)] == ["70% of pages gave nothing, expected at most 20%"]
    # block pages
    (block,) = check("heimao", {}, {}, blocked=8, responses=10, max_block_share=0.5, block_example=example)
    assert block.kind == "block_page" and "80% of responses were block pages" in block.report()


def _changed_site(root: Path) -> Path:
    sites = root / "sites"
    shutil.copytree(REPLAY_SITES_DIR / HOST, sites / HOST, ignore=shutil.ignore_patterns("__pycache__"))
    handler = sites / HOST / "_handler.py"
    text = handler.read_text(encoding="utf-8")
    old = "f'<div class=\"l_post l_post_bright j_l_post clearfix  \" data-field=\"{_field(field)}\">'"
    assert old in text
    handler.write_text(text.replace(old, "f'<div class=\"pb_floor\" data-fld=\"{_field(field)}\">'"), encoding="utf-8")
    return sites


def test_changed_layout_ends_the_crawl_and_the_build_with_a_report(tmp_path):
    sites = _changed_site(tmp_path)
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    job = home / "archive" / "tieba" / "changed"
    with ReplayProcess([sites]) as replay:
        crawl = run_cli("crawl", "tieba", "--replay", replay.address, "--new", "--job", str(job), *ARGS, env=env, check=False)
    assert crawl.returncode == EXIT_LAYOUT_CHANGED, crawl.stderr[-3000:]
    assert "layout changed? tieba/thread:" in crawl.stderr and "tieba: layout_changed" in crawl.stderr
    session = json.loads((job / "run.json").read_text())["sessions"][-1]
    assert session["reason"] == "layout_changed" and session["stats"]["lendcorpus/drift/alarms"] == 1
    (alarm,) = json.loads((job / "drift.json").read_text(encoding="utf-8"))
    assert alarm["kind"] == "thread" and alarm["items"] == 0 and alarm["pages"] >= 5
    # the example is an archived thread page: open it where the report says
    example = alarm["example"]
    rec = read_record(job / example["warc"], example["offset"])
    assert rec.url == example["url"] and "/p/" in rec.url and b"pb_floor" in rec.body and b"l_post " not in rec.body
    # the crawl stopped early: not every thread page was fetched, and no high-water mark moved
    threads = [r for r in archived(job) if "/p/" in r.url]
    site = json.loads((sites / HOST / "_threads.json").read_text(encoding="utf-8"))
    total = sum(max(1, -(-len(t["posts"]) // 30)) for t in site["threads"] if t["forum"] == "网贷")
    assert 5 <= len(threads) < total
    assert not (home / "state" / "tieba.json").exists()
    # not a block: nothing was retried or backed off
    assert not any(k.startswith("lendcorpus/blocks/") for k in session["stats"])
    # the build of that archive says the same, and exits 4
    build = run_cli("build", env=env, check=False)
    assert build.returncode == EXIT_LAYOUT_CHANGED
    assert "layout changed? tieba/thread:" in build.stderr and example["warc"] in build.stderr
    drift = run_cli("drift", env=env, check=False)
    assert drift.returncode == EXIT_LAYOUT_CHANGED and "tieba/thread" in drift.stderr


def test_unchanged_layout_raises_no_alarm(tmp_path):
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    job = home / "archive" / "tieba" / "normal"
    with ReplayProcess() as replay:
        crawl = run_cli("crawl", "tieba", "--replay", replay.address, "--new", "--job", str(job), *ARGS, env=env)
    assert "layout changed?" not in crawl.stderr
    stats = json.loads((job / "run.json").read_text())["sessions"][-1]["stats"]
    assert stats["lendcorpus/yield/thread/pages"] >= 50 and stats["lendcorpus/yield/thread/items"] > 500
    assert "lendcorpus/drift/alarms" not in stats and not (job / "drift.json").exists()
    run_cli("build", env=env)
    assert run_cli("drift", env=env).returncode == 0
