"""lendcorpus status --redis URL: how a distributed crawl is doing, from Redis alone."""

from __future__ import annotations

import argparse
import json
import sys
import time


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spider", nargs="*", help="spiders to show (default: every crawl found under the prefix)")
    p.add_argument("--redis", default=None, metavar="URL", help="Redis URL (default $LENDCORPUS_REDIS_URL)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="override a setting")


def _ago(seconds: float) -> str:
    return f"{seconds:.0f}s ago" if seconds < 120 else time.strftime("%Y-%m-%d %H:%M", time.localtime(time.time() - seconds))


def run(args: argparse.Namespace) -> int:
    from lendcorpus.commands.crawl import project_settings
    from lendcorpus.crawler.distributed.commands import status

    settings = project_settings(args.set)
    url = args.redis or settings.get("LENDCORPUS_REDIS_URL") or ""
    if not url:
        print("status needs --redis URL (or LENDCORPUS_REDIS_URL)", file=sys.stderr)
        return 2
    try:
        rows = status(url, settings.get("LENDCORPUS_REDIS_PREFIX") or "lendcorpus", args.spider or None, settings)
    except Exception as exc:
        print(f"cannot read the crawl from {url}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rows, indent=1, default=str))
        return 0
    if not rows:
        print("no distributed crawl found (seed one with `lendcorpus seed SPIDER --redis URL`)")
    for r in rows:
        state = "finished" if r["finished"] else ("running" if r["seeded"] else "not seeded yet")
        print(f"{r['spider']} (crawl {r['crawl']}, {state}): queued {r['queued']}, in flight {r['in_flight']}, "
              f"URLs seen {r['urls_seen']} (Bloom FPR now {r['bloom']['fpr_now']:.1g}), workers alive "
              f"{r['workers_alive']}/{len(r['workers'])}, pages {r['pages']}, {r['pages_per_s']} pages/s, "
              f"rejects {r['rejects']}")
        for w in r["workers"]:
            print(f"  {w['worker']:<16} {'alive' if w['alive'] else ('done' if w.get('finished') else 'DEAD'):<5} "
                  f"{w['host']}:{w['pid']}  seen {_ago(w['seen_s_ago'])}  pages {w['pages']}  "
                  f"{w['pages_per_s']} pages/s  rejects {w['rejects']}  in flight {w['in_flight']}"
                  f"{'  (' + w['finished'] + ')' if w.get('finished') else ''}")
    return 0
