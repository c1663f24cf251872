"""百度贴吧: parser field by field, fixture contract, and crawls against the replay (full, blocked,
killed and resumed, incremental)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from selectolax.lexbor import LexborHTMLParser

from lc_testkit import FAST, run_cli
from lendcorpus.archive import H_BLOCKED, ArchivedRecord
from lendcorpus_replay.server import ReplayProcess
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR
from lendcorpus.pipelines.extract import extract_record
from lendcorpus.pipelines.extract.sources import parser_for, tieba
from lc_testkit import archived, query  # noqa: E402

HOST = "tieba.baidu.com"
SITE_DIR = REPLAY_SITES_DIR / HOST
CHINA = timezone(timedelta(hours=8))
FORUMS = ["网贷", "催收", "逾期", "上岸"]  # the three defaults plus the empty forum


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"tieba_fixture_{name}", SITE_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HANDLER = _module("_handler")
GENERATE = _module("_generate")
SITE = HANDLER.load()  # the server renders with the same "today" (China time)
THREADS = SITE.data["threads"]
LIVE = [t for t in THREADS if not t["deleted"]]


def record(target: str, body: bytes | None = None, date: str = "") -> ArchivedRecord:
    if body is None:
        status, headers, body = SITE.answer(target)
    # fetched at noon (China time) of the day the fixture renders as "today", so a run that crosses
    # midnight in China between the import and the test still reads HH:MM times as today's
    noon = datetime(SITE.today.year, SITE.today.month, SITE.today.day, 12, tzinfo=timezone(timedelta(hours=8)))
    date = date or noon.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ArchivedRecord(path=Path("t.warc.gz"), offset=0, length=len(body), rec_type="response",
                          url=f"https://{HOST}{target}", date=date, status=200,
                          headers=[("Content-Type", "text/html; charset=UTF-8")], body=body)


def list_target(forum: str, pn: int = 0) -> str:
    return f"/f?kw={quote(forum)}&ie=utf-8&pn={pn}"


def expected_text(post: dict) -> str:
    out = []
    for part in post["content"]:
        out.append({"text": lambda p: p[1], "br": lambda p: "\n", "at": lambda p: "@" + p[1]}.get(part[0], lambda p: "")(part))
    lines = (" ".join(line.split()) for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)


def thread_by(pred) -> dict:
    return next(t for t in LIVE if pred(t))


# -- parsing ---------------------------------------------------------------------------------

def test_host_is_claimed_and_page_types():
    assert parser_for("https://tieba.baidu.com/p/1?pn=2") is tieba.parse
    assert tieba.page_kind("https://tieba.baidu.com/f?kw=x&pn=0") == "forum_list"
    assert tieba.page_kind("https://tieba.baidu.com/p/123") == "thread"
    assert tieba.parse(record("/robots.txt", b"User-agent: *")).page_kind == "other"


def test_list_page_thread_rows_field_by_field():
    ex = tieba.parse(record(list_target("网贷")))
    assert ex.page_kind == "forum_list" and ex.rejects == [] and ex.documents == []
    shown = SITE.list_slice("网贷", 0)[0]
    rows = [r for t, r in ex.rows if t == "forum_threads"]
    assert [r["thread_id"] for r in rows] == [f"tieba:{t['tid']}" for t in shown]
    for row, t in zip(rows, shown):
        last = SITE.when(t["posts"][-1]["time"])
        assert row["platform"] == "tieba" and row["forum"] == "网贷吧"
        assert row["title"] == t["title"] and row["author"] == t["author"]
        assert row["reply_count"] == len(t["posts"]) - 1
        assert row["url"] == f"https://tieba.baidu.com/p/{t['tid']}"
        # only the list's HH:MM form (today) is exact; M-D and YYYY-M are left to the thread page
        assert row["last_reply_at"] == (last if last.date() == SITE.today else None)
    assert shown[0]["top"] and sum(r["last_reply_at"] is not None for r in rows) > 3


def test_thread_list_is_inside_a_comment_and_is_unwrapped():
    html = SITE.answer(list_target("网贷"))[2].decode()
    assert LexborHTMLParser(html).css("li.j_thread_list") == []
    assert len(LexborHTMLParser(tieba.unwrap_comments(html)).css("li.j_thread_list")) == 50
    page = tieba.read_list(html, f"https://{HOST}{list_target('网贷')}")
    assert page.next_pn == 50 and page.forum == "网贷吧"
    second = tieba.read_list(SITE.answer(list_target("网贷", 50))[2].decode(), "u")
    assert second.next_pn is None and second.threads[0].tid == page.threads[-1].tid  # listed twice


def test_thread_page_floors_field_by_field():
    t = thread_by(lambda t: SITE.pages(t) >= 3)
    pages = SITE.pages(t)
    seen = []
    for pn in range(1, pages + 1):
        ex = tieba.parse(record(f"/p/{t['tid']}?pn={pn}"))
        assert ex.page_kind == "thread"
        (thread_row,) = [r for k, r in ex.rows if k == "forum_threads"]
        assert thread_row["thread_id"] == f"tieba:{t['tid']}" and thread_row["forum"] == f"{t['forum']}吧"
        assert thread_row["title"] == t["title"] and thread_row["pages"] == pages
        assert thread_row["reply_count"] == len(t["posts"]) - 1
        if pn == 1:
            assert thread_row["created_at"] == SITE.when(t["posts"][0]["time"])
            assert thread_row["author"] == t["author"]
        else:
            assert "created_at" not in thread_row and "author" not in thread_row
        if pn == pages:
            assert thread_row["last_reply_at"] == SITE.when(t["posts"][-1]["time"])
        else:
            assert "last_reply_at" not in thread_row
        posts = [r for k, r in ex.rows if k == "forum_posts"]
        seen += posts
        docs = {d.doc_id: d for d in ex.documents}
        for row in posts:
            if row["text"]:
                d = docs[row["post_id"]]
                assert d.kind == "post" and d.source == "tieba" and d.text == row["text"]
                assert d.published_at == row["posted_at"] and d.title == t["title"]
    assert len(seen) == len(t["posts"])
    for row, post in zip(seen, t["posts"]):
        assert row["post_id"] == f"tieba:{post['pid']}" and row["thread_id"] == f"tieba:{t['tid']}"
        assert row["floor"] == post["no"] and row["author"] == post["author"]
        assert row["posted_at"] == SITE.when(post["time"]) and row["text"] == expected_text(post)
        assert row["url"] == f"https://tieba.baidu.com/p/{t['tid']}?pid={post['pid']}#{post['pid']}"


def test_both_date_styles_and_floor_gaps_are_read():
    for style in ("old", "new"):
        t = thread_by(lambda t: t["style"] == style and len(t["posts"]) > 3)
        html = SITE.answer(f"/p/{t['tid']}?pn=1")[2].decode()
        assert ("&quot;date&quot;" in html) == (style == "old")
        page = tieba.read_thread(html, f"https://{HOST}/p/{t['tid']}?pn=1")
        assert [f.posted_at for f in page.floors] == [SITE.when(p["time"]) for p in t["posts"][:30]]
    gappy = thread_by(lambda t: [p["no"] for p in t["posts"]] != list(range(1, len(t["posts"]) + 1)))
    floors = [r["floor"] for k, r in tieba.parse(record(f"/p/{gappy['tid']}?pn=1")).rows if k == "forum_posts"]
    assert floors == [p["no"] for p in gappy["posts"][:30]]


def test_list_time_forms():
    now = datetime(2026, 11, 22, 15, 0, tzinfo=CHINA)
    assert tieba.list_time("14:23", now) == (datetime(2026, 11, 22, 14, 23, tzinfo=CHINA),) * 2
    assert tieba.list_time("5-17", now) == (None, datetime(2026, 5, 17, 23, 59, tzinfo=CHINA))
    assert tieba.list_time("2023-12", now) == (None, datetime(2023, 12, 31, 23, 59, tzinfo=CHINA))
    assert tieba.list_time("2024-05-17 09:32", None)[0] == datetime(2024, 5, 17, 9, 32, tzinfo=CHINA)
    assert tieba.list_time("14:23", None) == (None, None) and tieba.list_time("2-30", now) == (None, None)
    assert tieba.list_time("", now) == (None, None) and tieba.list_time("刚刚", now) == (None, None)


def test_images_and_emoticons_are_dropped():
    t = thread_by(lambda t: any(p["content"] and all(c[0] in ("img", "emo", "br") for c in p["content"])
                                for p in t["posts"]))
    post = next(p for p in t["posts"] if all(c[0] in ("img", "emo", "br") for c in p["content"]))
    pn = t["posts"].index(post) // 30 + 1
    ex = tieba.parse(record(f"/p/{t['tid']}?pn={pn}"))
    row = next(r for k, r in ex.rows if k == "forum_posts" and r["post_id"] == f"tieba:{post['pid']}")
    assert row["text"] == "" and f"tieba:{post['pid']}" not in {d.doc_id for d in ex.documents}
    assert any(r.reason == "empty_floor" for r in ex.rejects)
    mixed = thread_by(lambda t: any(len(p["content"]) > 1 and p["content"][-1][0] == "emo" for p in t["posts"]))
    post = next(p for p in mixed["posts"] if len(p["content"]) > 1 and p["content"][-1][0] == "emo")
    pn = mixed["posts"].index(post) // 30 + 1
    doc = next(d for d in tieba.parse(record(f"/p/{mixed['tid']}?pn={pn}")).documents if d.doc_id == f"tieba:{post['pid']}")
    assert doc.text == expected_text(post) and "img" not in doc.text and doc.text


def _reasons(ex) -> list[str]:
    return [r.reason for r in ex.rejects]


def test_bad_input_is_rejected_with_a_reason_never_raised():
    t = thread_by(lambda t: 5 <= len(t["posts"]) <= 30)
    target = f"/p/{t['tid']}?pn=1"
    html = SITE.answer(target)[2].decode()
    # block page, deleted thread
    assert _reasons(tieba.parse(record(list_target("黑户"), HANDLER.BLOCK_PAGE))) == ["block_page"]
    assert _reasons(tieba.parse(record(target, HANDLER.BLOCK_PAGE))) == ["block_page"]
    deleted = next(x for x in THREADS if x["deleted"])
    assert _reasons(tieba.parse(record(f"/p/{deleted['tid']}?pn=1"))) == ["thread_deleted"]
    # one floor without data-field, one with broken JSON: the others are still read
    first_field = re.search(r'(<div class="l_post[^>]*?) data-field="[^"]*"', html)
    broken = html.replace(first_field.group(0), first_field.group(1), 1)
    second = re.findall(r'<div class="l_post[^>]*? data-field="([^"]*)"', broken)[0]
    broken = broken.replace(second, second[:40], 1)
    ex = tieba.parse(record(target, broken.encode()))
    assert _reasons(ex)[:2] == ["missing_data_field", "malformed_data_field"]
    assert len([r for k, r in ex.rows if k == "forum_posts"]) == len(t["posts"]) - 2
    # a full-size page without floors
    frame = HANDLER._frame("t", "", "<div>" + "说明" * 2000 + "</div>").decode()
    assert _reasons(tieba.parse(record(target, (frame.replace("</body>", "<b>l_post</b></body>")).encode()))) == ["no_floors"]
    # list items: data-tid rescues a broken data-field; an item with neither is a reject
    lhtml = SITE.list_page("催收", 0).decode()  # the PC layout (the replay answers this URL in the mobile one)
    lis = re.findall(r'<li class=" j_thread_list[^>]*>', lhtml)
    lhtml = lhtml.replace(lis[0], re.sub(r'data-field="[^"]*"', 'data-field="{oops"', lis[0]))
    lhtml = lhtml.replace(lis[1], re.sub(r' data-field="[^"]*" data-tid="\d+"', "", lis[1]))
    ex = tieba.parse(record(list_target("催收"), lhtml.encode()))
    assert _reasons(ex) == ["missing_data_field"] and len(ex.rows) == 24
    # garbage in any form: rejects, no exception
    for junk in (b"", b"\xff\xfe\x00garbage", html.encode()[:3000], b"<html>" + b"\x00" * 9000, html.encode()[:-9000]):
        for tgt in (target, list_target("网贷")):
            tieba.parse(record(tgt, junk))


def test_block_detection_spares_empty_forums_deleted_threads_and_robots():
    assert tieba.block_reason(f"https://{HOST}{list_target('上岸')}", SITE.answer(list_target("上岸"))[2]) is None
    deleted = next(x for x in THREADS if x["deleted"])
    assert tieba.block_reason(f"https://{HOST}/p/{deleted['tid']}", SITE.answer(f"/p/{deleted['tid']}")[2]) is None
    assert tieba.block_reason(f"https://{HOST}/robots.txt", b"User-agent: *") is None
    assert tieba.block_reason(f"https://{HOST}{list_target('网贷')}", HANDLER.BLOCK_PAGE) == "block_page"
    assert tieba.block_reason(f"https://{HOST}/p/1", HANDLER.BLOCK_PAGE) == "block_page"


def test_spider_arguments():
    from lendcorpus.crawler.spiders.tieba import TiebaSpider

    assert TiebaSpider().forums == ["网贷", "催收", "逾期"]
    assert TiebaSpider(forums="网贷吧，催收,网贷, ").forums == ["网贷", "催收"]


# -- the fixture -----------------------------------------------------------------------------

def test_generator_rewrites_its_data_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(SITE_DIR / "_generate.py"), "--out", str(tmp_path)], check=True, timeout=60)
    assert (tmp_path / "_threads.json").read_bytes() == (SITE_DIR / "_threads.json").read_bytes()


def test_fixture_serves_every_case():
    assert SITE.ordered("上岸") == [] and SITE.list_slice("逾期", 50) == ([], False)
    assert SITE.list_slice("逾期", 0)[1] and not SITE.list_slice("网贷", 50)[1]
    assert sum(t["deleted"] for t in THREADS) == 1 and sum(SITE.pages(t) > 1 for t in LIVE) >= 5
    forms = Counter(re.sub(r"\d+", "9", SITE.short_time(SITE.when(t["posts"][-1]["time"]))) for t in THREADS)
    assert {"9:9", "9-9"} <= set(forms)  # today's HH:MM plus M-D and/or YYYY-M
    assert len(HANDLER.BLOCK_PAGE) < tieba.MIN_PAGE_BYTES and b"j_thread_list" not in HANDLER.BLOCK_PAGE
    text = json.dumps([[t["title"], t["author"], [[p["author"], p["content"]] for p in t["posts"]]] for t in THREADS],
                      ensure_ascii=False)
    assert not re.search(r"1[3-9]\d{9}|\d{17}[\dX]", text)  # no phone or ID-card numbers


def test_contract_every_selector_and_key_the_parser_reads_is_in_the_fixtures():
    lists = [SITE.answer(list_target(f, pn))[2].decode() for f, pn in (("网贷", 0), ("网贷", 50), ("逾期", 0))]
    tree = LexborHTMLParser(tieba.unwrap_comments(lists[0]))
    assert "<!--<div class=\"content\"><ul id=\"thread_list\"" in lists[0]
    for sel in ("a.card_title_fname", "li.j_thread_list", "a.j_th_tit", "a.frs-author-name",
                "span.threadlist_rep_num", "span.threadlist_reply_date", "#frs_list_pager a.next"):
        assert tree.css(sel), sel
    for li in tree.css("li.j_thread_list"):
        assert "data-tid" in li.attributes and li.css_first("a.j_th_tit").attributes.get("title")
        assert {"id", "author_name", "reply_num", "is_top"} <= set(json.loads(li.attributes["data-field"]))
    assert 'data-field="{&quot;id&quot;' in lists[0]  # HTML-escaped JSON, as on the site
    old = thread_by(lambda t: t["style"] == "old" and SITE.pages(t) > 1)
    tree = LexborHTMLParser(SITE.answer(f"/p/{old['tid']}?pn=1")[2].decode())
    for sel in ("h3.core_title_txt", "li.l_reply_num span.red", "li.l_pager span.tP", "div.l_post",
                "div.l_post div.d_post_content", "div.l_post a.p_author_name", "div.l_post span.tail-info"):
        assert tree.css(sel), sel
    assert len(tree.css("li.l_reply_num span.red")) == 4  # count and pages, top and bottom pager
    for post in tree.css("div.l_post"):
        field = json.loads(post.attributes["data-field"])
        assert {"user_name"} <= set(field["author"]) and {"post_id", "post_no", "date"} <= set(field["content"])
    deleted = next(x for x in THREADS if x["deleted"])
    assert "该贴已被删除" in SITE.answer(f"/p/{deleted['tid']}")[2].decode()


# -- crawls against the replay ---------------------------------------------------------------



def expected_targets(site) -> set[str]:
    out = {"/robots.txt"}
    for forum in FORUMS:
        pn = 0
        while True:
            out.add(list_target(forum, pn))
            items, more = site.list_slice(forum, pn)
            if not items or not more:
                break
            pn += site.list_size
    for t in site.data["threads"]:
        out |= {f"/p/{t['tid']}?pn={k}" for k in range(1, (1 if t["deleted"] else site.pages(t)) + 1)}
    return out


def logged(path: Path) -> list[str]:
    return [json.loads(line)["target"] for line in path.read_text().splitlines()]


ARGS = ["-a", "forums=" + ",".join(FORUMS)]


@pytest.fixture(scope="module")
def tieba_crawl(tmp_path_factory):
    home = tmp_path_factory.mktemp("tieba")
    log = home / "replay.log"
    with ReplayProcess(log_path=log) as server:
        job = home / "archive" / "tieba" / "full"
        proc = run_cli("crawl", "tieba", "--replay", server.address, "--new", "--job", str(job), *ARGS, *FAST,
                       env={"LENDCORPUS_HOME": str(home)})
    run_cli("build", env={"LENDCORPUS_HOME": str(home)})
    return {"home": home, "job": job, "db": home / "corpus.duckdb", "log": log, "crawl": proc}


def test_crawl_fetches_every_page_once_and_stops_for_reasons(tieba_crawl):
    targets = [t for t in logged(tieba_crawl["log"])]
    assert [t for t, n in Counter(targets).items() if n > 1] == []  # no duplicate fetches
    assert set(targets) == expected_targets(SITE)
    recs = archived(tieba_crawl["job"])
    assert sorted(r.url for r in recs) == sorted(f"https://{HOST}{t}" for t in targets)
    kinds = Counter(r.warc_headers.get("X-Lendcorpus-Kind") for r in recs)
    assert kinds["forum_list"] == 6 and kinds["thread"] == len(targets) - 7
    stats = json.loads((tieba_crawl["job"] / "run.json").read_text())["sessions"][-1]["stats"]
    assert tieba_crawl["crawl"].stderr.rstrip().endswith("tieba: finished")
    assert stats["lendcorpus/rejects/thread_deleted"] == 1 and stats["lendcorpus/rejects/empty_forum"] == 1
    assert stats["lendcorpus/rejects/list_end"] == 3 and stats["lendcorpus/threads/duplicate_in_list"] == 1
    assert stats["lendcorpus/threads/queued"] == len(THREADS)
    state = json.loads((tieba_crawl["home"] / "state" / "tieba.json").read_text())
    assert state["marks"][f"thread:{LIVE[3]['tid']}"] == len(LIVE[3]["posts"]) - 1
    # user names never reach the log
    log_text = tieba_crawl["crawl"].stderr
    assert not any(t["author"] in log_text for t in THREADS[:20])


def test_build_has_every_floor_of_every_thread(tieba_crawl):
    db = tieba_crawl["db"]
    posts = set(query(db, "SELECT post_id, thread_id, floor, text FROM forum_posts"))
    assert posts == {(f"tieba:{p['pid']}", f"tieba:{t['tid']}", p["no"], expected_text(p)) for t in LIVE for p in t["posts"]}
    threads = {r[0]: r[1:] for r in query(db, "SELECT thread_id, forum, title, reply_count, pages, created_at, "
                                               "last_reply_at FROM forum_threads")}
    assert len(threads) == len(THREADS)
    for t in LIVE:
        forum, title, replies, pages, created, last = threads[f"tieba:{t['tid']}"]
        assert (forum, title, replies, pages) == (f"{t['forum']}吧", t["title"], len(t["posts"]) - 1, SITE.pages(t))
        assert created == SITE.when(t["posts"][0]["time"]) and last == SITE.when(t["posts"][-1]["time"])
    deleted = next(x for x in THREADS if x["deleted"])
    assert threads[f"tieba:{deleted['tid']}"][1] == deleted["title"]  # known from the list only
    docs = query(db, "SELECT count(*), count(DISTINCT doc_id), min(kind), max(kind), min(source) FROM documents")[0]
    n_text = sum(bool(expected_text(p)) for t in LIVE for p in t["posts"])
    assert docs == (n_text, n_text, "post", "post", "tieba")
    empty = sum(not expected_text(p) for t in LIVE for p in t["posts"])
    assert empty >= 1 and Counter(query(db, "SELECT stage, reason FROM rejects")) == Counter(
        {("source", "thread_deleted"): 1, ("source", "empty_floor"): empty})


def test_block_page_stops_the_crawl_with_a_reason(tmp_path):
    home = tmp_path / "home"
    with ReplayProcess() as server:
        proc = run_cli("crawl", "tieba", "--replay", server.address, "-a", "forums=黑户", *FAST,
                       "-s", "LENDCORPUS_BLOCK_RETRIES=1", env={"LENDCORPUS_HOME": str(home)}, check=False)
    assert proc.returncode == 1 and "tieba: blocked_block_page" in proc.stderr
    recs = [r for r in archived(home / "archive" / "tieba") if r.url.startswith(f"https://{HOST}/f")]
    assert len(recs) == 2 and all(r.warc_headers.get(H_BLOCKED) == "block_page" for r in recs)
    assert extract_record(recs[0]).rejects[0].reason == "block_page"
    run_cli("build", env={"LENDCORPUS_HOME": str(home)})
    assert query(home / "corpus.duckdb", "SELECT stage, reason, count(*) FROM rejects GROUP BY ALL") == [
        ("fetch", "block_page", 2)]
    assert not (home / "state" / "tieba.json").exists()  # no marks from a crawl that did not finish


SLOW = ["-s", "DOWNLOAD_DELAY=0.1", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=2",
        "-s", "RETRY_TIMES=0", "-s", "CONCURRENT_REQUESTS=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0"]


def test_killed_crawl_resumes_to_the_same_archive_and_documents(tieba_crawl, tmp_path):
    home = tmp_path / "home"
    env = {"LENDCORPUS_HOME": str(home)}
    job = home / "archive" / "tieba" / "run1"
    with ReplayProcess() as server:
        proc = subprocess.Popen([sys.executable, "-m", "lendcorpus.cli", "crawl", "tieba", "--replay", server.address,
                                 "--new", "--job", str(job), *ARGS, *SLOW], env=dict(os.environ, **env),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if len(archived(job)) >= 15:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        first = {r.url for r in archived(job)}
        assert 15 <= len(first) < 60
        resumed = run_cli("crawl", "tieba", "--replay", server.address, "--job", str(job), *ARGS, *FAST, env=env)
    assert "served from the archive" in resumed.stderr
    responses = [r.url for r in archived(job) if r.rec_type == "response"]
    assert [u for u, n in Counter(responses).items() if n > 1] == []
    assert first <= set(responses)
    assert set(responses) == {r.url for r in archived(tieba_crawl["job"])}
    run_cli("build", env=env)
    sql = "SELECT doc_id, text FROM documents ORDER BY doc_id"
    assert query(home / "corpus.duckdb", sql) == query(tieba_crawl["db"], sql)


def test_incremental_crawl_fetches_only_changed_threads_new_pages(tieba_crawl, tmp_path):
    sites = tmp_path / "sites"
    shutil.copytree(SITE_DIR, sites / HOST)
    data = json.loads((sites / HOST / "_threads.json").read_text(encoding="utf-8"))
    wd = [t for t in data["threads"] if t["forum"] == "网贷" and not t["deleted"] and not t["top"]]
    small = next(t for t in wd if 3 <= len(t["posts"]) <= 20)  # gains floors on its only page
    big = next(t for t in wd if SITE.pages(t) == 2 and len(t["posts"]) <= 55)  # grows to three pages
    GENERATE.add_replies(data, small["tid"], 2, minutes_ago=30)
    GENERATE.add_replies(data, big["tid"], 61 - len(big["posts"]) + 5, minutes_ago=10)
    (sites / HOST / "_threads.json").write_text(GENERATE.dump(data), encoding="utf-8")
    home = tmp_path / "home"
    (home / "state").mkdir(parents=True)
    shutil.copy(tieba_crawl["home"] / "state" / "tieba.json", home / "state" / "tieba.json")
    log = tmp_path / "replay.log"
    with ReplayProcess([sites], log_path=log) as server:
        run_cli("crawl", "tieba", "--replay", server.address, *ARGS, *FAST, env={"LENDCORPUS_HOME": str(home)})
    assert sorted(logged(log)) == sorted(
        ["/robots.txt", *(list_target(f) for f in FORUMS), f"/p/{small['tid']}?pn=1",
         f"/p/{big['tid']}?pn=2", f"/p/{big['tid']}?pn=3"])
    run_cli("build", env={"LENDCORPUS_HOME": str(home)})
    floors = {r[0] for r in query(home / "corpus.duckdb", f"SELECT floor FROM forum_posts WHERE thread_id = 'tieba:{big['tid']}'")}
    new_big = next(t for t in data["threads"] if t["tid"] == big["tid"])
    assert {p["no"] for p in new_big["posts"][30:]} == floors
    state = json.loads((home / "state" / "tieba.json").read_text())
    assert state["marks"][f"pages:{big['tid']}"] == 3
    assert state["marks"][f"thread:{small['tid']}"] == len(small["posts"]) - 1  # small now holds the new floors


# -- real shapes (issue 14): ad blocks and the mobile list layout ---------------------------------

def _ad_pages() -> list[tuple[dict, int]]:
    return [(t, pn) for t in LIVE if t["tid"] in SITE.data["ad_threads"] for pn in range(1, SITE.pages(t) + 1)]


def test_ad_blocks_are_counted_as_ads_not_posts_nor_damage():
    assert len(SITE.data["ad_threads"]) >= 3
    for t, pn in _ad_pages():
        ex = tieba.parse(record(f"/p/{t['tid']}?pn={pn}"))
        posts = [r for k, r in ex.rows if k == "forum_posts"]
        ads = [r for k, r in ex.rows if k == "forum_ads"]
        on_page = t["posts"][(pn - 1) * 30:pn * 30]
        assert [r["floor"] for r in posts] == [p["no"] for p in on_page]  # floor 3 once, no ad text
        assert not any("急用钱" in r["text"] for r in posts)
        assert ex.rejects == []  # an ad without data-field is not damage
        assert len(ads) == (len(on_page) >= 3) + (len(on_page) >= 8)
        if ads:
            first = ads[0]
            assert first["claimed_floor"] == on_page[2]["no"] and first["linked_thread_id"] != f"tieba:{t['tid']}"
            assert first["linked_thread_id"].startswith("tieba:") and "急用钱" in first["text"]
            assert first["thread_id"] == f"tieba:{t['tid']}"


def test_ads_are_recognised_by_foreign_thread_and_repeated_floor_without_a_suffix():
    t, pn = _ad_pages()[0]
    html = SITE.answer(f"/p/{t['tid']}?pn={pn}")[2].decode()
    # the same ad blocks without their random class suffix: the data-field still gives one away
    plain = re.sub(r"\b(j_l_post|l_post)_[0-9a-f]{5}\b", r"\1", html)
    page = tieba.read_thread(plain, f"https://{HOST}/p/{t['tid']}?pn={pn}")
    assert [a.signal for a in page.ads] == ["foreign_thread"]
    assert len(page.floors) == len(t["posts"][:30]) and len({f.floor for f in page.floors}) == len(page.floors)
    # a block naming this thread but repeating a floor number already on the page
    own = plain.replace(f'thread_id&quot;:{page.ads[0].linked_tid}', f'thread_id&quot;:{t["tid"]}')
    page = tieba.read_thread(own, f"https://{HOST}/p/{t['tid']}?pn={pn}")
    assert [a.signal for a in page.ads] == ["repeated_floor"]


def test_mobile_list_layout_is_a_list_not_a_block_page():
    target = list_target("催收")
    body = SITE.answer(target)[2]
    assert b'id="frslistcontent"' in body and b"j_thread_list" not in body
    assert tieba.block_reason(f"https://{HOST}{target}", body) is None
    page = tieba.read_list(body.decode(), f"https://{HOST}{target}", datetime.now(CHINA))
    pc = tieba.read_list(SITE.list_page("催收", 0).decode(), f"https://{HOST}{target}", datetime.now(CHINA))
    assert page.layout == "mobile" and pc.layout == "pc" and page.ads == 1
    assert [(t.tid, t.title, t.author, t.reply_count, t.is_top, t.last_reply_latest) for t in page.threads] == \
        [(t.tid, t.title, t.author, t.reply_count, t.is_top, t.last_reply_latest) for t in pc.threads]
    rows = [r for k, r in tieba.parse(record(target)).rows if k == "forum_threads"]
    assert len(rows) == len(SITE.ordered("催收")) and all(r["forum"] == "催收吧" for r in rows)


def test_crawl_and_build_count_ads_and_read_the_mobile_list(tieba_crawl):
    stats = json.loads((tieba_crawl["job"] / "run.json").read_text())["sessions"][-1]["stats"]
    n_ads = sum((len(t["posts"][(pn - 1) * 30:pn * 30]) >= 3) + (len(t["posts"][(pn - 1) * 30:pn * 30]) >= 8)
                for t, pn in _ad_pages())
    assert stats["lendcorpus/pages/forum_list_mobile"] == 1 and stats["lendcorpus/ads/forum_list"] == 1
    assert stats["lendcorpus/ads/thread"] == n_ads and "lendcorpus/rejects/block_page" not in stats
    db = tieba_crawl["db"]
    assert query(db, "SELECT count(*) FROM forum_ads WHERE thread_id IS NOT NULL")[0][0] == n_ads
    assert query(db, "SELECT count(*) FROM forum_ads WHERE layout = 'mobile'")[0][0] == 1
    assert query(db, "SELECT count(*) FROM forum_posts WHERE text LIKE '%急用钱%'")[0][0] == 0
