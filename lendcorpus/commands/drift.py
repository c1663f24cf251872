"""lendcorpus drift: did a source's layout change? Page yields per spider and page kind, from the corpus."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", default=None, metavar="RUN_ID", help="only the fetches of this crawl run")
    p.add_argument("--min-pages", type=int, default=5, help="judge a page kind once it has this many pages")
    p.add_argument("--max-block-share", type=float, default=0.5, help="alarm above this share of block pages")


def report_alarms(db, run_id: str | None = None, min_pages: int = 5, max_block_share: float = 0.5) -> int:
    """Print one "layout changed?" line per alarm; EXIT_LAYOUT_CHANGED if there is any, else 0."""
    from lendcorpus.corpus import connect_read
    from lendcorpus.crawler.drift import EXIT_LAYOUT_CHANGED, corpus_alarms

    con = connect_read(db)
    try:
        alarms = corpus_alarms(con, min_pages, max_block_share, run_id)
    finally:
        con.close()
    for alarm in alarms:
        print(alarm.report(), file=sys.stderr)
    if alarms:
        print(f"drift: {len(alarms)} page kind(s) look changed; open the archived examples above", file=sys.stderr)
        return EXIT_LAYOUT_CHANGED
    return 0


def run(args: argparse.Namespace) -> int:
    code = report_alarms(args.db, args.run, args.min_pages, args.max_block_share)
    if code == 0:
        print("drift: page yields look normal for every spider and page kind")
    return code
