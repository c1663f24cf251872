"""Throughput of the normalisation chain, with OpenCC t2s alone as the baseline of the same run.

    python benchmarks/bench_normalize.py [--docs 20000] [--repeats 5] [--shared PATH]

Documents are 1-3 KB (UTF-8) slices of the four seed articles (Traditional script, inline pinyin,
keyword-filter gaps: what the content farms send), plus a second set built from the Simplified
lingua sentences (clean text, no annotations). Single process, one core; reports the median of
the repeats in documents per second.
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from lendcorpus.pipelines.normalize import CHAIN_VERSION, decode_bytes, normalize_text  # noqa: E402
from lendcorpus.pipelines.normalize.script import converter  # noqa: E402


def _shared(arg: str | None) -> Path:
    p = Path(arg or os.environ.get("LENDCORPUS_SHARED") or (REPO.parent / "shared"))
    if not (p / "seeds").is_dir():
        raise SystemExit(f"shared data not found at {p}")
    return p


def _slices(sources: list[str], n: int, rng: random.Random) -> list[str]:
    docs = []
    while len(docs) < n:
        src = rng.choice(sources)
        want = rng.randint(1000, 3000)  # bytes
        start = rng.randrange(0, max(1, len(src) - 200))
        end = start
        size = 0
        while end < len(src) and size < want:
            size += len(src[end].encode("utf-8"))
            end += 1
        if size >= 1000:
            docs.append(src[start:end])
    return docs


def _time(fn, docs: list[str], repeats: int) -> list[float]:
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for d in docs:
            fn(d)
        rates.append(len(docs) / (time.perf_counter() - t0))
    return rates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--shared")
    args = ap.parse_args(argv)
    shared = _shared(args.shared)
    rng = random.Random(20240601)

    seeds = [Path(f).read_text("utf-8") for f in sorted(glob.glob(str(shared / "seeds" / "*.txt")))]
    seeds = [s for s in seeds if len(s.encode("utf-8")) > 3000] or seeds
    seed_docs = _slices(seeds, args.docs, rng)
    zh = (shared / "eval" / "lingua-language-testdata" / "sentences" / "zh.txt").read_text("utf-8")
    zh_docs = _slices([zh], args.docs, rng)
    seed_bytes = [d.encode("utf-8") for d in seed_docs]

    t2s = converter("t2s")
    # warm up: converters, lazy tables, caches
    for d in seed_docs[:200] + zh_docs[:200]:
        normalize_text(d)
        t2s.convert(d)

    rows = []
    for name, docs in (("seed-like (Trad., pinyin)", seed_docs), ("clean Simplified", zh_docs)):
        kb = sum(len(d.encode("utf-8")) for d in docs) / len(docs) / 1024
        base = _time(t2s.convert, docs, args.repeats)
        chain = _time(normalize_text, docs, args.repeats)
        rows.append((name, len(docs), kb, statistics.median(base), statistics.median(chain), min(chain), max(chain)))
    dec = _time(decode_bytes, seed_bytes, args.repeats)

    print(f"lendcorpus normalize benchmark  {CHAIN_VERSION}")
    print(f"python {platform.python_version()} on {platform.machine()}, 1 process, median of {args.repeats} repeats")
    print()
    head = f"{'documents':<28}{'n':>7}{'avg KB':>8}{'OpenCC t2s alone':>18}{'whole chain':>13}{'chain min-max':>17}{'goal':>8}"
    print(head)
    print("-" * len(head))
    for name, n, kb, b, c, lo, hi in rows:
        print(f"{name:<28}{n:>7}{kb:>8.2f}{b:>14,.0f} d/s{c:>9,.0f} d/s{lo:>9,.0f}-{hi:,.0f}{'1,500':>8}")
    print(f"{'decode_bytes (seed-like)':<28}{len(seed_bytes):>7}{'':>8}{'':>18}{statistics.median(dec):>9,.0f} d/s")
    slowest = min(r[4] for r in rows)
    print()
    print(f"goal >= 1,500 docs/s on one core: {'met' if slowest >= 1500 else 'NOT met'} (slowest set {slowest:,.0f} d/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
