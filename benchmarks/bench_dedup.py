"""Dedup speed and memory: signing and LSH index insert+query, against datasketch in the same run.

    python benchmarks/bench_dedup.py                 # 100k docs; memory at 100k and 300k
    python benchmarks/bench_dedup.py --docs 20000 --memory 20000,60000   # quick

Documents are synthetic and seed-like: sentences of the farm fixture's article sources (Simplified),
shuffled into 1-3 KB texts, with one in five a near copy of an earlier one (sentences dropped,
characters swapped) so the index answers real candidate queries. Throughput is the median of
three runs; datasketch (MinHash num_perm=128 + MinHashLSH at its defaults, char 5-grams) runs on
a slice of the same documents because it is slow. Memory is the tracemalloc peak of the dedup
state (signatures kept for confirmation, the index, per-document records) while adding N
documents: resident-set growth of a fresh process per N, extrapolated linearly to 1M.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BATCH = 2000


def _sentences() -> list[str]:
    import opencc

    cc = opencc.OpenCC("t2s")
    out = []
    for path in sorted((REPO / "crawler" / "replay" / "farm_corpus").glob("*.txt")):
        text = cc.convert(path.read_text(encoding="utf-8"))
        for s in text.replace("\n", "。").split("。"):
            s = s.strip()
            if 8 <= len(s) <= 200:
                out.append(s + "。")
    return sorted(set(out))


def documents(n: int, seed: int = 0):
    """Yield ``n`` seed-like documents (deterministic)."""
    pool = _sentences()
    rng = random.Random(seed)
    recent: list[str] = []
    for i in range(n):
        if recent and rng.random() < 0.2:
            src = list(rng.choice(recent))
            for _ in range(rng.randint(5, 25)):
                src[rng.randrange(len(src))] = chr(0x4E00 + rng.randrange(20000))
            text = "".join(src)
            cut = rng.randrange(len(text) // 10 + 1)
            text = text[cut:]
        else:
            parts = []
            size = rng.randint(330, 1000)  # characters: 1-3 KB of UTF-8
            while sum(map(len, parts)) < size:
                parts.append(rng.choice(pool))
            text = "".join(parts)
        recent.append(text)
        if len(recent) > 500:
            recent.pop(0)
        yield text


def _batches(it, size=BATCH):
    buf = []
    for x in it:
        buf.append(x)
        if len(buf) == size:
            yield buf
            buf = []
    if buf:
        yield buf


def run_ours(texts: list[str]) -> tuple[float, float, int]:
    """Seconds for signing, seconds for index insert+query+confirm, edges found."""
    import numpy as np

    from lendcorpus.pipelines.dedup import DEFAULT_PARAMS as P, MemoryIndex, band_keys, confirm_edges, sign_batch

    t_sign = t_index = 0.0
    index = MemoryIndex(P)
    sigs_all = np.empty((len(texts), P.num_perm), np.uint32)
    ids = [str(i) for i in range(len(texts))]
    edges = 0
    for start in range(0, len(texts), BATCH):
        chunk = texts[start : start + BATCH]
        t0 = time.perf_counter()
        b = sign_batch(chunk, P)
        t1 = time.perf_counter()
        keys = band_keys(b.sigs, P)
        rows = np.arange(start, start + len(chunk))
        sigs_all[rows] = b.sigs
        index.insert(keys, rows)
        q, r = index.query(keys)
        ok = r < start + q
        q, r = q[ok], r[ok]
        edges += len(confirm_edges(ids[start : start + len(chunk)], b.sigs, q, [ids[x] for x in r.tolist()],
                                   sigs_all[r], P))
        t2 = time.perf_counter()
        t_sign += t1 - t0
        t_index += t2 - t1
    return t_sign, t_index, edges


def run_datasketch(texts: list[str]) -> tuple[float, float]:
    from datasketch import MinHash, MinHashLSH

    t0 = time.perf_counter()
    sigs = []
    for t in texts:
        m = MinHash()
        m.update_batch([t[i : i + 5].encode("utf-8") for i in range(len(t) - 4)])
        sigs.append(m)
    t1 = time.perf_counter()
    lsh = MinHashLSH()
    for i, m in enumerate(sigs):
        lsh.query(m)
        lsh.insert(str(i), m)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(n: int) -> dict:
    """Resident memory of a process that adds ``n`` documents to a ``Deduper`` (inputs are
    generated lazily, so they do not grow with n): peak (ru_maxrss) and after, minus the RSS
    before the first document."""
    import resource

    from lendcorpus.pipelines.dedup import Deduper

    warm = Deduper()
    warm.add([("w", next(documents(1, seed=9)))])  # imports, code-point table
    before = _rss_mb()
    d = Deduper()
    t0 = time.perf_counter()
    for i, chunk in enumerate(_batches(documents(n, seed=1), BATCH)):
        d.add([(f"d{i}-{j}", t) for j, t in enumerate(chunk)])
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"docs": n, "peak_mb": peak - before, "held_mb": _rss_mb() - before, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--baseline-docs", type=int, default=10_000)
    ap.add_argument("--memory", default="100000,300000", help="document counts to measure memory at")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory(args.memory_child)))
        return 0
    texts = list(documents(args.docs))
    kb = sum(len(t.encode("utf-8")) for t in texts) / len(texts) / 1024
    print(f"{len(texts)} synthetic seed-like documents, mean {kb:.1f} KB UTF-8")
    run_ours(texts[:BATCH])  # warm-up (code-point table, imports)
    ours = [run_ours(texts) for _ in range(args.repeats)]
    base = texts[: args.baseline_docs]
    theirs = [run_datasketch(base) for _ in range(args.repeats)]
    n, nb = len(texts), len(base)
    sign = statistics.median(n / o[0] for o in ours)
    index = statistics.median(n / o[1] for o in ours)
    both = statistics.median(n / (o[0] + o[1]) for o in ours)
    ds_sign = statistics.median(nb / t[0] for t in theirs)
    ds_index = statistics.median(nb / t[1] for t in theirs)
    ds_both = statistics.median(nb / (t[0] + t[1]) for t in theirs)
    print(f"near-duplicate edges confirmed: {ours[0][2]}")
    print()
    print("| step | lendcorpus docs/s | datasketch docs/s | ratio |")
    print("|---|---|---|---|")
    print(f"| signatures | {sign:,.0f} | {ds_sign:,.0f} | {sign / ds_sign:.1f}x |")
    print(f"| index insert + query (+ confirm) | {index:,.0f} | {ds_index:,.0f} | {index / ds_index:.1f}x |")
    print(f"| signing + indexing together | {both:,.0f} | {ds_both:,.0f} | {both / ds_both:.1f}x |")
    print(f"goal >= 5,000 docs/s on one core: {'met' if both >= 5000 else 'NOT met'}")
    print()
    sizes = [int(x) for x in args.memory.split(",") if x]
    rows = []
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(size)], capture_output=True,
                             text=True, check=True, cwd=REPO)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| documents | peak RSS growth MB | RSS growth after MB | seconds (Deduper.add, incl. generating) |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['docs']:,} | {r['peak_mb']:.0f} | {r['held_mb']:.0f} | {r['seconds']:.1f} |")
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        span = b["docs"] - a["docs"]
        slope_peak = (b["peak_mb"] - a["peak_mb"]) / span
        slope_held = (b["held_mb"] - a["held_mb"]) / span
        slope = max(slope_peak, slope_held)  # the conservative of the two fits
        at_1m = max(b["peak_mb"], b["held_mb"]) + slope * (1_000_000 - b["docs"])
        print(f"growth {slope_peak * 2**20:,.0f} bytes/doc (peak fit), {slope_held * 2**20:,.0f} bytes/doc (held fit); "
              f"extrapolated to 1M documents with the larger: {at_1m:,.0f} MB "
              f"({'under' if at_1m < 2048 else 'OVER'} the 2 GB goal)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
