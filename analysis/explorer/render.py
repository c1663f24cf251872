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


#: What each normaliser step's marks mean (the legend and the marks' titles).
REPAIR_KINDS = {
    "pinyin": "inline pinyin annotation removed",
    "mojibake": "mojibake repaired (text decoded with the wrong charset, re-decoded)",
    "unicode": "Unicode cleaned (invisible, control or compatibility characters)",
}


def _pieces(original: str, repairs: list[dict]) -> list[list] | None:
    """The original as pieces [before, after, steps]: replaying the repair log (offsets in the
    text each step received), so every change is known by the step that made it. None when the
    log does not replay over the original (then the caller falls back to a plain diff)."""
    pieces: list[list] = [[original, original, []]] if original else []
    i = 0
    while i < len(repairs):
        step = repairs[i].get("step") or "repair"
        group = []
        while i < len(repairs) and (repairs[i].get("step") or "repair") == step:
            group.append(repairs[i])
            i += 1
        pieces = _apply_step(pieces, group, step)
        if pieces is None:
            return None
    return pieces


def _apply_step(pieces: list[list], group: list[dict], step: str) -> list[list] | None:
    """One step's repairs over the pieces, in one pass (a page can carry thousands of pinyin
    repairs): unchanged pieces are split exactly at the repairs' ends, a changed piece a repair
    touches is merged into it whole."""
    from bisect import bisect_left, bisect_right

    cuts = sorted({int(c) for r in group for c in (r["start"], r["end"])})
    split: list[list] = []
    pos = 0
    for p in pieces:
        lo, hi = pos, pos + len(p[1])
        pos = hi
        inner = [] if p[2] else [c - lo for c in cuts[bisect_right(cuts, lo):bisect_left(cuts, hi)]]
        if not inner:
            split.append(p)
            continue
        for a, b in zip([0, *inner], [*inner, len(p[1])]):
            split.append([p[1][a:b], p[1][a:b], []])
    total = pos
    # (start, end) in this step's input, the piece, and for a piece merged in this step its input
    # text and the edits made in it (a later repair of the step may fall inside it too)
    out: list[tuple[int, int, list, str, list]] = []
    k = pos = 0
    for r in sorted(group, key=lambda r: (int(r["start"]), int(r["end"]))):
        s, e = int(r["start"]), int(r["end"])
        if s < 0 or e < s or e > total:
            return None

        def touches(lo: int, hi: int) -> bool:
            return lo < e and hi > s if e > s else lo < s < hi

        covered: list[list] = []
        first, text, edits = None, "", []
        if out and out[-1][2][2] and touches(out[-1][0], out[-1][1]):  # the previous repair's merge reaches here
            first, _, prev, text, edits = out.pop()
            covered.append(prev)
        while k < len(split):
            p = split[k]
            lo, hi = pos, pos + len(p[1])
            if touches(lo, hi):
                first = lo if first is None else first
                covered.append(p)
                text += p[1]
            elif covered or hi > s:
                break
            else:
                out.append((lo, hi, p, p[1], []))
            k += 1
            pos = hi
        before, after = r.get("before") or "", r.get("after") or ""
        if not covered:  # an insertion between two pieces
            if before:
                return None
            out.append((s, s, ["", after, [step]], "", []))
            continue
        if text[s - first:e - first] != before:
            return None
        edits = [*edits, (s - first, e - first, after)]
        result, at = [], 0
        for a, b, new in edits:  # in order, disjoint: the step's repairs do not overlap
            result += [text[at:a], new]
            at = b
        result.append(text[at:])
        steps = list(dict.fromkeys([x for p in covered for x in p[2]] + [step]))
        merged = ["".join(p[0] for p in covered), "".join(result), steps]
        out.append((first, first + len(text), merged, text, edits))
    out += [(0, 0, p, "", []) for p in split[k:]]
    return [p for _, _, p, _, _ in out if p[0] or p[1]]


