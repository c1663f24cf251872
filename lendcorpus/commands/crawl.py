"""lendcorpus crawl SPIDER|all: run spiders into the raw archive (never into the corpus).

Ends with a one-screen summary per spider (pages, archived, rejects by reason, blocks, run folder)
and an exit code a script can act on: 0 every spider finished and fetched something, 1 a spider
stopped early (blocked, archive unwritable, shut down), 5 nothing could be fetched (every request
failed: refused, timed out, DNS...), 7 a distributed worker gave up on an unreachable Redis, 8 Redis
came back without the crawl (docs/distributed.md, "Redis outages"); 2 bad arguments, among them a
``--job`` folder that holds no run (a typo would otherwise start a new run under that name: ``--new``
says a new run is meant).

The first line on stderr names the run folder. Scrapy's own log is at WARNING unless ``-v`` (INFO)
or ``-vv`` (DEBUG) is given; lendcorpus's own lines (progress, resume, archive) always show.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

#: exit codes (README "Exit codes")
EXIT_STOPPED = 1
EXIT_NOTHING_FETCHED = 5
EXIT_REDIS_UNAVAILABLE = 7
EXIT_REDIS_DATA_LOST = 8


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("spider", help="spider name (see `scrapy list`) or 'all'")
    p.add_argument("--replay", nargs="?", const="auto", default=None, metavar="HOST:PORT",
                   help="crawl the offline replay instead of the real sites: start one (no value) or use a running one")
    p.add_argument("--job", type=Path, default=None,
                   help="the folder of an earlier run, to resume it (with 'all': the folder holding one sub-folder per "
                        "spider); a folder that holds no run is refused (exit 2) unless --new is given")
    p.add_argument("--new", action="store_true",
                   help="with --job: start a new run in that folder (refused, exit 2, if it already holds a run)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="Scrapy's own log: -v INFO, -vv DEBUG (default: warnings and errors only)")
    p.add_argument("--since", default=None, metavar="YYYY-MM-DD",
                   help="skip items older than this date (spiders that list by time)")
    p.add_argument("-a", dest="spider_args", action="append", default=[], metavar="NAME=VALUE",
                   help="spider argument, as with scrapy crawl -a (repeatable)")
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy/lendcorpus setting (repeatable)")
    p.add_argument("--redis", default=None, metavar="URL",
                   help="run as a worker of a distributed crawl: take requests from this Redis "
                        "(seed it with `lendcorpus seed`; default $LENDCORPUS_REDIS_URL; see docs/distributed.md)")
    p.add_argument("--worker-id", default=None, metavar="ID",
                   help="this worker's name, unique per process and stable across restarts (in WARC file names)")


def project_settings(overrides: list[str] | None = None):
    """Scrapy settings of the lendcorpus project, from any working directory."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "lendcorpus.crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for item in overrides or []:
        if "=" not in item:
            raise SystemExit(f"-s expects NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        settings.set(key, value, priority="cmdline")
    return settings


def spider_names(settings) -> list[str]:
    from scrapy.spiderloader import get_spider_loader

    return sorted(get_spider_loader(settings).list())


def crawl(names: list[str], settings, job: Path | None = None, spider_args: dict | None = None,
          jobs: dict[str, Path] | None = None, outcome: dict | None = None,
          verbosity: int | None = None) -> dict[str, str]:
    """Run the named spiders in one process; returns each spider's finish reason.

    ``jobs`` gives a run folder per spider (distributed workers: the crawl's folder); ``outcome``,
    when given, receives each spider's final stats and run folder (for the summary); ``verbosity``
    (0, 1, 2), when given, lets Scrapy's own log through at WARNING, INFO or DEBUG."""
    from scrapy.crawler import Crawler

    if verbosity is not None:
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # ours instead, below
    process = _process_class()(settings)
    handler = install_log_handler(settings, verbosity, names) if verbosity is not None else None
    crawlers = {}
    for i, name in enumerate(names):
        s = settings.copy()
        if job is not None:
            s.set("LENDCORPUS_JOB_DIR", str(job if len(names) == 1 else job / name), priority="cmdline")
        elif jobs and name in jobs:
            s.set("LENDCORPUS_JOB_DIR", str(jobs[name]), priority="cmdline")
        # The first crawler installs the reactor (as CrawlerProcess would for its own crawlers).
        crawler = Crawler(process.spider_loader.load(name), s, init_reactor=(i == 0))
        crawlers[name] = crawler
        process.crawl(crawler, **(spider_args or {}))
    process.crawlers_by_name = crawlers
    try:
        process.start()
    finally:
        if handler is not None:
            logging.root.removeHandler(handler)
            handler.close()
    reasons = {}
    for name, c in crawlers.items():
        reason = c.stats.get_value("finish_reason") or "unknown"
        if c.stats.get_value("lendcorpus/drift/alarms") and "layout_changed" not in reason:
            reason += "_layout_changed"  # finished, but the close-time drift check raised an alarm
        reasons[name] = reason
    if outcome is not None:
        for name, c in crawlers.items():
            run = getattr(c, "_lendcorpus_run", None)
            outcome[name] = {"stats": dict(c.stats.get_stats()), "run_dir": run.directory if run else None}
    return reasons


class _OwnLinesAndOthersFrom(logging.Filter):
    """lendcorpus's lines (and its spiders') always; other libraries' (Scrapy, Spidermon, Twisted)
    from ``level`` on. Spidermon's monitor reports come through the spider's logger: left to ``level``."""

    def __init__(self, level: int, spiders: set[str]):
        super().__init__()
        self.level = level
        self.spiders = spiders

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.name == "scrapy.core.scraper" and record.exc_info and self.level >= logging.WARNING
                and str(record.msg).startswith("Error downloading")):
            # a failed download (timeout, refused...): archived and counted as a reject already; one line
            # here, not Twisted's 60-line traceback (-v shows it). A spider's own errors keep theirs.
            record.exc_info, record.exc_text = None, None
        if record.levelno >= self.level or record.name.startswith("lendcorpus"):
            return True
        return record.name in self.spiders and not str(record.msg).startswith("[Spidermon]")


