"""Loading lexicon files, with a version derived from their bytes."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from lendcorpus.paths import CONTRACT_DIR

LEXICON_DIR = CONTRACT_DIR / "lexicons"


def load(name: str, directory: Path = LEXICON_DIR) -> tuple[dict, str]:
    """(parsed TOML, short content hash) of ``<directory>/<name>.toml``."""
    raw = (Path(directory) / f"{name}.toml").read_bytes()
    return tomllib.loads(raw.decode("utf-8")), hashlib.sha1(raw).hexdigest()[:8]
