"""lendcorpus demo: the whole flow offline, on the replay of the real sources.

Starts the replay server, crawls every spider against it into a new run of the archive, builds
the corpus and prints what landed with three example queries. Safe to run again: each run adds
a crawl run, and the build loads only what is new.
"""

from __future__ import annotations

import argparse
import sys

EXAMPLE_QUERIES = [
    ("Documents per source",
     "SELECT source, count(*) AS documents, count(published_at) AS dated, "
     "round(avg(length(text))) AS avg_chars FROM documents GROUP BY source ORDER BY documents DESC"),
    ("Why pages did not become documents",
     "SELECT stage, reason, count(*) AS n FROM rejects GROUP BY ALL ORDER BY n DESC, reason"),
    ("Articles that mention the address book (通讯录), newest first",
     "SELECT doc_id, left(title, 24) AS title, published_at::DATE AS published, script, pinyin_removed "
     "FROM documents WHERE text_simplified LIKE '%通讯录%' ORDER BY published_at DESC NULLS LAST LIMIT 5"),
]

DEMO_SETTINGS = {
    # Our own loopback server: no need to be gentle, but keep timeouts short for the slow page.
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_TIMEOUT": 3,
    "RETRY_TIMES": 1,
    "LENDCORPUS_PROGRESS_INTERVAL": 2.0,
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="only warnings from the crawl log")


def run(args: argparse.Namespace) -> int:
    from lendcorpus.commands.replay import ReplayMissing, replay_server

    try:
        ReplayProcess = replay_server().ReplayProcess
    except ReplayMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from lendcorpus.commands.crawl import crawl, project_settings, spider_names
    from lendcorpus.commands.sql import format_rows
    from lendcorpus.corpus import connect_read
    from lendcorpus.pipelines.build import Build

    settings = project_settings()
    for k, v in DEMO_SETTINGS.items():
        settings.set(k, v, priority="cmdline")
    if args.quiet:
        settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    names = spider_names(settings)
    print(f"== 1/3 crawl {len(names)} spider(s) against the offline replay: {', '.join(names)}", flush=True)
    with ReplayProcess() as replay:
        settings.set("LENDCORPUS_REPLAY", replay.address, priority="cmdline")
        reasons = crawl(names, settings)
    print("   finished: " + ", ".join(f"{n} ({r})" for n, r in reasons.items()), flush=True)

    print(f"== 2/3 build the corpus {args.db}", flush=True)
    stats = Build(args.db).run()  # CorpusError becomes a clear message in cli.main
    print(f"   {stats.summary()}", flush=True)

    print("== 3/3 query it (read-only)", flush=True)
    con = connect_read(args.db)
    try:
        counts = con.execute(
            "SELECT (SELECT count(*) FROM fetches), (SELECT count(*) FROM documents), (SELECT count(*) FROM rejects),"
            " (SELECT count(*) FROM crawl_runs)").fetchone()
        print(f"   corpus holds {counts[0]} fetches, {counts[1]} documents, {counts[2]} rejects from {counts[3]} crawl run(s)")
        for title, query in EXAMPLE_QUERIES:
            cur = con.execute(query)
            cols = [d[0] for d in cur.description]
            print(f"\n-- {title}\n$ lendcorpus sql \"{query}\"")
            print(format_rows(cols, cur.fetchall(), "table", 40))
    finally:
        con.close()
    print(f"\nNext: lendcorpus sql \"SELECT ...\" --db {args.db}   (tables: documents, fetches, rejects, crawl_runs)")
    return 0 if all(r == "finished" for r in reasons.values()) else 1