def install_log_handler(settings, verbosity: int, spiders: list[str]) -> logging.Handler:
    """The crawl's root log handler (in place of Scrapy's, which is turned off with
    LOG_INSTALL_ROOT_HANDLER): Scrapy's format, file and level settings, plus the filter above.
    Scrapy's own log at WARNING (0), INFO (1) or DEBUG (2+)."""
    import warnings

    level = (logging.WARNING, logging.INFO)[verbosity] if verbosity < 2 else logging.DEBUG
    if settings.get("LOG_FILE"):
        handler: logging.Handler = logging.FileHandler(settings.get("LOG_FILE"),
                                                       mode="a" if settings.getbool("LOG_FILE_APPEND") else "w",
                                                       encoding=settings.get("LOG_ENCODING"))
    elif settings.getbool("LOG_ENABLED"):
        handler = logging.StreamHandler(sys.stderr)
    else:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter(fmt=settings.get("LOG_FORMAT"), datefmt=settings.get("LOG_DATEFORMAT")))
    handler.setLevel(min(level, logging.INFO))  # lendcorpus's own lines are at INFO
    handler.addFilter(_OwnLinesAndOthersFrom(level, set(spiders)))
    logging.root.setLevel(logging.NOTSET)
    logging.root.addHandler(handler)
    if verbosity == 0:
        # Spidermon 1.27 calls Spider.log(), deprecated by Scrapy 2.19, on every monitor run
        warnings.filterwarnings("ignore", module=r"spidermon(\.|$)")
    return handler


def _process_class():
    """CrawlerProcess that says, on Ctrl-C, what the graceful shutdown waits for."""
    from scrapy.crawler import CrawlerProcess

    class Process(CrawlerProcess):
        crawlers_by_name: dict = {}

        def _log_shutdown(self, signum: int) -> None:  # called on the reactor thread by Scrapy
            print(shutdown_message(self.crawlers_by_name), file=sys.stderr, flush=True)

        def _log_kill(self, signum: int) -> None:
            print("second Ctrl-C: stopping now, without waiting for requests in flight; everything archived "
                  "so far is kept (a half-written last record is skipped on resume)", file=sys.stderr, flush=True)

    return Process


