"""Mojibake repair: restore what is clearly Chinese, leave everything else alone."""

from __future__ import annotations

import json

from lendcorpus.pipelines.normalize import mojibake, normalize_text, replay

STEP = mojibake.STEP


def _utf8_as_gbk(s: str) -> str:
    return s.encode("utf-8").decode("gb18030")


def test_utf8_read_as_gbk():
    bad = "说明: " + _utf8_as_gbk("可视化专家，负责网贷催收数据分析")
    res = STEP.apply(bad)
    assert res.text == "说明: 可视化专家，负责网贷催收数据分析"
    assert res.repairs[0].step == "mojibake" and res.repairs[0].note == "utf8-as-gbk"
    r = res.repairs[0]
    assert bad[r.start : r.end] == r.before


def test_euro_sign_byte_0x80():
    # '技' is E6 8A 80; Windows GBK decoders show byte 0x80 as '€'
    res = STEP.apply("# 寮傚寲鐜拌薄鍒嗘瀽鎶€鑳\r")
    assert res.text.startswith("# 异化现象分析技")


def test_lost_byte_becomes_replacement_char_and_absorbs_marker():
    res = STEP.apply("# 寮傚寲鐜拌薄鍒嗘瀽鎶€鑳?\r")
    assert res.text == "# 异化现象分析技\ufffd\r"
    assert res.repairs[0].note == "utf8-as-gbk-lossy"


def test_punctuation_only_run():
    assert STEP.apply("- **商业模式画布**锛歚references/x.md`").text == "- **商业模式画布**：`references/x.md`"


def test_gbk_read_as_cp1250_issue_case():
    assert STEP.apply("ÓůÓĂČíĽţ(YYRJ)").text == "御用软件(YYRJ)"


def test_gbk_and_big5_read_as_latin1_whole_line():
    s = "102年度彰化縣勞工運動會於12月1日(星期日)上午在縣立體育場盛大登場"
    assert STEP.apply(s.encode("gbk").decode("latin-1")).text == s
    assert STEP.apply(s.encode("big5").decode("latin-1")).text == s


def test_utf8_read_as_cp1252_goes_to_ftfy():
    assert STEP.apply("Python åˆ\u00a0é™¤åˆ—è¡¨ä¸\u00adçš„å…ƒç´").text == "Python 删除列表中的元ç´"
    assert STEP.apply("Î•Î»Î»Î·Î½Î¹ÎºÎ¬").text == "Ελληνικά"  # not taken for GBK


def test_seed_003_shifted_gbk(seeds):
    text = seeds["003_1b218e7fdc4bd046.txt"]
    res = STEP.apply(text)
    assert [(r.before, r.after, r.note) for r in res.repairs] == [("槟切┟媾R", "那些面臨", "gbk-shifted")]


def test_clean_text_unchanged():
    for s in [
        "在現代消費金融的浪潮中信用貸款已成為許多人應對短期資金需求的工具。",
        "买A股还是B股？“催收”——不是“暴力催收”……",
        "Café déjà vu — naïve façade",
        "├┤a┼┐a┼┐",
        "———————‘“……”",
        "",
    ]:
        res = STEP.apply(s)
        assert res.text == s and not res.repairs, s


def test_reversible_lines_goal(shared, evalmod):
    m = evalmod.eval_mojibake(shared)
    assert m["reversible"] == 974
    assert m["reversible_exact"] >= 0.99 * m["reversible"]
    assert m["verified_exact"] == m["verified"]
    assert m["issue_ok"] == m["issue_cases"]
    # lossy lines: most are restored with the lost characters marked, none made worse
    assert m["lossy_full"] + m["lossy_partial"] >= 0.9 * m["lossy"]


def test_ftfy_negatives_no_false_repair(shared):
    cases = json.loads((shared / "eval" / "ftfy-test-cases" / "negative.json").read_text("utf-8"))
    for c in cases:
        assert STEP.apply(c["original"]).text in (c["original"], c["fixed"]), c["label"]


def test_ftfy_language_names(shared):
    cases = json.loads((shared / "eval" / "ftfy-test-cases" / "language-names.json").read_text("utf-8"))
    for c in cases:
        assert STEP.apply(c["original"]).text == c["fixed"], c["label"]


# -- Big5 read as GBK inside Traditional lines (issue 14 item 6) ---------------------------------


def test_big5_read_as_gbk_inside_a_traditional_line_is_restored():
    line = "逾期以後，催收人員每天打電話給我的家人，還說要到公司找我。"
    i = line.index("催收")
    damaged = line[:i] + line[i:i + 8].encode("big5").decode("gb18030") + line[i + 8:]
    assert damaged != line
    n = normalize_text(damaged)
    assert n.text == line
    assert [r["note"] for r in n.repairs] == ["big5-as-gbk"]
    assert replay(damaged, n.repairs) == n.text


def test_japanese_kana_and_box_drawing_dashes_are_not_big5_damage():
    for text in ("子どもの病気相談所", "あこがれの職業紹介", "《時間的玫瑰──北島隨筆》。", "荷蘭風俗畫家─弗美爾"):
        assert not any(r["step"] == "mojibake" for r in normalize_text(text).repairs), text


def test_big5_as_gbk_goal_on_real_traditional_lines(shared, evalmod):
    """Real Traditional lines of the Big5 files, a stretch of each turned into Big5-as-GBK."""
    r = evalmod.eval_big5_in_traditional(shared)
    assert r["cases"] >= 500
    assert r["exact"] >= 0.65 * r["cases"], r
    assert r["clean_changed"] == 0
