"""What the build's progress costs: the same archive built without a progress board, with one
(log lines), and with one whose passes also count what they will stream (the bars' totals: one
extra count query per stream). Alternating runs, medians; the first is the baseline.

    python benchmarks/bench_progress.py --pages 3000 --repeats 3
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from lendcorpus_replay.archivegen import generate_archive
from lendcorpus.pipelines.build import Build
from lendcorpus.progress import Progress

MODES = ("no board", "board", "board + pass totals")


def build_once(archive: Path, db: Path, mode: str, jobs: int) -> tuple[float, float]:
    board = Progress(mode="log", stream=io.StringIO(), interval=0.0) if mode != "no board" else None
    t0 = time.perf_counter()
    stats = Build(db, root=archive, jobs=jobs, board=board, pass_totals=(mode == "board + pass totals")).run()
    wall = time.perf_counter() - t0
    if board is not None:
        board.close()
    return wall, sum(stats.pass_seconds.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=3000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        generate_archive(archive, args.pages)
        runs: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
        for i in range(args.repeats):
            for mode in MODES:
                db = Path(tmp) / f"{i}-{mode.replace(' ', '_').replace('+', '')}.duckdb"
                runs[mode].append(build_once(archive, db, mode, args.jobs))
                print(f"run {i + 1} {mode:22} wall {runs[mode][-1][0]:6.2f} s, passes {runs[mode][-1][1]:6.2f} s",
                      flush=True)
        base_wall = statistics.median(w for w, _ in runs[MODES[0]])
        base_pass = statistics.median(p for _, p in runs[MODES[0]])
        print(f"\n{args.pages} pages, --jobs {args.jobs}, medians of {args.repeats}")
        for mode in MODES:
            wall = statistics.median(w for w, _ in runs[mode])
            passes = statistics.median(p for _, p in runs[mode])
            print(f"{mode:22} wall {wall:6.2f} s ({wall / base_wall:.2f}x)  passes {passes:6.2f} s "
                  f"({passes / base_pass:.2f}x)")


if __name__ == "__main__":
    main()
