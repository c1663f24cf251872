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

from warcio.bufferedreaders import BufferedReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.exceptions import ArchiveLoadFailed

from lendcorpus.config import CORE_DEFAULTS
from lendcorpus.config import get as config_get

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


# -- reading -----------------------------------------------------------------------------------
#
# Two paths share one record model. The fast path is FastWARC (Resiliparse): it inflates and
# frames every record of an intact member-per-record ``.warc.gz`` file. It assumes intact input
# (on damage it raises, skips silently or yields a record with wrong headers), so every record it
# yields is checked here: the next record must start on a gzip member, the block must be as long
# as its Content-Length, digests must match. Anything unusual hands the file position to the
# careful path: our own member-by-member reader, which names the damage and resynchronises on the
# next gzip member (or ``WARC/1.x`` line in uncompressed files), then gives the file back to
# FastWARC (uncompressed files stay on the careful path after their first damage). Whole-file
# gzip streams and every file's last record are always read carefully (the last because only
# reading it to its end tells a cut record from an intact one).

#: Largest record block (or decoded HTTP payload) loaded into memory; bigger ones are rejects.
#: the default per-record budget; ``LENDCORPUS_MAX_RECORD_BYTES`` (lendcorpus.config) changes it
MAX_RECORD_BYTES = CORE_DEFAULTS["LENDCORPUS_MAX_RECORD_BYTES"]


def record_budget() -> int:
    return int(config_get("LENDCORPUS_MAX_RECORD_BYTES"))
#: A WARC header block longer than this is not a WARC header.
MAX_HEADER_BYTES = 64 * 1024
DEFAULT_TYPES = ("response", "metadata", "resource")


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
    #: where a later read continues after this record; None means ``offset + length``. Records
    #: packed several to a gzip member (whole-file gzip streams) resume at their member.
    resume_offset: int | None = None

    @property
    def fingerprint(self) -> str:
        return self.warc_headers.get(H_FINGERPRINT, "")

    @property
    def fetched_at(self) -> datetime | None:
        """When the response was fetched (WARC-Date): the one clock a parser may read."""
        if not self.date:
            return None
        try:
            when = datetime.fromisoformat(self.date.replace("Z", "+00:00"))
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)

    @property
    def error(self) -> str:
        """Why a fetch produced no response: our header, else a ``warc-fields`` metadata field."""
        found = self.warc_headers.get(H_ERROR, "")
        if found or self.rec_type != "metadata" or not self.warc_headers.get("Content-Type", "").startswith(
                "application/warc-fields"):
            return found
        for line in self.body.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in ("fetch-error", "error"):
                return value.strip()
        return ""

    @property
    def next_offset(self) -> int:
        """The file position a resumed read starts from once this record is loaded."""
        return self.offset + self.length if self.resume_offset is None else self.resume_offset

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None


#: ArchiveDamage.code values (the build's reject reasons)
TRUNCATED = "truncated_record"
CORRUPT = "corrupt_record"
NOT_A_WARC = "not_a_warc"
DIGEST_MISMATCH = "digest_mismatch"
OVER_BUDGET = "record_over_budget"


@dataclass
class ArchiveDamage:
    """A stretch of a WARC file that could not be loaded, and why.

    ``resumed_at`` is the offset of the next readable record, or None when the file ended first
    (a file still being written: the next read retries from ``offset``).
    """

    path: Path
    offset: int
    reason: str
    resumed_at: int | None
    code: str = CORRUPT
    #: the record's target URI when its WARC header was read (over budget, digest mismatch), else None
    url: str | None = None

    @property
    def next_offset(self) -> int:
        return self.offset if self.resumed_at is None else self.resumed_at


class _Damage(Exception):
    def __init__(self, code: str, reason: str, url: str | None = None):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.url = url


class _FileEnded(Exception):
    """The file ended inside a record or gzip member."""


