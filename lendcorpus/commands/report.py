"""lendcorpus report --out DIR: an HTML report with charts (one self-contained file) plus a PNG per chart."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="folder for report.html and one PNG per chart (created if missing)")
    p.add_argument("--font", default="auto",
                   help="chart font family; 'auto' finds a CJK font, 'none' draws pinyin/id labels (default: auto)")


def run(args: argparse.Namespace) -> int:
    from lendcorpus.analysis.report import write_report
    from lendcorpus.corpus import connect_read

    con = connect_read(args.db)  # CorpusError becomes a clear message in cli.main
    try:
        result = write_report(con, args.out, db_label=str(args.db), font=args.font)
    finally:
        con.close()
    print(f"report: {result.html_path}")
    for p in result.png_paths:
        print(f"chart:  {p}")
    print(f"font:   {result.font or 'none (labels in pinyin/ids)'}")
    for n in result.notices:
        print(f"note:   {n}", file=sys.stderr)
    return 0
