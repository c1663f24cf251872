"""Turning corpus text into safe HTML fragments: highlighted evidence, marked repairs, masking.

The corpus is hostile input (anyone can put markup in a complaint title), so nothing here builds
HTML by pasting strings: every piece of scraped text goes through ``markupsafe.escape`` and only
our own tags are added around it. Personal data is masked with the release scrubber unless the
server was started with ``--show-personal``; masking is applied to each piece separately so that
highlight positions, which refer to the unmasked text, stay right.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from markupsafe import Markup, escape

#: Longer texts are compared line by line only (a character diff is quadratic in the worst case).
CHAR_DIFF_LIMIT = 40_000


def masker(show_personal: bool) -> Callable[[str | None], str]:
    """The function every displayed string goes through."""
    if show_personal:
        return lambda s: "" if s is None else str(s)
    from lendcorpus.pipelines.redact import scrub

    return lambda s: "" if s is None else (scrub(str(s))[0] or "")


def highlight(text: str | None, spans: list[tuple[int, int, str, str]], mask: Callable[[str | None], str]) -> Markup:
    """``text`` with each (start, end, css class, title) span wrapped in <mark>; overlaps are skipped."""
    text = text or ""
    out: list[Markup] = []
    pos = 0
    for start, end, cls, title in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos or not (0 <= start < end <= len(text)):
            continue
        out.append(escape(mask(text[pos:start])))
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(cls, title, mask(text[start:end])))
        pos = end
    out.append(escape(mask(text[pos:])))
    return Markup("").join(out)


def diff(original: str | None, clean: str | None, mask: Callable[[str | None], str]) -> tuple[Markup, Markup, int]:
    """The original and the clean text side by side: what the chain removed is struck through on
    the left, what it put in is marked on the right. Returns (left, right, changed spans)."""
    a, b = original or "", clean or ""
    if len(a) + len(b) > CHAR_DIFF_LIMIT:
        a_units, b_units = a.splitlines(keepends=True), b.splitlines(keepends=True)
    else:
        a_units, b_units = list(a), list(b)
    sm = difflib.SequenceMatcher(None, a_units, b_units, autojunk=False)
    left: list[Markup] = []
    right: list[Markup] = []
    changes = 0
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        x, y = "".join(a_units[i1:i2]), "".join(b_units[j1:j2])
        if op == "equal":
            left.append(escape(mask(x)))
            right.append(escape(mask(y)))
            continue
        changes += 1
        if x:
            left.append(Markup('<del title="removed or replaced by the normaliser">{}</del>').format(mask(x)))
        if y:
            right.append(Markup('<ins title="written by the normaliser">{}</ins>').format(mask(y)))
    return Markup("").join(left), Markup("").join(right), changes


def boilerplate_lines(clean: str | None, main: str | None, mask: Callable[[str | None], str]) -> Markup:
    """The clean text with the lines the boilerplate pass removed struck through."""
    if main is None:
        return escape(mask(clean))
    kept = main.splitlines()
    out: list[Markup] = []
    k = 0
    for line in (clean or "").splitlines():
        if k < len(kept) and kept[k] == line:
            out.append(escape(mask(line)))
            k += 1
        else:
            out.append(Markup('<del class="boilerplate" title="removed: template or footer line">{}</del>')
                       .format(mask(line)))
    return Markup("\n").join(out)
