"""Collection practices in a text, with evidence spans (taxonomy: datasets/lexicons/practices.toml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lendcorpus.pipelines.tag.lexicon import LEXICON_DIR, load

NEGATIONS = ("没有", "并未", "从不", "从没", "不会", "没", "未", "无", "禁止", "严禁", "不得", "不准")
NEGATION_WINDOW = 8


@dataclass(frozen=True)
class PracticeMatch:
    code: str
    cue: str  # the text that matched
    start: int
    end: int


class PracticeTagger:
    def __init__(self, directory: Path = LEXICON_DIR):
        data, digest = load("practices", directory)
        self.version = f"practices@{digest}"
        self.practices = {p["code"]: p for p in data["practice"]}
        self._patterns = {code: re.compile("|".join(f"(?:{c})" for c in p["cues"]))
                          for code, p in self.practices.items()}

    def find(self, text: str) -> list[PracticeMatch]:
        """Every non-negated cue match, in text order."""
        out = []
        for code, pat in self._patterns.items():
            for m in pat.finditer(text):
                before = text[max(0, m.start() - NEGATION_WINDOW): m.start()]
                if any(neg in before for neg in NEGATIONS):
                    continue
                out.append(PracticeMatch(code, m.group(0), m.start(), m.end()))
        out.sort(key=lambda m: m.start)
        return out

    def codes(self, text: str) -> set[str]:
        return {m.code for m in self.find(text)}
