"""Corpus-wide passes: steps that need many documents at once (boilerplate learning, dedup).

The build runs them after loading archives, in order, each in its own transactions. A pass is
an object with a versioned ``name`` and ``run(con, reprocess=...) -> dict[str, int]``; it must
be incremental (only look at documents it has not seen) and idempotent, and on
``reprocess=True`` start from scratch. Register a pass in ``corpus_passes``.
"""

from __future__ import annotations

from typing import Protocol

import duckdb


class CorpusPass(Protocol):
    name: str

    def run(self, con: duckdb.DuckDBPyConnection, *, reprocess: bool = False) -> dict[str, int]:
        ...


def corpus_passes() -> list[CorpusPass]:
    """The passes the build runs, in order."""
    from lendcorpus.pipelines.boilerplate import BoilerplatePass
    from lendcorpus.pipelines.dedup import DedupPass
    from lendcorpus.pipelines.search_index import SearchIndexPass
    from lendcorpus.pipelines.tag.corpus_pass import TagPass

    # boilerplate before dedup: dedup signs the main text the boilerplate pass leaves
    return [BoilerplatePass(), DedupPass(), TagPass(), SearchIndexPass()]
