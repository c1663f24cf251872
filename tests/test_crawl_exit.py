"""`lendcorpus crawl` says how it went: exit 5 when nothing could be fetched, 1 when every spider was
blocked (or one stopped early), 0 otherwise; and a one-screen summary with pages, archived, rejects
by reason, blocks and the run folder. Real crawls over loopback."""

from __future__ import annotations

import socket

from lc_testkit import FAST, run_cli


def _dead_port() -> int:
    """A loopback port nobody listens on (bound, then closed: connections to it are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _summary(stderr: str) -> str:
    return stderr[stderr.rindex("crawl summary"):]


def test_nothing_fetched_exits_5_with_a_summary(tmp_path):
    home = tmp_path / "home"
    proc = run_cli("crawl", "jiedai_baike", "--replay", f"127.0.0.1:{_dead_port()}", *FAST,
                   env={"LENDCORPUS_HOME": str(home)}, check=False)
    assert proc.returncode == 5, proc.stderr[-3000:]
    text = _summary(proc.stderr)
    run_dir = next((home / "archive" / "jiedai_baike").iterdir())
    assert "jiedai_baike: finished · pages 0 (usable 0)" in text
    assert "rejects 2: connection_refused 2" in text  # robots.txt and the start page, both archived
    assert f"run folder: {run_dir}" in text
    assert "FAILED (exit 5): nothing could be fetched by jiedai_baike (connection_refused)" in text
    assert len(text.splitlines()) <= 24  # one screen


def test_every_spider_blocked_exits_1_with_a_summary(tmp_path):
    from lendcorpus_replay.server import ReplayProcess

    home = tmp_path / "home"
    with ReplayProcess() as server:
        proc = run_cli("crawl", "tieba", "--replay", server.address, "-a", "forums=黑户", *FAST,
                       "-s", "LENDCORPUS_BLOCK_RETRIES=1", env={"LENDCORPUS_HOME": str(home)}, check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    text = _summary(proc.stderr)
    assert "tieba: STOPPED: blocked_block_page" in text
    assert "rejects 2: block_page 2" in text
    assert "blocked: block_page — resume later with --job" in text
    assert "FAILED (exit 1): every spider was blocked" in text


def test_a_good_crawl_exits_0_with_the_same_summary(tmp_path, replay):
    home = tmp_path / "home"
    proc = run_cli("crawl", "jiedai_baike", "--replay", replay.address, *FAST, env={"LENDCORPUS_HOME": str(home)})
    text = _summary(proc.stderr)
    assert "jiedai_baike: finished · pages" in text and "(usable 0)" not in text
    assert "documents 0" not in text and text.rstrip().endswith("ok (exit 0)\njiedai_baike: finished")
    assert "robots_forbidden 1" in text


def test_failed_fetch_is_not_a_capture_for_replay_tools(tmp_path, replay):
    """A page refused by robots.txt (or timed out) is archived as a WARC `metadata` record of
    `application/warc-fields`: pywb's indexer leaves such records out, so the refusal is not replayed
    as a 200 page (as JSON it was; checked by hand with pywb 2.10, docs/architecture.md). lendcorpus
    still reads the reason and the build still counts the reject."""
    from lc_testkit import archived, query

    home = tmp_path / "home"
    run_cli("crawl", "jiedai_baike", "--replay", replay.address, *FAST, env={"LENDCORPUS_HOME": str(home)})
    failed = [r for r in archived(home / "archive") if r.rec_type == "metadata"]
    assert {r.error for r in failed} >= {"robots_forbidden"}
    for r in failed:
        assert r.warc_headers["Content-Type"] == "application/warc-fields" and r.status is None
        assert r.body.decode().startswith(f"fetch-error: {r.error}\r\n")
    run_cli("build", env={"LENDCORPUS_HOME": str(home)})
    assert ("fetch", "robots_forbidden") in query(home / "corpus.duckdb", "SELECT stage, reason FROM rejects")


def test_every_spider_against_a_dead_port_fits_one_screen(tmp_path):
    from lendcorpus.commands.crawl import project_settings, spider_names

    home = tmp_path / "home"
    proc = run_cli("crawl", "all", "--replay", f"127.0.0.1:{_dead_port()}", *FAST,
                   env={"LENDCORPUS_HOME": str(home)}, check=False)
    assert proc.returncode == 5, proc.stderr[-3000:]
    text = _summary(proc.stderr)
    names = spider_names(project_settings())
    assert len(names) >= 5 and all(f"  {n}: finished · pages 0 (usable 0)" in text for n in names)
    assert f"run folders: {home / 'archive'}/<spider>/<run>" in text
    # two lines a spider plus three: one 24-line screen for the ten spiders of today
    assert len(text.splitlines()) <= 2 * len(names) + 3, text


def test_every_fetch_answered_with_an_http_error_exits_5(tmp_path):
    """The server answers, but only 503: nothing usable was fetched, so the crawl did not work."""
    import http.server
    import threading

    class Down(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(503)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>down for maintenance</html>")

        def log_message(self, *args):
            """Quiet: the test reads the crawl's output, not the server's log."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Down)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        home = tmp_path / "home"
        proc = run_cli("crawl", "jiedai_baike", "--replay", f"127.0.0.1:{server.server_address[1]}", *FAST,
                       env={"LENDCORPUS_HOME": str(home)}, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 5, proc.stderr[-3000:]
    text = _summary(proc.stderr)
    assert "(usable 0)" in text and "rejects 2: http_503 2" in text
    assert "FAILED (exit 5): nothing could be fetched by jiedai_baike (http_503)" in text
