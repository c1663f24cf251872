"""Release of N synthetic documents (default 1M): wall time and peak memory, scrubbing included.

Generates a corpus directly with SQL (no crawl): 60% forum posts, 30% articles, 10% complaints,
about 200 characters each, 5% carrying invented personal data (test phone numbers, e-mail,
QQ, an address) so the scrubber does real work. Then runs `lendcorpus release` in a child process
and reports its wall time and peak RSS (ru_maxrss of the child, scrubbing workers included).

    python benchmarks/bench_release.py [--docs 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHRASES = ["我在借呗借了一万二，逾期三个月了，", "催收每天打电话给我父母，", "说要上门找我，还威胁要起诉我，",
           "平台客服一直不回复，", "希望监管部门管一管暴力催收，", "我愿意协商分期还款，", "利息算下来超过了百分之三十六，",
           "网贷逾期以后一定要保留通话录音，", "不要借新还旧，越陷越深，", "分期乐和微粒贷都逾期了，"]
PII = ["联系我13800138000。", "邮箱 someone.test@example.com。", "QQ：12345678。", "家住幸福路88号3栋2单元501室。"]


def generate(db: Path, n: int) -> None:
    from lendcorpus.corpus import connect_write

    con = connect_write(db)
    phrases = "[" + ", ".join(f"'{p}'" for p in PHRASES) + "]"
    pii = "[" + ", ".join(f"'{p}'" for p in PII) + "]"
    con.execute("BEGIN TRANSACTION")
    con.execute(f"""
        CREATE TEMP TABLE g AS
        SELECT i,
               CASE WHEN i % 10 < 6 THEN 'post' WHEN i % 10 < 9 THEN 'article' ELSE 'complaint' END AS kind,
               (list_transform(range(12), k -> {phrases}[1 + ((i * 7 + k * 13 + k * k) % 10)])).list_aggregate('string_agg', '')
               || CASE WHEN i % 20 = 0 THEN {pii}[1 + (i // 20) % 4] ELSE '' END AS body
        FROM range({n}) r(i)""")
    con.execute("""
        INSERT INTO documents (doc_id, source, kind, url, title, text, text_clean, text_simplified, text_main,
                               text_main_simplified, published_at, fetched_at, extractor, archive_path, archive_offset,
                               lang, script, pinyin_removed, built_at)
        SELECT CASE kind WHEN 'post' THEN 'tieba:' WHEN 'article' THEN 'farm' || (i % 50) || ':' ELSE 'heimao:' END
                 || lpad(i::VARCHAR, 9, '0'),
               CASE kind WHEN 'post' THEN 'tieba' WHEN 'article' THEN 'farm' || (i % 50) ELSE 'heimao' END,
               kind, 'https://example.invalid/' || i, '标题' || i, body, body, body, body, body,
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i), TIMESTAMPTZ '2026-11-01 00:00:00+00',
               'bench', 'bench.warc.gz', i, 'zh', 'hans', 0, TIMESTAMPTZ '2026-11-02 00:00:00+00'
        FROM g""")
    con.execute("""INSERT INTO forum_threads (thread_id, platform, forum, title, author)
        SELECT 'tieba:t' || (i // 20), 'tieba', '网贷吧', '帖子' || (i // 20), '楼主' || (i // 20)
        FROM g WHERE kind = 'post' AND i % 20 = 0""")
    con.execute("""INSERT INTO forum_posts (post_id, thread_id, floor, author, posted_at, text, url)
        SELECT 'tieba:' || lpad(i::VARCHAR, 9, '0'), 'tieba:t' || (i // 20), (i % 20)::INTEGER, '网友' || (i % 997),
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i), body, 'https://example.invalid/' || i
        FROM g WHERE kind = 'post'""")
    con.execute("""INSERT INTO complaints (complaint_id, platform, native_id, title, company, status, created_at,
                                           narrative, author)
        SELECT 'heimao:' || lpad(i::VARCHAR, 9, '0'), 'heimao', i::VARCHAR, '投诉' || i, '某平台', 'resolved',
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i), body, '用户' || i
        FROM g WHERE kind = 'complaint'""")
    con.execute("""INSERT INTO document_tags (doc_id, tagger, text_column, relevance, relevant, platforms, practices)
        SELECT doc_id, 'bench', 'text_main_simplified', 0.9, TRUE, ['jiebei'], ['THREAT'] FROM documents""")
    con.execute("""INSERT INTO dedup_members (doc_id, cluster_id, is_canonical, reason)
        SELECT doc_id, doc_id, TRUE, 'unique' FROM documents""")
    con.execute("""INSERT INTO dedup_clusters (cluster_id, canonical_doc_id, members, sources, kind)
        SELECT doc_id, doc_id, 1, 1, 'single' FROM documents""")
    con.execute("INSERT INTO publishers (source, contact, rule, first_doc_id, docs) "
                "VALUES ('farm1', '13900001234 10001234@qq.com', 'contact:bench', 'farm1:000000001', 1)")
    con.execute("COMMIT")
    con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--keep", help="keep the work folder here instead of a temporary one")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_release_"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "corpus.duckdb"
    try:
        if not db.exists():
            t0 = time.perf_counter()
            generate(db, args.docs)
            print(f"generated {args.docs:,} synthetic documents in {time.perf_counter() - t0:.1f}s "
                  f"({db.stat().st_size / 1e6:.0f} MB)", flush=True)
        out = work / "releases" / "bench"
        shutil.rmtree(out.parent, ignore_errors=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "lendcorpus.cli", "release", "--db", str(db),
                               "--version", "bench", "--out", str(out)], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(proc.stderr.strip())
        print(proc.stdout.strip())
        if proc.returncode != 0:
            print(f"release failed with exit {proc.returncode}")
            return 1
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"release of {args.docs:,} documents: wall {wall:.1f} s, peak RSS {peak_kb / 1024:.0f} MiB "
              f"(largest single process), output {size / 1e6:.0f} MB")
        print(f"goal: under 300 s and 4096 MiB -> {'met' if wall < 300 and peak_kb / 1024 < 4096 else 'NOT met'}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
