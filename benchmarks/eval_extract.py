"""Evaluate generic extraction (hosts without site rules) against plain trafilatura, same run.

    python benchmarks/eval_extract.py [--shared PATH] [--sets a,b] [--json OUT] [--pages-per-set N]

Every page goes through the build's own path: the raw bytes are written into one WARC with a
``Content-Type: text/html`` header that names no charset, read back with the archive reader and
handed to ``extract_record`` with the build's site rules -- the function ``lendcorpus build``
calls for each record. The baseline is ``trafilatura.extract`` on the same bytes.

Scores are character-bag precision/recall/F1 with whitespace removed (Chinese has no word
boundaries; the same score is used on every set so the columns compare). Each set is split in
two halves by a hash of the page id ("dev" and "test"); the extractor was tuned looking at the
dev half only, so the test half is the honest number. The evaluation data is read in place from
``../shared/eval`` and never copied.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html as htmlmod
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from statistics import mean, median

REPO = Path(__file__).resolve().parent.parent


def shared_dir(arg: str | None = None) -> Path:
    """``--shared``, else $LENDCORPUS_SHARED, else the folder beside the repository."""
    p = Path(arg or os.environ.get("LENDCORPUS_SHARED") or (REPO.parent / "shared"))
    if not (p / "eval").is_dir():
        raise FileNotFoundError(f"shared evaluation data not found at {p} (expected eval/)")
    return p


@dataclass
class Page:
    set: str
    id: str
    url: str
    body: bytes
    gold: str | None = None  # main text; None when the set scores by snippets only
    gold_date: date | None = None
    with_snippets: list[str] = field(default_factory=list)
    without_snippets: list[str] = field(default_factory=list)

    @property
    def split(self) -> str:
        return "dev" if hashlib.sha1(self.id.encode()).digest()[0] % 2 == 0 else "test"


_WRAPPER_ID = re.compile(rb'^\s*<text id="([^"]+)"')
_GOLD_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def load_chinese(ev: Path) -> list[Page]:
    base = ev / "chinese-web-content-extraction"
    pages = []
    for f in sorted((base / "original").glob("*.html")):
        body = f.read_bytes()
        m = _WRAPPER_ID.match(body)
        url = m.group(1).decode("ascii", "replace") if m else f"http://eval.invalid/cwce/{f.stem}.html"
        gold = (base / "cleaned" / f"{f.stem}.txt").read_text("utf-8", errors="replace")
        d = (base / "date" / f"{f.stem}.txt")
        gd = None
        if d.exists():
            dm = _GOLD_DATE.search(d.read_text("utf-8", errors="replace"))
            if dm:
                try:
                    gd = date(*(int(x) for x in dm.groups()))
                except ValueError:
                    gd = None
        pages.append(Page("chinese-web-content-extraction", f.stem, url, body, gold, gd))
    return pages


def _html_text(fragment: str) -> str:
    from lxml import html as lh

    tree = lh.fromstring(fragment)
    for bad in tree.xpath("//script|//style"):
        bad.drop_tree()
    return "\n".join(t.strip() for t in tree.itertext() if t.strip())


def load_readability(ev: Path) -> list[Page]:
    base = ev / "mozilla-readability-zh"
    pages = []
    for d in sorted(p for p in base.iterdir() if p.is_dir()):
        meta = json.loads((d / "expected-metadata.json").read_text("utf-8"))
        if not str(meta.get("lang") or "").lower().startswith("zh") and d.name not in ("gmw", "qq", "youth", "pixnet"):
            continue  # the Japanese pages are negatives for language detection, not extraction
        gold = _html_text((d / "expected.html").read_text("utf-8"))
        pages.append(Page("mozilla-readability-zh", d.name, f"http://eval.invalid/readability/{d.name}/",
                          (d / "source.html").read_bytes(), gold))
    return pages


def load_trafilatura_zh(ev: Path) -> list[Page]:
    base = ev / "trafilatura-eval-zh"
    data = json.loads((base / "evaldata_zh.json").read_text("utf-8"))
    pages = []
    for url, item in sorted(data.items()):
        f = base / "html" / item["file"]
        if not f.exists():
            continue
        body = f.read_bytes()
        if f.suffix == ".gz" or body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        gd = None
        if item.get("date"):
            dm = _GOLD_DATE.search(item["date"])
            gd = date(*(int(x) for x in dm.groups())) if dm else None
        pages.append(Page("trafilatura-eval-zh", item["file"], url, body, None, gd,
                          list(item.get("with") or []), list(item.get("without") or [])))
    return pages


def load_scrapinghub(ev: Path) -> list[Page]:
    base = ev / "scrapinghub-article-extraction-benchmark"
    truth = json.loads((base / "ground-truth.json").read_text("utf-8"))
    return [Page("scrapinghub", k, v.get("url") or f"http://eval.invalid/sh/{k}",
                 gzip.decompress((base / "html" / f"{k}.html.gz").read_bytes()), v["articleBody"])
            for k, v in sorted(truth.items()) if (base / "html" / f"{k}.html.gz").exists()]


def load_wcxb(ev: Path) -> list[Page]:
    base = ev / "wcxb-forum"
    pages = []
    for split in ("dev", "test"):
        for f in sorted((base / split / "html").glob("*.html.gz")):
            pid = f.name[:-len(".html.gz")]
            gt = json.loads((base / split / "ground-truth" / f"{pid}.json").read_text("utf-8"))
            g = gt.get("ground_truth", gt)
            url = gt.get("url") or g.get("url") or f"http://eval.invalid/wcxb/{pid}"
            pages.append(Page("wcxb-forum", pid, url, gzip.decompress(f.read_bytes()), g.get("main_content") or ""))
    return pages


LOADERS = {
    "chinese-web-content-extraction": load_chinese,
    "mozilla-readability-zh": load_readability,
    "trafilatura-eval-zh": load_trafilatura_zh,
    "scrapinghub": load_scrapinghub,
    "wcxb-forum": load_wcxb,
}

_WS = re.compile(r"\s+")


def char_prf(pred: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-characters precision, recall, F1 with whitespace removed."""
    p = Counter(_WS.sub("", htmlmod.unescape(pred or "")))
    g = Counter(_WS.sub("", htmlmod.unescape(gold or "")))
    if not p or not g:
        return 0.0, 0.0, 0.0
    overlap = sum((p & g).values())
    prec, rec = overlap / sum(p.values()), overlap / sum(g.values())
    return prec, rec, (2 * prec * rec / (prec + rec) if overlap else 0.0)


