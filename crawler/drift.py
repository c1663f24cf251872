"""Drift alarms: real sites change shape, and a changed layout looks like an empty page.

Per spider and page kind we expect a yield — floors per tieba thread page, items per list page,
a letter per 留言板 content answer — and at most a share of block pages. Spiders record what each
page gave (``record_yield``); the expectations below (overridable with
``LENDCORPUS_DRIFT_EXPECT``) say what is normal. ``check`` compares the two once a page kind has
``LENDCORPUS_DRIFT_MIN_PAGES`` pages, and a collapse becomes an ``Alarm``: a "layout changed?"
report naming the spider, the page kind, the numbers and an archived example (WARC file, offset
and URL) to open.

Two places run ``check``:

* during the crawl, Spidermon (``crawler/monitors.py``: ``DriftSpidermon``, a subclass of its
  Scrapy extension) runs
  ``DriftMonitorSuite`` every ``LENDCORPUS_DRIFT_CHECK_EVERY`` responses, on its periodic timer
  and when the spider closes. A failed monitor runs ``LayoutChangedAction``: the report goes to
  the log and to ``drift.json`` in the run folder, the stats get ``lendcorpus/drift/alarms``, and
  a running spider closes with reason ``layout_changed``; ``lendcorpus crawl`` then exits 4;
* after a build, ``corpus_alarms`` reads the ``fetches`` table (each fetch's ``items``, filled by
  ``primary_items``) and ``lendcorpus build`` / ``lendcorpus drift`` exit 4 on a collapse.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from lendcorpus.pipelines.extract.sources import registry


logger = logging.getLogger(__name__)

#: exit code of ``lendcorpus crawl`` / ``build`` / ``drift`` when a layout seems to have changed
EXIT_LAYOUT_CHANGED = 4
STAT = "lendcorpus/yield"


@dataclass(frozen=True)
class Expect:
    """What one page kind normally gives."""

    min_mean: float = 1.0  # items per page, on average
    max_empty_share: float = 0.5  # share of pages that gave nothing

    @classmethod
    def of(cls, value: Any) -> "Expect":
        if isinstance(value, Expect):
            return value
        return cls(float(value.get("min_mean", 1.0)), float(value.get("max_empty_share", 0.5)))


#: spider -> page kind -> expectation. Empty pages happen (an empty forum, a removed complaint);
#: a layout change makes *most* pages empty, so the shares are generous on purpose.
#: Declared by each source (``Source.expect`` in pipelines/extract/sources/<id>.py).
EXPECTED: dict[str, dict[str, Expect]] = {
    src.id: {kind: Expect(*limits) for kind, limits in src.expect.items()} for src in registry().values()
}
#: the build's view: generic article pages (thousands of farms) and the source page kinds
CORPUS_EXPECTED: dict[str, Expect] = {"article": Expect(0.3, 0.7)}
#: page kinds that carry no rows by design in the build (``Source.crawl_only``)
NO_ROWS_IN_CORPUS = {(src.id, kind) for src in registry().values() for kind in src.crawl_only}


@dataclass
class Alarm:
    spider: str
    kind: str
    pages: int
    items: int
    empty: int
    expect: dict
    problem: str
    example: dict = field(default_factory=dict)

    def report(self) -> str:
        ex = self.example
        where = ""
        if ex.get("warc"):
            where = f"; archived example: {ex['warc']} offset {ex.get('offset')}"
        if ex.get("url"):
            where += f" ({ex['url']})" if where else f"; example: {ex['url']}"
        if self.kind == "block_page":  # the site refuses us, or its block detection misreads a new layout
            return (f"blocked, or layout changed? {self.spider}/{self.kind}: {self.problem} — {self.empty} of "
                    f"{self.pages} responses{where}")
        return (f"layout changed? {self.spider}/{self.kind}: {self.problem} — {self.items} items on "
                f"{self.pages} pages, {self.empty} empty{where}")


def expectations(spider: str, settings: Any = None) -> dict[str, Expect]:
    """The built-in expectations of a spider, with ``LENDCORPUS_DRIFT_EXPECT`` on top."""
    out = dict(EXPECTED.get(spider, {}))
    extra = settings.getdict("LENDCORPUS_DRIFT_EXPECT") if settings is not None else {}
    for kind, value in (extra.get(spider) or {}).items():
        out[kind] = Expect.of(value)
    return out


# -- recording during the crawl ------------------------------------------------------------------

def record_yield(spider: Any, kind: str, items: int, response: Any = None) -> None:
    """Count one page of ``kind`` that gave ``items``; keep the first empty one as the example."""
    stats = spider.crawler.stats
    stats.inc_value(f"{STAT}/{kind}/pages")
    stats.inc_value(f"{STAT}/{kind}/items", items)
    if items:
        return
    stats.inc_value(f"{STAT}/{kind}/empty")
    if response is not None and stats.get_value(f"{STAT}/{kind}/example") is None:
        stats.set_value(f"{STAT}/{kind}/example", json.dumps(archived_at(response), ensure_ascii=False))


def archived_at(response: Any) -> dict:
    """Where the archive put this response (``ArchiveMiddleware`` notes it in the request meta)."""
    meta = getattr(response, "meta", None) or {}
    where = meta.get("lc_archived") or {}
    return {"url": response.url, **where}


def stats_counts(stats: dict) -> dict[str, dict]:
    """page kind -> {pages, items, empty, example} from crawler stats."""
    out: dict[str, dict] = {}
    for key, value in stats.items():
        if not key.startswith(STAT + "/"):
            continue
        kind, _, what = key[len(STAT) + 1:].rpartition("/")
        entry = out.setdefault(kind, {"pages": 0, "items": 0, "empty": 0, "example": {}})
        if what == "example":
            try:
                entry["example"] = json.loads(value)
            except (TypeError, ValueError):
                entry["example"] = {"url": str(value)}
        elif what in ("pages", "items", "empty"):
            entry[what] = int(value)
    return out


# -- the check -------------------------------------------------------------------------------------

def check(spider: str, counts: dict[str, dict], expects: dict[str, Expect], min_pages: int = 5,
          blocked: int = 0, responses: int = 0, max_block_share: float = 0.5,
          block_example: dict | None = None) -> list[Alarm]:
    """Alarms for every page kind whose yield collapsed, and for a share of block pages too high."""
    alarms = []
    for kind in sorted(counts):
        c, expect = counts[kind], expects.get(kind)
        if expect is None or c["pages"] < min_pages:
            continue
        mean = c["items"] / c["pages"]
        share = c["empty"] / c["pages"]
        problem = None
        if mean < expect.min_mean:
            problem = f"{mean:.2f} items per page, expected at least {expect.min_mean:g}"
        elif share > expect.max_empty_share:
            problem = f"{share:.0%} of pages gave nothing, expected at most {expect.max_empty_share:.0%}"
        if problem:
            alarms.append(Alarm(spider, kind, c["pages"], c["items"], c["empty"], asdict(expect), problem,
                                c.get("example") or {}))
    if responses >= min_pages and blocked / responses > max_block_share:
        alarms.append(Alarm(spider, "block_page", responses, responses - blocked, blocked,
                            {"max_block_share": max_block_share},
                            f"{blocked / responses:.0%} of responses were block pages, expected at most "
                            f"{max_block_share:.0%}", block_example or {}))
    return alarms


def crawl_alarms(crawler: Any, spider: Any) -> list[Alarm]:
    stats = crawler.stats.get_stats()
    settings = crawler.settings
    blocked = sum(int(v) for k, v in stats.items() if k.startswith("lendcorpus/blocks/"))
    example = stats.get("lendcorpus/drift/block_example")
    return check(spider.name, stats_counts(stats), expectations(spider.name, settings),
                 settings.getint("LENDCORPUS_DRIFT_MIN_PAGES", 5), blocked,
                 int(stats.get("response_received_count", 0)),
                 settings.getfloat("LENDCORPUS_DRIFT_MAX_BLOCK_SHARE", 0.5),
                 json.loads(example) if example else None)


# -- after a build ---------------------------------------------------------------------------------

#: source rejects that explain an empty page without a layout change (errors the site announced)
EXPLAINED = tuple(sorted({reason for src in registry().values() for reason in src.announced}))  # Source.announced


def corpus_alarms(con, min_pages: int = 5, max_block_share: float = 0.5, run_id: str | None = None) -> list[Alarm]:
    """Drift alarms from the corpus: per spider and page kind, over the fetches of the build."""
    where = "WHERE f.run_id = ?" if run_id else ""
    params = [run_id] if run_id else []
    rows = con.execute(f"""
        WITH blocked AS (
            SELECT DISTINCT archive_path, archive_offset FROM rejects
            WHERE stage = 'fetch' OR reason IN ('block_page', 'captcha')),
        explained AS (
            SELECT DISTINCT archive_path, archive_offset FROM rejects
            WHERE stage = 'source' AND ({" OR ".join("starts_with(reason, ?)" for _ in EXPLAINED)}))
        SELECT coalesce(f.spider, '?') AS spider, f.page_kind, f.items, f.status, f.url, f.archive_path,
               f.archive_offset, b.archive_path IS NOT NULL AS is_blocked
        FROM fetches f LEFT JOIN blocked b USING (archive_path, archive_offset)
        ANTI JOIN explained e USING (archive_path, archive_offset)
        {where}
        ORDER BY f.archive_path, f.archive_offset""", [*EXPLAINED, *params]).fetchall()
    per: dict[str, dict[str, dict]] = {}
    blocks: dict[str, list[int]] = {}
    block_examples: dict[str, dict] = {}
    for spider, kind, items, status, url, path, offset, is_blocked in rows:
        b = blocks.setdefault(spider, [0, 0])
        if status is not None:
            b[1] += 1
        if is_blocked:
            b[0] += 1
            block_examples.setdefault(spider, {"warc": path, "offset": offset, "url": url})
            continue
        if items is None or status is None or status >= 400 or kind in (None, "robots", "sitemap", "other"):
            continue
        c = per.setdefault(spider, {}).setdefault(kind, {"pages": 0, "items": 0, "empty": 0, "example": {}})
        c["pages"] += 1
        c["items"] += int(items)
        if not items:
            c["empty"] += 1
            c["example"] = c["example"] or {"warc": path, "offset": offset, "url": url}
    alarms = []
    for spider in sorted(set(per) | set(blocks)):
        expects = {k: v for k, v in {**CORPUS_EXPECTED, **EXPECTED.get(spider, {})}.items()
                   if (spider, k) not in NO_ROWS_IN_CORPUS}
        blocked, responses = blocks.get(spider, [0, 0])
        alarms += check(spider, per.get(spider, {}), expects, min_pages, blocked, responses, max_block_share,
                        block_examples.get(spider))
    return alarms
