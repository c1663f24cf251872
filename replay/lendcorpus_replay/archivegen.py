"""Generate WARC archives of N pages with the shape of a real crawl, for build benchmarks and tests.

Why this exists: the build's speed, memory and incremental correctness only show at scale and on
a realistic mix, and nothing reachable from here has one. The pages come from the replay
fixtures' own generators, so every page is one the spiders and parsers already know:

* farm articles (``www.jiedai-baike.example``, ``farmgen``): spun, re-wrapped, annotated and
  recombined copies of the seeds, all with the shared template lines and contact footer the
  boilerplate pass learns -- plus the site's list pages;
* complaints (``tousu.sina.com.cn``, its ``_generate.py``): detail pages and signed feed answers
  (JSON lists of ten);
* forum threads (``tieba.baidu.com``, its ``_generate.py``): thread pages (30 floors each) and
  forum list pages;
* news (``news.jinrong-ribao.example``, the sitegen fixture pages): the fixture's article pages
  with their paragraphs redrawn from the whole fixture, under new ids.

Everything is a pure function of ``(n_pages, part)``: ``part`` moves every id into its own
range, so part 1 is a disjoint batch that can be built on top of part 0 (an incremental build).
The archive layout is the crawler's: ``<out>/<spider>/<run>/<prefix>-NNNNN.warc.gz``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

from lendcorpus.archive import Exchange, RotatingWarcWriter

HERE = Path(__file__).resolve().parent
SITES = HERE / "sites"
#: Share of pages per kind (the rest are news).
MIX = {"farm": 0.50, "complaint": 0.25, "forum": 0.15}
FETCHED_AT = 1_790_000_000.0  # fixed: the same call writes the same records
HTML = [("Content-Type", "text/html; charset=utf-8")]
JSON_TYPE = [("Content-Type", "application/json;charset=UTF-8")]
_ID_STRIDE = 10_000_000


def _site_module(host: str, name: str):
    spec = importlib.util.spec_from_file_location(f"archivegen_{host.replace('.', '_')}_{name}",
                                                  SITES / host / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _farm(n: int, part: int) -> list[tuple[str, list, bytes]]:
    from lendcorpus_replay.farmgen import generate_farm_site

    host = "www.jiedai-baike.example"
    n_lists = max(n // 20, 1) if part == 0 else 0
    n_articles = n - n_lists
    out: list[tuple[str, list, bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "farm"
        info = generate_farm_site(root, host=host, n_extra=n_articles + 60, seed=part)
        special = set(info["special"].values())
        offset = part * _ID_STRIDE
        for aid in info["article_ids"]:
            rel = f"/a/{aid}.html"
            if rel in special or len(out) >= n_articles:
                continue
            out.append((f"https://{host}/a/{aid + offset}.html", HTML, (root / rel.lstrip("/")).read_bytes()))
        lists = [p for p in info["lists"] if p != "/"]
        for rel in lists[:n_lists]:
            out.append((f"https://{host}{rel}", HTML, (root / rel.lstrip("/")).read_bytes()))
    return out


def _complaints(n: int, part: int) -> list[tuple[str, list, bytes]]:
    gen = _site_module("tousu.sina.com.cn", "_generate")
    rng = random.Random(f"archivegen:heimao:{part}")
    n_lists = max(n // 11, 1)
    n_detail = n - n_lists
    complaints = []
    for j in range(n_detail):
        sn = str(gen.FIRST_SN + (part * _ID_STRIDE + 1000 + j) * 37)
        complaints.append(gen._complaint(rng, sn, gen.BASE_TIME - j * 600, j))
    out = []
    for c in complaints:
        url = f"https://tousu.sina.com.cn/complaint/view/{c['sn']}/?sld={c['sld']}"
        out.append((url, HTML, gen.detail_html(c).encode("utf-8")))
    size = 10
    for page in range(1, n_lists + 1):
        chunk = [c["item"] for c in complaints[(page - 1) * size: page * size]]
        body = {"result": {"status": {"code": 0, "msg": "ok"}, "timestamp": "",
                           "data": {"lists": chunk, "pager": {"current": page, "page_amount": n_lists,
                                                              "item_amount": len(complaints), "page_size": size}}}}
        url = (f"https://tousu.sina.com.cn/api/index/feed?ts={1790000000000 + page}&rs=archivegen{part:07d}"
               f"&signature=x&type=1&page_size={size}&page={page + part * _ID_STRIDE}")
        out.append((url, JSON_TYPE, json.dumps(body, ensure_ascii=False).encode("utf-8")))
    return out


def _forum(n: int, part: int) -> list[tuple[str, list, bytes]]:
    gen = _site_module("tieba.baidu.com", "_generate")
    handler = _site_module("tieba.baidu.com", "_handler")
    out: list[tuple[str, list, bytes]] = []
    k = 0
    while len(out) < n:
        data = gen.generate(seed=gen.SEED + part * 1000 + k)
        shift = (part * 1000 + k + 1) * 100_000_000
        for t in data["threads"]:
            t["tid"] += shift
            for p in t["posts"]:
                p["pid"] += shift * 100
        site = handler.TiebaSite(data, today=date(2026, 11, 20))
        for forum in data["forums"]:
            if len(out) < n and k == 0 and part == 0:
                _, _, body = site.answer(f"/f?kw={forum}&ie=utf-8&pn=0")
                out.append((f"https://tieba.baidu.com/f?kw={forum}&ie=utf-8&pn=0", HTML, body))
        for t in data["threads"]:
            if t["deleted"]:
                continue
            for pn in range(1, site.pages(t) + 1):
                if len(out) >= n:
                    break
                _, _, body = site.answer(f"/p/{t['tid']}?pn={pn}")
                url = f"https://tieba.baidu.com/p/{t['tid']}" + (f"?pn={pn}" if pn > 1 else "")
                out.append((url, HTML, body))
        k += 1
    return out


_P_RE = re.compile(r"<p>(?:(?!</p>).)*</p>", re.S)
_ART_RE = re.compile(r'(<div class="article">)(.*?)(<div class="edit">|<div class="zdfy">|</div>)', re.S)


def _news(n: int, part: int) -> list[tuple[str, list, bytes]]:
    root = SITES / "news.jinrong-ribao.example" / "n1"
    pages = sorted(root.glob("*/*/c*.html"))
    texts = [p.read_text(encoding="utf-8") for p in pages]
    pool = [p for t in texts for m in _ART_RE.finditer(t) for p in _P_RE.findall(m.group(2))]
    rng = random.Random(f"archivegen:news:{part}")
    out = []
    for j in range(n):
        i = rng.randrange(len(pages))
        paras = "\n".join(rng.sample(pool, min(len(pool), rng.randint(3, 8))))
        html = _ART_RE.sub(lambda m: m.group(1) + "\n" + paras + "\n" + m.group(3), texts[i], count=1)
        channel = pages[i].name.split("-")[0]
        day = pages[i].parent
        nid = 40_000_000 + part * _ID_STRIDE + j
        url = f"https://news.jinrong-ribao.example/n1/{day.parent.name}/{day.name}/{channel}-{nid}.html"
        out.append((url, HTML, html.encode("utf-8")))
    return out


def plan(n_pages: int) -> dict[str, int]:
    """How many pages of each kind ``n_pages`` holds."""
    counts = {kind: int(n_pages * share) for kind, share in MIX.items()}
    counts["news"] = n_pages - sum(counts.values())
    return counts


def generate_archive(out: Path | str, n_pages: int, *, part: int = 0, max_bytes: int = 100 * 2**20) -> dict:
    """Write an archive of ``n_pages`` response records under ``out``; returns counts per spider."""
    out = Path(out)
    counts = plan(n_pages)
    makers = {"jiedai_baike": (_farm, "farm"), "heimao": (_complaints, "complaint"),
              "tieba": (_forum, "forum"), "jinrong_ribao": (_news, "news")}
    written: dict[str, int] = {}
    for spider, (make, kind) in makers.items():
        run = f"bench-{part:04d}"
        writer = RotatingWarcWriter(out / spider / run, spider, max_bytes=max_bytes,
                                    warcinfo={"spider": spider, "run": run})
        pages = make(counts[kind], part) if counts[kind] else []
        for i, (url, headers, body) in enumerate(pages):
            writer.write(Exchange(url=url, method="GET", request_headers=[("User-Agent", "archivegen")],
                                  request_body=b"", status=200, response_headers=list(headers), body=body,
                                  fetched_at=FETCHED_AT + part * 86400 + i))
        writer.close()
        written[spider] = len(pages)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--part", type=int, default=0, help="id range; part 1 is disjoint from part 0")
    args = ap.parse_args(argv)
    print(json.dumps(generate_archive(args.out, args.pages, part=args.part)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
