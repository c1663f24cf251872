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

import base64
import contextlib
import hashlib
import io
import json
import os
import re
import uuid
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

H_FINGERPRINT = "X-Lendcorpus-Fingerprint"
H_SPIDER = "X-Lendcorpus-Spider"
H_RUN = "X-Lendcorpus-Run"
H_KIND = "X-Lendcorpus-Kind"
H_ERROR = "X-Lendcorpus-Fetch-Error"
H_METHOD = "X-Lendcorpus-Method"
H_BLOCKED = "X-Lendcorpus-Blocked"

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
    blocked: str = ""


def _digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _gzip_member(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def _field(value: str) -> str:
    # WARC and HTTP header values are single lines
    return value.replace("\r", " ").replace("\n", " ")


def serialize_record(rec_type: str, uri: str, block: bytes, content_type: str, *,
                     date: str, payload: bytes | None = None, extra: dict[str, str] | None = None,
                     record_id: str | None = None) -> tuple[str, bytes]:
    """One WARC/1.1 record as bytes (uncompressed) and its record id.

    Written by hand rather than through warcio's writer: the crawl archives every response on
    the reactor thread, and this is several times cheaper per record. warcio reads it back
    (with digest checks in the tests).
    """
    rid = record_id or f"<urn:uuid:{uuid.uuid4()}>"
    lines = [
        "WARC/1.1",
        f"WARC-Type: {rec_type}",
        f"WARC-Record-ID: {rid}",
        f"WARC-Date: {date}",
    ]
    if uri:
        lines.append(f"WARC-Target-URI: {_field(uri)}")
    for k, v in (extra or {}).items():
        lines.append(f"{k}: {_field(str(v))}")
    if payload is not None:
        lines.append(f"WARC-Payload-Digest: {_digest(payload)}")
    lines.append(f"WARC-Block-Digest: {_digest(block)}")
    lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(block)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    return rid, head + block + b"\r\n\r\n"


def _http_head(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    out = [first_line] + [f"{_field(k)}: {_field(v)}" for k, v in headers]
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1", "replace")


class RotatingWarcWriter:
    """Appends exchanges to ``<prefix>-NNNNN.warc.gz`` files in one directory, rotating by size.

    A new writer never appends to an existing file (a killed crawl may have left a truncated
    tail): it starts at the next free sequence number. Each record is one gzip member, written
    and flushed before ``write`` returns.
    """

    def __init__(self, directory: Path, prefix: str, max_bytes: int = 100 * 2**20, warcinfo: dict | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.warcinfo = warcinfo or {}
        self._fh: io.BufferedWriter | None = None
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

    def _open(self) -> io.BufferedWriter:
        if self._fh is not None and self._fh.tell() < self.max_bytes:
            return self._fh
        self.close()
        self._path = self.directory / f"{self.prefix}-{self._seq:05d}.warc.gz"
        self._seq += 1
        fields = "".join(f"{k}: {_field(str(v))}\r\n" for k, v in self.warcinfo.items()).encode("utf-8")
        _, info = serialize_record("warcinfo", "", fields, "application/warc-fields", date=warc_date(),
                                   extra={"WARC-Filename": self._path.name})
        fh = open(self._path, "xb")
        try:
            fh.write(_gzip_member(info))
            fh.flush()
        except OSError:
            # no room even for the file header: leave no empty or half-written file behind
            with contextlib.suppress(OSError):
                fh.close()
            self._path.unlink(missing_ok=True)
            self._seq -= 1
            self._path = None
            raise
        self._fh = fh
        return fh

    def write(self, ex: Exchange) -> tuple[Path, int, int]:
        """Archive one exchange; returns (file, offset, length) of its records."""
        fh = self._open()
        path = self._path
        assert path is not None
        date = warc_date(ex.fetched_at)
        extra = {H_METHOD: ex.method}
        if ex.fingerprint:
            extra[H_FINGERPRINT] = ex.fingerprint
        if ex.kind:
            extra[H_KIND] = ex.kind
        if ex.blocked:
            extra[H_BLOCKED] = ex.blocked
        if self.warcinfo.get("spider"):
            extra[H_SPIDER] = str(self.warcinfo["spider"])
        if self.warcinfo.get("run"):
            extra[H_RUN] = str(self.warcinfo["run"])
        if ex.status is None:
            extra[H_ERROR] = ex.error or "unknown"
            payload = json.dumps({"error": ex.error, "method": ex.method, "url": ex.url},
                                 ensure_ascii=False).encode("utf-8")
            _, rec = serialize_record("metadata", ex.url, payload, "application/json", date=date, extra=extra)
            data = _gzip_member(rec)
        else:
            try:
                reason = HTTPStatus(ex.status).phrase
            except ValueError:
                reason = "Unknown"
            headers = [(k, v) for k, v in ex.response_headers if k.lower() not in _TRANSFER_HEADERS]
            headers.append(("Content-Length", str(len(ex.body))))
            head = _http_head(f"HTTP/1.1 {ex.status} {reason}", headers)
            rid, resp = serialize_record("response", ex.url, head + ex.body, "application/http; msgtype=response",
                                         date=date, payload=ex.body, extra=extra)
            req_head = _http_head(f"{ex.method} {_split_target(ex.url)} HTTP/1.1", list(ex.request_headers))
            _, req = serialize_record("request", ex.url, req_head + ex.request_body,
                                      "application/http; msgtype=request", date=date,
                                      payload=ex.request_body, extra={"WARC-Concurrent-To": rid})
            data = _gzip_member(resp) + _gzip_member(req)
        offset = fh.tell()
        try:
            fh.write(data)
            fh.flush()
        except OSError:
            # Full disk or similar: cut the half-written record off so the file stays readable.
            self._drop_tail(offset)
            raise
        self.records_written += 1
        self.bytes_written += len(data)
        return path, offset, len(data)

    def _drop_tail(self, offset: int) -> None:
        fh, self._fh = self._fh, None
        if fh is None or self._path is None:
            return
        # The buffered remainder may not be writable either; the truncate below removes it.
        with contextlib.suppress(OSError):
            fh.close()
        with contextlib.suppress(OSError):
            os.truncate(self._path, offset)

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            finally:
                self._fh.close()
        self._fh = None


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
                parsed = _parse_member(member, path, pos, length, types)
                if parsed is not None:
                    yield parsed
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


_TYPE_RE = re.compile(rb"\r\nWARC-Type:[ \t]*([A-Za-z]+)")
_TRANSFER_CODED = ("transfer-encoding", "content-encoding")


def _parse_member(member: bytes, path: Path, offset: int, length: int,
                  types: tuple[str, ...] | None) -> ArchivedRecord | None:
    """Parse one decompressed record; None when its type is not wanted.

    Records as lendcorpus writes them (and most others) are parsed directly, which is several
    times faster than warcio's general loader; anything unusual (chunked or compressed payloads,
    odd headers) goes through warcio, which decodes it.
    """
    m = _TYPE_RE.search(member, 0, 4096)
    if types is not None and m is not None and m.group(1).decode("ascii").lower() not in types:
        return None
    fast = _fast_parse(member, path, offset, length)
    if fast is not None:
        return fast if types is None or fast.rec_type in types else None
    rec = _LOADER.parse_record_stream(BufferedReader(io.BytesIO(member)), ensure_http_headers=False)
    if types is not None and rec.rec_type not in types:
        return None
    return _to_record(path, offset, length, rec, rec.content_stream().read())


def _fast_parse(member: bytes, path: Path, offset: int, length: int) -> ArchivedRecord | None:
    if not member.startswith(b"WARC/1."):
        return None
    head_end = member.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    warc_headers: dict[str, str] = {}
    for line in member[:head_end].decode("utf-8", "replace").split("\r\n")[1:]:
        key, sep, value = line.partition(":")
        if not sep:
            return None
        warc_headers[key.strip()] = value.strip()
    try:
        clen = int(warc_headers.get("Content-Length", ""))
    except ValueError:
        return None
    block = member[head_end + 4: head_end + 4 + clen]
    if len(block) != clen:
        return None
    rec_type = warc_headers.get("WARC-Type", "").lower()
    status: int | None = None
    headers: list[tuple[str, str]] = []
    body = block
    if rec_type == "response" and warc_headers.get("Content-Type", "").startswith("application/http"):
        http_end = block.find(b"\r\n\r\n")
        if http_end < 0:
            return None
        lines = block[:http_end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            return None
        status = int(parts[1])
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            if not sep:
                return None
            key = key.strip()
            if key.lower() in _TRANSFER_CODED:
                return None  # let warcio undo chunking / compression
            headers.append((key, value.strip()))
        body = block[http_end + 4:]
    elif rec_type == "resource":
        status = 200
        ctype = warc_headers.get("Content-Type")
        headers = [("Content-Type", ctype)] if ctype else []
    elif rec_type not in ("metadata", "request", "warcinfo", "revisit", "conversion"):
        return None
    return ArchivedRecord(path=path, offset=offset, length=length, rec_type=rec_type,
                          url=warc_headers.get("WARC-Target-URI", ""), date=warc_headers.get("WARC-Date", ""),
                          status=status, headers=headers, body=body, warc_headers=warc_headers)


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
    parsed = _parse_member(member, Path(path), offset, length, None)
    assert parsed is not None
    return parsed


def warc_files(root: Path) -> list[Path]:
    """Every WARC file below ``root`` (or ``root`` itself), in a stable order."""
    root = Path(root)
    if root.is_file():
        return [root]
    found = [p for pattern in ("*.warc.gz", "*.warc") for p in root.rglob(pattern)]
    return sorted(set(found))
