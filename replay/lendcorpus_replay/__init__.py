"""The offline replay of lendcorpus: recorded-shape fixture sites, their generators and the loopback
server that answers for the real hosts.

A distribution of its own (``pip install -e ./replay``), outside the installed ``lendcorpus``:
a crawl of the real sites needs none of it. ``lendcorpus demo``, ``lendcorpus replay``,
``lendcorpus crawl --replay`` (without an address), the tests and the benchmarks use it.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
#: one folder per real host, served by :mod:`lendcorpus_replay.server`
SITES_DIR = HERE / "sites"
#: the article texts the content-farm generators spin (see its README)
FARM_CORPUS_DIR = HERE / "farm_corpus"
