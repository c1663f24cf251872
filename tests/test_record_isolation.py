"""Hostile records: each becomes a reject with its reason, the rest of the file loads, and the
next build does not try them again."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from lc_testkit import query
from lendcorpus.archive import Exchange, RotatingWarcWriter
from lendcorpus.pipelines import extract
from lendcorpus.pipelines.build import Build
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR

FARM = REPLAY_SITES_DIR / "www.jiedai-baike.example" / "a"
HTML = [("Content-Type", "text/html; charset=utf-8")]
JSON = [("Content-Type", "application/json;charset=UTF-8")]


def _farm_page(n: int) -> bytes:
    return (FARM / f"{n}.html").read_bytes()


def _nested(page: bytes, depth: int) -> bytes:
    deep = "<div>" * depth + "逾期催收" + "</div>" * depth
    return page.replace(b'<div class="content">', b'<div class="content">' + deep.encode(), 1)


def _huge_feed(items: int) -> bytes:
    lists = ",".join('{"main":{"sn":"%d","title":"t"}}' % (10**9 + i) for i in range(items))
    return ('{"result":{"status":{"code":0,"msg":"ok"},"data":{"lists":[' + lists + "]}}}").encode()


def write_archive(root: Path, pages: list[tuple[str, list, bytes]]) -> Path:
    w = RotatingWarcWriter(root / "farm" / "run-1", "farm", warcinfo={"spider": "jiedai_baike", "run": "run-1"})
    for i, (url, headers, body) in enumerate(pages):
        w.write(Exchange(url=url, method="GET", request_headers=[], request_body=b"", status=200,
                         response_headers=headers, body=body, fetched_at=1_790_000_000 + i))
    w.close()
    return root


def _page(n: int, body: bytes | None = None) -> tuple[str, list, bytes]:
    return f"https://www.jiedai-baike.example/a/{n}.html", HTML, body if body is not None else _farm_page(n)


def record_rejects(db: Path) -> dict[str, str]:
    return dict(query(db, "SELECT url, reason FROM rejects WHERE stage = 'record'"))


def test_deep_nesting_loads_and_deeper_is_a_reject(tmp_path):
    root = write_archive(tmp_path / "archive", [
        _page(1002),
        _page(1003, _nested(_farm_page(1003), 1200)),  # RecursionError on main before workers
        _page(1004, _nested(_farm_page(1004), 6000)),
        _page(1005),
    ])
    db = tmp_path / "c.duckdb"
    stats = Build(db, root=root, jobs=1).run()
    assert record_rejects(db) == {"https://www.jiedai-baike.example/a/1004.html": "recursion_limit"}
    docs = {r[0] for r in query(db, "SELECT doc_id FROM documents")}
    assert docs == {"jiedai_baike:1002", "jiedai_baike:1003", "jiedai_baike:1005"}
    assert stats.rejects["record:recursion_limit"] == 1
    # the fetch is kept (the raw stays in the archive, the row says where)
    assert query(db, "SELECT count(*) FROM fetches")[0][0] == 4
    # not retried: the next build loads nothing and adds no reject
    again = Build(db, root=root, jobs=1).run()
    assert again.records == 0 and not again.rejects
    assert query(db, "SELECT count(*) FROM rejects WHERE stage = 'record'")[0][0] == 1


def test_a_raising_parser_is_a_reject_and_the_rest_loads(tmp_path, monkeypatch):
    original = extract.dispatch.extract_with_rules

    def buggy(html, rules):
        if "EXPLODE-HERE" in html:
            raise KeyError("boom")
        return original(html, rules)

    monkeypatch.setattr(extract.dispatch, "extract_with_rules", buggy)
    bad = _farm_page(1003).replace(b"</body>", b"<!-- EXPLODE-HERE --></body>")
    root = write_archive(tmp_path / "archive", [_page(1002), _page(1003, bad), _page(1005)])
    db = tmp_path / "c.duckdb"
    Build(db, root=root, jobs=0).run()  # in-process, so the patched parser is the one that runs
    assert record_rejects(db) == {"https://www.jiedai-baike.example/a/1003.html": "exception"}
    (detail,) = query(db, "SELECT detail FROM rejects WHERE stage = 'record'")[0]
    assert detail.startswith("KeyError")
    assert query(db, "SELECT count(*) FROM documents")[0][0] == 2


def test_record_over_time_budget_is_a_reject(tmp_path):
    slow = "網貸逾期了怎麼辦，催收電話打給家人合法嗎？現(xiàn)在很多人遇到這個問題。\n" * 40_000  # ~2 s to normalise
    body = _farm_page(1003).replace(b'<div class="content">', b'<div class="content"><p>' + slow.encode() + b"</p>", 1)
    root = write_archive(tmp_path / "archive", [_page(1002), _page(1003, body), _page(1005)])
    db = tmp_path / "c.duckdb"
    Build(db, root=root, jobs=1, record_seconds=0.1).run()
    assert record_rejects(db) == {"https://www.jiedai-baike.example/a/1003.html": "time_budget"}
    assert query(db, "SELECT count(*) FROM documents")[0][0] == 2


def test_a_million_item_answer_is_a_reject_not_a_memory_error(tmp_path):
    feed = "https://tousu.sina.com.cn/api/index/feed?ts=1&rs=x&signature=x&type=1&page_size=10&page=1"
    root = write_archive(tmp_path / "archive", [_page(1002), (feed, JSON, _huge_feed(10**6)), _page(1005)])
    db = tmp_path / "c.duckdb"
    # a small memory budget: the parser runs out of it instead of the machine
    Build(db, root=root, jobs=1, worker_memory=300 * 2**20).run()
    (row,) = query(db, "SELECT stage, reason, detail FROM rejects WHERE url = ?", [feed])
    assert row[:2] == ("source", "parser_error") and "MemoryError" in row[2]
    assert query(db, "SELECT count(*) FROM complaints")[0][0] == 0
    assert query(db, "SELECT count(*) FROM documents")[0][0] == 2


def test_too_many_rows_from_one_record_is_a_reject(tmp_path):
    from lendcorpus.pipelines import record_stage

    feed = "https://tousu.sina.com.cn/api/index/feed?ts=1&rs=x&signature=x&type=1&page_size=10&page=1"
    root = write_archive(tmp_path / "archive", [(feed, JSON, _huge_feed(record_stage.MAX_ROWS_PER_RECORD + 1)),
                                               _page(1005)])
    db = tmp_path / "c.duckdb"
    Build(db, root=root, jobs=1).run()
    assert dict(query(db, "SELECT reason, count(*) FROM rejects WHERE stage = 'record' GROUP BY 1")) == \
        {"too_many_rows": 1}
    assert query(db, "SELECT count(*) FROM complaints")[0][0] == 0
    assert query(db, "SELECT count(*) FROM documents")[0][0] == 1


def test_a_worker_that_dies_costs_one_record(tmp_path, monkeypatch):
    """A crash in native code kills the worker process; the record that did it is a reject."""
    original = extract.dispatch.extract_with_rules

    def crashing(html, rules):
        if "KILL-THE-WORKER" in html:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(html, rules)

    monkeypatch.setattr(extract.dispatch, "extract_with_rules", crashing)  # inherited by forked workers
    bad = _farm_page(1003).replace(b"</body>", b"<!-- KILL-THE-WORKER --></body>")
    root = write_archive(tmp_path / "archive", [_page(1002), _page(1003, bad), _page(1005), _page(1006)])
    db = tmp_path / "c.duckdb"
    Build(db, root=root, jobs=2, batch_records=2).run()
    assert record_rejects(db) == {"https://www.jiedai-baike.example/a/1003.html": "worker_died"}
    assert {r[0] for r in query(db, "SELECT doc_id FROM documents")} == \
        {"jiedai_baike:1002", "jiedai_baike:1005", "jiedai_baike:1006"}
    assert query(db, "SELECT count(*) FROM fetches")[0][0] == 4


@pytest.mark.parametrize("jobs", [0, 2])
def test_text_too_long_to_tag_is_a_reject(tmp_path, monkeypatch, jobs):
    from lendcorpus.pipelines import record_stage

    monkeypatch.setattr(record_stage, "MAX_TEXT_CHARS", 5000)  # inherited by forked workers
    long = ("暴力催收" * 2000).encode()
    body = _farm_page(1003).replace(b'<div class="content">', b'<div class="content"><p>' + long + b"</p>", 1)
    root = write_archive(tmp_path / "archive", [_page(1002), _page(1003, body)])
    db = tmp_path / "c.duckdb"
    Build(db, root=root, jobs=jobs).run()
    assert record_rejects(db) == {"https://www.jiedai-baike.example/a/1003.html": "text_too_long"}


def test_a_20_mb_page_at_the_default_budgets_is_a_reject(tmp_path):
    """The issue's 20 MB page (it kept the practice tagger busy for hours), with no budget lowered:
    a reject with its reason, the rest of the file loads, the passes never see it."""
    para = "<p>" + "网贷逾期了怎么办，催收电话打给家人合法吗？现在很多人遇到这个问题。" * 200 + "</p>\n"
    body = _farm_page(1003).replace(b'<div class="content">', b'<div class="content">' + (para * 1020).encode(), 1)
    assert len(body) > 20 * 10**6
    root = write_archive(tmp_path / "archive", [_page(1002), _page(1003, body), _page(1005)])
    db = tmp_path / "c.duckdb"
    stats = Build(db, root=root, jobs=1).run()
    (reason,) = record_rejects(db).values()
    # normally text_too_long (6.6 M characters); on a very loaded machine the time budget may come first
    assert reason in ("text_too_long", "time_budget"), reason
    assert {r[0] for r in query(db, "SELECT doc_id FROM documents")} == {"jiedai_baike:1002", "jiedai_baike:1005"}
    assert query(db, "SELECT count(*) FROM document_tags")[0][0] == 2
    assert stats.rejects[f"record:{reason}"] == 1


def test_a_million_item_answer_at_the_default_budgets_is_a_reject(tmp_path):
    """The issue's 10^6-item JSON answer with no budget lowered: it never reaches the writer's
    row tables (where it raised MemoryError on main); the rest of the file loads."""
    feed = "https://tousu.sina.com.cn/api/index/feed?ts=1&rs=x&signature=x&type=1&page_size=10&page=1"
    root = write_archive(tmp_path / "archive", [_page(1002), (feed, JSON, _huge_feed(10**6)), _page(1005)])
    db = tmp_path / "c.duckdb"
    Build(db, root=root, jobs=1).run()
    (row,) = query(db, "SELECT stage, reason FROM rejects WHERE url = ?", [feed])
    assert row in (("record", "too_many_rows"), ("source", "parser_error"), ("record", "memory_budget")), row
    assert query(db, "SELECT count(*) FROM complaints")[0][0] == 0
    assert query(db, "SELECT count(*) FROM documents")[0][0] == 2
