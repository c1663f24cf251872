"""Taggers: platforms (exact, alias, masked), practices (with negation), relevance, the pass."""

from __future__ import annotations

import tomllib

import pytest

from lc_testkit import REPO
from lendcorpus.corpus import connect_write
from lendcorpus.pipelines.tag import PlatformMatcher, PracticeTagger, relevance
from lendcorpus.pipelines.tag.corpus_pass import TagPass
from lendcorpus.pipelines.tag.relevance import RELEVANCE_THRESHOLD


@pytest.fixture(scope="module")
def platforms():
    return PlatformMatcher()


@pytest.fixture(scope="module")
def practices():
    return PracticeTagger()


def test_platform_names_aliases_and_longest_match(platforms):
    found = platforms.find("我在蚂蚁借呗和微粒贷都逾期了，还有360借条。")
    assert [(m.platform, m.matched) for m in found] == [("jiebei", "蚂蚁借呗"), ("weilidai", "微粒贷"),
                                                        ("360jietiao", "360借条")]
    text = "蚂蚁借呗"
    m = found[0]
    assert text == "我在蚂蚁借呗和微粒贷都逾期了，还有360借条。"[m.start:m.end]


def test_masked_platform_names(platforms):
    found = platforms.find("被信*飞和新**期的催收骚扰，安×花也是")
    assert [(m.platform, m.masked) for m in found] == [("xinyongfei", True), ("xinchengfenqi", True),
                                                       ("anyihua", True)]
    assert platforms.find("一*二三") == []


def test_lexicon_lists_the_big_platforms():
    data = tomllib.loads((REPO / "datasets" / "lexicons" / "platforms.toml").read_text(encoding="utf-8"))
    names = {p["name"] for p in data["platform"]}
    for required in ("新橙分期", "信用飞", "借呗", "花呗", "微粒贷", "360借条", "京东金条", "安逸花", "分期乐", "美团借钱"):
        assert required in names
    ids = [p["id"] for p in data["platform"]]
    assert len(ids) == len(set(ids))


def test_every_taxonomy_example_is_tagged_with_its_code(practices):
    for code, p in practices.practices.items():
        assert p["definition"] and p["cues"]
        for example in p["examples"]:
            assert code in practices.codes(example), (code, example)


def test_negated_cues_do_not_count(practices):
    assert "ADDRESS_BOOK" in practices.codes("逾期后对方爆通讯录")
    assert "ADDRESS_BOOK" not in practices.codes("这家平台没有爆通讯录")
    assert "HOME_VISIT" not in practices.codes("他们从不上门催收")


def test_context_rules_out_what_did_not_happen(practices):
    """Hearsay, prohibitions, advice, questions, the borrower's own acts and look-alike senses get no code."""
    for text in ("听说这家平台会爆通讯录。", "新规严禁催收人员上门，不得辱骂借款人。",
                 "如果遇到冒充公检法的催收，应当报警。", "逾期了会不会爆通讯录？",
                 "逾期后我主动跟家人说了，他们帮我还了一部分。", "空调坏了，师傅明天上门维修。",
                 "这部电影的反派一直在威胁主角。", "考研复试被导师骂了一顿。",
                 "刚接到电话，对方自称是公安局的，说我的身份证涉嫌洗钱。"):
        assert practices.codes(text) == set(), text
    assert practices.codes("逾期后，催收说明天派出所上门抓你。") == {"FAKE_LEGAL"}
    assert practices.codes("网贷逾期后，连我十几年没联系的同学都接到了催收电话。") == {"CONTACT_THIRD_PARTY"}
    assert practices.codes("逾期第二天，催收把我P成通缉令发到了家族群。") == {"PUBLIC_SHAMING", "CONTACT_THIRD_PARTY"}


def test_relevance_orders_on_topic_above_off_topic():
    on, ev = relevance("网贷逾期三个月，催收每天打电话，想协商还款。", 1, 1)
    off, _ = relevance("周末去公园散步，顺便买了一台分期付款的电视。")
    assert on >= RELEVANCE_THRESHOLD > off
    assert ev["逾期"] == 1 and ev["platforms"] == 1


