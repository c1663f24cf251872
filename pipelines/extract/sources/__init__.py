"""Parsers for sources with their own shapes (complaint platforms, forums).

Each module here declares ``HOSTS`` (the real hosts it reads) and
``parse(record: ArchivedRecord) -> Extraction``, a pure function of one stored response.
Modules are found automatically: adding a source touches only its own module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract.model import Extraction

Parser = Callable[[ArchivedRecord], Extraction]


@lru_cache(maxsize=1)
def parsers() -> dict[str, Parser]:
    """host -> parse function, from every module in this package."""
    found: dict[str, Parser] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for host in getattr(module, "HOSTS", ()):
            if host in found:
                raise RuntimeError(f"two source parsers claim host {host}")
            found[host.lower()] = module.parse
    return found


def parser_for(url: str) -> Parser | None:
    return parsers().get((urlsplit(url).hostname or "").lower())
