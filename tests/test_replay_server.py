"""The replay server answers for real hosts by the Host header, with declared routes."""

from __future__ import annotations

import http.client
import json
import time

import pytest

from lendcorpus_replay.server import ReplayProcess


@pytest.fixture(scope="module")
def site_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("sites")
    site = root / "www.shop.example"
    (site / "a").mkdir(parents=True)
    (site / "index.html").write_bytes("<html><body>首页</body></html>".encode())
    (site / "a" / "1.html").write_bytes("<html><body>文章</body></html>".encode("gbk"))
    (site / "_secret.txt").write_text("never served")
    (site / "_routes.toml").write_text(
        '[[route]]\npath = "/a/1.html"\ncontent_type = "text/html; charset=utf-8"\n'
        '[[route]]\npath = "/empty"\nbody = ""\n'
        '[[route]]\npath = "/broken"\nstatus = 500\n'
        '[[route]]\npath = "/api?page=2"\nbody = "{\\"page\\": 2}"\ncontent_type = "application/json"\n'
        '[[route]]\npath = "/old"\nstatus = 301\n[route.headers]\nLocation = "/a/1.html"\n'
        '[[route]]\npath = "/slow"\nbody = "late"\ndelay = 0.5\n',
        encoding="utf-8",
    )
    api = root / "api.shop.example"
    api.mkdir()
    (api / "_handler.py").write_text(
        "import json\n"
        "def handle(method, target, headers, body):\n"
        "    if target.startswith('/echo'):\n"
        "        return 200, {'Content-Type': 'application/json'}, json.dumps({'m': method, 't': target, 'b': body.decode()}).encode()\n"
        "    if target == '/boom':\n"
        "        raise RuntimeError('bad fixture')\n"
        "    return None\n", encoding="utf-8")
    (api / "static.txt").write_text("static")
    log = root / "requests.jsonl"
    with ReplayProcess([root], log_path=log) as server:
        yield server, log


def get(server, path: str, host: str = "www.shop.example", method: str = "GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request(method, path, headers={"Host": host})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), body


def test_files_and_index(site_server):
    server, _ = site_server
    status, headers, body = get(server, "/")
    assert status == 200 and body.decode() == "<html><body>首页</body></html>"
    assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_route_lies_about_charset_and_bytes_stay_exact(site_server):
    server, _ = site_server
    status, headers, body = get(server, "/a/1.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == "<html><body>文章</body></html>".encode("gbk")


def test_statuses_bodies_queries_redirects(site_server):
    server, _ = site_server
    assert get(server, "/empty")[0:3:2] == (200, b"")
    assert get(server, "/broken")[0] == 500
    assert get(server, "/nothing-here.html")[0] == 404
    assert get(server, "/_secret.txt")[0] == 404
    assert get(server, "/api?page=2")[2] == b'{"page": 2}'
    status, headers, _ = get(server, "/old")
    assert status == 301 and headers["Location"] == "/a/1.html"


def test_unknown_host_is_a_clear_error(site_server):
    server, _ = site_server
    status, _, body = get(server, "/", host="www.other.example")
    assert status == 502 and b"no site for host" in body


def test_delay_and_request_log(site_server):
    server, log = site_server
    t0 = time.monotonic()
    assert get(server, "/slow")[2] == b"late"
    assert time.monotonic() - t0 >= 0.45
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert any(x["target"] == "/slow" and x["host"] == "www.shop.example" for x in lines)


def test_site_handler_answers_first_and_falls_through(site_server):
    server, _ = site_server
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("POST", "/echo?x=1", body=b'{"a": 1}', headers={"Host": "api.shop.example"})
    resp = conn.getresponse()
    assert json.loads(resp.read()) == {"m": "POST", "t": "/echo?x=1", "b": '{"a": 1}'}
    conn.close()
    assert get(server, "/static.txt", host="api.shop.example")[2] == b"static"
    status, _, body = get(server, "/boom", host="api.shop.example")
    assert status == 500 and b"bad fixture" in body
