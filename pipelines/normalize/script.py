"""Step 6: keep the text in its own script, add a Simplified copy, and say which script it is.

OpenCC config: ``t2s`` (measured against shared/eval/opencc-testcases, see docs/normalize.md).
It converts characters and only the phrases needed to pick the right character; ``tw2sp``
would also swap Taiwan vocabulary for mainland words (軟體 -> 软件), which rewrites what the
author wrote. The Simplified copy exists so dedup and search see one script, not to translate.

The script label comes from characters that exist in only one script: Traditional-only
characters (t2s changes them) against Simplified-only ones (s2t changes them, t2s does not).
"""

from __future__ import annotations

import re
from array import array
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from .charclass import HAN_SIMP, HAN_TRAD, CharCounts

_U32 = "I" if array("I").itemsize == 4 else "L"

NAME = "script"
VERSION = 2  # 2: Big5 level-1 characters (台, 里, 吃, 群...) are no longer Simplified-only evidence
OPENCC_CONFIG = "t2s"

_HAN_RUNS_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def count_han(text: str) -> int:
    """Han characters in ``text`` (counting runs allocates far fewer objects than findall)."""
    return sum(map(len, _HAN_RUNS_RE.findall(text)))


def _count_changed(a: str, b: str) -> int:
    """Positions where equal-length ``a`` and ``b`` differ, compared as UTF-32 words in C."""
    a32 = a.encode("utf-32-le")
    b32 = b.encode("utf-32-le")
    x = (int.from_bytes(a32, "little") ^ int.from_bytes(b32, "little")).to_bytes(len(a32), "little")
    words = array(_U32, x)
    return len(words) - words.count(0)


@lru_cache(maxsize=None)
def converter(config: str = OPENCC_CONFIG):
    """One OpenCC converter per config for the whole process (building one reads dictionaries)."""
    import opencc

    return opencc.OpenCC(config)


def _big5_frequent(ch: str) -> bool:
    """In Big5's frequently used block (level 1, A440-C67E): an everyday Traditional character.

    63 characters that OpenCC s2t would change are also ordinary Traditional characters there
    (台 of 台灣, 裡's partner 里 of 公里, 吃, 群, 于, 后, 并...): Taiwan and Hong Kong text uses them
    all the time, so they say nothing about Simplified script."""
    try:
        b = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and b"\xa4\x40" <= b <= b"\xc6\x7e"


@lru_cache(maxsize=1)
def _script_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    chars = [chr(o) for o in range(0x4E00, 0xA000)] + [chr(o) for o in range(0x3400, 0x4DC0)]
    joined = "\n".join(chars)
    simp = converter("t2s").convert(joined).split("\n")
    trad = converter("s2t").convert(joined).split("\n")
    trad_only = [c for c, s in zip(chars, simp) if s != c]
    simp_only = [c for c, s, t in zip(chars, simp, trad) if s == c and t != c and not _big5_frequent(c)]
    return (
        re.compile("[" + "".join(trad_only) + "]"),
        re.compile("[" + "".join(simp_only) + "]"),
    )


def classify(text: str, traditional: int | None = None, counts: CharCounts | None = None) -> tuple[str, int, int, int]:
    """(script, han, traditional_only, simplified_only) for ``text``.

    ``traditional`` may be given as the number of characters t2s changed in context (the
    chain has it anyway); otherwise Traditional-only characters are counted. ``counts`` (the
    chain's one-pass class counts of ``text``) saves rescanning it."""
    counts = counts if counts is not None else CharCounts(text)
    han = counts.han
    if han == 0:
        return "none", 0, 0, 0
    t = counts[HAN_TRAD] if traditional is None else traditional
    s = counts[HAN_SIMP]
    if t + s == 0:
        label = "hans"  # only characters shared by both scripts: already valid Simplified
    elif t + s < 3:
        label = "hant" if t > s else "hans"
    elif t >= 0.9 * (t + s):
        label = "hant"
    elif s >= 0.9 * (t + s):
        label = "hans"
    else:
        label = "mixed"
    return label, han, t, s


def changed_count(text: str, simplified: str, counts: CharCounts | None = None) -> int:
    """How many characters the Simplified copy changed."""
    if text == simplified:
        return 0
    if len(text) == len(simplified):
        return counts.changed(simplified) if counts is not None else _count_changed(text, simplified)
    if len(text) <= 200_000:
        sm = SequenceMatcher(None, text, simplified, autojunk=False)
        return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in sm.get_opcodes() if op != "equal")
    return len(_script_classes()[0].findall(text))


class ScriptStep:
    name = NAME
    version = VERSION

    def annotate(self, text: str, counts: CharCounts | None = None) -> dict[str, Any]:
        counts = counts if counts is not None else CharCounts(text)
        han = counts.han
        simplified = converter(OPENCC_CONFIG).convert(text) if han else text
        changed = changed_count(text, simplified, counts)
        label, _han, _t, _s = classify(text, traditional=changed, counts=counts)
        return {
            "script": label,
            "text_simplified": simplified,
            "simplified_changed_share": round(min(1.0, changed / han), 4) if han else 0.0,
            "han_count": han,
        }


STEP = ScriptStep()
