"""Extraction is a pure function of a stored response: rules first, generic fallback, rejects."""

from __future__ import annotations

from pathlib import Path

from lendcorpus.archive import ArchivedRecord
from lendcorpus.siterules import parse_rules
from lendcorpus.pipelines.extract import extract_record
from lendcorpus.pipelines.extract.dates import parse_date
from lendcorpus.pipelines.extract.rules import block_text

RULES = parse_rules("""
name = "farm_t"
allowed_domains = ["www.farm-t.example"]
start_urls = ["https://www.farm-t.example/"]
follow = ['^https://www\\.farm-t\\.example/(list_\\d+\\.html)?$']
articles = ['/a/\\d+\\.html$']
id_regex = '/a/(\\d+)\\.html'
[extract]
title = "h1.title"
body = "div.content"
date = "span.date"
drop = ["div.share"]
""", Path("farm_t.toml"))
INDEX = {RULES.name: RULES}

ARTICLE = """<html><head><meta charset="{cs}"><title>站名</title></head><body>
<div class="nav"><a href="/">首頁</a></div>
<h1 class="title">網貸逾期後聯系人會被打電話嗎</h1><span class="date">2024-05-17 09:32</span>
<div class="content"><p>網貸逾期以後，<b>催收</b>人員可能會聯系通訊錄。</p><p>第二段：協商還款。</p>
<div class="share">分享到微博</div></div></body></html>"""


def record(url: str, body: bytes, status: int | None = 200, ctype: str = "text/html; charset=utf-8",
           rec_type: str = "response", warc_headers: dict | None = None) -> ArchivedRecord:
    return ArchivedRecord(path=Path("x.warc.gz"), offset=0, length=0, rec_type=rec_type, url=url,
                          date="2026-11-01T00:00:00Z", status=status,
                          headers=[("Content-Type", ctype)] if ctype else [], body=body,
                          warc_headers=warc_headers or {})


def test_rules_extract_title_body_date_and_id():
    ex = extract_record(record("https://www.farm-t.example/a/1001.html", ARTICLE.format(cs="utf-8").encode()), INDEX)
    assert ex.page_kind == "article" and not ex.rejects
    doc = ex.documents[0]
    assert doc.doc_id == "farm_t:1001" and doc.source == "farm_t"
    assert doc.title == "網貸逾期後聯系人會被打電話嗎"
    assert doc.text == "網貸逾期以後，催收人員可能會聯系通訊錄。\n第二段：協商還款。"  # inline <b> joined, share dropped
    assert doc.published_at.isoformat() == "2024-05-17T09:32:00+08:00"
    assert doc.extractor.startswith("rules:farm_t@")
    assert "Document(" in repr(doc) and "催收" not in repr(doc)  # no text in logs


def test_charset_liar_is_decoded_from_the_bytes():
    body = ARTICLE.format(cs="utf-8").encode("gb18030")  # GBK bytes, page and header claim UTF-8
    doc = extract_record(record("https://www.farm-t.example/a/1002.html", body), INDEX).documents[0]
    assert doc.title == "網貸逾期後聯系人會被打電話嗎"
    assert doc.encoding in ("gb18030", "gbk")


def test_navigation_pages_are_not_documents():
    ex = extract_record(record("https://www.farm-t.example/list_2.html", b"<html><body>x</body></html>"), INDEX)
    assert ex.page_kind == "list" and not ex.documents and not ex.rejects
    robots = extract_record(record("https://www.farm-t.example/robots.txt", b"User-agent: *", ctype="text/plain"), INDEX)
    assert robots.page_kind == "robots" and not robots.documents and not robots.rejects


def reasons(ex) -> list[tuple[str, str]]:
    return [(r.stage, r.reason) for r in ex.rejects]


def test_bad_inputs_become_rejects_with_reasons():
    url = "https://www.farm-t.example/a/{}.html"
    assert reasons(extract_record(record(url.format(1), b"", status=200), INDEX)) == [("extract", "empty_body")]
    assert reasons(extract_record(record(url.format(2), b"<html><head><title>x</title></head></html>"), INDEX)) == [
        ("extract", "no_html_body")]
    assert reasons(extract_record(record(url.format(3), b"nope", status=404), INDEX)) == [("fetch", "http_404")]
    assert reasons(extract_record(record(url.format(4), b"", status=None, rec_type="metadata",
                                         warc_headers={"X-Lendcorpus-Fetch-Error": "timeout"}), INDEX)) == [
        ("fetch", "timeout")]
    assert reasons(extract_record(record(url.format(5), b"%PDF-1.4 \x00\x01", ctype="application/pdf"), INDEX)) == [
        ("extract", "not_html")]
    binary = b"<html><body><div class='content'>" + bytes(range(128, 256)) * 40 + b"</div></body></html>"
    assert reasons(extract_record(record(url.format(6), binary), INDEX))[0][0] in ("decode", "extract")


def test_generic_fallback_for_unknown_sites():
    paragraphs = "".join(f"<p>第{i}段：網貸平台的催收人員在借款人逾期以後，頻繁撥打緊急聯系人的電話，這種做法是否合法值得討論。</p>"
                         for i in range(6))
    html = f"<html><head><title>新聞標題</title></head><body><article><h1>新聞標題</h1>{paragraphs}</article></body></html>"
    ex = extract_record(record("https://news.other.example/2024/1.html", html.encode()), INDEX)
    assert ex.documents, ex.rejects
    doc = ex.documents[0]
    assert doc.source == "web" and doc.doc_id.startswith("web:") and doc.extractor.startswith("generic@")
    assert "緊急聯系人" in doc.text
    short = extract_record(record("https://news.other.example/menu.html",
                                  "<html><body><p>首頁 關於我們</p></body></html>".encode()), INDEX)
    assert not short.documents and short.rejects


def test_block_text_lines():
    from selectolax.lexbor import LexborHTMLParser

    node = LexborHTMLParser("<div><p>一<i>二</i></p><ul><li>三</li><li> 四 </li></ul>五<br>六</div>").css_first("div")
    assert block_text(node) == "一二\n三\n四\n五\n六"


def test_dates_in_common_layouts():
    assert parse_date("2024-05-17 09:32", ("%Y-%m-%d %H:%M",)).hour == 9
    assert parse_date("發布時間：2023年1月5日 08:15").isoformat() == "2023-01-05T08:15:00+08:00"
    assert parse_date("2023/12/31").day == 31
    assert parse_date("昨天") is None and parse_date("2023-13-45") is None
