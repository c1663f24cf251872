"""End to end over real HTTP on loopback: crawl the farm replay → WARC archive → build → SQL.

Also: a crawl killed mid-run (SIGKILL) or interrupted (SIGINT) and started again with the same
run folder archives everything exactly once and builds the same documents as an uninterrupted
crawl.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from lc_testkit import FAST, REPO, run_cli
from lendcorpus.archive import ArchivedRecord, iter_archive, warc_files
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR
from lc_testkit import archived, query  # noqa: E402

HOST = "www.jiedai-baike.example"
MANIFEST = json.loads((REPLAY_SITES_DIR / HOST / "_manifest.json").read_text(encoding="utf-8"))
SPECIAL = MANIFEST["special"]
#: Articles an obeying crawler can turn into documents: not robots-refused, not the slow page.
EXPECTED_DOCS = {
    f"jiedai_baike:{a_id}" for a_id, a in MANIFEST["articles"].items()
    if a["special"] in (None, "charset_liar")
}




@pytest.fixture(scope="module")
def farm_crawl(tmp_path_factory, replay):
    """One uninterrupted crawl of the farm and its build, shared by the tests below."""
    home = tmp_path_factory.mktemp("home")
    env = {"LENDCORPUS_HOME": str(home)}
    job = home / "archive" / "jiedai_baike" / "full"
    proc = run_cli("crawl", "jiedai_baike", "--replay", replay.address, "--new", "--job", str(job), *FAST, env=env)
    build = run_cli("build", env=env)
    return {"home": home, "job": job, "db": home / "corpus.duckdb", "crawl": proc, "build": build, "env": env}


def test_every_response_is_archived_under_its_real_url(farm_crawl):
    recs = archived(farm_crawl["job"])
    urls = [r.url for r in recs]
    assert urls and all(u.startswith(f"https://{HOST}/") for u in urls), urls[:3]
    assert "127.0.0.1" not in json.dumps(urls)
    by_url = {r.url: r for r in recs}
    assert by_url[f"https://{HOST}/robots.txt"].status == 200
    assert by_url[f"https://{HOST}{SPECIAL['not_found']['path']}"].status == 404
    assert by_url[f"https://{HOST}{SPECIAL['server_error']['path']}"].status == 500
    assert by_url[f"https://{HOST}{SPECIAL['empty_body']['path']}"].body == b""
    liar = by_url[f"https://{HOST}{SPECIAL['charset_liar']['path']}"]
    assert liar.body == (REPLAY_SITES_DIR / HOST / SPECIAL["charset_liar"]["file"]).read_bytes()  # byte-exact
    slow = by_url[f"https://{HOST}{SPECIAL['slow']['path']}"]
    assert slow.rec_type == "metadata" and slow.error == "timeout"
    robots = by_url[f"https://{HOST}{SPECIAL['robots_article']['path']}"]
    assert robots.rec_type == "metadata" and robots.error == "robots_forbidden"
    # each exchange is archived once
    assert [u for u, n in Counter(urls).items() if n > 1] == []
    # the redirect was followed: its target is archived, the 301 itself is not a final response
    assert f"https://{HOST}{SPECIAL['redirect']['location']}" in by_url
    assert (farm_crawl["job"] / "run.json").exists()


def test_build_loads_documents_fetches_and_rejects(farm_crawl):
    db = farm_crawl["db"]
    docs = {r[0] for r in query(db, "SELECT doc_id FROM documents")}
    assert docs == EXPECTED_DOCS
    rejects = Counter((s, r) for s, r in query(db, "SELECT stage, reason FROM rejects"))
    assert rejects == Counter({("fetch", "http_404"): 1, ("fetch", "http_500"): 1, ("fetch", "timeout"): 1,
                               ("fetch", "robots_forbidden"): 1, ("extract", "empty_body"): 1,
                               ("extract", "no_html_body"): 1})
    n_fetch, n_archived = query(db, "SELECT count(*), count(DISTINCT archive_path || archive_offset) FROM fetches")[0]
    assert n_fetch == n_archived == len(archived(farm_crawl["job"]))
    # documents point at their raw response
    path, offset, url = query(db, "SELECT archive_path, archive_offset, url FROM documents LIMIT 1")[0]
    from lendcorpus.archive import read_record

    assert read_record(farm_crawl["home"] / "archive" / path, offset).url == url
    runs = query(db, "SELECT run_id, spider, finish_reason, sessions FROM crawl_runs")
    assert runs == [("jiedai_baike:full", "jiedai_baike", "finished", 1)]


def test_documents_carry_extracted_and_derived_text(farm_crawl):
    db = farm_crawl["db"]
    liar_id = f"jiedai_baike:{SPECIAL['charset_liar']['id']}"
    title, enc, text = query(db, f"SELECT title, encoding, text FROM documents WHERE doc_id = '{liar_id}'")[0]
    assert title == MANIFEST["articles"][str(SPECIAL["charset_liar"]["id"])]["title"]
    assert enc == "gb18030" and "\ufffd" not in text
    # pinyin-annotated seeds: original text keeps the annotations, derived text loses them
    annotated = [a_id for a_id, a in MANIFEST["articles"].items() if a["pinyin"] and a["special"] is None]
    rows = query(db, "SELECT text, text_clean, pinyin_removed, lang, script FROM documents WHERE doc_id IN "
                     f"({', '.join(repr('jiedai_baike:' + a) for a in annotated)})")
    assert len(rows) == len(annotated) > 0
    for text, clean, removed, lang, script in rows:
        assert removed > 0 and "(" in text and len(clean) < len(text)
        assert lang == "zh" and script in ("hant", "hans")
    dated = query(db, "SELECT count(*) FROM documents WHERE published_at IS NULL")[0][0]
    assert dated == 0


def test_build_is_idempotent(farm_crawl):
    again = run_cli("build", env=farm_crawl["env"]).stdout
    assert "files loaded 0" in again and "documents new 0" in again
    db = farm_crawl["db"]
    assert query(db, "SELECT count(*) FROM documents")[0][0] == len(EXPECTED_DOCS)
    assert query(db, "SELECT count(*) FROM rejects")[0][0] == 6


def test_reprocess_rebuilds_the_same_corpus_from_the_archive(farm_crawl, tmp_path):
    db = tmp_path / "re.duckdb"
    env = farm_crawl["env"]
    run_cli("build", "--db", str(db), env=env)
    before = query(db, "SELECT doc_id, text, text_clean FROM documents ORDER BY doc_id")
    out = run_cli("build", "--db", str(db), "--reprocess", env=env).stdout
    assert f"documents new {len(EXPECTED_DOCS)}" in out
    assert query(db, "SELECT doc_id, text, text_clean FROM documents ORDER BY doc_id") == before


def test_build_of_foreign_warc_files_given_on_the_command_line(farm_crawl, tmp_path):
    """WARC files named on the command line (as from another crawler) are loaded, once."""
    db = tmp_path / "foreign.duckdb"
    files = warc_files(farm_crawl["job"])
    run_cli("build", "--db", str(db), *map(str, files), env={"LENDCORPUS_HOME": str(tmp_path / "other")})
    assert query(db, "SELECT count(*) FROM documents")[0][0] == len(EXPECTED_DOCS)
    out = run_cli("build", "--db", str(db), *map(str, files), env={"LENDCORPUS_HOME": str(tmp_path / "other")})
    assert "documents new 0" in out.stdout


def test_truncated_archive_loads_every_intact_record(farm_crawl, tmp_path):
    src = warc_files(farm_crawl["job"])[0]
    data = src.read_bytes()
    cut = tmp_path / "cut" / "cut.warc.gz"
    cut.parent.mkdir()
    cut.write_bytes(data[: int(len(data) * 0.6)])
    intact = [r for r in iter_archive(cut) if isinstance(r, ArchivedRecord)]
    db = tmp_path / "cut.duckdb"
    run_cli("build", "--db", str(db), str(cut), env={"LENDCORPUS_HOME": str(tmp_path / "h")})
    assert query(db, "SELECT count(*) FROM fetches")[0][0] == len(intact) > 5
    assert query(db, "SELECT stage, reason FROM rejects WHERE stage = 'archive'") == [("archive", "truncated_record")]
    # the file grows back (a crawl was still writing it): the next build continues where it stopped
    cut.write_bytes(data)
    run_cli("build", "--db", str(db), str(cut), env={"LENDCORPUS_HOME": str(tmp_path / "h")})
    total = len([r for r in iter_archive(src) if isinstance(r, ArchivedRecord)])
    assert query(db, "SELECT count(*), count(DISTINCT archive_offset) FROM fetches")[0] == (total, total)
    assert query(db, "SELECT count(*) FROM rejects WHERE stage = 'archive'")[0][0] == 0


def test_scrapy_crawl_works_as_in_any_scrapy_project(replay, tmp_path):
    job = tmp_path / "scrapy-job"
    env = dict(os.environ, LENDCORPUS_HOME=str(tmp_path / "h"))
    subprocess.run(["scrapy", "crawl", "jiedai_baike", "-s", f"LENDCORPUS_REPLAY={replay.address}",
                    "-s", f"LENDCORPUS_JOB_DIR={job}", *FAST, "-s", "CLOSESPIDER_PAGECOUNT=5"],
                   cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
    assert len(archived(job)) >= 5


# -- interruption and resume ------------------------------------------------------------------

SLOW = ["-s", "DOWNLOAD_DELAY=0.15", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=2",
        "-s", "RETRY_TIMES=0", "-s", "CONCURRENT_REQUESTS=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0"]


def _count_responses(job: Path) -> int:
    if not job.exists():
        return 0
    try:
        return len(archived(job))
    except OSError:
        return 0


def _interrupt(job: Path, replay, env: dict, sig: int, after: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lendcorpus.cli", "crawl", "jiedai_baike", "--replay", replay.address,
         "--new", "--job", str(job), *SLOW],
        env=dict(os.environ, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count_responses(job) < after and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert 0 < _count_responses(job) < 40, "the crawl should have been stopped part-way"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_interrupted_crawl_resumes_without_refetching_or_duplicates(sig, replay, tmp_path, farm_crawl):
    env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
    job = tmp_path / "home" / "archive" / "jiedai_baike" / "run1"
    _interrupt(job, replay, env, sig, after=12)
    first = {r.url for r in archived(job) if r.rec_type == "response"}

    resumed = run_cli("crawl", "jiedai_baike", "--replay", replay.address, "--job", str(job), *FAST, env=env)
    assert "served from the archive" in resumed.stderr
    recs = archived(job)
    responses = [r.url for r in recs if r.rec_type == "response"]
    # nothing that answered well is fetched twice (error answers, 500 say, are asked again on
    # resume by design: they may have been passing trouble)
    good = [r.url for r in recs if r.rec_type == "response" and r.status < 400]
    assert [u for u, n in Counter(good).items() if n > 1] == []
    assert first <= set(responses)
    # the union equals an uninterrupted crawl of the same site
    full = {r.url for r in archived(farm_crawl["job"]) if r.rec_type == "response"}
    assert set(responses) == full
    manifest = json.loads((job / "run.json").read_text())
    assert len(manifest["sessions"]) == 2
    assert manifest["sessions"][-1]["stats"]["lendcorpus/archive/replayed"] >= len(first)

    run_cli("build", env=env)
    db = tmp_path / "home" / "corpus.duckdb"
    assert {r[0] for r in query(db, "SELECT doc_id FROM documents")} == EXPECTED_DOCS
    assert query(db, "SELECT count(*) FROM documents")[0][0] == len(EXPECTED_DOCS)


def test_full_disk_stops_cleanly_keeps_every_intact_record_and_resumes(replay, tmp_path, farm_crawl):
    """A real full disk (a 96 KiB tmpfs, smaller than the farm's archive): the crawl says why
    it stopped, the WARC file holds only intact records, and after freeing space the run resumes
    to the same result as an uninterrupted crawl."""
    assert os.geteuid() == 0, "this test mounts a tmpfs and needs root (CI runs as root)"
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(disk)], check=True)
    try:
        env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
        job = disk / "run"
        first = run_cli("crawl", "jiedai_baike", "--replay", replay.address, "--new", "--job", str(job), *FAST,
                        env=env, check=False)
        assert first.returncode != 0
        assert "archive unwritable" in first.stderr and "archive_unwritable" in first.stderr
        items = [r for f in warc_files(job) for r in iter_archive(f)]
        assert items and all(isinstance(r, ArchivedRecord) for r in items), "half-written records left behind"
        subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)
        run_cli("crawl", "jiedai_baike", "--replay", replay.address, "--job", str(job), *FAST, env=env)
        recs = archived(job)
        responses = [r.url for r in recs if r.rec_type == "response"]
        good = [r.url for r in recs if r.rec_type == "response" and r.status < 400]
        assert [u for u, n in Counter(good).items() if n > 1] == []
        full = {r.url for r in archived(farm_crawl["job"]) if r.rec_type == "response"}
        assert set(responses) == full
    finally:
        subprocess.run(["umount", str(disk)], check=False)