def test_tag_pass_is_incremental_and_retags_on_new_version(tmp_path):
    con = connect_write(tmp_path / "c.duckdb")
    con.execute("INSERT INTO documents (doc_id, source, kind, url, text, text_simplified, extractor, archive_path, "
                "archive_offset) VALUES ('t:1', 't', 'article', 'u1', 'x', '借呗逾期后催收爆通讯录', 'x', 'a', 0), "
                "('t:2', 't', 'article', 'u2', 'x', '今天天气很好', 'x', 'a', 1)")
    tp = TagPass()
    assert tp.run(con) == {"tagged": 2, "relevant": 1, "complaint_platforms": 0}
    assert tp.run(con) == {"tagged": 0, "relevant": 0, "complaint_platforms": 0}
    rows = con.execute("SELECT doc_id, platforms, practices, relevant FROM document_tags ORDER BY doc_id").fetchall()
    assert rows == [("t:1", ["jiebei"], ["ADDRESS_BOOK"], True), ("t:2", [], [], False)]
    spans = con.execute("SELECT matched, start_pos, end_pos FROM document_platforms").fetchall()
    assert spans == [("借呗", 0, 2)]
    tp.name += "-changed"  # a lexicon edit changes the version: everything is tagged again, once
    assert tp.run(con)["tagged"] == 2
    assert con.execute("SELECT count(*) FROM document_platforms").fetchone()[0] == 1
    con.close()


def test_quality_floors_on_the_labelled_set():
    """Floors below today's measurement on the tuning set (docs/analysis.md); lowering one needs a
    reason in that page.

    ADDRESS_BOOK recall (0.75), THREAT recall (0.83) and CONTACT_THIRD_PARTY precision (0.82) sit
    lower than before the held-out revision on purpose: sentences.toml labels hedged hearsay
    ("听说这家平台会爆通讯录") and bare announcements ("说要在小区贴大字报" as THREAT) as practices, and
    named colleagues reached through the contacts or a 家族群 as ADDRESS_BOOK / PUBLIC_SHAMING only;
    the held-out guidelines (tests/fixtures/tags/heldout/GUIDELINES.md, G5, THREAT, C2) decide the
    other way, and the tagger follows those.
    """
    from tag_evaluation import evaluate, labelled_documents

    docs = labelled_documents()
    assert len(docs) >= 200
    scores = evaluate(docs)
    assert scores["ALL"].precision >= 0.93 and scores["ALL"].recall >= 0.87
    for code in ("HOME_VISIT", "INSULT", "PUBLIC_SHAMING", "HARASSING_CALLS"):
        assert scores[code].precision >= 0.95 and scores[code].recall >= 0.90, code
    assert scores["FAKE_LEGAL"].precision >= 0.95 and scores["FAKE_LEGAL"].recall >= 0.85
    assert scores["ADDRESS_BOOK"].precision >= 0.95 and scores["ADDRESS_BOOK"].recall >= 0.70
    assert scores["CONTACT_THIRD_PARTY"].precision >= 0.78 and scores["CONTACT_THIRD_PARTY"].recall >= 0.85
    assert scores["THREAT"].precision >= 0.95 and scores["THREAT"].recall >= 0.78
    assert scores["RELEVANCE"].precision >= 0.95 and scores["RELEVANCE"].recall >= 0.90


def test_quality_floors_on_the_heldout_test_split():
    """Floors a little below the measurement on the held-out set's test half (even ids), whose
    documents were never looked at while the cues were revised (only dev, the odd ids, was).

    Lowering a floor needs a reason in docs/analysis.md. Do not raise these by tuning on the test
    documents: revise cues on the dev split and re-measure.
    """
    from tag_evaluation import evaluate, heldout_documents

    docs = heldout_documents("test")
    assert len(docs) >= 120
    scores = evaluate(docs)
    # measured when the floors were set: ALL 0.909 / 0.703, RELEVANCE 0.990 / 0.917
    assert scores["ALL"].precision >= 0.86 and scores["ALL"].recall >= 0.65
    assert scores["RELEVANCE"].precision >= 0.94 and scores["RELEVANCE"].recall >= 0.87


# -- the practice tagger is linear in text length (issue 12 item 7) ------------------------------
#
# The old matcher (tests/practices_reference.py) rescanned the whole clause and sentence for every
# match; the product reads bounded windows. These tests hold (a) the same matches as the old one
# wherever clauses fit the windows, on random texts built from real labelled sentences, and (b) a
# bounded count of characters the context checks read per match, on long unpunctuated text.

import random as _random  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import practices_reference  # noqa: E402
from lendcorpus.pipelines.tag import practices as practices_mod  # noqa: E402


def _as_tuples(matches):
    return [(m.code, m.cue, m.start, m.end) for m in matches]