def diff(original: str | None, clean: str | None, mask: Callable[[str | None], str],
         repairs: list[dict] | None = None, gaps: list[dict] | None = None) -> tuple[Markup, Markup, int]:
    """The original and the clean text side by side, every change marked with the step that made
    it (class ``repair <step>``: struck through on the left, inserted on the right) and the
    keyword-filter gaps marked on the clean side. Returns (left, right, changed spans).

    The marks come from replaying the repair log; when it does not replay (an older corpus), a
    character diff marks the changes without naming their step."""
    a, b = original or "", clean or ""
    pieces = _pieces(a, repairs or []) if repairs is not None else None
    if pieces is None or "".join(p[1] for p in pieces) != b:
        return _plain_diff(a, b, mask, gaps)
    left: list[Markup] = []
    right: list[Markup] = []
    spans: list[tuple[int, int, Markup]] = []  # changed pieces in clean-text offsets
    pos = 0
    changes = 0
    for before, after, kinds in pieces:
        if not kinds:
            left.append(escape(mask(before)))
            pos += len(after)
            continue
        changes += 1
        cls = "repair " + " ".join(kinds)
        title = "; ".join(REPAIR_KINDS.get(k, k) for k in kinds)
        left.append(Markup('<del class="{}" title="{}">{}</del>').format(cls, title, mask(before) or "\u200b"))
        spans.append((pos, pos + len(after), Markup('<ins class="{}" title="{}">{}</ins>').format(
            cls, title, mask(after) or "\u200b")))
        pos += len(after)
    right.append(_with_gaps(b, spans, gaps or [], mask))
    return Markup("").join(left), Markup("").join(right), changes


def _with_gaps(text: str, changed: list[tuple[int, int, Markup]], gaps: list[dict],
               mask: Callable[[str | None], str]) -> Markup:
    """``text`` with its changed spans (already rendered) and its gaps marked; a gap that
    overlaps a change is left to the change's mark."""
    marks = [(s, e, m) for s, e, m in changed]
    taken = [(s, e) for s, e, _ in changed]
    for g in sorted(gaps, key=lambda g: (g.get("start", 0), g.get("end", 0))):
        s, e = int(g.get("start") or 0), int(g.get("end") or 0)
        if not (0 <= s < e <= len(text)) or any(s < te and ts < e for ts, te in taken):
            continue
        kind = g.get("kind") or "gap"
        marks.append((s, e, Markup('<mark class="gap" title="keyword-filter gap: {}">{}</mark>').format(
            kind, mask(text[s:e]))))
        taken.append((s, e))
    out: list[Markup] = []
    pos = 0
    for s, e, m in sorted(marks, key=lambda x: (x[0], x[1])):
        if s < pos:
            continue
        out.append(escape(mask(text[pos:s])))
        out.append(m)
        pos = e
    out.append(escape(mask(text[pos:])))
    return Markup("").join(out)


def _plain_diff(a: str, b: str, mask: Callable[[str | None], str], gaps: list[dict] | None
                ) -> tuple[Markup, Markup, int]:
    """A character (or, for long texts, line) diff: what the chain removed is struck through on
    the left, what it put in is marked on the right."""
    if len(a) + len(b) > CHAR_DIFF_LIMIT:
        a_units, b_units = a.splitlines(keepends=True), b.splitlines(keepends=True)
    else:
        a_units, b_units = list(a), list(b)
    sm = difflib.SequenceMatcher(None, a_units, b_units, autojunk=False)
    left: list[Markup] = []
    changed: list[tuple[int, int, Markup]] = []
    changes = 0
    pos = 0
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        x, y = "".join(a_units[i1:i2]), "".join(b_units[j1:j2])
        if op == "equal":
            left.append(escape(mask(x)))
            pos += len(y)
            continue
        changes += 1
        if x:
            left.append(Markup('<del class="repair" title="removed or replaced by the normaliser">{}</del>')
                        .format(mask(x)))
        if y:
            changed.append((pos, pos + len(y), Markup('<ins class="repair" title="written by the normaliser">{}</ins>')
                            .format(mask(y))))
        pos += len(y)
    return Markup("").join(left), _with_gaps(b, changed, gaps or [], mask), changes


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
