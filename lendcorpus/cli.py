"""The ``lendcorpus`` command line.

Each sub-command lives in its own module under ``lendcorpus.commands`` with two functions:
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only when their
command runs, so ``lendcorpus sql`` does not pay for Scrapy's import time.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from lendcorpus import __version__
from lendcorpus.paths import default_db

#: command name -> (module under lendcorpus.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "start the offline replay, crawl every spider against it, build, show queries"),
    "crawl": ("crawl", "crawl one spider (or all) into a raw WARC archive"),
    "seed": ("seed", "push a spider's start requests into a Redis frontier for distributed workers"),
    "status": ("status", "show a distributed crawl: queue, in flight, workers, pages/s, rejects"),
    "build": ("build", "load archived responses into the DuckDB corpus (idempotent)"),
    "drift": ("drift", "check page yields per spider and page kind: did a source's layout change? (exit 4)"),
    "sql": ("sql", "run a read-only SQL query against the corpus"),
    "export": ("export", "write documents (filtered: source, kind, relevant, dates, one per cluster) as JSONL, CSV or Parquet"),
    "parse": ("parse", "show what the pipeline makes of one archived URL or one local HTML/JSON file"),
    "replay": ("replay", "serve the recorded-shape fixtures of the real sources on loopback"),
    "normalize": ("normalize", "decode, repair and normalise Chinese text (stdin, file or JSONL)"),
    "search": ("search", "full-text search of the corpus (Chinese, offline), ranked with snippets"),
    "dedup": ("dedup", "cluster exact and near-duplicate documents of a JSONL file (same code as the build)"),
    "redact": ("redact", "scrub personal data (phones, ID/card numbers, names, addresses...) from text or JSONL"),
    "cycle": ("cycle", "the periodic job: crawl, build, and cut a release when this month's is missing"),
    "release": ("release", "cut a versioned, scrubbed open-dataset release (Parquet + card), or verify one"),
    "serve": ("serve", "browse, search and read the corpus in a web browser, each document traced to its archived page"),
    "report": ("report", "write an HTML report with charts (platforms, months, practices, sources, dedup, rejects)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lendcorpus",
        description="Collect, clean and publish Chinese online-lending and debt-collection content.",
    )
    parser.add_argument("--version", action="version", version=f"lendcorpus {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--db",
            default=None,
            help="corpus file (default: LENDCORPUS_DB, else <data folder>/corpus.duckdb)",
        )
        p.set_defaults(_module=module)
        mod = _load(module, quiet=True)
        if mod is not None:
            mod.add_arguments(p)
    return parser


def _load(module: str, quiet: bool = False):
    try:
        return importlib.import_module(f"lendcorpus.commands.{module}")
    except ModuleNotFoundError as exc:
        if quiet and exc.name == f"lendcorpus.commands.{module}":
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from lendcorpus.config import ConfigError

    try:
        if args.db is None:
            args.db = str(default_db())
        mod = _load(args._module)
    except ConfigError as exc:  # a bad settings file or value: name it, change nothing
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from lendcorpus.corpus import CorpusError

    try:
        return int(mod.run(args) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CorpusError as exc:  # missing file, corpus in use: a sentence, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `lendcorpus sql ... | head`: the reader left; stop quietly, as `yes | head` does.
        _silence_stdout()
        return 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
