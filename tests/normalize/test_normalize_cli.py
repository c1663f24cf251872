"""``lendcorpus normalize``: plain, --json and --jsonl."""

from __future__ import annotations

import io
import json
import sys

from lendcorpus.cli import main


class _Stdin:
    def __init__(self, data: bytes):
        self.buffer = io.BytesIO(data)


def _run(monkeypatch, capsys, argv, stdin: bytes = b""):
    monkeypatch.setattr(sys, "stdin", _Stdin(stdin))
    rc = main(["normalize", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_plain_stdin_any_encoding(monkeypatch, capsys):
    rc, out, _ = _run(monkeypatch, capsys, ["-"], "網絡(luò)貸款 催收".encode("big5hkscs"))
    assert rc == 0 and out == "網絡貸款 催收\n"


def test_json_file(tmp_path, monkeypatch, capsys):
    f = tmp_path / "doc.txt"
    f.write_bytes("现(xiàn)在，短信和 通知".encode("gbk"))
    rc, out, _ = _run(monkeypatch, capsys, [str(f), "--json"])
    d = json.loads(out)
    assert rc == 0
    assert d["text"] == "现在，短信和 通知" and d["encoding"] == "gb18030"
    assert d["lang"] == "zh" and d["script"] == "hans" and d["pinyin_removed"] == 1
    assert d["gaps"][0]["kind"] == "space-between-han"
    for key in ("text_simplified", "repairs"):
        assert key in d
    assert "现" in out  # ensure_ascii=False


def test_jsonl_with_a_bad_line(monkeypatch, capsys):
    lines = b'{"id": "a", "text": "\xe7\x8f\xbe(xi\xc3\xa0n)\xe5\x9c\xa8"}\nnot json\n{"id": 7}\n\n{"id": "b", "text": ""}\n'
    rc, out, err = _run(monkeypatch, capsys, ["--jsonl"], lines)
    rows = [json.loads(x) for x in out.splitlines()]
    assert rc == 1
    assert [r.get("id") for r in rows] == ["a", None, 7, "b"]
    assert rows[0]["text"] == "現在" and rows[0]["pinyin_removed"] == 1
    assert "error" in rows[1] and "error" in rows[2] and "error" not in rows[3]
    assert "2 of 4 lines failed" in err


def test_jsonl_all_good_exit_zero(monkeypatch, capsys):
    rc, out, err = _run(monkeypatch, capsys, ["--jsonl"], b'{"id": 1, "text": "ok"}\n')
    assert rc == 0 and err == "" and json.loads(out)["id"] == 1


def test_missing_file(monkeypatch, capsys):
    rc, _, err = _run(monkeypatch, capsys, ["/nonexistent/file.txt"])
    assert rc == 2 and "cannot read" in err
