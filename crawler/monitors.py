"""Spidermon monitors for drift alarms (the checks themselves are in ``crawler/drift.py``).

``DriftSpidermon`` is Spidermon's Scrapy extension plus a run of ``DriftMonitorSuite`` every
``LENDCORPUS_DRIFT_CHECK_EVERY`` responses; the suite also runs on Spidermon's periodic timer
(``SPIDERMON_PERIODIC_MONITORS``) and when the spider closes. A failed ``DriftMonitor`` runs
``LayoutChangedAction``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.core.actions import Action

from lendcorpus.crawler.drift import archived_at, crawl_alarms

logger = logging.getLogger(__name__)




@monitors.name("Drift")
class DriftMonitor(Monitor):
    @monitors.name("page yields hold per page kind")
    def test_yields_hold(self) -> None:
        alarms = crawl_alarms(self.data.crawler, self.data.spider)
        if alarms:
            self.fail("\n".join(a.report() for a in alarms))


class LayoutChangedAction(Action):
    """Say it loudly, keep the report beside the archive, and stop a crawl that is running."""

    def run_action(self) -> None:
        crawler, spider = self.data.crawler, self.data.spider
        alarms = crawl_alarms(crawler, spider)
        if not alarms:
            return
        for alarm in alarms:
            logger.error("%s", alarm.report())
        stats = crawler.stats
        first = stats.get_value("lendcorpus/drift/alarms") is None
        stats.set_value("lendcorpus/drift/alarms", len(alarms))
        stats.set_value("lendcorpus/drift/kinds", ",".join(a.kind for a in alarms))
        try:
            from lendcorpus.crawler.runs import run_for

            path = run_for(crawler).directory / "drift.json"
            path.write_text(json.dumps([asdict(a) | {"report": a.report()} for a in alarms], ensure_ascii=False,
                                       indent=1), encoding="utf-8")
        except OSError as exc:
            logger.error("cannot write drift.json: %s", exc)
        engine = crawler.engine
        if first and engine is not None and getattr(engine, "running", False) and spider is not None:
            from scrapy.utils.defer import deferred_from_coro

            logger.error("closing the spider: the layout of %s seems to have changed (see drift.json)",
                         ", ".join(sorted({a.kind for a in alarms})))
            deferred_from_coro(engine.close_spider_async(reason="layout_changed"))


class DriftMonitorSuite(MonitorSuite):
    monitors = [DriftMonitor]
    monitors_failed_actions = [LayoutChangedAction]


class DriftSpidermon(Spidermon):
    """Spidermon's extension, plus a run of the drift suite every N responses.

    Spidermon's periodic monitors run on a timer; a fast crawl of a changed layout could finish
    (or fill the archive with empty pages) between two ticks, so the suite also runs every
    ``LENDCORPUS_DRIFT_CHECK_EVERY`` responses (0 = only on the timer and at close).
    """

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        ext = super().from_crawler(crawler)
        ext.every = crawler.settings.getint("LENDCORPUS_DRIFT_CHECK_EVERY", 25)
        ext.seen = 0
        if ext.every > 0:
            crawler.signals.connect(ext._response, signal=signals.response_received)
        return ext

    def _response(self, response, request, spider) -> None:
        blocked = next((f.split(":", 1)[1] for f in response.flags if f.startswith("blocked:")), None)
        if blocked and self.crawler.stats.get_value("lendcorpus/drift/block_example") is None:
            self.crawler.stats.set_value("lendcorpus/drift/block_example",
                                         json.dumps(archived_at(response), ensure_ascii=False))
        self.seen += 1
        if self.seen % self.every == 0 and self.crawler.stats.get_value("lendcorpus/drift/alarms") is None:
            self._run_suites(spider, [DriftMonitorSuite(crawler=self.crawler)])
