"""One crawl run: its folder, id and worker, shared by the archive middleware and extensions.

A run's folder holds its WARC files and ``run.json``. Starting a crawl with the folder of an
earlier run (``--job DIR`` / ``LENDCORPUS_JOB_DIR``, or Scrapy's ``JOBDIR``) resumes that run:
what it archived is served from the archive instead of being fetched again.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from lendcorpus.paths import archive_root


@dataclass
class CrawlRun:
    spider: str
    run_id: str
    directory: Path
    worker: str

    @property
    def warc_prefix(self) -> str:
        return f"{self.spider}-{self.worker}"


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}"


def run_for(crawler) -> CrawlRun:
    """The crawl run of this crawler, decided once and cached on the crawler."""
    run = getattr(crawler, "_lendcorpus_run", None)
    if run is not None:
        return run
    settings = crawler.settings
    spider = crawler.spidercls.name
    job = settings.get("LENDCORPUS_JOB_DIR") or settings.get("JOBDIR") or ""
    if job:
        directory = Path(job)
    else:
        base = Path(settings.get("LENDCORPUS_ARCHIVE_DIR") or archive_root())
        directory = base / spider / new_run_id()
    worker = re.sub(r"[^A-Za-z0-9_.]+", "_", str(settings.get("LENDCORPUS_WORKER_ID") or "w0"))
    directory.mkdir(parents=True, exist_ok=True)
    # The folder name alone is not unique: `crawl all` starts every spider in the same second.
    run = CrawlRun(spider=spider, run_id=f"{spider}:{directory.name}", directory=directory, worker=worker)
    crawler._lendcorpus_run = run
    return run
