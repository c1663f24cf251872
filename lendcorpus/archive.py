"""The raw archive: WARC files that hold every response a crawl received.

The archive is the source of truth. Crawls only append to it; ``lendcorpus build`` reads it as
many times as processing changes. Writing and reading live together here, with no Scrapy import,
so the crawler, the build and any tool that loads WARCs from other crawlers share one format.

Layout: one directory per crawl run, files ``<prefix>-<seq>.warc.gz`` rotated by size, one gzip
member per record (so a reader can seek to any record and a truncated file keeps every intact
record). Each exchange is a ``response`` record followed by its ``request`` record; a fetch that
produced no response (timeout, DNS, refused by robots.txt) is a ``metadata`` record with the
reason. lendcorpus adds a few ``X-Lendcorpus-*`` fields to WARC headers (spider, run, request
fingerprint, page kind); other crawlers' WARCs simply lack them.
"""

from __future__ import annotations

import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

H_FINGERPRINT = "X-Lendcorpus-Fingerprint"
H_SPIDER = "X-Lendcorpus-Spider"
H_RUN = "X-Lendcorpus-Run"
H_KIND = "X-Lendcorpus-Kind"
H_ERROR = "X-Lendcorpus-Fetch-Error"
H_METHOD = "X-Lendcorpus-Method"

#: Headers that describe the transfer, not the stored body (Scrapy has already undone them).
_TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}

GZIP_MAGIC = b"\x1f\x8b\x08"
_LOADER = ArcWarcRecordLoader()


def warc_date(ts: float | None = None) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc) if ts is not None else datetime.now(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}Z"


@dataclass(frozen=True)
class Exchange:
    """One request and what came back, in plain Python types."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: float
    fingerprint: str = ""
    kind: str = ""
    error: str = ""


class RotatingWarcWriter:
    """Appends exchanges to ``<prefix>-NNNNN.warc.gz`` files in one directory, rotating by size.

    A new writer never appends to an existing file (a killed crawl may have left a truncated
    tail): it starts at the next free sequence number.
    """

    def __init__(self, directory: Path, prefix: str, max_bytes: int = 100 * 2**20, warcinfo: dict | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.warcinfo = warcinfo or {}
        self._fh: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._path: Path | None = None
        self._seq = self._next_seq()
        self.records_written = 0
        self.bytes_written = 0

    def _next_seq(self) -> int:
        taken = [
            int(p.name[len(self.prefix) + 1 : -len(".warc.gz")])
            for p in self.directory.glob(f"{self.prefix}-*.warc.gz")
            if p.name[len(self.prefix) + 1 : -len(".warc.gz")].isdigit()
        ]
        return max(taken, default=-1) + 1

    @property
    def current_path(self) -> Path | None:
        return self._path

    def _open(self) -> WARCWriter:
        if self._writer is not None and self._fh is not None and self._fh.tell() < self.max_bytes:
            return self._writer
        self.close()
        self._path = self.directory / f"{self.prefix}-{self._seq:05d}.warc.gz"
        self._seq += 1
        self._fh = open(self._path, "xb")
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="WARC/1.1")
        info = self._writer.create_warcinfo_record(self._path.name, dict(self.warcinfo))
        self._writer.write_record(info)
        return self._writer

    def write(self, ex: Exchange) -> tuple[Path, int, int]:
        """Archive one exchange; returns (file, offset, length) of its main record."""
        writer = self._open()
        assert self._fh is not None and self._path is not None
        extra = {"WARC-Date": warc_date(ex.fetched_at), H_METHOD: ex.method}
        if ex.fingerprint:
            extra[H_FINGERPRINT] = ex.fingerprint
        if ex.kind:
            extra[H_KIND] = ex.kind
        for key in ("spider", "run"):
            if self.warcinfo.get(key):
                extra[H_SPIDER if key == "spider" else H_RUN] = str(self.warcinfo[key])
        offset = self._fh.tell()
        if ex.status is None:
            extra[H_ERROR] = ex.error or "unknown"
            payload = json.dumps(
                {"error": ex.error, "method": ex.method, "url": ex.url}, ensure_ascii=False
            ).encode("utf-8")
            rec = writer.create_warc_record(
                ex.url, "metadata", payload=io.BytesIO(payload), warc_content_type="application/json",
                warc_headers_dict=extra,
            )
            writer.write_record(rec)
        else:
            try:
                reason = HTTPStatus(ex.status).phrase
            except ValueError:
                reason = "Unknown"
            headers = [(k, v) for k, v in ex.response_headers if k.lower() not in _TRANSFER_HEADERS]
            headers.append(("Content-Length", str(len(ex.body))))
            http_headers = StatusAndHeaders(f"{ex.status} {reason}", headers, protocol="HTTP/1.1")
            resp = writer.create_warc_record(
                ex.url, "response", payload=io.BytesIO(ex.body), http_headers=http_headers,
                warc_headers_dict=extra,
            )
            writer.write_record(resp)
            split = _split_target(ex.url)
            req_headers = list(ex.request_headers)
            req_http = StatusAndHeaders(f"{ex.method} {split} HTTP/1.1", req_headers, is_http_request=True)
            req = writer.create_warc_record(
                ex.url, "request", payload=io.BytesIO(ex.request_body), http_headers=req_http,
                warc_headers_dict={"WARC-Date": extra["WARC-Date"],
                                   "WARC-Concurrent-To": resp.rec_headers.get_header("WARC-Record-ID")},
            )
            writer.write_record(req)
        self._fh.flush()
        end = self._fh.tell()
        self.records_written += 1
        self.bytes_written += end - offset
        return self._path, offset, end - offset

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        self._fh = None
        self._writer = None


def _split_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass
class ArchivedRecord:
    """A record read back from a WARC file, with where it was found."""

    path: Path
    offset: int
    length: int
    rec_type: str
    url: str
    date: str
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    warc_headers: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return self.warc_headers.get(H_FINGERPRINT, "")

    @property
    def error(self) -> str:
        return self.warc_headers.get(H_ERROR, "")

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None


@dataclass
class ArchiveDamage:
    """A stretch of a WARC file that could not be read (truncated or corrupt)."""

    path: Path
    offset: int
    reason: str
    resumed_at: int | None  # offset of the next readable record, or None if none followed


def iter_archive(path: Path, start: int = 0, types: tuple[str, ...] = ("response", "metadata", "resource")
                 ) -> Iterator[ArchivedRecord | ArchiveDamage]:
    """Yield every intact record of ``path`` from byte ``start`` on, and each damaged stretch.

    Damage never stops the read: a member that does not decompress or parse is reported and the
    reader moves to the next gzip member that starts a WARC record, so a file cut mid-record
    still yields all its intact records. Offsets are exact byte offsets of gzip members.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        if fh.read(2) != GZIP_MAGIC[:2]:
            yield from _iter_plain(path, types)
            return
        size = path.stat().st_size
        pos = start
        while pos < size:
            member, length, complete = _read_member(fh, pos)
            if not complete:
                nxt = _next_member(fh, pos + 1, size)
                reason = "truncated record (gzip member ends early)" if nxt is None else "corrupt gzip member"
                yield ArchiveDamage(path, pos, reason, nxt)
                if nxt is None:
                    return
                pos = nxt
                continue
            try:
                rec = _LOADER.parse_record_stream(BufferedReader(io.BytesIO(member)), ensure_http_headers=False)
                if rec.rec_type in types:
                    yield _to_record(path, pos, length, rec, rec.content_stream().read())
            except Exception as exc:  # warcio raises many types on damaged input
                yield ArchiveDamage(path, pos, f"unparseable record: {type(exc).__name__}: {exc}"[:300], pos + length)
            pos += length


