"""Derived text fields for a document: the normalisation chain's output, stored beside the
extracted text (never over it). Columns are added by migration 0002; ``repairs`` is a list of
structs since migration 0024 (the chain's ``Repair`` tuples go to Arrow as they are)."""

from __future__ import annotations

import json

import pyarrow as pa

from lendcorpus.pipelines.normalize.chain import REPAIRS_ARROW_TYPE

DERIVED_SCHEMA = [
    ("text_clean", pa.string()),
    ("text_simplified", pa.string()),
    ("lang", pa.string()),
    ("script", pa.string()),
    ("simplified_changed_share", pa.float64()),
    ("pinyin_removed", pa.int32()),
    ("repairs", REPAIRS_ARROW_TYPE),  # list of {step, start, end, before, after, note}
    ("gaps", pa.string()),  # JSON list of {kind, start, end, context}
    ("normalizer", pa.string()),  # chain version, e.g. decode@1+mojibake@1+...
]


def derive_fields(text: str) -> dict:
    """The derived columns of one document; ``repairs`` is the list of ``Repair`` tuples
    (``r.to_dict()`` for a dict each), which Arrow turns into the struct column."""
    from lendcorpus.pipelines.normalize import CHAIN_VERSION, normalize_text

    n = normalize_text(text)
    return {
        "text_clean": n.text,
        "text_simplified": n.text_simplified,
        "lang": n.lang,
        "script": n.script,
        "simplified_changed_share": float(n.simplified_changed_share),
        "pinyin_removed": int(n.pinyin_removed),
        "repairs": n.repair_log,
        "gaps": json.dumps(n.gaps, ensure_ascii=False),
        "normalizer": CHAIN_VERSION,
    }


# ---------------------------------------------------------------------- the normalise pass

_DERIVED_COLUMNS = [name for name, _ in DERIVED_SCHEMA]


def derive_rows(rows: list[tuple[str, str]]) -> list[dict]:
    """Worker function: derived fields for a chunk of (doc_id, text)."""
    return [{"doc_id": doc_id, **derive_fields(text or "")} for doc_id, text in rows]


class NormalizePass:
    """Re-derives the derived text of documents normalised by another chain version, from the
    stored ``text`` (no archive read). Newly loaded documents were derived by the per-record
    stage already; this pass only records that (one ``pass_state`` row each)."""

    CHUNK = 1000

    def __init__(self) -> None:
        from lendcorpus.pipelines.normalize import CHAIN_VERSION
        from lendcorpus.pipelines.passes import Declared

        self.version = CHAIN_VERSION
        self.name = f"normalize({CHAIN_VERSION})"
        self.executor = None
        self.declared = Declared("normalize", CHAIN_VERSION, reads=("documents.text",),
                                 writes=tuple(f"documents.{c}" for c in _DERIVED_COLUMNS),
                                 digest_sql="md5(coalesce(d.text, ''))", recheck=False,
                                 output_sql="md5(coalesce(d.text_clean, '') || chr(0) || coalesce(d.text_simplified, ''))")

    def run(self, con, *, reprocess: bool = False) -> dict[str, int]:
        from lendcorpus.pipelines.passes import run_chunks, stream_rows

        decl = self.declared
        if reprocess:
            decl.forget(con, everything=True)
        sql, params = decl.stale_sql()
        # documents.normalizer says which chain derived the stored fields (the per-record stage
        # or this pass); pass_state says which text the pass last saw
        con.execute(f"CREATE OR REPLACE TEMP TABLE _nz_todo AS {sql} "
                    "UNION SELECT doc_id FROM documents WHERE normalizer IS DISTINCT FROM ?", [*params, self.version])
        stream = stream_rows(con, "SELECT doc_id, text FROM documents WHERE normalizer IS DISTINCT FROM ? "
                                  "ORDER BY doc_id", [self.version], self.CHUNK)
        schema = pa.schema([("doc_id", pa.string()), *DERIVED_SCHEMA])
        rederived = 0
        sets = ", ".join(f"{c} = u.{c}" for c in _DERIVED_COLUMNS)
        con.execute("BEGIN TRANSACTION")
        try:
            for derived in run_chunks(self.executor, derive_rows, stream):
                rederived += len(derived)
                con.register("_nz_upd", pa.Table.from_pylist(derived, schema=schema))
                con.execute(f"UPDATE documents SET {sets} FROM _nz_upd u WHERE documents.doc_id = u.doc_id")
                con.unregister("_nz_upd")
            decl.mark_done(con, "_nz_todo")
            decl.forget(con)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        con.execute("DROP TABLE _nz_todo")
        return {"rederived": rederived}
