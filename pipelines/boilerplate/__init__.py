"""Boilerplate removal: per-site template lines learned from the corpus plus a curated list of
cross-site farm markers (``datasets/lexicons/farm_markers.toml``); contact footers become
publisher fingerprints. See docs/dedup.md.

    from lendcorpus.pipelines.boilerplate import strip_boilerplate, learn_site_lines, count_lines
"""

from .core import (
    DEFAULT_LEARN, LearnParams, Markers, Removed, Stripped, count_lines, learn_site_lines, line_key, load_markers,
    strip_boilerplate,
)
from .corpus_pass import BoilerplatePass

__all__ = [
    "DEFAULT_LEARN", "BoilerplatePass", "LearnParams", "Markers", "Removed", "Stripped", "count_lines",
    "learn_site_lines", "line_key", "load_markers", "strip_boilerplate",
]
