"""Near-duplicate evaluation: pairwise precision/recall on the committed labelled set.

    python benchmarks/eval_dedup.py              # chosen parameters vs datasketch default on raw text
    python benchmarks/eval_dedup.py --sweep      # the parameter measurement table of docs/dedup.md
    python benchmarks/eval_dedup.py --make-set   # regenerate tests/fixtures/dedup/labelled.jsonl

The set (tests/fixtures/dedup/labelled.jsonl) is made from the farm fixture's article sources
with the fixture generator's own variant functions (spin, script conversion, pinyin annotation,
re-wrapping, recombination), wrapped in three invented sites' templates; every record carries its
``base`` (same base = copies of one article = positive pair). See tests/fixtures/dedup/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SET_PATH = REPO / "tests" / "fixtures" / "dedup" / "labelled.jsonl"

# Invented site templates (header lines, footer lines); {c} = the site's invented contact.
SITES = {
    "www.jiedai-baike.example": None,  # the fixture farm's own template (from the Article)
    "www.daikuan-zhinan.example": (["本文導讀", "閱讀提示：本文約需5分鐘"],
                                   ["免責聲明：本站內容來源於網絡，僅供參考，不構成任何建議。",
                                    "內容侵權、刪帖舉報聯繫方式:13900005678 10005678@qq.com", "投訴"]),
    "bbs.yuqi-huzhu.example": ([], ["轉載請註明出處：逾期互助論壇", "點擊關注，獲取更多逾期應對方法"]),
}
VARIANTS_PER_BASE = 16


def _blocks(bs) -> list[str]:
    return [t for k, t in bs if k != "hr"] if bs else []


def _render(a, site: str) -> str:
    """The text the extractor would give for the article's content area on ``site``."""
    from lendcorpus_replay.farmgen import _template_line

    tpl = SITES[site]
    if tpl is None:
        lines = [a.comments, a.intro_head, *_blocks(a.intro), *_blocks(a.body), a.summary_head,
                 *_blocks(a.summary), *_blocks(a.tail), a.footer, a.footer_tail]
    else:
        head, foot = tpl
        conv = (lambda s: _template_line(s, a.script))
        lines = [*map(conv, head), *_blocks(a.intro), *_blocks(a.body), *_blocks(a.summary),
                 *_blocks(a.tail), *map(conv, foot)]
    return "\n".join(x for x in lines if x)


def make_set(seed: int = 4) -> list[dict]:
    """Variants of every base article on three sites; deterministic from ``seed``."""
    from lendcorpus_replay import farmgen as fg

    arts = fg._load_articles(fg.CORPUS_DIR, None)
    keys = sorted(arts)
    sites = list(SITES)
    out = []
    for key in keys:
        for v in range(VARIANTS_PER_BASE):
            rng = random.Random(f"dedup-set:{seed}:{key}:{v}")
            base = arts[key]
            if v == 0:
                transforms, donor = (), None
            else:
                transforms = []
                if rng.random() < 0.8:
                    transforms.append("spin")
                if rng.random() < 0.4:
                    transforms.append("simplified" if base.script == "hant" else "traditional")
                if rng.random() < 0.3:
                    transforms.append("rewrap")
                if rng.random() < 0.35:
                    transforms.append("pinyin")
                if base.has_pinyin and rng.random() < 0.3:
                    transforms.append("unpinyin")
                donor = None
                if rng.random() < 0.2:
                    donor = arts[rng.choice([k for k in keys if k != key])]
                    transforms.append("recombine")
                transforms = tuple(transforms)
            art, kinds = fg.make_variant(base, transforms, rng, donor)
            site = sites[v % len(sites)] if v else sites[0]
            rec = {"id": f"{key}-{v:02d}", "url": f"https://{site}/a/{key}-{v:02d}.html",
                   "text": _render(art, site), "base": key, "kinds": kinds or ["original"]}
            if donor is not None:
                rec["recombined_from"] = donor.key
            out.append(rec)
    rng = random.Random(f"dedup-set:{seed}:order")
    rng.shuffle(out)
    return out


def load_set(path: Path = SET_PATH) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pairwise(labels: dict[str, str], clusters: dict[str, str]) -> dict[str, float]:
    """Pairwise precision/recall of predicted clusters against base labels."""
    ids = sorted(labels)
    tp = fp = fn = 0
    same_topic_merged = 0
    for a, b in itertools.combinations(ids, 2):
        truth = labels[a] == labels[b]
        pred = clusters[a] == clusters[b]
        tp += truth and pred
        fp += pred and not truth
        fn += truth and not pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp, "fp": fp, "fn": fn}


