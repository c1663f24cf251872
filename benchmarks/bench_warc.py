"""WARC reading: lendcorpus's reader against bare FastWARC, bare warcio and our careful path.

Writes a real-size archive (one 100 MiB file, the crawl's rotation size, of the replay sites'
pages as the crawl archives them) and its uncompressed copy, then reads each with every reader
in alternation, several rounds, and prints median records/s and MB/s (file bytes). Every reader
must return the same records. Run: ``python benchmarks/bench_warc.py [--mib 100] [--rounds 3]``.

- ``lendcorpus``: ``iter_archive`` as the build uses it (FastWARC fast path, every record checked:
  next member, Content-Length, block and payload digests; last member read carefully).
- ``careful``: ``iter_archive(fast=False)``, our own member-by-member reader only.
- ``fastwarc`` / ``warcio``: the libraries' iterators, reading bodies, no checks of ours.
- ``--old REF``: also the hand-written reader of git revision REF (e.g. ``main``), for history.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lendcorpus.archive import ArchivedRecord, Exchange, RotatingWarcWriter, iter_archive
from lendcorpus_replay import SITES_DIR

REPO = Path(__file__).resolve().parent.parent
SITES = SITES_DIR
TYPES = ("response", "metadata", "resource")


def make_archive(directory: Path, mib: int) -> Path:
    pages = [p.read_bytes() for p in sorted(SITES.rglob("*.html"))]
    w = RotatingWarcWriter(directory, "bench", max_bytes=(mib + 1) * 2**20)
    i = 0
    while w.bytes_written < mib * 2**20:
        body = pages[i % len(pages)] + f"<!-- copy {i} -->".encode()
        status = None if i % 97 == 0 else 200
        w.write(Exchange(url=f"https://bench.example/p/{i}.html", method="GET", request_headers=[("User-Agent", "b")],
                         request_body=b"", status=status, response_headers=[("Content-Type", "text/html; charset=utf-8")],
                         body=body, fetched_at=1_700_000_000.0 + i, error="timeout" if status is None else ""))
        i += 1
    path = w.current_path
    w.close()
    return path


def read_lendcorpus(path: Path) -> list[tuple[str, int]]:
    return [(r.url, len(r.body)) for r in iter_archive(path) if isinstance(r, ArchivedRecord)]


def read_careful(path: Path) -> list[tuple[str, int]]:
    return [(r.url, len(r.body)) for r in iter_archive(path, fast=False) if isinstance(r, ArchivedRecord)]


def read_fastwarc(path: Path) -> list[tuple[str, int]]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    out = []
    with open(path, "rb") as fh:
        for r in ArchiveIterator(fh, record_types=WarcRecordType.response | WarcRecordType.metadata
                                 | WarcRecordType.resource, parse_http=True):
            out.append((r.headers.get("WARC-Target-URI"), len(r.reader.read())))
    return out


def read_warcio(path: Path) -> list[tuple[str, int]]:
    from warcio.archiveiterator import ArchiveIterator

    out = []
    with open(path, "rb") as fh:
        for r in ArchiveIterator(fh):
            if r.rec_type in TYPES:
                out.append((r.rec_headers.get_header("WARC-Target-URI"), len(r.content_stream().read())))
    return out


def old_reader(ref: str):
    src = subprocess.run(["git", "show", f"{ref}:lendcorpus/archive.py"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    tmp = Path(tempfile.mkdtemp()) / "old_archive.py"
    tmp.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_archive", tmp)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["old_archive"] = mod
    spec.loader.exec_module(mod)

    def read(path: Path) -> list[tuple[str, int]]:
        return [(r.url, len(r.body)) for r in mod.iter_archive(path) if isinstance(r, mod.ArchivedRecord)]

    return read


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--old", default=None, help="git revision whose hand-written reader to time as well")
    args = ap.parse_args()
    readers = {"lendcorpus": read_lendcorpus, "careful": read_careful, "fastwarc": read_fastwarc,
               "warcio": read_warcio}
    if args.old:
        readers[f"old ({args.old})"] = old_reader(args.old)
    with tempfile.TemporaryDirectory() as tmp:
        gz = make_archive(Path(tmp), args.mib)
        plain = Path(tmp) / "bench.warc"
        with gzip.open(gz) as src, open(plain, "wb") as dst:  # gzip.decompress is quadratic in members
            shutil.copyfileobj(src, dst, 1 << 20)
        for label, path in (("member-per-record .warc.gz", gz), ("uncompressed .warc", plain)):
            size = path.stat().st_size
            times: dict[str, list[float]] = {name: [] for name in readers}
            results: dict[str, list] = {}
            for _ in range(args.rounds):
                for name, fn in readers.items():
                    started = time.perf_counter()
                    results[name] = fn(path)
                    times[name].append(time.perf_counter() - started)
            n = len(results["lendcorpus"])
            for name, got in results.items():
                if got != results["lendcorpus"]:
                    print(f"  !! {name} returned different records ({len(got)} vs {n})")
            print(f"{label}: {size / 2**20:.1f} MiB, {n} records, median of {args.rounds} rounds")
            base = statistics.median(times["lendcorpus"])
            for name, ts in times.items():
                med = statistics.median(ts)
                print(f"  {name:<16} {n / med:>9,.0f} records/s {size / 2**20 / med:>7.1f} MB/s"
                      f"   ({base / med:.2f}x lendcorpus)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
