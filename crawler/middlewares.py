"""Downloader middlewares: the raw archive sits here.

``ArchiveMiddleware`` is the first downloader middleware (order 40), so it sees each request
before anything else and each *final* response last: after redirects and retries are settled,
before any spider middleware can drop it. Every such response, of any status, is written to the
run's WARC files before a spider parses it. A request that ends without a response (timeout,
refused connection, forbidden by robots.txt) is archived as a metadata record with the reason.

On resume the run folder already holds WARC files: their final answers (2xx, 3xx, 404 and the
other client errors that asking again does not change) are indexed by request fingerprint and
served back instead of fetched, and robots.txt refusals are not archived again, so the spider
walks the same path without touching the site and nothing final is archived twice. Passing
trouble (5xx, 403/408/425/429/456, blocks, timeouts, refused connections) is asked again on resume, and
each attempt is archived: it is evidence of what the site said that time.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import deferred_from_coro

from lendcorpus.archive import (H_BLOCKED, H_ERROR, H_FINGERPRINT, H_KIND, H_METHOD, H_RUN, H_SPIDER, ArchiveDamage,
                                Exchange, RotatingWarcWriter, _gzip_member, iter_archive, read_record,
                                serialize_record, warc_date, warc_files)
from lendcorpus.crawler.runs import run_for

logger = logging.getLogger(__name__)


#: Request headers that carry a user's credentials: never written to the archive.
SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})


def _header_pairs(headers: Headers, drop: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    pairs = []
    for key, values in headers.items():
        k = key.decode("latin-1")
        if k.lower() in drop:
            continue
        for v in values:
            pairs.append((k, v.decode("latin-1")))
    return pairs


class RunWarcWriter(RotatingWarcWriter):
    """The crawl's WARC writer. A fetch that got no response (timeout, refused, robots.txt) is a
    ``metadata`` record of ``application/warc-fields``, the WARC standard's type for metadata.

    Written as JSON it was indexed by replay tools as a capture of the URL: pywb served the
    reason as a ``200`` page that was never fetched. pywb's indexer leaves ``warc-fields``
    records out, and lendcorpus reads the reason from the ``X-Lendcorpus-Fetch-Error`` header
    either way. (Kept here, not in lendcorpus/archive.py, so the crawl owns how it records failures.)
    """

    def write(self, ex: Exchange):
        if ex.status is not None:
            return super().write(ex)
        fh = self._open()
        path = self._path
        extra = {H_METHOD: ex.method, H_ERROR: ex.error or "unknown"}
        for header, value in ((H_FINGERPRINT, ex.fingerprint), (H_KIND, ex.kind), (H_BLOCKED, ex.blocked),
                              (H_SPIDER, self.warcinfo.get("spider")), (H_RUN, self.warcinfo.get("run"))):
            if value:
                extra[header] = str(value)
        fields = "".join(f"{k}: {' '.join(str(v).split())}\r\n" for k, v in
                         (("fetch-error", ex.error or "unknown"), ("method", ex.method), ("url", ex.url)))
        _, rec = serialize_record("metadata", ex.url, fields.encode("utf-8"), "application/warc-fields",
                                  date=warc_date(ex.fetched_at), extra=extra)
        data = _gzip_member(rec)
        offset = fh.tell()
        try:
            fh.write(data)
            fh.flush()
        except OSError:
            self._drop_tail(offset)  # as the base writer: the file stays readable
            raise
        self.records_written += 1
        self.bytes_written += len(data)
        return path, offset, len(data)


class ArchiveMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.run = run_for(crawler)
        self.max_bytes = crawler.settings.getint("LENDCORPUS_WARC_MAX_BYTES")
        self.writer: RunWarcWriter | None = None
        self.archived: dict[str, tuple[Path, int]] = {}
        #: fingerprints whose robots.txt refusal is already archived (a resume does not archive it again)
        self.refused: set[str] = set()
        self.failures_in_a_row = 0
        self.max_failures = crawler.settings.getint("LENDCORPUS_ARCHIVE_MAX_FAILURES", 3)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("LENDCORPUS_ARCHIVE_ENABLED", True):
            raise NotConfigured("LENDCORPUS_ARCHIVE_ENABLED is off")
        return cls(crawler)

    # -- lifecycle -------------------------------------------------------------------------
    def spider_opened(self, spider) -> None:
        damaged = 0
        for path in warc_files(self.run.directory):
            for rec in iter_archive(path, types=("response", "metadata")):
                if isinstance(rec, ArchiveDamage):
                    damaged += 1
                elif not rec.fingerprint or H_BLOCKED in rec.warc_headers:
                    continue  # blocks are asked again
                elif rec.rec_type == "metadata":
                    if rec.error == "robots_forbidden":  # robots.txt itself is served back: same verdict
                        self.refused.add(rec.fingerprint)
                elif is_final_answer(rec.status or 0):
                    self.archived[rec.fingerprint] = (path, rec.offset)
        if self.archived or self.refused or damaged:
            logger.info(
                "resuming run %s: %d archived responses will be served from the archive (%d damaged stretches skipped)",
                self.run.run_id, len(self.archived), damaged,
            )
            self.stats.set_value("lendcorpus/resume/archived_responses", len(self.archived))
        if self.refused:
            self.stats.set_value("lendcorpus/resume/archived_refusals", len(self.refused))
        self.writer = RunWarcWriter(
            self.run.directory,
            self.run.warc_prefix,
            max_bytes=self.max_bytes,
            warcinfo={
                "software": "lendcorpus (Scrapy)",
                "format": "WARC File Format 1.1",
                "spider": self.run.spider,
                "run": self.run.run_id,
                "worker": self.run.worker,
                "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            },
        )
        logger.info("archiving to %s (resume with --job %s)", self.run.directory, self.run.directory)

    def spider_closed(self, spider) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError as exc:
                logger.error("closing the archive failed: %s", exc)

    # -- the chain -------------------------------------------------------------------------
    def _fingerprint(self, request: Request) -> str:
        return self.crawler.request_fingerprinter.fingerprint(request).hex()

    def process_request(self, request: Request):
        if not self.archived:
            return None
        hit = self.archived.get(self._fingerprint(request))
        if hit is None:
            return None
        try:
            rec = read_record(*hit)
        except Exception as exc:  # a damaged record is fetched again
            logger.warning("archived response for %s unreadable (%s); fetching again", request.url, exc)
            return None
        headers = Headers(rec.headers)
        cls = responsetypes.from_args(headers=headers, url=rec.url, body=rec.body)
        self.stats.inc_value("lendcorpus/archive/replayed")
        return cls(url=request.url, status=rec.status or 200, headers=headers, body=rec.body,
                   request=request, flags=["archived"])

    def process_response(self, request: Request, response: Response):
        if "archived" in response.flags:
            return response
        spider = self.crawler.spider
        blocked = spider.block_reason(response) if hasattr(spider, "block_reason") else None
        if blocked:
            response.flags.append(f"blocked:{blocked}")
            self.stats.inc_value(f"lendcorpus/rejects/{blocked}")
        if not self._write(request, response.status, _header_pairs(response.headers), response.body, "",
                           blocked or ""):
            # Never parse what could not be kept: the page stays unfetched and a resume retries it.
            raise IgnoreRequest(f"archive write failed for {request.url}")
        if response.status >= 400 and not blocked:
            self.stats.inc_value(f"lendcorpus/rejects/http_{response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception):
        if isinstance(exception, IgnoreRequest):
            if "robots.txt" not in str(exception):
                return None
            reason = "robots_forbidden"
            if self.refused and self._fingerprint(request) in self.refused:
                self.stats.inc_value("lendcorpus/archive/replayed_refusals")
                return None  # refused before, with the same archived robots.txt: archived once
        else:
            reason = _reason(exception)
        self._write(request, None, [], b"", reason)
        self.stats.inc_value(f"lendcorpus/rejects/{reason}")
        return None

    def _write(self, request: Request, status: int | None, headers, body: bytes, error: str,
               blocked: str = "") -> bool:
        if self.writer is None:  # a request before spider_opened cannot happen; be safe anyway
            return False
        kind = request.meta.get("lc_kind") or ("robots" if request.meta.get("dont_obey_robotstxt") else "")
        ex = Exchange(
            url=request.url,
            method=request.method,
            request_headers=_header_pairs(request.headers, SECRET_HEADERS),
            request_body=request.body or b"",
            status=status,
            response_headers=headers,
            body=body,
            fetched_at=time.time(),
            fingerprint=self._fingerprint(request),
            kind=kind,
            error=error,
            blocked=blocked,
        )
        try:
            path, offset, _ = self.writer.write(ex)
            # where it went: drift reports name an archived example (crawler/drift.py)
            request.meta["lc_archived"] = {"warc": Path(path).name, "offset": offset}
        except OSError as exc:  # full disk and friends: say so loudly; stop if it persists
            self.stats.inc_value("lendcorpus/archive/write_errors")
            self.failures_in_a_row += 1
            logger.error("cannot archive %s: %s", request.url, exc)
            if self.failures_in_a_row == self.max_failures:
                logger.error("archive unwritable %d times in a row: closing the spider; free space and resume "
                             "with --job %s", self.failures_in_a_row, self.run.directory)
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_unwritable"))
            return False
        self.failures_in_a_row = 0
        self.stats.inc_value("lendcorpus/archive/records")
        self.stats.inc_value("lendcorpus/archive/bytes", len(body))
        return True


#: Answers that may be passing trouble: asked again on resume (each attempt is archived).
TRANSIENT_STATUSES = frozenset({403, 408, 425, 429, 456})


def is_final_answer(status: int) -> bool:
    """Whether an archived answer stands for good, so a resume serves it back instead of asking again.

    2xx/3xx and the client errors that do not change by asking again (404, 410, 400...) are final;
    5xx, 403/408/425/429/456 and block pages are asked again, since they may have been passing trouble.
    """
    return status < 500 and status not in TRANSIENT_STATUSES


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    text = str(exc).lower()
    if "timeout" in name.lower() or "timed out" in text or "took longer than" in text:
        return "timeout"
    if "dns" in name.lower() or "lookup" in name.lower():
        return "dns_error"
    if "refused" in name.lower() or "refused" in text:
        return "connection_refused"
    if "dataloss" in name.lower() or "data loss" in text:
        return "data_loss"
    return "fetch_error_" + "".join(c for c in name if c.isalnum()).lower()


class SessionCookieMiddleware:
    """Add the user's session cookie to the requests that need a logged-in session.

    A spider that offers one has a ``session_cookie`` property (e.g. ``LENDCORPUS_HEIMAO_COOKIE``)
    and marks requests with ``meta['lc_session']``. The header is added here, at download time
    (order 750: after Scrapy's CookiesMiddleware, which rebuilds the Cookie header from its jar),
    so it is never in a request that Scrapy logs, persists in
    JOBDIR or fingerprints; ``ArchiveMiddleware`` drops it from archived request headers.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        if not request.meta.get("lc_session"):
            return None
        cookie = getattr(self.crawler.spider, "session_cookie", "") or ""
        if cookie:
            request.headers[b"Cookie"] = cookie.encode("latin-1", "replace")
            self.crawler.stats.inc_value("lendcorpus/session/requests")
        else:
            self.crawler.stats.inc_value("lendcorpus/session/anonymous")
        return None

    # Take it off again once the download is done, so a retry (a copy of this request that goes
    # back through the scheduler, and JOBDIR if set) never carries it; it is added anew next time.
    def process_response(self, request: Request, response: Response):
        if request.meta.get("lc_session"):
            request.headers.pop(b"Cookie", None)
        return response

    def process_exception(self, request: Request, exception: Exception):
        if request.meta.get("lc_session"):
            request.headers.pop(b"Cookie", None)
        return None


class BlockBackoffMiddleware:
    """Back off when a source says we are blocked; stop the crawl when it keeps saying so.

    Sits below the archive (order 30), so the block page is archived first. Each block doubles
    the download delay of that domain (up to LENDCORPUS_BLOCK_MAX_DELAY) and retries the request;
    after LENDCORPUS_BLOCK_RETRIES blocks in a row the spider closes with reason
    ``blocked_<why>`` — resume the run later with ``--job``; what was archived is kept.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.retries = crawler.settings.getint("LENDCORPUS_BLOCK_RETRIES", 3)
        self.max_delay = crawler.settings.getfloat("LENDCORPUS_BLOCK_MAX_DELAY", 300.0)
        self.in_a_row = 0
        self.base_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _slot(self, request: Request):
        key = request.meta.get("download_slot")
        slots = getattr(self.crawler.engine.downloader, "slots", {})
        return slots.get(key) if key else None

    def process_response(self, request: Request, response: Response):
        blocked = next((f.split(":", 1)[1] for f in response.flags if f.startswith("blocked:")), None)
        slot = self._slot(request)
        if blocked is None:
            self.in_a_row = 0
            if slot is not None and slot.delay > self.base_delay:
                # the source answers normally again: come back down, halving the extra delay
                slot.delay = max(self.base_delay, slot.delay / 2)
            return response
        self.in_a_row += 1
        self.crawler.stats.inc_value(f"lendcorpus/blocks/{blocked}")
        tries = request.meta.get("lc_block_tries", 0) + 1
        if slot is not None:
            slot.delay = min(max(slot.delay * 2, 1.0), self.max_delay)
        if tries > self.retries or self.in_a_row > self.retries * 2:
            logger.warning("%s: blocked (%s) %d times; closing the spider — resume later with --job",
                           request.url, blocked, tries)
            self.crawler.stats.set_value("lendcorpus/blocked_reason", blocked)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=f"blocked_{blocked}"))
            raise IgnoreRequest(f"blocked: {blocked}")
        logger.info("%s: blocked (%s), backing off (try %d, delay now %.1fs)", request.url, blocked, tries,
                    slot.delay if slot is not None else -1)
        retry = request.replace(dont_filter=True)
        retry.meta["lc_block_tries"] = tries
        return retry
