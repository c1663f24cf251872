"""A real local Ray cluster for tests: a head node and one more worker node, each a ``ray start
--block`` process of its own (its own raylet and object store) on 127.0.0.1, in a temporary
directory, with token authentication (a fresh token per cluster: Ray's servers listen on every
interface, so the token is what keeps others out). Stopped by killing exactly the process groups started here (never ``ray stop``, which
would stop every Ray process of the user on the machine)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")
#: Bytes of object store per node (Ray's minimum is 75 MiB; results of a test archive are small).
OBJECT_STORE = 100 * 2**20


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class LocalRayCluster:
    """``with LocalRayCluster() as cluster:`` a head plus ``workers`` worker nodes at
    ``cluster.address``; drivers need ``cluster.env`` in their environment."""

    def __init__(self, workers: int = 1, cpus_per_node: int = 1):
        self.workers = workers
        self.cpus = cpus_per_node
        self.procs: list[subprocess.Popen] = []
        # short: Ray's unix socket paths live below it and must stay under 108 bytes
        self.tmp = Path(tempfile.mkdtemp(prefix="lcray", dir="/tmp"))
        self.address = ""
        #: what a driver needs in its environment to join (the nodes get the same)
        self.env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
                    "RAY_USAGE_STATS_ENABLED": "0"}

    def _start(self, extra: list[str], name: str) -> subprocess.Popen:
        obj, node, agent, grpc, env, metrics = _free_ports(6)
        cmd = [str(RAY), "start", "--block", "--node-ip-address=127.0.0.1", f"--num-cpus={self.cpus}",
               f"--object-store-memory={OBJECT_STORE}", f"--temp-dir={self.tmp}", "--disable-usage-stats",
               f"--object-manager-port={obj}", f"--node-manager-port={node}",
               f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={grpc}",
               f"--runtime-env-agent-port={env}", f"--metrics-export-port={metrics}",
               "--min-worker-port=0", "--max-worker-port=0", *extra]  # workers: any free port
        log = open(self.tmp / f"{name}.log", "wb")
        env_vars = {**os.environ, **self.env}
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env_vars)
        self.procs.append(proc)
        return proc

    def _nodes_alive(self) -> int:
        """Active nodes as the head's autoscaler reports them (``ray status`` asks the GCS; the
        state API would need the dashboard, which these nodes do not start)."""
        out = subprocess.run([str(RAY), "status", f"--address={self.address}"], capture_output=True, text=True,
                             timeout=60, env={**os.environ, **self.env})
        if out.returncode or "Active:" not in out.stdout:
            return 0
        active = out.stdout.split("Active:", 1)[1].split("Pending:", 1)[0]
        return sum(1 for line in active.splitlines() if line.strip().split(" ")[-1].startswith("node_"))

    def __enter__(self) -> "LocalRayCluster":
        (gcs,) = _free_ports(1)
        self.address = f"127.0.0.1:{gcs}"
        try:
            self._start(["--head", f"--port={gcs}", "--include-dashboard=false"], "head")
            self._wait_for(1)
            for i in range(self.workers):
                self._start([f"--address={self.address}"], f"worker{i}")
            self._wait_for(1 + self.workers)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for(self, nodes: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"a Ray node exited at start-up: {self.log_tail()}")
            if self._nodes_alive() >= nodes:
                return
            time.sleep(1.0)
        raise RuntimeError(f"the Ray cluster did not reach {nodes} nodes: {self.log_tail()}")

    def log_tail(self) -> str:
        return "\n".join((p.read_text(errors="replace")[-1500:]) for p in sorted(self.tmp.glob("*.log")))

    def stop(self) -> None:
        """SIGTERM each node's process group (``ray start --block`` stops its own processes on it),
        then SIGKILL whatever of those groups is left."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for p in reversed(self.procs):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and any(p.poll() is None for p in self.procs):
                time.sleep(0.2)
        self.procs.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        self.stop()
