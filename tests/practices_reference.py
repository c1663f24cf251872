"""Oracle for the tests and benchmarks: the practice tagger's matching as it was at LOGIC_VERSION 2.

A frozen copy (do not edit, do not import from the product). Its context checks rescan whole
clauses and sentences for every match, which is quadratic on long unpunctuated text; the
product's tagger (pipelines/tag/practices.py) must give the same matches wherever clauses and
sentences fit its windows. tests/test_tags.py compares them on random and labelled texts;
benchmarks/bench_tags.py times both.

The original module docstring follows.

Collection practices in a text, with evidence spans (taxonomy: datasets/lexicons/practices.toml).

A cue match counts unless its context says the practice did not happen to anyone:

* negation just before it in the same clause ("没有上门", "也没骂人");
* a prohibition earlier in the clause ("不得冒充公检法", "严禁爆通讯录");
* a question clause ("会不会爆通讯录？"), a worry ("怕他们找到我公司"), a hypothetical or piece of
  advice earlier in the sentence ("如果遭遇爆通讯录……"), hedged hearsay ("听说这家会上门");
* a bare topic mention right after it ("爆通讯录这种事……", "辱骂犯法吗");
* a sentence about fiction (a film's villain 威胁 the hero) or a legal explainer ("情节严重的可能构成侮辱罪");
* the borrower as the subject ("我主动跟家人说了", "我骂了他") outside quoted speech;
* practice-specific excluded agents before it (a repairman's or the police's 上门).

Cues in a practice's ``cues`` list are ambiguous words (上门, 威胁, 骂, 曝光, 群, 冒充……) and count
only in a document with collection context: a ``[context]`` term (催收, 逾期, 欠钱……), a lending
platform of datasets/lexicons/platforms.toml, or a ``standalone`` cue of any practice.
``standalone`` cues are collection jargon that count anywhere. Where cues of one practice overlap,
the longest match is kept as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lendcorpus.pipelines.tag.lexicon import LEXICON_DIR, load
from lendcorpus.pipelines.tag.platforms import PlatformMatcher

# Bump when the matching logic below changes (the lexicon hash covers the TOML only).
LOGIC_VERSION = 2
NEGATION_WINDOW = 8
CLAUSE_BREAKS = "，,。！？!?；;：:\n"
SENTENCE_BREAKS = "。！？!?\n"
QUOTE_MARKS = ("：", ":", "“", "「", "『", "原话")
_VOCAB_REF = re.compile(r"\{([A-Z_]+)\}")


@dataclass(frozen=True)
class PracticeMatch:
    code: str
    cue: str  # the text that matched
    start: int
    end: int


def _expand(pattern: str, vocab: dict[str, str]) -> str:
    """Replace {NAME} references to the lexicon's [vocab] table (nested references allowed)."""
    for _ in range(8):
        new = _VOCAB_REF.sub(lambda m: f"(?:{vocab[m.group(1)]})", pattern)
        if new == pattern:
            return new
        pattern = new
    raise ValueError(f"vocab references nest too deeply in {pattern!r}")


def _compile(cues: list[str], vocab: dict[str, str]) -> list[re.Pattern]:
    # one pattern per cue, so a blocked match of one cue does not hide another cue's match
    return [re.compile(_expand(c, vocab)) for c in cues]


def _non_overlapping(matches: list[PracticeMatch]) -> list[PracticeMatch]:
    """Per code, the longest match wins where several overlap."""
    kept: list[PracticeMatch] = []
    for m in sorted(matches, key=lambda m: (m.code, m.start, -(m.end - m.start))):
        if kept and kept[-1].code == m.code and m.start < kept[-1].end:
            continue
        kept.append(m)
    return kept


def _last_break(text: str, pos: int, breaks: str) -> int:
    return max(text.rfind(ch, 0, pos) for ch in breaks) + 1


def _next_break(text: str, pos: int, breaks: str) -> int:
    ends = [i for i in (text.find(ch, pos) for ch in breaks) if i >= 0]
    return min(ends) if ends else len(text)


