"""Cost of the drift alarms: tieba crawls of the replay with the Spidermon drift monitors off, on
(every 25 responses, the default) and on every 5 responses, alternating, in the same run.

    python benchmarks/bench_drift.py [--repeats 5]

Each crawl is ``lendcorpus crawl tieba`` in a fresh process against one replay server (every
forum of the fixture: list pages, thread pages, ads, the mobile list); pages/s is responses /
(session finished - started) from run.json. Medians are printed with their ratio to "off".
The numbers go to docs/sources/drift.md; they are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

MODES = {
    "off": ["-s", "SPIDERMON_ENABLED=0", "-s", "LENDCORPUS_DRIFT_CHECK_EVERY=0"],
    "every25": [],
    "every5": ["-s", "LENDCORPUS_DRIFT_CHECK_EVERY=5"],
}
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0",
        "-s", "LENDCORPUS_PROGRESS_INTERVAL=0", "-s", "LOG_LEVEL=WARNING"]


def crawl(address: str, home: Path, job: Path, extra: list[str]) -> tuple[int, float]:
    env = dict(os.environ, LENDCORPUS_HOME=str(home))
    proc = subprocess.run([sys.executable, "-m", "lendcorpus.cli", "crawl", "tieba", "--replay", address, "--new", "--job",
                           str(job), "-a", "forums=网贷,催收,逾期,上岸", *FAST, *extra],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    session = json.loads((job / "run.json").read_text())["sessions"][-1]
    return int(session["stats"]["response_received_count"]), session["finished"] - session["started"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from lendcorpus_replay.server import ReplayProcess

    rates: dict[str, list[float]] = {m: [] for m in MODES}
    with tempfile.TemporaryDirectory() as tmp, ReplayProcess() as replay:
        tmp = Path(tmp)
        for i in range(args.repeats):
            for mode, extra in MODES.items():
                pages, seconds = crawl(replay.address, tmp / f"home-{mode}-{i}", tmp / f"job-{mode}-{i}", extra)
                rates[mode].append(pages / seconds)
                print(f"  run {i + 1} {mode:8}: {pages} pages in {seconds:.2f}s = {pages / seconds:.0f} pages/s",
                      flush=True)
    base = statistics.median(rates["off"])
    for mode in MODES:
        med = statistics.median(rates[mode])
        print(f"{mode:8} median {med:6.0f} pages/s  ratio to off {med / base:.2f}")
    # The loopback crawl is latency-bound, so also time one suite run in this process and put it
    # next to the per-page time of Scrapy's fastest case (BRIEF: ~500 pages/s on one core).
    per_run = suite_seconds()
    print(f"one DriftMonitorSuite run (Spidermon): median {per_run * 1e3:.2f} ms; every 25 responses that is "
          f"{per_run / 25 * 1e3:.3f} ms per page, {per_run / 25 / (1 / 500):.1%} of a 2 ms page")


def suite_seconds(runs: int = 200) -> float:
    """Median wall time of one drift suite run over a crawl's worth of stats."""
    import time

    from scrapy.utils.test import get_crawler
    from spidermon.contrib.scrapy.runners import SpiderMonitorRunner

    from lendcorpus.crawler.monitors import DriftMonitorSuite
    from lendcorpus.crawler.spiders.tieba import TiebaSpider

    crawler = get_crawler(TiebaSpider, {"LENDCORPUS_STATE_DIR": tempfile.mkdtemp()})
    spider = TiebaSpider.from_crawler(crawler)
    crawler.spider = spider
    for kind, pages, items in (("thread", 400, 9000), ("forum_list", 8, 380)):
        crawler.stats.set_value(f"lendcorpus/yield/{kind}/pages", pages)
        crawler.stats.set_value(f"lendcorpus/yield/{kind}/items", items)
    crawler.stats.set_value("response_received_count", 420)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        SpiderMonitorRunner(spider=spider).run(DriftMonitorSuite(crawler=crawler), stats=crawler.stats.get_stats(),
                                               stats_history=[], crawler=crawler, spider=spider,
                                               sc_spider_name=spider.name, job=None)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


if __name__ == "__main__":
    main()
