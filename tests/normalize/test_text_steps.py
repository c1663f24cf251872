"""Unicode cleanup, inline pinyin, keyword-filter gaps."""

from __future__ import annotations

import re

import pytest

from lendcorpus.pipelines.normalize import normalize_text
from lendcorpus.pipelines.normalize.gaps import find_gaps
from lendcorpus.pipelines.normalize.pinyin import STEP as PINYIN, is_reading, readings
from lendcorpus.pipelines.normalize.unicode_clean import STEP as UNICODE


# ---------------------------------------------------------------- unicode


def test_chinese_punctuation_and_ideographic_space_kept():
    s = "　　借款人：你好！（注意）「逾期」，《民法典》；？、…—"
    assert UNICODE.apply(s).text == s


def test_fullwidth_alnum_to_ascii_only():
    res = UNICODE.apply("ＡＢＣ１２３％，ｘ")
    assert res.text == "ABC123％，x"
    assert [(r.before, r.after) for r in res.repairs] == [("ＡＢＣ１２３", "ABC123"), ("ｘ", "x")]


def test_invisible_controls_and_odd_spaces():
    s = "催\u200b收\u00a0公司\u2003打\x07電話\ufeff\u00ad"
    assert UNICODE.apply(s).text == "催收 公司 打電話"


def test_zwj_kept_in_emoji_sequence_only():
    family = "\U0001F468\u200d\U0001F469"
    assert UNICODE.apply(family).text == family
    assert UNICODE.apply("中\u200d文").text == "中文"


def test_lone_surrogate_becomes_replacement():
    assert UNICODE.apply("a\ud800b").text == "a\ufffdb"


def test_nel_tab_newlines_kept():
    s = "a\tb\r\nc\x85d"
    assert UNICODE.apply(s).text == s


# ---------------------------------------------------------------- pinyin


def test_readings_from_pypinyin():
    assert {"yīng", "yìng"} <= readings("應")
    assert is_reading("現", "xiàn") and is_reading("現", "xian")
    assert not is_reading("現", "xiǎn") and not is_reading("果", "apple")


@pytest.mark.parametrize(
    "src,out",
    [
        ("現(xiàn)代", "現代"),
        ("現（xiàn）代", "現代"),
        ("天數(shù)(多數(shù)情況下為3-7天)", "天數(多數情況下為3-7天)"),
        ("蘋果(apple)", "蘋果(apple)"),
        ("現(xiǎn)", "現(xiǎn)"),  # wrong tone: not a reading, stays
        ("(xiàn)開頭", "(xiàn)開頭"),
        ("版本(v2)", "版本(v2)"),
    ],
)
def test_pinyin_removal(src, out):
    assert PINYIN.apply(src).text == out


def test_orphan_reading_flagged_not_removed():
    res = PINYIN.apply("能夠?yàn)那些")
    assert res.text == "能夠?yàn)那些"
    assert res.flags and res.flags[0]["kind"] == "orphan-pinyin"


def test_seeds_all_valid_annotations_removed(shared, evalmod):
    r = evalmod.eval_seeds(shared, with_langdetect=False)
    assert r["pinyin_valid"] == 473
    assert r["pinyin_removed"] == r["pinyin_valid"]
    assert r["legit_parens_kept"] == r["legit_parens"] >= 1


def test_seed_text_has_no_annotation_left(seeds):
    for name, text in seeds.items():
        n = normalize_text(text)
        assert not re.search(r"[\u4e00-\u9fff][(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùü]+[)）]", n.text), name


# ---------------------------------------------------------------- gaps


@pytest.mark.parametrize(
    "text,kind,gap",
    [
        ("自動發送提醒短信和 通知。", "space-between-han", " "),
        ("並不是所有人都會被催收公司打 。", "space-before-punct", " "),
        ("加強對 *** 行業的監督", "masked", "***"),
        ("依據《》相關規定", "empty-brackets", "《》"),
        ("發展“”等網絡借貸平臺", "empty-brackets", "“”"),
    ],
)
def test_gap_kinds(text, kind, gap):
    gaps = find_gaps(text)
    assert [(g["kind"], text[g["start"] : g["end"]]) for g in gaps] == [(kind, gap)]
    assert gap in gaps[0]["context"]


def test_gaps_not_filled_and_positions_in_final_text():
    src = "短信和 通(tōng)知，加強對 *** 行業"
    n = normalize_text(src)
    assert n.text == "短信和 通知，加強對 *** 行業"
    for g in n.gaps:
        assert n.text[g["start"] : g["end"]] in (" ", "***")


def test_no_gaps_in_plain_text():
    assert find_gaps("1.1 信用飛\n這是 English words 混排。**重點**") == []
