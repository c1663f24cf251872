"""``lendcorpus parse``: what the pipeline makes of one page, the way ``scrapy parse`` shows a callback.

A user writing a rules file, or wondering why a page became a reject, needs to see one record go
through extraction, normalisation and tagging without building a corpus. The input is either a
URL already in the archive (found through the corpus's ``fetches`` table, or by scanning the
archive when there is no corpus yet) or a local HTML/JSON file, read as if it had been fetched
from ``--url``. Corpus-wide passes (boilerplate learned across a site, dedup) need the whole
corpus and are not applied; the output says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", help="a URL in the archive, or a local .html/.json file")
    p.add_argument("--url", help="for a local file: the URL it was fetched from (picks rules and parsers)")
    p.add_argument("--rules", help="a site rules file (.toml) to use instead of the installed ones")
    p.add_argument("--archive", help="archive folder to scan when the URL is not in the corpus "
                                     "(default: the data folder's archive)")
    p.add_argument("--json", action="store_true", help="print everything as one JSON object")
    p.add_argument("--max-chars", type=int, default=400, help="text shown per field in the readable output")


class ParseError(ValueError):
    """Nothing to parse: exit 2 with the sentence."""


def _local_record(path: Path, url: str | None):
    from lendcorpus.archive import ArchivedRecord

    body = path.read_bytes()
    ctype = "application/json" if path.suffix.lower() == ".json" or body.lstrip()[:1] in (b"{", b"[") \
        else "text/html"
    return ArchivedRecord(path=path, offset=0, length=len(body), rec_type="response",
                          url=url or path.resolve().as_uri(), date="", status=200,
                          headers=[("Content-Type", ctype)], body=body)


def _archived_record(url: str, db: str, archive: str | None):
    """The newest archived response for ``url``: by the corpus index, else by scanning the archive."""
    from lendcorpus.archive import iter_archive, read_record, warc_files
    from lendcorpus.paths import archive_root

    root = Path(archive) if archive else archive_root()
    if Path(db).exists() and not archive:
        from lendcorpus.corpus import connect_read

        con = connect_read(db)
        try:
            row = con.execute("SELECT archive_path, archive_offset FROM fetches WHERE url = ? "
                              "ORDER BY fetched_at DESC NULLS LAST LIMIT 1", [url]).fetchone()
        finally:
            con.close()
        if row:
            # relative paths are below the archive folder: the data folder's, or the one beside --db
            for path in (Path(row[0]), root / row[0], Path(db).parent / "archive" / row[0]):
                if path.is_file():
                    return read_record(path, row[1])
    if not root.exists():
        raise ParseError(f"{url} is not in the corpus and there is no archive at {root}")
    found = None
    for path in warc_files(root):
        for rec in iter_archive(path):
            if getattr(rec, "url", None) == url:
                found = rec  # keep the last: files are in time order
    if found is None:
        raise ParseError(f"{url} was never archived (searched the corpus and {root})")
    return found


def parse_one(rec, rules=None) -> dict:
    """The whole per-record path for one record, as plain data."""
    from lendcorpus.siterules import load_all
    from lendcorpus.pipelines.extract import extract_record
    from lendcorpus.pipelines.tag.platforms import PlatformMatcher
    from lendcorpus.pipelines.tag.practices import PracticeTagger
    from lendcorpus.pipelines.tag.relevance import RELEVANCE_THRESHOLD, relevance
    from lendcorpus.pipelines.textchain import derive_fields

    ex = extract_record(rec, rules if rules is not None else load_all())
    out: dict = {
        "url": rec.url, "status": rec.status, "page_kind": ex.page_kind,
        "archive": None if rec.offset == 0 and not rec.date else {"path": str(rec.path), "offset": rec.offset},
        "rejects": [{"stage": r.stage, "reason": r.reason, "detail": r.detail} for r in ex.rejects],
        "rows": [{"table": t, "row": {k: _plain(v) for k, v in r.items()}} for t, r in ex.rows],
        "documents": [],
        "not_applied": ["boilerplate (learned across a site's pages)", "dedup", "search index"],
    }
    platforms, practices = PlatformMatcher(), PracticeTagger()
    for d in ex.documents:
        derived = derive_fields(d.text)
        simplified = derived["text_simplified"] or d.text
        pm, pr = platforms.find(simplified), practices.find(simplified)
        score, evidence = relevance(simplified, len({m.platform for m in pm}), len({m.code for m in pr}))
        out["documents"].append({
            "doc_id": d.doc_id, "source": d.source, "kind": d.kind, "title": d.title,
            "published_at": _plain(d.published_at), "extractor": d.extractor, "encoding": d.encoding,
            "encoding_evidence": d.encoding_evidence, "text": d.text,
            "text_clean": derived["text_clean"], "text_simplified": derived["text_simplified"],
            "lang": derived["lang"], "script": derived["script"], "pinyin_removed": derived["pinyin_removed"],
            "repairs": [r.to_dict() for r in derived["repairs"]],
            "gaps": json.loads(derived["gaps"]) if isinstance(derived["gaps"], str) else derived["gaps"],
            "normalizer": derived["normalizer"],
            "tags": {"relevance": score, "relevant": score >= RELEVANCE_THRESHOLD, "evidence": evidence,
                     "platforms": [{"platform": m.platform, "matched": m.matched, "start": m.start, "end": m.end}
                                   for m in pm],
                     "practices": [{"practice": m.code, "cue": m.cue, "start": m.start, "end": m.end}
                                   for m in pr]},
        })
    return out


def add_corpus_state(result: dict, db: str) -> None:
    """What the corpus holds for the same documents after its corpus-wide passes, so a user sees
    why a stored document differs from this page's own result (boilerplate learned, a cluster)."""
    if not Path(db).exists() or not result["documents"]:
        return
    from lendcorpus.corpus import connect_read

    con = connect_read(db)
    try:
        for d in result["documents"]:
            row = con.execute(
                "SELECT d.boilerplate_lines, d.text_main_simplified, m.cluster_id, m.is_canonical, m.reason, "
                "t.relevance, t.platforms, t.practices FROM documents d "
                "LEFT JOIN dedup_members m USING (doc_id) LEFT JOIN document_tags t USING (doc_id) "
                "WHERE d.doc_id = ?", [d["doc_id"]]).fetchone()
            if row:
                d["in_corpus"] = dict(zip(("boilerplate_lines", "text_main_simplified", "cluster_id",
                                           "is_canonical", "dedup_reason", "relevance", "platforms",
                                           "practices"), row))
    finally:
        con.close()


