"""Where the per-record stage's CPU goes: cProfile (or plain CPU timing) of ``process_batch`` in-process.

    python benchmarks/profile_record_stage.py ARCHIVE_DIR [--top 40] [--no-profile]

Reads every record of the archive into batches (as the build does), runs the per-record stage
once over the first batch of each file to warm caches (OpenCC, pypinyin, site rules, lookup
tables), then over all batches with ``time.process_time`` around it (and cProfile unless
``--no-profile``), and splits the time by part: extraction, normalisation (``derive_fields``)
and the Arrow tables. cProfile inflates many small Python calls; the plain CPU numbers are the
ones to compare (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("archive", type=Path)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--sort", default="tottime")
    args = ap.parse_args()

    from lendcorpus.archive import warc_files
    from lendcorpus.pipelines import record_stage, textchain
    from lendcorpus.pipelines.build import read_batches

    batches = []
    for path in warc_files(args.archive):
        batches.extend(read_batches(path, path.name, 0, "bench"))
    records = sum(len(b.items) for b in batches)
    for b in batches:
        if b.first:
            record_stage.process_batch(b)  # warm-up

    # split the time: wrap derive_fields and the extractor with CPU clocks
    spent = {"derive_fields": 0.0, "extract": 0.0}
    orig_derive = textchain.derive_fields
    import lendcorpus.pipelines.extract as ex_mod
    orig_extract = ex_mod.extract_record

    def derive(text):
        t = time.process_time()
        try:
            return orig_derive(text)
        finally:
            spent["derive_fields"] += time.process_time() - t

    def extract(rec, rules):
        t = time.process_time()
        try:
            return orig_extract(rec, rules)
        finally:
            spent["extract"] += time.process_time() - t

    record_stage.derive_fields = derive
    ex_mod.extract_record = extract
    docs = 0
    t0 = time.process_time()
    for b in batches:
        docs += record_stage.process_batch(b).documents.num_rows
    total = time.process_time() - t0
    record_stage.derive_fields = orig_derive
    ex_mod.extract_record = orig_extract
    print(f"{records} records, {docs} documents: {total:.2f} CPU-s "
          f"({total / records * 1e3:.3f} ms per record)")
    for k, v in spent.items():
        print(f"  {k:<14} {v:6.2f} CPU-s  {v / total:5.1%}  ({v / max(docs, 1) * 1e3:.3f} ms per document)")
    rest = total - sum(spent.values())
    print(f"  {'rest':<14} {rest:6.2f} CPU-s  {rest / total:5.1%}  (Arrow tables, rows, isolation)")

    if not args.no_profile:
        prof = cProfile.Profile()
        prof.enable()
        for b in batches:
            record_stage.process_batch(b)
        prof.disable()
        pstats.Stats(prof, stream=sys.stdout).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
