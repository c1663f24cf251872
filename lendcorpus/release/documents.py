"""The human-readable parts of a release: dataset card (datasheet), data dictionary, changelog.

All text is computed from the release's own rows and the corpus snapshot, never the wall clock,
so writing the same release twice gives the same bytes.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import duckdb

from lendcorpus.paths import CONTRACT_DIR
from lendcorpus.release.tables import TABLES

TEMPLATES = CONTRACT_DIR / "release_templates"
LIST_LIMIT = 200  # ids listed per change category in CHANGELOG.md; the rest are counted

#: the generic path's sources, beside the registered platforms (pipelines/extract/sources)
FARMS = ("content farms and news portals", "advice articles about overdue loans and collection; news reports",
         "public web pages, many copied between sites")


def source_rows() -> list[tuple[str, str, str]]:
    """(source, what, terms) for the dataset card: every registered source, then the farms."""
    from lendcorpus.pipelines.extract.sources import registry

    rows = [(f"{s.name} {s.hosts[0]}", s.collects, s.terms) for s in registry().values()]
    return rows + [FARMS]


def _glob(root: Path, table: str) -> str:
    return str(root / "data" / f"{table}-*.parquet")


def collect_context(con: duckdb.DuckDBPyConnection, results, snapshot: dict) -> dict:
    """Facts for the datasheet that come from the corpus (versions of the processing steps)."""
    def distinct(sql: str) -> list[str]:
        try:
            return [r[0] for r in con.execute(sql).fetchall() if r[0]]
        except duckdb.Error:
            return []

    return {
        "normalizer": distinct("SELECT DISTINCT normalizer FROM documents ORDER BY 1"),
        "boilerplate": distinct("SELECT DISTINCT boilerplate FROM documents ORDER BY 1"),
        "signer": distinct("SELECT DISTINCT signer FROM dedup_signatures ORDER BY 1"),
        "tagger": distinct("SELECT DISTINCT tagger FROM document_tags ORDER BY 1"),
        "extractor": distinct("SELECT DISTINCT regexp_replace(extractor, ':.*@', '@') FROM documents ORDER BY 1"),
        "snapshot": snapshot,
        "root": results[0].files[0].parent.parent if results and results[0].files else None,
    }


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                         (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "10M<n<100M"


def _counts_by(root: Path, table: str, column: str) -> list[tuple[str, int]]:
    return duckdb.sql(f"SELECT {column}, count(*) FROM read_parquet('{_glob(root, table)}') GROUP BY 1 ORDER BY 1"
                      ).fetchall()


def license_text() -> str:
    """LICENSE.md: the terms the card's `license_link` points to (the card's licence section, whole)."""
    card = (TEMPLATES / "README.md.tmpl").read_text(encoding="utf-8")
    section = card.split("## Distribution and licence", 1)[1].split("\n## ", 1)[0].strip()
    return "# lendcorpus release licence\n\n" + section + "\n"


def measured_redaction() -> dict | None:
    """The scrubber's precision and recall as last measured on the labelled sets, from
    ``datasets/redact_evaluation.json`` (written by ``benchmarks/eval_redact.py --write``; a test
    fails when it no longer matches the scrubber), so a release never reads the test folder."""
    path = CONTRACT_DIR / "redact_evaluation.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def dataset_card(version: str, results, context: dict, opts) -> str:
    """README.md: Hugging Face YAML header plus a full datasheet."""
    root = context["root"]
    configs = []
    for i, r in enumerate(results):
        configs.append(f"- config_name: {r.spec.name}\n  data_files:\n  - split: train\n    path: data/{r.spec.name}-*.parquet"
                       + ("\n  default: true" if i == 0 else ""))
    table_rows = "\n".join(f"| `{r.spec.name}` | {r.rows:,} | {r.spec.about} |" for r in results)
    comp = []
    for r in results:
        if r.spec.source_column and r.rows:
            counts = ", ".join(f"{k or 'unknown'} {n:,}" for k, n in _counts_by(root, r.spec.name, r.spec.source_column))
            comp.append(f"- `{r.spec.name}` ({r.rows:,} rows) by {r.spec.source_column}: {counts}.")
        else:
            comp.append(f"- `{r.spec.name}`: {r.rows:,} rows.")
    src = ["| source | what | terms |", "|---|---|---|"]
    src += [f"| {name} | {what} | {terms} |" for name, what, terms in source_rows()]
    dates = []
    for table, col in (("complaints", "platform"), ("articles", "source"), ("posts", "forum")):
        ts = "fetched_at" if table != "posts" else "posted_at"
        label = "fetched" if table != "posts" else "posted"
        rows = duckdb.sql(f"SELECT {col}, min({ts})::DATE, max({ts})::DATE FROM read_parquet('{_glob(root, table)}') "
                          "GROUP BY 1 ORDER BY 1").fetchall()
        dates += [f"- {table} / {k}: {label} {a} to {b}" for k, a, b in rows]
    snap = context["snapshot"]
    processing = [
        f"1. Extraction: site rules or the generic extractor ({', '.join(context['extractor'][:6]) or 'n/a'}).",
        f"2. Normalisation ({', '.join(context['normalizer']) or 'n/a'}): charset detection, GBK/Big5 mojibake repair, "
        "inline-pinyin removal, Unicode cleanup; Traditional text kept in its script.",
        f"3. Boilerplate removal ({', '.join(context['boilerplate']) or 'n/a'}): farm template lines and publisher footers.",
        f"4. Near-duplicate clustering ({', '.join(context['signer']) or 'n/a'}): MinHash over character 5-grams.",
        f"5. Tagging ({', '.join(context['tagger']) or 'n/a'}): platforms, practices, relevance.",
        f"6. Scrubbing ({_redactor()}) and the final personal-data gate; takedowns removed with their cluster copies.",
        f"Corpus snapshot: {snap['documents']:,} documents, last built {snap['last_built_at']}, schema "
        f"migration {snap['schema_version']}.",
    ]
    ev = measured_redaction()
    totals: dict[str, int] = {}
    for r in results:
        for k, v in r.redactions.items():
            totals[k] = totals.get(k, 0) + v
    tmpl = string.Template((TEMPLATES / "README.md.tmpl").read_text(encoding="utf-8"))
    return tmpl.substitute(
        version=version,
        size_category=_size_category(sum(r.rows for r in results if r.spec.doc_ids)),
        configs="\n".join(configs),
        table_rows=table_rows,
        composition="\n".join(comp),
        relevance_note="relevance ≥ 0.5" if opts.relevant_only else "this release was cut with --all: irrelevant "
                       "documents are included; filter on `relevance`",
        sources="\n".join(src),
        collection_dates="\n".join(dates) or "- (none)",
        processing="\n".join(processing),
        precision=f"{ev['precision']:.2f}" if ev else "n/a",
        recall=f"{ev['recall']:.2f}" if ev else "n/a",
        redaction_totals=", ".join(f"{k} {v:,}" for k, v in sorted(totals.items())) or "none",
        takedown_count=_takedown_count(opts),
    )


def _redactor() -> str:
    from lendcorpus.pipelines.redact import REDACTOR_VERSION

    return REDACTOR_VERSION


def _takedown_count(opts) -> int:
    from lendcorpus.release.takedowns import load_takedowns

    return len(load_takedowns(*opts.takedown_files))


def dictionary() -> str:
    """DICTIONARY.md: every column of every table, with type, meaning and enum values."""
    out = ["# Data dictionary", "",
           "Every table is a config of the dataset (`data/<table>-KKKKK-of-NNNNN.parquet`), rows sorted by id. "
           "Times are UTC (`timestamp[us, tz=UTC]`). The same descriptions are stored in each Parquet field's "
           "metadata (`description`).", ""]
    for spec in TABLES:
        out += [f"## `{spec.name}`", "", spec.about, "", f"Key: `{spec.id_column}` (unique, sorted).", "",
                "| column | type | meaning | values |", "|---|---|---|---|"]
        for c in spec.columns:
            enum = ", ".join(f"`{e}`" for e in c.enum)
            out.append(f"| `{c.name}` | {c.type} | {c.meaning} | {enum} |")
        out.append("")
    return "\n".join(out)


def compare_with_previous(root: Path, results, previous: Path | None, takedowns) -> dict | None:
    """Per table: added, removed, changed ids against the previous release (row content by MD5)."""
    if previous is None:
        return None
    listed = {t.id for t in takedowns}
    con = duckdb.connect()
    changes = {}
    for r in results:
        spec = r.spec
        old_files = sorted((previous / "data").glob(f"{spec.name}-*.parquet"))
        key = spec.id_column
        new_sql = f"SELECT {key} AS id, md5(CAST(t AS VARCHAR)) AS h FROM read_parquet('{_glob(root, spec.name)}') t"
        if old_files:
            old_list = "[" + ", ".join(f"'{f}'" for f in old_files) + "]"
            old_sql = f"SELECT {key} AS id, md5(CAST(t AS VARCHAR)) AS h FROM read_parquet({old_list}, union_by_name=true) t"
        else:
            old_sql = "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS h WHERE FALSE"
        rows = con.execute(
            f"SELECT coalesce(n.id, o.id) AS id, CASE WHEN o.id IS NULL THEN 'added' WHEN n.id IS NULL THEN 'removed' "
            f"ELSE 'changed' END AS what FROM ({new_sql}) n FULL JOIN ({old_sql}) o ON n.id = o.id "
            "WHERE o.id IS NULL OR n.id IS NULL OR n.h <> o.h ORDER BY 2, 1").fetchall()
        entry = {"added": [], "removed": [], "changed": [], "takedown": set()}
        for i, what in rows:
            entry[what].append(i)
            if what == "removed" and i in listed:
                entry["takedown"].add(i)
        old_counts = {}
        if spec.source_column and old_files:
            old_counts = dict(con.execute(
                f"SELECT {spec.source_column}, count(*) FROM read_parquet({old_list}, union_by_name=true) GROUP BY 1"
            ).fetchall())
        entry["old_counts"] = old_counts
        entry["old_rows"] = con.execute(f"SELECT count(*) FROM ({old_sql})").fetchone()[0]
        changes[spec.name] = entry
    con.close()
    return changes


def _id_list(ids: list[str]) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:LIST_LIMIT])
    more = f" … and {len(ids) - LIST_LIMIT:,} more" if len(ids) > LIST_LIMIT else ""
    return shown + more


def changelog(version: str, results, changes: dict | None, removed: dict[str, str]) -> str:
    """CHANGELOG.md: counts per source and the ids added, removed and changed since the previous release."""
    root = results[0].files[0].parent.parent
    out = [f"# Changelog: lendcorpus {version}", ""]
    if changes is None:
        out += ["First release: no previous release to compare with.", ""]
    for r in results:
        spec = r.spec
        out += [f"## `{spec.name}`", ""]
        ch = changes.get(spec.name) if changes else None
        if ch is not None:
            out.append(f"Rows: {ch['old_rows']:,} → {r.rows:,}.")
        else:
            out.append(f"Rows: {r.rows:,}.")
        if spec.source_column:
            new_counts = dict(_counts_by(root, spec.name, spec.source_column)) if r.rows else {}
            old_counts = ch["old_counts"] if ch else {}
            keys = sorted(set(new_counts) | set(old_counts), key=lambda k: (k is None, k or ""))
            if keys:
                out += ["", f"| {spec.source_column} | previous | this release | change |", "|---|---|---|---|"]
                for k in keys:
                    a, b = old_counts.get(k, 0), new_counts.get(k, 0)
                    out.append(f"| {k or 'unknown'} | {a:,} | {b:,} | {b - a:+,} |")
        if ch is not None:
            out += ["", f"- added ({len(ch['added']):,}): {_id_list(ch['added']) or '—'}",
                    f"- removed ({len(ch['removed']):,}, of which takedowns {len(ch['takedown']):,}): "
                    f"{_id_list(ch['removed']) or '—'}",
                    f"- changed ({len(ch['changed']):,}): {_id_list(ch['changed']) or '—'}"]
        out.append("")
    out += ["## Takedowns", "",
            f"{sum(1 for v in removed.values() if v == 'listed'):,} listed id(s) and "
            f"{sum(1 for v in removed.values() if v != 'listed'):,} near-duplicate copies are excluded "
            "(ids are in datasets/takedowns.toml; reasons are not published here).", ""]
    return "\n".join(out)
