"""Step 7: language from script statistics first, langdetect only where script cannot decide.

langdetect calls Traditional Chinese Korean (all four seeds: ``ko`` 0.86-0.99999), is random
unless seeded, and costs ~3 ms a document. Script decides CJK cheaply and reliably: kana means
Japanese, hangul means Korean, Han without either means Chinese, whatever the script or length.
langdetect (seed 0, so results repeat) is asked only about text in Latin, Cyrillic, Arabic and
other scripts shared by many languages.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from . import charclass
from .charclass import CharCounts

NAME = "lang"
VERSION = 1

_COUNTERS = {
    "han": re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"),
    "kana": re.compile("[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]"),
    "hangul": re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),
    "latin": re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
    "cyrillic": re.compile("[\u0400-\u04ff]"),
    "arabic": re.compile("[\u0600-\u06ff\u0750-\u077f]"),
    "thai": re.compile("[\u0e00-\u0e7f]"),
    "greek": re.compile("[\u0370-\u03ff]"),
    "hebrew": re.compile("[\u0590-\u05ff]"),
    "devanagari": re.compile("[\u0900-\u097f]"),
}
#: scripts that name their language outright
_SCRIPT_LANG = {"thai": "th", "greek": "el", "hebrew": "he", "hangul": "ko", "kana": "ja"}
_LANGDETECT_CHARS = 2000


@lru_cache(maxsize=1)
def _langdetect():
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    return detect, LangDetectException


def langdetect_only(text: str) -> str:
    """langdetect alone (seeded), for comparison in the evaluation."""
    detect, exc = _langdetect()
    try:
        code = detect(text[:_LANGDETECT_CHARS])
    except exc:
        return "und"
    return code.split("-")[0]


def script_counts(text: str) -> dict[str, int]:
    return {name: len(rx.findall(text)) for name, rx in _COUNTERS.items()}


def _counts_dict(counts: CharCounts) -> dict[str, int]:
    """``script_counts`` from the chain's one-pass class counts (same keys, same order)."""
    c = counts
    return {"han": c.han + c[charclass.HAN_EXT], "kana": c[charclass.KANA], "hangul": c[charclass.HANGUL],
            "latin": c[charclass.LATIN], "cyrillic": c[charclass.CYRILLIC], "arabic": c[charclass.ARABIC],
            "thai": c[charclass.THAI], "greek": c[charclass.GREEK], "hebrew": c[charclass.HEBREW],
            "devanagari": c[charclass.DEVANAGARI]}


def detect_language(text: str, counts: CharCounts | None = None) -> tuple[str, str]:
    """(language, method) where method is 'script' or 'langdetect' or 'none'. ``counts`` (the
    chain's one-pass class counts of ``text``) saves rescanning it."""
    counts = counts if counts is not None else CharCounts(text)
    c = _counts_dict(counts)
    han = counts.han  # BMP Han only, as count_han
    if han:
        # Chinese unless something overrules it
        kana, hangul = c["kana"], c["hangul"]
        cjk = han + kana + hangul
        if kana and kana >= 0.1 * (han + kana) and kana >= hangul:
            return "ja", "script"
        if hangul and hangul >= 0.1 * cjk:
            return "ko", "script"
        # Han text; a few Latin words (brands, URLs) do not make it English
        if han * 3 >= c["latin"]:
            if han >= max(c["cyrillic"], c["arabic"], c["thai"]):
                return "zh", "script"
    # a CJK character carries about as much as a short Latin word, so weigh it that way
    weighted = {k: v * (3 if k in ("han", "kana", "hangul") else 1) for k, v in c.items()}
    top = max(weighted, key=lambda k: weighted[k])
    if weighted[top] == 0:
        return "und", "none"
    if top == "han":
        return "zh", "script"
    if top in _SCRIPT_LANG:
        return _SCRIPT_LANG[top], "script"
    return langdetect_only(text), "langdetect"


class LanguageStep:
    name = NAME
    version = VERSION

    def annotate(self, text: str, counts: CharCounts | None = None) -> dict[str, Any]:
        lang, method = detect_language(text, counts)
        return {"lang": lang, "lang_method": method}


STEP = LanguageStep()
