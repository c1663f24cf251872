"""Derived text fields for a document: the normalisation chain's output, stored beside the
extracted text (never over it). Columns are added by migration 0002."""

from __future__ import annotations

import json

import pyarrow as pa

DERIVED_SCHEMA = [
    ("text_clean", pa.string()),
    ("text_simplified", pa.string()),
    ("lang", pa.string()),
    ("script", pa.string()),
    ("simplified_changed_share", pa.float64()),
    ("pinyin_removed", pa.int32()),
    ("repairs", pa.string()),  # JSON list of {step, start, end, before, after}
    ("gaps", pa.string()),  # JSON list of {kind, start, end, context}
    ("normalizer", pa.string()),  # chain version, e.g. decode@1+mojibake@1+...
]


def derive_fields(text: str) -> dict:
    from lendcorpus.pipelines.normalize import CHAIN_VERSION, normalize_text

    n = normalize_text(text)
    return {
        "text_clean": n.text,
        "text_simplified": n.text_simplified,
        "lang": n.lang,
        "script": n.script,
        "simplified_changed_share": float(n.simplified_changed_share),
        "pinyin_removed": int(n.pinyin_removed),
        "repairs": json.dumps(n.repairs, ensure_ascii=False),
        "gaps": json.dumps(n.gaps, ensure_ascii=False),
        "normalizer": CHAIN_VERSION,
    }
