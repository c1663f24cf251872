"""Replay answers for 黑猫投诉's signed JSON API and its complaint pages.

The API checks the signature the way the real site does: sha256 (hex) of the concatenation of
the *sorted* string list [ts, rs, salt, couid or keywords (when the endpoint takes one), type
(feed and company lists), page_size, page]. A missing or wrong signature gets the 10005
envelope; pages past the anonymous limit get 10017. Keyword search and company lists also answer
10005 without a logged-in session (a ``SUB=`` cookie), as the real site now does; the feed works
anonymously. Company id 6000000456 gets HTTP 456, the site's IP ban. Complaint pages need the
``sld`` token the lists hand out; without it the page says 页面不存在, as the real one does.

Data comes from ``_data.json`` next to this file (written by ``_generate.py``), so a copy of the
folder regenerated with new complaints serves those.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
DATA = json.loads((HERE / "_data.json").read_text(encoding="utf-8"))
PAGES = {p.name: p.read_bytes() for p in (HERE / "_pages").iterdir()}
BY_SN = {c["sn"]: c for c in DATA["complaints"]}

JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html; charset=utf-8"
_ALNUM = set(string.ascii_letters + string.digits)
_DETAIL_RE = re.compile(r"^/complaint/view/(\d+)(?:/(?:index\.html)?)?$")

ENDPOINTS = {
    # path: (name of the extra signed parameter or None, whether ``type`` is signed, list key)
    "/api/index/feed": (None, True, "lists"),
    "/api/index/s": ("keywords", False, "lists"),
    "/api/company/received_complaints": ("couid", True, "complaints"),
}


def signature(parts: list[str]) -> str:
    return hashlib.sha256("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _json(obj: dict, status: int = 200) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": JSON_TYPE}, json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _error(code: int, msg: str) -> tuple[int, dict, bytes]:
    return _json({"result": {"status": {"code": code, "msg": msg}, "timestamp": "", "data": []}})


def _html(name: str, status: int = 200, headers: dict | None = None) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": HTML_TYPE, **(headers or {})}, PAGES[name]


def _searchable(c: dict) -> str:
    m = c["item"]["main"]
    return " ".join([m["title"], m["summary"], m["issue"], m["appeal"], c["company"],
                     c["detail"]["steps"][0]["text"]])


def _highlight(item: dict, keyword: str) -> dict:
    """Search results mark the keyword in title and summary with HTML, as the real site does."""
    main = dict(item["main"])
    mark = f'<span style="color:#F00">{keyword}</span>'
    main["title"] = main["title"].replace(keyword, mark)
    main["summary"] = main["summary"].replace(keyword, mark)
    return {**item, "main": main}


def _items(path: str, q: dict[str, str]) -> list[dict]:
    if path == "/api/index/feed":
        items = [BY_SN[sn]["item"] for sn in DATA["feed"]]
        items.insert(DATA["broken_at"], DATA["broken_item"])
        return items
    if path == "/api/index/s":
        kw = q["keywords"]
        return [_highlight(c["item"], kw) for c in DATA["complaints"] if kw and kw in _searchable(c)]
    return [c["item"] for c in DATA["complaints"] if c["item"]["main"]["couid"] == q["couid"]]


def _logged_in(headers: dict) -> bool:
    """Keyword search and company lists need a logged-in session (a weibo ``SUB`` cookie)."""
    cookie = next((v for k, v in headers.items() if k.lower() == "cookie"), "")
    return any(part.strip().startswith("SUB=") and len(part.strip()) > 4 for part in cookie.split(";"))


def _api(path: str, query: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    extra, signs_type, list_key = ENDPOINTS[path]
    # the web application firewall answers before the application does
    special = DATA["special_couids"].get(q.get("couid", "")) if extra == "couid" else None
    if special == "http_403":
        return _html("403.html", 403)
    if special == "http_429":
        return _html("429.html", 429, {"Retry-After": "30"})
    if special == "captcha":
        return _html("captcha.html")
    if special == "http_456":  # how the site bans an IP
        return _html("456.html", 456)
    needed = ["ts", "rs", "page_size", "page"] + ([extra] if extra else []) + (["type"] if signs_type else [])
    if any(k not in q for k in needed + ["signature"]):
        return _error(10005, "签名错误，请登录后重试")
    ts, rs = q["ts"], q["rs"]
    if not (ts.isdigit() and len(ts) == 13 and len(rs) == 16 and set(rs) <= _ALNUM):
        return _error(10005, "签名错误，请登录后重试")
    parts = [ts, rs, DATA["salt"], q["page_size"], q["page"]]
    if extra:
        parts.append(q[extra])
    if signs_type:
        parts.append(q["type"])
    if q["signature"] != signature(parts):
        return _error(10005, "签名错误，请登录后重试")
    if extra and not _logged_in(headers or {}):
        return _error(10005, "请登录后重试")
    try:
        page, size = int(q["page"]), int(q["page_size"])
    except ValueError:
        return _error(10005, "参数错误")
    if page < 1 or not 1 <= size <= 50:
        return _error(10005, "参数错误")
    if page > DATA["anon_page_limit"]:
        return _error(10017, "请登录后查看更多投诉")
    if special == "other_envelope":
        return _json({"code": 0, "msg": "ok", "data": {"list": [], "total": 0}})
    kw_special = DATA["special_keywords"].get(q.get("keywords", ""), {}).get(str(page)) if extra == "keywords" else None
    if kw_special == "html":
        return _html("busy.html")
    items = _items(path, q)
    amount = math.ceil(len(items) / size)
    chunk = items[(page - 1) * size: page * size]
    if kw_special == "empty":
        chunk = []
    body = {"result": {"status": {"code": 0, "msg": "ok"}, "timestamp": "",
                       "data": {list_key: chunk,
                                "pager": {"current": page, "page_amount": amount, "item_amount": len(items),
                                          "page_size": size}}}}
    status, headers, raw = _json(body)
    if kw_special == "malformed":
        raw = raw[: len(raw) // 2]  # the connection dropped mid-answer; the length still matches
    return status, headers, raw


def handle(method: str, target: str, headers: dict, body: bytes):
    """Answer the API and complaint pages; None lets files (robots.txt) be served."""
    split = urlsplit(target)
    if split.path in ENDPOINTS:
        return _api(split.path, split.query, headers)
    m = _DETAIL_RE.match(split.path)
    if m:
        sld = parse_qs(split.query).get("sld", [""])[0]
        c = BY_SN.get(m.group(1))
        if c is None or sld != c["sld"]:
            return _html("not_found.html")
        return 200, {"Content-Type": HTML_TYPE}, (HERE / "complaint" / "view" / c["sn"] / "index.html").read_bytes()
    return None
