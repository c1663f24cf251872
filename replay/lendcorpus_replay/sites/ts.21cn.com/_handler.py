"""聚投诉 (ts.21cn.com) replay: the JSON endpoints and detail pages, rendered from ``_data.json``.

Shapes follow docs/sources/jutousu.md (search ``postList``, merchant list with an ``offset``
cursor, detail page holding ``postKeyValue``, post API ``{"post": {...}}``). What goes wrong where
is declared in ``_data.json`` (``scenario`` for lists, ``special`` per complaint) by
``_generate.py``. The only state is a per-path hit counter for the captcha page, which answers
on odd hits so a retry after back-off gets through.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

HERE = Path(__file__).resolve().parent
JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html;charset=UTF-8"

_cache: dict = {}
_hits: dict[str, int] = {}
_lock = threading.Lock()

_MERCHANT_RE = re.compile(r"^/json/merchantPostList/merchantId/([^/]+)/listType/1/pageNo/(\d+)/offset/([^/]*)$")
_DETAIL_RE = re.compile(r"^/tousu/show/id/(\d+)$")

LOGIN_WALL = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>登录聚投诉</title></head>
<body><div class="login-box"><h2>登录聚投诉</h2>
<p>您访问的内容需要登录后查看，请先登录。</p>
<form action="/login" method="post"><input name="account" placeholder="手机号/邮箱">
<input name="password" type="password" placeholder="密码"><button type="submit">登录</button></form>
<p><a href="/register">还没有账号？立即注册</a></p></div></body></html>
"""
CAPTCHA = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>安全验证</title></head>
<body><div class="verify"><p>您的访问过于频繁，请输入验证码后继续访问。</p>
<img src="/front/verify/image.jpg" alt=""><input name="code"><button>确定</button></div></body></html>
"""
BUSY = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>系统提示</title></head>
<body><p>服务器繁忙，请稍后再试。</p></body></html>
"""
NOT_FOUND = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>页面不存在_聚投诉</title></head>
<body><p>抱歉，您访问的投诉不存在或已被删除。</p><a href="/">返回首页</a></body></html>
"""
DETAIL = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}_聚投诉</title>
<meta name="keywords" content="{merchant},投诉"></head>
<body><div class="top-bar"><a href="/">聚投诉首页</a> <a href="/login">登录</a> | <a href="/register">注册</a></div>
<div class="post-wrap"><h1 class="post-title">{title}</h1>
<div class="post-meta"><span class="merchant">投诉对象：{merchant}</span></div>
<div id="postContent" class="post-content">正在加载...</div>
{key_input}
</div><script src="/static/js/tousu/show.js"></script></body></html>
"""


def _data() -> dict:
    path = HERE / "_data.json"
    mtime = path.stat().st_mtime_ns
    if _cache.get("mtime") != mtime:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["by_id"] = {str(c["id"]): c for c in data["complaints"]}
        data["by_key"] = {c["postKey"]: c for c in data["complaints"]}
        _cache.update(mtime=mtime, data=data)
    return _cache["data"]


def _json(obj, status: int = 200):
    return status, {"Content-Type": JSON_TYPE}, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _html(text: str, status: int = 200):
    return status, {"Content-Type": HTML_TYPE}, text.encode("utf-8")


def _search(query: dict, data: dict):
    keyword = query.get("title", [""])[0]
    try:
        page = max(int(query.get("pageNo", ["1"])[0]), 1)
    except ValueError:
        return _json({"code": 400, "msg": "参数错误"})
    scenario = data["scenario"]["search"].get(keyword, {})
    if page == scenario.get("login_wall_page"):
        return _html(LOGIN_WALL)
    size = data["page_size"]["search"]
    start = (page - 1) * size
    if scenario.get("shift_from_page") and page >= scenario["shift_from_page"]:
        start -= 1  # a complaint arrived between two page loads: the last item comes again
    items = []
    for cid in data["search"].get(keyword, [])[start:start + size]:
        c = data["by_id"][str(cid)]
        highlighted = c["title"].replace(keyword, f'<span class="red">{keyword}</span>') if keyword else c["title"]
        items.append({"id": c["id"], "title": highlighted, "shortTopic": c["shortTopic"],
                      "username": c["username"], "ctime": c["ctime"]})
    return _json({"pageNo": page, "postList": items})


