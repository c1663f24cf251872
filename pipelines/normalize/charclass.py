"""Character statistics of a text in one pass, shared by every step of the chain.

The steps used to rescan the text a dozen times: Han runs three times, the Simplified-only class,
kana, hangul, Latin... for script and language, and before that one "is there anything to do?"
scan per repair kind (surrogates, Latin-1 and box drawing, Big5-as-GBK signs, GBK "key"
characters, invisible and full-width characters, brackets, gap markers). Here every code point
is mapped by one lookup table to an *atom*: the set of classes and trigger sets it belongs to.
One pass (numpy: UTF-32 code points, table lookup, bincount) counts the atoms, and every class
count and trigger test is a sum over atoms. The chain builds one ``CharCounts`` of its input and
hands it to each step that sees that same text (and reuses it for the final text when no step
changed anything). Class boundaries are exactly the steps' regex classes: the trigger sets are
computed by running each step's own pattern over every code point, and
tests/normalize/test_script_lang.py compares counts and triggers with the regexes on random text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

#: class codes; the order of the language classes is the order in which the language step
#: breaks ties, keep it
OTHER, HAN_TRAD, HAN_SIMP, HAN_SHARED, HAN_EXT, KANA, HANGUL, LATIN, CYRILLIC, ARABIC, THAI, GREEK, HEBREW, \
    DEVANAGARI = range(14)
N_CLASSES = 14

_RANGES: dict[int, list[tuple[int, int]]] = {
    HAN_SHARED: [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)],
    HAN_EXT: [(0x20000, 0x3134F)],
    KANA: [(0x3041, 0x309F), (0x30A0, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9D)],
    HANGUL: [(0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F)],
    LATIN: [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)],
    CYRILLIC: [(0x400, 0x4FF)],
    ARABIC: [(0x600, 0x6FF), (0x750, 0x77F)],
    THAI: [(0xE00, 0xE7F)],
    GREEK: [(0x370, 0x3FF)],
    HEBREW: [(0x590, 0x5FF)],
    DEVANAGARI: [(0x900, 0x97F)],
}


@lru_cache(maxsize=1)
def _trigger_sets() -> dict[str, str | re.Pattern[str]]:
    """name -> a single-character regex (or a string of characters) whose matches make the set.
    A trigger set answers "could this step's pattern match at all?" (a necessary condition);
    the classes of two-character patterns are named by their own regex text (``pair``)."""
    from . import gaps, mojibake, unicode_clean

    sets: dict[str, str | re.Pattern[str]] = {
        "surrogate": mojibake._SURROGATE_RE,
        "latin_any": mojibake._LATIN_ANY_RE,
        "b5_odd": mojibake._B5_ODD_RE,
        "key": mojibake._KEY_RE,
        "fffd": "\ufffd",
        "unicode_any": re.compile(unicode_clean._ANY_RE.pattern.rstrip("+")),
        "open_bracket": "(（",
        "orphan_mark": "?？\ufffd",
        "close_bracket": ")）",
        "space": " \u3000",
        "gap_masked": gaps._FIRST_CHARS["masked"],
        "gap_brackets": gaps._FIRST_CHARS["empty-brackets"],
    }
    for cls in (*(c for p in mojibake._LATIN_UTF8_PAIRS for c in p), mojibake._SB_QUICK_CLASS, *mojibake._SHIFT_PAIR,
                *gaps._EMPTY_PAIR):
        sets.setdefault(cls, re.compile(cls))
    return sets


def triggers() -> tuple[str, ...]:
    """Names of the trigger sets, in column order."""
    return tuple(_trigger_sets())


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """Code point -> language class."""
    from .script import _script_classes

    table = np.zeros(0x110000, dtype=np.uint8)
    for cls, ranges in _RANGES.items():
        for lo, hi in ranges:
            table[lo : hi + 1] = cls
    trad_re, simp_re = _script_classes()
    # the classes are "[...]" of literal characters
    table[[ord(c) for c in trad_re.pattern[1:-1]]] = HAN_TRAD
    table[[ord(c) for c in simp_re.pattern[1:-1]]] = HAN_SIMP
    return table


@lru_cache(maxsize=1)
def _atoms() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(code point -> atom id, atom x (classes + triggers) membership, (classes + triggers) x atom
    membership as booleans)."""
    classes = _class_table()
    names = triggers()
    every = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    bits = np.zeros(0x110000, dtype=np.uint64)
    for i, name in enumerate(names):
        what = _trigger_sets()[name]
        bit = np.uint64(1 << i)
        if isinstance(what, str):
            bits[[ord(c) for c in what]] |= bit
        else:  # runs of matching code points (a few hundred), not one match object each
            for m in re.finditer(f"(?:{what.pattern})+", every):
                bits[m.start() : m.end()] |= bit
    # atom = rank of (class, trigger bits) among the combinations that occur
    key = (classes.astype(np.uint64) << np.uint64(len(names))) | bits
    combos = np.unique(key)
    atom = np.searchsorted(combos, key)
    if len(combos) > 255:
        raise RuntimeError(f"{len(combos)} character atoms do not fit the uint8 table")
    member = np.zeros((len(combos), N_CLASSES + len(names)), dtype=np.int64)
    member[np.arange(len(combos)), (combos >> np.uint64(len(names))).astype(np.int64)] = 1
    for i in range(len(names)):
        member[:, N_CLASSES + i] = ((combos >> np.uint64(i)) & np.uint64(1)).astype(np.int64)
    _TRIGGER_INDEX.update({name: N_CLASSES + i for i, name in enumerate(names)})
    # per column, contiguous: atom -> member of this class/trigger set?
    return atom.astype(np.uint8).reshape(-1), member, np.ascontiguousarray(member.T.astype(bool))