def _read_member(fh, pos: int) -> tuple[bytes, int, bool]:
    """Decompress the gzip member at ``pos``: (data, compressed length, complete?)."""
    fh.seek(pos)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out: list[bytes] = []
    fed = 0
    try:
        while not d.eof:
            chunk = fh.read(1 << 16)
            if not chunk:
                return b"".join(out), fed, False
            fed += len(chunk)
            out.append(d.decompress(chunk))
    except zlib.error:
        return b"", fed, False
    return b"".join(out), fed - len(d.unused_data), True


def _iter_plain(path: Path, types: tuple[str, ...]) -> Iterator[ArchivedRecord | ArchiveDamage]:
    """Uncompressed WARC files (some tools write them): sequential read, damage ends the file."""
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, check_digests=False)
        try:
            for rec in it:
                if rec.rec_type not in types:
                    continue
                body = rec.content_stream().read()
                yield _to_record(path, it.get_record_offset(), it.get_record_length(), rec, body)
        except Exception as exc:  # warcio raises many types on damaged input
            yield ArchiveDamage(path, it.offset, f"{type(exc).__name__}: {exc}"[:300], None)


def _to_record(path: Path, offset: int, length: int, rec, body: bytes) -> ArchivedRecord:
    status = None
    headers: list[tuple[str, str]] = []
    if rec.http_headers is not None and rec.rec_type == "response":
        code = rec.http_headers.get_statuscode()
        status = int(code) if code and code.isdigit() else None
        headers = list(rec.http_headers.headers)
    elif rec.rec_type == "resource":
        status = 200
        ctype = rec.rec_headers.get_header("Content-Type")
        headers = [("Content-Type", ctype)] if ctype else []
    return ArchivedRecord(
        path=path,
        offset=offset,
        length=length,
        rec_type=rec.rec_type,
        url=rec.rec_headers.get_header("WARC-Target-URI") or "",
        date=rec.rec_headers.get_header("WARC-Date") or "",
        status=status,
        headers=headers,
        body=body,
        warc_headers=dict(rec.rec_headers.headers),
    )


def _next_member(fh, start: int, size: int) -> int | None:
    """Find the next gzip member at or after ``start`` that decompresses to a WARC header."""
    pos = start
    chunk = 1 << 16
    while pos < size:
        fh.seek(pos)
        buf = fh.read(chunk + 2)
        i = buf.find(GZIP_MAGIC)
        while i != -1:
            cand = pos + i
            fh.seek(cand)
            try:
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                head = d.decompress(fh.read(512), 16)
            except zlib.error:
                head = b""
            if head.startswith(b"WARC/"):
                return cand
            i = buf.find(GZIP_MAGIC, i + 1)
        pos += chunk
    return None


def read_record(path: Path, offset: int) -> ArchivedRecord:
    """Read the single record at ``offset`` (used to replay archived responses on resume)."""
    with open(path, "rb") as fh:
        member, length, complete = _read_member(fh, offset)
    if not complete:
        raise ArchiveLoadFailed(f"no intact record at {Path(path).name}:{offset}")
    rec = _LOADER.parse_record_stream(BufferedReader(io.BytesIO(member)), ensure_http_headers=False)
    return _to_record(Path(path), offset, length, rec, rec.content_stream().read())


def warc_files(root: Path) -> list[Path]:
    """Every WARC file below ``root`` (or ``root`` itself), in a stable order."""
    root = Path(root)
    if root.is_file():
        return [root]
    found = [p for pattern in ("*.warc.gz", "*.warc") for p in root.rglob(pattern)]
    return sorted(set(found))
