"""Boilerplate lines: keys, curated markers, contact footers, per-site learning."""

from __future__ import annotations

import duckdb

from lendcorpus.pipelines.boilerplate import (
    count_lines, learn_site_lines, line_key, load_markers, strip_boilerplate,
)
from lendcorpus.pipelines.boilerplate.core import WS_CHARS, WS_SQL_CLASS
from lendcorpus.pipelines.normalize import normalize_text


def test_line_key_in_python_and_sql_agree():
    con = duckdb.connect()
    for s in ["a b", "\u3000小编\u00a0导语\u200b", "\ufeff投\t诉\r", " \f\v", "正文。"] + [f"x{c}y" for c in WS_CHARS]:
        assert con.execute("SELECT regexp_replace(?, ?, '', 'g')", [s, WS_SQL_CLASS]).fetchone()[0] == line_key(s)


def test_script_variants_of_one_footer_are_one_line():
    variants = ["內容侵權、刪帖舉報聯系方式:13900001234 10001234@qq.com",
                "內容侵權、刪帖舉報聯繫方式:13900001234 10001234@qq.com",
                "内容侵权、删帖举报联系方式:13900001234 10001234@qq.com"]
    keys = {line_key(normalize_text(v).text_simplified) for v in variants}
    assert len(keys) == 1
    for v in variants:
        n = normalize_text("正文第一段，讲逾期以后怎么和平台协商。\n" + v + "\n投訴")
        s = strip_boilerplate(n.text, n.text_simplified)
        assert s.text_main == "正文第一段，讲逾期以后怎么和平台协商。"
        assert s.contacts == [("contact:report_contact", "13900001234 10001234@qq.com", v)]
        assert [r.rule for r in s.removed] == ["contact:report_contact", "after_contact"]


def test_markers_remove_whole_lines_only_and_keep_the_original_script():
    text = "精彩評論\n小編導語\n小编导语这几个字在句子里要留下。\n一、小編總結\n投訴\n結尾一句。"
    n = normalize_text(text)
    s = strip_boilerplate(n.text, n.text_simplified)
    # 投訴 alone stays: it only goes right after a contact footer
    assert s.text_main.split("\n") == [n.text.split("\n")[2], "投訴", "結尾一句。"]
    assert [r.rule for r in s.removed] == ["marker:精彩评论", "marker:小编导语", "pattern:numbered_marker"]
    assert s.removed[0].line == "精彩評論"  # recorded as written


def test_markers_are_data():
    m = load_markers()
    assert {"精彩评论", "小编导语", "小编总结"} <= m.lines and m.version >= 1


def test_site_learning_keeps_copied_article_text_and_learns_template():
    template = ["本站導讀", "轉載請註明出處：某某論壇"]
    article_a = ["一、逾期以后怎么办", "第一段说的是甲。"]
    docs = []
    for i in range(20):
        body = article_a if i < 5 else [f"第{i}篇文章自己的标题", f"第{i}篇文章自己的正文。"]
        docs.append(normalize_text("\n".join([template[0], *body, template[1]])).text_simplified)
    freq, n = count_lines(docs)
    learned = learn_site_lines(freq, n)
    assert learned == {line_key(normalize_text(t).text_simplified) for t in template}
    # 5 copies of one article in 20 pages (25%) stay text
    assert line_key("一、逾期以后怎么办") not in learned
    # a tiny site learns nothing (too few pages to tell), curated markers still apply
    assert learn_site_lines(*count_lines(docs[:3])) == set()


def test_only_boilerplate_gives_empty_main_text():
    text = "精彩評論\n小編導語\n\n內容侵權、刪帖舉報聯系方式:13900001234 10001234@qq.com\n投訴\n"
    n = normalize_text(text)
    s = strip_boilerplate(n.text, n.text_simplified)
    assert s.text_main == "" and s.text_main_simplified == "" and len(s.removed) == 4
