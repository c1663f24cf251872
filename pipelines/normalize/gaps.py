"""Step 5: find the holes that keyword filters leave, and record them; never fill them.

Content farms delete sensitive words (電話, 題, 護...) and leave the surroundings:
``短信和 通知``, ``被催收公司打 。``, ``《個人信息保》``, ``*** 行業``. Only what can be seen
reliably is detected:

* ``space-between-han``: a run of spaces between two Han characters (Chinese does not use spaces
  between words; a space there is usually where a word was cut out);
* ``space-before-punct``: spaces between a Han character and Chinese punctuation;
* ``masked``: three or more asterisks (``**`` is Markdown bold), two or more full-width ones,
  or ``□``/``×`` runs of 2+ used as masks;
* ``empty-brackets``: a bracket or quote pair with nothing (or only spaces) inside.

Deletions that leave no trace (``催收問也`` with 題 gone) need a language model and are not
detected. Positions are offsets in the text this step receives (the chain's final text).
"""

from __future__ import annotations

import re
from typing import Any

NAME = "gaps"
VERSION = 1

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CPUNCT = "，。！？；：、）」』》〉】”’,.!?;:"
_HAN_RE = re.compile(f"[{_HAN}]")
_SPACES_RE = re.compile("[ \u3000]+")
_PATTERNS = [
    ("masked", re.compile(r"(?=[*＊□×Ｘ])(?:\*{3,}|＊{2,}|□{2,}|×{2,}|Ｘ{2,})")),
    ("empty-brackets", re.compile(r"《[ \u3000]*》|（[ \u3000]*）|\([ \u3000]*\)|“[ \u3000]*”|「[ \u3000]*」|【[ \u3000]*】|\[[ \u3000]*\]")),
]
#: characters every match of a pattern starts with
_FIRST_CHARS = {"masked": "*＊□×Ｘ", "empty-brackets": "《（(“「【["}
#: the same sets in the chain's one-pass statistics (charclass.triggers())
_TRIGGER = {"masked": "gap_masked", "empty-brackets": "gap_brackets"}
#: an empty pair needs an opening character right before a space or a closing one: the chain's
#: statistics answer that (``CharCounts.pair``) before the alternation is scanned
_EMPTY_PAIR = ("[《（(“「【\\[]", "[ \u3000》）)”」】\\]]")
_CONTEXT = 8


def _gap(kind: str, text: str, start: int, end: int) -> dict[str, Any]:
    return {"kind": kind, "start": start, "end": end, "context": text[max(0, start - _CONTEXT) : end + _CONTEXT]}


def find_gaps(text: str, limit: int = 5000, counts: Any = None) -> list[dict[str, Any]]:
    """Gap annotations (kind, start, end, context) in ``text``, ordered by position; at most
    ``limit`` of each kind (a page of spaced-out characters is one finding, not millions).
    ``counts``: the chain's one-pass ``CharCounts`` of ``text`` (answers the "any space,
    any mask or bracket character?" tests without scanning)."""
    out: list[dict[str, Any]] = []
    n = len(text)
    any_space = counts.has("space") if counts is not None else (" " in text or "\u3000" in text)
    spaces = _SPACES_RE.finditer(text) if any_space else ()
    for m in spaces:
        if len(out) > limit:
            break
        a, b = m.start(), m.end()
        if a == 0 or b >= n or not _HAN_RE.match(text, a - 1):
            continue
        nxt = text[b]
        if _HAN_RE.match(nxt):
            out.append(_gap("space-between-han", text, a, b))
        elif nxt in _CPUNCT:
            out.append(_gap("space-before-punct", text, a, b))
    for kind, rx in _PATTERNS:
        if not (counts.has(_TRIGGER[kind]) if counts is not None else any(c in text for c in _FIRST_CHARS[kind])):
            continue  # `in` is a memchr-speed test; the pattern scan costs several times more
        if kind == "empty-brackets" and counts is not None and not counts.pair(*_EMPTY_PAIR):
            continue
        for i, m in enumerate(rx.finditer(text)):
            if i > limit:
                break
            out.append(_gap(kind, text, m.start(), m.end()))
    out.sort(key=lambda g: (g["start"], g["end"]))
    return out


class GapsStep:
    name = NAME
    version = VERSION

    def annotate(self, text: str, counts: Any = None) -> dict[str, Any]:
        return {"gaps": find_gaps(text, counts=counts)}


STEP = GapsStep()
