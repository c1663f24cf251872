"""How plausible a string is as Chinese text: a character-frequency cost.

Every repair and every charset choice in the chain is a comparison "is B clearly better Chinese
than A?". A unigram model is enough for that: mojibake and misdecoded bytes land on rare
characters, box drawing, kana and private-use code points, while real text (either script) sits
on the few thousand common characters. The table is generated (see ``_build_tables.py``) from
jieba's word list, with Traditional forms given their Simplified counterpart's frequency.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from ._charfreq_data import BANDS

#: cost (-log p, nats) of each known Han character
HAN_COST: dict[str, float] = {ch: band + 0.5 for band, chars in BANDS.items() for ch in chars}

#: characters in the few thousand most frequent (cost below this are "common")
COMMON_MAX_COST = 15.0

UNKNOWN_HAN = 21.0
BAD = 22.0


def is_han(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3134F
    )


@lru_cache(maxsize=65536)
def char_cost(ch: str) -> float | None:
    """Cost of one character as part of Chinese text; None for ASCII, which is neutral."""
    o = ord(ch)
    if o < 0x80:
        return None
    c = HAN_COST.get(ch)
    if c is not None:
        return c
    if is_han(ch):
        return UNKNOWN_HAN
    if 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E or o in (0xFF64, 0xFF61, 0xFF62, 0xFF63):
        return 6.0  # CJK and full-width punctuation
    if 0x2010 <= o <= 0x205E or o in (0x00B7, 0x00D7, 0x00F7, 0x00B0, 0x00A7):
        return 7.0  # general punctuation: quotes, dashes, ellipsis, bullets
    if 0x2460 <= o <= 0x24FF or 0x2160 <= o <= 0x217F or 0x3200 <= o <= 0x33FF:
        return 8.0  # circled / Roman numerals, CJK enclosed and compatibility forms
    if 0x2100 <= o <= 0x215F or 0x2190 <= o <= 0x22FF or 0x25A0 <= o <= 0x25FF:
        return 9.0  # letterlike, arrows, maths, geometric shapes
    if 0x2600 <= o <= 0x27BF or 0x1F300 <= o <= 0x1FAFF:
        return 10.0  # symbols, dingbats, emoji
    if 0x3040 <= o <= 0x30FF or 0xAC00 <= o <= 0xD7A3:
        return 11.0  # kana, hangul: fine in their own languages, odd inside Chinese
    if o == 0xFFFD or 0xD800 <= o <= 0xDFFF:
        return BAD
    cat = unicodedata.category(ch)
    if cat[0] == "C":
        return BAD  # controls, private use, unassigned
    if cat[0] == "L" and o < 0x0250:
        return 12.0  # accented Latin
    return 16.0  # box drawing, Greek, Cyrillic, odd symbols inside Chinese


def cost(text: str) -> tuple[float, int]:
    """Mean cost over non-ASCII characters and how many there were (0.0, 0 if none)."""
    total = 0.0
    n = 0
    for ch in text:
        c = char_cost(ch)
        if c is not None:
            total += c
            n += 1
    return (total / n if n else 0.0), n


def total_cost(text: str) -> float:
    return sum(c for c in map(char_cost, text) if c is not None)


def han_share_common(text: str) -> float:
    """Share of non-ASCII characters that are common Han or CJK punctuation."""
    good = 0
    n = 0
    for ch in text:
        c = char_cost(ch)
        if c is None:
            continue
        n += 1
        if c <= 10.0 or (c <= COMMON_MAX_COST and is_han(ch)):
            good += 1
    return good / n if n else 0.0
