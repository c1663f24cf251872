"""Step 3: remove inline pinyin annotations such as ``現(xiàn)``.

Content farms annotate characters with their reading, which wrecks n-gram dedup (annotated and
clean copies of one article share under half of their 5-grams). An annotation is removed only
when it directly follows a Han character and is one of that character's readings according to
pypinyin's heteronym data (tone marks compared exactly; an annotation written without any tone
mark may match a reading with its tone stripped). Anything else in brackets stays, e.g.
``(多數情況下為3-7天)``. Half-width and full-width brackets are both recognised.

A reading-like annotation that follows something other than a Han character (left over from
other damage, ``?yàn)``) is not removed but flagged.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .base import Repair, StepResult, splice
from .charclass import CharCounts

NAME = "pinyin"
VERSION = 1

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PY_LETTERS = "a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿêê̄ếề"
# one scan for bracketed letters; what precedes the bracket is checked in Python (a pattern that
# starts with the bracket is much faster to scan for than one that starts with a Han class)
_BRACKET_RE = re.compile(f"[(（]([{_PY_LETTERS}]{{1,7}})[)）]")
_HAN_CHAR_RE = re.compile(f"[{_HAN}]")
# leftovers of other damage: a reading closed by a bracket but opened by ?/U+FFFD (``?yàn)``)
_ORPHAN_RE = re.compile(f"[?？\ufffd]([{_PY_LETTERS}]{{1,7}})[)）]")
_TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿếề"


@lru_cache(maxsize=1)
def _pinyin_api():
    from pypinyin import Style, pinyin

    return pinyin, Style


def _strip_tones(s: str) -> str:
    s = s.replace("ü", "v")
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return s.replace("v", "ü")


@lru_cache(maxsize=32768)
def readings(ch: str) -> frozenset[str]:
    """Readings of one character with tone marks (lower case), from pypinyin."""
    pinyin, Style = _pinyin_api()
    out = pinyin(ch, style=Style.TONE, heteronym=True, errors=lambda x: [[]])
    res = set()
    for group in out:
        for r in group:
            if r:
                res.add(r.lower())
    return frozenset(res)


@lru_cache(maxsize=32768)
def _toneless_readings(ch: str) -> frozenset[str]:
    return frozenset(_strip_tones(r) for r in readings(ch))


@lru_cache(maxsize=65536)
def is_reading(ch: str, annotation: str) -> bool:
    a = unicodedata.normalize("NFC", annotation.lower()).replace("v", "ü")
    if a in readings(ch):
        return True
    if not any(c in _TONE_MARKS for c in a):
        return a in _toneless_readings(ch)
    return False


#: (character + bracketed annotation) -> verdict; a plain dict lookup is cheaper than the
#: two-argument lru_cache call, and farms repeat the same annotations endlessly
_READING_CACHE: dict[str, str] = {}
_REMOVE, _KEEP, _ORPHAN = "remove", "keep", "orphan"


def _verdict(key: str) -> str:
    """For ``key`` = a character + "(letters)": remove the annotation (a reading of the Han
    character before it), keep it, or flag it (reading-like, after something not Han)."""
    prev, letters = key[0], key[2:-1]  # the brackets are one character each
    if "\u4e00" <= prev <= "\u9fff" or "\u3400" <= prev <= "\u4dbf" or "\uf900" <= prev <= "\ufaff":  # _HAN
        return _REMOVE if is_reading(prev, letters) else _KEEP
    return _ORPHAN if _has_tone(letters) else _KEEP


class PinyinStep:
    name = NAME
    version = VERSION

    def apply(self, text: str, stats: CharCounts | None = None) -> StepResult:
        if stats is not None:
            has_bracket, has_orphan_mark = stats.has("open_bracket"), stats.has("orphan_mark")
        else:
            has_bracket = "(" in text or "（" in text
            has_orphan_mark = "?" in text or "？" in text or "\ufffd" in text
        if not has_bracket and not has_orphan_mark:
            return StepResult(text)
        repairs: list[Repair] = []
        flags: list[dict] = []
        if has_bracket:
            get, new = _READING_CACHE.get, tuple.__new__
            for m in _BRACKET_RE.finditer(text):
                start, end = m.span()
                if start:
                    key = text[start - 1 : end]  # the character before and the bracketed letters
                    verdict = get(key)
                    if verdict is None:
                        verdict = _READING_CACHE[key] = _verdict(key)
                        if len(_READING_CACHE) > 200_000:
                            _READING_CACHE.clear()
                    if verdict is _REMOVE:
                        repairs.append(new(Repair, (NAME, start, end, key[1:], "", None)))
                    elif verdict is _ORPHAN:
                        flags.append({"step": NAME, "kind": "orphan-pinyin", "start": start, "end": end})
                elif _has_tone(m.group(1)):
                    flags.append({"step": NAME, "kind": "orphan-pinyin", "start": start, "end": end})
        if has_orphan_mark and (")" in text or "）" in text):
            for m in _ORPHAN_RE.finditer(text):
                if _has_tone(m.group(1)):
                    flags.append({"step": NAME, "kind": "orphan-pinyin", "start": m.start(), "end": m.end()})
        return StepResult(splice(text, repairs), repairs, flags, {"pinyin_removed": len(repairs)})


def _has_tone(s: str) -> bool:
    return any(c in _TONE_MARKS for c in s.lower())


def _overlaps(a: int, b: int, repairs: list[Repair]) -> bool:
    return any(a < r.end and r.start < b for r in repairs)


STEP = PinyinStep()
