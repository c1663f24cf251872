"""Scrapy settings for lendcorpus.

Used by ``scrapy crawl NAME`` from the checkout (scrapy.cfg points here) and by
``lendcorpus crawl``. Every lendcorpus setting starts with ``LENDCORPUS_`` and is listed in
docs/configuration.md. Every one can be set, in increasing priority, in the settings file
(``lendcorpus.toml``), by the environment variable of the same name (both applied once, at the end
of this module, by lendcorpus.config) and by ``-s NAME=VALUE`` on the command line.
"""

import os

from lendcorpus import __version__

BOT_NAME = "lendcorpus"
SPIDER_MODULES = ["lendcorpus.crawler.spiders"]
NEWSPIDER_MODULE = "lendcorpus.crawler.spiders"

# An honest User-Agent: who we are and where to complain.
LENDCORPUS_CONTACT_URL = "https://github.com/lendcorpus/lendcorpus"
USER_AGENT = f"lendcorpus/{__version__} (research crawler; +{LENDCORPUS_CONTACT_URL})"

ROBOTSTXT_OBEY = True

# Politeness: a few requests per domain, adapted to the server's latency.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

# Responses of any status reach the archive (it sits before HttpErrorMiddleware drops them);
# spiders still only see 2xx unless they ask for more.
DOWNLOADER_MIDDLEWARES = {
    "lendcorpus.crawler.middlewares.BlockBackoffMiddleware": 30,
    "lendcorpus.crawler.middlewares.ArchiveMiddleware": 40,
    "lendcorpus.crawler.middlewares.SessionCookieMiddleware": 750,  # after CookiesMiddleware (700), which rewrites the Cookie header
}
DOWNLOAD_HANDLERS = {
    "http": "lendcorpus.crawler.replay_handler.ReplayAwareDownloadHandler",
    "https": "lendcorpus.crawler.replay_handler.ReplayAwareDownloadHandler",
}
EXTENSIONS = {
    "lendcorpus.crawler.extensions.ProgressLog": 500,
    # Spidermon with the drift monitors (crawler/drift.py); before RunManifest so run.json has its stats
    "lendcorpus.crawler.monitors.DriftSpidermon": 505,
    "lendcorpus.crawler.extensions.RunManifest": 510,
}
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["lendcorpus.crawler.monitors.DriftMonitorSuite"]
SPIDERMON_PERIODIC_MONITORS = {"lendcorpus.crawler.monitors.DriftMonitorSuite": 60}
REQUEST_FINGERPRINTER_CLASS = "lendcorpus.crawler.fingerprint.StableFingerprinter"

# lendcorpus settings (docs/configuration.md)
LENDCORPUS_ARCHIVE_DIR = ""  # default: <data home>/archive
LENDCORPUS_JOB_DIR = ""  # one run's folder; reuse it to resume
LENDCORPUS_WARC_MAX_BYTES = 100 * 2**20
LENDCORPUS_WORKER_ID = "w0"
LENDCORPUS_REPLAY = ""  # "127.0.0.1:PORT" routes every host there
LENDCORPUS_PROGRESS_INTERVAL = 10.0
# Query parameters that change on every request (signatures, timestamps): left out of request
# fingerprints so resume and the duplicate filter recognise the same request.
LENDCORPUS_VOLATILE_PARAMS = ["ts", "rs", "signature", "_", "sld"]

LENDCORPUS_STATE_DIR = ""  # default: <data home>/state
# Where spiders keep high-water marks: empty = the JSON file under LENDCORPUS_STATE_DIR; a class
# path with from_crawler/load/save otherwise (distributed crawls use the Redis store).
LENDCORPUS_STATE_STORE = ""
# 黑猫投诉's keyword search and company lists need a logged-in session: the Cookie header of the
# user's own browser session (docs/sources/heimao.md). Never logged; stripped from the archive.
LENDCORPUS_HEIMAO_COOKIE = ""
# Drift alarms (docs/sources/drift.md): judge a page kind once it has this many pages; check every
# N responses (and every 60 s, and at close); a block-page share above this is an alarm too.
# LENDCORPUS_DRIFT_EXPECT = {"tieba": {"thread": {"min_mean": 1, "max_empty_share": 0.2}}} overrides.
LENDCORPUS_DRIFT_MIN_PAGES = 5
LENDCORPUS_DRIFT_CHECK_EVERY = 25
LENDCORPUS_DRIFT_MAX_BLOCK_SHARE = 0.5
LENDCORPUS_DRIFT_EXPECT: dict = {}
LENDCORPUS_BLOCK_RETRIES = 3
LENDCORPUS_BLOCK_MAX_DELAY = 300.0
# Archive write failures in a row (a full disk) before the spider closes with archive_unwritable.
LENDCORPUS_ARCHIVE_MAX_FAILURES = 3
LENDCORPUS_ARCHIVE_ENABLED = True  # benchmarks only: False keeps nothing
# Platform constants the sites have changed before; empty = the spider's built-in value.
LENDCORPUS_HEIMAO_SALT = ""
LENDCORPUS_LIUYAN_APP_CODE = ""

# Distributed crawling (docs/distributed.md). Empty URL = single machine, no Redis needed;
# `lendcorpus crawl --redis URL` (or this setting/env) makes the crawl a worker of a shared frontier.
LENDCORPUS_REDIS_URL = ""
LENDCORPUS_REDIS_PREFIX = "lendcorpus"  # every key is <prefix>:<spider>:...
LENDCORPUS_REDIS_HEARTBEAT = 5.0  # seconds between a worker's heartbeats / counter reports / reaps
LENDCORPUS_REDIS_WORKER_TTL = 30.0  # a worker silent this long is dead: its in-flight requests are requeued
LENDCORPUS_REDIS_IDLE_POLL = 0.5  # seconds between looks at the queue when this worker has nothing to do
LENDCORPUS_REDIS_OUTAGE_MAX = 60.0  # seconds of Redis outage a worker rides out (retries with back-off) before exit 7
# Global politeness: minimum seconds between two requests to one domain across all workers
# (0 = off), and per-domain exceptions {"tousu.sina.com.cn": 2.0}.
LENDCORPUS_REDIS_DOMAIN_DELAY = 0.5
LENDCORPUS_REDIS_DOMAIN_DELAYS: dict = {}
LENDCORPUS_REDIS_SHARE_ROBOTS = True  # fetch robots.txt once per crawl, not once per worker
# Bloom duplicate filter: sized for this many URLs at this false-positive rate (3.4 MiB/million at 1e-6).
LENDCORPUS_BLOOM_CAPACITY = 10_000_000
LENDCORPUS_BLOOM_ERROR_RATE = 1e-6
LENDCORPUS_REDIS_SEED = False  # set by `lendcorpus seed`: this process only fills the frontier

LOG_LEVEL = os.environ.get("LENDCORPUS_LOG_LEVEL", "INFO")
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

# Development runs can replay from Scrapy's HTTP cache: -s HTTPCACHE_ENABLED=1
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"

# The settings file, then the environment, over every default above (lendcorpus.config): once,
# here, so every spider and component reads one Settings object; `-s NAME=VALUE` still wins.
from lendcorpus.config import CORE_DEFAULTS as _CORE_DEFAULTS, resolve as _resolve  # noqa: E402

globals().update(_resolve({_k: _v for _k, _v in dict(globals()).items() if _k.startswith("LENDCORPUS_")},
                          known=set(_CORE_DEFAULTS)))
USER_AGENT = f"lendcorpus/{__version__} (research crawler; +{LENDCORPUS_CONTACT_URL})"