def snippet_counts(pred: str, page: Page) -> tuple[int, int, int]:
    """(true positives, false negatives, false positives) of trafilatura's snippet evaluation."""
    squash = _WS.sub("", pred or "")
    tp = sum(1 for s in page.with_snippets if _WS.sub("", s) in squash)
    fp = sum(1 for s in page.without_snippets if _WS.sub("", s) and _WS.sub("", s) in squash)
    return tp, len(page.with_snippets) - tp, fp


# --- the two systems -----------------------------------------------------------------------

def build_path_records(pages: list[Page], tmp: Path) -> list:
    """Write the pages into one WARC as a crawl would (no charset in Content-Type), read back."""
    from lendcorpus.archive import ArchivedRecord, Exchange, RotatingWarcWriter, iter_archive, warc_files

    w = RotatingWarcWriter(tmp, "eval", max_bytes=2**40)
    for p in pages:
        w.write(Exchange(url=p.url, method="GET", request_headers=[], request_body=b"", status=200,
                         response_headers=[("Content-Type", "text/html")], body=p.body, fetched_at=time.time()))
    w.close()
    recs = [r for f in warc_files(tmp) for r in iter_archive(f) if isinstance(r, ArchivedRecord)]
    if len(recs) != len(pages):
        raise RuntimeError(f"wrote {len(pages)} records, read back {len(recs)}")
    return recs


def run_ours(records: list) -> tuple[list[dict], float]:
    from lendcorpus.siterules import load_all
    from lendcorpus.pipelines.extract import extract_record

    rules = load_all()
    out = []
    t0 = time.perf_counter()
    for rec in records:
        ex = extract_record(rec, rules)
        if ex.documents:
            d = ex.documents[0]
            out.append({"text": d.text, "title": d.title, "date": d.published_at, "reason": "",
                        "extractor": d.extractor})
        else:
            out.append({"text": "", "title": None, "date": None,
                        "reason": ",".join(f"{r.stage}:{r.reason}" for r in ex.rejects) or "none",
                        "extractor": ""})
    return out, time.perf_counter() - t0


def run_trafilatura(pages: list[Page]) -> tuple[list[dict], float]:
    import trafilatura

    out = []
    t0 = time.perf_counter()
    for p in pages:
        text = trafilatura.extract(p.body, url=p.url) or ""
        out.append({"text": text})
    elapsed = time.perf_counter() - t0
    return out, elapsed


def trafilatura_dates(pages: list[Page]) -> list[date | None]:
    """trafilatura's own date (with_metadata) for the date baseline; not timed."""
    import trafilatura

    res = []
    for p in pages:
        doc = trafilatura.bare_extraction(p.body, url=p.url, with_metadata=True)
        dm = _GOLD_DATE.search(str(getattr(doc, "date", None) or "")) if doc is not None else None
        res.append(date(*(int(x) for x in dm.groups())) if dm else None)
    return res


# --- scoring -------------------------------------------------------------------------------

def _day(v) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    return v


def score(pages: list[Page], preds: list[dict], dates: list | None = None) -> dict:
    rows = []
    tp = fn = fp = 0
    for p, r in zip(pages, preds):
        if p.gold is not None:
            rows.append(char_prf(r["text"], p.gold))
        if p.with_snippets or p.without_snippets:
            a, b, c = snippet_counts(r["text"], p)
            tp, fn, fp = tp + a, fn + b, fp + c
    res: dict = {"pages": len(pages), "no_document": sum(1 for r in preds if not r["text"])}
    if rows:
        res.update(precision=mean(x[0] for x in rows), recall=mean(x[1] for x in rows),
                   f1=mean(x[2] for x in rows), f1_median=median(x[2] for x in rows))
    if tp + fn + fp:
        sp = tp / (tp + fp) if tp + fp else 0.0
        sr = tp / (tp + fn) if tp + fn else 0.0
        res.update(snippet_precision=sp, snippet_recall=sr,
                   snippet_f1=2 * sp * sr / (sp + sr) if sp + sr else 0.0)
    dated = [(p, d) for p, d in zip(pages, dates or [r.get("date") for r in preds]) if p.gold_date]
    if dated:
        res["dates_annotated"] = len(dated)
        res["date_day_right"] = sum(1 for p, d in dated if _day(d) == p.gold_date)
    return res


