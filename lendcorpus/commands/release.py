"""``lendcorpus release --version V --out DIR`` and ``lendcorpus release verify DIR``.

The first cuts a release from the corpus (read-only: a running build makes it refuse); the second
checks a release folder: checksums, schema, ids, scrub and takedowns. Exit codes: 0 ok,
1 verification problems, 2 bad arguments or refusal, 3 corpus unavailable (in use, missing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=["verify"], help="`verify DIR`: check an existing release")
    p.add_argument("path", nargs="?", help="release folder to verify")
    p.add_argument("--version", dest="release_version", metavar="V", help="release version, e.g. 2026.11")
    p.add_argument("--out", help="new (or empty) folder to write the release into")
    p.add_argument("--previous", help="earlier release folder for the changelog (default: newest older sibling)")
    p.add_argument("--all", action="store_true", help="include documents the tagger scores as irrelevant")
    p.add_argument("--takedowns", action="append", default=[], metavar="FILE",
                   help="extra takedown list (TOML, same format as datasets/takedowns.toml); repeatable")
    p.add_argument("--workers", type=int, default=0, help="scrubbing processes (default: one per CPU)")
    p.add_argument("--csv", action="store_true",
                   help="also write a CSV copy (UTF-8 with BOM) beside each Parquet shard, for spreadsheets")


def run(args: argparse.Namespace) -> int:
    from lendcorpus.release import ReleaseError, ReleaseOptions, make_release, verify_release
    from lendcorpus.release.takedowns import TAKEDOWNS_FILE, TakedownError

    takedown_files = (TAKEDOWNS_FILE, *map(Path, args.takedowns))
    if args.action == "verify":
        if not args.path:
            print("error: usage: lendcorpus release verify DIR", file=sys.stderr)
            return 2
        try:
            problems = verify_release(Path(args.path), takedown_files)
        except TakedownError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for p in problems:
            print(f"FAIL {p}")
        if problems:
            print(f"{args.path}: {len(problems)} problem(s)")
            return 1
        print(f"{args.path}: OK (checksums, schema, ids, scrub, takedowns)")
        return 0
    if args.path or not args.release_version or not args.out:
        print("error: usage: lendcorpus release --version V --out DIR  |  lendcorpus release verify DIR",
              file=sys.stderr)
        return 2
    from lendcorpus.progress import Progress

    board = Progress()
    opts = ReleaseOptions(relevant_only=not args.all, takedown_files=takedown_files,
                          previous=Path(args.previous) if args.previous else None, workers=args.workers,
                          progress=True, csv=args.csv, board=board)
    t0 = time.perf_counter()
    try:
        manifest = make_release(args.db, args.release_version, Path(args.out), opts)
    except (ReleaseError, TakedownError) as exc:
        board.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        board.close()
    rows = ", ".join(f"{n} {t['rows']}" for n, t in manifest["tables"].items())
    print(f"release {manifest['version']} written to {args.out} in {time.perf_counter() - t0:.1f}s: {rows}")
    return 0
