"""The chain as the build calls it: API, change log, goals on clean text, and bad input."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lendcorpus.pipelines.normalize import (
    CHAIN_VERSION,
    Normalized,
    decode_bytes,
    decode_html,
    normalize_text,
    replay,
)

HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def han_accounted(original: str, n: Normalized) -> bool:
    """Every Han character of the original is in the result or in a recorded repair."""
    expected = Counter(HAN.findall(original))
    for r in n.repairs:
        expected.subtract(HAN.findall(r["before"]))
        expected.update(HAN.findall(r["after"]))
    missing = +expected - Counter(HAN.findall(n.text))
    return not missing


def test_chain_version_lists_every_step():
    from lendcorpus.pipelines.normalize.chain import STEPS

    assert re.fullmatch(r"(\w+@\d+\+){6}\w+@\d+", CHAIN_VERSION)
    assert CHAIN_VERSION.split("+") == [f"{s.name}@{s.version}" for s in STEPS]
    assert [p.split("@")[0] for p in CHAIN_VERSION.split("+")][:2] == ["decode", "mojibake"]


def test_docs_state_the_chain_as_the_code_runs_it():
    """docs/normalize.md names the chain version and has one table row per step, in order."""
    from lc_testkit import REPO
    from lendcorpus.pipelines.normalize.chain import STEPS

    doc = (REPO / "docs" / "normalize.md").read_text(encoding="utf-8")
    assert f"`CHAIN_VERSION` is `{CHAIN_VERSION}`" in doc
    rows = re.findall(r"^\| \d+ \| `(\w+@\d+)` ", doc, flags=re.M)
    assert rows == [f"{s.name}@{s.version}" for s in STEPS]


def test_a_step_reports_counters_without_the_runner_knowing_it(monkeypatch):
    """The runner treats every transform alike: a step's counters reach ``Normalized`` by name."""
    from lendcorpus.pipelines.normalize import chain
    from lendcorpus.pipelines.normalize.base import StepResult

    class Marker:
        name, version = "marker", 1

        def apply(self, text, stats=None):  # stats: the chain's one-pass CharCounts of text
            return StepResult(text, counters={"pinyin_removed": 7})

    monkeypatch.setattr(chain, "TRANSFORMS", (*chain.TRANSFORMS, Marker()))
    assert chain.normalize_text("银(yín)行").pinyin_removed == 8


def test_to_dict_is_json_and_has_the_fields(seeds):
    n = normalize_text(seeds["003_1b218e7fdc4bd046.txt"])
    d = n.to_dict()
    for key in ("text", "text_simplified", "lang", "script", "encoding", "repairs", "gaps", "pinyin_removed"):
        assert key in d
    assert d["encoding"] is None
    back = json.loads(json.dumps(d, ensure_ascii=False))
    assert back["text"] == n.text
    for r in d["repairs"]:
        assert set(r) >= {"step", "start", "end", "before", "after"}


def test_original_untouched_and_log_replays(seeds):
    for name, text in seeds.items():
        copy = str(text)
        n = normalize_text(text)
        assert text == copy
        assert replay(text, n.repairs) == n.text, name
        assert han_accounted(text, n), name


def test_flags_point_into_final_text(seeds):
    n = normalize_text(seeds["003_1b218e7fdc4bd046.txt"])
    texts = [f["text"] for f in n.flags]
    assert "?yàn)" in texts
    for f in n.flags:
        assert n.text[f["start"] : f["end"]] == f["text"]


def test_clean_corpora_goal(shared, evalmod):
    for name, c in evalmod.eval_clean(shared).items():
        assert (c["mojibake"], c["pinyin"], c["han_lost"]) == (0, 0, 0), name


def test_extraction_texts_goal(shared, evalmod):
    r = evalmod.eval_extraction_texts(shared)
    assert r["docs"] == 69
    assert (r["mojibake"], r["pinyin"], r["han_lost"]) == (0, 0, 0)
    assert r["zh"] == r["docs"]


