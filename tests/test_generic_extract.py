"""The generic path (hosts without site rules) on news-page shapes seen on real sites.

Every page goes through ``extract_record`` as the build calls it: GBK or UTF-8 bytes with a
Content-Type that names no charset. The pages are invented; their furniture copies the shapes
found on real Chinese news and farm pages (side-bars, 返回首页 links, contact footers, a teaser
after 责任编辑, site names in titles, a keyword prefix in a farm title).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract import extract_record
from lendcorpus.pipelines.extract.dates import parse_date
from lendcorpus.pipelines.extract.generic_meta import clean_title, date_in_text
from lendcorpus.pipelines.extract.generic_text import pick_main_text, prose_chars, trim_furniture

CN = timezone(timedelta(hours=8))

PARAS = [
    "记者从市金融监管部门获悉，今年以来全市共受理涉及网络借贷的投诉两千余件，其中反映催收方式不当的占到三成以上。",
    "多名借款人向记者反映，逾期后不久便接到大量陌生电话，对方不仅联系本人，还给通讯录里的亲友群发短信，言辞激烈。",
    "监管部门有关负责人表示，催收机构不得以暴力、恐吓、侮辱等方式催收，也不得向借款人以外的第三人透露债务信息。",
    "业内人士建议，借款人遇到不当催收时应保留通话录音和短信截图，并及时向监管部门或者行业协会投诉，依法维护权益。",
    "据了解，下一步有关部门将联合开展专项整治，对违规催收的机构依法处理，并督促持牌机构加强对合作方的管理。",
]


def news_page(extra_head: str = "", date_line: str = "发布时间：2022-02-13 07:48　来源：本地日报") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAS)
    side = "".join(f'<li><a href="/n/{i}.html">其他新闻标题第{i}条内容摘要</a></li>' for i in range(8))
    return f"""<!DOCTYPE html><html><head><title>网贷催收投诉增多 监管部门出手整治_示例财经网</title>
{extra_head}</head><body>
<div class="nav"><a href="/">首页</a> <a href="/finance/">财经</a> <a href="/tech/">科技</a></div>
<div class="main"><h1>网贷催收投诉增多 监管部门出手整治</h1>
<div class="info">{date_line}</div>
<div class="content">{body}
<p>责任编辑：王小明</p>
<p><a href="/n/99.html">明星婚礼现场曝光，宾客名单惊人</a></p>
<p><a href="/">返回示例财经网首页&gt;&gt;</a></p></div></div>
<div class="side"><h3>热门推荐</h3><ul>{side}</ul></div>
<div class="footer"><p>联系电话：010-12345678 E-mail：service@example.cn</p>
<p>Copyright © 2022 示例财经网 版权所有</p></div></body></html>"""


def record(url: str, body: bytes, ctype: str = "text/html") -> ArchivedRecord:
    return ArchivedRecord(path=Path("x.warc.gz"), offset=0, length=0, rec_type="response", url=url,
                          date="2026-11-01T00:00:00Z", status=200, headers=[("Content-Type", ctype)],
                          body=body)


def one_doc(html: str, encoding: str = "gb18030", url: str = "https://news.example.cn/2022/0213/a1.html"):
    ex = extract_record(record(url, html.encode(encoding)), rules={})
    assert not ex.rejects, ex.rejects
    assert len(ex.documents) == 1
    return ex.documents[0]


def test_news_page_keeps_the_story_and_drops_the_furniture():
    doc = one_doc(news_page())
    for p in PARAS:
        assert p in doc.text
    assert "责任编辑：王小明" in doc.text  # the line that closes the story stays
    for furniture in ("明星婚礼", "返回示例财经网首页", "热门推荐", "其他新闻标题", "010-12345678",
                      "service@example.cn", "版权所有"):
        assert furniture not in doc.text, furniture
    assert doc.extractor.startswith("generic@")
    assert doc.encoding in ("gbk", "gb18030")


def test_time_of_day_is_kept_from_the_page():
    doc = one_doc(news_page())
    assert doc.published_at == datetime(2022, 2, 13, 7, 48, tzinfo=CN)


def test_structured_date_wins_and_keeps_its_offset():
    ld = ('<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
          '"headline":"网贷催收投诉增多 监管部门出手整治","datePublished":"2022-02-12T23:10:00+00:00"}</script>')
    doc = one_doc(news_page(extra_head=ld, date_line="来源：本地日报"), encoding="utf-8")
    assert doc.published_at == datetime(2022, 2, 12, 23, 10, tzinfo=timezone.utc)
    assert doc.published_at.astimezone(CN).hour == 7


def test_title_loses_the_site_name():
    assert one_doc(news_page()).title == "网贷催收投诉增多 监管部门出手整治"
    assert clean_title("A股三大指数集体收涨_证券时报网") == "A股三大指数集体收涨"
    assert clean_title("央行发布新规 - 新华网") == "央行发布新规"
    assert clean_title("武汉的声音：有英勇的你，才有英雄的城！-新华网") == "武汉的声音：有英勇的你，才有英雄的城！"
    assert clean_title("2020-02-19 e-mail 通知") == "2020-02-19 e-mail 通知"
    # a logo heading that ends the <title> is the site name
    assert clean_title("土豆不“土” 土豆无“土” 松花江网", ["松花江网"]) == "土豆不“土” 土豆无“土”"
    # a headline the publisher wrote is kept whole, separators and all
    assert clean_title("法国报纸摘要 - 马克龙会见普京 - 示例国际", ["法国报纸摘要 - 马克龙会见普京"]) == \
        "法国报纸摘要 - 马克龙会见普京"


def test_farm_title_loses_a_keyword_prefix():
    assert clean_title("[诗婷露雅化妆品]网贷逾期被催收怎么办") == "网贷逾期被催收怎么办"
    assert clean_title("【赛马娘】情人节赠礼", ["【赛马娘】情人节赠礼"]) == "【赛马娘】情人节赠礼"


def test_disclaimer_block_does_not_replace_the_article():
    disclaimer = ("免责声明：本文仅代表作者个人观点，与本网站无关。其原创性以及文中陈述文字和内容未经本站证实，"
                  "对本文以及其中全部或者部分内容、文字的真实性、完整性、及时性本站不作任何保证或承诺。")
    rows = "".join(f"<tr><td>{p}</td></tr>" for p in PARAS)
    html = (f"<html><head><title>网贷平台清退进展_示例网</title></head><body>"
            f"<table><tr><td><a href='/'>首页</a></td></tr>{rows}</table>"
            f"<div class='disclaimer'><p>{disclaimer}</p></div></body></html>")
    doc = one_doc(html)
    assert sum(p in doc.text for p in PARAS) >= 4
    assert prose_chars(doc.text) > 3 * prose_chars(disclaimer)


def test_table_layout_page_gives_a_document():
    # old portals lay articles out in tables; the previous generic path dropped tables and found nothing
    cells = "".join(f"<tr><td width='600'>{p}</td></tr>" for p in PARAS)
    html = f"<html><head><title>旧门户文章</title></head><body><table>{cells}</table></body></html>"
    assert PARAS[2] in one_doc(html).text


def test_page_without_body_tag_still_gives_a_document():
    html = "<html><head><title>无正文标签</title></head>" + "".join(f"<p>{p}</p>" for p in PARAS)
    assert PARAS[0] in one_doc(html).text


def test_trim_cuts_at_a_late_related_heading_only():
    late = "\n".join(PARAS + ["相关阅读", "另一条新闻的标题"])
    assert "另一条新闻" not in trim_furniture(late) and PARAS[4] in trim_furniture(late)
    # a "related" heading before most of the story is not where the story ends
    early = "\n".join(["相关阅读"] + PARAS)
    assert PARAS[4] in trim_furniture(early)


def test_pick_reports_which_extractor_won():
    pick = pick_main_text(news_page(), "https://news.example.cn/a.html")
    assert pick.method in ("readability", "resiliparse", "trafilatura")
    assert pick.prose > 0


def test_dates_in_text():
    assert date_in_text("首页 2022年2月14日 星期一 新闻 标题 发表于 2021-01-29 10:05") == \
        datetime(2021, 1, 29, 10, 5, tzinfo=CN)
    assert date_in_text("标题文字 2004-12-10 阅读105次 会议日程 2004-12-11 09:51", "标题文字") == \
        datetime(2004, 12, 10, tzinfo=CN)
    assert date_in_text("发布日期： 7/5/2005 9:23:57 PM") == datetime(2005, 7, 5, 21, 23, 57, tzinfo=CN)
    assert date_in_text("没有日期") is None


def test_parse_date_keeps_iso_times():
    assert parse_date("2022-02-13T07:48:00+08:00") == datetime(2022, 2, 13, 7, 48, tzinfo=CN)
    assert parse_date("2022-02-13T07:48:00Z").utcoffset() == timedelta(0)
    assert parse_date("2023年1月5日 下午3时20分") == datetime(2023, 1, 5, 15, 20, tzinfo=CN)
    assert parse_date("2024-05-17 09:32").hour == 9


def test_build_learns_a_template_line_across_pages_of_hosts_without_rules(tmp_path, monkeypatch):
    """The generic path keeps line breaks, so the boilerplate pass still learns template lines."""
    import time

    import duckdb

    from lendcorpus.archive import Exchange, RotatingWarcWriter
    from lendcorpus.pipelines.build import Build

    monkeypatch.setenv("LENDCORPUS_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("LENDCORPUS_DB", raising=False)
    template = "本站声明：文章内容仅供参考，借贷有风险，请理性借款，谨防各类诈骗。"
    w = RotatingWarcWriter(tmp_path / "warc", "farmx")
    for i in range(6):
        paras = "".join(f"<p>第{i}篇第{j}段。{PARAS[(i + j) % len(PARAS)]}</p>" for j in range(4))
        html = (f"<html><head><title>第{i}篇文章_某农场站</title></head><body><div class='c'>"
                f"<h1>第{i}篇文章</h1>{paras}<p>{template}</p></div></body></html>")
        w.write(Exchange(url=f"https://farm-x.example/a/{i}.html", method="GET", request_headers=[],
                         request_body=b"", status=200, response_headers=[("Content-Type", "text/html")],
                         body=html.encode("gb18030"), fetched_at=time.time()))
    path = w.current_path
    w.close()
    db = tmp_path / "c.duckdb"
    Build(db).run([path])
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = con.execute("SELECT text, text_main, extractor FROM documents WHERE source = 'web'").fetchall()
    finally:
        con.close()
    assert len(got) == 6
    for text, main, extractor in got:
        assert template in text and extractor.startswith("generic@")
        assert template not in main and "第" in main
