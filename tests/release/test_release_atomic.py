"""A release appears all at once: a release process killed before its final rename leaves a hidden
partial folder that is not a release (verify refuses it, it blocks no version, it is never the next
release's previous version) and that the next release removes."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lc_testkit import REPO, run_cli


def _small_corpus(db: Path) -> Path:
    spec = importlib.util.spec_from_file_location("analysis_corpus", REPO / "tests" / "analysis" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.make_small_corpus(db)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return _small_corpus(tmp_path_factory.mktemp("atomic") / "corpus.duckdb")


#: a real `lendcorpus release` process that SIGKILLs itself at the instant it would rename its
#: finished folder into place: the worst moment, when the hidden folder already holds a manifest.
KILL_AT_RENAME = textwrap.dedent("""
    import os, signal, sys
    from lendcorpus import cli
    real = os.replace
    def replace(src, dst, *a, **k):
        if ".partial-" in str(src):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(src, dst, *a, **k)
    os.replace = replace
    sys.exit(cli.main(sys.argv[1:]))
""")


def _release_killed_at_rename(corpus: Path, version: str, out: Path) -> Path:
    proc = subprocess.run([sys.executable, "-c", KILL_AT_RENAME, "release", "--db", str(corpus), "--version",
                           version, "--out", str(out), "--workers", "1"], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    partials = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.partial-")]
    assert len(partials) == 1 and (partials[0] / "manifest.json").is_file()
    assert not out.exists()
    return partials[0]


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_killed_release_is_never_a_release_and_is_cleaned_up(corpus, tmp_path):
    rels = tmp_path / "releases"
    run_cli("release", "--db", str(corpus), "--version", "1", "--out", str(rels / "1"), "--workers", "1")
    partial = _release_killed_at_rename(corpus, "2", rels / "2")
    assert _manifest(partial)["version"] == "2"  # complete-looking: only its name says otherwise

    proc = run_cli("release", "verify", str(partial), check=False)
    assert proc.returncode == 1 and "partial folder" in proc.stdout and "OK" not in proc.stdout

    # version 3 is written while the dead one lies there: its previous version is 1, not the partial 2
    proc = run_cli("release", "--db", str(corpus), "--version", "3", "--out", str(rels / "3"), "--workers", "1")
    assert _manifest(rels / "3")["previous_version"] == "1"
    assert "removed" in proc.stderr and not partial.exists()  # and the dead writer's folder is gone

    # version 2 was never released: it can still be
    run_cli("release", "--db", str(corpus), "--version", "2", "--out", str(rels / "2"), "--workers", "1")
    assert _manifest(rels / "2")["previous_version"] == "1"
    assert "OK" in run_cli("release", "verify", str(rels / "2")).stdout
    assert sorted(p.name for p in rels.iterdir()) == ["1", "2", "3"]


def test_partial_of_a_running_release_is_left_alone(corpus, tmp_path):
    """The cleanup removes only folders whose writer is gone: it asks the writer's lock, not the PID."""
    from lendcorpus.release.writer import lock_folder, remove_stale_partials

    rels = tmp_path / "releases"
    live = rels / f".9.partial-{os.getpid()}"
    (live / "data").mkdir(parents=True)
    fd = lock_folder(live)
    try:
        dead = rels / ".8.partial-1"  # pid 1 is alive, but holds no lock on it: stale
        dead.mkdir()
        (dead / "manifest.json").write_text('{"version": "8"}', encoding="utf-8")
        assert remove_stale_partials(rels) == [dead]
        assert live.is_dir() and not dead.exists()
    finally:
        os.close(fd)
    assert remove_stale_partials(rels) == [live]


def test_release_killed_from_outside_mid_write(corpus, tmp_path):
    """SIGKILL from another process as soon as the hidden folder appears: no release, no blocked version."""
    rels = tmp_path / "releases"
    rels.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "lendcorpus.cli", "release", "--db", str(corpus), "--version",
                             "5", "--out", str(rels / "5"), "--workers", "1"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.name.startswith(".5.partial-") for p in rels.iterdir()):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if proc.returncode == 0:  # too quick to catch mid-write on this machine: the release must be whole
        assert "OK" in run_cli("release", "verify", str(rels / "5")).stdout
        return
    assert not (rels / "5").exists()
    from lendcorpus.release.build import sibling_releases

    assert sibling_releases(rels) == {}
    run_cli("release", "--db", str(corpus), "--version", "5", "--out", str(rels / "5"), "--workers", "1")
    assert sorted(p.name for p in rels.iterdir()) == ["5"]
