"""Collection practices in a text, with evidence spans (taxonomy: datasets/lexicons/practices.toml).

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

Cost is linear in the text: one Aho-Corasick scan finds the literals every cue needs (a cue whose
literals are absent is not run at all), clause and sentence bounds come from break positions
found once (binary search, no per-match rescans of the text), and every context check reads a
bounded window around the match (CLAUSE_WINDOW / SENTENCE_WINDOW characters; the longest clause
in the labelled sets is 33 characters, the longest sentence 99). A clause longer than the window
(a page with no punctuation) is judged on the window nearest the match.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from lendcorpus.pipelines.tag.lexicon import LEXICON_DIR, load
from lendcorpus.pipelines.tag.platforms import PlatformMatcher

try:  # Python 3.11+: the regex parser lives in re._parser
    from re import _constants as _sre_c, _parser as _sre_parse
except ImportError:  # pragma: no cover - older layouts
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

# Bump when the matching logic below changes (the lexicon hash covers the TOML only).
# 3: context checks read bounded windows (same tags as 2 whenever clauses and sentences fit them).
LOGIC_VERSION = 3
NEGATION_WINDOW = 8
#: context checks look at most this far from a match (a clause / a sentence longer than this is
#: judged on the part nearest the match); 6x and 5x the longest in the labelled sets
CLAUSE_WINDOW = 200
SENTENCE_WINDOW = 500
CLAUSE_BREAKS = "，,。！？!?；;：:\n"
SENTENCE_BREAKS = "。！？!?\n"
QUOTE_MARKS = ("：", ":", "“", "「", "『", "原话")
_VOCAB_REF = re.compile(r"\{([A-Z_]+)\}")
_CLAUSE_BREAK_RE = re.compile("[" + re.escape(CLAUSE_BREAKS) + "]")
_SENTENCE_BREAK_RE = re.compile("[" + re.escape(SENTENCE_BREAKS) + "]")
_QUOTE_RE = re.compile("|".join(re.escape(q) for q in QUOTE_MARKS))


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


# -- literal anchors: strings one of which every match of a cue contains ----------------------------

def _seq_anchors(items, depth: int = 0) -> frozenset[str] | None:
    """Anchor set of a parsed regex sequence, or None when no literal is mandatory."""
    if depth > 50:
        return None
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is _sre_c.LITERAL:
            run.append(chr(av))
            continue
        flush()
        found: frozenset[str] | None = None
        if op is _sre_c.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            found = None if add_flags & re.IGNORECASE else _seq_anchors(sub.data, depth + 1)
        elif op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", None)):
            lo, _hi, sub = av
            found = _seq_anchors(sub.data, depth + 1) if lo >= 1 else None
        elif op is getattr(_sre_c, "ATOMIC_GROUP", None):
            found = _seq_anchors(av.data, depth + 1)
        elif op is _sre_c.BRANCH:
            subs = [_seq_anchors(b.data, depth + 1) for b in av[1]]
            found = None if any(s is None for s in subs) else frozenset().union(*subs)
        elif op is _sre_c.IN:
            if all(o is _sre_c.LITERAL for o, _ in av) and len(av) <= 16:
                found = frozenset(chr(v) for _, v in av)
        if found and "" not in found:
            candidates.append(found)
    flush()
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(len(x) for x in s), -len(s)))


def anchors(pattern: str) -> frozenset[str] | None:
    """Literals one of which every non-empty match of ``pattern`` contains (None: no such set).

    Used to skip cues whose literals do not occur in a text: a skipped cue could not have matched.
    """
    try:
        parsed = _sre_parse.parse(pattern)
    except Exception:  # pragma: no cover - the pattern compiled already
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    return _seq_anchors(parsed.data)


class _Bounds:
    """Clause and sentence bounds around positions of one text, from break positions found once."""

    __slots__ = ("n", "clause", "sentence")

    def __init__(self, text: str) -> None:
        self.n = len(text)
        self.clause = [m.start() for m in _CLAUSE_BREAK_RE.finditer(text)]
        self.sentence = [m.start() for m in _SENTENCE_BREAK_RE.finditer(text)]

    @staticmethod
    def last(breaks: list[int], pos: int) -> int:
        """Start of the span holding ``pos``: one past the last break before it (0 if none)."""
        i = bisect_left(breaks, pos)
        return breaks[i - 1] + 1 if i else 0

    def next(self, breaks: list[int], pos: int) -> int:
        """First break at or after ``pos`` (the text's length if none)."""
        i = bisect_left(breaks, pos)
        return breaks[i] if i < len(breaks) else self.n


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
        # one automaton over every cue's anchor literals; a cue without anchors always runs
        self._anchor_ids: dict[re.Pattern, tuple[int, ...] | None] = {}
        literal_ids: dict[str, int] = {}
        for standalone, cues in self._patterns.values():
            for pattern in (*standalone, *cues):
                found = anchors(pattern.pattern)
                self._anchor_ids[pattern] = None if found is None else tuple(
                    literal_ids.setdefault(s, len(literal_ids)) for s in sorted(found))
        self._automaton = ahocorasick.Automaton()
        for literal, i in literal_ids.items():
            self._automaton.add_word(literal, i)
        self._n_literals = len(literal_ids)
        if literal_ids:
            self._automaton.make_automaton()

    # -- context checks -------------------------------------------------------------------------

    def _sentence_blocks(self, text: str, lo: int, hi: int) -> tuple[bool, bool]:
        f = self._filters
        return (bool(f["fiction"].search(text, lo, hi) or f["legal_modal"].search(text, lo, hi)),
                bool(f["legal_wrong"].search(text, lo, hi)))

    def _blocked(self, code: str, text: str, start: int, end: int, bounds: _Bounds,
                 sentences: dict[tuple[int, int], tuple[bool, bool]]) -> bool:
        f = self._filters
        clause_start = max(bounds.last(bounds.clause, start), start - CLAUSE_WINDOW)
        sentence_start = max(bounds.last(bounds.sentence, start), start - SENTENCE_WINDOW)
        clause_end = bounds.next(bounds.clause, end)
        sentence_end = min(bounds.next(bounds.sentence, end), end + SENTENCE_WINDOW)
        # negation just before the cue (false negations such as 没想到 / 没还 / 无法 masked out)
        window = f["not_negation"].sub("＿", text[clause_start:start])[-NEGATION_WINDOW:]
        negations = list(f["negation"].finditer(window))
        # a negation inside a relative clause (没联系的同学都接到电话) does not deny the cue
        if (negations and "的" not in window[negations[-1].end():]) or window.endswith(("不", "没")):
            return True
        if f["prohibition"].search(text, clause_start, start) or f["worry"].search(text, clause_start, start):
            return True
        if f["hypothetical"].search(text, sentence_start, start) or f["hearsay"].search(text, sentence_start, start):
            return True
        if clause_end < len(text) and text[clause_end] in "？?":
            return True
        if f["topic_after"].match(text, end, min(clause_end, end + CLAUSE_WINDOW)):
            return True
        key = (sentence_start, sentence_end)
        flags = sentences.get(key)
        if flags is None:
            flags = sentences[key] = self._sentence_blocks(text, sentence_start, sentence_end)
        if flags[0] or (code != "FAKE_LEGAL" and flags[1]):
            return True
        if not _QUOTE_RE.search(text, sentence_start, start):
            owned = f["possessed"].match(text[start:end])
            if ((f["first_person"].search(text, clause_start, start) and not owned)
                    or f["advisory"].search(text, clause_start, start)):
                return True
        na = self._not_after[code]
        return bool(na and na.search(text, clause_start, start))

    def _present(self, text: str) -> set[int]:
        """Ids of the anchor literals that occur in ``text`` (one Aho-Corasick scan)."""
        present: set[int] = set()
        if self._n_literals:
            for _end, i in self._automaton.iter(text):
                present.add(i)
                if len(present) == self._n_literals:
                    break
        return present

    def _matches(self, patterns: list[re.Pattern], code: str, text: str, present: set[int], bounds: _Bounds,
                 sentences: dict) -> list[PracticeMatch]:
        out = []
        for pattern in patterns:
            ids = self._anchor_ids[pattern]
            if ids is not None and not any(i in present for i in ids):
                continue  # none of the literals every match needs occurs in the text
            out.extend(PracticeMatch(code, m.group(0), m.start(), m.end()) for m in pattern.finditer(text)
                       if m.group(0) and not self._blocked(code, text, m.start(), m.end(), bounds, sentences))
        return out

    # -- public API -----------------------------------------------------------------------------

    def find(self, text: str) -> list[PracticeMatch]:
        """Every cue match that its context does not rule out, in text order."""
        strong: list[PracticeMatch] = []
        weak: list[PracticeMatch] = []
        present = self._present(text)
        bounds = _Bounds(text)
        sentences: dict[tuple[int, int], tuple[bool, bool]] = {}
        for code, (standalone, cues) in self._patterns.items():
            strong += self._matches(standalone, code, text, present, bounds, sentences)
            weak += self._matches(cues, code, text, present, bounds, sentences)
        if weak and not strong and not self._context.search(text) and not self._platforms.find(text):
            weak = []
        out = _non_overlapping(strong + weak)
        out.sort(key=lambda m: (m.start, m.code))
        return out

    def codes(self, text: str) -> set[str]:
        return {m.code for m in self.find(text)}
