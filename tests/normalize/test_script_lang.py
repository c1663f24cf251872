"""Script labels, the Simplified copy, and language decided by script statistics."""

from __future__ import annotations

import re

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


# -- one-pass class counts (issue 12 item 7: fused Han counts) --------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lendcorpus.pipelines.normalize import language as _language  # noqa: E402
from lendcorpus.pipelines.normalize import script as _script  # noqa: E402
from lendcorpus.pipelines.normalize.charclass import HAN_SIMP, HAN_TRAD, CharCounts  # noqa: E402

_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x52F),
    st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F),
    st.characters(min_codepoint=0x1100, max_codepoint=0x11FF),
    st.characters(min_codepoint=0x1E00, max_codepoint=0x1EFF),
    st.characters(min_codepoint=0x3000, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    st.characters(min_codepoint=0xF900, max_codepoint=0xFFEF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x31350),
    st.sampled_from("們這個說臺灣裡面台里后後发發简體体中文国國"),
)


def _old_counts(text: str) -> tuple:
    trad_re, simp_re = _script._script_classes()
    return (_script.count_han(text), len(trad_re.findall(text)), len(simp_re.findall(text)),
            _language.script_counts(text))


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=300))
def test_one_pass_counts_equal_the_regex_counts(text):
    """The lookup-table counts are the same numbers the per-class regexes give."""
    c = CharCounts(text)
    han, trad, simp, per_script = _old_counts(text)
    assert (c.han, c[HAN_TRAD], c[HAN_SIMP]) == (han, trad, simp)
    assert _language._counts_dict(c) == per_script
    simplified = _script.converter("t2s").convert(text)
    if len(simplified) == len(text):
        assert c.changed(simplified) == _script._count_changed(text, simplified)


def test_one_pass_counts_on_the_seeds(seeds):
    for name, text in seeds.items():
        c = CharCounts(text)
        han, trad, simp, per_script = _old_counts(text)
        assert (c.han, c[HAN_TRAD], c[HAN_SIMP]) == (han, trad, simp), name
        assert _language._counts_dict(c) == per_script, name


def test_taiwan_sentences_with_tai_and_li_are_traditional():
    """台 and 里 are everyday Traditional characters (台灣, 公里); they used to count as Simplified."""
    for text in ("我住在台灣，家裡有三個人。", "這裡的台灣人說話很客氣", "台中市政府表示，颱風明天登陸。",
                 "網貸平台的催收每天打電話到我家裡", "回台灣以後，我們在那裡見面"):
        assert normalize_text(text).script == "hant", text
    assert normalize_text("这里的台湾人说话很客气").script == "hans"


def test_real_taiwan_lines_are_hant(shared, evalmod):
    r = evalmod.eval_taiwan_script(shared)
    assert sum(r["labels"].values()) >= 900
    assert r["labels"].get("hant", 0) >= 0.99 * sum(r["labels"].values()), r
    assert r["with_tai_li"] == {"hant": sum(r["with_tai_li"].values())}, r


_TRIGGER_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x00, max_codepoint=0x2FF),
    st.characters(min_codepoint=0x370, max_codepoint=0x4FF),
    st.characters(min_codepoint=0x1800, max_codepoint=0x1810),
    st.characters(min_codepoint=0x2000, max_codepoint=0x206F),
    st.characters(min_codepoint=0x2460, max_codepoint=0x257F),
    st.characters(min_codepoint=0x3000, max_codepoint=0x3230),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0xE000, max_codepoint=0xE0FF),
    st.characters(min_codepoint=0xFE00, max_codepoint=0xFFFF),
    st.sampled_from("鍙鍖栦笓瀹锛歚€涓嶆槸□×Ｘ＊《（“「【ÔÂÈÕé“…ß║┐╗Ｒ"),
    st.sampled_from("abcXYZ@~"),
    st.sampled_from("《》（）()“”「」【】[] \u3000"),
)


def _trigger_by_scan(name: str, text: str) -> bool:
    from lendcorpus.pipelines.normalize.charclass import _trigger_sets

    what = _trigger_sets()[name]
    return any(c in text for c in what) if isinstance(what, str) else what.search(text) is not None


@settings(max_examples=300, deadline=None)
@given(st.text(_TRIGGER_ALPHABET, max_size=200))
def test_one_pass_triggers_equal_the_steps_own_scans(text):
    """Each "anything to do?" answer of the one-pass statistics is what the step's own pattern
    (or character test) says, so a step that skips its scan on it skips nothing it would find."""
    from lendcorpus.pipelines.normalize.charclass import triggers

    c = CharCounts(text)
    assert {t: c.has(t) for t in triggers()} == {t: _trigger_by_scan(t, text) for t in triggers()}
    assert _pairs(c) == _pairs_by_scan(text)
    _empty_brackets_need_the_pair(c, text)


def test_one_pass_triggers_on_lone_surrogates_and_astral_text():
    from lendcorpus.pipelines.normalize.charclass import triggers

    for text in ("a\ud800b", "\udfff", "𠀀𪚥 emoji 😀", "\U0010ffff", "", "鍙鍖栦笓瀹 (xiàn) ＊＊ 「 」\ufffd", "《》", "（ ）", "[\u3000]", "“”(",
                 "Tiß║┐ng", "ÔÂ1ÈÕ", "é“", "槟切┟媾R那", "x中", "中x"):
        c = CharCounts(text)
        assert {t: c.has(t) for t in triggers()} == {t: _trigger_by_scan(t, text) for t in triggers()}, text
        assert _pairs(c) == _pairs_by_scan(text), text
        _empty_brackets_need_the_pair(c, text)


def _empty_brackets_need_the_pair(c, text: str) -> None:
    """The gaps step skips its empty-bracket scan when the pair test says no: a necessary
    condition, so every text the pattern matches must pass it."""
    from lendcorpus.pipelines.normalize import gaps

    rx = dict(gaps._PATTERNS)["empty-brackets"]
    if rx.search(text):
        assert c.pair(*gaps._EMPTY_PAIR), text


def _pair_patterns() -> list[tuple[str, str, re.Pattern]]:
    """(first class, second class, the step's own pattern) of every pair test the steps make."""
    from lendcorpus.pipelines.normalize import mojibake

    out = [(a, b, rx) for (a, b), rx in zip(mojibake._LATIN_UTF8_PAIRS, mojibake._LATIN_UTF8_PARTS)]
    out.append((mojibake._SB_QUICK_CLASS, mojibake._SB_QUICK_CLASS, mojibake._SB_QUICK_RE))
    out.append((*mojibake._SHIFT_PAIR, mojibake._SHIFT_END_RE))
    return out


def _pairs(c) -> list[bool]:
    return [c.pair(a, b) for a, b, _ in _pair_patterns()]


def _pairs_by_scan(text: str) -> list[bool]:
    return [rx.search(text) is not None for _, _, rx in _pair_patterns()]
