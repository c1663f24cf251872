"""lendcorpus replay: serve the recorded-shape fixtures on loopback until interrupted.

The replay (server, fixture sites, generators) is the separate distribution ``lendcorpus-replay``
in the checkout's ``replay/`` folder, not part of the installed package; :func:`replay_server` is
the one place lendcorpus imports it, lazily, for ``demo``, ``replay`` and ``crawl --replay``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import ModuleType

#: how to get the replay, said by every command that needs it and finds it missing
INSTALL_HINT = "pip install -e ./replay"


class ReplayMissing(Exception):
    """The lendcorpus-replay distribution is not installed."""


def replay_server() -> ModuleType:
    """``lendcorpus_replay.server``; :class:`ReplayMissing` when the distribution is not installed."""
    try:
        from lendcorpus_replay import server
    except ModuleNotFoundError as exc:
        if exc.name not in ("lendcorpus_replay", "lendcorpus_replay.server"):
            raise  # the replay is there but one of its own imports is broken: show that
        raise ReplayMissing("the offline replay is not installed (a separate package in the checkout's replay/ "
                            f"folder): run `{INSTALL_HINT}` in the lendcorpus checkout") from None
    return server


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--sites", type=Path, action="append", default=None,
                   help="folder of site folders (default: the replay's own, replay/lendcorpus_replay/sites)")
    p.add_argument("--log", type=Path, default=None, help="append one JSON line per request to this file")


def run(args: argparse.Namespace) -> int:
    try:
        server = replay_server()
    except ReplayMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    argv = ["--port", str(args.port)]
    for s in args.sites or []:
        argv += ["--sites", str(s)]
    if args.log:
        argv += ["--log", str(args.log)]
    print(f"replay on 127.0.0.1:{args.port}; crawl against it with: lendcorpus crawl all --replay 127.0.0.1:{args.port}")
    server.main(argv)
    return 0
