"""Charset choice: bytes first, labels second; lying labels do not win."""

from __future__ import annotations

import codecs

import pytest

from lendcorpus.pipelines.normalize import Decoded, decode_bytes, decode_html

TEXT = "網貸催收問題：聯系人被騷擾，怎麼辦？"
SIMP = "网贷催收问题：联系人被骚扰，怎么办？"


def test_decoded_shape():
    d = decode_bytes("中文".encode("utf-8"))
    assert isinstance(d, Decoded)
    assert (d.text, d.encoding, d.evidence, d.declared, d.errors) == ("中文", "utf-8", "utf8-strict", None, 0)
    with pytest.raises(Exception):
        d.text = "x"  # frozen


@pytest.mark.parametrize(
    "bom,codec",
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_bom(bom, codec):
    d = decode_bytes(bom + SIMP.encode(codec))
    assert d.text == SIMP and d.evidence == "bom"


def test_utf8_under_gb2312_meta_is_utf8():
    body = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>{SIMP}</body></html>'
    d = decode_html(body.encode("utf-8"), "text/html; charset=GB2312")
    assert d.encoding == "utf-8" and SIMP in d.text
    assert d.declared == "gb2312"


def test_gbk_under_utf8_meta_is_gbk():
    body = f'<html><head><meta charset="utf-8"></head><body>{SIMP * 3}</body></html>'
    d = decode_html(body.encode("gbk"), "text/html; charset=utf-8")
    assert d.encoding == "gb18030" and SIMP in d.text


def test_big5_under_gb2312_meta_is_big5():
    body = f'<html><head><meta charset="gb2312"></head><body>{TEXT * 3}</body></html>'
    d = decode_html(body.encode("big5"))
    assert d.encoding.startswith(("big5", "cp950")) and TEXT in d.text
    assert d.evidence == "big5-plausible"


def test_gbk_traditional_not_taken_for_big5():
    d = decode_bytes((TEXT * 3).encode("gbk"))
    assert d.encoding == "gb18030" and d.text == TEXT * 3


def test_non_chinese_legacy_follows_meta():
    ja = "日本語のテキストです。借金の取り立てについて。"
    d = decode_html(f'<meta charset="shift_jis">{ja}'.encode("cp932"))
    assert ja in d.text and d.evidence == "meta:shift_jis"
    ko = "한국어 텍스트입니다. 채권 추심에 대하여."
    d = decode_html(f'<meta charset="euc-kr">{ko}'.encode("cp949"))
    assert ko in d.text


def test_euc_tw_codec_registered():
    import lendcorpus.pipelines.normalize.euctw  # noqa: F401

    assert b"\xc4\xa1".decode("euc-tw") == "一"
    assert b"\xff\xff".decode("euc_tw", "replace") == "\ufffd\ufffd"


def test_mixed_utf8_page_with_gbk_fragment():
    page = ("<p>" + "正常的中文段落，网贷催收内容。" * 10 + "</p>\n<p>").encode("utf-8")
    page += ("这一段是GBK编码的文字。" * 3).encode("gbk") + "</p>\n<p>最后一段。</p>".encode("utf-8")
    d = decode_html(page)
    assert d.evidence.startswith("utf8-mixed")
    assert "这一段是GBK编码的文字。" in d.text and "最后一段。" in d.text and d.errors == 0


def test_empty_ascii_binary_and_bad_type():
    assert decode_bytes(b"").text == ""
    assert decode_bytes(b"plain ascii").encoding == "ascii"
    junk = bytes(range(256)) * 200
    d = decode_bytes(junk)
    assert isinstance(d.text, str)
    with pytest.raises(ValueError):
        decode_bytes("already text")  # type: ignore[arg-type]


def test_charset_eval_goal(shared, evalmod):
    r = evalmod.eval_charset(shared)
    assert r["files"] == 56
    assert r["right_bytes_only"] >= 0.98 * r["files"], r["wrong"]
    assert r["right_with_labels"] >= 0.98 * r["files"]
    assert r["right_lying_labels"] >= 0.98 * r["files"]
    assert r["pages_ok"] == r["pages"] == 69
