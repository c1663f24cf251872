"""The WARC archive: what is written can be read back exactly, and damage loses only itself."""

from __future__ import annotations

import gzip
import io
import time
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from lendcorpus.archive import (
    ArchiveDamage,
    ArchivedRecord,
    Exchange,
    RotatingWarcWriter,
    iter_archive,
    read_record,
    warc_files,
)


def exchange(i: int, status: int | None = 200, body: bytes | None = None) -> Exchange:
    return Exchange(
        url=f"https://www.jiedai-baike.example/a/{1000 + i}.html",
        method="GET",
        request_headers=[("User-Agent", "test")],
        request_body=b"",
        status=status,
        response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
        body=body if body is not None else f"<html><body><p>第{i}篇 催收</p></body></html>".encode(),
        fetched_at=time.time(),
        fingerprint=f"{i:040x}",
        kind="article",
        error="timeout" if status is None else "",
    )


def write(tmp_path: Path, n: int, max_bytes: int = 10**9) -> list[tuple[Path, int, int]]:
    w = RotatingWarcWriter(tmp_path, "t-w0", max_bytes=max_bytes, warcinfo={"spider": "t", "run": "r1"})
    spots = [w.write(exchange(i, status=None if i == 2 else 200)) for i in range(n)]
    w.close()
    return spots


def records(path: Path) -> list:
    return list(iter_archive(path))


def test_roundtrip_keeps_body_url_status_and_our_headers(tmp_path):
    spots = write(tmp_path, 5)
    got = records(spots[0][0])
    assert [type(r) for r in got] == [ArchivedRecord] * 5
    assert [r.offset for r in got] == [s[1] for s in spots]
    first = got[0]
    assert first.url == "https://www.jiedai-baike.example/a/1000.html"
    assert first.status == 200
    assert first.body == exchange(0).body
    assert first.fingerprint == f"{0:040x}"
    assert first.warc_headers["X-Lendcorpus-Spider"] == "t"
    # the stored body is decoded, so transfer headers must describe it, not the wire
    assert first.header("Content-Encoding") is None
    assert first.header("Content-Length") == str(len(first.body))
    failed = got[2]
    assert failed.rec_type == "metadata" and failed.status is None and failed.error == "timeout"


def test_read_record_at_offset(tmp_path):
    spots = write(tmp_path, 4)
    rec = read_record(spots[3][0], spots[3][1])
    assert rec.url.endswith("/a/1003.html") and rec.body == exchange(3).body


def test_rotation_by_size_and_never_appending(tmp_path):
    write(tmp_path, 12, max_bytes=2500)
    files = warc_files(tmp_path)
    assert len(files) > 2
    assert sum(len(records(f)) for f in files) == 12
    # a second writer (a resumed run) starts a new file instead of appending to a possibly cut one
    before = {f: f.stat().st_size for f in files}
    write(tmp_path, 1, max_bytes=2500)
    after = warc_files(tmp_path)
    assert len(after) == len(files) + 1
    assert all(f.stat().st_size == size for f, size in before.items())


def test_truncated_file_keeps_every_intact_record(tmp_path):
    spots = write(tmp_path, 5)
    path = spots[0][0]
    data = path.read_bytes()
    cut_at = spots[4][1] + 100  # in the middle of the last record
    path.write_bytes(data[:cut_at])
    got = records(path)
    assert [r.url[-9:] for r in got if isinstance(r, ArchivedRecord)] == [
        "1000.html", "1001.html", "1002.html", "1003.html"]
    damage = [r for r in got if isinstance(r, ArchiveDamage)]
    assert len(damage) == 1 and damage[0].offset == spots[4][1] and damage[0].resumed_at is None
    assert "truncated" in damage[0].reason


def test_corrupt_middle_is_skipped_and_reading_goes_on(tmp_path):
    spots = write(tmp_path, 5)
    path = spots[0][0]
    data = bytearray(path.read_bytes())
    start = spots[1][1]
    data[start + 30: start + 90] = b"\x00" * 60
    path.write_bytes(bytes(data))
    got = records(path)
    ok = [r.url[-9:] for r in got if isinstance(r, ArchivedRecord)]
    assert ok == ["1000.html", "1002.html", "1003.html", "1004.html"]
    assert any(isinstance(r, ArchiveDamage) and r.resumed_at is not None for r in got)


def test_foreign_warcs_plain_and_gzip(tmp_path):
    """WARC files from other crawlers (no lendcorpus headers, maybe uncompressed) read the same."""
    for name, use_gzip in (("other.warc", False), ("other.warc.gz", True)):
        buf = io.BytesIO()
        w = WARCWriter(buf, gzip=use_gzip)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=gbk")], protocol="HTTP/1.0")
        rec = w.create_warc_record("http://news.example.cn/a.html", "response",
                                   payload=io.BytesIO("新闻".encode("gbk")), http_headers=http)
        w.write_record(rec)
        (tmp_path / name).write_bytes(buf.getvalue())
        got = records(tmp_path / name)
        assert len(got) == 1 and got[0].status == 200 and got[0].body == "新闻".encode("gbk")
        assert got[0].fingerprint == ""


def test_each_record_is_its_own_gzip_member(tmp_path):
    spots = write(tmp_path, 3)
    data = spots[0][0].read_bytes()
    # seeking to any recorded offset lands on a gzip member that starts a WARC record
    for _, offset, length in spots:
        assert gzip.decompress(data[offset:offset + length])[:8] == b"WARC/1.1"
