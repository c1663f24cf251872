"""How well the scrubber and the gate do on labelled sets (tests/fixtures/redact/*.jsonl).

Lines are ``{"id", "text", "spans": [{type, start, end}], "keep": [{what, start, end}]}`` (``keep``
optional). Measures, all computed here so the benchmark, the CI test and the dataset card agree:

- typed precision/recall: a predicted span is correct when it overlaps a labelled span of the same
  type; each labelled span can be matched once (``evaluate``);
- recall: a labelled span is *caught* when every letter, digit and Han character of it lies inside
  some redaction, whatever its type (what matters for privacy is that nothing is left readable);
- kept: a must-keep span is *kept* when no redaction touches it;
- gate recall: sentences with personal data in which the independent gate, run on the raw text,
  sees something; gate after scrubbing: sentences where the gate still sees something in the
  scrubbed text — either a real leak (a span not caught) or a false refusal (everything caught).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from lendcorpus.pipelines.redact.detectors import find


def load(paths: Iterable[Path | str]) -> list[dict]:
    """Every example of the given JSONL files, in order."""
    out = []
    for path in ([paths] if isinstance(paths, (str, Path)) else paths):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


def evaluate(path: Path | str | Iterable[Path | str]) -> dict[str, dict[str, float]]:
    """``{type: {tp, fp, fn, precision, recall}}`` plus an ``all`` row (typed matching)."""
    stats: dict[str, dict[str, int]] = {}

    def row(kind: str) -> dict[str, int]:
        return stats.setdefault(kind, {"tp": 0, "fp": 0, "fn": 0})

    for ex in load(path):
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


def _covered(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return all(any(a <= i < b for a, b in spans) for i in range(start, end) if text[i].isalnum())


def evaluate_full(paths: Iterable[Path | str]) -> dict:
    """Recall (caught spans), kept must-keep spans, gate recall and gate hits after scrubbing."""
    from lendcorpus.pipelines.redact.core import scrub
    from lendcorpus.pipelines.redact.gate import gate_scan

    n_spans = caught = n_keep = kept = 0
    pii_examples = gate_seen = 0
    leaks_gate_caught = leaks_missed = false_refusals = 0
    by_type: dict[str, list[int]] = {}
    missed: list[str] = []
    over: list[str] = []
    examples = load(paths)
    for ex in examples:
        text = ex["text"]
        red = [(f.start, f.end) for f in find(text)]
        leaked = False
        for s in ex["spans"]:
            ok = _covered(text, s["start"], s["end"], red)
            n_spans += 1
            caught += ok
            t = by_type.setdefault(s["type"], [0, 0])
            t[0] += 1
            t[1] += ok
            if not ok:
                leaked = True
                missed.append(ex["id"])
        for k in ex.get("keep", []):
            n_keep += 1
            ok = not any(a < k["end"] and k["start"] < b for a, b in red)
            kept += ok
            if not ok:
                over.append(ex["id"])
        if ex["spans"]:
            pii_examples += 1
            gate_seen += bool(gate_scan(text))
        after = gate_scan(scrub(text)[0])
        if after and leaked:
            leaks_gate_caught += 1
        elif after:
            false_refusals += 1
        elif leaked:
            leaks_missed += 1
    return {
        "examples": len(examples), "spans": n_spans, "caught": caught, "recall": caught / n_spans if n_spans else 1.0,
        "keep_spans": n_keep, "kept": kept, "kept_rate": kept / n_keep if n_keep else 1.0,
        "recall_by_type": {k: round(v[1] / v[0], 3) for k, v in sorted(by_type.items())},
        "gate_examples": pii_examples, "gate_seen": gate_seen,
        "gate_recall": gate_seen / pii_examples if pii_examples else 1.0,
        "leaks_gate_caught": leaks_gate_caught, "leaks_missed_by_both": leaks_missed,
        "gate_false_refusals": false_refusals, "missed_ids": missed, "over_redacted_ids": over,
    }


def format_table(result: dict[str, dict[str, float]]) -> str:
    """A Markdown table for docs and the test log."""
    lines = ["| type | tp | fp | fn | precision | recall |", "|---|---|---|---|---|---|"]
    for kind, s in result.items():
        lines.append(f"| {kind} | {s['tp']} | {s['fp']} | {s['fn']} | {s['precision']:.3f} | {s['recall']:.3f} |")
    return "\n".join(lines)


#: the labelled sets the dataset card's numbers come from
CARD_SETS = ("labelled.jsonl", "obfuscated.jsonl")


def card_numbers(fixtures: Path) -> dict:
    """Precision and recall over both labelled sets, rounded as the dataset card prints them."""
    from lendcorpus.pipelines.redact import REDACTOR_VERSION

    ev = evaluate([fixtures / f for f in CARD_SETS])["all"]
    return {"redactor": REDACTOR_VERSION, "sets": list(CARD_SETS),
            "precision": round(ev["precision"], 4), "recall": round(ev["recall"], 4)}
