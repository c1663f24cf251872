"""Make a large synthetic corpus to measure the analysis views and search at scale.

    python benchmarks/make_synthetic_corpus.py --docs 1000000 --db /tmp/synthetic.duckdb

Everything is generated inside DuckDB with SQL (no Python loop per document), so a million
documents take about a minute: 30 % complaints (with a `complaints` row naming a platform, a
status and a filing time over three years), 50 % farm/news articles (copied in pairs across
sites, so dedup clusters are real), 20 % forum posts. The text is invented from templates: an
opener naming a platform (skewed, a few platforms get most complaints), zero to two practice
sentences taken from the practice taxonomy's own examples, and neutral filler. The tag tables
(`document_tags`, `document_platforms`, `document_practices`), dedup tables and `search_docs`
tokens are written as the build would (the search module's SQL tokenizer), and the postings by
the search pass's own step, so `lendcorpus search`, `lendcorpus report` and the views run on it unchanged.
No real person, complaint or article is in it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

OPENERS = [
    "我在{p}借了一笔钱，", "去年通过{p}申请了借款，", "本人是{p}的用户，", "之前在{p}分期购物，",
    "我于上个月在{p}办理了贷款，", "朋友推荐我用{p}周转，",
]
PROBLEMS = [
    "因为失业逾期了三十多天，", "最近收入减少逾期两个月，", "生病住院导致还款逾期，", "逾期后一直想协商还款，",
    "按时还款却被说逾期，", "利息太高实在还不上，",
]
CLOSINGS = [
    "希望平台停止暴力催收。", "请求协商分期还款。", "要求平台减免不合理的费用。", "希望有关部门介入处理。",
    "请尽快给出解决方案。", "我愿意还本金，希望停止骚扰。",
]
ARTICLE_TITLES = [
    "{p}逾期了怎么办", "{p}逾期多久会上征信", "网贷逾期如何与{p}协商还款", "{p}催收电话打给家人合法吗",
    "关于{p}的常见问题解答", "{p}还款方式全解析",
]
ARTICLE_BODY = [
    "网贷逾期以后要主动联系平台，说明自己的实际困难，争取协商还款。",
    "逾期会产生罚息和违约金，时间越长影响越大，还可能影响个人征信记录。",
    "如果遇到暴力催收，可以保留录音和截图，向监管部门投诉。",
    "正规平台的催收必须遵守相关规定，不得骚扰与债务无关的人。",
    "借款前一定要看清合同条款，了解年化利率和各项费用。",
    "很多借款人因为收入不稳定而逾期，提前规划还款非常重要。",
    "协商还款时要态度诚恳，提出可行的分期方案。",
    "遇到冒充客服的诈骗电话要提高警惕，不要随意转账。",
]
POST_BODY = [
    "有没有人和我一样，{p}逾期了不知道怎么办。", "今天又接到{p}的催收电话，心里很慌。",
    "请问{p}可以协商延期吗？", "上岸第一天，终于还清了{p}。", "{p}的客服态度还可以，答应分期了。",
]
FILLER = [
    "我现在每天都很焦虑。", "家里还有老人和孩子要养。", "我也不是故意不还。", "真心希望能得到帮助。",
    "这件事已经影响到我的工作。", "",
]
COMPLAINT_SOURCES = ["heimao", "jutousu"]
ARTICLE_SOURCES = ["jiedai_baike", "wangdai_zhishi", "yuqi_bangbang", "daikuan_wenda", "jinrong_ribao",
                   "caixun_shibao"]
STATUSES = ["resolved", "replied", "closed", "in_progress", "submitted", "assigned"]
def _pick(list_sql: str, salt: str, seed: str = "seed") -> str:
    """SQL choosing one element of a list parameter by a hash of the document's seed."""
    return f"list_extract({list_sql}, (hash({seed}, '{salt}') % len({list_sql}))::INTEGER + 1)"


