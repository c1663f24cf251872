"""``lendcorpus serve``: the corpus explorer in a browser (read-only, loopback by default)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default loopback; another address shares the corpus with your network)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--archive", default=None, help="archive folder for provenance pages (default: <data home>/archive)")
    p.add_argument("--show-personal", action="store_true",
                   help="show names, numbers and raw records unmasked (default: masked with the release scrubber)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import uvicorn

    from lendcorpus.analysis.explorer import create_app
    from lendcorpus.analysis.explorer.app import warm_up
    from lendcorpus.corpus import connect_read

    connect_read(args.db).close()  # a missing corpus is an error now, not on the first page
    app = create_app(args.db, show_personal=args.show_personal,
                     archive_root=Path(args.archive) if args.archive else None)
    warm_up()
    app.state.explorer.preload()
    mode = "personal data SHOWN" if args.show_personal else "personal data masked"
    print(f"lendcorpus explorer on http://{args.host}:{args.port}/ ({mode}; read-only; Ctrl-C stops)",
          file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0