@pytest.fixture(scope="module")
def reference():
    return practices_reference.PracticeTagger()


@pytest.fixture(scope="module")
def real_texts():
    from tag_evaluation import heldout_documents

    sentences = tomllib.loads((REPO / "tests" / "fixtures" / "tags" / "sentences.toml").read_text("utf-8"))["s"]
    return [s["text"] for s in sentences] + [d.text for d in heldout_documents("all")]


# words that switch the context checks on and off, so random texts exercise every filter
_CONTEXT_WORDS = ["没有", "没", "不", "没想到", "严禁", "不得", "怕", "会不会", "如果遇到", "听说", "好像", "我", "我主动",
                  "建议", "电影里", "情节严重", "涉嫌违法", "师傅", "警察", "被", "：", "“", "原话", "这种事", "吗", "的",
                  "催收", "逾期", "借呗", "信*飞", "爆通讯录", "上门", "威胁", "骂", "曝光", "群", "冒充", "我妈", "同事"]
_SEPARATORS = ["", "", " ", "，", "。", "！", "？", "\n", "；", "：", "、"]


def test_practices_equal_the_old_matcher_on_the_labelled_documents(practices, reference, real_texts):
    """Every labelled text alone, and all of them joined into one 13k-character document."""
    for text in real_texts:
        assert _as_tuples(practices.find(text)) == _as_tuples(reference.find(text)), text
    joined = "\n".join(real_texts)
    assert len(joined) > 10000
    assert _as_tuples(practices.find(joined)) == _as_tuples(reference.find(joined))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 200), st.integers(1, 40),
                          st.sampled_from(_SEPARATORS), st.integers(0, len(_CONTEXT_WORDS) * 3)),
                min_size=1, max_size=10))
def test_practices_equal_the_old_matcher_on_random_texts(practices, reference, real_texts, parts):
    """Slices of real sentences, context words and separators in random order. Texts stay under
    CLAUSE_WINDOW characters, so no clause or sentence can exceed a window: the matches must be
    exactly the old matcher's."""
    pieces = []
    for which, offset, length, sep, word in parts:
        src = real_texts[which % len(real_texts)]
        o = offset % max(1, len(src))
        pieces.append(src[o:o + length])
        if word < len(_CONTEXT_WORDS):
            pieces.append(_CONTEXT_WORDS[word])
        pieces.append(sep)
    text = "".join(pieces)[:practices_mod.CLAUSE_WINDOW - 1]
    assert _as_tuples(practices.find(text)) == _as_tuples(reference.find(text))


