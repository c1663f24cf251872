"""Which lending platforms a text names, with the matched spans.

Exact names and aliases through one Aho-Corasick automaton (fast on long texts); masked forms
(信*飞, 新**期) through a regex built from the names, tried only when a mask character occurs.
Overlapping matches keep the longest (蚂蚁借呗 wins over 借呗).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from lendcorpus.pipelines.tag.lexicon import LEXICON_DIR, load

MASKS = "*＊×xX"
_MASK_CLASS = "[*＊×xX]"


@dataclass(frozen=True)
class PlatformMatch:
    platform: str  # lexicon id
    name: str  # canonical name
    matched: str  # text as found
    start: int
    end: int
    masked: bool


class PlatformMatcher:
    def __init__(self, directory: Path = LEXICON_DIR):
        data, digest = load("platforms", directory)
        self.version = f"platforms@{digest}"
        self.platforms = {p["id"]: p for p in data["platform"]}
        self._automaton = ahocorasick.Automaton()
        masked_alts: list[tuple[str, str]] = []
        for pid, p in self.platforms.items():
            for form in [p["name"], *p.get("aliases", [])]:
                self._automaton.add_word(form, (pid, form))
                if len(form) >= 3:
                    masked_alts.extend((pid, pat) for pat in _mask_patterns(form))
        self._automaton.make_automaton()
        self._masked = [(pid, re.compile(pat)) for pid, pat in masked_alts]

    def find(self, text: str) -> list[PlatformMatch]:
        found: list[PlatformMatch] = []
        for end, (pid, form) in self._automaton.iter(text):
            start = end - len(form) + 1
            found.append(PlatformMatch(pid, self.platforms[pid]["name"], form, start, end + 1, False))
        if any(m in text for m in MASKS):
            for pid, pat in self._masked:
                for m in pat.finditer(text):
                    found.append(PlatformMatch(pid, self.platforms[pid]["name"], m.group(0), m.start(), m.end(), True))
        return _longest_first(found)


def _mask_patterns(form: str) -> list[str]:
    """Regexes for ``form`` with one or two consecutive inner characters masked."""
    out = []
    inner = range(1, len(form) - 1)
    for i in inner:
        out.append(re.escape(form[:i]) + _MASK_CLASS + re.escape(form[i + 1:]))
        if i + 1 < len(form) - 1:
            out.append(re.escape(form[:i]) + _MASK_CLASS + "{2}" + re.escape(form[i + 2:]))
    return out


def _longest_first(matches: list[PlatformMatch]) -> list[PlatformMatch]:
    matches.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[PlatformMatch] = []
    last_end = -1
    for m in matches:
        if m.start >= last_end:
            kept.append(m)
            last_end = m.end
        elif m.end - m.start > kept[-1].end - kept[-1].start and m.start == kept[-1].start:
            kept[-1] = m
            last_end = m.end
    return kept
