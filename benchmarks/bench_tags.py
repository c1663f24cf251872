"""Tagger time against text length: the old practice matcher (quadratic) and the current one.

    python benchmarks/bench_tags.py [--sizes 10000,100000,400000,20000000] [--old-max 400000] [--repeats 3]

Texts are the labelled documents (tests/fixtures/tags) repeated to the size: "punctuated" as they
are, "unpunctuated" with every clause break replaced by a space (one clause as long as the page:
the shape that made the old matcher quadratic). The old matcher is the frozen copy in
tests/practices_reference.py; it is run only up to --old-max characters (it would take hours on
20M). Also times the whole tagging of a document (platforms + practices + relevance) as the tag
pass does it. CPU seconds of this process (time.process_time), medians of the repeats, one
process: the machine is shared, so wall time would also measure the neighbours.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import practices_reference  # noqa: E402
from tag_evaluation import heldout_documents, labelled_documents  # noqa: E402
from lendcorpus.pipelines.tag.platforms import PlatformMatcher  # noqa: E402
from lendcorpus.pipelines.tag.practices import PracticeTagger  # noqa: E402
from lendcorpus.pipelines.tag.relevance import relevance  # noqa: E402


def _median_seconds(fn, text: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn(text)
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,400000,20000000")
    ap.add_argument("--old-max", type=int, default=400_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    base = "\n".join(d.text for d in heldout_documents("all") + labelled_documents())
    shapes = {"punctuated": base, "unpunctuated": re.sub("[，,。！？!?；;：:\n]", " ", base)}
    new, old, plat = PracticeTagger(), practices_reference.PracticeTagger(), PlatformMatcher()

    def whole(text: str) -> None:
        p = {m.platform for m in plat.find(text)}
        c = {m.code for m in new.find(text)}
        relevance(text, len(p), len(c))

    print(f"lendcorpus tagger benchmark  {new.version}")
    print(f"python {platform.python_version()} on {platform.machine()}, 1 process, median of {args.repeats} "
          "(1 repeat above 1M chars)")
    print()
    head = f"{'text':<14}{'chars':>11}{'old practices':>15}{'new practices':>15}{'old/new':>9}{'new whole tagger':>18}{'new µs/kchar':>14}"
    print(head)
    print("-" * len(head))
    for shape, src in shapes.items():
        for n in sizes:
            text = (src * (n // len(src) + 1))[:n]
            reps = 1 if n > 1_000_000 else args.repeats
            t_new = _median_seconds(new.find, text, reps)
            t_whole = _median_seconds(whole, text, reps)
            if n <= args.old_max:
                t_old = _median_seconds(old.find, text, reps)
                old_s, ratio = f"{t_old:>12.3f} s", f"{t_old / t_new:>8.1f}x"
            else:
                old_s, ratio = f"{'not run':>14}", f"{'':>9}"
            print(f"{shape:<14}{n:>11,}{old_s}{t_new:>13.3f} s{ratio}{t_whole:>16.3f} s{t_new / n * 1e9:>14.1f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
