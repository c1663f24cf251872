"""Throughput of the normalisation chain, with OpenCC t2s alone as the baseline of the same run.

    python benchmarks/bench_normalize.py [--docs 20000] [--repeats 5] [--shared PATH]

Documents are 1-3 KB (UTF-8) slices of the four seed articles (Traditional script, inline pinyin,
keyword-filter gaps: what the content farms send), plus a second set built from the Simplified
lingua sentences (clean text, no annotations). Single process, one core; reports the median of
the repeats in documents per second of CPU time (time.process_time: the machine is shared, and
wall time would also measure the neighbours), with wall-clock rates beside them.

Baselines of the same run: OpenCC t2s alone, and "t2s + one regex pass" (t2s, then one
re.sub of the bracketed-pinyin pattern over the result: the least any chain that converts and
cleans must do). Goals (issue 12): chain >= 3,000 docs/s per core, and >= 0.3 x the
"t2s + one regex pass" rate.
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
from lendcorpus.pipelines.normalize.pinyin import _BRACKET_RE  # noqa: E402
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


def _time(fn, docs: list[str], repeats: int, wall: list[float] | None = None) -> list[float]:
    """CPU-time rates of the repeats (wall-clock rates appended to ``wall``)."""
    rates = []
    for _ in range(repeats):
        t0, w0 = time.process_time(), time.perf_counter()
        for d in docs:
            fn(d)
        rates.append(len(docs) / (time.process_time() - t0))
        if wall is not None:
            wall.append(len(docs) / (time.perf_counter() - w0))
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

    def t2s_and_regex(d: str) -> str:
        return _BRACKET_RE.sub("", t2s.convert(d))

    rows = []
    for name, docs in (("seed-like (Trad., pinyin)", seed_docs), ("clean Simplified", zh_docs)):
        kb = sum(len(d.encode("utf-8")) for d in docs) / len(docs) / 1024
        base = _time(t2s.convert, docs, args.repeats)
        base2 = _time(t2s_and_regex, docs, args.repeats)
        wall: list[float] = []
        chain = _time(normalize_text, docs, args.repeats, wall)
        rows.append((name, len(docs), kb, statistics.median(base), statistics.median(base2),
                     statistics.median(chain), min(chain), max(chain), statistics.median(wall)))
    dec = _time(decode_bytes, seed_bytes, args.repeats)

    print(f"lendcorpus normalize benchmark  {CHAIN_VERSION}")
    print(f"python {platform.python_version()} on {platform.machine()}, 1 process, median of {args.repeats} repeats, "
          f"docs per CPU second (load average {os.getloadavg()[0]:.1f})")
    print()
    head = (f"{'documents':<28}{'n':>7}{'avg KB':>8}{'t2s alone':>12}{'t2s+regex':>12}{'whole chain':>13}"
            f"{'min-max':>15}{'wall':>9}{'chain/(t2s+regex)':>19}")
    print(head)
    print("-" * len(head))
    ok = True
    for name, n, kb, b, b2, c, lo, hi, w in rows:
        ratio = c / b2
        ok &= c >= 3000 and ratio >= 0.3
        print(f"{name:<28}{n:>7}{kb:>8.2f}{b:>12,.0f}{b2:>12,.0f}{c:>13,.0f}{lo:>8,.0f}-{hi:<6,.0f}{w:>9,.0f}"
              f"{ratio:>19.2f}")
    print(f"{'decode_bytes (seed-like)':<28}{len(seed_bytes):>7}{'':>8}{'':>24}{statistics.median(dec):>13,.0f}")
    print()
    print(f"goals (>= 3,000 docs/s per core and >= 0.3 x t2s+regex on every set): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
