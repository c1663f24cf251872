"""The normalisation chain: decoded text in, derived fields and a change log out.

Order matters: mojibake first (its patterns need the raw characters, control bytes included),
then Unicode cleanup, then pinyin (annotations may only become visible once the text is
readable), then the attribute steps on the final text. The caller keeps the original; nothing
here overwrites it.

Coordinates: a repair's start/end are offsets in the text *that step received* (replaying the
repairs in order over the original gives ``text``); gaps and flags are offsets in ``text``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any

import pyarrow as pa

from . import decode, gaps, language, mojibake, pinyin, script, unicode_clean
from .base import Repair
from .charclass import CharCounts

#: The chain, in order: the one list. Its version, the runner below and the docs' step table
#: (checked by tests/normalize/test_chain.py) all come from here.
TRANSFORMS = (mojibake.STEP, unicode_clean.STEP, pinyin.STEP)
ATTRIBUTES = (gaps.STEP, script.STEP, language.STEP)
STEPS = (decode.STEP, *TRANSFORMS, *ATTRIBUTES)

CHAIN_VERSION = "+".join(f"{step.name}@{step.version}" for step in STEPS)

#: Arrow types of the repair log and the gaps as list<struct> columns: ``documents.repairs`` is
#: built from ``Normalized.repair_log`` (tuples in this field order) with ``REPAIRS_ARROW_TYPE``;
#: a JSON string per document cost ~4x as much (docs/normalize.md).
REPAIR_FIELDS = Repair._fields
REPAIRS_ARROW_TYPE = pa.list_(pa.struct([("step", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                                         ("before", pa.string()), ("after", pa.string()), ("note", pa.string())]))
GAPS_ARROW_TYPE = pa.list_(pa.struct([("kind", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                                      ("context", pa.string())]))

#: at most this many gap annotations per document (a page of spaced-out characters is one finding)
MAX_GAPS = 5000

@dataclass
class Normalized:
    """Derived fields of one document. ``text`` is clean text in its own script."""

    text: str
    text_simplified: str
    lang: str
    script: str
    simplified_changed_share: float
    #: every change, in chain order (``Repair`` tuples: what the build stores)
    repair_log: list[Repair] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    pinyin_removed: int = 0
    flags: list[dict[str, Any]] = field(default_factory=list)
    encoding: str | None = None
    lang_method: str = "script"
    chain_version: str = CHAIN_VERSION

    @property
    def repairs(self) -> list[dict[str, Any]]:
        """The repair log as dicts ``{step, start, end, before, after[, note]}`` (made on request)."""
        return [r.to_dict() for r in self.repair_log]

    @property
    def changed(self) -> bool:
        return bool(self.repair_log)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (all values are str, int, float, None, list or dict)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "repair_log":
                out["repairs"] = self.repairs
            else:
                out[f.name] = copy.deepcopy(getattr(self, f.name))
        return out


def _map_pos(pos: int, repairs: list[Repair]) -> int:
    """Where offset ``pos`` of a step's input lands in its output."""
    delta = 0
    for r in repairs:
        if r.end <= pos:
            delta += len(r.after) - (r.end - r.start)
        elif r.start < pos:  # inside a replaced span: snap to the span's end in the output
            return r.start + delta + len(r.after)
        else:
            break
    return pos + delta


def normalize_text(text: str) -> Normalized:
    """Run the whole chain over already-decoded text. Raises ValueError for non-str input."""
    if not isinstance(text, str):
        raise ValueError(
            f"normalize_text expects str, got {type(text).__name__}; decode bytes with decode_bytes first"
        )
    repairs: list[Repair] = []
    flags: list[dict[str, Any]] = []
    current = text
    counters: dict[str, int] = {}
    # one pass over the characters, shared by every step that sees this same text (a step that
    # changes nothing hands its input on unchanged, so usually all of them)
    stats = CharCounts(text)
    for step in TRANSFORMS:
        res = step.apply(current, stats if current is text else None)
        # flags are in this step's input coordinates (its own and earlier ones): move them
        flags.extend(dict(f) for f in res.flags)
        if res.repairs:
            for f in flags:
                f["start"] = _map_pos(f["start"], res.repairs)
                f["end"] = max(f["start"], _map_pos(f["end"], res.repairs))
        repairs.extend(res.repairs)
        for key, n in res.counters.items():
            counters[key] = counters.get(key, 0) + n
        current = res.text

    attrs: dict[str, Any] = {}
    counts = stats if current is text else CharCounts(current)  # shared by the attribute steps
    for astep in ATTRIBUTES:
        attrs.update(astep.annotate(current, counts))
    found_gaps = attrs.get("gaps", [])
    if len(found_gaps) > MAX_GAPS:
        flags.append({"step": gaps.NAME, "kind": "gaps-truncated", "start": 0, "end": 0, "count": len(found_gaps)})
        found_gaps = found_gaps[:MAX_GAPS]
    for f in flags:
        f["text"] = current[f["start"] : f["end"]][:200]
    flags.sort(key=lambda f: (f["start"], f["end"]))
    return Normalized(
        text=current,
        text_simplified=attrs["text_simplified"],
        lang=attrs["lang"],
        script=attrs["script"],
        simplified_changed_share=attrs["simplified_changed_share"],
        repair_log=repairs,
        gaps=found_gaps,
        pinyin_removed=counters.get("pinyin_removed", 0),
        flags=flags,
        encoding=None,
        lang_method=attrs["lang_method"],
    )


def replay(original: str, repairs: list[dict[str, Any]]) -> str:
    """Rebuild ``text`` from the original and the repair log (what an auditor or an undo needs).

    Repairs come grouped by step in chain order, each group sorted by position, with offsets in
    the text that step received."""
    current = original
    i = 0
    while i < len(repairs):
        step = repairs[i]["step"]
        group = []
        while i < len(repairs) and repairs[i]["step"] == step:
            group.append(repairs[i])
            i += 1
        out = []
        pos = 0
        for r in group:
            if current[r["start"] : r["end"]] != r["before"]:
                raise ValueError(f"repair log does not match the text at {step}:{r['start']}")
            out.append(current[pos : r["start"]])
            out.append(r["after"])
            pos = r["end"]
        out.append(current[pos:])
        current = "".join(out)
    return current

