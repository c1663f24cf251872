"""One configuration, resolved in one order: defaults < settings file < environment < command line.

Every lendcorpus setting is named ``LENDCORPUS_*``. The crawl's settings have their defaults in
``crawler/settings.py`` (Scrapy's project settings, so ``-s NAME=VALUE`` wins over everything);
the settings of the corpus and the build are declared here in ``CORE_DEFAULTS``. Both go through
``resolve``: a value in the settings file replaces the default, an environment variable of the
same name replaces that, and the command line (``-s``, ``--db``, ...) replaces all of them.

The settings file is TOML with top-level ``NAME = value`` pairs: ``lendcorpus.toml`` in the
folder a command runs from, or the file ``$LENDCORPUS_CONFIG`` names. Any Scrapy setting may be
set there too (``DOWNLOAD_DELAY = 2``). An unknown ``LENDCORPUS_*`` name is an error (a typo
must not be ignored silently). docs/configuration.md lists every setting; a test keeps it true.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Settings read outside the crawl (their defaults). The crawl's are in crawler/settings.py.
CORE_DEFAULTS: dict[str, Any] = {
    "LENDCORPUS_HOME": "data",  # the data folder
    "LENDCORPUS_DB": "",  # the corpus file; empty = <data folder>/corpus.duckdb
    "LENDCORPUS_LOCK_WAIT": 30.0,  # seconds a writer waits for another process's lock
    "LENDCORPUS_MAX_RECORD_BYTES": 64 * 2**20,  # a bigger WARC record block or payload is a reject
    "LENDCORPUS_PROGRESS": "",  # bar, log or off; empty = bars on a terminal, lines otherwise
}
#: Read by the environment only (they locate the settings file or steer tests).
ENVIRONMENT_ONLY = ("LENDCORPUS_CONFIG", "LENDCORPUS_CRASH_AT", "LENDCORPUS_LOG_LEVEL", "LENDCORPUS_SHARED",
                    "LENDCORPUS_TEST_ARTIFACTS")
FILE_NAME = "lendcorpus.toml"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A settings file or value that cannot be used; the message names the file and the setting."""


def settings_file(environ: Mapping[str, str] = os.environ) -> Path | None:
    named = environ.get("LENDCORPUS_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"LENDCORPUS_CONFIG names {path}, which is not a file")
        return path
    local = Path(FILE_NAME)
    return local if local.is_file() else None


@lru_cache(maxsize=8)
def _read_file(path: str, mtime: float) -> dict[str, Any]:  # noqa: ARG001 (mtime: re-read when edited)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return data


def file_values(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    path = settings_file(environ)
    if path is None:
        return {}
    return dict(_read_file(str(path.resolve()), path.stat().st_mtime))


def coerce(name: str, raw: str, default: Any) -> Any:
    """An environment string as the default's type (JSON for lists and dicts)."""
    try:
        if isinstance(default, bool):
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError("expected 1/0, true/false, yes/no or on/off")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, (list, tuple, dict)):
            value = json.loads(raw) if raw.strip()[:1] in "[{" else [p.strip() for p in raw.split(",") if p.strip()]
            if isinstance(default, dict) and not isinstance(value, dict):
                raise ValueError("expected a JSON object")
            return value
    except (ValueError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{name}={raw!r}: {exc}") from exc
    return raw


def resolve(defaults: Mapping[str, Any], environ: Mapping[str, str] = os.environ,
            known: set[str] | None = None) -> dict[str, Any]:
    """Defaults, then the settings file, then the environment, for every name in ``defaults``.

    Settings-file keys that are not in ``defaults`` are returned too (Scrapy settings); an unknown
    ``LENDCORPUS_*`` key is an error unless ``known`` lists it (the other side's settings)."""
    values = dict(defaults)
    from_file = file_values(environ)
    allowed = set(defaults) | set(known or ()) | set(CORE_DEFAULTS) | set(ENVIRONMENT_ONLY)
    for name, value in from_file.items():
        if name.startswith("LENDCORPUS_") and name not in allowed:
            raise ConfigError(f"{settings_file(environ)}: unknown setting {name} (docs/configuration.md lists them)")
        if name in defaults or not name.startswith("LENDCORPUS_"):
            values[name] = value
    for name, default in defaults.items():
        raw = environ.get(name)
        if raw is not None and name.startswith("LENDCORPUS_"):
            values[name] = coerce(name, raw, default)
    return values


def get(name: str, environ: Mapping[str, str] = os.environ) -> Any:
    """A core setting's value now (defaults < file < environment); the caller's own command-line
    option, when given, wins over it."""
    if name not in CORE_DEFAULTS:
        raise KeyError(f"{name} is not a core setting; crawl settings are Scrapy settings")
    return resolve({name: CORE_DEFAULTS[name]}, environ, known=crawl_setting_names())[name]


@lru_cache(maxsize=1)
def crawl_setting_names() -> frozenset[str]:
    """The crawl's LENDCORPUS_* names, read from crawler/settings.py without importing it (the
    core does not import the crawler)."""
    import ast

    from lendcorpus.paths import CHECKOUT

    tree = ast.parse((CHECKOUT / "crawler" / "settings.py").read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.startswith("LENDCORPUS_")}
    return frozenset(names)
