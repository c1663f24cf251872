"""The takedown list: ids removed from every later release (datasets/takedowns.toml)."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lendcorpus.paths import CONTRACT_DIR

TAKEDOWNS_FILE = CONTRACT_DIR / "takedowns.toml"
REASONS = ("subject_request", "personal_data", "copyright", "legal", "other")


class TakedownError(ValueError):
    """The takedown file is malformed (the release refuses rather than guess)."""


@dataclass(frozen=True)
class Takedown:
    id: str
    date: str
    reason: str


def load_takedowns(*paths: Path) -> list[Takedown]:
    """Entries of every given file (missing files count as empty), sorted by id, duplicates merged."""
    found: dict[str, Takedown] = {}
    for path in paths:
        path = Path(path)
        if not path.exists():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise TakedownError(f"{path}: {exc}") from None
        for i, entry in enumerate(data.get("takedown", [])):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or ":" not in entry["id"]:
                raise TakedownError(f"{path}: takedown #{i + 1} needs an id like 'heimao:123'")
            reason = entry.get("reason", "other")
            if reason not in REASONS:
                raise TakedownError(f"{path}: takedown {entry['id']}: reason must be one of {', '.join(REASONS)}")
            if "date" not in entry:
                raise TakedownError(f"{path}: takedown {entry['id']}: date is required")
            found.setdefault(entry["id"], Takedown(entry["id"], str(entry["date"]), reason))
    return sorted(found.values(), key=lambda t: t.id)


def takedown_digest(entries: list[Takedown]) -> str:
    """SHA-256 over the sorted ids: the manifest records which list a release honoured."""
    return hashlib.sha256("\n".join(t.id for t in entries).encode("utf-8")).hexdigest()
