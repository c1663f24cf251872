"""What the report tells beyond the charts: coverage gaps are not zeros, the time span, rejects per
run, the platform × practice matrix with counts, scrubbed example passages, literal text."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path

import pytest

from lendcorpus.analysis.report import covered_months, month_rows, write_report
from lendcorpus.corpus import connect_read, connect_write

from conftest import make_small_corpus

PHONE = "13912345678"  # invented


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    db = make_small_corpus(tmp_path_factory.mktemp("rc") / "corpus.duckdb")
    con = connect_write(db)
    # two crawl runs of one platform with a gap between what they reached: Jan–Feb and Jun–Jul 2024
    for run, started, finished in (("heimao:A", "2024-02-27 00:00:00+00", "2024-02-28 00:00:00+00"),
                                   ("heimao:B", "2024-07-30 00:00:00+00", "2024-07-31 00:00:00+00")):
        con.execute("INSERT INTO crawl_runs (run_id, spider, started_at, finished_at, finish_reason) "
                    "VALUES (?, 'heimao', ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, 'finished')", [run, started, finished])
    rows = [("heimao:10", "A", "2024-01-10 10:00:00+08", 100), ("heimao:11", "A", "2024-02-10 10:00:00+08", 200),
            ("heimao:12", "B", "2024-06-10 10:00:00+08", 300), ("heimao:13", "B", "2024-07-10 10:00:00+08", 400)]
    for cid, run, created, offset in rows:
        con.execute("INSERT INTO complaints (complaint_id, platform, native_id, company, status, created_at, narrative,"
                    " archive_path, archive_offset) VALUES (?, 'heimao', ?, '借呗', 'replied', ?::TIMESTAMPTZ, 'x', "
                    "'w.warc.gz', ?)", [cid, cid.split(':')[1], created, offset])
        con.execute("INSERT INTO fetches (archive_path, archive_offset, archive_length, run_id, url, status) "
                    "VALUES ('w.warc.gz', ?, 1, ?, 'https://x.example/' || ?, 200)", [offset, f"heimao:{run}", cid])
    con.execute("INSERT INTO rejects (url, stage, reason, run_id) VALUES "
                "('https://x.example/a', 'fetch', 'http_404', 'heimao:B'), "
                "('https://x.example/b', 'source', 'price $5$ and $x^2$ <script>', 'heimao:B')")
    # a practice cue next to an (invented) phone number: the example passage must not show it
    extra = f"催收打{PHONE}骚扰"
    con.execute("UPDATE documents SET text_simplified = text_simplified || $x, text = text || $x, "
                "text_main_simplified = CASE WHEN text_main_simplified IS NULL THEN NULL "
                "ELSE text_main_simplified || $x END WHERE doc_id = 'heimao:2'", {"x": extra})
    from lendcorpus.pipelines.tag.corpus_pass import TagPass

    TagPass().run(con, reprocess=True)  # re-tag everything from the changed text
    con.close()
    return db


@pytest.fixture(scope="module")
def page(corpus, tmp_path_factory) -> str:
    con = connect_read(corpus)
    result = write_report(con, tmp_path_factory.mktemp("rep"))
    con.close()
    return result.html_path.read_text(encoding="utf-8")


def test_months_no_crawl_covered_are_gaps_not_zeros(corpus):
    con = connect_read(corpus)
    windows = con.execute("SELECT c.platform, min(c.created_at), max(r.finished_at) FROM complaints c "
                          "JOIN fetches f USING (archive_path, archive_offset) JOIN crawl_runs r USING (run_id) "
                          "GROUP BY c.platform, f.run_id").fetchall()
    total = con.execute("SELECT date_trunc('month', timezone('Asia/Shanghai', created_at))::DATE, count(*) "
                        "FROM complaints WHERE complaint_id LIKE 'heimao:1_' GROUP BY 1").fetchall()
    con.close()
    cov = covered_months(windows)
    rows = {m: (n, c) for m, n, c in month_rows(total, cov)}
    assert rows[dt.date(2024, 1, 1)] == (1, "yes") and rows[dt.date(2024, 2, 1)] == (1, "yes")
    for month in (3, 4, 5):
        assert rows[dt.date(2024, month, 1)] == (None, "no")  # unknown, not zero
    assert rows[dt.date(2024, 7, 1)] == (1, "yes")


def test_month_table_in_page_marks_uncovered_months(page):
    months = page[page.index('id="chart-months"'):page.index('id="chart-practices"')]
    assert re.search(r"<td>2024-04-01</td><td>(None)?</td><td>no</td>", months)
    assert "grey gaps, not zeros" in months


def test_time_span_and_crawl_dates(page):
    span = page[page.index('id="time-span"'):].split("</p>", 1)[0]
    assert "complaints filed 2024-01-10 to" in span
    assert "2 crawl runs from 2024-02-27 to 2024-07-31" in span


def test_rejects_per_run(page):
    runs = page[page.index('id="runs"'):page.index('id="examples"')]
    row = re.search(r"<tr><td>heimao:B</td>.*?</tr>", runs).group(0)
    assert ">2</td>" in row and "fetch:http_404 1" in html.unescape(row)
    assert "<td>(no run)</td>" in runs  # the small corpus's rejects without a run are not lost
    assert 'id="chart-runs"' in page and 'data-chart="runs" data-empty="false"' in page


def test_matrix_counts_and_shares(page):
    matrix = page[page.index('id="chart-matrix"'):page.index('id="chart-sources"')]
    assert 'data-empty="false"' in matrix
    # numbers table: platform, name, complaints (n), practice, with practice, share
    cells = re.findall(r"<tr><td>(\w+)</td><td>[^<]*</td><td class=\"n\">([\d,]+)</td><td>(\w+)</td>"
                       r"<td class=\"n\">([\d,]+)</td><td class=\"n\">([\d.]+)</td></tr>", matrix)
    assert cells
    for _, n, _, k, share in cells:
        assert abs(float(share) - round(100 * int(k) / int(n.replace(",", "")), 1)) < 1e-9


def test_example_passages_are_scrubbed_and_escaped(page):
    ex = page[page.index('id="examples"'):]
    assert "<mark>" in ex and PHONE not in page
    codes = re.findall(r"<tr><td>([A-Z_]+)<br>", ex)
    assert codes and len(codes) == len(set(codes))  # one passage per practice


def test_markup_in_scraped_strings_is_literal(page):
    assert page.count("<script>") == 1  # our own, at the end of the page
    assert html.escape("price $5$ and $x^2$ <script>") in page