class _Bytes:
    """A small buffered reader over ``raw(n)`` that knows its position."""

    def __init__(self, raw, pos: int):
        self._raw = raw
        self._buf = bytearray()
        self.pos = pos
        self._eof = False

    def _fill(self, n: int) -> None:
        while len(self._buf) < n and not self._eof:
            chunk = self._raw(max(n - len(self._buf), 1 << 16))
            if chunk:
                self._buf += chunk
            else:
                self._eof = True

    def at_end(self) -> bool:
        self._fill(1)
        return not self._buf

    def read_head(self) -> bytes:
        """The WARC header block up to and including its blank line."""
        self._fill(8)
        if len(self._buf) >= 5 and not self._buf.startswith(b"WARC/"):
            raise _Damage(CORRUPT, "not a WARC record header")
        searched = 0
        while True:
            i = self._buf.find(b"\r\n\r\n", max(0, searched - 3))
            if i >= 0:
                return self.read(i + 4)
            searched = len(self._buf)
            if searched > MAX_HEADER_BYTES:
                raise _Damage(CORRUPT, "no WARC header here (no blank line within 64 KiB)")
            before = len(self._buf)
            self._fill(before + 1)
            if len(self._buf) == before:
                if not self._buf:
                    raise _FileEnded
                raise _FileEnded if self._buf[:5] == b"WARC/"[: len(self._buf[:5])] else _Damage(
                    CORRUPT, "not a WARC record header")

    def read(self, n: int) -> bytes:
        self._fill(n)
        out = bytes(self._buf[:n])
        del self._buf[:n]
        self.pos += len(out)
        return out


class _Member:
    """Inflates one gzip member (or a whole-file stream) from ``fh`` at ``pos``."""

    def __init__(self, fh, pos: int):
        self.fh = fh
        fh.seek(pos)
        self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.fed = 0

    def read(self, n: int) -> bytes:
        while not self.d.eof:
            try:
                if self.d.unconsumed_tail:
                    data = self.d.decompress(self.d.unconsumed_tail, n)
                else:
                    chunk = self.fh.read(1 << 16)
                    if not chunk:
                        raise _FileEnded
                    self.fed += len(chunk)
                    data = self.d.decompress(chunk, n)
            except zlib.error as exc:
                raise _Damage(CORRUPT, f"corrupt gzip member ({exc})") from None
            if data:
                return data
        return b""

    @property
    def compressed_length(self) -> int:
        return self.fed - len(self.d.unused_data)


_SECOND_START = re.compile(rb"WARC/1\.[01]\r\n")
_SINGLE = {"WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length"}


def _parse_head(head: bytes) -> dict[str, str]:
    if not head.startswith(b"WARC/1."):
        raise _Damage(CORRUPT, "not a WARC record header")
    if _SECOND_START.search(head, 8):
        raise _Damage(CORRUPT, "two records' headers run together (a record cut inside its header)")
    headers: dict[str, str] = {}
    for line in head[:-4].decode("utf-8", "replace").split("\r\n")[1:]:
        key, sep, value = line.partition(":")
        if not sep:
            raise _Damage(CORRUPT, "malformed WARC header line")
        key = key.strip()
        if key in headers and key in _SINGLE:
            raise _Damage(CORRUPT, f"{key} given twice (a record cut inside its header)")
        headers[key] = value.strip()
    return headers


def _content_length(headers: dict[str, str]) -> int:
    try:
        clen = int(headers.get("Content-Length", ""))
    except ValueError:
        raise _Damage(CORRUPT, "WARC record without a valid Content-Length") from None
    if clen < 0:
        raise _Damage(CORRUPT, "negative Content-Length")
    return clen


def _read_one(src: _Bytes, budget: int) -> tuple[dict[str, str], bytes]:
    """One record from ``src``: headers and block, checked against Content-Length."""
    headers = _parse_head(src.read_head())
    clen = _content_length(headers)
    if clen > budget:
        raise _Damage(OVER_BUDGET, f"record block of {clen} bytes is over the {budget}-byte budget",
                      _target(headers))
    block = src.read(clen)
    if len(block) < clen:
        raise _FileEnded
    tail = src.read(4)
    if tail != b"\r\n\r\n":
        if len(tail) < 4 and b"\r\n\r\n".startswith(tail):
            raise _FileEnded
        raise _Damage(CORRUPT, "record is not as long as its Content-Length (cut mid-body or overwritten)")
    return headers, block


