"""Failed fetches must not replay as pages: checked with pywb itself, on loopback.

Finding (issue 13): pywb's indexer indexes every ``metadata`` record whose Content-Type is not
``application/warc-fields``, and its replay serves such a record's block as a 200 page. The
crawl writes a failed fetch (robots_forbidden, timeout, ...) as ``metadata`` with an
``application/json`` block and the URL in ``WARC-Target-URI``, so pywb shows a page that was
never fetched. The fix belongs to the writer: a ``metadata`` record in ``application/warc-fields``
(the WARC standard's format for metadata) is neither indexed nor replayed. These tests pin that
down with pywb and check that our reader reads that form the same (URL, reason), so the writer
can switch without touching the build.

pywb pins redis 2.x, which scrapy-redis cannot share, so it lives in a venv of its own that
``.ci/pywb.sh`` makes (``$LENDCORPUS_PYWB_VENV``, default ``~/.cache/lendcorpus/pywb-venv``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lendcorpus.archive import (
    H_ERROR,
    ArchivedRecord,
    Exchange,
    RotatingWarcWriter,
    _gzip_member,
    iter_archive,
    serialize_record,
)

VENV = Path(os.environ.get("LENDCORPUS_PYWB_VENV") or Path.home() / ".cache" / "lendcorpus" / "pywb-venv")
STAMP = "20231114221320"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def pywb(tmp_path):
    wayback, manager = VENV / "bin" / "wayback", VENV / "bin" / "wb-manager"
    assert wayback.exists(), f"pywb is not installed at {VENV}: run `bash .ci/pywb.sh` (CI does)"
    subprocess.run([str(manager), "init", "t"], cwd=tmp_path, check=True, capture_output=True)

    def serve(*warcs: Path) -> str:
        subprocess.run([str(manager), "add", "t", *map(str, warcs)], cwd=tmp_path, check=True, capture_output=True)
        port = _free_port()
        proc = subprocess.Popen([str(wayback), "-b", "127.0.0.1", "-p", str(port)], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, "pywb exited"
                time.sleep(0.1)
        return f"http://127.0.0.1:{port}/t/{STAMP}id_/"

    procs: list[subprocess.Popen] = []
    yield serve
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def status(base: str, url: str) -> int:
    try:
        with urllib.request.urlopen(base + url, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_failed_fetch_as_warc_fields_metadata_is_not_replayed(pywb, tmp_path):
    from lendcorpus.crawler.middlewares import RunWarcWriter

    # the crawl's own writer: one response, and a robots_forbidden fetch that got none
    w = RunWarcWriter(tmp_path / "warcs", "pw", warcinfo={"spider": "t", "run": "r"})
    w.write(Exchange(url="https://tousu.example/ok.html", method="GET", request_headers=[], request_body=b"",
                     status=200, response_headers=[("Content-Type", "text/html; charset=utf-8")],
                     body="<html><body>好</body></html>".encode(), fetched_at=1_700_000_000.0))
    w.write(Exchange(url="https://tousu.example/private/1.html", method="GET", request_headers=[], request_body=b"",
                     status=None, response_headers=[], body=b"", fetched_at=1_700_000_000.0,
                     error="robots_forbidden"))
    path = w.current_path
    w.close()
    # a bare warc-fields record with no lendcorpus header (another crawler's): read from the fields
    _, bare = serialize_record("metadata", "https://tousu.example/private/2.html",
                               b"fetch-error: timeout\r\n", "application/warc-fields",
                               date="2023-11-14T22:13:20.000000Z")
    with open(path, "ab") as fh:
        fh.write(_gzip_member(bare))
    base = pywb(path)
    assert status(base, "https://tousu.example/ok.html") == 200  # the replay works
    assert status(base, "https://tousu.example/private/1.html") != 200
    assert status(base, "https://tousu.example/private/2.html") != 200
    got = {r.url: r for r in iter_archive(path) if isinstance(r, ArchivedRecord)}
    assert got["https://tousu.example/private/1.html"].error == "robots_forbidden"
    assert got["https://tousu.example/private/2.html"].error == "timeout"  # no header: read from the fields
    assert got["https://tousu.example/private/1.html"].status is None
