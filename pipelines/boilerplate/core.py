"""Boilerplate lines: what a line is (its key), which lines a site repeats, and stripping.

Pure functions shared by the corpus pass and ``lendcorpus dedup``: the build learns line
frequencies with SQL, the standalone command with a Counter, and both hand them to
``learn_site_lines`` and ``strip_boilerplate``.

Matching happens on the Simplified text, line by line, with whitespace removed, so the
Traditional and Simplified spellings of one template line (聯系 / 聯繫 / 联系) are the same key.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lendcorpus.paths import CONTRACT_DIR

MARKERS_PATH = CONTRACT_DIR / "lexicons" / "farm_markers.toml"

#: Characters a line key drops. The SQL in ``passes.py`` uses the same class (RE2 syntax):
#: keep the two in step (a test checks they agree).
WS_CHARS = " \t\n\r\f\v\u3000\u00a0\u200b\ufeff"
_WS_RE = re.compile(f"[{re.escape(WS_CHARS)}]+")
WS_SQL_CLASS = "[ \\t\\n\\r\\f\\v\\x{3000}\\x{00a0}\\x{200b}\\x{feff}]+"


def line_key(line: str) -> str:
    """Comparison key of a (Simplified) line: whitespace removed."""
    return _WS_RE.sub("", line)


def _squeeze(line: str) -> str:
    return _WS_RE.sub(" ", line).strip()


@dataclass(frozen=True)
class LearnParams:
    """When a line counts as a site's template (see docs/dedup.md for why these values).

    A line is learned when it occurs in at least ``min_docs`` pages of a site *and* in at least
    ``min_share`` of them. Farms copy articles within one site too, so a heading shared by the
    five copies of one article (5 of 36 pages on the fixture farm) must stay text; template
    lines are on (nearly) every page. Lines longer than ``max_chars`` are never learned.
    """

    min_docs: int = 4
    min_share: float = 0.3
    max_chars: int = 200

    def threshold(self, site_docs: int) -> int:
        return max(self.min_docs, math.ceil(self.min_share * site_docs))


DEFAULT_LEARN = LearnParams()


@dataclass(frozen=True)
class Markers:
    """The curated cross-site markers of ``datasets/lexicons/farm_markers.toml``."""

    version: int
    lines: frozenset[str]
    patterns: tuple[tuple[str, re.Pattern], ...]
    contacts: tuple[tuple[str, re.Pattern], ...]
    after_contact: frozenset[str]


@functools.lru_cache(maxsize=4)
def load_markers(path: Path | str = MARKERS_PATH) -> Markers:
    """Read the marker list (cached; the file is data, edited by people, versioned)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return Markers(
        version=int(data.get("version", 1)),
        lines=frozenset(line_key(e["key"]) for e in data.get("line", [])),
        patterns=tuple((e["name"], re.compile(e["regex"])) for e in data.get("pattern", [])),
        contacts=tuple((e["name"], re.compile(e["regex"])) for e in data.get("contact", [])),
        after_contact=frozenset(line_key(e["key"]) for e in data.get("after_contact", [])),
    )


def learn_site_lines(line_docs: Mapping[str, int], site_docs: int, params: LearnParams = DEFAULT_LEARN,
                     markers: Markers | None = None) -> set[str]:
    """Keys a site repeats often enough to be its template.

    ``line_docs`` maps a line key to the number of the site's documents containing it (each
    document counted once, however often the line repeats inside it).
    """
    markers = markers or load_markers()
    need = params.threshold(site_docs)
    return {k for k, n in line_docs.items()
            if k and n >= need and len(k) <= params.max_chars and k not in markers.lines}


def count_lines(simplified_texts: Iterable[str], params: LearnParams = DEFAULT_LEARN) -> tuple[dict[str, int], int]:
    """Document frequency of every learnable line key over some texts, and the number of texts."""
    counts: dict[str, int] = {}
    n = 0
    for text in simplified_texts:
        n += 1
        for k in {line_key(line) for line in (text or "").split("\n")}:
            if k and len(k) <= params.max_chars:
                counts[k] = counts.get(k, 0) + 1
    return counts, n


@dataclass
class Removed:
    line_no: int  # 0-based line number in text_clean / text_simplified
    line: str  # the line as in text_clean (own script)
    rule: str  # marker:<key>, pattern:<name>, contact:<name>, after_contact, site
    contact: str | None = None


@dataclass
class Stripped:
    """A document without its boilerplate. ``text_main`` is empty when nothing else was left."""

    text_main: str
    text_main_simplified: str
    removed: list[Removed] = field(default_factory=list)

    @property
    def contacts(self) -> list[tuple[str, str, str]]:
        """(rule, contact, line) of every publisher contact footer found."""
        return [(r.rule, r.contact, r.line) for r in self.removed if r.contact]


def _classify(simp: str, key: str, site_lines: set[str] | frozenset[str], markers: Markers,
              after_contact: bool) -> tuple[str | None, str | None]:
    if key in markers.lines:
        return f"marker:{key}", None
    if after_contact and key in markers.after_contact:
        return "after_contact", None
    squeezed = _squeeze(simp)
    for name, rx in markers.contacts:
        m = rx.match(squeezed)
        if m:
            return f"contact:{name}", m.group("contact").strip()
    for name, rx in markers.patterns:
        if rx.match(key):
            return f"pattern:{name}", None
    if key in site_lines:
        return "site", None
    return None, None


def strip_boilerplate(text_clean: str, text_simplified: str, site_lines: set[str] | frozenset[str] = frozenset(),
                      markers: Markers | None = None) -> Stripped:
    """Remove template lines (curated markers, contact footers, the site's learned lines).

    Lines are compared on the Simplified text; the kept lines of ``text_clean`` (own script)
    and ``text_simplified`` give the two main texts. When the two texts do not have the same
    number of lines (a conversion merged or split one), both main texts come from the
    Simplified lines.
    """
    markers = markers or load_markers()
    simp_lines = (text_simplified or "").split("\n")
    clean_lines = (text_clean or "").split("\n")
    if len(clean_lines) != len(simp_lines):
        clean_lines = simp_lines
    kept_clean: list[str] = []
    kept_simp: list[str] = []
    removed: list[Removed] = []
    after_contact = False
    seen: dict[tuple[str, bool], tuple[str | None, str | None]] = {}  # a line repeated 1M times: classify once
    for i, (clean, simp) in enumerate(zip(clean_lines, simp_lines)):
        key = line_key(simp)
        if not key:
            kept_clean.append(clean)
            kept_simp.append(simp)
            continue
        got = seen.get((simp, after_contact))
        if got is None:
            got = seen[(simp, after_contact)] = _classify(simp, key, site_lines, markers, after_contact)
        rule, contact = got
        if rule is None:
            kept_clean.append(clean)
            kept_simp.append(simp)
            after_contact = False
            continue
        removed.append(Removed(i, clean, rule, contact))
        after_contact = rule.startswith("contact:") or (after_contact and rule == "after_contact")
    main_clean = "\n".join(kept_clean).strip()
    main_simp = "\n".join(kept_simp).strip()
    if not line_key(main_simp):
        main_clean = main_simp = ""
    return Stripped(main_clean, main_simp, removed)