_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512, "md5": hashlib.md5}


_B32_TO_INT = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")


def _digest_matches(value: str, data: bytes) -> bool | None:
    """True/False when ``value`` (``algo:base32-or-hex``) can be checked, None when it cannot."""
    algo, _, encoded = value.strip().partition(":")
    fn = _DIGESTS.get(algo.lower().replace("-", ""))
    if fn is None or not encoded:
        return None
    got = fn(data).digest()
    encoded = encoded.rstrip("=")
    try:
        if len(encoded) == 2 * len(got):
            return bytes.fromhex(encoded) == got
        # base32 via int(): the standard library's b32decode is pure Python and was a third of
        # the reading time
        bits = 5 * len(encoded)
        if bits // 8 != len(got):
            return False
        value = int(encoded.upper().translate(_B32_TO_INT), 32) >> (bits - 8 * len(got))
        return value.to_bytes(len(got), "big") == got
    except ValueError:
        return None


def _clean_uri(value: str) -> str:
    # WARC/1.0 as written by wget (and the 1.0 spec's grammar) wraps the URI in angle brackets
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value


_TRANSFER_CODED = ("transfer-encoding", "content-encoding")


def _target(headers: dict[str, str]) -> str | None:
    return _clean_uri(headers.get("WARC-Target-URI") or headers.get("WARC-Refers-To-Target-URI") or "") or None


def _make_record(path: Path, offset: int, length: int, headers: dict[str, str], block: bytes,
                 budget: int, check_digests: bool, resume_offset: int | None = None) -> ArchivedRecord:
    """Turn a checked WARC block into an ArchivedRecord (raises _Damage, naming the URL, on digest or budget)."""
    try:
        return _checked_record(path, offset, length, headers, block, budget, check_digests, resume_offset)
    except _Damage as exc:
        exc.url = exc.url or _target(headers)
        raise


def _checked_record(path: Path, offset: int, length: int, headers: dict[str, str], block: bytes,
                    budget: int, check_digests: bool, resume_offset: int | None) -> ArchivedRecord:
    if check_digests:
        bd = headers.get("WARC-Block-Digest")
        if bd and _digest_matches(bd, block) is False:
            raise _Damage(DIGEST_MISMATCH, "WARC-Block-Digest does not match the record block")
    rec_type = headers.get("WARC-Type", "").lower()
    status: int | None = None
    http_headers: list[tuple[str, str]] = []
    body = block
    if rec_type in ("response", "request", "revisit") and headers.get("Content-Type", "").startswith("application/http") \
            and block:
        http_end = block.find(b"\r\n\r\n")
        if http_end < 0:
            raise _Damage(CORRUPT, "HTTP message without the end of its headers")
        lines = block[:http_end].decode("latin-1").split("\r\n")
        coded = False
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            if not sep:
                continue  # tolerated, as browsers do
            key = key.strip()
            coded = coded or key.lower() in _TRANSFER_CODED
            http_headers.append((key, value.strip()))
        payload = block[http_end + 4:]
        if rec_type == "response":
            parts = lines[0].split(" ", 2)
            if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
                status = int(parts[1])
        if check_digests and rec_type != "revisit" and not any(k.lower() == "transfer-encoding"
                                                                for k, _ in http_headers):
            pd = headers.get("WARC-Payload-Digest")
            if pd and _digest_matches(pd, payload) is False:
                raise _Damage(DIGEST_MISMATCH, "WARC-Payload-Digest does not match the HTTP payload")
        body = _decode_payload(block, budget) if coded else payload
    elif rec_type == "resource":
        status = 200
        ctype = headers.get("Content-Type")
        http_headers = [("Content-Type", ctype)] if ctype else []
    return ArchivedRecord(path=path, offset=offset, length=length, rec_type=rec_type,
                          url=_target(headers) or "",
                          date=headers.get("WARC-Date", ""),
                          status=status, headers=http_headers, body=body, warc_headers=headers,
                          resume_offset=resume_offset)