def shutdown_message(crawlers: dict) -> str:
    """What a graceful stop waits for: requests in flight (each ends by DOWNLOAD_TIMEOUT), then the
    archive and run.json are closed. Ctrl-C again forces."""
    in_flight, timeout, folders = 0, 0.0, []
    for name, c in crawlers.items():
        try:
            in_flight += len(c.engine.downloader.active)
        except AttributeError:
            pass
        timeout = max(timeout, c.settings.getfloat("DOWNLOAD_TIMEOUT"))
        run = getattr(c, "_lendcorpus_run", None)
        if run is not None:
            folders.append(str(run.directory))
    resume = (f" Resume later with --job {folders[0]}" if len(folders) == 1 else
              " Resume later with --job and the run folder" if folders else "")
    return (f"Ctrl-C: stopping gracefully. Waiting for {in_flight} request(s) in flight to be answered or to time "
            f"out (at most {timeout:.0f} s, DOWNLOAD_TIMEOUT) and be archived, then closing the WARC files and "
            f"run.json. Press Ctrl-C again to stop at once.{resume}.")


def holds_run(folder: Path) -> bool:
    """Whether a folder is a run folder: it has a run manifest or WARC files."""
    from lendcorpus.archive import warc_files

    if not folder.is_dir():
        return False
    return (folder / "run.json").exists() or bool(warc_files(folder))


def check_job(job: Path, names: list[str], new: bool) -> str | None:
    """Why ``--job`` (with or without ``--new``) is refused, or None. One spider: the folder is the
    run; several: the folder holds one run folder per spider."""
    runs = [job] if len(names) == 1 else [job / n for n in names]
    held = [r for r in runs if holds_run(r)]
    if new and held:
        return (f"--job {job} --new: {held[0]} already holds a run; to resume it, leave out --new; "
                "for a new run, give a new folder")
    if not new and not held:
        hint = "" if len(names) == 1 else f" (expected sub-folders per spider, e.g. {runs[0]})"
        return (f"--job {job}: no run to resume there{hint}. Check the path (the first line of the earlier crawl "
                "named its run folder), or add --new to start a new run in that folder")
    return None


def plan_run_dirs(names: list[str], settings, job: Path | None,
                  jobs: dict[str, Path] | None = None) -> dict[str, Path]:
    """The run folder of each spider, decided before the crawl starts so the first line can name it."""
    from lendcorpus.crawler.runs import new_run_id
    from lendcorpus.paths import archive_root

    if job is not None:
        return {n: job if len(names) == 1 else job / n for n in names}
    if jobs:
        return dict(jobs)
    preset = settings.get("LENDCORPUS_JOB_DIR") or settings.get("JOBDIR") or ""
    if preset:
        return {n: Path(preset) for n in names}
    base = Path(settings.get("LENDCORPUS_ARCHIVE_DIR") or archive_root())
    run_id = new_run_id()
    return {n: base / n / run_id for n in names}


def run_folder_line(dirs: dict[str, Path]) -> str:
    if len(dirs) == 1:
        return f"run folder: {next(iter(dirs.values()))}"
    parents = {str(d.parent.parent) for d in dirs.values()}
    names = {d.name for d in dirs.values()}
    if len(parents) == 1 and len(names) == 1:
        return f"run folders: {parents.pop()}/<spider>/{names.pop()}"
    return "run folders: " + ", ".join(str(d) for d in dirs.values())


def _count(stats: dict, prefix: str, keep=lambda code: True) -> int:
    total = 0
    for key, value in stats.items():
        if key.startswith(prefix) and isinstance(value, int):
            code = key[len(prefix):]
            if code.isdigit() and keep(int(code)):
                total += value
    return total


