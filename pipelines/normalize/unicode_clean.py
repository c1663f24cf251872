"""Step 4: Unicode cleanup that cannot damage Chinese.

NFKC is not an option: it folds Chinese punctuation (，！（）：) to ASCII and compatibility
ideographs to other characters. This step makes only these targeted changes:

* invisible characters are removed: zero-width space/non-joiner, word joiner, BOM inside text,
  soft hyphen, bidi marks and embeddings; a zero-width joiner is kept only inside emoji sequences;
* control characters are removed, except tab, line feed, carriage return and NEL (U+0085, a line
  break); lone surrogates (which cannot be stored as UTF-8) become U+FFFD;
* odd spaces (no-break, en/em/thin/hair..., narrow no-break, medium mathematical) become an ASCII
  space; the ideographic space U+3000 is Chinese typography and stays;
* full-width Latin letters and digits become ASCII; full-width punctuation stays as it is.

Each maximal run of changed characters is one repair record.
"""

from __future__ import annotations

import re

from .base import Repair, StepResult, splice
from .charclass import CharCounts

NAME = "unicode"
VERSION = 1

_REMOVE = (
    "\u200b\u200c\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069\u180e"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f"
)
_SPACES = "\u00a0\u2000-\u200a\u202f\u205f"
_FULLWIDTH_ALNUM = "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
_SURROGATE = "\ud800-\udfff"

_ANY_RE = re.compile(f"[{_REMOVE}{_SPACES}{_FULLWIDTH_ALNUM}{_SURROGATE}\u200d]+")

_TABLE: dict[int, str | None] = {}
for _lo, _hi in ((0x200B, 0x200C), (0x2060, 0x2060), (0xFEFF, 0xFEFF), (0xAD, 0xAD), (0x200E, 0x200F),
                 (0x202A, 0x202E), (0x2066, 0x2069), (0x180E, 0x180E), (0x00, 0x08), (0x0B, 0x0C),
                 (0x0E, 0x1F), (0x7F, 0x84), (0x86, 0x9F)):
    for _o in range(_lo, _hi + 1):
        _TABLE[_o] = None
for _o in [0xA0, *range(0x2000, 0x200B), 0x202F, 0x205F]:
    _TABLE[_o] = " "
for _o in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]:
    _TABLE[_o] = chr(_o - 0xFEE0)


def _is_emoji(ch: str) -> bool:
    o = ord(ch)
    return 0x1F000 <= o <= 0x1FAFF or 0x2600 <= o <= 0x27BF or o == 0xFE0F or 0x1F3FB <= o <= 0x1F3FF


class UnicodeCleanStep:
    name = NAME
    version = VERSION

    def apply(self, text: str, stats: CharCounts | None = None) -> StepResult:
        if not (stats.has("unicode_any") if stats is not None else _ANY_RE.search(text)):
            return StepResult(text)
        repairs: list[Repair] = []
        for m in _ANY_RE.finditer(text):
            run = m.group()
            out = []
            for i, ch in enumerate(run):
                o = ord(ch)
                if 0xD800 <= o <= 0xDFFF:
                    out.append("\ufffd")
                elif o == 0x200D:
                    pos = m.start() + i
                    prev = text[pos - 1] if pos > 0 else ""
                    nxt = text[pos + 1] if pos + 1 < len(text) else ""
                    keep = prev and nxt and _is_emoji(prev) and _is_emoji(nxt)
                    out.append(ch if keep else "")
                else:
                    rep = _TABLE.get(o, ch)
                    out.append(rep or "")
            after = "".join(out)
            if after != run:
                repairs.append(Repair(NAME, m.start(), m.end(), run, after))
        return StepResult(splice(text, repairs), repairs)


STEP = UnicodeCleanStep()
