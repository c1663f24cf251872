"""lendcorpus build [WARC ...]: load archives not yet loaded into the corpus."""

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


def run(args: argparse.Namespace) -> int:
    from lendcorpus.archive import warc_files
    from lendcorpus.pipelines.build import Build

    def progress(stats) -> None:
        print(f"  ... {stats.records} records, {stats.documents} new documents, "
              f"{sum(stats.rejects.values())} rejects, {stats.records / max(stats.seconds, 1e-9):.0f} records/s",
              file=sys.stderr)

    files = None
    if args.warcs:
        files = []
        for p in args.warcs:
            if not p.exists():
                print(f"no such file or folder: {p}", file=sys.stderr)
                return 2
            files.extend(warc_files(p))
    stats = Build(args.db, root=args.archive, progress=progress).run(files, reprocess=args.reprocess)
    print(f"build: {stats.summary()}")
    if stats.rejects:
        print("rejects by stage:reason: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.rejects.items())))
    if not args.no_drift_check:
        from lendcorpus.commands.drift import report_alarms

        return report_alarms(args.db)
    return 0
