"""``lendcorpus cycle``: the periodic job researchers run — crawl, build, and a release when one is due.

Meant for a timer (systemd or cron; docs/periodic.md has both): each step runs as its own
``lendcorpus`` process, exactly as a user would type it, so a crashed crawl cannot take the build
down with it, and every step's exit status is kept. A crawl that fetched nothing or was blocked
still lets the build load whatever earlier runs left unloaded, but the cycle then exits with the
crawl's status and cuts no release: a release must not silently miss a source. A release is due
when ``--release-dir`` has no release for the current period (``YYYY.MM`` by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

#: exit status of the cycle when a step failed: that step's own status (see README, exit codes)
STEPS = ("crawl", "build", "release", "verify")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spiders", nargs="*", default=["all"], help="spiders to crawl (default: all)")
    p.add_argument("--replay", nargs="?", const="auto", default=None, metavar="HOST:PORT",
                   help="crawl the offline replay (as `crawl --replay`)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="setting for the crawls (repeatable, as `crawl -s`)")
    p.add_argument("--no-crawl", action="store_true", help="skip the crawl (build and release only)")
    p.add_argument("--release-dir", type=Path, default=None,
                   help="folder that holds the releases; without it no release is cut")
    p.add_argument("--release-version", default=None,
                   help="version to cut (default: the current month, YYYY.MM, when the folder lacks it)")
    p.add_argument("--csv", action="store_true", help="release with CSV copies (as `release --csv`)")
    p.add_argument("--all", action="store_true", help="release irrelevant documents too (as `release --all`)")


def _step(name: str, argv: list[str], log: list[tuple[str, int, float]]) -> int:
    t0 = time.perf_counter()
    print(f"cycle: {name}: lendcorpus {' '.join(argv)}", file=sys.stderr, flush=True)
    code = subprocess.call([sys.executable, "-m", "lendcorpus.cli", *argv])
    log.append((name, code, time.perf_counter() - t0))
    print(f"cycle: {name} exited {code} after {log[-1][2]:.0f} s", file=sys.stderr, flush=True)
    return code


def due_version(release_dir: Path, wanted: str | None, today: dt.date | None = None) -> str | None:
    """The version to cut now, or None when this period's release exists already."""
    version = wanted or (today or dt.date.today()).strftime("%Y.%m")
    return None if (release_dir / version / "manifest.json").is_file() else version


def run(args: argparse.Namespace) -> int:
    log: list[tuple[str, int, float]] = []
    failed = 0
    db = ["--db", args.db]
    if not args.no_crawl:
        for spider in args.spiders:
            argv = ["crawl", spider, *db]
            if args.replay:
                argv += ["--replay"] + ([] if args.replay == "auto" else [args.replay])
            for item in args.set:
                argv += ["-s", item]
            code = _step(f"crawl {spider}", argv, log)
            failed = failed or code
    code = _step("build", ["build", *db], log)
    if code:
        failed = code  # a failed build outranks a failed crawl: nothing new reached the corpus
    elif args.release_dir is not None:
        version = due_version(args.release_dir, args.release_version)
        if failed:
            print("cycle: no release: a crawl failed, a release now could miss a source", file=sys.stderr)
        elif version is None:
            print(f"cycle: no release due: {args.release_dir} has this period's release", file=sys.stderr)
        else:
            out = args.release_dir / version
            code = _step("release", ["release", *db, "--version", version, "--out", str(out),
                                     *(["--csv"] if args.csv else []), *(["--all"] if args.all else [])], log)
            if not code:
                code = _step("verify", ["release", "verify", str(out)], log)
            failed = code
    print("cycle summary:", file=sys.stderr)
    for name, code, seconds in log:
        print(f"  {name:<24} {'ok' if code == 0 else f'exit {code}':<8} {seconds:7.0f} s", file=sys.stderr)
    return failed
