"""The 领导留言板 JSON APIs, as the replay server answers them (data from ``_generate.py``).

Both endpoints take a POST body ``{"appCode", "token", "signature", "param"}`` where ``param`` is
a compact JSON string and ``signature = md5(path + param + md5(appCode)[:16] + token)`` (hex).
The check is done here the way the real site does it, over the exact ``param`` string sent, so a
spider that serialises differently (spaces, key order, escaped Chinese) fails like it would on
the real site: HTTP 200 with ``{"code": "SN0006", "msg": "数据格式错误"}``.

``POST /v2/threads/search`` → ``{"code": 0, "msg": "ok", "data": {"data": [thread, ...]}}``,
newest first, ``rows`` per ``page``; keyword 催收 repeats page 1's last thread on page 2.
``POST /v1/threads/content`` → ``{"resultCode": "200", "resultMsg": "成功", "resultData":
{"contentList": [...]}}`` (dataType 1 = letter, 4 = official reply); three tids answer with an
HTML page, cut-off JSON and a "deleted" error envelope. The content param must be the shape
public clients send, ``{"tid": "<string>", "fromTrash": 0}`` (else ``PA0001``); on some letters
the letter comes after the replies. ``POST /v1/threads/list/df`` with ``{"fid", "showUnAnswer",
"typeId", "lastItem", "position", "rows", "orderType"}`` → ``{"resultCode": "200", "resultData":
{"data": [...]}}``: one office's letters newest first, after the tid in ``lastItem`` (``typeId``
is not used by the replay). Anything else falls through to files (``robots.txt``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
APP_CODES = ("PC42ce3bfa4980a9",)
SEARCH = "/v2/threads/search"
CONTENT = "/v1/threads/content"
LIST_DF = "/v1/threads/list/df"
_LIST_FIELDS = ("tid", "subject", "content", "forumName", "fid", "stateInfo", "typeName",
                                      "domainName", "createDateline")

_THREADS: list[dict] = json.loads((HERE / "_threads.json").read_text(encoding="utf-8"))
_MANIFEST: dict = json.loads((HERE / "_manifest.json").read_text(encoding="utf-8"))
_BY_TID = {t["tid"]: t for t in _THREADS}
_NEWEST_FIRST = sorted(_THREADS, key=lambda t: t["tid"], reverse=True)
_SEARCH_FIELDS = ("tid", "subject", "content", "forumName", "fid", "stateInfo", "typeName", "domainName",
                  "createDateline")

JSON_TYPE = {"Content-Type": "application/json;charset=UTF-8"}
MAINTENANCE = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>系统维护中</title></head>"
               "<body><div class=\"box\"><h2>系统维护中</h2><p>为了给您提供更好的服务，系统正在升级维护，"
               "请稍后再访问。</p></div></body></html>").encode("utf-8")


def _json(obj: dict, status: int = 200):
    return status, dict(JSON_TYPE), json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sn0006():
    return _json({"code": "SN0006", "msg": "数据格式错误"})


def expected_signature(path: str, param: str, app_code: str, token: str = "") -> str:
    key = hashlib.md5(app_code.encode("utf-8")).hexdigest()[:16]
    return hashlib.md5((path + param + key + token).encode("utf-8")).hexdigest()


def _highlight(text: str, keyword: str) -> str:
    return text.replace(keyword, f"<em>{keyword}</em>") if keyword else text


def _search(param: dict):
    keyword = str(param.get("keywords") or "")
    try:
        page, rows = int(param.get("page", 1)), int(param.get("rows", 10))
    except (TypeError, ValueError):
        return _json({"code": "PA0001", "msg": "参数错误"})
    if page < 1 or not 1 <= rows <= 50 or page > _MANIFEST["max_page"]:
        return _json({"code": "PA0001", "msg": "参数错误"})
    hits = [t for t in _NEWEST_FIRST if keyword in t["subject"] + t["content"]]
    start = (page - 1) * rows
    dup = _MANIFEST["duplicated"]
    if keyword == dup["keyword"] and page >= dup["page"]:
        start -= 1  # a letter arrived between requests: everything slid down by one
    items = []
    for t in hits[start:start + rows]:
        item = {k: t[k] for k in _SEARCH_FIELDS}
        item["subject"] = _highlight(item["subject"], keyword)
        item["content"] = item["content"].replace("<br>", "")[:120]
        items.append(item)
    return _json({"code": 0, "msg": "ok", "data": {"data": items}})


def _content(param: dict):
    # public clients send {"tid": "<string>", "fromTrash": 0}; the replay takes only that shape
    raw = param.get("tid")
    if not isinstance(raw, str) or not raw.isdigit() or param.get("fromTrash") != 0:
        return _json({"resultCode": "PA0001", "resultMsg": "参数错误"})
    tid = int(raw)
    specials = _MANIFEST["specials"]
    if tid == specials["html_not_json"]:
        return 200, {"Content-Type": "text/html; charset=utf-8"}, MAINTENANCE
    if tid == specials["deleted"] or tid not in _BY_TID:
        return _json({"resultCode": "TH0004", "resultMsg": "该留言不存在或已被删除"})
    body = json.dumps({"resultCode": "200", "resultMsg": "成功",
                       "resultData": {"contentList": _BY_TID[tid]["contentList"]}},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if tid == specials["malformed_json"]:
        body = body[: len(body) // 2]  # the connection gave out mid-answer
    return 200, dict(JSON_TYPE), body


def _list_df(param: dict):
    """One office's letters, newest first, ``rows`` at a time after ``lastItem`` (a tid)."""
    fid = str(param.get("fid") or "")
    last = str(param.get("lastItem") or "")
    try:
        rows = int(param.get("rows", 10))
    except (TypeError, ValueError):
        return _json({"resultCode": "PA0001", "resultMsg": "参数错误"})
    if not 1 <= rows <= 50 or (last and not last.isdigit()):
        return _json({"resultCode": "PA0001", "resultMsg": "参数错误"})
    tids = _MANIFEST["forum_tids"].get(fid, [])
    if last:
        tids = [t for t in tids if t < int(last)]
    items = []
    for tid in tids[:rows]:
        t = _BY_TID[tid]
        item = {k: t[k] for k in _LIST_FIELDS}
        when = max(c["dateline"] for c in t["contentList"])
        item.update({"content": t["content"].replace("<br>", "")[:120], "dateline": when,
                     "createDateline": t["contentList"][[c["dataType"] for c in t["contentList"]].index(1)]["dateline"]})
        items.append(item)
    return _json({"resultCode": "200", "resultMsg": "成功", "resultData": {"data": items}})


def handle(method: str, target: str, headers: dict, body: bytes):
    """Answer the two APIs; None lets the server serve files (robots.txt)."""
    path = urlsplit(target).path
    if path not in (SEARCH, CONTENT, LIST_DF):
        return None
    if method != "POST":
        return 405, {"Content-Type": "text/plain; charset=utf-8", "Allow": "POST"}, b"Method Not Allowed"
    try:
        envelope = json.loads(body.decode("utf-8"))
        app_code, token = envelope["appCode"], envelope.get("token") or ""
        param_text, signature = envelope["param"], envelope["signature"]
        if not all(isinstance(v, str) for v in (app_code, token, param_text, signature)):
            return _sn0006()
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return _sn0006()
    if app_code not in APP_CODES or signature != expected_signature(path, param_text, app_code, token):
        return _sn0006()
    try:
        param = json.loads(param_text)
    except ValueError:
        return _sn0006()
    if not isinstance(param, dict):
        return _sn0006()
    if path == LIST_DF:
        return _list_df(param)
    return _search(param) if path == SEARCH else _content(param)
