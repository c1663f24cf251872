"""``lendcorpus normalize``: run the normalisation chain on a file, stdin, or JSONL records.

Plain mode reads bytes in any encoding (the decoder picks the charset) and prints the clean text,
or with ``--json`` one JSON object. ``--jsonl`` reads ``{"id", "text"}`` lines and writes one
object per line; a bad line yields ``{"id", "error"}`` and processing goes on (exit 1 at the end).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", default="-", help="input file, or - for stdin (default)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print one JSON object with all derived fields")
    mode.add_argument(
        "--jsonl",
        action="store_true",
        help='input is JSON lines {"id": ..., "text": ...}; output one JSON object per line',
    )


def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as fh:
        return fh.read()


def _record(norm, encoding: str | None, evidence: str | None = None) -> dict:
    d = norm.to_dict()
    d["encoding"] = encoding
    if evidence is not None:
        d["encoding_evidence"] = evidence
    return d


def _run_jsonl(path: str, out) -> int:
    from lendcorpus.pipelines.normalize import normalize_text

    stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    failed = 0
    total = 0
    try:
        for lineno, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            total += 1
            rec_id = None
            try:
                obj = json.loads(raw.decode("utf-8"))
                if not isinstance(obj, dict):
                    raise ValueError("line is not a JSON object")
                rec_id = obj.get("id")
                text = obj.get("text")
                if not isinstance(text, str):
                    raise ValueError('missing or non-string "text"')
                result = _record(normalize_text(text), None)
                result = {"id": rec_id, **result}
            except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
                failed += 1
                result = {"id": rec_id, "error": f"line {lineno}: {type(exc).__name__}: {exc}"[:300]}
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if failed:
        print(f"normalize: {failed} of {total} lines failed", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    from lendcorpus.pipelines.normalize import decode_bytes, normalize_text

    out = sys.stdout
    try:
        if args.jsonl:
            return _run_jsonl(args.file, out)
        data = _read_bytes(args.file)
    except OSError as exc:
        print(f"normalize: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    decoded = decode_bytes(data)
    norm = normalize_text(decoded.text)
    if args.json:
        out.write(json.dumps(_record(norm, decoded.encoding, decoded.evidence), ensure_ascii=False) + "\n")
    else:
        out.write(norm.text)
        if norm.text and not norm.text.endswith("\n"):
            out.write("\n")
    out.flush()
    return 0