def _decode_payload(block: bytes, budget: int) -> bytes:
    """Undo chunking and content coding with warcio, never inflating past the budget."""
    head = b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://record.invalid/\r\n" \
           b"Content-Type: application/http; msgtype=response\r\n" \
           b"Content-Length: " + str(len(block)).encode() + b"\r\n\r\n"
    try:
        rec = _LOADER.parse_record_stream(BufferedReader(io.BytesIO(head + block)), ensure_http_headers=False)
        body = rec.content_stream().read(budget + 1)
    except Exception as exc:  # warcio raises many types on damaged input
        raise _Damage(CORRUPT, f"undecodable HTTP payload: {type(exc).__name__}: {exc}"[:300]) from None
    if len(body) > budget:
        raise _Damage(OVER_BUDGET, f"decoded HTTP payload is over the {budget}-byte budget (compression bomb?)")
    return body


def _wanted(headers: dict[str, str], types: tuple[str, ...] | None) -> bool:
    return types is None or headers.get("WARC-Type", "").lower() in types


def _next_member(fh, start: int, size: int) -> int | None:
    """Find the next gzip member at or after ``start`` that inflates to a WARC header."""
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
            if head.startswith(b"WARC/1."):
                return cand
            i = buf.find(GZIP_MAGIC, i + 1)
        pos += chunk
    return None


_PLAIN_NEXT = b"\r\n\r\nWARC/1."
_PLAIN_START = re.compile(rb"\nWARC/1\.[01]\r\n")


def _next_plain(fh, start: int, size: int) -> int | None:
    """Find the next uncompressed ``WARC/1.x`` header line at or after ``start``."""
    pos = max(start - 1, 0)
    chunk = 1 << 16
    if start == 0:
        fh.seek(0)
        if fh.read(10)[:9] in (b"WARC/1.0\r", b"WARC/1.1\r"):
            return 0
    while pos < size:
        fh.seek(pos)
        buf = fh.read(chunk + 16)
        m = _PLAIN_START.search(buf)
        if m:
            return pos + m.start() + 1
        pos += chunk
    return None


def _sniff(fh) -> str | None:
    fh.seek(0)
    head = fh.read(8)
    if head[:3] == GZIP_MAGIC:
        return "gzip"
    if head.startswith(b"WARC/1."):
        return "plain"
    return None


def iter_archive(path: Path, start: int = 0, types: tuple[str, ...] | None = DEFAULT_TYPES, *,
                 max_record_bytes: int | None = None, check_digests: bool = True,
                 fast: bool = True) -> Iterator[ArchivedRecord | ArchiveDamage]:
    """Yield every intact record of ``path`` from byte ``start`` on, and each damaged stretch.

    Damage never stops the read: a stretch that does not inflate, parse, match its digests or
    fit the per-record budget is reported (``ArchiveDamage.code`` says which) and reading goes
    on at the next record. A file with no WARC record at all is one ``not_a_warc`` damage.
    ``start`` is a byte offset from an earlier read (``next_offset``) in any format.
    ``fast=False`` reads with the careful path only (for benchmarks and tests).
    """
    path = Path(path)
    budget = record_budget() if max_record_bytes is None else max_record_bytes
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fmt = _sniff(fh)
        pos = start
        found = start > 0
        if fmt is None and start == 0:
            gz, plain = _next_member(fh, 0, size), _next_plain(fh, 0, size)
            cands = [c for c in (gz, plain) if c is not None]
            if not cands:
                kind = "empty" if size == 0 else "neither a gzip member nor a WARC header anywhere in it"
                yield ArchiveDamage(path, 0, f"not a WARC file: {kind} ({size} bytes)", size, NOT_A_WARC)
                return
            pos = min(cands)
            fmt = "gzip" if pos == gz else "plain"
            yield ArchiveDamage(path, 0, f"{pos} bytes before the first WARC record are not WARC data", pos)
        elif fmt is None:
            fmt = "gzip" if _next_member(fh, start, min(size, start + 1)) == start else "plain"
        careful = _careful_gzip if fmt == "gzip" else _careful_plain
        while pos is not None and pos < size:
            if fast:
                pos = yield from _fast_gzip(fh, path, pos, size, types, budget, check_digests, fmt == "plain")
                if pos is None or pos >= size:
                    return
            pos, got = yield from careful(fh, path, pos, size, types, budget, check_digests, found)
            found = found or got


