"""Scrubbing a batch of release rows, in worker processes when there are many.

Runs in a child process: only plain lists go in and out. Returns the scrubbed columns, each row's
redaction log, and what the final gate still found (row index, column, {type: count}).

The final gate runs two detectors over every value about to be written: the scrubber's own
(``scan``: anything it finds again means it failed to replace it) and the independent second
detector (``gate_scan``: libphonenumber, long-number shapes, cue words, e-mail shapes; its kinds
carry a ``gate-`` prefix). Either one finding anything refuses the release.
"""

from __future__ import annotations

import json

from lendcorpus.pipelines.redact import merge_counts, scan, scrub
from lendcorpus.pipelines.redact.gate import gate_scan


def scrub_chunk(payload: dict) -> dict:
    """Scrub ``payload['text'][col]`` lists; gate-scan every column in ``payload['gate']``."""
    texts: dict[str, list] = payload["text"]
    handles: list = payload["handles"]
    contacts: list = payload["contacts"]
    n = payload["rows"]
    out: dict[str, list] = {c: [None] * n for c in texts}
    logs: list[str] = []
    for i in range(n):
        h = handles[i] or ()
        pc = _contact_tokens(contacts[i]) if contacts[i] else ()
        row_counts = []
        for col, values in texts.items():
            clean, counts = scrub(values[i], handles=h, publisher_contacts=pc)
            out[col][i] = clean
            if counts:
                row_counts.append(counts)
        logs.append(json.dumps(merge_counts(*row_counts), ensure_ascii=False, sort_keys=True) if row_counts else "{}")
    findings = []
    gate_values = dict(payload["gate"])
    gate_values.update(out)
    for col, values in gate_values.items():
        for i, v in enumerate(values):
            if v:
                found = final_gate(v)
                if found:
                    findings.append((i, col, found))
    return {"text": out, "redactions": logs, "findings": findings}


def final_gate(value: str | None) -> dict[str, int]:
    """Kinds (never values) both detectors still see in ``value``: ``{}`` when it may be published."""
    if not value:
        return {}
    found = scan(value)
    for kind, n in gate_scan(value).items():
        found[f"gate-{kind}"] = n
    return dict(sorted(found.items()))


def _contact_tokens(contacts: list[str]) -> list[str]:
    # A footer contact is stored as one string ("13900001234 10001234@qq.com"): remove each part.
    tokens = set()
    for c in contacts:
        for tok in c.replace("，", " ").replace(",", " ").split():
            if len(tok) >= 5:
                tokens.add(tok)
    return sorted(tokens, key=lambda t: (-len(t), t))
