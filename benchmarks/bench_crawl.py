"""Crawl throughput: lendcorpus's full crawl pipeline against bare Scrapy, same site, same run.

    python benchmarks/bench_crawl.py [--pages 2000] [--repeats 3]

Generates a synthetic content-farm site (the demo farm plus spun copies) into a temporary
folder, serves it with the replay server, and crawls it alternately with

- **bare**: a plain ``scrapy.Spider`` with an empty callback, given the article URLs directly,
  Scrapy's default middlewares and download handler, no robots.txt, no archive;
- **full**: the farm's rule spider as ``lendcorpus crawl`` runs it — robots.txt, sitemap
  navigation, replay-aware download handler, stable fingerprints, the WARC archive, progress log.
  (The sitemap instead of the list pages, so both crawls know every URL early: list pages chain
  one after another and would measure the site's latency, not our per-page cost.)

Each crawl runs in a fresh process; pages/s is responses / (spider closed - spider opened). The
medians are printed with their ratio (the goal is full ≥ 0.8 × bare). Then the archive of the
last full crawl is built into a fresh corpus and build docs/s is printed (extraction +
normalisation + loading).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "www.jiedai-baike.example"
SETTINGS = {
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "RETRY_TIMES": 0,
    "DOWNLOAD_TIMEOUT": 10,
}


def child(mode: str, port: int, urls_file: Path, job: Path, extra: list[str] | None = None) -> None:
    """One crawl in this process; prints a JSON line with responses and seconds."""
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess

    if mode == "bare":
        urls = urls_file.read_text().split()

        class Bare(Spider):
            name = "bare"

            async def start(self):
                for u in urls:
                    path = u.split(HOST, 1)[1]
                    yield Request(f"http://127.0.0.1:{port}{path}", headers={"Host": HOST}, callback=self.parse)

            def parse(self, response):
                return None

        settings = dict(SETTINGS, ROBOTSTXT_OBEY=False, TELNETCONSOLE_ENABLED=False)
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(Bare)
    else:
        from lendcorpus.commands.crawl import project_settings

        settings = project_settings()
        for k, v in SETTINGS.items():
            settings.set(k, v, priority="cmdline")
        settings.set("LENDCORPUS_REPLAY", f"127.0.0.1:{port}", priority="cmdline")
        settings.set("LENDCORPUS_JOB_DIR", str(job), priority="cmdline")
        for item in extra or []:
            key, value = item.split("=", 1)
            settings.set(key, value, priority="cmdline")
        import dataclasses

        from lendcorpus.siterules import load_all
        from lendcorpus.crawler.spiders.base import RuleSpider

        # Navigation by sitemap, so both crawls know every URL up front and differ only in
        # what happens per page (list pages chain one after another and would measure latency).
        rules = dataclasses.replace(load_all()["jiedai_baike"], start_urls=(),
                                    sitemaps=(f"https://{HOST}/sitemap.xml",))
        spidercls = type("BenchFarmSpider", (RuleSpider,), {"name": "jiedai_baike", "rules": rules,
                                                            "allowed_domains": [HOST]})
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(spidercls)

    process.crawl(crawler)
    process.start()
    stats = crawler.stats
    pages = stats.get_value("response_received_count", 0)
    seconds = (stats.get_value("finish_time") - stats.get_value("start_time")).total_seconds()
    print(json.dumps({"mode": mode, "pages": pages, "seconds": seconds}))


def run_child(mode: str, port: int, urls_file: Path, job: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--port", str(port), "--urls", str(urls_file),
                          "--job", str(job)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000, help="extra synthetic articles on top of the demo farm")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--urls", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--job", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("-s", dest="extra", action="append", default=[], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.port, args.urls, args.job, args.extra)
        return

    from lendcorpus_replay.farmgen import generate_farm_site
    from lendcorpus_replay.server import ReplayProcess
    from lendcorpus.pipelines.build import Build

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sites = tmp / "sites"
        summary = generate_farm_site(sites / HOST, host=HOST, n_extra=args.pages, seed=7)
        # the bare spider fetches exactly the article URLs the full crawl reaches
        manifest = json.loads((sites / HOST / "_manifest.json").read_text(encoding="utf-8"))
        article_urls = [f"https://{HOST}{a['path']}" for a in manifest["articles"].values()
                        if a["special"] in (None, "charset_liar")]
        urls_file = tmp / "urls.txt"
        urls_file.write_text("\n".join(article_urls))
        print(f"site: {len(article_urls)} articles ({summary['files']} files); "
              f"{args.repeats} alternating runs each; medians below")
        results: dict[str, list[float]] = {"bare": [], "full": []}
        pages: dict[str, int] = {}
        with ReplayProcess([sites]) as replay:
            for i in range(args.repeats):
                for mode in ("bare", "full"):
                    job = tmp / f"job-{mode}-{i}"
                    r = run_child(mode, replay.port, urls_file, job)
                    results[mode].append(r["pages"] / r["seconds"])
                    pages[mode] = r["pages"]
                    print(f"  run {i + 1} {mode:4}: {r['pages']} pages in {r['seconds']:.2f}s = "
                          f"{r['pages'] / r['seconds']:.0f} pages/s", flush=True)
        bare = statistics.median(results["bare"])
        full = statistics.median(results["full"])
        print(f"bare Scrapy (empty callback):   {bare:7.0f} pages/s  ({pages['bare']} pages)")
        print(f"lendcorpus full crawl pipeline: {full:7.0f} pages/s  ({pages['full']} pages incl. robots/list pages)")
        print(f"ratio full/bare: {full / bare:.2f}  (goal >= 0.80)")

        db = tmp / "bench.duckdb"
        os.environ["LENDCORPUS_HOME"] = str(tmp / "home")
        stats = Build(db, root=tmp / f"job-full-{args.repeats - 1}").run()
        print(f"build: {stats.records} records -> {stats.documents} documents in {stats.seconds:.2f}s = "
              f"{stats.records / stats.seconds:.0f} records/s, {stats.documents / stats.seconds:.0f} docs/s")


if __name__ == "__main__":
    main()
