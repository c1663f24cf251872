"""Script labels, the Simplified copy, and language decided by script statistics."""

from __future__ import annotations

import pytest

from lendcorpus.pipelines.normalize import language, normalize_text


def test_seeds_are_chinese_traditional(seeds):
    for name, text in seeds.items():
        n = normalize_text(text)
        assert (n.lang, n.script) == ("zh", "hant"), name
        assert 0.2 < n.simplified_changed_share < 0.5
        assert n.text_simplified != n.text and len(n.text_simplified) == len(n.text)


def test_simplified_mixed_none():
    n = normalize_text("网贷催收问题日益凸显")
    assert (n.script, n.simplified_changed_share, n.text_simplified) == ("hans", 0.0, "网贷催收问题日益凸显")
    assert normalize_text("网贷催收問題日益凸顯，网络贷款").script == "mixed"
    assert normalize_text("hello world").script == "none"


def test_original_script_kept():
    n = normalize_text("網絡貸款")
    assert n.text == "網絡貸款" and n.text_simplified == "网络贷款"


@pytest.mark.parametrize(
    "text,lang",
    [
        ("催收", "zh"),
        ("逾期了怎麼辦", "zh"),
        ("使用Python進行data分析", "zh"),
        ("借金の取り立て", "ja"),
        ("東京タワー", "ja"),
        ("채권 추심", "ko"),
        ("'아나콘다(Anaconda)' '웨딩 플래너(Wedding Planner)'", "ko"),
        ("", "und"),
        ("12345 !!!", "und"),
        ("Это русский текст о долгах", "ru"),
        ("The debt collector called my family again today.", "en"),
    ],
)
def test_language(text, lang):
    assert normalize_text(text).lang == lang


def test_langdetect_not_used_for_han(monkeypatch):
    def boom(text):
        raise AssertionError("langdetect called on Han text")

    monkeypatch.setattr(language, "langdetect_only", boom)
    assert normalize_text("在當今社會，信用已經成為個人和企業的重要資產。").lang == "zh"


def test_langdetect_is_deterministic():
    s = "La deuda fue vendida a una agencia de cobranza"
    assert len({language.detect_language(s) for _ in range(5)}) == 1


def test_lingua_zh_ja_ko_goal(shared, evalmod):
    r = evalmod.eval_language(shared, with_langdetect=False)
    total = sum(v["n"] for v in r["per_set"].values())
    ours = sum(v["ours"] for v in r["per_set"].values())
    assert ours >= 0.99 * total
    for name in ("zh", "zh-hant", "ja"):
        assert r["per_set"][name]["ours"] == r["per_set"][name]["n"], name


def test_readability_japanese_not_chinese(shared, evalmod):
    pages = {p["page"]: p for p in evalmod.eval_readability(shared, with_langdetect=False)}
    assert pages["hukumusume"]["lang"] == "ja"
    assert pages["pixnet"]["lang"] == "zh" and pages["pixnet"]["script"] == "hant"
    assert all(p["mojibake"] == 0 for p in pages.values())


def test_opencc_config_is_t2s_and_passes_its_cases(shared, evalmod):
    from lendcorpus.pipelines.normalize.script import OPENCC_CONFIG

    assert OPENCC_CONFIG == "t2s"
    res = evalmod.eval_opencc(shared)["t2s"]
    assert res["t2s"][0] == res["t2s"][1] and res["hk2s"][0] == res["hk2s"][1]
