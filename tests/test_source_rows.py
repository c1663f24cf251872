"""Source parsers' rows: one complaint from list and detail pages; values read the Chinese way."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lendcorpus.corpus import connect_write
from lendcorpus.pipelines.build import RowTables
from lendcorpus.pipelines.extract.model import Extraction
from lendcorpus.pipelines.extract.values import parse_amount, parse_int, parse_time

CHINA = timezone(timedelta(hours=8))


def test_list_then_detail_then_list_again_is_one_full_row(tmp_path):
    con = connect_write(tmp_path / "c.duckdb")
    tables = RowTables(con)
    listed = {"complaint_id": "heimao:1", "platform": "heimao", "native_id": "1", "title": "标题",
              "summary": "摘要", "status_raw": "处理中", "status": "in_progress", "narrative": None}
    detail = {"complaint_id": "heimao:1", "platform": "heimao", "native_id": "1", "narrative": "全文",
              "status_raw": "已完成", "status": "resolved", "amount_yuan": 23000.0}
    for batch in ([("complaints", listed)], [("complaints", detail)], [("complaints", listed | {"upvotes": 3})]):
        for table, rows in tables.merge(batch).items():
            tables.upsert(con, table, rows)
    row = con.execute("SELECT title, summary, narrative, amount_yuan, upvotes FROM complaints").fetchall()
    assert row == [("标题", "摘要", "全文", 23000.0, 3)]
    # within one batch, later non-NULL values win too
    merged = tables.merge([("complaints", listed), ("complaints", detail)])
    assert merged["complaints"][0]["narrative"] == "全文" and merged["complaints"][0]["title"] == "标题"
    con.close()


def test_unknown_table_is_refused():
    with pytest.raises(ValueError, match="unknown table"):
        Extraction("api").add("users", {})


@pytest.mark.parametrize("text, yuan", [("2.3万元", 23000.0), ("1,200元", 1200.0), ("涉诉金额：500", 500.0),
                                        ("1.5萬", 15000.0), ("", None), ("不详", None), (None, None)])
def test_amounts(text, yuan):
    assert parse_amount(text) == yuan


def test_times_in_many_formats():
    now = datetime(2026, 11, 22, 12, 0, tzinfo=CHINA)
    assert parse_time(1700000000) == datetime.fromtimestamp(1700000000, timezone.utc)
    assert parse_time("1700000000000") == datetime.fromtimestamp(1700000000, timezone.utc)
    assert parse_time("2024-05-17 09:32").isoformat() == "2024-05-17T09:32:00+08:00"
    assert parse_time("2024年5月17日").date().isoformat() == "2024-05-17"
    assert parse_time("5分钟前", now) == now - timedelta(minutes=5)
    assert parse_time("昨天 08:30", now).isoformat() == "2026-11-21T08:30:00+08:00"
    assert parse_time("2024-05-17T01:32:00Z").utcoffset() == timedelta(0)
    assert parse_time("某天") is None and parse_time("") is None and parse_time("12") is None


def test_counts():
    assert parse_int("1.2万") == 12000 and parse_int("356") == 356 and parse_int(7) == 7 and parse_int("") is None


def test_parsers_read_no_clock():
    """A relative time is read against the fetch time handed in, never the wall clock: the same
    stored page gives the same rows on every build."""
    assert parse_time("5分钟前") is None and parse_time("昨天 08:30") is None
    fetched = datetime(2026, 11, 21, 16, 30, tzinfo=timezone.utc)  # 00:30 on the 22nd in China
    assert parse_time("昨天 08:30", fetched).isoformat() == "2026-11-21T08:30:00+08:00"


def test_every_source_hands_its_page_kind_and_fetch_time_to_the_parser():
    from lendcorpus.archive import ArchivedRecord
    from lendcorpus.pipelines.extract.model import PageKind, ParseContext
    from lendcorpus.pipelines.extract.sources import parsers

    seen = {}
    for host, parse in parsers().items():
        url = f"https://{host}/nothing-here"
        assert parse.page_kind(url) in set(PageKind)
        rec = ArchivedRecord(path=None, offset=0, length=0, rec_type="response", url=url,
                             date="2026-11-21T16:30:00Z", status=200, headers=[], body=b"{")
        # the context handed in wins over what the parser would work out itself
        ex = parse(rec, ParseContext(PageKind.OTHER, None))
        assert ex.page_kind == PageKind.OTHER
        seen[host] = parse(rec).page_kind
    assert len(seen) >= 4
