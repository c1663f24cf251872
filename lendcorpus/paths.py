"""Where lendcorpus keeps its files.

Everything a run writes lives under one data folder so a user can find, back up or delete it
in one place. The folder is ``$LENDCORPUS_HOME`` or ``./data`` (relative to the working
directory); the corpus file can be moved on its own with ``$LENDCORPUS_DB`` or ``--db``.
"""

from __future__ import annotations

from pathlib import Path

#: The checkout root: lendcorpus is installed editable, so data folders such as
#: ``datasets/`` (migrations, dictionary, lexicons) are read from here.
CHECKOUT = Path(__file__).resolve().parent.parent
CONTRACT_DIR = CHECKOUT / "datasets"
MIGRATIONS_DIR = CONTRACT_DIR / "migrations"
#: the analysts' views and the search macro, (re)created on every write-open
VIEWS_DIR = CONTRACT_DIR / "views"
SITE_RULES_DIR = CHECKOUT / "crawler" / "sites"


def data_home() -> Path:
    """The data folder: ``LENDCORPUS_HOME`` (environment or settings file) or ``./data``."""
    from lendcorpus.config import get

    return Path(get("LENDCORPUS_HOME") or "data")


def default_db() -> Path:
    """The corpus file: ``LENDCORPUS_DB`` (environment or settings file) or
    ``<data folder>/corpus.duckdb``; ``--db`` on a command wins over both."""
    from lendcorpus.config import get

    named = get("LENDCORPUS_DB")
    return Path(named) if named else data_home() / "corpus.duckdb"


def archive_root() -> Path:
    """Where crawl runs write their WARC files: ``<data folder>/archive``."""
    return data_home() / "archive"
