"""Crawl extensions: progress for people (bars or log lines), a run manifest for the build."""

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
    """The crawl's progress: pages done of pages known (done + queued + in flight), rate, ETA, and
    the counts that say whether it goes well (archived, from archive, rejects, blocks).

    A live bar on a terminal; in logs one plain line every LENDCORPUS_PROGRESS_INTERVAL seconds
    and one at the end (``lendcorpus.progress``). The known total grows as pages link to more
    pages, so the ETA is for the frontier known now. 0 turns it off.
    """

    def __init__(self, crawler, interval: float):
        from lendcorpus.progress import shared

        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = interval
        self.board = shared()
        self.task = None
        self._loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("LENDCORPUS_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        return cls(crawler, interval)

    def spider_opened(self, spider) -> None:
        self.task = self.board.task(f"crawl {spider.name}", None, "pages", interval=self.interval)
        self._loop = task.LoopingCall(self.tick)
        # bars redraw often; log lines are rate-limited by the board itself
        self._loop.start(min(1.0, self.interval) if self.board.mode == "bar" else self.interval, now=False)

    def _frontier(self) -> tuple[int | None, int]:
        """(requests waiting in the scheduler, requests being downloaded)."""
        engine = self.crawler.engine
        queued = None
        try:
            scheduler = engine.scheduler if engine is not None else None
            queued = len(scheduler) if scheduler is not None else None
        except Exception:  # a scheduler without __len__ (or an unreachable Redis): unknown, not fatal
            queued = None
        try:
            in_flight = len(engine.downloader.active)
        except AttributeError:
            in_flight = 0
        return queued, in_flight

    def snapshot(self) -> dict:
        s = self.stats.get_stats()
        queued, in_flight = self._frontier()
        return {
            "pages": s.get("response_received_count", 0),
            "queued": queued,
            "in_flight": in_flight,
            "archived": s.get("lendcorpus/archive/records", 0),
            "from_archive": s.get("lendcorpus/archive/replayed", 0),
            "documents": s.get("lendcorpus/pages/document", 0),
            "rejects": sum(v for k, v in s.items() if k.startswith("lendcorpus/rejects/") and isinstance(v, int)),
            "blocks": sum(v for k, v in s.items() if k.startswith("lendcorpus/blocks/") and isinstance(v, int)),
        }

    @staticmethod
    def describe(snap: dict) -> str:
        queued = "?" if snap["queued"] is None else snap["queued"]
        return (f"queue {queued} · in flight {snap['in_flight']} · archived {snap['archived']} · "
                f"rejects {snap['rejects']} · blocks {snap['blocks']} · "
                f"from archive {snap['from_archive']} · documents {snap['documents']}")

    def tick(self) -> None:
        snap = self.snapshot()
        total = snap["pages"] + (snap["queued"] or 0) + snap["in_flight"]
        self.task.update(snap["pages"], total=total, info=self.describe(snap))

    def spider_closed(self, spider, reason) -> None:
        if self._loop and self._loop.running:
            self._loop.stop()
        if self.task is not None:
            snap = self.snapshot()
            self.task.update(snap["pages"], total=snap["pages"])
            self.task.done(info=f"{reason} · {self.describe(snap)}")


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
