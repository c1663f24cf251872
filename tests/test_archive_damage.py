"""Damaged and unusual WARC files: every intact record loads, and every damage is named.

Each case is made here, byte by byte, from records our writer (or warcio's) produces, so the
fixtures cannot drift from the code and no binary file is committed.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import duckdb
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from lendcorpus import archive
from lendcorpus.archive import (
    ArchiveDamage,
    ArchivedRecord,
    Exchange,
    RotatingWarcWriter,
    iter_archive,
    read_record,
    serialize_record,
    warc_date,
)
from lendcorpus.pipelines.build import Build

N = 6


def page(i: int) -> bytes:
    return f"<html><head><title>第{i}篇</title></head><body><p>第{i}篇 催收 通讯录</p></body></html>".encode()


def our_warc(directory: Path, n: int = N, empty: int | None = None) -> tuple[Path, list[int]]:
    """A .warc.gz as the crawl writes it (exchange ``empty`` with an empty body, which the
    build rejects); returns the file and each exchange's offset."""
    w = RotatingWarcWriter(directory, "dmg", warcinfo={"spider": "t", "run": "r1"})
    offsets = []
    for i in range(n):
        _, off, _ = w.write(Exchange(
            url=f"https://www.jiedai-baike.example/a/{2000 + i}.html", method="GET", request_headers=[],
            request_body=b"", status=200, response_headers=[("Content-Type", "text/html; charset=utf-8")],
            body=b"" if i == empty else page(i), fetched_at=time.time()))
        offsets.append(off)
    path = w.current_path
    w.close()
    return path, offsets


def members(path: Path) -> list[bytes]:
    """The inflated gzip members of a member-per-record file, in order."""
    data, out = path.read_bytes(), []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(data))
        data = d.unused_data
    return out


def plain_bytes(path: Path) -> bytes:
    return b"".join(members(path))


def good(items) -> list[ArchivedRecord]:
    return [r for r in items if isinstance(r, ArchivedRecord)]


def damage(items) -> list[ArchiveDamage]:
    return [r for r in items if isinstance(r, ArchiveDamage)]


def urls(items) -> list[str]:
    return [r.url.rsplit("/", 1)[-1] for r in good(items)]


ALL = [f"{2000 + i}.html" for i in range(N)]


def test_intact_file_reads_the_same_on_both_paths(tmp_path):
    path, offsets = our_warc(tmp_path)
    fast, careful = list(iter_archive(path)), list(iter_archive(path, fast=False))
    assert urls(fast) == ALL and not damage(fast)
    assert [(r.offset, r.length, r.body, r.url) for r in fast] == [(r.offset, r.length, r.body, r.url) for r in careful]
    assert [r.offset for r in fast] == offsets
    assert all(r.next_offset == r.offset + r.length for r in fast)


def test_wget_angle_bracket_uris_are_stripped(tmp_path):
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + page(1)
    _, rec = serialize_record("response", "x", block, "application/http; msgtype=response", date=warc_date())
    rec = rec.replace(b"WARC/1.1", b"WARC/1.0", 1).replace(b"WARC-Target-URI: x",
                                                            b"WARC-Target-URI: <http://news.example.cn/a.html>")
    (tmp_path / "wget.warc").write_bytes(rec)
    (tmp_path / "wget.warc.gz").write_bytes(gzip.compress(rec))
    for name in ("wget.warc", "wget.warc.gz"):
        got = list(iter_archive(tmp_path / name))
        assert [r.url for r in got] == ["http://news.example.cn/a.html"], name


def test_whole_file_gzip_stream_loads_every_record(tmp_path):
    path, _ = our_warc(tmp_path)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain_bytes(path)))
    got = list(iter_archive(whole))
    assert urls(got) == ALL and not damage(got)
    assert len({r.offset for r in good(got)}) == N  # offsets stay unique (the corpus keys on them)
    assert good(got)[-1].next_offset == whole.stat().st_size
    rec = good(got)[3]
    assert read_record(whole, rec.offset).body == rec.body


def test_whole_file_gzip_stream_cut_keeps_what_came_before(tmp_path):
    path, _ = our_warc(tmp_path)
    data = gzip.compress(plain_bytes(path), compresslevel=0)  # stored blocks: a cut lands where we want
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(data[: int(len(data) * 0.8)])
    got = list(iter_archive(whole))
    assert urls(got) == ALL[: len(good(got))] and 3 <= len(good(got)) < N
    (d,) = damage(got)
    assert d.code == archive.TRUNCATED and d.resumed_at == whole.stat().st_size  # reported once, not retried


