"""人民网 领导留言板 (liuyan): signing, the replay fixture, parsing field by field, and end-to-end
crawls (full, killed and resumed, incremental, signing failure) against the offline replay.

Each crawl test runs its own replay server over a copy of only this site's fixture folder, so a
site being written elsewhere in the checkout cannot disturb these tests.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from lendcorpus.archive import ArchivedRecord
from lendcorpus_replay.server import ReplayProcess
from lendcorpus.crawler.spiders.liuyan import compact, search_param, sign, signed_body
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR
from lendcorpus.pipelines.extract.dispatch import extract_record
from lendcorpus.pipelines.extract.sources import parser_for
from lendcorpus.pipelines.extract.sources import liuyan as parser
from lc_testkit import archived, query  # noqa: E402

HOST = "liuyan.people.com.cn"
SITE = REPLAY_SITES_DIR / HOST
APP_CODE = "PC42ce3bfa4980a9"
SEARCH, CONTENT = "/v2/threads/search", "/v1/threads/content"
CHINA = timezone(timedelta(hours=8))
THREADS = json.loads((SITE / "_threads.json").read_text(encoding="utf-8"))
BY_TID = {t["tid"]: t for t in THREADS}
MANIFEST = json.loads((SITE / "_manifest.json").read_text(encoding="utf-8"))
SPECIAL = MANIFEST["specials"]
ALL_TIDS = {t["tid"] for t in THREADS}
GOOD_TIDS = ALL_TIDS - set(SPECIAL.values())


REPO = Path(__file__).resolve().parents[2]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=0"]



def split_letter(items: list[dict]) -> tuple[dict, list[dict]]:
    """(the letter, the replies in list order): the letter is found by dataType, not position."""
    letter = next(i for i in items if i["dataType"] == 1)
    return letter, [i for i in items if i is not letter]

def run_cli(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """``lendcorpus ARGS`` in a subprocess, as a user runs it (Scrapy's reactor cannot restart)."""
    proc = subprocess.run([sys.executable, "-m", "lendcorpus.cli", *args], capture_output=True, text=True,
                          timeout=180, env=dict(os.environ, **(env or {})), cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"lendcorpus {' '.join(args)} exited {proc.returncode}\n{proc.stderr[-5000:]}")
    return proc


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HANDLER = _load(SITE / "_handler.py", "liuyan_fixture_handler")
GENERATOR = _load(SITE / "_generate.py", "liuyan_fixture_generate")


# -- signing -------------------------------------------------------------------------------------

def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _body(path: str, param: str, signature: str | None = None, app_code: str = APP_CODE) -> bytes:
    """A request body built here, independently of the spider's code."""
    if signature is None:
        signature = _md5(path + param + _md5(app_code)[:16])
    return json.dumps({"appCode": app_code, "token": "", "signature": signature, "param": param},
                      ensure_ascii=False).encode("utf-8")


def test_signature_matches_an_independent_md5():
    assert _md5(APP_CODE)[:16] == "a2eb17f65d6f4b3f"  # the key half published by public write-ups
    param = '{"tid":26311022}'
    assert sign(CONTENT, param) == hashlib.md5(
        ("/v1/threads/content" + param + "a2eb17f65d6f4b3f").encode()).hexdigest()
    with_token = sign(SEARCH, "{}", APP_CODE, token="t0k")
    assert with_token == _md5(SEARCH + "{}" + "a2eb17f65d6f4b3f" + "t0k") != sign(SEARCH, "{}")


def test_signed_body_is_compact_with_chinese_unescaped_and_front_end_key_order():
    body = json.loads(signed_body(SEARCH, search_param("暴力催收", 2, 10)))
    assert list(body) == ["appCode", "token", "signature", "param"]
    assert body["appCode"] == APP_CODE and body["token"] == ""
    assert body["param"] == ('{"position":0,"keywords":"暴力催收","fid":null,"domainId":null,"typeId":null,'
                             '"timeRange":null,"ansChecked":false,"stTime":null,"sortType":"0","page":2,"rows":10}')
    assert body["signature"] == _md5(SEARCH + body["param"] + "a2eb17f65d6f4b3f")
    assert compact({"tid": 1}) == '{"tid":1}'


@pytest.mark.parametrize("mutate", ["signature", "param_spaces", "path", "app_code", "not_json", "no_param"])
def test_handler_refuses_bad_signatures_with_sn0006(mutate):
    param = '{"tid":%d}' % next(iter(GOOD_TIDS))
    body = {
        "signature": _body(CONTENT, param, signature="0" * 32),
        "param_spaces": _body(CONTENT, param, signature=_md5(CONTENT + param + _md5(APP_CODE)[:16])).replace(
            b'"param": "{\\"tid\\":', b'"param": "{\\"tid\\": '),
        "path": _body(CONTENT, param, signature=_md5(SEARCH + param + _md5(APP_CODE)[:16])),
        "app_code": _body(CONTENT, param, app_code="PC0000000000000"),
        "not_json": b"appCode=PC42ce3bfa4980a9",
        "no_param": json.dumps({"appCode": APP_CODE, "token": "", "signature": "x"}).encode(),
    }[mutate]
    assert body != _body(CONTENT, param)
    if mutate == "param_spaces":
        assert b'{\\"tid\\": ' in body
    status, headers, answer = HANDLER.handle("POST", f"{CONTENT}?tid=1", {}, body)
    assert status == 200 and json.loads(answer) == {"code": "SN0006", "msg": "数据格式错误"}


def _post(port: int, path: str, body: bytes, host: str = HOST) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", path, body=body, headers={"Host": host, "Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def test_replay_over_http_sn0006_for_a_wrong_signature_and_data_for_a_right_one(sites):
    with ReplayProcess([sites]) as replay:
        param = compact(search_param("催收", 1, 10))
        status, data = _post(replay.port, SEARCH + "?sortType=0", _body(SEARCH, param, signature=_md5(param)))
        assert (status, json.loads(data)["code"]) == (200, "SN0006")
        status, data = _post(replay.port, SEARCH + "?sortType=0", signed_body(SEARCH, search_param("催收", 1, 10)))
        assert status == 200 and len(json.loads(data)["data"]["data"]) == 10


# -- the fixture ---------------------------------------------------------------------------------

def _answer(path: str, param: dict, query: str = "") -> tuple[int, dict, bytes]:
    target = f"{path}?{query}" if query else path
    return HANDLER.handle("POST", target, {}, signed_body(path, param))


def _search_tids(keyword: str, page: int, rows: int = 10) -> list[int]:
    return [i["tid"] for i in json.loads(_answer(SEARCH, search_param(keyword, page, rows))[2])["data"]["data"]]


def test_fixture_paging_empty_page_last_page_and_duplicate():
    rows = MANIFEST["rows"]
    kw = MANIFEST["keywords"]
    assert len(kw["催收"]) == len(THREADS) == 26 and len(kw["暴力催收"]) == rows and rows < len(kw["网贷"]) < 2 * rows
    p1, p2, p3 = (_search_tids("催收", p) for p in (1, 2, 3))
    assert p1 == kw["催收"][:rows] and len(p2) == rows and 0 < len(p3) < rows
    assert p2[0] == p1[-1] == MANIFEST["duplicated"]["tid"]  # the same thread on two pages
    assert set(p1 + p2 + p3) == set(kw["催收"])
    assert _search_tids("暴力催收", 2) == []  # an empty result
    assert _search_tids("不存在的关键词", 1) == []
    assert len(_search_tids("网贷", 2)) == len(kw["网贷"]) - rows  # last page is short
    newest_first = [BY_TID[t]["tid"] for t in p1]
    assert newest_first == sorted(newest_first, reverse=True)


def test_fixture_specials_and_error_envelopes():
    status, headers, body = _answer(CONTENT, {"tid": str(SPECIAL["html_not_json"]), "fromTrash": 0})
    assert status == 200 and headers["Content-Type"].startswith("text/html") and body.startswith(b"<!DOCTYPE html>")
    body = _answer(CONTENT, {"tid": str(SPECIAL["malformed_json"]), "fromTrash": 0})[2]
    with pytest.raises(ValueError):
        json.loads(body)
    assert json.loads(_answer(CONTENT, {"tid": str(SPECIAL["deleted"]), "fromTrash": 0})[2])["resultCode"] == "TH0004"
    assert json.loads(_answer(SEARCH, search_param("催收", 51, 10))[2]) == {"code": "PA0001", "msg": "参数错误"}
    assert json.loads(_answer(SEARCH, search_param("催收", 1, 60))[2])["code"] == "PA0001"
    assert HANDLER.handle("GET", SEARCH, {}, b"")[0] == 405
    assert HANDLER.handle("GET", "/robots.txt", {}, b"") is None  # falls through to the file
    no_reply = set(MANIFEST["no_reply"])
    two = set(MANIFEST["two_replies"])
    assert no_reply & GOOD_TIDS and two & GOOD_TIDS
    assert {type(t["createDateline"]) for t in THREADS} == {int, str}
    assert all(len(BY_TID[t]["contentList"]) == 3 for t in two)


def test_generator_rewrites_the_data_files_byte_for_byte(tmp_path):
    names = ["_threads.json", "_manifest.json", "robots.txt"]
    before = {n: (SITE / n).read_bytes() for n in names}
    subprocess.run([sys.executable, str(SITE / "_generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=60)
    assert {n: (tmp_path / n).read_bytes() for n in names} == before
    subprocess.run([sys.executable, str(SITE / "_generate.py")], check=True, capture_output=True, timeout=60)
    assert {n: (SITE / n).read_bytes() for n in names} == before
    # extra letters are appended; the base ones do not change
    extra = json.loads(GENERATOR.build(extra=3)["_threads.json"])
    assert extra[: len(THREADS)] == THREADS and len(extra) == len(THREADS) + 3


def test_fixture_holds_no_personal_data():
    import re

    text = (SITE / "_threads.json").read_text(encoding="utf-8")
    assert not re.search(r"1[3-9]\d{9}", text)  # no mobile numbers
    assert not re.search(r"\d{17}[\dXx]", text)  # no ID card numbers
    assert "@" not in text


# -- parsing -------------------------------------------------------------------------------------

def _record(path: str, param: dict, query: str = "", answer=None) -> ArchivedRecord:
    status, headers, body = answer or _answer(path, param, query)
    url = f"https://{HOST}{path}" + (f"?{query}" if query else "")
    return ArchivedRecord(path=Path("x.warc.gz"), offset=0, length=0, rec_type="response", url=url, date="",
                          status=status, headers=list(headers.items()), body=body)


def _content_record(tid: int) -> ArchivedRecord:
    return _record(CONTENT, {"tid": str(tid), "fromTrash": 0}, f"tid={tid}")


def test_host_is_registered_and_dispatch_uses_the_parser():
    assert parser_for(f"https://{HOST}{SEARCH}?sortType=0") is parser.parse
    tid = next(t for t in MANIFEST["two_replies"] if t in GOOD_TIDS)
    ex = extract_record(_content_record(tid))
    assert [d.doc_id for d in ex.documents] == [f"liuyan:{tid}"]


def test_search_page_gives_partial_rows_field_by_field():
    ex = parser.parse(_record(SEARCH, search_param("暴力催收", 1, 10), "sortType=0"))
    assert ex.page_kind == "api" and not ex.rejects and not ex.documents
    rows = [r for t, r in ex.rows if t == "complaints"]
    assert [int(r["native_id"]) for r in rows] == MANIFEST["keywords"]["暴力催收"]
    for row in rows:
        src = BY_TID[int(row["native_id"])]
        assert row["complaint_id"] == f"liuyan:{src['tid']}" and row["platform"] == "liuyan"
        assert row["url"] == f"https://liuyan.people.com.cn/threads/content?tid={src['tid']}"
        assert row["title"] == src["subject"] and "<em>" not in row["title"]  # highlight removed
        assert row["company"] == src["forumName"] and row["company_id"] == str(src["fid"])
        assert row["issue"] == f"{src['typeName']}；{src['domainName']}"
        assert row["status_raw"] == src["stateInfo"]
        assert row["status"] == {"未回复": "submitted", "办理中": "in_progress", "已回复": "replied",
                                 "已办理": "resolved"}[src["stateInfo"]]
        assert row["summary"] and src["content"].replace("<br>", "").startswith(row["summary"])
        assert "narrative" not in row  # the letter itself comes from the content API
        when = src["createDateline"]
        expected = (datetime.fromtimestamp(when, timezone.utc) if isinstance(when, int)
                    else datetime.strptime(when, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA))
        assert row["created_at"] == expected


def test_created_at_from_unix_seconds_and_from_text():
    unix = next(t for t in THREADS if isinstance(t["createDateline"], int))
    text = next(t for t in THREADS if isinstance(t["createDateline"], str))
    items = [{k: t[k] for k in ("tid", "subject", "createDateline")} for t in (unix, text)]
    rec = _record(SEARCH, {}, "sortType=0", answer=(200, {"Content-Type": "application/json"},
                                                    json.dumps({"code": 0, "data": {"data": items}}).encode()))
    got = {r["native_id"]: r["created_at"] for _, r in parser.parse(rec).rows}
    assert got[str(unix["tid"])] == datetime.fromtimestamp(unix["createDateline"], timezone.utc)
    assert got[str(text["tid"])].isoformat() == text["createDateline"].replace(" ", "T") + "+08:00"


def test_letter_with_two_replies_field_by_field():
    tid = next(t for t in MANIFEST["two_replies"] if t in GOOD_TIDS)
    src = BY_TID[tid]
    letter, first, second = src["contentList"]
    ex = parser.parse(_content_record(tid))
    assert ex.page_kind == "complaint" and not ex.rejects
    (row,) = [r for t, r in ex.rows if t == "complaints"]
    events = [r for t, r in ex.rows if t == "complaint_events"]
    text = letter["content"].replace("<br>", "\n")
    assert row["narrative"] == text and row["title"] == src["subject"] and row["company"] == src["forumName"]
    assert row["status_raw"] == src["stateInfo"] and row["status"] == "resolved"
    assert row["created_at"] == datetime.fromtimestamp(letter["dateline"], timezone.utc)
    assert row["updated_at"] == datetime.fromtimestamp(second["dateline"], timezone.utc)
    assert [(e["seq"], e["actor"], e["actor_role"]) for e in events] == [
        (0, "consumer", "consumer"), (1, first["organization"], "official"), (2, second["organization"], "official")]
    assert events[0]["text"] == text and events[1]["text"] == first["content"] and events[2]["text"] == second["content"]
    assert [e["event_at"] for e in events] == [datetime.fromtimestamp(i["dateline"], timezone.utc)
                                              for i in (letter, first, second)]
    (doc,) = ex.documents
    assert (doc.doc_id, doc.source, doc.kind, doc.title) == (f"liuyan:{tid}", "liuyan", "letter", src["subject"])
    assert doc.text == text and first["content"] not in doc.text and "网友" not in doc.text  # letter only
    assert doc.published_at == row["created_at"] and doc.url == row["url"]


def test_replies_are_ordered_oldest_first_whatever_the_list_order():
    tid = next(t for t in MANIFEST["two_replies"] if t in GOOD_TIDS)
    items = list(BY_TID[tid]["contentList"])
    items = [items[2], items[0], items[1]]  # newest reply first, letter in the middle
    body = json.dumps({"resultCode": "200", "resultData": {"contentList": items}}).encode()
    ex = parser.parse(_record(CONTENT, {}, f"tid={tid}", answer=(200, {}, body)))
    events = [r for t, r in ex.rows if t == "complaint_events"]
    assert [e["event_at"] for e in events] == sorted(e["event_at"] for e in events)
    assert events[-1]["text"] == BY_TID[tid]["contentList"][2]["content"]


def test_letter_without_reply():
    tid = next(t for t in MANIFEST["no_reply"] if t in GOOD_TIDS)
    ex = parser.parse(_content_record(tid))
    events = [r for t, r in ex.rows if t == "complaint_events"]
    (row,) = [r for t, r in ex.rows if t == "complaints"]
    assert [e["seq"] for e in events] == [0] and row["updated_at"] is None
    assert row["status"] in ("submitted", "in_progress") and len(ex.documents) == 1


def test_tid_from_the_letter_when_the_url_has_none():
    tid = next(iter(sorted(GOOD_TIDS)))
    ex = parser.parse(_record(CONTENT, {"tid": str(tid), "fromTrash": 0}))
    assert [d.doc_id for d in ex.documents] == [f"liuyan:{tid}"]


@pytest.mark.parametrize("status_raw, status", [("未回复", "submitted"), ("待回复", "submitted"),
                                                ("办理中", "in_progress"), ("已回复", "replied"),
                                                ("已办理", "resolved"), ("已受理", "assigned"),
                                                ("不予受理", "closed"), ("新说法", "unknown"), ("", None), (None, None)])
def test_status_mapping(status_raw, status):
    assert parser.map_status(status_raw) == status


def _rejects(body: bytes, path: str = CONTENT, query: str = "tid=1", ctype: str = "application/json"):
    ex = parser.parse(_record(path, {}, query, answer=(200, {"Content-Type": ctype}, body)))
    assert not ex.documents and not ex.rows
    return [(r.stage, r.reason) for r in ex.rejects], ex.rejects


@pytest.mark.parametrize("body, ctype, reason", [
    (b'{"code":"SN0006","msg":"\xe6\x95\xb0\xe6\x8d\xae\xe6\xa0\xbc\xe5\xbc\x8f\xe9\x94\x99\xe8\xaf\xaf"}',
     "application/json", "signature_sn0006"),
    (b'{"resultCode":"200","resultData":{"contentList":[{"dataType":1,"conte', "application/json", "malformed_json"),
    (b"<!DOCTYPE html><html><head><title>x</title></head></html>", "text/html", "html_not_json"),
    (b"<html><body>oops</body></html>", "application/json", "html_not_json"),
    (b'{"resultCode":"TH0004","resultMsg":"gone"}', "application/json", "api_error"),
    (b'{"resultCode":"200","resultData":{}}', "application/json", "missing_field"),
    (b'{"resultCode":"200","resultData":{"contentList":[{"dataType":4,"content":"reply"}]}}',
     "application/json", "no_letter"),
    (b'{"resultCode":"200","resultData":{"contentList":[{"dataType":1,"content":"  <br> "}]}}',
     "application/json", "no_letter"),
    (b'{"hello":1}', "application/json", "missing_field"),
    (b'[1, 2]', "application/json", "malformed_json"),
    (b"", "application/json", "empty_body"),
    (b"\xff\xfe{", "application/json", "malformed_json"),
])
def test_bad_content_answers_become_rejects(body, ctype, reason):
    got, rejects = _rejects(body, ctype=ctype)
    assert got == [("source", reason)]


def test_missing_tid_everywhere_is_a_reject():
    body = b'{"resultCode":"200","resultData":{"contentList":[{"dataType":1,"content":"letter"}]}}'
    assert _rejects(body, query="")[0] == [("source", "missing_field")]


@pytest.mark.parametrize("body, reason", [
    (b'{"code":"SN0006"}', "signature_sn0006"),
    (b'{"code":"PA0001","msg":"x"}', "api_error"),
    (b'{"code":0,"data":{"data":null}}', "missing_field"),
    (b'{"code":0,"data":[]}', "missing_field"),
])
def test_bad_search_answers_become_rejects(body, reason):
    assert _rejects(body, path=SEARCH, query="sortType=0")[0] == [("source", reason)]


def test_search_items_without_tid_are_skipped_and_counted():
    body = json.dumps({"code": 0, "data": {"data": [{"tid": 5, "subject": "a"}, {"subject": "b"}, "junk"]}}).encode()
    ex = parser.parse(_record(SEARCH, {}, "sortType=0", answer=(200, {}, body)))
    assert [r["native_id"] for _, r in ex.rows] == ["5"]
    assert [(r.reason, r.detail) for r in ex.rejects] == [("missing_field", "2 of 3 items without tid")]


def test_unforeseen_shapes_never_raise():
    for body in (b'{"resultCode":"200","resultData":{"contentList":[{"dataType":1,"content":{"x":1},"tid":[1]}]}}',
                 b'{"code":0,"data":{"data":[{"tid":1,"createDateline":{"a":1},"fid":[]}]}}',
                 b'{"resultCode":"200","resultData":{"contentList":[{"dataType":1,"content":"x","dateline":"soon"},'
                 b'{"dataType":4,"dateline":[1]},{"dataType":4,"dateline":1700000000}]}}'):
        for path in (CONTENT, SEARCH):
            ex = parser.parse(_record(path, {}, "tid=1", answer=(200, {}, body)))
            assert all(r.stage == "source" for r in ex.rejects)
    assert parser.parse(_record("/threads/list", {}, "", answer=(200, {}, b"<html></html>"))).page_kind == "other"


class _Recorder(dict):
    """A JSON object that remembers which keys were asked for."""

    asked: set = set()

    def get(self, key, default=None):
        _Recorder.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        _Recorder.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _Recorder.asked.add(key)
        return super().__contains__(key)


def _keys(value, out: set) -> set:
    if isinstance(value, dict):
        out.update(value)
        for v in value.values():
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def test_contract_every_key_the_parser_reads_exists_in_the_fixture(monkeypatch):
    """If the parser starts reading a key the recorded shapes do not have, this fails."""
    real_loads = json.loads
    answers = []
    for kw in MANIFEST["keywords"]:
        for page in (1, 2, 3):
            answers.append((SEARCH, _answer(SEARCH, search_param(kw, page, 10))))
    answers.append((SEARCH, _answer(SEARCH, search_param("催收", 99, 10))))  # error envelope
    for tid in sorted(ALL_TIDS):
        answers.append((CONTENT, _answer(CONTENT, {"tid": str(tid), "fromTrash": 0}, f"tid={tid}")))
    present: set = set()
    monkeypatch.setattr(parser, "json", SimpleNamespace(loads=lambda s, **kw: real_loads(s, object_hook=_Recorder, **kw)))
    _Recorder.asked = set()
    for path, answer in answers:
        query = "sortType=0" if path == SEARCH else ""
        parser.parse(_record(path, {}, query, answer=answer))
        try:
            _keys(real_loads(answer[2]), present)
        except ValueError:
            pass
    assert _Recorder.asked, "the recorder saw no reads"
    assert _Recorder.asked <= present, f"keys read but absent from the fixture: {_Recorder.asked - present}"
    # and the fields the brief names are all among them
    assert {"tid", "subject", "content", "forumName", "stateInfo", "createDateline", "contentList", "dataType",
            "organization", "dateline"} <= _Recorder.asked


# -- end to end ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("liuyan-sites")
    shutil.copytree(SITE, root / HOST, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="module")
def replay_liuyan(sites):
    with ReplayProcess([sites]) as server:
        yield server




def _stats(job: Path) -> dict:
    return json.loads((job / "run.json").read_text(encoding="utf-8"))["sessions"][-1]["stats"]


def _tid_of(rec: ArchivedRecord) -> int | None:
    return int(rec.url.split("tid=")[1]) if "tid=" in rec.url else None


@pytest.fixture(scope="module")
def full_crawl(tmp_path_factory, replay_liuyan):
    home = tmp_path_factory.mktemp("home")
    env = {"LENDCORPUS_HOME": str(home)}
    job = home / "archive" / "liuyan" / "full"
    run_cli("crawl", "liuyan", "--replay", replay_liuyan.address, "--new", "--job", str(job), *FAST, env=env)
    run_cli("build", env=env)
    return {"home": home, "job": job, "db": home / "corpus.duckdb", "env": env}


def test_crawl_fetches_every_page_and_letter_once_and_obeys_robots(full_crawl):
    recs = archived(full_crawl["job"])
    assert all(r.rec_type == "response" and r.status == 200 for r in recs)
    assert all(r.url.startswith(f"https://{HOST}/") for r in recs)
    kinds = Counter(r.url.split("?")[0].rsplit("/", 1)[-1] for r in recs)
    # robots.txt; 催收 3 pages + 暴力催收 2 (the second empty) + 网贷 2 (the second short); each letter once
    assert kinds == Counter({"robots.txt": 1, "search": 7, "content": len(ALL_TIDS)})
    assert recs[0].url == f"https://{HOST}/robots.txt"
    assert sorted(_tid_of(r) for r in recs if _tid_of(r)) == sorted(ALL_TIDS)  # the duplicate fetched once
    fingerprints = [r.fingerprint for r in recs]
    assert len(set(fingerprints)) == len(fingerprints)
    stats = _stats(full_crawl["job"])
    assert stats["lendcorpus/rejects/html_not_json"] == 1
    assert stats["lendcorpus/rejects/malformed_json"] == 1
    assert stats["lendcorpus/rejects/api_error"] == 1
    assert stats["lendcorpus/search/end/empty_page"] == 1 and stats["lendcorpus/search/end/last_page"] == 2
    assert stats["lendcorpus/pages/document"] == len(GOOD_TIDS)
    assert not any(k.startswith("lendcorpus/rejects/signature") for k in stats)
    state = json.loads((full_crawl["home"] / "state" / "liuyan.json").read_text(encoding="utf-8"))
    assert state["marks"] == {f"tid:{kw}": max(tids) for kw, tids in MANIFEST["keywords"].items()}


def test_build_keeps_letters_and_replies_apart(full_crawl):
    db = full_crawl["db"]
    assert query(db, "SELECT count(*), count(narrative), count(DISTINCT platform) FROM complaints") == [
        (len(ALL_TIDS), len(GOOD_TIDS), 1)]
    docs = dict(query(db, "SELECT doc_id, text FROM documents WHERE source = 'liuyan' AND kind = 'letter'"))
    assert set(docs) == {f"liuyan:{t}" for t in GOOD_TIDS}
    for tid in GOOD_TIDS:
        letter, replies = split_letter(BY_TID[tid]["contentList"])
        assert docs[f"liuyan:{tid}"] == letter["content"].replace("<br>", "\n")
        assert all(r["content"] not in docs[f"liuyan:{tid}"] for r in replies)
    events = query(db, "SELECT complaint_id, seq, actor, actor_role, text FROM complaint_events ORDER BY 1, 2")
    by_id: dict[str, list] = {}
    for cid, seq, actor, role, text in events:
        by_id.setdefault(cid, []).append((seq, actor, role, text))
    assert set(by_id) == {f"liuyan:{t}" for t in GOOD_TIDS}
    for tid in GOOD_TIDS:
        letter, replies = split_letter(BY_TID[tid]["contentList"])
        got = by_id[f"liuyan:{tid}"]
        assert got[0][:3] == (0, "consumer", "consumer")
        assert [(a, r, t) for _, a, r, t in got[1:]] == [(x["organization"], "official", x["content"]) for x in replies]
    # the letter was never fetched in full for the three broken answers, but the search row is there
    rows = query(db, f"SELECT title, company, status, narrative FROM complaints WHERE native_id = '{SPECIAL['deleted']}'")
    assert rows == [(BY_TID[SPECIAL["deleted"]]["subject"], BY_TID[SPECIAL["deleted"]]["forumName"],
                     parser.map_status(BY_TID[SPECIAL["deleted"]]["stateInfo"]), None)]
    rejects = Counter(query(db, "SELECT stage, reason FROM rejects"))
    assert rejects == Counter({("source", "html_not_json"): 1, ("source", "malformed_json"): 1,
                               ("source", "api_error"): 1})
    kinds = Counter(k for (k,) in query(db, "SELECT page_kind FROM fetches"))
    assert kinds == Counter({"robots": 1, "api": 7, "complaint": len(ALL_TIDS)})


def test_signing_failure_stops_the_crawl_at_once(tmp_path, replay_liuyan):
    env = {"LENDCORPUS_HOME": str(tmp_path)}
    job = tmp_path / "archive" / "liuyan" / "bad"
    proc = run_cli("crawl", "liuyan", "--replay", replay_liuyan.address, "--new", "--job", str(job), *FAST,
                   "-s", "LENDCORPUS_LIUYAN_APP_CODE=PC0000000000000", env=env, check=False)
    assert proc.returncode == 1 and "liuyan: signature_sn0006" in proc.stderr
    assert "SN0006" in proc.stderr
    recs = archived(job)
    searches = [r for r in recs if "/search" in r.url]
    assert 1 <= len(searches) <= 3 and not [r for r in recs if "/content" in r.url]  # in flight only, no loop
    assert all(json.loads(r.body)["code"] == "SN0006" for r in searches)
    assert _stats(job)["lendcorpus/rejects/signature_sn0006"] == len(searches)
    assert not (tmp_path / "state" / "liuyan.json").exists()  # nothing learnt from a failed crawl


def test_search_error_envelope_stops_that_keyword_and_keeps_its_mark(tmp_path, replay_liuyan):
    env = {"LENDCORPUS_HOME": str(tmp_path)}
    job = tmp_path / "archive" / "liuyan" / "err"
    run_cli("crawl", "liuyan", "--replay", replay_liuyan.address, "--new", "--job", str(job), *FAST,
            "-a", "keywords=催收", "-a", "rows=60", env=env)  # the site caps rows at 50: error envelope
    recs = archived(job)
    assert [r.url.rsplit("/", 1)[-1] for r in recs] == ["robots.txt", "search?sortType=0"]
    assert _stats(job)["lendcorpus/rejects/api_error"] == 1
    state = json.loads((tmp_path / "state" / "liuyan.json").read_text()) if (tmp_path / "state" / "liuyan.json").exists() else {}
    assert "tid:催收" not in state.get("marks", {})


# -- kill and resume ---------------------------------------------------------------------------------

SLOW = ["-s", "DOWNLOAD_DELAY=0.1", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=2",
        "-s", "RETRY_TIMES=0", "-s", "CONCURRENT_REQUESTS=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0"]


def _count(job: Path) -> int:
    try:
        return len(archived(job)) if job.exists() else 0
    except OSError:
        return 0


def test_killed_crawl_resumes_to_the_same_archive_and_documents(tmp_path, replay_liuyan, full_crawl):
    env = {"LENDCORPUS_HOME": str(tmp_path)}
    job = tmp_path / "archive" / "liuyan" / "run1"
    proc = subprocess.Popen([sys.executable, "-m", "lendcorpus.cli", "crawl", "liuyan", "--replay",
                             replay_liuyan.address, "--new", "--job", str(job), *SLOW],
                            env=dict(os.environ, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(job) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    first = {r.fingerprint for r in archived(job)}
    assert 0 < len(first) < 30, "the crawl should have been stopped part-way"
    assert not (tmp_path / "state" / "liuyan.json").exists()

    resumed = run_cli("crawl", "liuyan", "--replay", replay_liuyan.address, "--job", str(job), *FAST, env=env)
    assert "served from the archive" in resumed.stderr
    recs = archived(job)
    good = [r.fingerprint for r in recs if r.rec_type == "response" and (r.status or 0) < 400]
    assert [f for f, n in Counter(good).items() if n > 1] == []  # nothing archived twice
    assert first <= set(good)
    full = {r.fingerprint for r in archived(full_crawl["job"])}
    assert set(good) == full  # the union equals an uninterrupted crawl
    assert _stats(job)["lendcorpus/archive/replayed"] >= len(first) - 1  # robots.txt is fetched anew

    run_cli("build", env=env)
    db = tmp_path / "corpus.duckdb"
    sql = "SELECT doc_id, text, published_at FROM documents ORDER BY doc_id"
    assert query(db, sql) == query(full_crawl["db"], sql)
    sql = "SELECT complaint_id, seq, actor, text FROM complaint_events ORDER BY 1, 2"
    assert query(db, sql) == query(full_crawl["db"], sql)


# -- incremental ---------------------------------------------------------------------------------

def test_next_crawl_fetches_only_new_letters_and_since_skips_old_ones(tmp_path):
    sites = tmp_path / "sites"
    shutil.copytree(SITE, sites / HOST, ignore=shutil.ignore_patterns("__pycache__"))
    env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
    with ReplayProcess([sites]) as replay:
        run_cli("crawl", "liuyan", "--replay", replay.address, "--new", "--job", str(tmp_path / "home/archive/liuyan/one"),
                *FAST, env=env)
    GENERATOR.write(sites / HOST, extra=3)  # three newer letters arrive
    new = set(json.loads((sites / HOST / "_manifest.json").read_text())["extra"])
    assert len(new) == 3 and min(new) > max(ALL_TIDS)
    with ReplayProcess([sites]) as replay:
        job2 = tmp_path / "home/archive/liuyan/two"
        run_cli("crawl", "liuyan", "--replay", replay.address, "--new", "--job", str(job2), *FAST, env=env)
        recs = archived(job2)
        assert {_tid_of(r) for r in recs if _tid_of(r)} == new
        assert len([r for r in recs if "/search" in r.url]) == 3  # page 1 of each keyword reaches the mark
        assert _stats(job2)["lendcorpus/search/end/known"] == 3
        # a fresh data folder with --since: only letters created on or after that day
        newest_base = max(ALL_TIDS)
        since_day = (datetime.fromtimestamp(split_letter(BY_TID[newest_base]["contentList"])[0]["dateline"], CHINA)
                     + timedelta(days=1)).date().isoformat()
        job3 = tmp_path / "fresh/archive/liuyan/since"
        run_cli("crawl", "liuyan", "--replay", replay.address, "--new", "--job", str(job3), "--since", since_day, *FAST,
                env={"LENDCORPUS_HOME": str(tmp_path / "fresh")})
        since_tids = {_tid_of(r) for r in archived(job3) if _tid_of(r)}
        assert since_tids and since_tids <= new
    run_cli("build", env=env)
    db = tmp_path / "home" / "corpus.duckdb"
    assert query(db, "SELECT count(*) FROM complaints")[0][0] == len(ALL_TIDS) + 3
    assert query(db, "SELECT count(*) FROM documents WHERE kind = 'letter'")[0][0] == len(GOOD_TIDS) + 3
    marks = json.loads((tmp_path / "home" / "state" / "liuyan.json").read_text())["marks"]
    assert marks["tid:催收"] == max(new)


# -- real shapes (issue 14) -----------------------------------------------------------------------

def test_content_request_is_the_public_clients_shape():
    from scrapy.utils.test import get_crawler

    from lendcorpus.crawler.spiders.liuyan import LiuyanSpider

    crawler = get_crawler(LiuyanSpider, {"LENDCORPUS_STATE_DIR": "/nonexistent-state"})
    spider = LiuyanSpider.from_crawler(crawler, keywords="催收")
    request = spider.content_request("26310123")
    envelope = json.loads(request.body)
    assert envelope["param"] == '{"tid":"26310123","fromTrash":0}'
    assert envelope["signature"] == sign(CONTENT, envelope["param"])
    tid = sorted(GOOD_TIDS)[0]
    # the replay, like the site's public clients, uses the string form; a bare number is refused
    assert json.loads(_answer(CONTENT, {"tid": tid})[2])["resultCode"] == "PA0001"
    assert json.loads(_answer(CONTENT, {"tid": str(tid), "fromTrash": 0})[2])["resultCode"] == "200"


def test_letter_is_picked_by_data_type_not_position():
    tids = [t for t in MANIFEST["letter_not_first"] if t in GOOD_TIDS]
    assert tids
    for tid in tids:
        items = BY_TID[tid]["contentList"]
        assert items[0]["dataType"] == 4 and items[-1]["dataType"] == 1
        ex = parser.parse(_record(CONTENT, {"tid": str(tid), "fromTrash": 0}, f"tid={tid}"))
        (doc,) = ex.documents
        letter, replies = split_letter(items)
        assert doc.text == parser.clean_text(letter["content"])
        events = [r for t, r in ex.rows if t == "complaint_events"]
        assert events[0]["actor_role"] == "consumer" and len(events) == 1 + len(replies)
        assert all(e["actor_role"] == "official" for e in events[1:])


def test_office_list_is_paged_by_the_last_tid(tmp_path):
    from lendcorpus.crawler.spiders.liuyan import list_param

    fid, tids = next((f, t) for f, t in MANIFEST["forum_tids"].items() if len(t) >= 2 and not set(t) & set(SPECIAL.values()))
    LIST = "/v1/threads/list/df"
    first = json.loads(_answer(LIST, list_param(fid, "", 1))[2])
    assert [i["tid"] for i in first["resultData"]["data"]] == tids[:1]
    second = json.loads(_answer(LIST, list_param(fid, str(tids[0]), 1))[2])
    assert [i["tid"] for i in second["resultData"]["data"]] == tids[1:2]
    # parsed like search answers
    ex = parser.parse(_record(LIST, list_param(fid, "", 10), f"fid={fid}&lastItem="))
    assert [r["native_id"] for t, r in ex.rows if t == "complaints"] == [str(t) for t in tids]
    # a real crawl pages one letter at a time and fetches every letter once
    sites = tmp_path / "sites"
    shutil.copytree(SITE, sites / HOST, ignore=shutil.ignore_patterns("__pycache__"))
    env = {"LENDCORPUS_HOME": str(tmp_path / "home")}
    job = tmp_path / "home" / "archive" / "liuyan" / "office"
    with ReplayProcess([sites]) as replay:
        run_cli("crawl", "liuyan", "--replay", replay.address, "--new", "--job", str(job), "-a", f"fids={fid}", "-a", "rows=1",
                *FAST, env=env)
    recs = archived(job)
    pages = [r.url for r in recs if LIST in r.url]
    assert pages == [f"https://{HOST}{LIST}?fid={fid}&lastItem=" + x for x in ["", *[str(t) for t in tids]]]
    assert sorted(_tid_of(r) for r in recs if _tid_of(r)) == sorted(tids)
    stats = _stats(job)
    assert stats["lendcorpus/search/end/empty_page"] == 1 and stats["lendcorpus/office/pages"] == len(tids) + 1
    run_cli("build", env=env)
    docs = {r[0] for r in query(tmp_path / "home" / "corpus.duckdb", "SELECT doc_id FROM documents")}
    assert docs == {f"liuyan:{t}" for t in tids}
