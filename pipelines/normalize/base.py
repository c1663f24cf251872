"""Shared shapes of the normalisation chain.

A step either *transforms* text (returns new text plus a record of every change, so the caller
can keep the original and audit or undo what was done) or *adds attributes* (never touches the
text). Every step carries a name and a version; the chain version is built from them, so a
stored document says exactly which behaviour produced its derived fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, with the codec used and why it was chosen."""

    text: str
    encoding: str
    evidence: str
    declared: str | None = None
    errors: int = 0


class Repair(NamedTuple):
    """One change made by a transforming step: offsets are in that step's input text.

    A tuple, so the chain hands the log to Arrow as it is (``documents.repairs`` is a list of
    structs with these fields, in this order): no dict or JSON per repair on the build's path."""

    step: str
    start: int
    end: int
    before: str
    after: str
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.note:
            return {"step": self.step, "start": self.start, "end": self.end, "before": self.before,
                    "after": self.after, "note": self.note}
        return {"step": self.step, "start": self.start, "end": self.end, "before": self.before, "after": self.after}


@dataclass
class StepResult:
    text: str
    repairs: list[Repair] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    #: numbers the step reports for the document (``Normalized`` has a field of the same name)
    counters: dict[str, int] = field(default_factory=dict)


class TransformStep(Protocol):
    name: str
    version: int

    def apply(self, text: str, stats: Any = None) -> StepResult:
        """``stats``: the chain's ``charclass.CharCounts`` of exactly ``text``, or None."""
        ...


class AttributeStep(Protocol):
    """Reads the final text, adds fields; ``counts`` is one shared pass over its characters."""

    name: str
    version: int

    def annotate(self, text: str, counts: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class StepInfo:
    """A step that is neither a transform nor an attribute step (decoding: bytes to text) but
    still part of the chain's version."""

    name: str
    version: int


def splice(text: str, repairs: list[Repair]) -> str:
    """Apply non-overlapping repairs (sorted by start, offsets in ``text``) in one pass."""
    if not repairs:
        return text
    out: list[str] = []
    pos = 0
    for r in repairs:
        out.append(text[pos : r.start])
        out.append(r.after)
        pos = r.end
    out.append(text[pos:])
    return "".join(out)
