"""Scrubbing: replace personal data with typed placeholders and count what was replaced.

The redaction log is counts per type per document, never the values: the release stores it
beside each row so users can see how much was taken out without seeing any of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lendcorpus.pipelines.redact.detectors import PLACEHOLDERS, Finding, find
from lendcorpus.pipelines.redact.gate import GATE_VERSION

#: Bump when a detector changes what it finds: releases record it (with the gate's version) in their manifest.
REDACTOR_VERSION = "redact@2+" + GATE_VERSION

_HANDLE_MIN = 2  # a one-character handle would erase ordinary words


def _literal_spans(text: str, needles: Iterable[str], kind: str) -> list[Finding]:
    out = []
    for needle in needles:
        if not needle or len(needle) < _HANDLE_MIN:
            continue
        start = text.find(needle)
        while start != -1:
            out.append(Finding(start, start + len(needle), kind))
            start = text.find(needle, start + len(needle))
    return out


def scrub(text: str | None, *, handles: Iterable[str] = (), publisher_contacts: Iterable[str] = ()
          ) -> tuple[str | None, dict[str, int]]:
    """Return ``text`` with personal data replaced, and ``{type: count}`` of what was replaced.

    ``handles`` are user names known from the source (the author, others in the same thread):
    they are replaced wherever they appear. ``publisher_contacts`` are a farm's footer contacts
    (phone, QQ, e-mail tokens): boilerplate, removed without a placeholder.
    """
    if not text:
        return text, {}
    literal = _literal_spans(text, publisher_contacts, "publisher_contact") if publisher_contacts else []
    literal += _literal_spans(text, handles, "handle") if handles else []
    findings = find(text)
    if literal:
        # Known strings first (longest wins), then detected spans that do not overlap them.
        literal.sort(key=lambda f: (f.start, -(f.end - f.start)))
        chosen: list[Finding] = []
        for f in literal + findings:
            if all(f.end <= c.start or c.end <= f.start for c in chosen):
                chosen.append(f)
        findings = sorted(chosen, key=lambda f: f.start)
    if not findings:
        return text, {}
    parts: list[str] = []
    counts: dict[str, int] = {}
    pos = 0
    for f in findings:
        parts.append(text[pos:f.start])
        parts.append(PLACEHOLDERS[f.kind])
        counts[f.kind] = counts.get(f.kind, 0) + 1
        pos = f.end
    parts.append(text[pos:])
    out = "".join(parts)
    if counts.get("publisher_contact"):
        out = _tidy_removed(out)
    return out, counts


_EMPTY_FOOTER = re.compile(r"[ \t]{2,}")


def _tidy_removed(text: str) -> str:
    return _EMPTY_FOOTER.sub(" ", text)


def scan(text: str | None) -> dict[str, int]:
    """Counts of personal data still present (the release's final gate): ``{}`` when clean."""
    if not text:
        return {}
    counts: dict[str, int] = {}
    for f in find(text):
        if f.kind == "handle":
            continue  # placeholders keep the @ of a mention; a remaining @name is not a gate failure
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts


def merge_counts(*counts: dict[str, int]) -> dict[str, int]:
    """Sum several ``{type: count}`` logs (a row's columns) into one, keys sorted."""
    total: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    return dict(sorted(total.items()))