def spider_outcome(reason: str, stats: dict, run_dir: Path | None) -> dict:
    """What one spider got: pages answered, of which usable (2xx, robots.txt left out), rejects by reason."""
    ok = lambda code: 200 <= code < 300  # noqa: E731
    pages = (_count(stats, "downloader/response_status_count/")
             - _count(stats, "robotstxt/response_status_count/"))
    good = (_count(stats, "downloader/response_status_count/", ok)
            - _count(stats, "robotstxt/response_status_count/", ok))
    rejects = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("lendcorpus/rejects/") and v}
    return {
        "reason": reason,
        "pages": max(pages, 0),
        "good": max(good, 0),
        "archived": stats.get("lendcorpus/archive/records", 0),
        "from_archive": stats.get("lendcorpus/archive/replayed", 0),
        "documents": stats.get("lendcorpus/pages/document", 0),
        "rejects": dict(sorted(rejects.items(), key=lambda kv: (-kv[1], kv[0]))),
        "blocked": stats.get("lendcorpus/blocked_reason") or (reason[len("blocked_"):]
                                                               if reason.startswith("blocked_") else None),
        "run_dir": run_dir,
    }


def fetched_nothing(o: dict) -> bool:
    return o["good"] == 0 and o["from_archive"] == 0


def summary(outcomes: dict[str, dict], top: int = 5) -> str:
    """One screen (two lines a spider): counts, rejects by reason, blocks and the run folder."""
    lines = ["crawl summary"]
    dirs = [o["run_dir"] for o in outcomes.values() if o["run_dir"] is not None]
    many = len(outcomes) > 1
    if many and dirs:
        root = os.path.commonpath([str(Path(d).parent.parent) for d in dirs])
        lines.append(f"  run folders: {root}/<spider>/<run>")
    for name, o in outcomes.items():
        state = o["reason"] if o["reason"] == "finished" else f"STOPPED: {o['reason']}"
        lines.append(f"  {name}: {state} · pages {o['pages']} (usable {o['good']}) · archived {o['archived']} · "
                     f"from archive {o['from_archive']} · documents {o['documents']}")
        n_rejects = sum(o["rejects"].values())
        shown = ", ".join(f"{r} {n}" for r, n in list(o["rejects"].items())[:top])
        more = f", … {len(o['rejects']) - top} more" if len(o["rejects"]) > top else ""
        run = f" · run {Path(o['run_dir']).name}" if many and o["run_dir"] is not None else ""
        lines.append(f"    rejects {n_rejects}" + (f": {shown}{more}" if n_rejects else "") + run)
        if o["blocked"]:
            lines.append(f"    blocked: {o['blocked']} — resume later with --job {o['run_dir'] or '(run folder)'}")
        if not many and o["run_dir"] is not None:
            lines.append(f"    run folder: {o['run_dir']}")
    return "\n".join(lines)


def verdict(outcomes: dict[str, dict], distributed: bool = False) -> tuple[int, str]:
    """Exit code and its sentence. A distributed worker may legitimately fetch nothing (others did)."""
    stopped = [n for n, o in outcomes.items() if o["reason"] != "finished"]
    blocked = [n for n, o in outcomes.items() if o["blocked"]]
    empty = [n for n, o in outcomes.items() if fetched_nothing(o)]
    redis = {o["reason"] for o in outcomes.values()} & {"redis_unavailable", "redis_data_lost"}
    if "redis_data_lost" in redis:
        return EXIT_REDIS_DATA_LOST, ("Redis came back without this crawl (no persistence, flushed or evicted): "
                                      "re-seed with `lendcorpus seed --fresh`; archived pages are not fetched again")
    if redis:
        return EXIT_REDIS_UNAVAILABLE, ("Redis did not answer within LENDCORPUS_REDIS_OUTAGE_MAX: start this worker "
                                        "again with the same --worker-id once Redis is back; nothing is lost if "
                                        "Redis persists its data (docs/distributed.md)")
    if outcomes and len(blocked) == len(outcomes):
        return EXIT_STOPPED, "every spider was blocked: nothing more can be fetched now; resume later with --job"
    if stopped:
        which = ", ".join(f"{n} ({outcomes[n]['reason']})" for n in stopped)
        return EXIT_STOPPED, f"stopped early: {which}"
    if empty and not distributed:
        why = sorted({r for n in empty for r in outcomes[n]["rejects"]}) or ["no request was made"]
        return EXIT_NOTHING_FETCHED, (f"nothing could be fetched by {', '.join(empty)} ({', '.join(why)}): "
                                      "is the site (or the --replay address) reachable?")
    return 0, "ok"


