"""lendcorpus report: one self-contained HTML file plus a PNG per chart; empty corpus; fonts."""

from __future__ import annotations

import hashlib
import re

import pytest

from lc_testkit import run_cli
from lendcorpus.analysis.report import ascii_label, find_cjk_font, write_report
from lendcorpus.corpus import connect_read

CHARTS = ["platforms", "months", "practices", "matrix", "sources", "dedup", "rejects", "runs"]
HAN = re.compile(r"[\u3400-\u9fff]")


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_report_command_writes_self_contained_page_and_pngs(small_corpus, tmp_path):
    before = _sha(small_corpus)
    out = tmp_path / "rep"
    proc = run_cli("report", "--db", str(small_corpus), "--out", str(out))
    assert "report.html" in proc.stdout
    assert _sha(small_corpus) == before  # read-only
    page = (out / "report.html").read_text(encoding="utf-8")
    for key in CHARTS:
        png = (out / f"{key}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5000
        assert f'id="chart-{key}"' in page
    assert page.count("data:image/png;base64,") == len(CHARTS)
    assert re.findall(r'data-empty="(\w+)"', page) == ["false"] * len(CHARTS)
    # nothing the browser would fetch: no external scripts, styles, images or fonts
    assert not re.search(r'(src|href)="(https?:)?//', page) and "<link" not in page and "@import" not in page
    assert "借呗" in page and "heimao" in page  # numbers tables keep the original names


def test_empty_corpus_gives_no_data_charts(empty_corpus, tmp_path):
    con = connect_read(empty_corpus)
    result = write_report(con, tmp_path / "rep")
    con.close()
    page = result.html_path.read_text(encoding="utf-8")
    assert re.findall(r'data-empty="(\w+)"', page) == ["true"] * len(CHARTS)
    assert [p.name for p in result.png_paths] == [f"{k}.png" for k in CHARTS]
    assert all(p.stat().st_size > 2000 for p in result.png_paths)


def test_missing_corpus_is_an_error_not_a_traceback(tmp_path):
    proc = run_cli("report", "--db", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "r"), check=False)
    assert proc.returncode == 3 and "no corpus" in proc.stderr and "Traceback" not in proc.stderr


def test_cjk_font_is_found_and_no_glyph_is_missing(small_corpus, tmp_path):
    font = find_cjk_font()
    if font is None:
        pytest.fail("no CJK font installed: run .ci/chromium.sh (installs fonts-noto-cjk)")
    con = connect_read(small_corpus)
    result = write_report(con, tmp_path / "rep")
    con.close()
    assert result.font == font and result.missing_glyph_warnings == 0
    assert "pinyin" not in result.html_path.read_text(encoding="utf-8")


def test_without_cjk_font_labels_are_pinyin_and_the_report_says_so(small_corpus, tmp_path, monkeypatch):
    import lendcorpus.analysis.report as report

    seen: list[str] = []
    real = report._chart_practices

    def spy(rows, c_total, d_total, lab):
        seen.extend(lab(f"{code} {name}", code) for code, name, *_ in rows)
        seen.append(lab("借呗", ""))
        return real(rows, c_total, d_total, lab)

    monkeypatch.setattr(report, "_chart_practices", spy)
    con = connect_read(small_corpus)
    result = write_report(con, tmp_path / "rep", font="none")
    con.close()
    assert result.font is None and result.missing_glyph_warnings == 0
    assert "ADDRESS_BOOK" in seen and "jie bei" in seen and not any(HAN.search(s) for s in seen)
    assert "shown as pinyin or ids" in result.html_path.read_text(encoding="utf-8")


def test_ascii_label():
    assert ascii_label("借呗") == "jie bei"
    assert ascii_label("360借条") == "360 jie tiao"
    assert ascii_label("ＡＢ：") == "AB:"
