"""The offline replay: a loopback HTTP server that answers for the real hosts.

None of the real sources can be reached from our machines, so spiders keep their real URLs and a
download handler (``lendcorpus.crawler.replay_handler.ReplayAwareDownloadHandler``) sends each
request here with the real host in the ``Host`` header. This server picks the site folder named
after that host and serves its files; ``_routes.toml`` in a folder adds statuses, lying
Content-Types, empty bodies, redirects and delays (see docs/adding-a-site.md).

It runs in its own process (``lendcorpus replay``) so that benchmarks measure Scrapy, not a
server sharing Scrapy's interpreter lock.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from lendcorpus_replay import SITES_DIR

DEFAULT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}

NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"


@dataclass
class Route:
    path: str
    file: str | None = None
    status: int = 200
    content_type: str | None = None
    body: bytes | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Site:
    """One real host's recorded shapes: its folder plus the routes declared for it.

    A folder may also hold ``_handler.py`` with ``handle(method, target, headers, body)``
    returning ``(status, headers, body)`` or None. It answers first, so API endpoints can check
    signatures, page through generated data and return the real error envelopes; None falls
    through to routes and files.
    """

    host: str
    root: Path
    routes: dict[str, Route]
    handler: object = None

    @classmethod
    def load(cls, root: Path) -> "Site":
        routes: dict[str, Route] = {}
        spec = root / "_routes.toml"
        if spec.exists():
            data = tomllib.loads(spec.read_text(encoding="utf-8"))
            for raw in data.get("route", []):
                body = raw.get("body")
                routes[raw["path"]] = Route(
                    path=raw["path"],
                    file=raw.get("file"),
                    status=int(raw.get("status", 200)),
                    content_type=raw.get("content_type"),
                    body=body.encode("utf-8") if isinstance(body, str) else None,
                    delay=float(raw.get("delay", 0.0)),
                    headers={str(k): str(v) for k, v in raw.get("headers", {}).items()},
                )
        handler = None
        if (root / "_handler.py").exists():
            import importlib.util

            spec = importlib.util.spec_from_file_location(f"replay_handler_{root.name.replace('.', '_')}",
                                                          root / "_handler.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            handler = module.handle
        return cls(host=root.name, root=root, routes=routes, handler=handler)

    def resolve(self, target: str) -> tuple[int, dict[str, str], bytes, float]:
        """Answer one request target (path + query) as (status, headers, body, delay)."""
        split = urlsplit(target)
        route = self.routes.get(target) or self.routes.get(split.path)
        rel = route.file if route and route.file else split.path.lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        status = route.status if route else 200
        headers = dict(route.headers) if route else {}
        delay = route.delay if route else 0.0
        if route and route.body is not None:
            body = route.body
        else:
            path = (self.root / rel).resolve()
            servable = (
                path.is_file()
                and self.root.resolve() in path.parents
                and not any(part.startswith("_") for part in Path(rel).parts)
            )
            if not servable:
                if route is None or route.file:
                    return 404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND, delay
                body = b""
            else:
                body = path.read_bytes()
        ctype = route.content_type if route and route.content_type else DEFAULT_TYPES.get(
            Path(rel).suffix.lower(), "application/octet-stream"
        )
        headers.setdefault("Content-Type", ctype)
        return status, headers, body, delay


class ReplayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sites_dirs: list[Path], log_path: Path | None = None):
        super().__init__(address, ReplayHandler)
        self.sites: dict[str, Site] = {}
        for sites_dir in sites_dirs:
            for child in sorted(Path(sites_dir).iterdir()):
                if child.is_dir() and not child.name.startswith(("_", ".")):
                    self.sites[child.name.lower()] = Site.load(child)
        self._log = open(log_path, "a", buffering=1, encoding="utf-8") if log_path else None
        self._log_lock = threading.Lock()

    def log_request_line(self, host: str, method: str, target: str, status: int) -> None:
        if self._log is None:
            return
        line = json.dumps({"t": time.time(), "host": host, "method": method, "target": target, "status": status})
        with self._log_lock:
            self._log.write(line + "\n")


class ReplayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lendcorpus-replay/1"
    server: ReplayServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet by design
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else b""
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        site = self.server.sites.get(host)
        answer = None
        if site is None:
            status, headers, body, delay = 502, {"Content-Type": "text/plain; charset=utf-8"}, (
                f"replay has no site for host {host!r}".encode()
            ), 0.0
        elif site.handler is not None:
            try:
                answer = site.handler(self.command, self.path, dict(self.headers.items()), request_body)
            except Exception as exc:  # a broken fixture handler must be visible, not a hung request
                answer = (500, {"Content-Type": "text/plain; charset=utf-8"},
                          f"replay handler error: {type(exc).__name__}: {exc}".encode())
        if answer is not None:
            status, headers, body = answer
            delay = 0.0
        elif site is not None:
            status, headers, body, delay = site.resolve(self.path)
        if delay:
            time.sleep(delay)
        self.server.log_request_line(host, self.command, self.path, status)
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_HEAD = _answer


def serve(sites_dirs: list[Path], host: str = "127.0.0.1", port: int = 0, log_path: Path | None = None) -> None:
    """Serve until SIGTERM/SIGINT; prints ``READY <port>`` once listening (parents wait for it)."""
    server = ReplayServer((host, port), sites_dirs, log_path)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class ReplayProcess:
    """The replay server in a child process, for the demo, tests and benchmarks.

    Use as a context manager; ``.port`` is the loopback port it listens on.
    """

    def __init__(self, sites_dirs: list[Path] | None = None, log_path: Path | None = None, port: int = 0):
        self.sites_dirs = [Path(p) for p in (sites_dirs or [SITES_DIR])]
        self.log_path = log_path
        self.requested_port = port
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ReplayProcess":
        cmd = [sys.executable, "-m", "lendcorpus_replay.server", "--port", str(self.requested_port)]
        for d in self.sites_dirs:
            cmd += ["--sites", str(d)]
        if self.log_path:
            cmd += ["--log", str(self.log_path)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"replay server failed to start: {line!r}")
        self.port = int(line.split()[1])
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> "ReplayProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", action="append", type=Path, help="folder of site folders (repeatable)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path, default=None, help="append one JSON line per request")
    args = parser.parse_args(argv)
    if not args.sites:
        args.sites = [SITES_DIR]
    serve(args.sites, args.host, args.port, args.log)


if __name__ == "__main__":
    main()