def test_context_checks_read_a_bounded_window(practices, reference):
    """A prohibition far back in an unpunctuated run no longer rules a cue out (the old matcher
    read the whole run); one nearby still does."""
    near = "新规严禁催收" + "平台" * 10 + "爆通讯录"
    assert practices.codes(near) == reference.codes(near) == set()
    far = "新规严禁催收" + "平台" * (practices_mod.CLAUSE_WINDOW // 2 + 10) + "爆通讯录"
    assert reference.codes(far) == set()
    assert practices.codes(far) == {"ADDRESS_BOOK"}


class _Counting:
    """A compiled pattern that counts the characters each call may read."""

    def __init__(self, pattern, counter):
        self._p, self._c = pattern, counter

    def _span(self, string, pos=0, endpos=None):
        end = len(string) if endpos is None else min(endpos, len(string))
        self._c[0] += max(0, end - pos)

    def search(self, string, pos=0, endpos=None):
        self._span(string, pos, endpos)
        return self._p.search(string, pos, len(string) if endpos is None else endpos)

    def match(self, string, pos=0, endpos=None):
        self._span(string, pos, endpos)
        return self._p.match(string, pos, len(string) if endpos is None else endpos)

    def finditer(self, string, pos=0, endpos=None):
        self._span(string, pos, endpos)
        return self._p.finditer(string, pos, len(string) if endpos is None else endpos)

    def sub(self, repl, string, count=0):
        self._span(string)
        return self._p.sub(repl, string, count)


def test_context_work_per_match_is_bounded_on_long_unpunctuated_text(real_texts):
    """Work units, not time: the characters the context filters read per character of text stay
    constant as the text grows 16-fold (the old matcher read the whole run for every candidate
    match, so its reads grew with the square of the length)."""
    import re

    tagger = PracticeTagger()
    counter = [0]
    tagger._filters = {k: _Counting(p, counter) for k, p in tagger._filters.items()}
    tagger._not_after = {k: (_Counting(p, counter) if p else None) for k, p in tagger._not_after.items()}
    unpunctuated = re.sub("[，,。！？!?；;：:\n]", " ", "".join(real_texts))
    per_char = []
    for n in (25_000, 100_000, 400_000):
        counter[0] = 0
        text = (unpunctuated * (n // len(unpunctuated) + 1))[:n]
        matches = tagger.find(text)
        assert len(matches) > n / 200  # the cues are found all along the text
        per_char.append(counter[0] / n)
    assert per_char[-1] < 1.3 * per_char[0], per_char


def test_cues_whose_literals_are_absent_are_not_run():
    """Every cue has literal anchors (one of which each match contains); a text without them
    makes no cue run, and anchors are right for a sample of cues."""
    from lendcorpus.pipelines.tag.practices import anchors

    tagger = PracticeTagger()
    assert all(ids is not None for ids in tagger._anchor_ids.values())
    assert anchors("(?:短信|电话|消息|微信)轰炸") == frozenset({"轰炸"})
    assert anchors("威胁|恐吓") == frozenset({"威胁", "恐吓"})
    assert anchors("(?:我)?(?:的)?") is None
    rng = _random.Random(3)
    text = "".join(rng.choice("abcdefgh 0123") for _ in range(5000))
    assert tagger._present(text) == set()
    assert tagger.find(text) == []


# -- relevance on finance and fraud news (issue 14 item 5) --------------------------------------


def test_market_news_and_scam_warnings_are_not_relevant(platforms, practices):
    """Invented texts of the two kinds the score used to fire on: a bond-market report and a
    telephone-scam warning. Neither has the vocabulary of a debt being collected from a person."""
    bond = ("昨日银行间债券市场收益率整体下行，10年期国债收益率下跌3个基点。分析人士认为，央行降准释放流动性，"
            "信贷投放加快，企业贷款利率继续走低；部分城投债务展期引发关注，但违约风险总体可控。")
    scam = ("警方提醒：近日，市民王女士接到自称公安局民警的电话，称其身份证涉嫌洗钱，要求她把存款转到安全账户。"
            "王女士先后转账12万元，后发现被骗。有骗子还冒充银行客服，以信用卡额度提升、征信修复为名实施诈骗。")
    for text in (bond, scam):
        n_p = len({m.platform for m in platforms.find(text)})
        score, evidence = relevance(text, n_p, len(practices.codes(text)))
        assert score < RELEVANCE_THRESHOLD, (score, evidence)
        assert evidence["scaled"] == 0.25
    # the same vocabulary in a collection complaint still counts
    complaint = "网贷逾期三个月，催收冒充公安说我涉嫌诈骗，要把案件移交当地派出所。"
    assert relevance(complaint, 0, len(practices.codes(complaint)))[0] >= RELEVANCE_THRESHOLD
    assert relevance("报名材料请于12月15日前提交，逾期不予受理。")[0] < RELEVANCE_THRESHOLD


def test_relevance_precision_on_real_offtopic_pages():
    """Real pages of ../shared/eval that are not about lending or collection (finance, economy,
    news, blogs): none may be flagged, and precision over them plus the held-out test half stays
    >= 0.95 (it was 0.917: eight pages flagged, five of them finance)."""
    from tag_evaluation import offtopic_documents, relevance_with_offtopic

    assert len(offtopic_documents()) >= 70  # fails (not skips) without ../shared/eval
    scores = relevance_with_offtopic()
    assert scores["heldout test + off-topic"].precision >= 0.95
    assert scores["heldout test + off-topic"].recall >= 0.91  # 0.917 before and after relevance@3
    assert scores["off-topic pages"].fp <= 1
    assert scores["finance pages"].tn >= 10 and scores["finance pages"].fp == 0


def test_taggers_survive_pickling_for_worker_processes(real_texts):
    """The build runs taggers in worker processes: a pickled tagger tags exactly as the original."""
    import pickle

    tagger, matcher = PracticeTagger(), PlatformMatcher()
    tagger2, matcher2 = pickle.loads(pickle.dumps(tagger)), pickle.loads(pickle.dumps(matcher))
    joined = "\n".join(real_texts)
    assert _as_tuples(tagger2.find(joined)) == _as_tuples(tagger.find(joined))
    assert matcher2.find(joined) == matcher.find(joined)
