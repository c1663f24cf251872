"""Dedup speed at 10k and 100k documents, each number beside a baseline measured in the same run.

    python benchmarks/bench_dedup.py                              # 10k and 100k (about 15 min)
    python benchmarks/bench_dedup.py --docs 10000 --repeats 1     # quick
    python benchmarks/bench_dedup.py --incremental 0              # skip the corpus-pass part

Two inputs, written as JSONL ({"id", "text"[, "url"]}):

* **seed-like**: sentences of the farm fixture's article sources shuffled into 1-3 KB texts, one in
  five a near copy of a recent one (characters swapped, head cut): mostly distinct articles.
* **farm-like**: every document a spun copy (synonym swaps, script conversion, re-wrapping, pinyin)
  of one of the fixture's 18 articles, in one of three site templates: thousands of copies per
  article, the shape that made the old band self-join explode.

Measured (medians of ``--repeats``): the whole ``lendcorpus dedup FILE --json`` command in a
subprocess, JSONL in -> JSONL out, with ``--prepared`` (texts are main texts; no normalisation)
and with the full path (normalisation chain + boilerplate learning, once: it is slow). Wall
seconds *and* CPU seconds of the child are printed: the machine is shared, and CPU time is what
the command costs. Baselines in the same run: signing alone (the number docs/dedup.md used to
quote) and datasketch (MinHash 128 perms + MinHashLSH at its defaults, char 5-grams, union-find,
JSONL in and out) on the first ``--baseline-docs`` documents because it is slow. Candidate pairs
per node show that the work grows linearly (the old self-join: 4x pages gave 16x pairs).
Incremental: the corpus pass on N documents in DuckDB, then 1,000 more (what it touches).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))


# ---------------------------------------------------------------------- inputs


def _sentences() -> list[str]:
    import opencc

    from lendcorpus_replay import FARM_CORPUS_DIR

    cc = opencc.OpenCC("t2s")
    out = []
    for path in sorted(FARM_CORPUS_DIR.glob("*.txt")):
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
    for _ in range(n):
        if recent and rng.random() < 0.2:
            src = list(rng.choice(recent))
            for _ in range(rng.randint(5, 25)):
                src[rng.randrange(len(src))] = chr(0x4E00 + rng.randrange(20000))
            text = "".join(src)
            text = text[rng.randrange(len(text) // 10 + 1) :]
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


def farm_records(n: int, seed: int = 0, prepared: bool = False):
    """Yield ``n`` farm-like records: spun copies of the fixture's articles on three sites.
    ``prepared``: the copies' main text as the build would leave it (Simplified, no pinyin, no
    site template), for ``--prepared``."""
    import eval_dedup as ev

    from lendcorpus_replay import farmgen as fg

    arts = fg._load_articles(fg.CORPUS_DIR, None)
    keys = sorted(arts)
    sites = list(ev.SITES)
    rng = random.Random(seed)
    for i in range(n):
        key = rng.choice(keys)
        if prepared:
            t = ("simplified", "spin", *(("rewrap",) if rng.random() < 0.2 else ()))
            a, _ = fg.make_variant(arts[key], t, rng)
            text = "\n".join(x for _, x in (*a.intro, *a.body, *a.summary, *a.tail) if x)
            yield {"id": f"f{i}", "text": text}
            continue
        t = []
        if rng.random() < 0.9:
            t.append("spin")
        if rng.random() < 0.3:
            t.append("simplified" if arts[key].script == "hant" else "traditional")
        if rng.random() < 0.2:
            t.append("rewrap")
        if rng.random() < 0.1:
            t.append("pinyin")
        a, _ = fg.make_variant(arts[key], tuple(t), rng)
        site = rng.choice(sites)
        yield {"id": f"f{i}", "url": f"https://{site}/a/{i}.html", "text": ev._render(a, site)}


def write_inputs(directory: Path, n: int) -> dict[str, tuple[Path, Path]]:
    """Per input kind: (raw file for the full path, main-text file for --prepared)."""
    seed = directory / f"seed-{n}.jsonl"
    farm, farm_main = directory / f"farm-{n}.jsonl", directory / f"farm-main-{n}.jsonl"
    with seed.open("w", encoding="utf-8") as fh:
        for i, t in enumerate(documents(n)):
            fh.write(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n")
    for path, prepared in ((farm, False), (farm_main, True)):
        with path.open("w", encoding="utf-8") as fh:
            for r in farm_records(n, prepared=prepared):
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return {"seed-like": (seed, seed), "farm-like": (farm, farm_main)}


# ---------------------------------------------------------------------- measurements


def run_cli(path: Path, *extra: str) -> dict:
    """The whole command in a child process: wall and CPU seconds, peak RSS, its stderr summary."""
    out = path.with_suffix(".out")
    t0 = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "lendcorpus.cli", "dedup", str(path), "--json", *extra],
                                stdout=fh, stderr=subprocess.PIPE, cwd=REPO)
        err = proc.stderr.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"lendcorpus dedup exited {status}: {err[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "summary": err.strip().splitlines()[-1]}


def signing_alone(path: Path) -> dict:
    """Signatures of the file's texts (no index, no clustering, no I/O): the old quoted number."""
    from lendcorpus.pipelines.dedup import sign_batch

    texts = [json.loads(line)["text"] for line in path.open(encoding="utf-8")]
    sign_batch(texts[:100])
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 10_000):
        sign_batch(texts[i : i + 10_000])
    return {"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}


def datasketch_command(path: Path, limit: int) -> dict:
    """datasketch end to end on the first ``limit`` records: JSONL in, MinHash + MinHashLSH at
    its defaults over char 5-grams, union-find over LSH hits, JSONL out."""
    from datasketch import MinHash, MinHashLSH

    w0, c0 = time.perf_counter(), time.process_time()
    recs = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            recs.append(json.loads(line))
            if len(recs) >= limit:
                break
    lsh = MinHashLSH()
    parent = {r["id"]: r["id"] for r in recs}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in recs:
        t = r["text"]
        m = MinHash()
        m.update_batch([t[i : i + 5].encode("utf-8") for i in range(max(1, len(t) - 4))])
        for other in lsh.query(m):
            a, b = find(other), find(r["id"])
            if a != b:
                parent[b] = a
        lsh.insert(r["id"], m)
    with open(os.devnull, "w", encoding="utf-8") as out:
        for r in recs:
            out.write(json.dumps({"id": r["id"], "cluster": find(r["id"])}) + "\n")
    return {"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0, "docs": len(recs)}


def pairs_per_node(path: Path) -> dict:
    """Candidate pairs and confirmed edges of the capped-bucket graph, per node (prepared text)."""
    from lendcorpus.pipelines.dedup import DEFAULT_PARAMS, Deduper, center_pairs, node_ids

    dd = Deduper()
    recs = [json.loads(line) for line in path.open(encoding="utf-8")]
    for i in range(0, len(recs), 10_000):
        dd.add([(r["id"], r["text"]) for r in recs[i : i + 10_000]])
    import numpy as np

    y, _ = center_pairs(np.concatenate(dd._keys), node_ids(dd._hashes), DEFAULT_PARAMS.centers)
    return {"nodes": dd.nodes, "pairs": len(y), "edges": len(dd.near_edges())}


def incremental(n: int, directory: Path) -> dict:
    """The corpus pass on ``n`` farm-like prepared documents, then on 1,000 more."""
    from datetime import datetime, timedelta, timezone

    import pyarrow as pa

    from lendcorpus.corpus import connect_write
    from lendcorpus.pipelines.dedup import DedupPass

    recs = list(farm_records(n + 1000, seed=7, prepared=True))
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)

    def load(con, part, offset):
        tbl = pa.table({"doc_id": [r["id"] for r in part], "url": [f"https://farm.example/{r['id']}" for r in part],
                        "text": [r["text"] for r in part],
                        "fetched_at": pa.array([t0 + timedelta(seconds=offset + i) for i in range(len(part))],
                                               pa.timestamp("us", tz="UTC"))})
        con.register("_b", tbl)
        con.execute("""INSERT INTO documents (doc_id, source, kind, url, text, extractor, archive_path,
                       archive_offset, text_main_simplified, fetched_at)
                       SELECT doc_id, 'farm', 'article', url, text, 'bench', 'x', 0, text, fetched_at FROM _b""")
        con.unregister("_b")

    con = connect_write(directory / f"inc-{n}.duckdb")
    load(con, recs[:n], 0)
    w0, c0 = time.perf_counter(), time.process_time()
    first = DedupPass().run(con)
    fresh = {"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}
    load(con, recs[n:], n)
    w0, c0 = time.perf_counter(), time.process_time()
    counts = DedupPass().run(con)
    added = {"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}
    con.close()
    return {"fresh": fresh, "added": added, "counts": counts, "first": first}


def _med(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", default="10000,100000", help="document counts")
    ap.add_argument("--repeats", type=int, default=3, help="runs of the --prepared command (median)")
    ap.add_argument("--full-repeats", type=int, default=1, help="runs of the full (normalising) command")
    ap.add_argument("--baseline-docs", type=int, default=10_000, help="documents given to datasketch")
    ap.add_argument("--incremental", type=int, default=100_000, help="corpus size for the add-1k run (0: skip)")
    ap.add_argument("--dir", type=Path, help="keep inputs here (default: a temporary directory)")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.docs.split(",") if x]
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} at start (shared with other jobs)")
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        rows = []
        for n in sizes:
            paths = write_inputs(directory, n)
            for kind, (raw, path) in paths.items():
                mb = path.stat().st_size / 2**20
                prep = [run_cli(path, "--prepared") for _ in range(args.repeats)]
                full = [run_cli(raw) for _ in range(args.full_repeats)]
                sign = [signing_alone(path) for _ in range(args.repeats)]
                ds = [datasketch_command(path, args.baseline_docs) for _ in range(max(1, args.repeats // 2))]
                graph = pairs_per_node(path)
                rows.append({"n": n, "kind": kind, "mb": mb, "prep": prep, "full": full, "sign": sign, "ds": ds,
                             "graph": graph})
                print(f"  done: {kind} {n:,}: --prepared: {prep[0]['summary']}; full: {full[0]['summary']}",
                      file=sys.stderr)
        print()
        print("Whole command `lendcorpus dedup FILE --json` (JSONL in -> JSONL out), medians; docs/s by wall "
              "clock and by the child's CPU time")
        print()
        print("| input | docs | MB | --prepared docs/s (wall) | --prepared docs/s (CPU) | peak RSS MB | "
              "full path docs/s (CPU) | signing alone docs/s (CPU) | datasketch command docs/s (CPU) | "
              "--prepared / datasketch (CPU) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            n = r["n"]
            p_wall, p_cpu = n / _med(r["prep"], "wall"), n / _med(r["prep"], "cpu")
            f_cpu = n / _med(r["full"], "cpu")
            s_cpu = n / _med(r["sign"], "cpu")
            d_cpu = statistics.median(d["docs"] / d["cpu"] for d in r["ds"])
            print(f"| {r['kind']} | {n:,} | {r['mb']:.0f} | {p_wall:,.0f} | {p_cpu:,.0f} | "
                  f"{max(x['rss_mb'] for x in r['prep']):,.0f} | {f_cpu:,.0f} | {s_cpu:,.0f} | {d_cpu:,.0f} | "
                  f"{p_cpu / d_cpu:.1f}x |")
        print()
        print("| input | docs | nodes | candidate pairs | pairs per node | confirmed edges | edges per node |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            g = r["graph"]
            print(f"| {r['kind']} | {r['n']:,} | {g['nodes']:,} | {g['pairs']:,} | {g['pairs'] / max(1, g['nodes']):.1f} | "
                  f"{g['edges']:,} | {g['edges'] / max(1, g['nodes']):.1f} |")
        if len(sizes) >= 2:
            print()
            lo, hi = sizes[0], sizes[-1]
            for kind in ("seed-like", "farm-like"):
                a = next(r for r in rows if r["n"] == lo and r["kind"] == kind)
                b = next(r for r in rows if r["n"] == hi and r["kind"] == kind)
                ra = lo / _med(a["prep"], "cpu")
                rb = hi / _med(b["prep"], "cpu")
                print(f"{kind}: {hi / lo:g}x documents -> {b['graph']['pairs'] / max(1, a['graph']['pairs']):.1f}x "
                      f"candidate pairs; --prepared docs/s (CPU) at {hi:,} = {rb / ra:.2f} x docs/s at {lo:,}")
        goal = [r for r in rows if r["n"] >= 100_000]
        for r in goal:
            p_cpu = r["n"] / _med(r["prep"], "cpu")
            p_wall = r["n"] / _med(r["prep"], "wall")
            print(f"goal >= 10,000 docs/s on 100k ({r['kind']}, --prepared): CPU {p_cpu:,.0f}, wall {p_wall:,.0f} "
                  f"-> {'met' if p_cpu >= 10_000 else 'NOT met'} by CPU time")
        if args.incremental:
            inc = incremental(args.incremental, directory)
            print()
            print(f"Corpus pass (DuckDB), farm-like prepared documents: fresh {args.incremental:,} documents "
                  f"{inc['fresh']['wall']:.1f} s wall / {inc['fresh']['cpu']:.1f} s CPU; adding 1,000 more "
                  f"{inc['added']['wall']:.1f} s wall / {inc['added']['cpu']:.1f} s CPU "
                  f"(ratio {inc['added']['cpu'] / inc['fresh']['cpu']:.3f} of the fresh pass)")
            c = inc["counts"]
            print(f"  the 1k run: signed {c['signed']}, new nodes {c['indexed']}, nodes relinked {c['relinked']}, "
                  f"documents reclustered {c['reclustered']} (clusters they joined), edges {c['edges']}")
    print(f"load average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