def test_flipped_first_byte_loses_only_the_first_member(tmp_path):
    path, _ = our_warc(tmp_path)
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    got = list(iter_archive(path))
    assert urls(got) == ALL  # the first member is the warcinfo record
    (d,) = damage(got)
    assert d.offset == 0 and d.resumed_at and d.code == archive.CORRUPT


def test_prepended_junk_is_named_and_skipped(tmp_path):
    path, offsets = our_warc(tmp_path)
    junk = b"HTTP/1.1 200 OK\r\n\r\n<html>not a record</html>\n" * 3
    path.write_bytes(junk + path.read_bytes())
    got = list(iter_archive(path))
    assert urls(got) == ALL
    assert [r.offset for r in good(got)] == [o + len(junk) for o in offsets]
    (d,) = damage(got)
    assert d.offset == 0 and d.resumed_at == len(junk) and "not WARC data" in d.reason


def test_uncompressed_file_with_flipped_first_byte_or_junk_in_front(tmp_path):
    path, _ = our_warc(tmp_path)
    data = plain_bytes(path)
    junk = b"HTTP/1.1 200 OK\r\n\r\n<html>not a record</html>\n" * 3
    for name, damaged, lost in (("flip.warc", bytes([data[0] ^ 0xFF]) + data[1:], data.index(b"WARC/1.1", 1)),
                                ("junk.warc", junk + data, len(junk))):
        (tmp_path / name).write_bytes(damaged)
        got = list(iter_archive(tmp_path / name))
        assert urls(got) == ALL, name  # only the warcinfo record (flip) or nothing (junk) is lost
        (d,) = damage(got)
        assert d.offset == 0 and d.resumed_at == lost and "not WARC data" in d.reason, name


def test_uncompressed_file_honours_the_resume_offset(tmp_path):
    path, _ = our_warc(tmp_path)
    plain = tmp_path / "p.warc"
    plain.write_bytes(plain_bytes(path))
    first = good(iter_archive(plain))
    assert [r.url for r in first] and urls(first) == ALL
    resume = first[2].next_offset
    rest = list(iter_archive(plain, start=resume))
    assert urls(rest) == ALL[3:] and not damage(rest)
    assert list(iter_archive(plain, start=first[-1].next_offset)) == []


def test_uncompressed_record_cut_mid_body_is_not_intact(tmp_path):
    path, _ = our_warc(tmp_path)
    data = plain_bytes(path)
    plain = tmp_path / "cut.warc"
    cut = data.index(b"<html>", data.rindex(b"WARC/1.1\r\nWARC-Type: response")) + 20  # inside the last body
    plain.write_bytes(data[:cut])
    got = list(iter_archive(plain))
    assert urls(got) == ALL[:-1]
    (d,) = damage(got)
    assert d.code == archive.TRUNCATED and d.resumed_at is None
    # cut mid-body with more records after it: the cut one is damage, the rest load
    i2 = data.index(b"WARC-Target-URI: https://www.jiedai-baike.example/a/2002.html")
    start2 = data.rindex(b"WARC/1.1\r\n", 0, i2)
    body2 = data.index(b"<html>", i2)
    next_rec = data.index(b"WARC/1.1\r\nWARC-Type: request", body2)
    spliced = tmp_path / "spliced.warc"
    spliced.write_bytes(data[: body2 + 20] + data[next_rec:])
    got = list(iter_archive(spliced))
    assert urls(got) == [u for u in ALL if u != "2002.html"]
    (d,) = damage(got)
    assert d.offset == start2 and d.code == archive.CORRUPT and d.resumed_at is not None


def _rewrite_member(path: Path, index: int, edit) -> None:
    parts = members(path)
    parts[index] = edit(parts[index])
    path.write_bytes(b"".join(gzip.compress(p) for p in parts))