def _merchant(mid: str, page: int, offset: str, data: dict):
    scenario = data["scenario"]["merchant"].get(mid, {})
    if "error" in scenario:
        return _json(scenario["error"])
    if mid not in data["merchant"]:
        return _json({"code": 1001, "msg": "商家不存在"})
    listed = [data["by_id"][str(cid)] for cid in data["merchant"][mid]]
    if offset:
        try:
            cursor = int(offset)
        except ValueError:
            return _json({"code": 400, "msg": "参数错误"})
        listed = [c for c in listed if c["ctime"] < cursor]
    page_items = listed[:data["page_size"]["merchant"]]
    items = [{"id": c["id"], "title": c["title"], "shortTopic": c["shortTopic"], "shuqiu": c["shuqiu"],
              "ctime": str(c["ctime"])} for c in page_items]
    body = {"offset": str(page_items[-1]["ctime"]) if page_items else "", "pageNo": page, "postList": items}
    if page == scenario.get("malformed_page"):
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return 200, {"Content-Type": JSON_TYPE}, raw[: len(raw) // 2]  # the connection dropped mid-answer
    return _json(body)


def _detail(cid: str, path: str, data: dict):
    c = data["by_id"].get(cid)
    special = data["special"].get(cid)
    if c is None or special == "detail_404":
        return _html(NOT_FOUND, 404)
    if special == "detail_login_wall":
        return _html(LOGIN_WALL)
    if special == "detail_captcha":
        with _lock:
            _hits[path] = _hits.get(path, 0) + 1
            odd = _hits[path] % 2 == 1
        if odd:
            return _html(CAPTCHA)
    key_input = "" if special == "detail_no_post_key" else \
        f'<input type="hidden" id="postKeyValue" value="{c["postKey"]}">'
    return _html(DETAIL.format(title=c["title"], merchant=c["merchantname"], key_input=key_input))


def _post(query: dict, data: dict):
    key = query.get("postKey", [""])[0]
    c = data["by_key"].get(key)
    if c is None:
        return _json({"code": 404, "msg": "投诉不存在"})
    special = data["special"].get(str(c["id"]))
    if special == "post_html":
        return _html(BUSY)
    if special == "post_error":
        return _json({"code": 500, "msg": "该投诉正在审核中"})
    post = {k: c[k] for k in ("id", "title", "ctimeStr", "merchantname", "problemLabelList", "shuqiu", "topic",
                              "username", "contactway")}
    if special == "post_missing_topic":
        del post["topic"]
    if special == "post_malformed":
        raw = json.dumps({"post": post}, ensure_ascii=False, separators=(",", ":")).encode()
        return 200, {"Content-Type": JSON_TYPE}, raw[: raw.index(b'"topic"') + 20]
    return _json({"post": post})


def handle(method: str, target: str, headers: dict, body: bytes):
    """Answer the API endpoints and detail pages; None lets static files (robots.txt) answer."""
    split = urlsplit(target)
    path = split.path
    data = _data()
    if path == "/front/api/search/searchPostList.do":
        return _search(parse_qs(split.query), data)
    if path == "/front/api/post/getPostContent.do":
        return _post(parse_qs(split.query), data)
    m = _MERCHANT_RE.match(path)
    if m:
        return _merchant(unquote(m.group(1)), int(m.group(2)), unquote(m.group(3)), data)
    m = _DETAIL_RE.match(path)
    if m:
        return _detail(m.group(1), path, data)
    return None
