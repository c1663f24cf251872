"""聚投诉 (ts.21cn.com): parser field by field, the fixture contract, and crawls of the replay
(full, killed and resumed, incremental) down to rows in DuckDB. ``contactway`` (the
complainant's phone) must never appear in any parser output, log or corpus column.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from lendcorpus.archive import H_BLOCKED, ArchivedRecord
from lendcorpus_replay.server import ReplayProcess
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR
from lendcorpus.pipelines.extract.dates import CHINA
from lendcorpus.pipelines.extract import extract_record
from lendcorpus.pipelines.extract.sources import jutousu as jt
from lendcorpus.pipelines.extract.sources import parser_for
from lc_testkit import archived, query  # noqa: E402

def _tests_conftest():
    """tests/conftest.py by path: a bare ``import conftest`` can pick up a sub-folder's conftest."""
    spec = importlib.util.spec_from_file_location("lendcorpus_tests_conftest",
                                                  Path(__file__).resolve().parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_conftest = _tests_conftest()
FAST, run_cli = _conftest.FAST, _conftest.run_cli
HOST = "ts.21cn.com"
SITE = REPLAY_SITES_DIR / HOST
DATA = json.loads((SITE / "_data.json").read_text(encoding="utf-8"))
BY_ID = {str(c["id"]): c for c in DATA["complaints"]}
SPECIAL = DATA["special"]
CONTACTS = sorted({c["contactway"] for c in DATA["complaints"]})
KEYWORDS = ["催收", "暴力催收"]
MERCHANTS = ["9001", "9002", "9003"]
ARGS = ["-a", "keywords=" + ",".join(KEYWORDS), "-a", "merchants=" + ",".join(MERCHANTS)]
NO_BACKOFF = ["-s", "LENDCORPUS_BLOCK_MAX_DELAY=0"]
FETCHED = "2024-06-29T02:00:00Z"  # WARC-Date of the hand-made records below
SEARCH = "/front/api/search/searchPostList.do"
POST = "/front/api/post/getPostContent.do"


def _load_handler():
    spec = importlib.util.spec_from_file_location("jutousu_fixture_handler", SITE / "_handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HANDLER = _load_handler()


def record(target: str, body: bytes | None = None, status: int = 200, ctype: str = "application/json") -> ArchivedRecord:
    """A stored response as the build reads it: the fixture's answer to ``target``, or ``body``."""
    if body is None:
        status, headers, body = HANDLER.handle("GET", target, {}, b"")
        ctype = headers["Content-Type"]
    return ArchivedRecord(path=Path("t.warc.gz"), offset=0, length=len(body), rec_type="response",
                          url=f"https://{HOST}{target}", date=FETCHED, status=status,
                          headers=[("Content-Type", ctype)], body=body, warc_headers={})


def search_target(kw: str, page: int) -> str:
    return f"{SEARCH}?" + urlencode({"pageNo": page, "title": kw, "listType": 1})


def merchant_target(mid: str, page: int, offset: str = "") -> str:
    return f"/json/merchantPostList/merchantId/{mid}/listType/1/pageNo/{page}/offset/{quote(offset)}"


def post_target(cid: str) -> str:
    return f"{POST}?postKey={BY_ID[cid]['postKey']}"


def plain(html: str) -> str:
    return jt.strip_html(html)


def first_normal(pred=lambda c: True) -> dict:
    return next(c for c in DATA["complaints"] if str(c["id"]) not in SPECIAL and pred(c))


# -- what an anonymous crawl of every list reaches (from the fixture's declarations) -----------

def reachable() -> dict[str, list[int]]:
    size = DATA["page_size"]
    scen = DATA["scenario"]
    return {
        "search:催收": DATA["search"]["催收"],
        "search:暴力催收": DATA["search"]["暴力催收"][:(scen["search"]["暴力催收"]["login_wall_page"] - 1) * size["search"]],
        "merchant:9001": DATA["merchant"]["9001"],
        "merchant:9002": DATA["merchant"]["9002"][:(scen["merchant"]["9002"]["malformed_page"] - 1) * size["merchant"]],
    }


REACHED = {str(i) for ids in reachable().values() for i in ids}
DETAIL_FAILS = {"detail_login_wall", "detail_404", "detail_no_post_key"}
POST_FAILS = {"post_html", "post_error", "post_missing_topic", "post_malformed"}
EXPECTED_POSTS = {i for i in REACHED if SPECIAL.get(i) not in DETAIL_FAILS}
EXPECTED_DOCS = {f"jutousu:{i}" for i in EXPECTED_POSTS if SPECIAL.get(i) not in POST_FAILS}


# -- parsing, field by field --------------------------------------------------------------------

def test_module_is_the_parser_for_the_real_host():
    assert parser_for(f"https://{HOST}/tousu/show/id/1") is jt.parse


def test_search_list_gives_partial_rows():
    kw = "催收"
    ex = jt.parse(record(search_target(kw, 1)))
    assert ex.page_kind == "list" and not ex.rejects and not ex.documents
    ids = DATA["search"][kw][:DATA["page_size"]["search"]]
    assert [r["native_id"] for _, r in ex.rows] == [str(i) for i in ids]
    table, row = ex.rows[0]
    c = BY_ID[str(ids[0])]
    assert table == "complaints"
    assert row["complaint_id"] == f"jutousu:{c['id']}" and row["platform"] == "jutousu"
    assert row["url"] == f"https://{HOST}/tousu/show/id/{c['id']}"
    assert row["title"] == c["title"]  # the search highlight <span> is gone
    assert row["summary"] == c["shortTopic"] and row["author"] == c["username"]
    assert row["created_at"] == datetime.fromtimestamp(c["ctime"], timezone.utc)
    assert row["status"] == "unknown" and row["status_raw"] is None
    assert "narrative" not in row and "company_id" not in row


def test_merchant_list_rows_carry_merchant_and_demand():
    ex = jt.parse(record(merchant_target("9001", 1)))
    assert ex.page_kind == "list" and not ex.rejects
    _, row = ex.rows[0]
    c = BY_ID[row["native_id"]]
    assert row["company_id"] == "9001" and row["demand"] == c["shuqiu"] and row["title"] == c["title"]
    assert row["created_at"] == datetime.fromtimestamp(c["ctime"], timezone.utc)  # ctime as a string here


def test_detail_page_is_navigation_with_the_post_key():
    c = first_normal()
    rec = record(f"/tousu/show/id/{c['id']}")
    ex = jt.parse(rec)
    assert ex.page_kind == "complaint" and not ex.rows and not ex.documents and not ex.rejects
    assert jt.post_key(rec.body) == c["postKey"]


def test_post_api_gives_the_full_row_and_the_document():
    c = first_normal(lambda c: c["ctimeStr"][:4].isdigit() and ":" in c["ctimeStr"] and "-" in c["ctimeStr"])
    ex = jt.parse(record(post_target(str(c["id"]))))
    assert ex.page_kind == "api" and not ex.rejects
    [(table, row)] = ex.rows
    assert table == "complaints"
    assert row["title"] == c["title"] and row["company"] == c["merchantname"]
    assert row["issue"] == "；".join(lab["name"] for lab in c["problemLabelList"])
    assert row["demand"] == c["shuqiu"] and row["author"] == c["username"]
    assert row["status"] == "unknown" and row["status_raw"] is None
    assert row["created_at"].isoformat() == datetime.strptime(c["ctimeStr"], "%Y-%m-%d %H:%M").isoformat() + "+08:00"
    text = row["narrative"]
    assert "<" not in text and "&nbsp;" not in text and "\xa0" not in text
    assert text.count("\n") == 3 and text.startswith(c["shortTopic"].rstrip(".")[:20])
    [doc] = ex.documents
    assert doc.doc_id == row["complaint_id"] == f"jutousu:{c['id']}"
    assert (doc.source, doc.kind, doc.url) == ("jutousu", "complaint", f"https://{HOST}/tousu/show/id/{c['id']}")
    assert doc.text == text and doc.title == c["title"] and doc.published_at == row["created_at"]


@pytest.mark.parametrize("shown, in_row, published", [
    ("2024-05-17 09:32", "2024-05-17T09:32:00+08:00", "2024-05-17T09:32:00+08:00"),
    ("2024年5月17日 09:32", "2024-05-17T09:32:00+08:00", "2024-05-17T09:32:00+08:00"),
    ("2024/5/17", None, "2024-05-17T00:00:00+08:00"),
    ("3小时前", None, "2024-06-29T07:00:00+08:00"),     # relative to the fetch (10:00 in China)
    ("昨天 10:15", None, "2024-06-28T10:15:00+08:00"),
])
def test_post_times_in_the_forms_the_site_shows(shown, in_row, published):
    """Only a full date and minute may stand in created_at beside the list's exact unix ctime;
    the document's published_at takes every form, relative ones against the fetch time."""
    post = {"id": 1, "title": "t", "ctimeStr": shown, "topic": "<p>正文</p>"}
    ex = jt.parse(record(POST + "?postKey=x", json.dumps({"post": post}).encode()))
    row = ex.rows[0][1]
    assert (row["created_at"].isoformat() if row["created_at"] else None) == in_row
    assert ex.documents[0].published_at.astimezone(CHINA).isoformat() == published


def test_every_fixture_complaint_time_form_parses():
    for c in DATA["complaints"]:
        assert jt.parse_time(c["ctimeStr"], now=datetime(2024, 6, 29, tzinfo=timezone.utc)) is not None, c["ctimeStr"]


def _special(kind: str) -> str:
    return next(i for i, k in SPECIAL.items() if k == kind)


@pytest.mark.parametrize("target, reason", [
    (lambda: search_target("暴力催收", DATA["scenario"]["search"]["暴力催收"]["login_wall_page"]), "login_wall"),
    (lambda: f"/tousu/show/id/{_special('detail_login_wall')}", "login_wall"),
    (lambda: f"/tousu/show/id/{_special('detail_no_post_key')}", "no_post_key"),
    (lambda: merchant_target("9003", 1), "api_error"),
    (lambda: post_target(_special("post_error")), "api_error"),
    (lambda: post_target(_special("post_html")), "html_not_json"),
    (lambda: post_target(_special("post_malformed")), "malformed_json"),
])
def test_fixture_failures_become_rejects_with_reasons(target, reason):
    ex = jt.parse(record(target()))
    assert [r.reason for r in ex.rejects] == [reason] and all(r.stage == "source" for r in ex.rejects)
    assert not ex.documents and not ex.rows


def test_cut_off_merchant_list_is_malformed_json():
    first = json.loads(HANDLER.handle("GET", merchant_target("9002", 1), {}, b"")[2])
    ex = jt.parse(record(merchant_target("9002", 2, first["offset"])))
    assert [r.reason for r in ex.rejects] == ["malformed_json"] and not ex.rows


def test_post_without_topic_keeps_the_row_but_no_document():
    cid = _special("post_missing_topic")
    ex = jt.parse(record(post_target(cid)))
    assert [r.reason for r in ex.rejects] == ["missing_field"] and ex.rejects[0].detail == "post.topic"
    assert not ex.documents and ex.rows[0][1]["native_id"] == cid and ex.rows[0][1]["narrative"] is None


def test_empty_list_page_is_the_end_not_an_error():
    ex = jt.parse(record(search_target("催收", 99)))
    assert ex.rows == [] and ex.rejects == []


@pytest.mark.parametrize("body, reason", [
    (b"", "empty_body"), (b"   ", "empty_body"), (b"\xff\xfe{", "malformed_json"), (b"[1,2]", "malformed_json"),
    (b"null", "malformed_json"), (b'{"post": null}', "missing_field"), (b'{"post": {"id": "abc"}}', "missing_field"),
    (b'{"msg": "busy"}', "api_error"), (b'{"foo": 1}', "missing_field"), (b"<html>\xe7\x99\xbb</html>", "html_not_json"),
    ("<title>登录聚投诉</title>".encode(), "login_wall"),
])
def test_bad_post_answers_never_raise(body, reason):
    ex = jt.parse(record(POST + "?postKey=x", body))
    assert [r.reason for r in ex.rejects] == [reason] and not ex.documents


@pytest.mark.parametrize("body", [b'{"postList": "x"}', b'{"postList": [1, null, {"id": "5"}, {"title": "t"}]}',
                                  b'{"postList": [{"id": 7, "ctime": "soon", "title": null}]}'])
def test_odd_list_items_never_raise(body):
    ex = jt.parse(record(search_target("催收", 1), body))
    assert all(r.stage == "source" for r in ex.rejects)
    assert all(row["native_id"].isdigit() for _, row in ex.rows)


def test_unknown_pages_and_build_dispatch():
    assert jt.parse(record("/about.html", b"<html>hi</html>", ctype="text/html")).page_kind == "other"
    # the build's dispatch reaches this parser for API records tagged 'api'
    rec = record(post_target(str(first_normal()["id"])))
    rec.warc_headers["X-Lendcorpus-Kind"] = "api"
    assert len(extract_record(rec).documents) == 1


def _every_fixture_answer() -> list[ArchivedRecord]:
    recs = [record(search_target(kw, p)) for kw in KEYWORDS for p in range(1, 6)]
    for mid in MERCHANTS:
        offset = ""
        for page in range(1, 5):
            rec = record(merchant_target(mid, page, offset))
            recs.append(rec)
            try:
                offset = json.loads(rec.body).get("offset") or ""
            except ValueError:
                break
    for cid, c in BY_ID.items():
        recs.append(record(f"/tousu/show/id/{cid}"))
        recs.append(record(post_target(cid)))
    return recs


def test_contactway_never_leaves_the_parser():
    """Every answer the fixture can give, parsed: contactway is in the answers, in no output."""
    recs = _every_fixture_answer()
    no_post = {"post_html", "post_error", "post_malformed"}  # answers that carry no post at all
    baited = sum(c.encode() in r.body for r in recs for c in CONTACTS)
    assert baited == len(CONTACTS) - len(no_post)  # the bait is there
    outputs = []
    for rec in recs:
        ex = jt.parse(rec)
        outputs.append(json.dumps([ex.rows, [vars(d) for d in ex.documents], [vars(r) for r in ex.rejects]],
                                  ensure_ascii=False, default=str))
        assert "contactway" not in json.dumps([row for _, row in ex.rows], default=str)
    blob = "\n".join(outputs)
    assert blob.count("jutousu:") > 50
    leaked = [c for c in CONTACTS if c in blob or c.replace("*", "") in blob]
    assert leaked == []


# -- the fixture: contract and determinism ----------------------------------------------------

def test_contract_every_key_and_selector_the_parser_reads_exists_in_the_fixture():
    search = json.loads(HANDLER.handle("GET", search_target("催收", 1), {}, b"")[2])
    assert search["postList"] and all(set(jt.SEARCH_ITEM_KEYS) <= set(i) for i in search["postList"])
    merchant = json.loads(HANDLER.handle("GET", merchant_target("9001", 1), {}, b"")[2])
    assert set(jt.MERCHANT_LIST_KEYS) <= set(merchant)
    assert merchant["postList"] and all(set(jt.MERCHANT_ITEM_KEYS) <= set(i) for i in merchant["postList"])
    c = first_normal()
    post = json.loads(HANDLER.handle("GET", post_target(str(c["id"])), {}, b"")[2])["post"]
    assert set(jt.POST_KEYS) <= set(post) and "contactway" in post
    assert post["problemLabelList"] and all(set(jt.LABEL_KEYS) <= set(lab) for lab in post["problemLabelList"])
    assert "contactway" not in {*jt.POST_KEYS, *jt.SEARCH_ITEM_KEYS, *jt.MERCHANT_ITEM_KEYS, *jt.LABEL_KEYS}
    error = json.loads(HANDLER.handle("GET", merchant_target("9003", 1), {}, b"")[2])
    assert set(jt.ERROR_KEYS) <= set(error) and "postList" not in error
    page = HANDLER.handle("GET", f"/tousu/show/id/{c['id']}", {}, b"")[2].decode()
    node = LexborHTMLParser(page).css_first(jt.POST_KEY_SELECTOR)
    assert node is not None and node.attributes["value"] == c["postKey"]
    wall = HANDLER.handle("GET", f"/tousu/show/id/{_special('detail_login_wall')}", {}, b"")[2]
    assert jt.is_login_wall(wall) and not jt.is_login_wall(page.encode())


def test_fixture_shows_every_promised_shape():
    forms = Counter(c["ctimeStr"][-2:] if "前" in c["ctimeStr"] else c["ctimeStr"][:2] for c in DATA["complaints"])
    shown = " ".join(c["ctimeStr"] for c in DATA["complaints"])
    assert "小时前" in shown and "昨天" in shown and "/" in shown and "年" in shown and "-" in shown, forms
    assert set(SPECIAL.values()) == DETAIL_FAILS | POST_FAILS | {"detail_captcha"}
    assert set(SPECIAL) <= REACHED  # every special is met by a crawl of all lists
    s1 = {i["id"] for i in json.loads(HANDLER.handle("GET", search_target("催收", 1), {}, b"")[2])["postList"]}
    s2 = {i["id"] for i in json.loads(HANDLER.handle("GET", search_target("催收", 2), {}, b"")[2])["postList"]}
    assert len(s1 & s2) == 1  # one complaint on two pages
    assert all(c.startswith("138") and (c.startswith("138****") or c.startswith("1380000")) for c in CONTACTS)
    robots = (SITE / "robots.txt").read_text()
    assert "User-agent: *" in robots


def test_generator_rewrites_the_fixture_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(SITE / "_generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=60)
    for name in ("_data.json", "robots.txt"):
        assert (tmp_path / name).read_bytes() == (SITE / name).read_bytes(), name


# -- crawls of the replay -----------------------------------------------------------------------


def good_responses(run_dir: Path) -> list[str]:
    return [r.url for r in archived(run_dir) if r.rec_type == "response" and H_BLOCKED not in r.warc_headers]



def _ids(urls, prefix: str) -> set[str]:
    return {u.rsplit("/", 1)[1] for u in urls if u.startswith(f"https://{HOST}{prefix}")}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory, replay):
    home = tmp_path_factory.mktemp("jthome")
    env = {"LENDCORPUS_HOME": str(home)}
    job = home / "archive" / "jutousu" / "full"
    proc = run_cli("crawl", "jutousu", "--replay", replay.address, "--new", "--job", str(job), *ARGS, *FAST, *NO_BACKOFF,
                   env=env)
    run_cli("build", env=env)
    return {"home": home, "job": job, "db": home / "corpus.duckdb", "crawl": proc, "env": env}


def test_crawl_fetches_every_reachable_complaint_once(crawl):
    recs = archived(crawl["job"])
    urls = good_responses(crawl["job"])
    assert [u for u, n in Counter(urls).items() if n > 1] == []  # nothing fetched twice
    assert f"https://{HOST}/robots.txt" in urls
    details = {r.url.rsplit("/", 1)[1] for r in recs if "/tousu/show/id/" in r.url}
    assert details == REACHED
    posts = [r for r in recs if POST in r.url]
    by_key = {c["postKey"]: cid for cid, c in BY_ID.items()}
    assert {by_key[parse_qs(urlsplit(r.url).query)["postKey"][0]] for r in posts} == EXPECTED_POSTS
    # the captcha was archived as a block, backed off from, and the retry got the page
    captcha = f"https://{HOST}/tousu/show/id/{_special('detail_captcha')}"
    assert [r.warc_headers.get(H_BLOCKED) for r in recs if r.url == captcha] == ["captcha", None]
    # list pages: to the end, to the login wall, to the cut-off answer, the error envelope
    lists = Counter()
    for u in urls:
        if SEARCH in u:
            lists["search:" + parse_qs(urlsplit(u).query)["title"][0]] += 1
        elif "/merchantPostList/" in u:
            lists["merchant:" + u.split("/merchantId/")[1].split("/")[0]] += 1
    per = DATA["page_size"]
    assert lists == {
        "search:催收": -(-(len(DATA["search"]["催收"]) + 1) // per["search"]) + 1,  # +1 repeated, +1 empty end
        "search:暴力催收": DATA["scenario"]["search"]["暴力催收"]["login_wall_page"],
        "merchant:9001": -(-len(DATA["merchant"]["9001"]) // per["merchant"]) + 1,
        "merchant:9002": DATA["scenario"]["merchant"]["9002"]["malformed_page"],
        "merchant:9003": 1,
    }
    stats = json.loads((crawl["job"] / "run.json").read_text())["sessions"][-1]["stats"]
    got = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("lendcorpus/rejects/")}
    assert got == {"login_wall": 2, "api_error": 2, "malformed_json": 2, "html_not_json": 1, "no_post_key": 1,
                   "missing_field": 1, "http_404": 1, "captcha": 1}
    assert stats["lendcorpus/items/repeated"] == 1
    assert stats["lendcorpus/pages/document"] == len(EXPECTED_DOCS)
    assert "jutousu: finished" in crawl["crawl"].stderr


def test_build_rows_documents_and_rejects(crawl):
    db = crawl["db"]
    assert {r[0] for r in query(db, "SELECT doc_id FROM documents WHERE source = 'jutousu'")} == EXPECTED_DOCS
    rows = {r[0]: r[1:] for r in query(db, "SELECT native_id, company, company_id, narrative, status, status_raw, "
                                           "created_at, title FROM complaints WHERE platform = 'jutousu'")}
    assert set(rows) == REACHED
    assert all(r[3] == "unknown" and r[4] is None for r in rows.values())
    assert all(r[5] is not None and r[6] for r in rows.values())  # every listed complaint has time and title
    # a 9001 complaint fetched in full: merchant id from the list, merchant name from the post
    cid = next(str(i) for i in DATA["merchant"]["9001"] if f"jutousu:{i}" in EXPECTED_DOCS)
    company, company_id, narrative = rows[cid][:3]
    assert (company, company_id) == ("新橙分期", "9001") and narrative == plain(BY_ID[cid]["topic"])
    # created_at from the list's exact ctime survives the post's coarser display forms
    for native, r in rows.items():
        assert r[5] == datetime.fromtimestamp(BY_ID[native]["ctime"], timezone.utc), native
    rejects = Counter(query(db, "SELECT stage, reason FROM rejects WHERE url LIKE 'https://ts.21cn.com/%'"))
    assert rejects == Counter({("source", "login_wall"): 2, ("source", "api_error"): 2,
                               ("source", "malformed_json"): 2, ("source", "html_not_json"): 1,
                               ("source", "no_post_key"): 1, ("source", "missing_field"): 1,
                               ("fetch", "http_404"): 1, ("fetch", "captcha"): 1})


def test_contactway_is_nowhere_in_the_corpus_or_the_logs(crawl):
    db = crawl["db"]
    cols = query(db, "SELECT table_name, column_name FROM information_schema.columns "
                     "WHERE data_type IN ('VARCHAR', 'JSON') AND table_schema = 'main'")
    assert len(cols) > 20
    needles = CONTACTS + [c.replace("*", "") for c in CONTACTS]
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, col in cols:
            text = " ".join(v for (v,) in con.execute(f'SELECT "{col}" FROM "{table}" WHERE "{col}" IS NOT NULL')
                            .fetchall() if isinstance(v, str))
            assert not [n for n in needles if n in text], (table, col)
        assert con.execute("SELECT count(*) FROM documents WHERE text LIKE '%催收%'").fetchone()[0] > 0
    finally:
        con.close()
    logs = crawl["crawl"].stdout + crawl["crawl"].stderr
    assert not [n for n in needles if n in logs]
    assert not [c["username"] for c in DATA["complaints"] if c["username"] in logs]


# -- kill and resume ------------------------------------------------------------------------------

SLOW = ["-s", "DOWNLOAD_DELAY=0.1", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=2",
        "-s", "RETRY_TIMES=0", "-s", "CONCURRENT_REQUESTS=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0"]


def _count(job: Path) -> int:
    try:
        return len(archived(job)) if job.exists() else 0
    except OSError:
        return 0


def test_killed_crawl_resumes_to_the_same_responses_and_documents(replay, tmp_path, crawl):
    env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
    job = tmp_path / "home" / "archive" / "jutousu" / "run1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lendcorpus.cli", "crawl", "jutousu", "--replay", replay.address, "--new", "--job", str(job),
         *ARGS, *SLOW, *NO_BACKOFF], env=dict(os.environ, **env), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(job) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    first = set(good_responses(job))
    full = set(good_responses(crawl["job"]))
    assert 0 < len(first) < len(full), "the crawl should have been stopped part-way"
    assert not (tmp_path / "home" / "state" / "jutousu.json").exists()  # no marks from a killed crawl

    resumed = run_cli("crawl", "jutousu", "--replay", replay.address, "--job", str(job), *ARGS, *FAST, *NO_BACKOFF,
                      env=env)
    assert "served from the archive" in resumed.stderr
    urls = good_responses(job)
    assert [u for u, n in Counter(urls).items() if n > 1] == []
    assert first <= set(urls) and set(urls) == full
    run_cli("build", env=env)
    db = tmp_path / "home" / "corpus.duckdb"
    got = query(db, "SELECT doc_id, text FROM documents ORDER BY doc_id")
    assert got == query(crawl["db"], "SELECT doc_id, text FROM documents ORDER BY doc_id")
    assert {d for d, _ in got} == EXPECTED_DOCS


# -- incremental ----------------------------------------------------------------------------------

def test_second_crawl_fetches_only_new_complaints(tmp_path, crawl):
    sites = tmp_path / "sites"
    copy = sites / HOST
    shutil.copytree(SITE, copy)
    subprocess.run([sys.executable, str(copy / "_generate.py"), "--new", "3"], check=True, capture_output=True,
                   timeout=60)
    new = {str(i) for i in json.loads((copy / "_data.json").read_text(encoding="utf-8"))["added"]}
    assert len(new) == 3 and not new & set(BY_ID)
    home = tmp_path / "home"
    shutil.copytree(crawl["home"] / "state", home / "state")  # the marks the finished first crawl left
    env = {"LENDCORPUS_HOME": str(home)}
    job = home / "archive" / "jutousu" / "run2"
    with ReplayProcess([sites]) as server:
        run_cli("crawl", "jutousu", "--replay", server.address, "--new", "--job", str(job), *ARGS, *FAST, *NO_BACKOFF,
                env=env)
    urls = good_responses(job)
    assert _ids(urls, "/tousu/show/id/") == new
    assert len([u for u in urls if POST in u]) == 3
    # each list stops at its first known complaint: one page each
    assert len([u for u in urls if SEARCH in u or "/merchantPostList/" in u]) == len(KEYWORDS) + len(MERCHANTS)
    marks = json.loads((home / "state" / "jutousu.json").read_text())["marks"]
    assert marks["search:催收"] == max(int(i) for i in new)
    run_cli("build", env=env)
    assert {r[0] for r in query(home / "corpus.duckdb", "SELECT doc_id FROM documents")} == {f"jutousu:{i}" for i in new}


def test_since_skips_older_complaints(replay, tmp_path):
    env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
    job = tmp_path / "home" / "archive" / "jutousu" / "since"
    run_cli("crawl", "jutousu", "--replay", replay.address, "--new", "--job", str(job), "--since", "2024-06-20",
            "-a", "merchants=9001", *FAST, *NO_BACKOFF, env=env)
    cutoff = datetime(2024, 6, 20, tzinfo=CHINA).timestamp()
    want = {str(i) for i in DATA["merchant"]["9001"] + DATA["search"]["催收"] if BY_ID[str(i)]["ctime"] >= cutoff}
    assert want and {r.url.rsplit("/", 1)[1] for r in archived(job) if "/tousu/show/id/" in r.url} == want
