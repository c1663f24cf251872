"""lendcorpus crawl SPIDER|all: run spiders into the raw archive (never into the corpus)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spider", help="spider name (see `scrapy list`) or 'all'")
    p.add_argument("--replay", nargs="?", const="auto", default=None, metavar="HOST:PORT",
                   help="crawl the offline replay instead of the real sites: start one (no value) or use a running one")
    p.add_argument("--job", type=Path, default=None,
                   help="run folder; give the folder of an earlier run to resume it (with 'all': one sub-folder per spider)")
    p.add_argument("--since", default=None, metavar="YYYY-MM-DD",
                   help="skip items older than this date (spiders that list by time)")
    p.add_argument("-a", dest="spider_args", action="append", default=[], metavar="NAME=VALUE",
                   help="spider argument, as with scrapy crawl -a (repeatable)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy/lendcorpus setting (repeatable)")
    p.add_argument("--redis", default=None, metavar="URL",
                   help="run as a worker of a distributed crawl: take requests from this Redis "
                        "(seed it with `lendcorpus seed`; default $LENDCORPUS_REDIS_URL; see docs/distributed.md)")
    p.add_argument("--worker-id", default=None, metavar="ID",
                   help="this worker's name, unique per process and stable across restarts (in WARC file names)")


def project_settings(overrides: list[str] | None = None):
    """Scrapy settings of the lendcorpus project, from any working directory."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "lendcorpus.crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for item in overrides or []:
        if "=" not in item:
            raise SystemExit(f"-s expects NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        settings.set(key, value, priority="cmdline")
    return settings


def spider_names(settings) -> list[str]:
    from scrapy.spiderloader import get_spider_loader

    return sorted(get_spider_loader(settings).list())


def crawl(names: list[str], settings, job: Path | None = None, spider_args: dict | None = None,
          jobs: dict[str, Path] | None = None) -> dict[str, str]:
    """Run the named spiders in one process; returns each spider's finish reason.

    ``jobs`` gives a run folder per spider (distributed workers: the crawl's folder)."""
    from scrapy.crawler import Crawler, CrawlerProcess

    process = CrawlerProcess(settings)
    crawlers = {}
    for i, name in enumerate(names):
        s = settings.copy()
        if job is not None:
            s.set("LENDCORPUS_JOB_DIR", str(job if len(names) == 1 else job / name), priority="cmdline")
        elif jobs and name in jobs:
            s.set("LENDCORPUS_JOB_DIR", str(jobs[name]), priority="cmdline")
        # The first crawler installs the reactor (as CrawlerProcess would for its own crawlers).
        crawler = Crawler(process.spider_loader.load(name), s, init_reactor=(i == 0))
        crawlers[name] = crawler
        process.crawl(crawler, **(spider_args or {}))
    process.start()
    reasons = {}
    for name, c in crawlers.items():
        reason = c.stats.get_value("finish_reason") or "unknown"
        if c.stats.get_value("lendcorpus/drift/alarms") and "layout_changed" not in reason:
            reason += "_layout_changed"  # finished, but the close-time drift check raised an alarm
        reasons[name] = reason
    return reasons


def run(args: argparse.Namespace) -> int:
    settings = project_settings(args.set)
    names = spider_names(settings)
    if args.spider == "all":
        chosen = names
    elif args.spider in names:
        chosen = [args.spider]
    else:
        print(f"unknown spider {args.spider!r}; known: {', '.join(names) or '(none)'}", file=sys.stderr)
        return 2
    replay = None
    if args.replay == "auto":
        from lendcorpus.crawler.replay.server import ReplayProcess

        replay = ReplayProcess().start()
        settings.set("LENDCORPUS_REPLAY", replay.address, priority="cmdline")
        print(f"replay server on {replay.address}", file=sys.stderr)
    elif args.replay:
        settings.set("LENDCORPUS_REPLAY", args.replay, priority="cmdline")
    spider_args = {}
    for item in args.spider_args:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"-a expects NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        spider_args[key] = value
    if args.since:
        spider_args["since"] = args.since
    jobs = None
    redis_url = args.redis or settings.get("LENDCORPUS_REDIS_URL") or ""
    if redis_url:
        from lendcorpus.crawler.distributed import configure
        from lendcorpus.crawler.distributed.commands import worker_run_dirs

        configure(settings, redis_url, worker_id=args.worker_id)
        if args.job is None:
            jobs = worker_run_dirs(settings, chosen)
        print(f"worker {settings.get('LENDCORPUS_WORKER_ID')} of the crawl in {redis_url}", file=sys.stderr)
    elif args.worker_id:
        settings.set("LENDCORPUS_WORKER_ID", args.worker_id, priority="cmdline")
    try:
        reasons = crawl(chosen, settings, args.job, spider_args, jobs=jobs)
    finally:
        if replay is not None:
            replay.stop()
    bad = {n: r for n, r in reasons.items() if r != "finished"}
    for n, r in reasons.items():
        print(f"{n}: {r}", file=sys.stderr)
    if any("layout_changed" in r for r in bad.values()):
        from lendcorpus.crawler.drift import EXIT_LAYOUT_CHANGED

        print("layout changed? see the report above and drift.json in the run folder", file=sys.stderr)
        return EXIT_LAYOUT_CHANGED
    return 0 if not bad else 1