def make(db: Path, docs: int, *, index: bool = True, threads: int | None = None) -> dict[str, float]:
    """Write ``docs`` synthetic documents into a new corpus at ``db``; returns timings in seconds."""
    from lendcorpus.corpus import connect_write
    from lendcorpus.pipelines.search_index import SearchIndexPass, add_search_docs, post_pending, tokens_sql
    from lendcorpus.pipelines.tag.lexicon import load

    if db.exists():
        raise SystemExit(f"{db} exists: give a new path")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    con = connect_write(db)
    if threads:
        con.execute(f"SET threads = {threads}")
    plats = load("platforms")[0]["platform"]
    practices = load("practices")[0]["practice"]
    con.executemany("INSERT INTO platforms VALUES (?, ?, ?, ?)",
                    [[p["id"], p["name"], list(p.get("aliases", [])), p.get("parent")] for p in plats])
    params = {
        "pids": [p["id"] for p in plats], "pnames": [p["name"] for p in plats],
        "codes": [p["code"] for p in practices], "examples": [list(p["examples"]) for p in practices],
        "openers": OPENERS, "problems": PROBLEMS, "closings": CLOSINGS, "titles": ARTICLE_TITLES,
        "body": ARTICLE_BODY, "posts": POST_BODY, "filler": FILLER, "csrc": COMPLAINT_SOURCES,
        "asrc": ARTICLE_SOURCES, "statuses": STATUSES, "n": docs,
    }
    # One row per document with every random choice; articles come in pairs (same seed, two sites).
    con.execute("""
        CREATE TEMP TABLE g AS
        WITH base AS (
            SELECT i, CASE WHEN i % 10 < 3 THEN 'complaint' WHEN i % 10 < 8 THEN 'article' ELSE 'post' END AS kind
            FROM range($n) t(i)
        ), seeded AS (
            SELECT i, kind,
                   CASE WHEN kind = 'article' THEN i - ((i % 10) - 3) % 2 ELSE i END AS seed
            FROM base
        )
        SELECT i, kind, seed, i = seed AS canonical,
               floor(len($pids) * pow((hash(seed, 'p') % 1000003) / 1000003.0, 2.2))::INTEGER + 1 AS p,
               CASE WHEN hash(seed, 'a') % 10 < CASE kind WHEN 'complaint' THEN 7 WHEN 'article' THEN 3 ELSE 2 END
                    THEN (hash(seed, 'a1') % len($codes))::INTEGER + 1 END AS pr1,
               CASE WHEN hash(seed, 'b') % 10 < CASE kind WHEN 'complaint' THEN 3 ELSE 1 END
                    THEN (hash(seed, 'b1') % len($codes))::INTEGER + 1 END AS pr2,
               TIMESTAMPTZ '2022-01-01 00:00:00+08' + to_seconds((hash(seed, 't') % (3 * 365 * 86400))::BIGINT) AS ts
        FROM seeded
    """, {k: params[k] for k in ("n", "pids", "codes")})
    con.execute(f"""
        CREATE TEMP TABLE gt AS
        SELECT g.*, list_extract($pids, p) AS pid, list_extract($pnames, p) AS pname,
               CASE WHEN pr1 IS NOT NULL THEN list_extract($codes, pr1) END AS code1,
               CASE WHEN pr2 IS NOT NULL AND pr2 <> coalesce(pr1, 0) THEN list_extract($codes, pr2) END AS code2,
               CASE WHEN pr1 IS NOT NULL THEN {_pick('list_extract($examples, pr1)', 'e1')} ELSE '' END AS s1,
               CASE WHEN pr2 IS NOT NULL AND pr2 <> coalesce(pr1, 0)
                    THEN {_pick('list_extract($examples, pr2)', 'e2')} ELSE '' END AS s2,
               CASE kind
                 WHEN 'complaint' THEN replace({_pick('$titles', 'ti')}, '{{p}}', list_extract($pnames, p)) || '，要求停止催收'
                 WHEN 'article' THEN replace({_pick('$titles', 'ta')}, '{{p}}', list_extract($pnames, p))
                 ELSE replace({_pick('$posts', 'tp')}, '{{p}}', list_extract($pnames, p)) END AS title,
               CASE kind
                 WHEN 'complaint' THEN replace({_pick('$openers', 'o')}, '{{p}}', list_extract($pnames, p))
                      || {_pick('$problems', 'pb')} || s1 || s2 || {_pick('$filler', 'f')} || {_pick('$closings', 'c')}
                 WHEN 'article' THEN replace({_pick('$titles', 'ta')}, '{{p}}', list_extract($pnames, p)) || '？'
                      || {_pick('$body', 'b1')} || s1 || {_pick('$body', 'b2')} || s2 || {_pick('$body', 'b3')}
                 ELSE replace({_pick('$posts', 'tp')}, '{{p}}', list_extract($pnames, p)) || s1 || {_pick('$filler', 'f')}
               END AS text,
               CASE kind WHEN 'complaint' THEN {_pick('$csrc', 's', 'i')}
                         WHEN 'article' THEN list_extract($asrc, ((hash(seed, 's') % len($asrc) + i - seed) % len($asrc))::INTEGER + 1)
                         ELSE 'tieba' END AS source,
               {_pick('$statuses', 'st')} AS status
        FROM g
    """, {k: params[k] for k in ("pids", "pnames", "codes", "examples", "titles", "openers", "problems", "filler",
                                 "closings", "body", "posts", "csrc", "asrc", "statuses")})
    con.execute("ALTER TABLE gt ADD COLUMN doc_id VARCHAR")
    con.execute("UPDATE gt SET doc_id = source || ':syn' || i")
    timings["generate"] = time.perf_counter() - t0

    t = time.perf_counter()
    con.execute("""
        INSERT INTO documents (doc_id, source, kind, url, title, text, published_at, fetched_at, extractor,
                               archive_path, archive_offset, text_clean, text_simplified, lang, script,
                               text_main, text_main_simplified)
        SELECT doc_id, source, kind, 'https://synthetic.invalid/' || doc_id, title, text,
               CASE WHEN kind = 'article' THEN ts END, ts, 'synthetic@1', 'synthetic', i, text, text, 'zh', 'hans',
               text, text
        FROM gt""")
    con.execute("""
        INSERT INTO complaints (complaint_id, platform, native_id, url, title, company, status, status_raw,
                                created_at, narrative, fetched_at)
        SELECT doc_id, source, 'syn' || i, 'https://synthetic.invalid/' || doc_id, title, pname, status, status,
               ts, text, ts
        FROM gt WHERE kind = 'complaint'""")
    con.execute("""
        INSERT INTO dedup_members
        SELECT doc_id, 'syn:c' || seed, canonical, CASE WHEN canonical THEN 'canonical' ELSE 'exact' END,
               CASE WHEN NOT canonical THEN first_value(doc_id) OVER (PARTITION BY seed ORDER BY i) END,
               CASE WHEN NOT canonical THEN 1.0 END
        FROM gt""")
    con.execute("""
        INSERT INTO dedup_clusters
        SELECT 'syn:c' || seed, any_value(doc_id) FILTER (WHERE canonical), count(*), count(DISTINCT source),
               min(ts), CASE WHEN count(*) > 1 THEN 'exact' ELSE 'single' END
        FROM gt GROUP BY seed""")
    timings["documents"] = time.perf_counter() - t

    t = time.perf_counter()
    con.execute("""
        INSERT INTO document_tags
        SELECT doc_id, 'synthetic@1', 'text_main_simplified', rel, rel >= 0.5, '{}', [pid],
               list_filter([code1, code2], x -> x IS NOT NULL), now()
        FROM (SELECT *, CASE kind WHEN 'complaint' THEN 0.9 WHEN 'article' THEN 0.7 ELSE 0.45 END
                          + CASE WHEN code1 IS NOT NULL THEN 0.05 ELSE 0 END AS rel FROM gt)""")
    con.execute("""
        INSERT INTO document_platforms
        SELECT doc_id, pid, pname, instr(text, pname) - 1, instr(text, pname) - 1 + length(pname), false
        FROM gt WHERE instr(text, pname) > 0""")
    con.execute("""
        INSERT INTO document_practices
        SELECT doc_id, code, cue, instr(text, cue) - 1, instr(text, cue) - 1 + length(cue)
        FROM (SELECT doc_id, text, code1 AS code, s1 AS cue FROM gt WHERE code1 IS NOT NULL
              UNION ALL SELECT doc_id, text, code2, s2 FROM gt WHERE code2 IS NOT NULL)""")
    # what the tagging pass writes for complaints: the platform their target names
    con.execute("""
        INSERT INTO complaint_platforms
        SELECT doc_id, pid, 'target' FROM gt WHERE kind = 'complaint'""")
    timings["tags"] = time.perf_counter() - t

    t = time.perf_counter()
    con.execute(f"""CREATE TEMP TABLE st AS SELECT doc_id, array_to_string(list_concat({tokens_sql('title')},
                    {tokens_sql('text')}), ' ') AS tokens FROM gt""")
    add_search_docs(con, "st", SearchIndexPass.name)  # what the search pass's tokenizer writes
    con.execute("DROP TABLE st")
    timings["tokens"] = time.perf_counter() - t
    con.execute("DROP TABLE gt")
    con.execute("DROP TABLE g")
    con.execute("CHECKPOINT")
    if index:
        t = time.perf_counter()
        post_pending(con)  # the search pass's own postings step
        timings["search_index"] = time.perf_counter() - t
        con.execute("CHECKPOINT")
    con.close()
    timings["total"] = time.perf_counter() - t0
    return timings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, required=True, help="new corpus file to write")
    ap.add_argument("--no-index", action="store_true", help="skip writing the search postings")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    timings = make(args.db, args.docs, index=not args.no_index, threads=args.threads)
    size = args.db.stat().st_size / 2**20
    print(f"{args.docs:,} documents -> {args.db} ({size:,.0f} MiB)")
    print("  " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