def run(args: argparse.Namespace) -> int:
    settings = project_settings(args.set)
    names = spider_names(settings)
    if args.spider == "all":
        chosen = names
    elif args.spider in names:
        chosen = [args.spider]
    else:
        print(f"unknown spider {args.spider!r}; known: {', '.join(names) or '(none)'}", file=sys.stderr)
        return 2
    if args.new and args.job is None:
        print("--new starts a new run in the --job folder: give --job DIR too (without --job every crawl is a new "
              "run in the archive folder)", file=sys.stderr)
        return 2
    if args.replay == "auto":  # before any run folder is made: a missing replay changes nothing
        from lendcorpus.commands.replay import ReplayMissing, replay_server

        try:
            replay_server()
        except ReplayMissing as exc:
            print(f"error: {exc} (or give --replay HOST:PORT of a running one)", file=sys.stderr)
            return 2
    redis_url = args.redis or settings.get("LENDCORPUS_REDIS_URL") or ""
    # Workers of a distributed crawl start together on a shared folder (docs/distributed.md): the
    # first one makes the run there, so --job may name a folder that holds no run yet.
    if args.job is not None and not (redis_url and not args.new):
        refused = check_job(args.job, chosen, args.new)
        if refused:
            print(f"error: {refused}", file=sys.stderr)
            return 2
    spider_args = {}
    for item in args.spider_args:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"-a expects NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        spider_args[key] = value
    if args.since:
        spider_args["since"] = args.since
    explicit_log_level = (settings.getpriority("LOG_LEVEL") or 0) >= 40 or "LENDCORPUS_LOG_LEVEL" in os.environ
    if args.verbose >= 2:
        settings.set("LOG_LEVEL", "DEBUG", priority="cmdline")
    jobs = None
    if redis_url:
        from lendcorpus.crawler.distributed import configure
        from lendcorpus.crawler.distributed.commands import worker_run_dirs

        configure(settings, redis_url, worker_id=args.worker_id)
        if args.job is None:
            jobs = worker_run_dirs(settings, chosen)
    elif args.worker_id:
        settings.set("LENDCORPUS_WORKER_ID", args.worker_id, priority="cmdline")
    jobs = plan_run_dirs(chosen, settings, args.job, jobs)
    print(run_folder_line(jobs), file=sys.stderr, flush=True)  # the first line: where this run goes
    if redis_url:
        print(f"worker {settings.get('LENDCORPUS_WORKER_ID')} of the crawl in {redis_url}", file=sys.stderr)
    replay = None
    if args.replay == "auto":
        from lendcorpus.commands.replay import replay_server

        replay = replay_server().ReplayProcess().start()
        settings.set("LENDCORPUS_REPLAY", replay.address, priority="cmdline")
        print(f"replay server on {replay.address}", file=sys.stderr)
    elif args.replay:
        settings.set("LENDCORPUS_REPLAY", args.replay, priority="cmdline")
    got: dict = {}
    try:
        reasons = crawl(chosen, settings, None, spider_args, jobs=jobs, outcome=got,
                        verbosity=None if explicit_log_level else args.verbose)
    finally:
        if replay is not None:
            replay.stop()
    outcomes = {n: spider_outcome(r, got.get(n, {}).get("stats", {}), got.get(n, {}).get("run_dir"))
                for n, r in reasons.items()}
    code, sentence = verdict(outcomes, distributed=bool(redis_url))
    print(summary(outcomes), file=sys.stderr)
    if any("layout_changed" in r for r in reasons.values()):
        from lendcorpus.crawler.drift import EXIT_LAYOUT_CHANGED

        code, sentence = EXIT_LAYOUT_CHANGED, "layout changed? see the report above and drift.json in the run folder"
    print(f"FAILED (exit {code}): {sentence}" if code else "ok (exit 0)", file=sys.stderr)
    if len(reasons) == 1:  # last, as before the summary existed: scripts read "<spider>: <reason>"
        for n, r in reasons.items():
            print(f"{n}: {r}", file=sys.stderr)
    return code