def test_digest_mismatches_are_damage(tmp_path):
    path, _ = our_warc(tmp_path)
    # member 0 is warcinfo; members 1,2 are exchange 0 (response, request); 3 is the response of 2001
    _rewrite_member(path, 3, lambda m: m.replace("第1篇 催收".encode(), "第9篇 催收".encode()))
    got = list(iter_archive(path))
    assert urls(got) == [u for u in ALL if u != "2001.html"]
    (d,) = damage(got)
    assert d.code == archive.DIGEST_MISMATCH and "Block-Digest" in d.reason and d.resumed_at

    # a block digest recomputed by a tool that changed the payload: the payload digest still tells
    def forge(m: bytes) -> bytes:
        head, _, block = m[:-4].partition(b"\r\n\r\n")
        block = block.replace("第2篇".encode(), "第8篇".encode())
        lines = [ln if not ln.startswith(b"WARC-Block-Digest") else
                 b"WARC-Block-Digest: " + archive._digest(block).encode() for ln in head.split(b"\r\n")]
        return b"\r\n".join(lines) + b"\r\n\r\n" + block + b"\r\n\r\n"

    path2, _ = our_warc(tmp_path / "two")
    _rewrite_member(path2, 5, forge)
    got = list(iter_archive(path2))
    assert urls(got) == [u for u in ALL if u != "2002.html"]
    (d,) = damage(got)
    assert d.code == archive.DIGEST_MISMATCH and "Payload-Digest" in d.reason


def test_text_file_named_warc_gz_is_refused(tmp_path):
    text = "".join(f"第{i}行 这不是WARC文件\n" for i in range(50)).encode()
    for name, data in (("notes.warc.gz", text), ("zipped.warc.gz", gzip.compress(text))):
        (tmp_path / name).write_bytes(data)
        got = list(iter_archive(tmp_path / name))
        assert len(got) == 1 and isinstance(got[0], ArchiveDamage), name
        assert got[0].code == archive.NOT_A_WARC and "not a WARC file" in got[0].reason
        assert got[0].resumed_at == len(data)  # refused once, not retried by every build


def _bomb_warc(directory: Path, inflated: int) -> Path:
    """Three responses; the middle one's body is gzip-encoded zeros inflating to ``inflated`` bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    bomb = b"".join(c.compress(chunk) for _ in range(inflated >> 20)) + c.flush()
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for i, (body, coding) in enumerate(((page(0), None), (bomb, "gzip"), (page(2), None))):
        hdrs = [("Content-Type", "text/html; charset=utf-8")] + ([("Content-Encoding", coding)] if coding else [])
        rec = w.create_warc_record(f"http://bomb.example/{i}.html", "response", payload=io.BytesIO(body),
                                   http_headers=StatusAndHeaders("200 OK", hdrs, protocol="HTTP/1.1"))
        w.write_record(rec)
    path = directory / "bomb.warc.gz"
    path.write_bytes(buf.getvalue())
    return path


def test_decompression_bomb_is_a_reject_and_the_rest_loads(tmp_path):
    inflated = 4 * archive.MAX_RECORD_BYTES
    assert archive.MAX_RECORD_BYTES < 3 * 2**30  # the issue's 3 GiB bomb is over the default budget
    path = _bomb_warc(tmp_path, inflated)
    assert path.stat().st_size < inflated // 500
    got = list(iter_archive(path))
    assert [r.url for r in good(got)] == ["http://bomb.example/0.html", "http://bomb.example/2.html"]
    (d,) = damage(got)
    assert d.code == archive.OVER_BUDGET and "budget" in d.reason and d.resumed_at == good(got)[1].offset
    assert d.url == "http://bomb.example/1.html"  # the reject names the page, not only the offset


def _issue_bomb(directory: Path) -> Path:
    """The issue's bomb: a few KB of .warc.gz whose gzip-encoded payload inflates to 3 GiB.

    Made in seconds: one MiB of zeros deflated and fully flushed is a self-contained block,
    repeated 3,072 times, with the gzip trailer (CRC-32 and size) of the whole 3 GiB."""
    mib, n = 1 << 20, 3 * 1024
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(mib)) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(bytes(mib), crc)
    bomb = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + block * n + c.flush(zlib.Z_FINISH) + \
        struct.pack("<II", crc, (n * mib) & 0xFFFFFFFF)
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for i, (body, coding) in enumerate(((page(0), None), (bomb, "gzip"), (page(2), None))):
        hdrs = [("Content-Type", "text/html; charset=utf-8")] + ([("Content-Encoding", coding)] if coding else [])
        w.write_record(w.create_warc_record(f"http://bomb.example/{i}.html", "response", payload=io.BytesIO(body),
                                            http_headers=StatusAndHeaders("200 OK", hdrs, protocol="HTTP/1.1")))
    path = directory / "bomb3g.warc.gz"
    path.write_bytes(buf.getvalue())
    return path


#: reads a file with iter_archive under an address-space limit of what the process has after start-up
#: plus 1 GiB: reading a 3 GiB payload whole would fail with MemoryError
READ_UNDER_LIMIT = """
import json, resource, sys
from lendcorpus.archive import ArchivedRecord, iter_archive
vm = next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmSize:'))
resource.setrlimit(resource.RLIMIT_AS, (vm + 2**30, resource.RLIM_INFINITY))
out = [[r.url] if isinstance(r, ArchivedRecord) else [r.code, r.reason, r.offset, r.resumed_at]
       for r in iter_archive(sys.argv[1])]
