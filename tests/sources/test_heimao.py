"""黑猫投诉 (tousu.sina.com.cn): signing, the parser on fixture answers, and crawls of the replay.

Crawls run against a replay server of this test's own copy of the fixture folder (with a request
log), so the tests can count what reached the "site" and add newer complaints for the
incremental crawl.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from lendcorpus.archive import ArchivedRecord
from lendcorpus.crawler.fingerprint import strip_params
from lendcorpus_replay.server import ReplayProcess
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR
from lendcorpus.pipelines.extract.dates import CHINA
from lendcorpus.pipelines.extract.sources import heimao as hp
from lendcorpus.pipelines.extract.sources import parser_for
from lc_testkit import archived, query  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
HOST = "tousu.sina.com.cn"
SITE = REPLAY_SITES_DIR / HOST
DATA = json.loads((SITE / "_data.json").read_text(encoding="utf-8"))
BY_SN = {c["sn"]: c for c in DATA["complaints"]}
SALT = "$d6eb7ff91ee257475%"
VOLATILE = frozenset({"ts", "rs", "signature", "_", "sld"})
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0",
        "-s", "LENDCORPUS_PROGRESS_INTERVAL=0"]
KEYWORDS = "催收,暴力催收,爆通讯录,上门催收,威胁起诉,无此关键词"
COUIDS = "5650743478,6000000001"
CRAWL_ARGS = ["-a", f"keywords={KEYWORDS}", "-a", f"couids={COUIDS}", "-a", "feed=1"]
#: an invented logged-in session: search and company lists answer 10005 without one
SESSION = "SUB=_2A25Linvented0sessionXYZ; SUBP=0033WrSXqPxfM725Ws9jqgMF55529P9D9Winvented"
COOKIE_ENV = {"LENDCORPUS_HEIMAO_COOKIE": SESSION}


def _load_handler(root: Path = SITE):
    spec = importlib.util.spec_from_file_location(f"heimao_handler_{abs(hash(str(root)))}", root / "_handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HANDLER = _load_handler()


def run_cli(*args: str, env: dict, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "lendcorpus.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **env}, cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"lendcorpus {args} exited {proc.returncode}\n{proc.stderr[-4000:]}")
    return proc


def sign(parts: list[str]) -> str:
    return hashlib.sha256("".join(sorted(parts)).encode("utf-8")).hexdigest()


def api_target(path: str, page: int, extra: tuple[str, str] | None = None, ts: str = "1731800000123",
               rs: str = "Ab3dEf6hIj9kLm2n", salt: str = SALT, size: int = 10) -> str:
    """A request target signed independently of the spider (what a correct client sends)."""
    signs_type = path != "/api/index/s"
    parts = [ts, rs, salt, str(size), str(page)] + ([extra[1]] if extra else []) + (["1"] if signs_type else [])
    q = f"ts={ts}&rs={rs}&signature={sign(parts)}"
    if extra:
        q += f"&{extra[0]}={extra[1]}"
    if signs_type:
        q += "&type=1"
    return f"{path}?{q}&page_size={size}&page={page}"


def record(url: str, body: bytes, ctype: str = "application/json;charset=UTF-8", status: int = 200) -> ArchivedRecord:
    return ArchivedRecord(path=Path("test.warc.gz"), offset=0, length=len(body), rec_type="response", url=url,
                          date="2026-11-22T08:00:00Z", status=status, headers=[("Content-Type", ctype)], body=body,
                          warc_headers={})


def served(target: str) -> ArchivedRecord:
    status, headers, body = HANDLER.handle("GET", target, {"Cookie": SESSION}, b"")
    return record(f"https://{HOST}{target}", body, headers.get("Content-Type", ""), status)


def detail(sn: str) -> ArchivedRecord:
    return served(f"/complaint/view/{sn}/?sld={BY_SN[sn]['sld']}")


def rows(ex, table: str) -> list[dict]:
    return [r for t, r in ex.rows if t == table]




def stable(url: str) -> str:
    return strip_params(url, VOLATILE)


# -- the generator and the signature ---------------------------------------------------------------

def test_generator_rewrites_the_fixture_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(SITE / "_generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=60)
    made = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    kept = {p.relative_to(SITE).as_posix(): p.read_bytes() for p in SITE.rglob("*")
            if p.is_file() and p.name not in ("_generate.py", "_handler.py") and "__pycache__" not in p.parts}
    assert made.keys() == kept.keys()
    assert [name for name in made if made[name] != kept[name]] == []
    # invented people only: display names are generic, profiles point at an example domain
    assert all(c["item"]["author"]["wb_profile"].startswith("https://weibo.example/") for c in DATA["complaints"])


def test_signature_matches_an_independent_sha256():
    from lendcorpus.crawler.spiders.heimao import DEFAULT_SALT, sign as spider_sign

    assert DEFAULT_SALT == SALT
    ts, rs = "1700000000000", "abcdefghijklmnop"
    feed = hashlib.sha256("".join(sorted([ts, rs, SALT, "1", "10", "2"])).encode()).hexdigest()
    assert spider_sign(ts, rs, SALT, "10", "2", type_="1") == feed
    # the search signs the keywords (UTF-8) and not the type; sorted as strings, not as numbers
    search = hashlib.sha256("".join(sorted([ts, rs, SALT, "催收", "10", "1"])).encode("utf-8")).hexdigest()
    assert spider_sign(ts, rs, SALT, "10", "1", extra="催收") == search
    assert "".join(sorted(["10", "9", "1700000000000"])) == "101700000000000" + "9"
    company = hashlib.sha256((ts + SALT + "1" + "10" + "3" + "5650743478" + rs).encode()).hexdigest()
    assert spider_sign(ts, rs, SALT, "10", "3", extra="5650743478", type_="1") != company  # order matters
    assert spider_sign(ts, rs, SALT, "10", "3", extra="5650743478", type_="1") == hashlib.sha256(
        "".join(sorted([ts, rs, SALT, "5650743478", "1", "10", "3"])).encode()).hexdigest()


def _spider(tmp_path, **kwargs):
    from scrapy.utils.test import get_crawler

    from lendcorpus.crawler.spiders.heimao import HeimaoSpider

    crawler = get_crawler(HeimaoSpider, {"LENDCORPUS_STATE_DIR": str(tmp_path), **kwargs.pop("settings", {})})
    return HeimaoSpider.from_crawler(crawler, **kwargs)


def test_spider_urls_pass_the_fixture_check_and_a_wrong_salt_gets_10005(tmp_path):
    from lendcorpus.crawler.spiders.heimao import Listing

    spider = _spider(tmp_path)
    for listing in (Listing("feed"), Listing("search", "催收"), Listing("company", "5650743478")):
        url = spider.list_url(listing, 2)
        q = parse_qs(urlsplit(url).query)
        assert len(q["ts"][0]) == 13 and len(q["rs"][0]) == 16 and q["page"] == ["2"] and q["page_size"] == ["10"]
        answer = json.loads(HANDLER.handle("GET", url.split(HOST, 1)[1], {"Cookie": SESSION}, b"")[2])
        assert answer["result"]["status"]["code"] == 0, listing
    bad = _spider(tmp_path, settings={"LENDCORPUS_HEIMAO_SALT": "old-salt"})
    target = bad.list_url(Listing("feed"), 1).split(HOST, 1)[1]
    assert json.loads(HANDLER.handle("GET", target, {"Cookie": SESSION}, b"")[2])["result"]["status"]["code"] == 10005
    unsigned = "/api/index/feed?type=1&page_size=10&page=1"
    assert json.loads(HANDLER.handle("GET", unsigned, {"Cookie": SESSION}, b"")[2])["result"]["status"]["code"] == 10005
    tampered = api_target("/api/index/feed", 1).replace("page=1", "page=2")
    assert json.loads(HANDLER.handle("GET", tampered, {"Cookie": SESSION}, b"")[2])["result"]["status"]["code"] == 10005


# -- the parser, field by field ------------------------------------------------------------------------

def test_feed_rows_field_by_field():
    ex = served(api_target("/api/index/feed", 1))
    ex = hp.parse(ex)
    assert ex.page_kind == "api" and ex.rejects == [] and ex.documents == []
    got = rows(ex, "complaints")
    assert [r["native_id"] for r in got] == DATA["feed"][:10]
    for r in got:
        c = BY_SN[r["native_id"]]
        m = c["item"]["main"]
        assert r["complaint_id"] == f"heimao:{m['sn']}" and r["platform"] == "heimao"
        assert r["title"] == m["title"] and r["summary"] == m["summary"]
        assert r["company"] == c["company"] and "<" not in r["company"]  # cotitle HTML stripped
        assert r["company_id"] == m["couid"] and r["issue"] == m["issue"] and r["demand"] == m["appeal"]
        assert r["amount_raw"] == (m["cost"] or None)
        assert r["status_raw"] == c["status_text"]
        assert r["created_at"].timestamp() == c["detail"]["steps"][0]["time"]  # s, int and ms forms alike
        assert r["upvotes"] == int(m["upvote_amount"]) and r["comments"] == int(m["comment_amount"])
        assert r["author"] == c["item"]["author"]["title"]
        assert r["url"] == "https:" + m["url"]
        assert "narrative" not in r  # the list only has a truncated summary
        assert not any("weibo" in str(v) for v in r.values())
    forms = {type(BY_SN[r["native_id"]]["item"]["main"]["timestamp"]).__name__ for r in got}
    assert forms == {"str", "int"}
    amounts = {BY_SN[r["native_id"]]["item"]["main"]["cost"]: r["amount_yuan"] for r in got}
    assert all(hp.parse_amount(k) == v for k, v in amounts.items())
    assert hp.parse_amount("2.3万元") == 23000.0


@pytest.mark.parametrize("code, text, status", [(1, "通过审核", "submitted"), (3, "待分配", "assigned"),
                                                (4, "处理中", "in_progress"), (6, "已回复", "replied"),
                                                (7, "已完成", "resolved"), (8, "已关闭", "closed")])
def test_status_mapping(code, text, status):
    assert hp.map_status(code) == (text, status) == hp.map_status(str(code)) == hp.map_status(text)
    assert hp.map_status(99) == ("99", "unknown") and hp.map_status(None) == (None, "unknown")


def test_search_and_company_lists_and_paging_shapes():
    ex = hp.parse(served(api_target("/api/index/s", 1, ("keywords", "暴力催收"))))
    got = rows(ex, "complaints")
    assert len(got) == 10 and all("<" not in r["title"] and "<" not in (r["summary"] or "") for r in got)
    raw = json.loads(served(api_target("/api/index/s", 1, ("keywords", "暴力催收"))).body)
    assert any("<span" in i["main"]["title"] + i["main"]["summary"] for i in raw["result"]["data"]["lists"])
    ex = hp.parse(served(api_target("/api/company/received_complaints", 1, ("couid", "5650743478"))))
    got = rows(ex, "complaints")
    assert got and all(r["company_id"] == "5650743478" and r["company"] == "新橙分期" for r in got)
    # page 2 of the feed: the duplicated item again, and one item without a complaint number
    ex = hp.parse(served(api_target("/api/index/feed", 2)))
    assert rows(ex, "complaints")[0]["native_id"] == DATA["duplicate_sn"]
    assert [(r.stage, r.reason) for r in ex.rejects] == [("source", "missing_field")]
    assert "main.sn" in ex.rejects[0].detail
    # an empty page is not an error; a page of nothing has no rows
    ex = hp.parse(served(api_target("/api/index/s", 1, ("keywords", "无此关键词"))))
    assert ex.rows == [] and ex.rejects == []


@pytest.mark.parametrize("target, reason", [
    (api_target("/api/index/feed", 4), "heimao_10017"),
    (api_target("/api/index/feed", 1, salt="wrong"), "heimao_10005"),
    (api_target("/api/index/s", 2, ("keywords", "爆通讯录")), "malformed_json"),
    (api_target("/api/index/s", 1, ("keywords", "上门催收")), "html_not_json"),
    (api_target("/api/company/received_complaints", 1, ("couid", "6000000001")), "unexpected_envelope"),
])
def test_list_errors_are_rejects_with_reasons(target, reason):
    ex = hp.parse(served(target))
    assert ex.rows == [] and [(r.stage, r.reason) for r in ex.rejects] == [("source", reason)]


@pytest.mark.parametrize("body, reason", [
    (b"", "empty_body"), (b"<html>verify</html>", "html_not_json"), (b'{"result": ', "malformed_json"),
    (b'{"data": []}', "unexpected_envelope"), (b'{"result": {"status": {"code": 10005, "msg": "x"}}}', "heimao_10005"),
    (b'{"result": {"status": {"code": 0}, "data": {"lists": []}}}', None),
])
def test_spider_and_parser_read_the_envelope_with_one_function(body, reason):
    """The spider stops a list for the reason the parser rejects the archived answer with."""
    from lendcorpus.crawler.spiders import heimao as spider_module

    assert spider_module.read_envelope is hp.read_envelope
    assert hp.read_envelope(body).reason == reason
    rejects = hp.parse_list(record(f"https://{HOST}/api/index/feed", body, "application/json", 200), "lists").rejects
    assert [r.reason for r in rejects] == ([reason] if reason else [])


def test_complaint_page_field_by_field():
    sn = next(c["sn"] for c in DATA["complaints"] if len(c["detail"]["steps"]) >= 5)
    c = BY_SN[sn]
    m = c["item"]["main"]
    ex = hp.parse(detail(sn))
    assert ex.page_kind == "complaint" and ex.rejects == []
    (row,) = rows(ex, "complaints")
    steps = c["detail"]["steps"]
    assert row["complaint_id"] == f"heimao:{sn}" and row["native_id"] == sn
    assert row["title"] == m["title"] and row["company"] == c["company"] and row["company_id"] == m["couid"]
    assert row["issue"] == m["issue"] and row["demand"] == m["appeal"]
    assert row["amount_raw"] == (m["cost"] or None) and row["amount_yuan"] == hp.parse_amount(m["cost"])
    assert row["status_raw"] == c["status_text"] and row["status"] == hp.STATUS_TEXTS[c["status_text"]]
    assert row["narrative"] == steps[0]["text"] and row["author"] == steps[0]["name"]
    minute = lambda t: datetime.fromtimestamp(t - t % 60, CHINA)  # noqa: E731 - pages show minutes
    assert row["created_at"] == minute(steps[0]["time"]) and row["updated_at"] == minute(steps[-1]["time"])
    events = rows(ex, "complaint_events")
    assert [e["seq"] for e in events] == list(range(len(steps)))
    assert [e["status_raw"] for e in events] == [s["status"] for s in steps]  # oldest first, filed = 0
    assert [e["actor_role"] for e in events] == [s["role"] for s in steps]
    assert all(e["actor"] == "consumer" for e in events if e["actor_role"] == "consumer")
    assert [e["actor"] for e in events if e["actor_role"] != "consumer"] == \
        [s["name"] for s in steps if s["role"] != "consumer"]
    assert [e["text"] for e in events] == [s["text"] for s in steps]
    (doc,) = ex.documents
    assert (doc.doc_id, doc.source, doc.kind, doc.title, doc.text) == (f"heimao:{sn}", "heimao", "complaint",
                                                                       m["title"], steps[0]["text"])
    assert "\n" in doc.text  # paragraphs kept


def test_timeline_order_is_read_from_dates_and_the_filed_step_by_status():
    sn = DATA["oldest_first_sn"]
    html = detail(sn).body.decode()
    assert html.index("发起投诉") < html.index("审核通过")  # this page lists oldest first
    events = rows(hp.parse(detail(sn)), "complaint_events")
    assert events[0]["status_raw"] == "发起投诉" and [e["status_raw"] for e in events] == \
        [s["status"] for s in BY_SN[sn]["detail"]["steps"]]
    # every fixture page: filed step at seq 0, dates ascending, whatever the page order or date layout
    formats = Counter()
    for c in DATA["complaints"]:
        if c["sn"] == DATA["no_timeline_sn"]:
            continue  # test_header_date_when_the_timeline_is_missing
        ex = hp.parse(detail(c["sn"]))
        ev = rows(ex, "complaint_events")
        assert ev[0]["status_raw"] == "发起投诉" and ex.rejects == [], c["sn"]
        assert [e["event_at"] for e in ev] == sorted(e["event_at"] for e in ev)
        formats[c["detail"]["date_format"]] += 1
    assert len(formats) == 3


def test_complaint_pages_that_are_not_complaints():
    sn = DATA["complaints"][0]["sn"]
    no_sld = served(f"/complaint/view/{sn}/")
    assert "页面不存在" in no_sld.body.decode()
    cases = {
        "page_not_found": no_sld.body,
        "captcha": (SITE / "_pages" / "captcha.html").read_bytes(),
        "empty_body": b"",
        "missing_field": "<html><body><div class='other'>改版后的页面</div></body></html>".encode(),
    }
    for reason, body in cases.items():
        ex = hp.parse(record(f"https://{HOST}/complaint/view/{sn}/?sld=x", body, "text/html"))
        assert ex.rows == [] and [(r.stage, r.reason) for r in ex.rejects] == [("source", reason)], reason
    # a page without a timeline still gives the list-like fields, and says what is missing
    page = detail(sn).body.decode()
    cut = page[: page.index('<div class="ts-d-steplist">')] + "</body></html>"
    ex = hp.parse(record(f"https://{HOST}/complaint/view/{sn}/", cut.encode(), "text/html"))
    (row,) = rows(ex, "complaints")
    assert row["title"] and row["company"] and "narrative" not in row and ex.documents == []
    assert [r.reason for r in ex.rejects] == ["missing_field"]


@pytest.mark.parametrize("path", ["/api/index/feed?page=1", "/api/index/s?page=1",
                                  "/api/company/received_complaints?page=1", "/complaint/view/123/", "/other"])
@pytest.mark.parametrize("body", [b"", b"null", b"[]", b'{"result": []}', b'{"result": {"status": {"code": 0}}}',
                                  b'{"result": {"status": {"code": 0}, "data": {"lists": [1, null, {"main": 5}]}}}',
                                  b"\xff\xfe\x00garbage<", b"<html><li><label>"])
def test_bad_input_never_raises(path, body):
    ex = parser_for(f"https://{HOST}{path}")(record(f"https://{HOST}{path}", body))
    assert ex.page_kind in ("api", "complaint", "other")
    assert all(r.stage == "source" and r.reason for r in ex.rejects)


def test_contract_every_key_and_selector_the_parser_reads_is_in_the_fixtures():
    from selectolax.lexbor import LexborHTMLParser

    feed = json.loads(served(api_target("/api/index/feed", 1)).body)
    items = feed["result"]["data"]["lists"]
    company = json.loads(served(api_target("/api/company/received_complaints", 1, ("couid", "5650743478"))).body)
    assert "complaints" in company["result"]["data"]
    for key in hp.ITEM_KEYS:
        assert all(key in i["main"] for i in items), key
    for key in hp.AUTHOR_KEYS:
        assert all(key in i["author"] for i in items), key
    flat = json.dumps(feed)
    assert all(f'"{k}"' in flat for k in hp.ENVELOPE_KEYS)
    assert set(hp.LIST_PATHS) == set(HANDLER.ENDPOINTS)
    for c in DATA["complaints"]:
        tree = LexborHTMLParser(detail(c["sn"]).body.decode())
        no_timeline = c["sn"] == DATA["no_timeline_sn"]
        for name, css in hp.SELECTORS.items():
            if not (no_timeline and name.startswith("step")):
                assert tree.css(css), (c["sn"], name, css)
        labels = {n.text().rstrip("：") for n in tree.css("ul.ts-q-list li label")}
        assert set(hp.LABELS) <= labels
        assert no_timeline or "发起投诉" in {n.text() for n in tree.css(hp.SELECTORS["step_status"])}
        assert "发布于" in tree.css_first(hp.SELECTORS["header"]).text()


# -- the spider's stopping rules, without a network ------------------------------------------------------

def _list_response(spider, listing, page: int, target: str):
    from scrapy.http import Request, TextResponse

    status, headers, body = HANDLER.handle("GET", target, {"Cookie": SESSION}, b"")
    req = Request(f"https://{HOST}{target}", meta={"heimao_list": listing, "heimao_page": page, "lc_kind": "api"})
    return TextResponse(req.url, status=status, headers=headers, body=body, request=req, encoding="utf-8")


def test_spider_stops_at_the_high_water_mark_and_at_since(tmp_path):
    from lendcorpus.crawler.spiders.heimao import Listing

    newest = DATA["complaints"][0]["detail"]["steps"][0]["time"]
    fifth = BY_SN[DATA["feed"][4]]["detail"]["steps"][0]["time"]
    spider = _spider(tmp_path)
    spider.state = {"marks": {"feed": fifth}}
    out = list(spider.parse_list(_list_response(spider, Listing("feed"), 1, api_target("/api/index/feed", 1))))
    assert [r.meta["heimao_sn"] for r in out] == DATA["feed"][:4]  # no next page: the mark was reached
    assert spider.marks == {"feed": newest}
    assert spider.crawler.stats.get_value("lendcorpus/stops/high_water") == 1
    spider = _spider(tmp_path, since=datetime.fromtimestamp(fifth, CHINA).date().isoformat())
    out = list(spider.parse_list(_list_response(spider, Listing("feed"), 1, api_target("/api/index/feed", 1))))
    assert 0 < len(out) < 10 and all(r.meta.get("lc_kind") == "complaint" for r in out)
    assert spider.crawler.stats.get_value("lendcorpus/stops/since") == 1
    # a page without a mark reached asks for the next page, signed again
    spider = _spider(tmp_path)
    out = list(spider.parse_list(_list_response(spider, Listing("feed"), 1, api_target("/api/index/feed", 1))))
    nxt = out[-1]
    assert nxt.meta["heimao_page"] == 2 and "page=2" in nxt.url and nxt.meta["lc_kind"] == "api"


# -- crawls of the replay ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site_copy(tmp_path_factory) -> Path:
    sites = tmp_path_factory.mktemp("sites")
    shutil.copytree(SITE, sites / HOST, ignore=shutil.ignore_patterns("__pycache__"))
    return sites


@pytest.fixture(scope="module")
def full_crawl(tmp_path_factory, site_copy):
    """One uninterrupted crawl of feed, searches and company lists, and its build."""
    home = tmp_path_factory.mktemp("home")
    env = {"LENDCORPUS_HOME": str(home), **COOKIE_ENV}
    log = home / "replay.log"
    with ReplayProcess([site_copy], log_path=log) as replay:
        job = home / "archive" / "heimao" / "full"
        crawl = run_cli("crawl", "heimao", "--replay", replay.address, "--new", "--job", str(job), *CRAWL_ARGS, *FAST, env=env)
    build = run_cli("build", env=env)
    requests = [json.loads(line) for line in log.read_text().splitlines()]
    return {"home": home, "job": job, "db": home / "corpus.duckdb", "crawl": crawl, "build": build, "env": env,
            "requests": requests, "run": json.loads((job / "run.json").read_text())}


def test_crawl_fetches_each_page_once_and_stops_with_reasons(full_crawl):
    stats = full_crawl["run"]["sessions"][-1]["stats"]
    assert full_crawl["run"]["sessions"][-1]["reason"] == "finished"
    assert stats["lendcorpus/session/requests"] >= 8 and "lendcorpus/session/anonymous" not in stats
    got = {k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith(("lendcorpus/rejects", "lendcorpus/stops"))}
    assert got == {
        "rejects/heimao_10017": 2,        # feed and 催收 ran into the anonymous page limit
        "rejects/malformed_json": 1,      # 爆通讯录 page 2
        "rejects/html_not_json": 1,       # 上门催收 page 1
        "rejects/unexpected_envelope": 1,  # couid 6000000001
        "rejects/missing_field": 1,       # the feed item without sn
        "rejects/page_not_found": 1,      # the item whose link has no sld
        "stops/empty_page": 2,            # 暴力催收 page 2 (the pager promised more), 无此关键词
        "stops/end_of_list": 2,           # 威胁起诉, 新橙分期
    }
    targets = [stable(f"https://{HOST}{r['target']}") for r in full_crawl["requests"]]
    assert [t for t, n in Counter(targets).items() if n > 1] == []  # nothing fetched twice, duplicate item included
    recs = archived(full_crawl["job"])
    assert all(r.url.startswith(f"https://{HOST}/") for r in recs)
    assert len(recs) == len(targets)
    details = {urlsplit(r.url).path.split("/")[3] for r in recs if "/complaint/view/" in r.url}
    feed_sns = [sn for sn in DATA["feed"][: 10 * DATA["anon_page_limit"]]]
    company = [c["sn"] for c in DATA["complaints"] if c["item"]["main"]["couid"] == "5650743478"]
    assert set(feed_sns) | set(company) <= details
    assert DATA["duplicate_sn"] in details and DATA["no_sld_sn"] in details
    # personal data stays out of the logs
    log = full_crawl["crawl"].stderr
    assert "weibo.example" not in log
    # the session cookie reached the site but never the log nor the archive (request records included)
    assert "invented0session" not in log and "SUB=" not in log
    raw = b"".join(p.read_bytes() for p in full_crawl["job"].glob("*.warc.gz"))
    import gzip, io
    from warcio.archiveiterator import ArchiveIterator
    with open(next(full_crawl["job"].glob("*.warc.gz")), "rb") as fh:
        reqs = [r for r in ArchiveIterator(fh) if r.rec_type == "request"]
        searched = [r for r in reqs if "/api/index/s" in r.rec_headers.get_header("WARC-Target-URI")]
        assert searched and all(r.http_headers is not None and r.http_headers.get_header("Cookie") is None
                                for r in reqs)
    assert b"invented0session" not in gzip.GzipFile(fileobj=io.BytesIO(raw)).read()
    assert not any(a in log for a in {c["item"]["author"]["title"] for c in DATA["complaints"]})


def test_header_date_when_the_timeline_is_missing():
    c = BY_SN[DATA["no_timeline_sn"]]
    ex = hp.parse(detail(c["sn"]))
    (row,) = rows(ex, "complaints")
    assert "ts-d-steplist" not in detail(c["sn"]).body.decode()
    # the header is to the minute
    assert row["created_at"] == datetime.fromtimestamp(c["detail"]["steps"][0]["time"], CHINA).replace(second=0)
    assert row["author"] == c["detail"]["steps"][0]["name"] and row.get("narrative") is None
    assert [r.reason for r in ex.rejects] == ["missing_field"] and ex.documents == []
    # with a timeline the filed step still wins; the header agrees to the minute
    other = DATA["feed"][0]
    (full,) = rows(hp.parse(detail(other)), "complaints")
    filed = datetime.fromtimestamp(BY_SN[other]["detail"]["steps"][0]["time"], CHINA)
    assert full["created_at"] in (filed, filed.replace(second=0))  # the page's date layout may drop seconds


def test_search_and_company_lists_need_a_session_the_feed_does_not():
    search = api_target("/api/index/s", 1, ("keywords", "催收"))
    company = api_target("/api/company/received_complaints", 1, ("couid", "5650743478"))
    for target in (search, company):
        assert json.loads(HANDLER.handle("GET", target, {}, b"")[2])["result"]["status"]["code"] == 10005
        assert json.loads(HANDLER.handle("GET", target, {"Cookie": SESSION}, b"")[2])["result"]["status"]["code"] == 0
    assert json.loads(HANDLER.handle("GET", api_target("/api/index/feed", 1), {}, b"")[2])["result"]["status"]["code"] == 0


def test_crawl_without_a_session_says_how_to_log_in(tmp_path, site_copy):
    env = {"LENDCORPUS_HOME": str(tmp_path / "home"), "LENDCORPUS_HEIMAO_COOKIE": ""}
    job = tmp_path / "home" / "archive" / "heimao" / "anon"
    with ReplayProcess([site_copy]) as replay:
        proc = run_cli("crawl", "heimao", "--replay", replay.address, "--new", "--job", str(job), "-a", "keywords=催收",
                       "-a", "couids=5650743478", *FAST, env=env)
    stats = json.loads((job / "run.json").read_text())["sessions"][-1]["stats"]
    assert stats["lendcorpus/rejects/heimao_10005"] == 2 and stats["lendcorpus/session/anonymous"] == 2
    assert "LENDCORPUS_HEIMAO_COOKIE" in proc.stderr


def test_build_loads_rows_events_documents_and_rejects(full_crawl):
    db = full_crawl["db"]
    recs = archived(full_crawl["job"])
    details = {urlsplit(r.url).path.split("/")[3] for r in recs if "/complaint/view/" in r.url}
    docs = {r[0] for r in query(db, "SELECT doc_id FROM documents WHERE source = 'heimao' AND kind = 'complaint'")}
    assert DATA["no_timeline_sn"] in details
    assert docs == {f"heimao:{sn}" for sn in details - {DATA["no_sld_sn"], DATA["no_timeline_sn"]}}
    rejects = Counter(query(db, "SELECT stage, reason FROM rejects"))
    assert rejects == Counter({("source", "heimao_10017"): 2, ("source", "malformed_json"): 1,
                               ("source", "html_not_json"): 1, ("source", "unexpected_envelope"): 1,
                               ("source", "missing_field"): 2, ("source", "page_not_found"): 1})
    n, with_text, listed_only = query(db, "SELECT count(*), count(narrative), count(*) FILTER (narrative IS NULL) "
                                          "FROM complaints")[0]
    assert n == len(details) and with_text == len(docs) and listed_only == 2
    # the page without a timeline still has its filing time, from the header
    c = BY_SN[DATA["no_timeline_sn"]]
    got = query(db, f"SELECT created_at FROM complaints WHERE native_id = '{c['sn']}'")[0][0]
    filed = datetime.fromtimestamp(c["detail"]["steps"][0]["time"], CHINA)
    assert got in (filed, filed.replace(second=0))  # the list's exact time, or the header's minute
    # one filing against two companies: two rows, named as one filing in complaint_links
    a, b = DATA["linked_sns"]
    assert {a, b} <= details
    links = set(query(db, "SELECT complaint_id, linked_complaint_id, link FROM complaint_links"))
    assert links == {(f"heimao:{a}", f"heimao:{b}", "same_filing"), (f"heimao:{b}", f"heimao:{a}", "same_filing")}
    assert len({r[0] for r in query(db, f"SELECT company FROM complaints WHERE native_id IN ('{a}', '{b}')")}) == 2
    # list and page merged into one full row
    sn = DATA["feed"][0]
    c = BY_SN[sn]
    row = query(db, f"SELECT title, company, company_id, summary, upvotes, author, narrative, status, status_raw, "
                    f"amount_raw FROM complaints WHERE complaint_id = 'heimao:{sn}'")[0]
    assert row == (c["item"]["main"]["title"], c["company"], c["item"]["main"]["couid"], c["item"]["main"]["summary"],
                   int(c["item"]["main"]["upvote_amount"]), c["item"]["author"]["title"],
                   c["detail"]["steps"][0]["text"], hp.STATUS_TEXTS[c["status_text"]], c["status_text"],
                   c["item"]["main"]["cost"] or None)
    assert query(db, "SELECT count(*) FROM complaint_events WHERE seq = 0 AND (status_raw <> '发起投诉' "
                     "OR actor <> 'consumer')")[0][0] == 0
    assert query(db, "SELECT count(DISTINCT complaint_id) FROM complaint_events")[0][0] == len(docs)
    roles = {r[0] for r in query(db, "SELECT DISTINCT actor_role FROM complaint_events")}
    assert roles == {"consumer", "company", "platform"}
    authors = {c["item"]["author"]["title"] for c in DATA["complaints"]}
    assert query(db, "SELECT count(*) FROM complaint_events WHERE actor IN "
                     f"({', '.join(repr(a) for a in authors)})")[0][0] == 0
    assert query(db, "SELECT count(*) FROM complaints WHERE concat_ws(' ', title, company, summary, narrative, author)"
                     " LIKE '%weibo%'")[0][0] == 0


SLOW = ["-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0",
        "-s", "CONCURRENT_REQUESTS=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0"]


def test_killed_crawl_resumes_to_the_same_result(full_crawl, site_copy, tmp_path):
    env = {"LENDCORPUS_HOME": str(tmp_path / "home"), **COOKIE_ENV}
    job = tmp_path / "home" / "archive" / "heimao" / "run1"
    with ReplayProcess([site_copy]) as replay:
        proc = subprocess.Popen([sys.executable, "-m", "lendcorpus.cli", "crawl", "heimao", "--replay", replay.address,
                                 "--new", "--job", str(job), *CRAWL_ARGS, *SLOW], env={**os.environ, **env}, cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if len(archived(job)) >= 20:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        first = {stable(r.url) for r in archived(job)}
        total = len(archived(full_crawl["job"]))
        assert 0 < len(first) < total, "the crawl should have been killed part-way"
        resumed = run_cli("crawl", "heimao", "--replay", replay.address, "--job", str(job), *CRAWL_ARGS, *FAST, env=env)
    assert "served from the archive" in resumed.stderr
    good = [stable(r.url) for r in archived(job) if r.rec_type == "response" and (r.status or 0) < 400]
    assert [u for u, n in Counter(good).items() if n > 1] == []
    assert first <= set(good)
    assert set(good) == {stable(r.url) for r in archived(full_crawl["job"])}
    run_cli("build", env=env)
    db = tmp_path / "home" / "corpus.duckdb"
    assert query(db, "SELECT doc_id, text FROM documents ORDER BY 1") == \
        query(full_crawl["db"], "SELECT doc_id, text FROM documents ORDER BY 1")


def test_second_crawl_fetches_only_new_complaints(tmp_path, site_copy):
    env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
    archive = tmp_path / "home" / "archive" / "heimao"
    with ReplayProcess([site_copy]) as replay:
        run_cli("crawl", "heimao", "--replay", replay.address, "--new", "--job", str(archive / "first"), *FAST, env=env)
    assert json.loads((tmp_path / "home" / "state" / "heimao.json").read_text())["marks"]["feed"] > 0
    newer = tmp_path / "newer"
    shutil.copytree(site_copy, newer, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, str(SITE / "_generate.py"), "--out", str(newer / HOST), "--new", "3"], check=True,
                   capture_output=True, timeout=60)
    new_sns = json.loads((newer / HOST / "_data.json").read_text())["new_sns"]
    assert len(new_sns) == 3 and not set(new_sns) & set(BY_SN)
    log = tmp_path / "replay2.log"
    with ReplayProcess([newer], log_path=log) as replay:
        run_cli("crawl", "heimao", "--replay", replay.address, "--new", "--job", str(archive / "second"), *FAST, env=env)
    targets = [json.loads(line)["target"] for line in log.read_text().splitlines()]
    details = sorted(t.split("/")[3] for t in targets if t.startswith("/complaint/view/"))
    assert details == sorted(new_sns)
    assert [t for t in targets if t.startswith("/api/")] == [t for t in targets if t.startswith("/api/index/feed")]
    assert len([t for t in targets if t.startswith("/api/")]) == 1  # page 1 held the mark
    stats = json.loads((archive / "second" / "run.json").read_text())["sessions"][-1]["stats"]
    assert stats["lendcorpus/stops/high_water"] == 1


def test_blocks_back_off_then_close_the_spider_and_are_rejected(tmp_path, site_copy):
    env = {**os.environ, "LENDCORPUS_HOME": str(tmp_path / "home"), **COOKIE_ENV}
    archive = tmp_path / "home" / "archive" / "heimao"
    cases = {"6000000403": "http_403", "6000000429": "http_429", "6000000999": "captcha", "6000000456": "http_456"}
    with ReplayProcess([site_copy]) as replay:
        procs = {couid: subprocess.Popen(
            [sys.executable, "-m", "lendcorpus.cli", "crawl", "heimao", "--replay", replay.address, "--new", "--job",
             str(archive / couid), "-a", f"couids={couid}", *FAST, "-s", "LENDCORPUS_BLOCK_MAX_DELAY=0.05"],
            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for couid in cases}
        errs = {couid: p.communicate(timeout=60)[1] for couid, p in procs.items()}
    for couid, why in cases.items():
        assert procs[couid].returncode == 1, errs[couid][-2000:]
        session = json.loads((archive / couid / "run.json").read_text())["sessions"][-1]
        assert session["reason"] == f"blocked_{why}"
        assert "backing off" in errs[couid]
        assert session["stats"][f"lendcorpus/blocks/{why}"] == 4
        blocked = [r for r in archived(archive / couid) if "/api/" in r.url]
        assert len(blocked) == 4 and all(r.warc_headers.get("X-Lendcorpus-Blocked") == why for r in blocked)
    build = run_cli("build", env={"LENDCORPUS_HOME": str(tmp_path / "home")}, check=False)
    # nothing but block pages: the build's drift check says so and exits 4
    assert build.returncode == 4 and "blocked, or layout changed? heimao/block_page" in build.stderr
    rejects = Counter(query(tmp_path / "home" / "corpus.duckdb", "SELECT stage, reason FROM rejects"))
    assert rejects == Counter({("fetch", why): 4 for why in cases.values()})


def test_session_cookie_is_added_at_download_time_and_taken_off_after():
    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from lendcorpus.crawler.middlewares import SessionCookieMiddleware
    from lendcorpus.crawler.spiders.heimao import HeimaoSpider

    crawler = get_crawler(HeimaoSpider, {"LENDCORPUS_HEIMAO_COOKIE": SESSION, "LENDCORPUS_STATE_DIR": "/nonexistent"})
    crawler.spider = HeimaoSpider.from_crawler(crawler, keywords="催收")
    mw = SessionCookieMiddleware.from_crawler(crawler)
    search = Request("https://tousu.sina.com.cn/api/index/s?keywords=x", meta={"lc_session": True})
    feed = Request("https://tousu.sina.com.cn/api/index/feed", meta={"lc_session": False})
    for r in (search, feed):
        assert mw.process_request(r) is None
    assert search.headers.get("Cookie") == SESSION.encode() and feed.headers.get("Cookie") is None
    mw.process_response(search, HtmlResponse(search.url, status=456, body=b"", request=search))
    retry = search.replace(dont_filter=True)  # what the back-off sends back through the scheduler
    assert search.headers.get("Cookie") is None and retry.headers.get("Cookie") is None
    assert crawler.stats.get_value("lendcorpus/session/requests") == 1
    assert SESSION not in repr(search) and SESSION not in str(crawler.stats.get_stats())