def _fast_gzip(fh, path: Path, pos: int, size: int, types, budget: int, check_digests: bool, plain: bool = False):
    """FastWARC over intact records from ``pos``; returns where the careful path takes over.

    Each record is checked before it is trusted: the next one must start on a gzip member
    (or, uncompressed, right after this one's closing blank line), its headers must be one
    record's (no second ``WARC/1.x`` line, no repeated WARC-Type/Record-ID/Date/Length), its
    block as long as its Content-Length; digests are checked when the record is made.
    """
    from fastwarc.warc import ArchiveIterator

    fd = fh.fileno()
    fh.seek(pos)
    pending: tuple[int, dict[str, str], bytes | None] | None = None
    base: int | None = None
    try:
        for r in ArchiveIterator(fh, parse_http=False):
            if base is None:  # FastWARC reports positions from where the stream was when it started
                base = 0 if r.stream_pos == pos else pos
            off = base + r.stream_pos
            if pending is None:
                if off != pos:
                    return pos
            else:
                if off <= pending[0] or (os.pread(fd, 11, off - 4) != _PLAIN_NEXT if plain
                                         else os.pread(fd, 3, off) != GZIP_MAGIC):
                    return pending[0]  # a member holding several records, or damage: read it carefully
                yield from _emit(path, pending, off, types, budget, check_digests)
            pairs = r.headers.astuples()
            headers = dict(pairs)
            if len(headers) != len(pairs) and len({k for k, _ in pairs if k in _SINGLE}) != \
                    sum(1 for k, _ in pairs if k in _SINGLE) or any(v.startswith("WARC/1.") for _, v in pairs):
                return off  # headers of two records run together: let the careful path name it
            try:
                clen = _content_length(headers)
            except _Damage:
                return off
            if clen > budget or not headers.get("WARC-Record-ID") or not headers.get("WARC-Type"):
                return off
            block = None
            if _wanted(headers, types):
                block = r.reader.read()
                if len(block) != clen:
                    return off
            pending = (off, headers, block)
    except OSError:
        pass
    return pending[0] if pending is not None else pos  # the last member is always read carefully


def _emit(path: Path, pending, end: int, types, budget: int, check_digests: bool):
    off, headers, block = pending
    if block is None:
        return
    try:
        yield _make_record(path, off, end - off, headers, block, budget, check_digests)
    except _Damage as exc:
        yield ArchiveDamage(path, off, exc.reason, end, exc.code, exc.url)


def _careful_gzip(fh, path: Path, pos: int, size: int, types, budget: int, check_digests: bool, found: bool):
    """Read the gzip member at ``pos`` record by record; returns (next position, found a record).

    A member normally holds one record. One that holds several (a whole-file gzip stream) is
    read as a stream: its records are addressed by the member's offset plus their position in
    the inflated bytes, and resume at the member until its last record is loaded.
    """
    member = _Member(fh, pos)
    src = _Bytes(member.read, 0)
    first: tuple[dict[str, str], bytes] | None = None
    packed = 0
    pending: tuple[int, int, dict[str, str], bytes] | None = None  # the last wanted packed record
    try:
        while True:
            rel = src.pos
            headers, block = _read_one(src, budget)
            if first is None:
                first = (headers, block)
                if src.at_end():
                    break
                packed = 1
            else:
                packed += 1
            if _wanted(headers, types):
                if pending is not None:
                    yield from _emit_packed(path, pos, pending, pos, budget, check_digests)
                pending = (rel, src.pos - rel, headers, block)
            if src.at_end():
                break
    except _FileEnded:
        if packed:
            if pending is not None:
                yield from _emit_packed(path, pos, pending, pos, budget, check_digests)
            yield ArchiveDamage(path, pos + src.pos, "gzip stream ends inside a record (cut file); a whole-file "
                                "stream cannot be resumed, so the records after this point are lost", size, TRUNCATED)
            return size, True
        yield ArchiveDamage(path, pos, "truncated record (the file ends inside this gzip member)", None, TRUNCATED)
        return None, found
    except _Damage as exc:
        nxt = _next_member(fh, pos + 1, size)
        if pending is not None:
            yield from _emit_packed(path, pos, pending, pos, budget, check_digests)
        if not found and not packed and nxt is None and pos == 0:
            yield ArchiveDamage(path, 0, f"not a WARC file: its gzip data holds no WARC record ({exc.reason})",
                                size, NOT_A_WARC)
            return None, False
        where = pos + src.pos if packed else pos
        yield ArchiveDamage(path, where, exc.reason, nxt, exc.code, exc.url)
        return nxt, bool(found or packed)
    end = pos + member.compressed_length
    if packed:
        if pending is not None:
            yield from _emit_packed(path, pos, pending, end, budget, check_digests)
    else:
        headers, block = first
        if _wanted(headers, types):
            try:
                yield _make_record(path, pos, end - pos, headers, block, budget, check_digests)
            except _Damage as exc:
                yield ArchiveDamage(path, pos, exc.reason, end, exc.code, exc.url)
    return end, True


