"""The scrubber: placeholders, validation (checksums, Luhn), tricky negatives, the CLI, P/R floor."""

from __future__ import annotations

import json

from lc_testkit import REPO, run_cli
from lendcorpus.pipelines.redact import id_check_char, id_checksum_ok, luhn_ok, scan, scrub
from lendcorpus.pipelines.redact.evaluation import evaluate, format_table

LABELLED = REPO / "tests" / "fixtures" / "redact" / "labelled.jsonl"
FAKE_ID = "99010119900101123" + id_check_char("99010119900101123")  # invented region code 990101


def test_validators():
    assert id_checksum_ok(FAKE_ID)
    assert not id_checksum_ok(FAKE_ID[:-1] + ("0" if FAKE_ID[-1] != "0" else "1"))
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


def test_typed_placeholders_and_counts():
    text = f"我叫王小明，手机13800138000，身份证{FAKE_ID}，QQ：12345678，车牌粤B12345。"
    clean, counts = scrub(text)
    assert clean == "我叫[姓名]，手机[手机号]，身份证[身份证号]，QQ：[QQ号]，车牌[车牌号]。"
    assert counts == {"name": 1, "mobile": 1, "id_card": 1, "qq": 1, "plate": 1}
    assert scan(clean) == {}  # placeholders are never detected again
    assert scrub(clean) == (clean, {})


def test_negatives_stay():
    for text in ["投诉编号17390301628", "订单号：13800138000", "借款13800元，2024-05-03",
                 "https://tieba.baidu.com/p/8904480812?pid=148000350051", "客服热线95188", "138****0000"]:
        assert scrub(text) == (text, {}), text


def test_handles_and_publisher_contacts():
    clean, counts = scrub("@夜里睡不着_95 楼上说得对，慢慢还2016也这么说", handles=["慢慢还2016"])
    assert clean == "@[用户名] 楼上说得对，[用户名]也这么说" and counts == {"handle": 2}
    clean, counts = scrub("舉報聯系方式:13900001234 10001234@qq.com", publisher_contacts=["13900001234", "10001234@qq.com"])
    assert "13900001234" not in clean and "qq.com" not in clean and counts == {"publisher_contact": 2}


def test_precision_recall_on_labelled_set():
    result = evaluate(LABELLED)
    print("\n" + format_table(result))
    assert result["all"]["precision"] >= 0.95
    assert result["all"]["recall"] >= 0.85


def test_cli_plain_and_jsonl(tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("电话13800138000，邮箱 a.b@example.com", encoding="utf-8")
    assert run_cli("redact", str(f)).stdout == "电话[手机号]，邮箱 [邮箱]"
    j = tmp_path / "in.jsonl"
    j.write_text(json.dumps({"id": "x1", "text": "QQ:12345678"}) + "\nnot json\n", encoding="utf-8")
    proc = run_cli("redact", "--jsonl", str(j), check=False)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0] == {"id": "x1", "text": "QQ:[QQ号]", "redactions": {"qq": 1}}
    assert "error" in lines[1] and proc.returncode == 1
    assert "12345678" not in proc.stdout and "12345678" not in proc.stderr
