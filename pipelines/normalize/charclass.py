"""Character-class counts of a text in one pass, shared by the script and language steps.

The script and language steps used to run a dozen regex scans over the final text (Han runs
three times, the Simplified-only class, kana, hangul, Latin...). Here every code point is mapped
to a class by one lookup table and the classes are counted together (numpy: UTF-32 bytes,
table lookup, bincount), so the text is read once. Class boundaries are exactly the character
classes the steps used before (tests/normalize/test_text_steps.py compares them on random text).
"""

from __future__ import annotations

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
def _table() -> np.ndarray:
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


class CharCounts:
    """Counts per class of one text, plus its code points (reused to compare with the Simplified copy)."""

    __slots__ = ("codes", "counts")

    def __init__(self, text: str) -> None:
        self.codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        self.counts = np.bincount(_table()[self.codes], minlength=N_CLASSES).tolist() if len(self.codes) \
            else [0] * N_CLASSES

    @property
    def han(self) -> int:
        """Han characters in the BMP blocks (what ``script.count_han`` counts)."""
        c = self.counts
        return c[HAN_TRAD] + c[HAN_SIMP] + c[HAN_SHARED]

    def __getitem__(self, cls: int) -> int:
        return self.counts[cls]

    def changed(self, other: str) -> int | None:
        """Positions where ``other`` differs, when it has the same length (None otherwise)."""
        if len(other) != len(self.codes):
            return None
        b = np.frombuffer(other.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return int(np.count_nonzero(self.codes != b))
