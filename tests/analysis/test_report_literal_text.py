"""The report draws any text literally: reject reasons, platform and source names with `$…$`
(matplotlib's mathtext), backslashes, braces, carets, percent signs, markup and control characters."""

from __future__ import annotations

import html
import shutil

import pytest

from lc_testkit import run_cli

NASTY = [
    "price $x^2$ too high",
    "$\\frac{1}{0}$",
    "unbalanced $ dollar",
    "$$",
    "\\mathrm{oops",
    "50% {x} _y_ ^z ~w #h &a",
    "<script>alert(1)</script>",
    "tab\there\nnewline",
    "bell\x07 and nul\x00",
    "emoji 😀 and 逾期 $催收$",
    "r'\\n' \\\\ double",
]


@pytest.fixture()
def nasty_corpus(tmp_path, small_corpus):
    from lendcorpus.corpus import connect_write

    db = tmp_path / "corpus.duckdb"
    shutil.copy(small_corpus, db)
    con = connect_write(db)
    for reason in NASTY:
        con.execute("INSERT INTO rejects (url, stage, reason) VALUES ('https://x.example/n', 'parse', ?)", [reason])
    con.execute("UPDATE documents SET source = 'farm$a$' WHERE doc_id = 'farm2:1'")
    con.close()
    return db


@pytest.mark.parametrize("font", ["auto", "none"])
def test_report_renders_special_characters_literally(nasty_corpus, tmp_path, font):
    out = tmp_path / f"report-{font}"
    proc = run_cli("report", "--db", str(nasty_corpus), "--out", str(out), "--font", font, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = (out / "report.html").read_text(encoding="utf-8")
    for reason in NASTY:
        # every reason is in the table under the rejects chart, escaped once, never as markup
        assert html.escape(f"parse:{reason}") in page, reason
    assert "<script>alert(1)</script>" not in page
    assert "farm$a$" in page
    assert all((out / f"{k}.png").stat().st_size > 1000 for k in ("rejects", "sources", "dedup"))


def test_chart_text_is_not_parsed_as_math(small_corpus):
    """The drawn tick label is the reason as written: `$x^2$` keeps its dollars (mathtext would drop them)."""
    from matplotlib import rc_context

    from lendcorpus.analysis import report

    with rc_context(report.LITERAL_TEXT):
        fig = report._figure()
        ax = fig.add_subplot()
        ax.barh(["price $x^2$ too high"], [1])
        report._png(fig)
        labels = [t for t in ax.get_yticklabels() if t.get_text()]
        assert labels and labels[0].get_text() == "price $x^2$ too high"
        assert not labels[0]._preprocess_math(labels[0].get_text())[1]  # drawn as plain text
