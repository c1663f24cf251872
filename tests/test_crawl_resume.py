"""Resume archives nothing final twice (issue 16): a finished run started again with `--job` serves
its 404, its 2xx pages and its robots.txt refusal from the archive, and asks again only for what may
have been passing trouble (the 500 and the timeout). Real crawls over loopback; WARC records counted."""

from __future__ import annotations

import json
from collections import Counter

from lc_testkit import FAST, archived, run_cli
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR

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

    # the same folder with --new is refused: it holds a run (and nothing is touched)
    again = run_cli("crawl", "jiedai_baike", "--new", "--job", str(job), "--replay", replay.address, *FAST,
                    env=env, check=False)
    assert again.returncode == 2 and f"{job} already holds a run" in again.stderr
    assert _records(job) == second


def test_job_that_holds_no_run_is_refused_unless_new(tmp_path):
    """A mistyped --job used to start a new run under that name, silently. No crawl starts here:
    the refusals come before any spider (or replay server) does."""
    env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
    typo = tmp_path / "home" / "archive" / "jiedai_baike" / "20261122T070600-725"
    proc = run_cli("crawl", "jiedai_baike", "--job", str(typo), env=env, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: --job {typo}: no run to resume there.")
    assert "add --new to start a new run in that folder" in proc.stderr
    assert not typo.exists() and not (tmp_path / "home" / "archive").exists()
    # an empty folder is not a run either
    typo.mkdir(parents=True)
    assert run_cli("crawl", "jiedai_baike", "--job", str(typo), env=env, check=False).returncode == 2
    # `all`: the folder holds one run folder per spider
    proc = run_cli("crawl", "all", "--job", str(tmp_path / "nothing"), env=env, check=False)
    assert proc.returncode == 2 and "expected sub-folders per spider" in proc.stderr
    # --new alone names no folder
    proc = run_cli("crawl", "jiedai_baike", "--new", env=env, check=False)
    assert proc.returncode == 2 and "give --job DIR too" in proc.stderr