def _table() -> np.ndarray:
    """Code point -> language class (kept for callers of the one-table version)."""
    return _class_table()


#: trigger name -> its column in ``CharCounts.counts`` (filled with the table)
_TRIGGER_INDEX: dict[str, int] = {}


class CharCounts:
    """Counts per class of one text and its trigger sets, plus its code points (reused to
    compare with the Simplified copy)."""

    __slots__ = ("codes", "counts", "atoms")

    def __init__(self, text: str) -> None:
        self.codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        table, member, _ = _atoms()
        self.atoms = table[self.codes]
        if len(self.codes):
            self.counts = (np.bincount(self.atoms, minlength=len(member)) @ member).tolist()
        else:
            self.counts = [0] * member.shape[1]

    @property
    def han(self) -> int:
        """Han characters in the BMP blocks (what ``script.count_han`` counts)."""
        c = self.counts
        return c[HAN_TRAD] + c[HAN_SIMP] + c[HAN_SHARED]

    def __getitem__(self, cls: int) -> int:
        return self.counts[cls]

    def has(self, trigger: str) -> bool:
        """Whether the text holds any character of a trigger set (see ``triggers()``)."""
        return self.counts[_TRIGGER_INDEX[trigger]] > 0

    def pair(self, first: str, second: str) -> bool:
        """Whether a character of class ``first`` is directly followed by one of ``second``
        (what the two-character pattern ``first + second`` would find; classes by regex text)."""
        a, b = _TRIGGER_INDEX[first], _TRIGGER_INDEX[second]
        if not (self.counts[a] and self.counts[b]):
            return False
        columns = _atoms()[2]
        at = np.flatnonzero(columns[a].take(self.atoms[:-1]))  # where a first-class character stands
        return bool(columns[b].take(self.atoms[at + 1]).any())

    def changed(self, other: str) -> int | None:
        """Positions where ``other`` differs, when it has the same length (None otherwise)."""
        if len(other) != len(self.codes):
            return None
        b = np.frombuffer(other.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return int(np.count_nonzero(self.codes != b))
