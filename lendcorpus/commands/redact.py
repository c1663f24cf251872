"""``lendcorpus redact``: scrub personal data from text with the release's own scrubber.

Plain mode prints the scrubbed text. ``--jsonl`` reads ``{"id", "text"}`` lines and writes
``{"id", "text", "redactions": {type: count}}`` per line — counts only, never the values; a bad
line yields ``{"id", "error"}`` and processing goes on (exit 1 at the end).
``--check`` runs the release's final gate instead (the scrubber's re-scan plus the independent
second detector) and prints, per line or record, the kinds still present — never the values;
exit 1 when anything is found.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", default="-", help="UTF-8 input file, or - for stdin (default)")
    parser.add_argument("--jsonl", action="store_true",
                        help='input is JSON lines {"id": ..., "text": ...}; output adds "redactions"')
    parser.add_argument("--check", action="store_true",
                        help="do not scrub: report what the release gate would refuse (kinds per line, no values)")


def run(args: argparse.Namespace) -> int:
    from lendcorpus.pipelines.redact import scrub

    try:
        stream = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    out = sys.stdout
    try:
        if args.check:
            return _check(stream, args.jsonl, out)
        if not args.jsonl:
            text = stream.read().decode("utf-8", errors="replace")
            out.write(scrub(text)[0] or "")
            return 0
        failed = 0
        for raw in stream:
            if not raw.strip():
                continue
            rec_id = None
            try:
                obj = json.loads(raw.decode("utf-8"))
                if not isinstance(obj, dict):
                    raise ValueError("line is not a JSON object")
                rec_id = obj.get("id")
                text = obj.get("text")
                if not isinstance(text, str):
                    raise ValueError('missing or non-string "text"')
            except (ValueError, UnicodeDecodeError) as exc:
                failed += 1
                out.write(json.dumps({"id": rec_id, "error": str(exc)[:200]}, ensure_ascii=False) + "\n")
                continue
            clean, counts = scrub(text)
            out.write(json.dumps({"id": rec_id, "text": clean, "redactions": dict(sorted(counts.items()))},
                                 ensure_ascii=False) + "\n")
        return 1 if failed else 0
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _check(stream, jsonl: bool, out) -> int:
    from lendcorpus.release.scrubbing import final_gate

    hits = 0
    for n, raw in enumerate(stream, 1):
        line = raw.decode("utf-8", errors="replace")
        where = f"line {n}"
        if jsonl:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                where = f"id {obj.get('id')!r}" if isinstance(obj, dict) else where
                line = obj.get("text") if isinstance(obj, dict) else None
            except ValueError:
                line = None
            if not isinstance(line, str):
                out.write(f"{where}: not a JSON object with a text\n")
                hits += 1
                continue
        found = final_gate(line)
        if found:
            hits += 1
            out.write(f"{where}: {', '.join(f'{k}×{v}' for k, v in found.items())}\n")
    out.write(f"{hits} line(s) with personal data\n" if hits else "clean\n")
    return 1 if hits else 0
