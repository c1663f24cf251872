"""lendcorpus replay: serve the recorded-shape fixtures on loopback until interrupted."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--sites", type=Path, action="append", default=None,
                   help="folder of site folders (default: crawler/replay/sites)")
    p.add_argument("--log", type=Path, default=None, help="append one JSON line per request to this file")


def run(args: argparse.Namespace) -> int:
    from lendcorpus.crawler.replay.server import main

    argv = ["--port", str(args.port)]
    for s in args.sites or []:
        argv += ["--sites", str(s)]
    if args.log:
        argv += ["--log", str(args.log)]
    print(f"replay on 127.0.0.1:{args.port}; crawl against it with: lendcorpus crawl all --replay 127.0.0.1:{args.port}")
    main(argv)
    return 0
