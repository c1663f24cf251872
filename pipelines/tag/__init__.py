"""Taggers: attributes added beside a document (platforms, practices, relevance), never edits.

Lexicons are data in ``datasets/lexicons/``; every tagger carries a version that is stored with
its output, so a changed lexicon re-tags documents on the next build.
"""

from lendcorpus.pipelines.tag.platforms import PlatformMatcher
from lendcorpus.pipelines.tag.practices import PracticeTagger
from lendcorpus.pipelines.tag.relevance import relevance

__all__ = ["PlatformMatcher", "PracticeTagger", "relevance"]