def _plain(v):
    import datetime as dt

    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return f"<{len(v)} bytes>"
    return v


def _cut(s, n: int) -> str:
    s = "" if s is None else str(s).replace("\n", "⏎")
    return s if len(s) <= n else s[: n - 1] + "…"


def render(result: dict, max_chars: int = 400) -> str:
    lines = [f"url        {result['url']}", f"status     {result['status']}", f"page kind  {result['page_kind']}"]
    if result["archive"]:
        lines.append(f"archived   {result['archive']['path']} @ {result['archive']['offset']}")
    for r in result["rejects"]:
        lines.append(f"REJECT     {r['stage']}:{r['reason']}" + (f" ({r['detail']})" if r["detail"] else ""))
    if result["rows"]:
        counts: dict[str, int] = {}
        for r in result["rows"]:
            counts[r["table"]] = counts.get(r["table"], 0) + 1
        lines.append("rows       " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    if not result["documents"] and not result["rejects"]:
        lines.append("(no document: navigation or a page kind that yields rows only)")
    for d in result["documents"]:
        t = d["tags"]
        lines += [
            "", f"document   {d['doc_id']}  ({d['kind']}, {d['source']})",
            f"  title        {_cut(d['title'], max_chars)}",
            f"  published    {d['published_at']}",
            f"  extractor    {d['extractor']}   encoding {d['encoding']} ({_cut(d['encoding_evidence'], 60)})",
            f"  lang/script  {d['lang']} / {d['script']}   pinyin removed {d['pinyin_removed']}",
            f"  repairs      {len(d['repairs'])}" + "".join(
                f"\n    {r.get('step')}: {_cut(r.get('before'), 40)} → {_cut(r.get('after'), 40)}"
                for r in d["repairs"][:10]),
            f"  gaps         {len(d['gaps'])}" + "".join(
                f"\n    {g.get('kind')}: {_cut(g.get('context'), 60)}" for g in d["gaps"][:10]),
            f"  relevance    {t['relevance']:.2f} ({'relevant' if t['relevant'] else 'not relevant'})",
            "  platforms    " + (", ".join(sorted({p['platform'] for p in t['platforms']})) or "-"),
            "  practices    " + (", ".join(sorted({p['practice'] for p in t['practices']})) or "-"),
            f"  text         {_cut(d['text'], max_chars)}",
            f"  text_clean   {_cut(d['text_clean'], max_chars)}",
        ]
        c = d.get("in_corpus")
        if c:
            lines += [
                "  in the corpus (after its corpus-wide passes):",
                f"    boilerplate lines removed {c['boilerplate_lines']}; dedup cluster {c['cluster_id']} "
                f"({c['dedup_reason']}{', canonical' if c['is_canonical'] else ''})",
                f"    relevance {c['relevance']}; platforms {', '.join(c['platforms'] or []) or '-'}; "
                f"practices {', '.join(c['practices'] or []) or '-'}",
            ]
    lines += ["", "not applied here: " + "; ".join(result["not_applied"])]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    rules = None
    if args.rules:
        from lendcorpus.siterules import RulesError, parse_rules

        path = Path(args.rules)
        try:
            site = parse_rules(path.read_text(encoding="utf-8"), path)
        except (OSError, RulesError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        rules = {site.name: site}
    target = args.target
    try:
        if urlsplit(target).scheme in ("http", "https"):
            rec = _archived_record(target, args.db, args.archive)
        elif Path(target).is_file():
            rec = _local_record(Path(target), args.url)
        else:
            raise ParseError(f"{target} is neither an http(s) URL nor a file")
    except ParseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = parse_one(rec, rules)
    add_corpus_state(result, args.db)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    else:
        print(render(result, args.max_chars))
    return 1 if result["rejects"] and not result["documents"] else 0
