"""lendcorpus build [WARC ...]: load archives not yet loaded into the corpus.

Progress on stderr (bars on a terminal, plain lines otherwise): bytes of archive read of the bytes
to load, with rate and ETA, then each corpus pass. It ends with the one-line ``build: ...`` on stdout
(for scripts, as before) and a one-screen summary on stderr that states the exit code: 0, or 4 when
the drift check finds a page kind that stopped yielding (layout changed?).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("warcs", nargs="*", type=Path,
                   help="WARC files or folders (any crawler's); default: every run in the archive folder")
    p.add_argument("--reprocess", action="store_true",
                   help="forget all derived rows and re-read every archive (after a parser or normaliser change)")
    p.add_argument("--archive", type=Path, default=None, help="archive folder (default: <data home>/archive)")
    p.add_argument("--no-drift-check", action="store_true",
                   help="do not check page yields per spider and page kind after the build (exit 4 on a collapse)")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="worker processes for the per-record stage (default: every core); the corpus is the "
                        "same for any N")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="where the per-record stage runs: worker processes here (local) or Ray tasks next to "
                        "the WARC shards of a cluster (ray; pip install 'lendcorpus[ray]'); same corpus")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="with --engine ray: the cluster's head, host:port (default: start Ray on this machine)")


def run(args: argparse.Namespace) -> int:
    from lendcorpus.archive import warc_files
    from lendcorpus.pipelines.build import Build
    from lendcorpus.progress import Progress

    if args.jobs is not None and args.jobs < 1:
        print("--jobs must be at least 1", file=sys.stderr)
        return 2
    if args.ray_address and args.engine != "ray":
        print("--ray-address needs --engine ray", file=sys.stderr)
        return 2
    if args.engine == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            print("--engine ray needs Ray: pip install 'lendcorpus[ray]'", file=sys.stderr)
            return 2
    files = None
    if args.warcs:
        files = []
        for p in args.warcs:
            if not p.exists():
                print(f"no such file or folder: {p}", file=sys.stderr)
                return 2
            files.extend(warc_files(p))
    board = Progress()
    try:
        stats = Build(args.db, root=args.archive, jobs=args.jobs, board=board, engine=args.engine,
                      ray_address=args.ray_address).run(files, reprocess=args.reprocess)
    finally:
        board.close()
    print(f"build: {stats.summary()}")
    if stats.rejects:
        print("rejects by stage:reason: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.rejects.items())))
    sys.stdout.flush()
    code = 0
    if not args.no_drift_check:
        from lendcorpus.commands.drift import report_alarms

        code = report_alarms(args.db)
    print("\n".join(stats.screen()), file=sys.stderr)
    print("FAILED (exit 4): layout changed? see the drift lines above (page kind and an archived example)"
          if code else "ok (exit 0)", file=sys.stderr)
    return code
