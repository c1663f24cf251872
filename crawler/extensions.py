"""Crawl extensions: a progress line for people, a run manifest for the build."""

from __future__ import annotations

import fcntl
import json
import logging
import time
import uuid
from contextlib import contextmanager

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from lendcorpus.crawler.runs import run_for

logger = logging.getLogger(__name__)


class ProgressLog:
    """Every LENDCORPUS_PROGRESS_INTERVAL seconds: pages, archived, documents found, rejects, rate."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = interval
        self.started = time.monotonic()
        self._task: task.LoopingCall | None = None
        self._last = (self.started, 0)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("LENDCORPUS_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        return cls(crawler, interval)

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        self._last = (self.started, 0)
        self._task = task.LoopingCall(self.report, spider)
        self._task.start(self.interval, now=False)

    def snapshot(self) -> dict:
        s = self.stats.get_stats()
        rejects = sum(v for k, v in s.items() if k.startswith("lendcorpus/rejects/"))
        return {
            "pages": s.get("response_received_count", 0),
            "archived": s.get("lendcorpus/archive/records", 0),
            "from_archive": s.get("lendcorpus/archive/replayed", 0),
            "documents": s.get("lendcorpus/pages/document", 0),
            "rejects": rejects,
        }

    def report(self, spider) -> None:
        snap = self.snapshot()
        now = time.monotonic()
        last_t, last_pages = self._last
        rate = (snap["pages"] - last_pages) / max(now - last_t, 1e-9)
        self._last = (now, snap["pages"])
        logger.info(
            "[%s] pages %d (archived %d, from archive %d), documents %d, rejects %d, %.1f pages/s",
            spider.name, snap["pages"], snap["archived"], snap["from_archive"], snap["documents"],
            snap["rejects"], rate,
        )

    def spider_closed(self, spider, reason) -> None:
        if self._task and self._task.running:
            self._task.stop()
        snap = self.snapshot()
        elapsed = time.monotonic() - self.started
        logger.info(
            "[%s] finished (%s): pages %d, archived %d, from archive %d, documents %d, rejects %d, %.1f pages/s overall",
            spider.name, reason, snap["pages"], snap["archived"], snap["from_archive"], snap["documents"],
            snap["rejects"], snap["pages"] / max(elapsed, 1e-9),
        )


class RunManifest:
    """Keeps ``run.json`` in the run folder: one entry per session (a resume adds a session).

    The build reads it to fill the crawl_runs table; the WARC files stay the evidence. Workers of
    a distributed crawl share the folder, so every read-modify-write holds an exclusive lock on
    ``run.json.lock`` and a session finds its own entry by id, never by position.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.run = run_for(crawler)
        self.path = self.run.directory / "run.json"
        self.session: dict = {}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"run_id": self.run.run_id, "spider": self.run.spider, "sessions": []}

    def _save(self, data: dict) -> None:
        tmp = self.path.with_name(f"run.json.{self.session.get('id', 'x')}.tmp")
        try:
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
            tmp.replace(self.path)
        except OSError as exc:  # a full disk must not take the crawl down; the WARC files are the record
            logger.error("cannot write %s: %s", self.path, exc)

    @contextmanager
    def _locked(self):
        try:
            lock = open(self.path.with_name("run.json.lock"), "a")
        except OSError as exc:
            logger.error("cannot lock %s: %s", self.path, exc)
            yield
            return
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _put_session(self) -> None:
        with self._locked():
            data = self._load()
            sessions = data.setdefault("sessions", [])
            mine = [i for i, s in enumerate(sessions) if s.get("id") == self.session["id"]]
            if mine:
                sessions[mine[0]] = self.session
            else:
                sessions.append(self.session)
            self._save(data)

    def spider_opened(self, spider) -> None:
        self.session = {"id": uuid.uuid4().hex[:12], "worker": self.run.worker, "started": time.time(),
                        "finished": None, "reason": None}
        self._put_session()

    def spider_closed(self, spider, reason) -> None:
        stats = {k: v for k, v in self.crawler.stats.get_stats().items()
                 if isinstance(v, (int, float)) and (k.startswith(("lendcorpus/", "downloader/response_status", "robotstxt/"))
                                                   or k in ("response_received_count", "request_depth_max"))}
        self.session.update({"finished": time.time(), "reason": reason, "stats": stats})
        self._put_session()