def merged_bases(labels: dict[str, str], clusters: dict[str, str]) -> set[tuple[str, str]]:
    """Pairs of different bases that share a predicted cluster."""
    by_cluster = defaultdict(set)
    for i, c in clusters.items():
        by_cluster[c].add(labels[i])
    return {tuple(sorted(p)) for bases in by_cluster.values() if len(bases) > 1
            for p in itertools.combinations(sorted(bases), 2)}


def datasketch_baseline(records: list[dict], ngram: int = 5) -> dict[str, str]:
    """datasketch at its defaults (MinHash num_perm=128, MinHashLSH threshold=0.5) on the raw
    text's character n-grams; clusters = connected components of LSH hits."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH()
    parent = {r["id"]: r["id"] for r in records}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in records:
        t = r["text"]
        m = MinHash()
        m.update_batch([t[i : i + ngram].encode("utf-8") for i in range(max(1, len(t) - ngram + 1))])
        for other in lsh.query(m):
            parent[find(other)] = find(r["id"])
        lsh.insert(r["id"], m)
    return {i: find(i) for i in parent}


def evaluate(records: list[dict], params=None) -> dict:
    from lendcorpus.pipelines.dedup.minhash import DEFAULT_PARAMS
    from lendcorpus.pipelines.dedup.standalone import dedup_records

    params = params or DEFAULT_PARAMS
    labels = {r["id"]: r["base"] for r in records}
    _, members = dedup_records(((r["id"], r["text"], r.get("url")) for r in records), params)
    clusters = {i: m.cluster_id for i, m in members.items()}
    return {"scores": pairwise(labels, clusters), "merged": merged_bases(labels, clusters), "clusters": clusters}


def sweep(records: list[dict]) -> list[dict]:
    """Measure the parameter grid on prepared (normalised, stripped) texts."""
    from lendcorpus.pipelines.dedup.minhash import MinHashParams
    from lendcorpus.pipelines.dedup.standalone import cluster_prepared, normalise, strip_sites

    labels = {r["id"]: r["base"] for r in records}
    docs = normalise((r["id"], r["text"], r.get("url")) for r in records)
    strip_sites(docs)
    rows = []
    grid = []
    for n in (3, 4, 5, 6, 8):
        for k, b, r in ((64, 16, 4), (128, 32, 4), (128, 16, 8), (128, 64, 2), (256, 64, 4)):
            for t in (0.3, 0.4, 0.5, 0.6, 0.7):
                grid.append(MinHashParams(ngram=n, num_perm=k, bands=b, rows=r, threshold=t))
    from lendcorpus.pipelines.dedup import Deduper

    n_pos = sum(1 for a, b in itertools.combinations(sorted(labels), 2) if labels[a] == labels[b])
    for p in grid:
        members = cluster_prepared(docs, p)
        clusters = {i: m.cluster_id for i, m in members.items()}
        s = pairwise(labels, clusters)
        # Without transitivity: which pairs does the graph link directly (edges are between
        # exact texts; copies with the same text count as found)?
        dd = Deduper(p)
        dd.add([(d.id, d.main_simplified) for d in docs])
        hashes = {d.doc_id: d.main_hash for d in dd.docs}
        label_of = {d.main_hash: labels[d.doc_id] for d in dd.docs}
        direct = {tuple(sorted((a, b))) for a, b, _ in dd.near_edges()}
        found = sum(1 for a, b in itertools.combinations(sorted(labels), 2) if labels[a] == labels[b] and (
            hashes[a] == hashes[b] or tuple(sorted((hashes[a], hashes[b]))) in direct))
        false_edges = sum(1 for a, b in direct if label_of[a] != label_of[b])
        rows.append({"ngram": p.ngram, "num_perm": p.num_perm, "bands": p.bands, "rows": p.rows,
                     "threshold": p.threshold, **s, "merged": len(merged_bases(labels, clusters)),
                     "direct_recall": found / n_pos, "false_edges": false_edges})
    return rows


PLATFORM = {"seed000": "新橙分期", "xincheng_qisu": "新橙分期", "xincheng_xieshang": "新橙分期",
            "xincheng_tongxunlu": "新橙分期", "seed002": "信用飞", "xinyongfei_benjin": "信用飞"}


def separation(records: list[dict]) -> list[dict]:
    """Exact character n-gram Jaccard of every pair of prepared texts, per n: how far apart the
    least similar copies and the most similar different articles are (the margin a threshold
    has to fall into)."""
    import numpy as np

    from lendcorpus.pipelines.dedup.minhash import shingle_text
    from lendcorpus.pipelines.dedup.standalone import normalise, strip_sites

    docs = normalise((r["id"], r["text"], r.get("url")) for r in records)
    strip_sites(docs)
    base = {r["id"]: r["base"] for r in records}
    out = []
    for n in (3, 4, 5, 6, 8):
        sets = {d.id: {t[i : i + n] for t in [shingle_text(d.main_simplified)] for i in range(len(t) - n + 1)}
                for d in docs}
        pos, neg, plat = [], [], []
        for a, b in itertools.combinations(sorted(sets), 2):
            A, B = sets[a], sets[b]
            j = len(A & B) / len(A | B) if A | B else 0.0
            if base[a] == base[b]:
                pos.append(j)
            else:
                neg.append(j)
                if PLATFORM.get(base[a]) and PLATFORM.get(base[a]) == PLATFORM.get(base[b]):
                    plat.append(j)
        pos_a = np.array(pos)
        out.append({"ngram": n, "pos_min": pos_a.min(), "pos_p1": np.percentile(pos_a, 1),
                    "pos_median": np.median(pos_a), "neg_max": max(neg), "plat_max": max(plat)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--make-set", action="store_true", help="regenerate the committed labelled set")
    ap.add_argument("--sweep", action="store_true", help="print the parameter measurement table")
    ap.add_argument("--set", type=Path, default=SET_PATH)
    args = ap.parse_args(argv)
    if args.make_set:
        recs = make_set()
        args.set.parent.mkdir(parents=True, exist_ok=True)
        with args.set.open("w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"wrote {len(recs)} records to {args.set}", file=sys.stderr)
        return 0
    records = load_set(args.set)
    n_pos = sum(1 for a, b in itertools.combinations(records, 2) if a["base"] == b["base"])
    print(f"labelled set: {len(records)} documents, {len({r['base'] for r in records})} articles, "
          f"{n_pos} positive pairs of {len(records) * (len(records) - 1) // 2}")
    if args.sweep:
        print("| n-gram | copies: min J | copies: 1st percentile | copies: median | different articles: max J | same platform: max J |")
        print("|---|---|---|---|---|---|")
        for r in separation(records):
            print(f"| {r['ngram']} | {r['pos_min']:.3f} | {r['pos_p1']:.3f} | {r['pos_median']:.3f} | "
                  f"{r['neg_max']:.3f} | {r['plat_max']:.3f} |")
        print()
        rows = sweep(records)
        print("| n-gram | perms | bands×rows | threshold | precision | recall | pairs found directly | "
              "false edges | merged article pairs |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['ngram']} | {r['num_perm']} | {r['bands']}×{r['rows']} | {r['threshold']} | "
                  f"{r['precision']:.4f} | {r['recall']:.4f} | {r['direct_recall']:.4f} | {r['false_edges']} | "
                  f"{r['merged']} |")
        return 0
    labels = {r["id"]: r["base"] for r in records}
    t0 = time.perf_counter()
    base = datasketch_baseline(records)
    t_base = time.perf_counter() - t0
    bs = pairwise(labels, base)
    t0 = time.perf_counter()
    ours = evaluate(records)
    t_ours = time.perf_counter() - t0
    s = ours["scores"]
    from lendcorpus.pipelines.dedup.minhash import DEFAULT_PARAMS

    print("| method | precision | recall | F1 | false pairs | missed pairs | merged article pairs | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| datasketch default (128 perms, LSH t=0.5) on raw text, char 5-grams | {bs['precision']:.4f} | "
          f"{bs['recall']:.4f} | {bs['f1']:.4f} | {bs['fp']} | {bs['fn']} | {len(merged_bases(labels, base))} | {t_base:.2f} |")
    from lendcorpus.pipelines.dedup.standalone import normalise, strip_sites

    docs = normalise((r["id"], r["text"], r.get("url")) for r in records)
    strip_sites(docs)
    prepared = [{"id": d.id, "text": d.main_simplified} for d in docs]
    ps = pairwise(labels, datasketch_baseline(prepared))
    print(f"| datasketch default on our prepared text (Simplified, pinyin and boilerplate removed) | "
          f"{ps['precision']:.4f} | {ps['recall']:.4f} | {ps['f1']:.4f} | {ps['fp']} | {ps['fn']} | "
          f"{len(merged_bases(labels, datasketch_baseline(prepared)))} | |")
    print(f"| lendcorpus ({DEFAULT_PARAMS.signer}) after normalise + boilerplate | {s['precision']:.4f} | "
          f"{s['recall']:.4f} | {s['f1']:.4f} | {s['fp']} | {s['fn']} | {len(ours['merged'])} | {t_ours:.2f} |")
    if ours["merged"]:
        print("merged articles:", sorted(ours["merged"]))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
