"""Whole `lendcorpus build` at scale, beside a bare pipeline over the same pages in the same run.

    python benchmarks/bench_build.py --sizes 5000 10000 20000 --jobs 1 2
    python benchmarks/bench_build.py --sizes 100000 --incremental 1000

For each size an archive is generated once (replay/lendcorpus_replay/archivegen.py: farm articles with spun
copies and shared footers, complaint lists and detail pages, tieba threads, news) and cached in
``--work``. Then, each in a fresh process, alternating, ``--repeat`` times:

* ``bare``: iterate the WARC records, selectolax (lexbor) body text or ``json.loads``, OpenCC
  t2s, Arrow batches of 5,000 loaded into DuckDB. No repairs, no rules, no passes: the floor a
  per-record stage could reach.
* ``records jN``: the build's per-record stage only (extract, normalise, load), ``--jobs N``.
* ``build jN``: ``lendcorpus build --jobs N`` with every corpus pass (boilerplate, dedup, tags,
  search).
* ``ray jN`` (``--modes ray``): the per-record stage as ``records jN`` but as Ray tasks
  (``--engine ray``) on a Ray instance started on this machine with N CPUs; Ray's start-up is
  timed apart. The difference to ``records jN`` per record is the Ray path's overhead.
* with ``--incremental K``: a disjoint K-page archive built on top of the size's corpus
  (seconds for the added pages alone).

Peak RSS is the peak of the sum over the process and its children (sampled every 200 ms from
/proc), so worker processes count. CPU seconds are those of the whole process tree: the
reaped children's (exact for the local executor's workers) or, when larger, the sum of each
descendant's own CPU time as last sampled (Ray's workers and raylet are not reaped by the
build, so only sampling sees them). Prints medians; the numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BARE = r"""
import json, sys, time
import duckdb, opencc, pyarrow as pa
from selectolax.lexbor import LexborHTMLParser
from lendcorpus.archive import warc_files, iter_archive, ArchivedRecord
root, db = sys.argv[1], sys.argv[2]
cc = opencc.OpenCC("t2s")
con = duckdb.connect(db)
con.execute("CREATE TABLE docs (url VARCHAR, text VARCHAR, simplified VARCHAR)")
t0 = time.perf_counter()
n = 0
urls, texts, simp = [], [], []
def flush():
    if urls:
        con.register("_b", pa.table({"url": urls, "text": texts, "simplified": simp}))
        con.execute("INSERT INTO docs SELECT * FROM _b")
        con.unregister("_b")
        urls.clear(); texts.clear(); simp.clear()
for path in warc_files(__import__("pathlib").Path(root)):
    for rec in iter_archive(path):
        if not isinstance(rec, ArchivedRecord) or rec.status != 200:
            continue
        ctype = rec.header("Content-Type") or ""
        if "json" in ctype:
            text = json.dumps(json.loads(rec.body), ensure_ascii=False)
        else:
            tree = LexborHTMLParser(rec.body)
            text = tree.body.text(separator="\n") if tree.body is not None else ""
        urls.append(rec.url); texts.append(text); simp.append(cc.convert(text))
        n += 1
        if len(urls) >= 5000:
            flush()
flush()
con.close()
print(json.dumps({"records": n, "seconds": time.perf_counter() - t0}))
"""

BUILD = r"""
import json, sys, time, inspect
from pathlib import Path
from lendcorpus.pipelines.build import Build
root, db, jobs, passes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
engine = sys.argv[5] if len(sys.argv) > 5 else "local"
kw = {}
startup = 0.0
if engine == "ray":
    # Ray on this machine with `jobs` CPUs, started before the clock: its start-up is reported apart
    import ray
    t0 = time.perf_counter()
    ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.get([ray.remote(lambda: 0).remote() for _ in range(jobs)])  # workers up
    startup = time.perf_counter() - t0
    kw["engine"] = "ray"
params = inspect.signature(Build.__init__).parameters
if "jobs" in params:
    kw["jobs"] = jobs
