"""``lendcorpus dedup``: cluster exact and near-duplicate documents of a JSONL file.

Reads lines of ``{"id", "text"}`` (optional ``"url"``: its host is the site boilerplate is
learned for) and writes one line per document: ``{"id", "cluster", "canonical", "reason"}``
(plus ``matched`` and ``jaccard`` where a match explains it). The code is the build's: the
normalisation chain, per-site boilerplate learning and stripping, exact hashes, MinHash/LSH.
A malformed line gives ``{"id", "error"}`` and the rest goes on (exit status 1 at the end);
counts go to stderr. ``--prepared`` skips normalisation and boilerplate (the texts already are
main Simplified texts); ``--jobs N`` normalises in N worker processes. ``--export-signatures PATH`` writes the corpus's signatures to Parquet
instead (for deduplicating the next release against this one).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", help="JSONL input ({\"id\", \"text\"[, \"url\"]} per line), - for stdin")
    parser.add_argument("--json", action="store_true",
                        help="write JSON lines (default: tab-separated id, cluster, canonical, reason)")
    parser.add_argument("--prepared", action="store_true",
                        help="texts are already normalised main texts (e.g. text_main_simplified from a "
                             "corpus): skip normalisation and boilerplate learning")
    parser.add_argument("--jobs", type=int, default=0, metavar="N",
                        help="worker processes for normalisation (default: all cores)")
    parser.add_argument("--export-signatures", metavar="PATH",
                        help="write the corpus's (--db) dedup signatures to a Parquet file and exit")
    parser.add_argument("--against", metavar="PATH",
                        help="match the corpus's (--db) documents against signatures exported from a "
                             "previous release's corpus; one JSON line per document that has a copy there")


def _read(path: str):
    """Yield (lineno, id or None, text, url, error)."""
    stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        for lineno, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            rec_id = None
            try:
                obj = json.loads(raw.decode("utf-8"))
                if not isinstance(obj, dict):
                    raise ValueError("line is not a JSON object")
                rec_id = obj.get("id")
                if rec_id is None or isinstance(rec_id, (dict, list, bool)):
                    raise ValueError('missing or non-scalar "id"')
                text = obj.get("text")
                if not isinstance(text, str):
                    raise ValueError('missing or non-string "text"')
                url = obj.get("url")
                if url is not None and not isinstance(url, str):
                    raise ValueError('non-string "url"')
                yield lineno, rec_id, text, url, None
            except (ValueError, UnicodeDecodeError) as exc:
                yield lineno, rec_id, None, None, f"line {lineno}: {exc}"
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _export(args) -> int:
    from lendcorpus.corpus import connect_read
    from lendcorpus.pipelines.dedup import export_signatures

    con = connect_read(args.db)  # CorpusError becomes a clear message in cli.main
    try:
        n = export_signatures(con, args.export_signatures)
    finally:
        con.close()
    print(f"exported {n} signatures to {args.export_signatures}", file=sys.stderr)
    return 0


def _against(args) -> int:
    from lendcorpus.corpus import connect_read
    from lendcorpus.pipelines.dedup import match_previous

    con = connect_read(args.db)  # CorpusError becomes a clear message in cli.main
    try:
        matches = match_previous(con, args.against)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    for m in matches:
        print(json.dumps(m, ensure_ascii=False))
    print(f"{len(matches)} documents have a copy in {args.against}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.export_signatures:
        return _export(args)
    if args.against:
        return _against(args)
    if not args.file:
        print("lendcorpus dedup: give a JSONL file (or - for stdin)", file=sys.stderr)
        return 2
    from lendcorpus.pipelines.dedup.standalone import dedup_records

    records: list[tuple[str, str, str | None]] = []
    original_ids: dict[str, object] = {}
    order: list[str | dict] = []  # record key, or an error row, in input order
    n_errors = 0
    try:
        for _, rec_id, text, url, error in _read(args.file):
            if error is None and str(rec_id) in original_ids:
                error = f"duplicate id {rec_id!r}"
            if error is not None:
                n_errors += 1
                order.append({"id": rec_id if isinstance(rec_id, (str, int, float)) else None, "error": error})
                continue
            original_ids[str(rec_id)] = rec_id
            records.append((str(rec_id), text, url))
            order.append(str(rec_id))
    except OSError as exc:
        print(f"lendcorpus dedup: {exc}", file=sys.stderr)
        return 2
    import os

    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    _, members = dedup_records(records, prepared=args.prepared, jobs=jobs)
    counts: dict[str, int] = {}
    try:
        for item in order:
            if isinstance(item, dict):
                line = (json.dumps(item, ensure_ascii=False) if args.json
                        else f"{item['id']}\terror\t{item['error']}")
            else:
                m = members[item]
                counts[m.reason] = counts.get(m.reason, 0) + 1
                row = {"id": original_ids[item], "cluster": m.cluster_id, "canonical": m.is_canonical,
                       "reason": m.reason}
                if m.matched_doc_id is not None:
                    row["matched"] = original_ids.get(m.matched_doc_id, m.matched_doc_id)
                    row["jaccard"] = m.jaccard
                line = (json.dumps(row, ensure_ascii=False) if args.json
                        else f"{row['id']}\t{m.cluster_id}\t{str(m.is_canonical).lower()}\t{m.reason}")
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    articles = len({m.cluster_id for m in members.values() if m.reason != "empty"})
    print(f"documents {len(records)}, errors {n_errors}, articles {articles}"
          + "".join(f", {k} {v}" for k, v in sorted(counts.items())), file=sys.stderr)
    return 1 if n_errors else 0
