"""Evaluate the normalisation chain against shared/eval (third-party data) and the seeds.

    python benchmarks/eval_normalize.py [--shared PATH] [--no-langdetect]

Prints one table: dataset, measure, ours, langdetect alone (where it applies), goal, pass.
The data lives beside the repository (``../shared``) and is read in place, never copied.
The functions are also used by tests/normalize/test_eval_goals.py so the goals are asserted on
exactly what this script reports.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from lendcorpus.pipelines.normalize import decode_bytes, decode_html, normalize_text  # noqa: E402
from lendcorpus.pipelines.normalize import mojibake, script  # noqa: E402
from lendcorpus.pipelines.normalize.language import detect_language, langdetect_only  # noqa: E402


def shared_dir(arg: str | None = None) -> Path:
    """``--shared``, else $LENDCORPUS_SHARED, else the folder beside the repository."""
    p = Path(arg or os.environ.get("LENDCORPUS_SHARED") or (REPO.parent / "shared"))
    if not (p / "eval").is_dir() or not (p / "seeds").is_dir():
        raise FileNotFoundError(f"shared evaluation data not found at {p} (expected eval/ and seeds/)")
    return p


def _han(s: str) -> Counter:
    return Counter(ch for ch in s if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")


def han_lost(original: str, norm) -> int:
    """Han characters of ``original`` missing from the result and not accounted for by a repair."""
    expected = _han(original)
    for r in norm.repairs:
        expected.subtract(_han(r["before"]))
        expected.update(_han(r["after"]))
    got = _han(norm.text)
    return sum(max(0, n - got.get(ch, 0)) for ch, n in expected.items())


# ------------------------------------------------------------------ mojibake-in-the-wild-zh


def eval_mojibake(shared: Path) -> dict:
    base = shared / "eval" / "mojibake-in-the-wild-zh"
    rows = [json.loads(line) for line in open(base / "lines.jsonl", encoding="utf-8")]
    step = mojibake.STEP
    rev = [r for r in rows if r["lossless"]]
    exact = sum(step.apply(r["mojibake"]).text == r["roundtrip_gb18030_to_utf8"] for r in rev)
    verified = [r for r in rev if r["verified_in_clean_version"]]
    verified_exact = sum(step.apply(r["mojibake"]).text == r["roundtrip_gb18030_to_utf8"] for r in verified)
    lossy = [r for r in rows if not r["lossless"]]
    full = part = untouched = fffd = 0
    for r in lossy:
        res = step.apply(r["mojibake"])
        if not res.repairs:
            untouched += 1
        elif mojibake._KEY_PAIR_RE.search(res.text):
            part += 1
        else:
            full += 1
        fffd += res.text.count("\ufffd")
    cases = [json.loads(line) for line in open(base / "issue_cases.jsonl", encoding="utf-8")]
    issue_ok = sum(
        step.apply(c["mojibake"]).text == (c.get("expected") or c.get("expected_fix_text")) for c in cases
    )
    return {
        "reversible": len(rev),
        "reversible_exact": exact,
        "verified": len(verified),
        "verified_exact": verified_exact,
        "lossy": len(lossy),
        "lossy_full": full,
        "lossy_partial": part,
        "lossy_untouched": untouched,
        "lossy_fffd": fffd,
        "issue_cases": len(cases),
        "issue_ok": issue_ok,
    }


# ------------------------------------------------------------------ ftfy cases


def eval_ftfy(shared: Path) -> dict:
    base = shared / "eval" / "ftfy-test-cases"
    neg = json.load(open(base / "negative.json", encoding="utf-8"))
    # a false repair is a change that is not the expected one (``fixed`` may also differ from
    # ``original`` by ftfy's non-encoding fixes, e.g. uncurled quotes, which we do not make)
    step_ok = sum(mojibake.STEP.apply(c["original"]).text in (c["original"], c["fixed"]) for c in neg)
    chain_diff = [c for c in neg if normalize_text(c["original"]).text not in (c["original"], c["fixed"])]
    # what differs at chain level is the Unicode step's space/control normalisation only
    from lendcorpus.pipelines.normalize import unicode_clean

    chain_only_unicode = sum(
        normalize_text(c["original"]).text
        in (unicode_clean.STEP.apply(c["original"]).text, unicode_clean.STEP.apply(c["fixed"]).text)
        for c in chain_diff
    )
    names = json.load(open(base / "language-names.json", encoding="utf-8"))
    names_ok = sum(mojibake.STEP.apply(c["original"]).text == c["fixed"] for c in names if c["expect"] == "pass")
    return {
        "negatives": len(neg),
        "negatives_step_ok": step_ok,
        "negatives_chain_changed": len(chain_diff),
        "negatives_chain_changed_unicode_only": chain_only_unicode,
        "language_names": sum(c["expect"] == "pass" for c in names),
        "language_names_ok": names_ok,
    }


# ------------------------------------------------------------------ clean Chinese texts


def clean_corpora(shared: Path) -> dict[str, list[str]]:
    ev = shared / "eval"
    out: dict[str, list[str]] = {}
    out["lingua zh/ja/ko sentences"] = [
        line
        for lang in ("zh", "ja", "ko")
        for line in (ev / "lingua-language-testdata" / "sentences" / f"{lang}.txt").read_text("utf-8").splitlines()
    ]
    out["extraction ground-truth texts"] = [
        Path(f).read_text("utf-8") for f in sorted(glob.glob(str(ev / "chinese-web-content-extraction" / "cleaned" / "*.txt")))
    ]
    oc = ev / "opencc-testcases"
    flat = [json.loads(line) for line in open(oc / "testcases_flat.jsonl", encoding="utf-8")]
    out["opencc cases + golden texts"] = (
        [r["input"] for r in flat]
        + [r["expected"] for r in flat]
        + [Path(f).read_text("utf-8") for f in sorted(glob.glob(str(oc / "golden" / "*" / "*.txt")))]
    )
    z = (oc / "benchmark" / "zuozhuan.txt").read_text("utf-8")
    out["zuozhuan (3,000-char chunks)"] = [z[i : i + 3000] for i in range(0, len(z), 3000)]
    return out


def eval_clean(shared: Path) -> dict[str, dict]:
    res = {}
    for name, docs in clean_corpora(shared).items():
        moj = pin = lost = uni = 0
        for d in docs:
            n = normalize_text(d)
            steps = Counter(r["step"] for r in n.repairs)
            moj += steps["mojibake"] > 0
            pin += steps["pinyin"] > 0
            uni += steps["unicode"] > 0
            lost += han_lost(d, n)
        res[name] = {"docs": len(docs), "mojibake": moj, "pinyin": pin, "han_lost": lost, "unicode_edits": uni}
    return res


# ------------------------------------------------------------------ charset detection


_REF_CODEC = {"big5": "big5", "gb2312": "gb18030", "gb18030": "gb18030", "euc-tw": "euc_tw", "utf-8": "utf-8"}


def charset_files(shared: Path) -> list[tuple[str, str, bytes]]:
    """(relative path, true encoding, bytes) of the 56 files with known encodings."""
    root = shared / "eval" / "charset-detection-cjk"
    out = []
    for f in sorted(root.rglob("*")):
        if f.is_dir() or f.name in ("LICENSE", "COPYING", "NOTICE.md", "README.txt"):
            continue
        rel = f.relative_to(root).as_posix()
        parts = rel.split("/")
        if parts[0] == "chardet":
            enc = parts[1].lower()
        elif parts[0] == "uchardet":
            enc = f.stem.lower()
        else:
            enc = "big5"
        out.append((rel, enc, f.read_bytes()))
    return out


def _reference(data: bytes, enc: str) -> str:
    """The right text: the true encoding's decoder (GB2312 read the WHATWG way, as GB18030;
    Big5 files with Microsoft extensions read as cp950)."""
    import lendcorpus.pipelines.normalize.euctw  # noqa: F401

    codec = _REF_CODEC[enc]
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        if codec == "big5":
            return data.decode("cp950")
        raise


_LIE = {"big5": "gb2312", "gb2312": "big5", "gb18030": "big5", "euc-tw": "big5", "utf-8": "gbk"}


def eval_charset(shared: Path) -> dict:
    files = charset_files(shared)
    right_bytes = right_html = right_lie = 0
    wrong = []
    for rel, enc, data in files:
        ref = _reference(data, enc)
        d = decode_bytes(data)
        right_bytes += d.text == ref
        if d.text != ref:
            wrong.append((rel, d.encoding, d.evidence))
        right_html += decode_html(data).text == ref
        lie = _LIE[enc]
        lied = re.sub(rb'encoding="[^"]+"', f'encoding="{lie}"'.encode(), data)
        right_lie += decode_html(lied, f"text/html; charset={lie}").text == _reference(lied, enc)
    # real pages: chinese-web-content-extraction originals (45 GBK, 22 UTF-8, 2 damaged)
    ev = shared / "eval" / "chinese-web-content-extraction"
    pages = ok_pages = 0
    for f in sorted(glob.glob(str(ev / "original" / "*.html"))):
        uid = Path(f).stem
        d = decode_html(Path(f).read_bytes())
        truth = _han((ev / "cleaned" / f"{uid}.txt").read_text("utf-8"))
        got = _han(d.text)
        recall = sum((truth & got).values()) / max(1, sum(truth.values()))
        pages += 1
        ok_pages += recall >= 0.95
    return {
        "files": len(files),
        "right_bytes_only": right_bytes,
        "right_with_labels": right_html,
        "right_lying_labels": right_lie,
        "wrong": wrong,
        "pages": pages,
        "pages_ok": ok_pages,
    }


# ------------------------------------------------------------------ language


_BUCKETS = ((1, 10), (11, 20), (21, 40), (41, 10**9))


def _bucket(n: int) -> str:
    for lo, hi in _BUCKETS:
        if lo <= n <= hi:
            return f"{lo}-{hi}" if hi < 10**9 else f"{lo}+"
    return "0"


def eval_language(shared: Path, with_langdetect: bool = True) -> dict:
    base = shared / "eval" / "lingua-language-testdata" / "sentences"
    conv = script.converter("s2t")
    sets: dict[str, list[str]] = {}
    for lang in ("zh", "ja", "ko"):
        sets[lang] = (base / f"{lang}.txt").read_text("utf-8").splitlines()
    sets["zh-hant"] = [conv.convert(s) for s in sets["zh"]]
    by: dict[str, Counter] = {"ours": Counter(), "ld": Counter(), "n": Counter()}
    per_set: dict[str, dict] = {}
    for name, lines in sets.items():
        truth = "zh" if name.startswith("zh") else name
        ours = ld = 0
        for s in lines:
            b = _bucket(len(s))
            by["n"][b] += 1
            o = detect_language(s)[0] == truth
            ours += o
            by["ours"][b] += o
            if with_langdetect:
                x = langdetect_only(s) == truth
                ld += x
                by["ld"][b] += x
        per_set[name] = {"n": len(lines), "ours": ours, "ld": ld if with_langdetect else None}
    return {"per_set": per_set, "by_bucket": by}


def eval_readability(shared: Path, with_langdetect: bool = True) -> list[dict]:
    base = shared / "eval" / "mozilla-readability-zh"
    out = []
    for d in sorted(p for p in base.iterdir() if p.is_dir()):
        src = d / "source.html"
        if not src.exists():
            continue
        dec = decode_html(src.read_bytes())
        body = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", dec.text)
        body = re.sub(r"(?s)<[^>]+>", " ", body)
        n = normalize_text(body)
        out.append(
            {
                "page": d.name,
                "lang": n.lang,
                "script": n.script,
                "langdetect": langdetect_only(body) if with_langdetect else None,
                "mojibake": sum(r["step"] == "mojibake" for r in n.repairs),
            }
        )
    return out


# ------------------------------------------------------------------ seeds


_PINYIN_ANY = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+[)）]")
_PAREN_ANY = re.compile(r"[(（][^)）\n]*[)）]")


def eval_seeds(shared: Path, with_langdetect: bool = True) -> dict:
    from lendcorpus.pipelines.normalize.pinyin import is_reading

    seeds = [Path(f).read_text("utf-8") for f in sorted(glob.glob(str(shared / "seeds" / "*.txt")))]
    valid = removed = legit = legit_kept = 0
    langs, scripts, ld = [], [], []
    mojibake_fixed = False
    gaps = 0
    for s in seeds:
        n = normalize_text(s)
        # annotations that are valid readings of the preceding Han character
        for m in _PINYIN_ANY.finditer(s):
            prev = s[m.start() - 1] if m.start() else ""
            if prev and is_reading(prev, m.group()[1:-1]):
                valid += 1
        removed += n.pinyin_removed
        # legit brackets may enclose annotated characters: look for them with annotations taken out
        for m in _PAREN_ANY.finditer(_PINYIN_ANY.sub("", s)):
            legit += 1
            legit_kept += m.group() in n.text
        langs.append(n.lang)
        scripts.append(n.script)
        if with_langdetect:
            ld.append(langdetect_only(s))
        mojibake_fixed |= any(r["before"] == "槟切┟媾R" and r["after"] == "那些面臨" for r in n.repairs)
        gaps += len(n.gaps)
    return {
        "seeds": len(seeds),
        "pinyin_valid": valid,
        "pinyin_removed": removed,
        "legit_parens": legit,
        "legit_parens_kept": legit_kept,
        "lang": langs,
        "script": scripts,
        "langdetect": ld,
        "shifted_gbk_fixed": mojibake_fixed,
        "gaps": gaps,
    }


# ------------------------------------------------------------------ extraction texts through the chain


def eval_extraction_texts(shared: Path) -> dict:
    ev = shared / "eval" / "chinese-web-content-extraction" / "cleaned"
    docs = [Path(f).read_text("utf-8") for f in sorted(glob.glob(str(ev / "*.txt")))]
    moj = pin = lost = zh = 0
    for d in docs:
        n = normalize_text(d)
        moj += any(r["step"] == "mojibake" for r in n.repairs)
        pin += n.pinyin_removed > 0
        lost += han_lost(d, n)
        zh += n.lang == "zh"
    return {"docs": len(docs), "mojibake": moj, "pinyin": pin, "han_lost": lost, "zh": zh}


# ------------------------------------------------------------------ OpenCC config choice


def eval_opencc(shared: Path) -> dict[str, dict[str, tuple[int, int]]]:
    flat = [
        json.loads(line)
        for line in open(shared / "eval" / "opencc-testcases" / "testcases_flat.jsonl", encoding="utf-8")
    ]
    groups: dict[str, list[dict]] = {}
    for r in flat:
        if r["config"] in ("t2s", "tw2s", "hk2s", "tw2sp", "hk2sp"):
            groups.setdefault(r["config"], []).append(r)
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for cfg in ("t2s", "tw2s", "hk2s", "tw2sp"):
        conv = script.converter(cfg)
        out[cfg] = {g: (sum(conv.convert(r["input"]) == r["expected"] for r in rows), len(rows)) for g, rows in groups.items()}
    return out


# ------------------------------------------------------------------ report


# ------------------------------------------------------------------ Big5 read as GBK, Taiwan script


def big5_lines(shared: Path, min_han: int = 12) -> list[str]:
    """Real Traditional lines: the Big5 files of charset-detection-cjk, markup stripped, lines with
    at least ``min_han`` Han characters and two Traditional-only ones, nothing undecodable."""
    from lendcorpus.pipelines.normalize.script import _script_classes

    trad = _script_classes()[0]
    out = []
    for _rel, enc, data in charset_files(shared):
        if enc != "big5":
            continue
        text = re.sub(r"(?s)<[^>]+>", " ", _reference(data, enc))
        for line in text.split("\n"):
            line = line.strip()
            if ("\ufffd" not in line and len(trad.findall(line)) >= 2
                    and sum(1 for c in line if "\u4e00" <= c <= "\u9fff") >= min_han):
                out.append(line)
    return out


def eval_big5_in_traditional(shared: Path, seed: int = 5) -> dict:
    """A stretch of 4-10 characters of a real Traditional line turned into Big5-read-as-GBK
    mojibake (its Big5 bytes decoded as GB18030, as a browser's GBK decoder does), the rest of the
    line left intact; the chain must give the line back. Also: the clean lines must not change."""
    rng = random.Random(seed)
    lines = big5_lines(shared)
    cases = exact = partial = 0
    for line in lines:
        i = rng.randrange(len(line) // 3, len(line) * 2 // 3)
        length = rng.randint(4, 10)
        seg = line[i : i + length]
        try:
            damaged = line[:i] + seg.encode("big5").decode("gb18030") + line[i + length :]
        except UnicodeError:
            continue
        if damaged == line:
            continue
        cases += 1
        out = normalize_text(damaged).text
        if out == line:
            exact += 1
        elif any(r.get("note") == "big5-as-gbk" for r in normalize_text(damaged).repairs):
            partial += 1
    false_repairs = sum(
        any(r["step"] == "mojibake" for r in normalize_text(line).repairs) for line in lines)
    return {"lines": len(lines), "cases": cases, "exact": exact, "partial": partial, "clean_changed": false_repairs}


def eval_taiwan_script(shared: Path) -> dict:
    """Script labels of real Taiwan / Hong Kong Traditional lines (the Big5 files' lines with at
    least 8 Han characters): all of them, and those using 台 or 裡 (everyday Traditional)."""
    lines = big5_lines(shared, min_han=8)
    labels = Counter(normalize_text(t).script for t in lines)
    tai = Counter(normalize_text(t).script for t in lines if "台" in t or "裡" in t)
    return {"labels": dict(labels), "with_tai_li": dict(tai)}


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100.0 * a / b:.1f}%)" if b else "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--shared", help="path to shared/ (default: beside the repository)")
    ap.add_argument("--no-langdetect", action="store_true", help="skip the langdetect-alone column (faster)")
    args = ap.parse_args(argv)
    shared = shared_dir(args.shared)
    with_ld = not args.no_langdetect
    t0 = time.perf_counter()

    rows: list[tuple[str, str, str, str, str, str]] = []

    def add(ds, measure, ours, ld="", goal="", ok=None):
        rows.append((ds, measure, ours, ld, goal, "" if ok is None else ("PASS" if ok else "FAIL")))

    m = eval_mojibake(shared)
    add("mojibake-in-the-wild-zh", "reversible lines exactly restored", _pct(m["reversible_exact"], m["reversible"]), "", ">= 99%", m["reversible_exact"] >= 0.99 * m["reversible"])
    add("", "  of which confirmed by clean copy", _pct(m["verified_exact"], m["verified"]))
    add("", "lossy lines: fully / partly / not repaired", f"{m['lossy_full']} / {m['lossy_partial']} / {m['lossy_untouched']} of {m['lossy']}")
    add("", "lossy lines: lost chars marked U+FFFD", str(m["lossy_fffd"]))
    add("", "issue-thread cases as expected", _pct(m["issue_ok"], m["issue_cases"]))

    f = eval_ftfy(shared)
    add("ftfy negatives", "mojibake step: unchanged or as expected", _pct(f["negatives_step_ok"], f["negatives"]), "", "0 false repairs", f["negatives_step_ok"] == f["negatives"])
    add("", "whole chain: other changes (all Unicode step?)", f"{f['negatives_chain_changed']} (Unicode step only: {f['negatives_chain_changed_unicode_only']}; NBSP -> space)")
    add("ftfy language names", "fixed as ftfy expects", _pct(f["language_names_ok"], f["language_names"]))

    for name, c in eval_clean(shared).items():
        ok = c["mojibake"] == 0 and c["pinyin"] == 0 and c["han_lost"] == 0
        add(f"clean: {name}", "docs repaired (mojibake/pinyin), Han lost", f"{c['mojibake']}/{c['pinyin']}, {c['han_lost']} of {c['docs']} docs", "", "0 changes", ok)
        add("", "  docs with Unicode normalisation edits", str(c["unicode_edits"]))

    cs = eval_charset(shared)
    add("charset-detection-cjk", "decoded right, bytes only", _pct(cs["right_bytes_only"], cs["files"]), "", ">= 98%", cs["right_bytes_only"] >= 0.98 * cs["files"])
    add("", "decoded right, with their labels", _pct(cs["right_with_labels"], cs["files"]), "", ">= 98%", cs["right_with_labels"] >= 0.98 * cs["files"])
    add("", "decoded right, labels lying", _pct(cs["right_lying_labels"], cs["files"]), "", ">= 98%", cs["right_lying_labels"] >= 0.98 * cs["files"])
    add("extraction pages (raw)", "decoded: >=95% of truth's Han chars", _pct(cs["pages_ok"], cs["pages"]))

    lang = eval_language(shared, with_ld)
    total = sum(v["n"] for v in lang["per_set"].values())
    ours = sum(v["ours"] for v in lang["per_set"].values())
    ld_total = sum(v["ld"] for v in lang["per_set"].values()) if with_ld else None
    add("lingua zh/ja/ko (+zh as Trad.)", "accuracy, all sentences", _pct(ours, total), _pct(ld_total, total) if with_ld else "-", ">= 99%", ours >= 0.99 * total)
    for name, v in lang["per_set"].items():
        add("", f"  {name}", _pct(v["ours"], v["n"]), _pct(v["ld"], v["n"]) if with_ld else "-")
    for lo, hi in _BUCKETS:
        b = f"{lo}-{hi}" if hi < 10**9 else f"{lo}+"
        n = lang["by_bucket"]["n"][b]
        add("", f"  length {b} chars", _pct(lang["by_bucket"]["ours"][b], n), _pct(lang["by_bucket"]["ld"][b], n) if with_ld else "-")

    for page in eval_readability(shared, with_ld):
        add("mozilla-readability-zh", f"{page['page']}: lang/script", f"{page['lang']}/{page['script']}", page["langdetect"] or "-")

    sd = eval_seeds(shared, with_ld)
    add("seeds", "valid pinyin annotations removed", _pct(sd["pinyin_removed"], sd["pinyin_valid"]), "", "100%", sd["pinyin_removed"] == sd["pinyin_valid"])
    add("", "legit parentheses kept", _pct(sd["legit_parens_kept"], sd["legit_parens"]), "", "100%", sd["legit_parens_kept"] == sd["legit_parens"])
    add("", "lang", ",".join(sd["lang"]), ",".join(sd["langdetect"]) or "-", "zh x4", all(x == "zh" for x in sd["lang"]))
    add("", "script", ",".join(sd["script"]), "", "hant x4", all(x == "hant" for x in sd["script"]))
    add("", "seed 003 槟切┟媾R -> 那些面臨", "yes" if sd["shifted_gbk_fixed"] else "no", "", "yes", sd["shifted_gbk_fixed"])
    add("", "keyword-filter gaps recorded", str(sd["gaps"]))

    b5 = eval_big5_in_traditional(shared)
    add("Big5 lines (charset-detection-cjk)", "Big5-as-GBK stretch in a Trad. line restored", _pct(b5["exact"], b5["cases"]),
        "", ">= 65%", b5["exact"] >= 0.65 * b5["cases"])
    add("", "  partly repaired / clean lines changed", f"{b5['partial']} / {b5['clean_changed']} of {b5['lines']}", "",
        "0 changed", b5["clean_changed"] == 0)
    tw = eval_taiwan_script(shared)
    n_tw = sum(tw["labels"].values())
    add("Taiwan/HK Trad. lines (Big5 files)", "script hant / mixed / hans",
        f"{tw['labels'].get('hant', 0)} / {tw['labels'].get('mixed', 0)} / {tw['labels'].get('hans', 0)} of {n_tw}", "",
        ">= 99% hant", tw["labels"].get("hant", 0) >= 0.99 * n_tw)
    n_tai = sum(tw["with_tai_li"].values())
    add("", "  of which with 台/裡: hant", _pct(tw["with_tai_li"].get("hant", 0), n_tai), "", "100%",
        tw["with_tai_li"].get("hant", 0) == n_tai)

    ex = eval_extraction_texts(shared)
    ok = ex["mojibake"] == 0 and ex["pinyin"] == 0 and ex["han_lost"] == 0
    add("extraction texts through chain", "docs repaired / Han lost / lang zh", f"{ex['mojibake'] + ex['pinyin']} / {ex['han_lost']} / {ex['zh']} of {ex['docs']}", "", "nothing broken", ok)

    widths = [max(len(r[i]) for r in rows + [("dataset", "measure", "ours", "langdetect", "goal", "")]) for i in range(6)]
    head = ("dataset", "measure", "ours", "langdetect alone", "goal", "")
    widths = [max(w, len(h)) for w, h in zip(widths, head)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())

    print()
    print("OpenCC config choice (rows of opencc-testcases whose config converts to Simplified):")
    oc = eval_opencc(shared)
    groups = sorted(next(iter(oc.values())).keys())
    print("  config  " + "  ".join(f"{g:>11}" for g in groups))
    for cfg, res in oc.items():
        print(f"  {cfg:<7} " + "  ".join(f"{res[g][0]:>5}/{res[g][1]:<5}" for g in groups))
    fails = [r for r in rows if r[5] == "FAIL"]
    print(f"\n{len(rows)} rows, {sum(r[5] == 'PASS' for r in rows)} goals met, {len(fails)} missed; {time.perf_counter() - t0:.1f} s")
    if cs["wrong"]:
        print("charset files decoded wrong (bytes only):", cs["wrong"])
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