if not passes:
    if "passes" not in params:
        import lendcorpus.pipelines.build as b
        b.corpus_passes = lambda: []
    else:
        kw["passes"] = []
t0 = time.perf_counter()
stats = Build(db, root=Path(root), **kw).run()
print(json.dumps({"records": stats.records, "documents": stats.documents, "seconds": time.perf_counter() - t0,
                  "passes": stats.passes, "startup": startup}))
"""


def _tree_sample(pid: int, cpu_seen: dict[int, float]) -> int:
    """Resident bytes of ``pid`` and all its descendants; records each one's own CPU seconds so
    far in ``cpu_seen`` (processes that are not reaped by their parent, like Ray's workers, are
    not in RUSAGE_CHILDREN)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[bytes]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(d))
            stats[int(d)] = fields
        except OSError:
            continue
    total, todo = 0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        if p in stats:  # fields after the name: state is [0], utime [11], stime [12]
            cpu_seen[p] = max(cpu_seen.get(p, 0.0), (int(stats[p][11]) + int(stats[p][12])) / tick)
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total


def run_measured(args: list[str]) -> tuple[dict, float]:
    """Run a Python snippet in a fresh process; (its JSON result with ``cpu`` seconds of the
    whole process tree added, peak tree RSS in MiB)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # files, not pipes: a child that writes more than a pipe holds would block until we read
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        # -P: the snippet runs in the temp folder, whose stray *.py files must not shadow modules
        proc = subprocess.Popen([sys.executable, "-P", "-c", *args], stdout=out_f, stderr=err_f,
                                cwd=tempfile.gettempdir(), text=True)
        peak = 0
        cpu_seen: dict[int, float] = {}
        while proc.poll() is None:
            peak = max(peak, _tree_sample(proc.pid, cpu_seen))
            time.sleep(0.2)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    if proc.returncode:
        raise SystemExit(f"benchmark process failed:\n{err[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers roll up into their parent
    result = json.loads(out.strip().splitlines()[-1])
    reaped = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # the larger of: reaped children's CPU (exact for the local executor), and the sum of every
    # descendant's own CPU as last sampled (Ray's workers and raylet; misses <= 0.2 s a process)
    result["cpu"] = max(reaped, sum(cpu_seen.values()))
    return result, peak / 2**20


def archive_for(work: Path, n: int, part: int = 0) -> Path:
    from lendcorpus_replay.archivegen import generate_archive

    out = work / f"archive-{n}-p{part}"
    if not (out / ".done").exists():
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        counts = generate_archive(out, n, part=part)
        (out / ".done").write_text(json.dumps(counts))
        print(f"  generated {n} pages (part {part}) in {time.perf_counter() - t:.1f}s: {counts}", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000, 20000])
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--modes", nargs="+", default=["bare", "records", "build"],
                    choices=["bare", "records", "build", "ray"])
    ap.add_argument("--incremental", type=int, default=0, help="pages added on top of each size's corpus")
    ap.add_argument("--incremental-only", action="store_true",
                    help="only add the --incremental pages to each size's corpus left in --work by an earlier run")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "lendcorpus-bench-build")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    for n in args.sizes:
        archive = archive_for(args.work, n)
        runs: dict[str, list[tuple[dict, float]]] = {}
        for _ in range(0 if args.incremental_only else args.repeat):
            plan = [("bare", None)] if "bare" in args.modes else []
            for mode in ("records", "ray", "build"):
                if mode in args.modes:
                    plan.extend((mode, j) for j in args.jobs)
            for mode, jobs in plan:
                db = args.work / f"bench-{n}.duckdb"
                db.unlink(missing_ok=True)
                if mode == "bare":
                    res = run_measured([BARE, str(archive), str(db)])
                    label = "bare"
                else:
                    res = run_measured([BUILD, str(archive), str(db), str(jobs), "1" if mode == "build" else "0",
                                        "ray" if mode == "ray" else "local"])
                    label = f"{mode} j{jobs}"
                runs.setdefault(label, []).append(res)
                r, rss = res
                print(f"  {n:>7} {label:<11} {r['records']:>7} records {r.get('documents', r['records']):>7} docs "
                      f"{r['seconds']:7.1f}s  {r['records'] / r['seconds']:7.0f} pages/s  "
                      f"{r.get('documents', r['records']) / r['seconds']:7.0f} docs/s  cpu {r['cpu']:7.1f}s "
                      f"({r['records'] / r['cpu']:6.0f} pages per cpu-s)  peak RSS {rss:6.0f} MiB"
                      + (f"  (Ray start-up {r['startup']:.1f}s apart)" if r.get("startup") else ""), flush=True)
        for label, rs in runs.items():
            secs = statistics.median(r["seconds"] for r, _ in rs)
            rec = rs[0][0]
            cpu = statistics.median(r["cpu"] for r, _ in rs)
            results.append({"pages": n, "run": label, "seconds": secs, "pages_per_s": rec["records"] / secs,
                            "docs_per_s": rec.get("documents", rec["records"]) / secs, "cpu": cpu,
                            "pages_per_cpu_s": rec["records"] / cpu, "peak_rss_mib": max(m for _, m in rs)})
        if args.incremental and ("build" in args.modes or args.incremental_only):
            extra = archive_for(args.work, args.incremental, part=1)
            db = args.work / f"bench-{n}.duckdb"  # the last full build's corpus
            r, rss = run_measured([BUILD, str(extra), str(db), str(max(args.jobs)), "1"])
            print(f"  {n:>7} +{args.incremental} pages incremental: {r['seconds']:.1f}s, peak RSS {rss:.0f} MiB; "
                  f"passes {r['passes']}", flush=True)
            results.append({"pages": n, "run": f"+{args.incremental} incremental", "seconds": r["seconds"],
                            "cpu": r["cpu"], "peak_rss_mib": rss})
    print("\nmedians (shared 2-core machine: compare ratios within one run)")
    print(f"{'pages':>7} {'run':<18} {'seconds':>8} {'pages/s':>8} {'docs/s':>8} {'cpu s':>8} "
          f"{'pages/cpu-s':>11} {'peak RSS MiB':>13}")
    for r in results:
        print(f"{r['pages']:>7} {r['run']:<18} {r['seconds']:8.1f} {r.get('pages_per_s', 0):8.0f} "
              f"{r.get('docs_per_s', 0):8.0f} {r['cpu']:8.1f} {r.get('pages_per_cpu_s', 0):11.0f} "
              f"{r['peak_rss_mib']:13.0f}")
    by = {(r["pages"], r["run"]): r for r in results}
    for n in args.sizes:
        bare = by.get((n, "bare"))
        for j in args.jobs:
            rec = by.get((n, f"records j{j}"))
            if bare and rec:
                print(f"{n:>7} per-record path j{j} / bare, per core (wall): "
                      f"{rec['pages_per_s'] / j / bare['pages_per_s']:.2f}; per cpu-second: "
                      f"{rec['pages_per_cpu_s'] / bare['pages_per_cpu_s']:.2f}")
        for j in args.jobs:
            loc, ray_ = by.get((n, f"records j{j}")), by.get((n, f"ray j{j}"))
            if loc and ray_:
                pages = loc["pages_per_s"] * loc["seconds"]
                print(f"{n:>7} Ray path j{j} vs local executor j{j}: wall {ray_['seconds'] / loc['seconds']:.2f}x, "
                      f"overhead {(ray_['seconds'] - loc['seconds']) / pages * 1e3:.2f} ms per record (wall), "
                      f"{(ray_['cpu'] - loc['cpu']) / pages * 1e3:.2f} ms CPU per record (tree, start-up included)")
        for mode in ("records", "build"):
            b1, b2 = by.get((n, f"{mode} j1")), by.get((n, f"{mode} j2"))
            if b1 and b2:
                print(f"{n:>7} {mode} --jobs 2 / --jobs 1: wall {b1['seconds'] / b2['seconds']:.2f}x; "
                      f"cpu-seconds j2/j1 {b2['cpu'] / b1['cpu']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
