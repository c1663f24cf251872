"""Precision/recall of the detectors on a labelled set (tests/fixtures/redact/labelled.jsonl).

A predicted span counts as correct when it overlaps a labelled span of the same type; each
labelled span can be matched once. Results per type, and overall.
"""

from __future__ import annotations

import json
from pathlib import Path

from lendcorpus.pipelines.redact.detectors import find


def evaluate(path: Path) -> dict[str, dict[str, float]]:
    """``{type: {tp, fp, fn, precision, recall}}`` plus an ``all`` row."""
    stats: dict[str, dict[str, int]] = {}

    def row(kind: str) -> dict[str, int]:
        return stats.setdefault(kind, {"tp": 0, "fp": 0, "fn": 0})

    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        ex = json.loads(line)
        gold = [(s["start"], s["end"], s["type"]) for s in ex["spans"]]
        used = [False] * len(gold)
        for f in find(ex["text"]):
            if f.kind == "handle":
                continue
            hit = next((i for i, (a, b, k) in enumerate(gold)
                        if not used[i] and k == f.kind and f.start < b and a < f.end), None)
            if hit is None:
                row(f.kind)["fp"] += 1
            else:
                used[hit] = True
                row(f.kind)["tp"] += 1
        for i, (_, _, k) in enumerate(gold):
            if not used[i]:
                row(k)["fn"] += 1
    total = {"tp": 0, "fp": 0, "fn": 0}
    for s in stats.values():
        for k in total:
            total[k] += s[k]
    stats["all"] = total
    result: dict[str, dict[str, float]] = {}
    for kind, s in sorted(stats.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        p = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        r = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
        result[kind] = {**s, "precision": round(p, 3), "recall": round(r, 3)}
    return result


def format_table(result: dict[str, dict[str, float]]) -> str:
    """A Markdown table for docs and the test log."""
    lines = ["| type | tp | fp | fn | precision | recall |", "|---|---|---|---|---|---|"]
    for kind, s in result.items():
        lines.append(f"| {kind} | {s['tp']} | {s['fp']} | {s['fn']} | {s['precision']:.3f} | {s['recall']:.3f} |")
    return "\n".join(lines)