def _emit_packed(path, member_pos: int, pending, resume: int, budget: int, check_digests: bool):
    rel, length, headers, block = pending
    try:
        yield _make_record(path, member_pos + rel, length, headers, block, budget, check_digests,
                           resume_offset=resume)
    except _Damage as exc:
        yield ArchiveDamage(path, member_pos + rel, exc.reason, resume, exc.code, exc.url)


def _careful_plain(fh, path: Path, pos: int, size: int, types, budget: int, check_digests: bool, found: bool):
    """Read uncompressed records from ``pos`` to the end; resynchronise on ``WARC/1.x`` lines."""
    fh.seek(pos)
    src = _Bytes(fh.read, pos)
    while not src.at_end():
        off = src.pos
        try:
            headers, block = _read_one(src, budget)
        except _FileEnded:
            yield ArchiveDamage(path, off, "truncated record (the file ends before its Content-Length)", None,
                                TRUNCATED)
            return None, found
        except _Damage as exc:
            nxt = _next_plain(fh, off + 1, size)
            yield ArchiveDamage(path, off, exc.reason, nxt, exc.code, exc.url)
            return nxt, found
        found = True
        if _wanted(headers, types):
            try:
                yield _make_record(path, off, src.pos - off, headers, block, budget, check_digests)
            except _Damage as exc:
                yield ArchiveDamage(path, off, exc.reason, src.pos, exc.code, exc.url)
    return size, found


def read_record(path: Path, offset: int) -> ArchivedRecord:
    """Read the single record at ``offset`` (used to replay archived responses on resume)."""
    path = Path(path)
    budget = record_budget()
    with open(path, "rb") as fh:
        fmt = _sniff(fh)
        fh.seek(offset)
        is_member = fh.read(3) == GZIP_MAGIC
        try:
            if is_member:
                member = _Member(fh, offset)
                src = _Bytes(member.read, 0)
                headers, block = _read_one(src, budget)
                if src.at_end():
                    return _make_record(path, offset, member.compressed_length, headers, block,
                                        budget, True)
            elif fmt == "plain":
                fh.seek(offset)
                src = _Bytes(fh.read, offset)
                headers, block = _read_one(src, budget)
                return _make_record(path, offset, src.pos - offset, headers, block, budget, True)
        except (_Damage, _FileEnded) as exc:
            raise ArchiveLoadFailed(f"no intact record at {path.name}:{offset} ({exc})") from None
    # a record packed with others in one member: find it by reading the file
    for item in iter_archive(path, types=None):
        if isinstance(item, ArchivedRecord) and item.offset == offset:
            return item
    raise ArchiveLoadFailed(f"no intact record at {path.name}:{offset}")


def warc_files(root: Path) -> list[Path]:
    """Every WARC file below ``root`` (or ``root`` itself), in a stable order."""
    root = Path(root)
    if root.is_file():
        return [root]
    found = [p for pattern in ("*.warc.gz", "*.warc") for p in root.rglob(pattern)]
    return sorted(set(found))