def evaluate(shared: Path, sets: list[str], limit: int | None = None, with_baseline: bool = True) -> dict:
    ev = shared / "eval"
    report: dict = {}
    for name in sets:
        pages = LOADERS[name](ev)
        if limit:
            pages = pages[:limit]
        with tempfile.TemporaryDirectory() as tmp:
            records = build_path_records(pages, Path(tmp))
            ours, t_ours = run_ours(records)
        entry: dict = {"pages": len(pages), "ours_seconds": t_ours, "per_page": []}
        if with_baseline:
            base, t_base = run_trafilatura(pages)
            base_dates = trafilatura_dates(pages) if any(p.gold_date for p in pages) else None
            entry["trafilatura_seconds"] = t_base
        for split in ("all", "dev", "test"):
            idx = [i for i, p in enumerate(pages) if split == "all" or p.split == split]
            sub = [pages[i] for i in idx]
            entry[split] = {"ours": score(sub, [ours[i] for i in idx])}
            if with_baseline:
                entry[split]["trafilatura"] = score(sub, [base[i] for i in idx],
                                                     [base_dates[i] for i in idx] if base_dates else None)
        for i, p in enumerate(pages):
            row = {"id": p.id, "split": p.split, "reason": ours[i]["reason"], "title": ours[i]["title"],
                   "date": str(ours[i]["date"]) if ours[i]["date"] else None,
                   "gold_date": str(p.gold_date) if p.gold_date else None,
                   "extractor": ours[i]["extractor"]}
            if p.gold is not None:
                row["f1"] = char_prf(ours[i]["text"], p.gold)[2]
                if with_baseline:
                    row["trafilatura_f1"] = char_prf(base[i]["text"], p.gold)[2]
            entry["per_page"].append(row)
        report[name] = entry
    return report


def throughput(shared: Path, name: str, rounds: int) -> dict:
    """Pages/s of the generic path and of plain trafilatura, alternating, medians of ``rounds``."""
    pages = LOADERS[name](shared / "eval")
    ours, base = [], []
    with tempfile.TemporaryDirectory() as tmp:
        records = build_path_records(pages, Path(tmp))
        for _ in range(rounds):
            ours.append(len(pages) / run_ours(records)[1])
            base.append(len(pages) / run_trafilatura(pages)[1])
    return {"set": name, "rounds": rounds, "ours_pages_s": median(ours), "trafilatura_pages_s": median(base),
            "ratio": median(o / b for o, b in zip(ours, base))}


def _fmt(v, pct=False) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}"


def print_table(report: dict, out=sys.stdout) -> None:
    head = ("| set | split | system | pages | F1 | P | R | snippet F1 | day right | no doc | pages/s |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|")
    print(head, file=out)
    for name, e in report.items():
        for split in ("all", "dev", "test"):
            for system in ("ours", "trafilatura"):
                s = e[split].get(system)
                if s is None:
                    continue
                day = f"{s['date_day_right']}/{s['dates_annotated']}" if "dates_annotated" in s else "-"
                secs = e.get(f"{system}_seconds")
                speed = f"{e['pages'] / secs:.0f}" if split == "all" and secs else ""
                print(f"| {name} | {split} | {system} | {s['pages']} | {_fmt(s.get('f1'))} | "
                      f"{_fmt(s.get('precision'))} | {_fmt(s.get('recall'))} | {_fmt(s.get('snippet_f1'))} | "
                      f"{day} | {s['no_document']} | {speed} |", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared")
    ap.add_argument("--sets", default=",".join(LOADERS))
    ap.add_argument("--json", help="write the full report (with per-page rows) here")
    ap.add_argument("--pages-per-set", type=int)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--show", help="print per-page rows of this set")
    ap.add_argument("--speed-rounds", type=int, default=0,
                    help="also time the generic path against trafilatura on the Chinese set, N alternating rounds")
    args = ap.parse_args(argv)
    if args.speed_rounds:
        t = throughput(shared_dir(args.shared), "chinese-web-content-extraction", args.speed_rounds)
        print(f"throughput on {t['set']} ({t['rounds']} alternating rounds, medians): generic path "
              f"{t['ours_pages_s']:.1f} pages/s, trafilatura.extract {t['trafilatura_pages_s']:.1f} pages/s, "
              f"ratio {t['ratio']:.2f}")
    report = evaluate(shared_dir(args.shared), args.sets.split(","), args.pages_per_set, not args.no_baseline)
    print_table(report)
    if args.show and args.show in report:
        for r in report[args.show]["per_page"]:
            print(json.dumps(r, ensure_ascii=False, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