class PracticeTagger:
    def __init__(self, directory: Path = LEXICON_DIR):
        data, digest = load("practices", directory)
        self.version = f"practices@{digest}-{LOGIC_VERSION}"
        vocab = data.get("vocab", {})
        self.practices = {p["code"]: p for p in data["practice"]}
        self._context = re.compile("|".join(data["context"]["terms"]))
        self._platforms = PlatformMatcher(directory if (Path(directory) / "platforms.toml").exists() else LEXICON_DIR)
        self._filters = {k: re.compile(_expand(v, vocab)) for k, v in data["filters"].items()}
        self._patterns: dict[str, tuple[list[re.Pattern], list[re.Pattern]]] = {}
        self._not_after: dict[str, re.Pattern | None] = {}
        for code, p in self.practices.items():
            self._patterns[code] = (_compile(p.get("standalone", []), vocab), _compile(p["cues"], vocab))
            na = p.get("not_after")
            self._not_after[code] = re.compile(f"(?:{_expand(na, vocab)})[^{CLAUSE_BREAKS}]{{0,6}}$") if na else None

    # -- context checks -------------------------------------------------------------------------

    def _blocked(self, code: str, text: str, start: int, end: int) -> bool:
        f = self._filters
        clause_start = _last_break(text, start, CLAUSE_BREAKS)
        sentence_start = _last_break(text, start, SENTENCE_BREAKS)
        clause_prefix = text[clause_start:start]
        sentence_prefix = text[sentence_start:start]
        clause_end = _next_break(text, end, CLAUSE_BREAKS)
        sentence_end = _next_break(text, end, SENTENCE_BREAKS)
        # negation just before the cue (false negations such as 没想到 / 没还 / 无法 masked out)
        window = f["not_negation"].sub("＿", clause_prefix)[-NEGATION_WINDOW:]
        negations = list(f["negation"].finditer(window))
        # a negation inside a relative clause (没联系的同学都接到电话) does not deny the cue
        if (negations and "的" not in window[negations[-1].end():]) or window.endswith(("不", "没")):
            return True
        if f["prohibition"].search(clause_prefix) or f["worry"].search(clause_prefix):
            return True
        if f["hypothetical"].search(sentence_prefix) or f["hearsay"].search(sentence_prefix):
            return True
        if clause_end < len(text) and text[clause_end] in "？?":
            return True
        if f["topic_after"].match(text[end:clause_end]):
            return True
        sentence = text[sentence_start:sentence_end]
        if f["fiction"].search(sentence) or f["legal_modal"].search(sentence):
            return True
        if code != "FAKE_LEGAL" and f["legal_wrong"].search(sentence):
            return True
        if not any(q in sentence_prefix for q in QUOTE_MARKS):
            owned = f["possessed"].match(text[start:end])
            if (f["first_person"].search(clause_prefix) and not owned) or f["advisory"].search(clause_prefix):
                return True
        na = self._not_after[code]
        return bool(na and na.search(clause_prefix))

    def _matches(self, patterns: list[re.Pattern], code: str, text: str) -> list[PracticeMatch]:
        return [PracticeMatch(code, m.group(0), m.start(), m.end()) for pattern in patterns
                for m in pattern.finditer(text) if m.group(0) and not self._blocked(code, text, m.start(), m.end())]

    # -- public API -----------------------------------------------------------------------------

    def find(self, text: str) -> list[PracticeMatch]:
        """Every cue match that its context does not rule out, in text order."""
        strong, weak = [], []
        for code, (standalone, cues) in self._patterns.items():
            strong += self._matches(standalone, code, text)
            weak += self._matches(cues, code, text)
        if weak and not strong and not self._context.search(text) and not self._platforms.find(text):
            weak = []
        out = _non_overlapping(strong + weak)
        out.sort(key=lambda m: (m.start, m.code))
        return out

    def codes(self, text: str) -> set[str]:
        return {m.code for m in self.find(text)}
