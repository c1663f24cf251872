"""lendcorpus seed SPIDER --redis URL: push a spider's start requests into the shared frontier."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spider", help="spider name (see `scrapy list`) or 'all'")
    p.add_argument("--redis", default=None, metavar="URL", help="Redis URL (default $LENDCORPUS_REDIS_URL)")
    p.add_argument("--fresh", action="store_true",
                   help="start a new crawl: forget the old queue, seen-URL filter and workers (marks are kept)")
    p.add_argument("--since", default=None, metavar="YYYY-MM-DD", help="as for crawl")
    p.add_argument("-a", dest="spider_args", action="append", default=[], metavar="NAME=VALUE",
                   help="spider argument (repeatable)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a setting (repeatable)")


def run(args: argparse.Namespace) -> int:
    from lendcorpus.commands.crawl import crawl, project_settings, spider_names
    from lendcorpus.crawler.distributed import configure
    from lendcorpus.crawler.distributed.commands import crawl_id, flush, mark_seeded
    from lendcorpus.crawler.distributed.keys import connect, keys_for

    settings = project_settings(args.set)
    url = args.redis or settings.get("LENDCORPUS_REDIS_URL") or ""
    if not url:
        print("seed needs --redis URL (or LENDCORPUS_REDIS_URL)", file=sys.stderr)
        return 2
    names = spider_names(settings)
    chosen = names if args.spider == "all" else [args.spider]
    if any(n not in names for n in chosen):
        print(f"unknown spider {args.spider!r}; known: {', '.join(names)}", file=sys.stderr)
        return 2
    spider_args = dict(item.split("=", 1) for item in args.spider_args if "=" in item)
    if args.since:
        spider_args["since"] = args.since
    server = connect(url)
    try:
        server.ping()
    except Exception as exc:
        print(f"Redis at {url} does not answer: {exc}", file=sys.stderr)
        return 1
    before = {}
    for name in chosen:
        keys = keys_for(settings, name)
        if args.fresh:
            flush(server, keys)
        crawl_id(server, keys)
        before[name] = int(server.hget(keys.meta, "enqueued") or 0)
    configure(settings, url, seed=True)
    reasons = crawl(chosen, settings, None, spider_args)
    for name in chosen:
        keys = keys_for(settings, name)
        mark_seeded(server, keys)
        new = int(server.hget(keys.meta, "enqueued") or 0) - before[name]
        print(f"{name}: {new} start requests queued (queue now {server.zcard(keys.queue)}; crawl "
              f"{server.hget(keys.meta, 'crawl').decode()}){'' if new else ' — all seen before; --fresh starts a new crawl'}")
    return 0 if all(r == "finished" for r in reasons.values()) else 1
