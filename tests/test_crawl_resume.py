"""Resume archives nothing final twice (issue 16): a finished run started again with `--job` serves
its 404, its 2xx pages and its robots.txt refusal from the archive, and asks again only for what may
have been passing trouble (the 500 and the timeout). Real crawls over loopback; WARC records counted."""

from __future__ import annotations

import json
from collections import Counter

from lc_testkit import FAST, archived, run_cli
from lendcorpus.paths import REPLAY_SITES_DIR

HOST = "www.jiedai-baike.example"
SPECIAL = json.loads((REPLAY_SITES_DIR / HOST / "_manifest.json").read_text(encoding="utf-8"))["special"]


def _records(job) -> Counter:
    return Counter((r.rec_type, r.url, r.status, r.error) for r in archived(job))


def test_resume_of_a_finished_run_archives_no_final_answer_twice(tmp_path, replay):
    env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
    job = tmp_path / "home" / "archive" / "jiedai_baike" / "run"
    run_cli("crawl", "jiedai_baike", "--replay", replay.address, "--new", "--job", str(job), *FAST, env=env)
    first = _records(job)
    assert max(first.values()) == 1
    not_found = ("response", f"https://{HOST}{SPECIAL['not_found']['path']}", 404, "")
    refused = ("metadata", f"https://{HOST}{SPECIAL['robots_article']['path']}", None, "robots_forbidden")
    server_error = ("response", f"https://{HOST}{SPECIAL['server_error']['path']}", 500, "")
    slow = ("metadata", f"https://{HOST}{SPECIAL['slow']['path']}", None, "timeout")
    assert {not_found, refused, server_error, slow} <= set(first)

    resumed = run_cli("crawl", "jiedai_baike", "--job", str(job), "--replay", replay.address, *FAST,
                      env=env, check=False)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    second = _records(job)
    # exactly the passing trouble was asked again (and each attempt archived); nothing else
    assert second - first == Counter({server_error: 1, slow: 1})
    assert second[not_found] == 1 and second[refused] == 1
    assert sum(second.values()) == sum(first.values()) + 2
    stats = json.loads((job / "run.json").read_text())["sessions"][-1]["stats"]
    assert stats["lendcorpus/archive/records"] == 2
    assert stats["lendcorpus/archive/replayed_refusals"] == 1