# VmHWM: this process's peak resident memory (ru_maxrss would carry the forking parent's peak over)
hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))
print(json.dumps({"items": out, "peak_kib": hwm}))
"""


def test_the_issues_3_gib_bomb_is_read_in_bounded_memory(tmp_path):
    path = _issue_bomb(tmp_path)
    assert path.stat().st_size < 64 * 1024  # the issue's was 5.6 KB; ours is a few KB too
    with gzip.open(path) as fh:  # and it really holds the 3 GiB payload (WARC layer inflates to ~3 MB)
        assert len(fh.read()) > 3_000_000
    proc = subprocess.run([sys.executable, "-c", READ_UNDER_LIMIT, str(path)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    items = got["items"]
    assert [i[0] for i in items if len(i) == 1] == ["http://bomb.example/0.html", "http://bomb.example/2.html"]
    (d,) = [i for i in items if len(i) > 1]
    assert d[0] == archive.OVER_BUDGET and "compression bomb" in d[1] and d[3] is not None
    assert got["peak_kib"] < 1024 * 1024  # never near the 3 GiB


def test_record_over_budget_at_warc_level(tmp_path):
    path, _ = our_warc(tmp_path)
    got = list(iter_archive(path, max_record_bytes=len(page(0)) + 40))  # a block is head + body
    assert not good(got) and {d.code for d in damage(got)} == {archive.OVER_BUDGET}
    assert len(damage(got)) == N


def _build(db: Path, root: Path, *files: Path):
    return Build(db, root=root).run(files=list(files))


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_build_names_damage_and_never_doubles_rejects(tmp_path):
    src, _ = our_warc(tmp_path / "src", empty=1)
    root = tmp_path / "archive"
    root.mkdir()
    plain = root / "p.warc"
    data = plain_bytes(src)
    cut = data.index(b"<html>", data.rindex(b"WARC/1.1\r\nWARC-Type: response")) + 20
    plain.write_bytes(data[:cut])  # a file still being written
    (root / "notes.warc.gz").write_bytes(b"just some text\n" * 50)
    bomb = _bomb_warc(root, 4 * archive.MAX_RECORD_BYTES)
    db = tmp_path / "c.duckdb"
    files = [plain, root / "notes.warc.gz", bomb]
    _build(db, root, *files)
    reasons = dict(_rows(db, "SELECT stage || ':' || reason, count(*) FROM rejects GROUP BY 1"))
    assert reasons == {"archive:truncated_record": 1, "archive:not_a_warc": 1, "archive:record_over_budget": 1,
                       "extract:empty_body": 1, "extract:too_short": 2}  # too_short: the bomb file's pages
    # damage whose WARC header was read names its URL; bytes that are no record have none
    assert dict(_rows(db, "SELECT reason, url FROM rejects WHERE stage = 'archive'")) == {
        "truncated_record": None, "not_a_warc": None, "record_over_budget": "http://bomb.example/1.html"}
    assert _rows(db, "SELECT count(*) FROM fetches WHERE url = ''") == [(0,)]
    before = _rows(db, "SELECT count(*) FROM fetches")[0][0]
    all_rejects = _rows(db, "SELECT count(*) FROM rejects")[0][0]
    _build(db, root, *files)  # nothing new: nothing doubles
    assert _rows(db, "SELECT count(*) FROM rejects")[0][0] == all_rejects
    plain.write_bytes(data)  # the writer finished the file
    _build(db, root, *files)
    assert _rows(db, "SELECT count(*) FROM fetches")[0][0] == before + 1
    reasons = dict(_rows(db, "SELECT stage || ':' || reason, count(*) FROM rejects GROUP BY 1"))
    assert reasons == {"archive:not_a_warc": 1, "archive:record_over_budget": 1, "extract:empty_body": 1,
                       "extract:too_short": 2}
    assert _rows(db, "SELECT count(*) FROM fetches WHERE archive_path LIKE '%p.warc'")[0][0] == N