# ---------------------------------------------------------------- property: never raises, never loses Han

_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("鍙鍖栦笓瀹€锛歚氣墺槟切┟媾RÓůÓĂČíĽţÃ¤åˆ()（）?？ xiànyīngzhài*《》“”，。\u200b\u00a0ＡＢ１\ufffd\r\n")),
    st.characters(min_codepoint=0x00A0, max_codepoint=0x024F),
    st.characters(min_codepoint=0x3040, max_codepoint=0x30FF),
    st.characters(min_codepoint=0xAC00, max_codepoint=0xAC40),
    st.characters(min_codepoint=0x2500, max_codepoint=0x257F),
    st.characters(codec="utf-8"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=120))
def test_random_text_never_raises_nor_loses_han(text):
    n = normalize_text(text)
    assert isinstance(n.text, str)
    assert replay(text, n.repairs) == n.text
    assert han_accounted(text, n)
    json.dumps(n.to_dict(), ensure_ascii=False)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_decode_and_normalise(data):
    d = decode_bytes(data)
    assert isinstance(d.text, str) and d.errors >= 0
    normalize_text(d.text)
    decode_html(data, "text/html; charset=big5")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=4, max_size=40))
def test_mojibaked_random_han_is_restored_or_left(text):
    bad = text.encode("utf-8").decode("gb18030", "replace")
    n = normalize_text(bad)
    # either restored exactly, or nothing Han was lost on the way
    assert n.text == text or han_accounted(bad, n)


# ---------------------------------------------------------------- bad input


def test_non_str_is_a_clear_value_error():
    with pytest.raises(ValueError, match="decode_bytes"):
        normalize_text(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        normalize_text(None)  # type: ignore[arg-type]


def test_empty():
    n = normalize_text("")
    assert (n.text, n.lang, n.script, n.repairs, n.gaps) == ("", "und", "none", [], [])


@pytest.mark.parametrize("ch", ["a", "中 ", "鍙", "\ud800", "\ufffd", "中a", "(", "*"])
def test_ten_megabytes_of_one_character(ch):
    n_chars = 10 * 1024 * 1024 // len(ch.encode("utf-8", "surrogatepass"))
    text = ch * (n_chars // len(ch))
    n = normalize_text(text)  # must return (timing is the benchmark's business, not a test's)
    assert isinstance(n.text, str)
    assert len(n.gaps) <= 5001


def test_binary_and_mixed_encodings_page():
    junk = bytes((i * 7919) % 256 for i in range(300_000))
    n = normalize_text(decode_bytes(junk).text)
    assert isinstance(n.text, str)
    page = "<p>中文UTF-8段落，网贷。</p>\n".encode("utf-8") * 5 + "<p>GBK段落。</p>\n".encode("gbk")
    page += "<p>Big5段落。</p>\n".encode("big5") + b"\xff\xfe\x00\x01\n"
    d = decode_html(page)
    n = normalize_text(d.text)
    assert "中文UTF-8段落" in n.text


def test_repairs_and_gaps_fit_their_arrow_types(seeds):
    """The list<struct> types a caller can store instead of JSON strings hold the same records."""
    import pyarrow as pa

    from lendcorpus.pipelines.normalize.chain import GAPS_ARROW_TYPE, REPAIRS_ARROW_TYPE

    for text in list(seeds.values()) + ["短信和 通知，《》被催收公司打 。", "現(xiàn)在 ＡＢＣ\u200b"]:
        n = normalize_text(text)
        repairs = pa.array([n.repairs], type=REPAIRS_ARROW_TYPE).to_pylist()[0]
        assert repairs == [{**r, "note": r.get("note")} for r in n.repairs]
        assert pa.array([n.gaps], type=GAPS_ARROW_TYPE).to_pylist()[0] == n.gaps
