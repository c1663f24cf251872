"""Open the report in headless Chromium (Debian's package) and check every chart really drew.

The page's inline script writes each chart's rendered size into ``data-rendered`` once it has
loaded; ``--dump-dom`` prints the DOM after that. A screenshot checks the pixels are not blank.
Chromium missing is a failure, not a skip: CI installs it with .ci/chromium.sh.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from lc_testkit import run_cli

CHARTS = ["platforms", "months", "practices", "matrix", "sources", "dedup", "rejects", "runs"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium is not installed: run .ci/chromium.sh (apt-get install chromium fonts-noto-cjk)")


def _run_chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium-profile'}",
             "--virtual-time-budget=5000"]
    return subprocess.run([_chromium(), *flags, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def report_page(small_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("browser-report")
    run_cli("report", "--db", str(small_corpus), "--out", str(out))
    return out / "report.html"


def test_every_chart_renders_with_nonzero_size(report_page, tmp_path):
    proc = _run_chromium(tmp_path, "--window-size=1200,900", "--dump-dom", report_page.as_uri())
    dom = proc.stdout
    assert proc.returncode == 0 and "<figure" in dom, proc.stderr[-2000:]
    rendered = dict(re.findall(r'<figure class="chart" id="chart-(\w+)"[^>]*?data-rendered="([^"]*)"', dom))
    assert sorted(rendered) == sorted(CHARTS), dom[:2000]
    for key, size in rendered.items():
        m = re.fullmatch(r"(\d+)x(\d+)", size)
        assert m and int(m.group(1)) > 200 and int(m.group(2)) > 100, (key, size)
    assert f'data-charts-rendered="{len(CHARTS)}/{len(CHARTS)}"' in dom


def test_screenshot_is_not_blank(report_page, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    proc = _run_chromium(tmp_path, "--window-size=1100,1600", f"--screenshot={shot}", report_page.as_uri())
    assert shot.exists(), proc.stderr[-2000:]
    img = Image.open(shot).convert("RGB")
    assert img.size == (1100, 1600)
    colors = img.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # charts: bars in several colours, anti-aliased text
    non_white = sum(n for n, c in colors if c != (255, 255, 255))
    assert non_white > 0.03 * img.size[0] * img.size[1]
