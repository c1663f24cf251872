"""Measuring the practice tagger and the relevance score on the committed labelled set.

Used by ``benchmarks/eval_tags.py`` (prints the table) and by the tests (which hold the floors).
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lendcorpus.paths import CHECKOUT
from lendcorpus.pipelines.tag.platforms import PlatformMatcher
from lendcorpus.pipelines.tag.practices import PracticeTagger
from lendcorpus.pipelines.tag.relevance import RELEVANCE_THRESHOLD, relevance

LABELLED = CHECKOUT / "tests" / "fixtures" / "tags" / "sentences.toml"
HELDOUT = CHECKOUT / "tests" / "fixtures" / "tags" / "heldout" / "documents.toml"


@dataclass(frozen=True)
class LabelledDoc:
    text: str
    codes: frozenset[str]
    relevant: bool


def labelled_documents(path: Path = LABELLED, seed: int = 8, n_mixed: int = 200,
                       n_offtopic: int = 40) -> list[LabelledDoc]:
    sentences = tomllib.loads(path.read_text(encoding="utf-8"))["s"]
    off = [s for s in sentences if not s["lending"]]
    rng = random.Random(seed)
    docs = []
    for pool, n in ((sentences, n_mixed), (off, n_offtopic)):
        for _ in range(n):
            picked = rng.sample(pool, rng.randint(2, 4))
            docs.append(LabelledDoc("".join(s["text"] for s in picked),
                                    frozenset(c for s in picked for c in s["codes"]),
                                    any(s["lending"] for s in picked)))
    return docs


def heldout_documents(split: str = "all", path: Path = HELDOUT) -> list[LabelledDoc]:
    """The held-out set: whole documents labelled by a separate annotator from the taxonomy's
    definitions alone (tests/fixtures/tags/heldout/README.md).

    ``split``: "dev" (odd ids) may be used to revise the cues; "test" (even ids) must not be looked
    at beyond its scores, so its numbers stay an honest estimate; "all" is both. Texts are
    normalised as the build does (Traditional documents are tagged in Simplified).
    """
    from lendcorpus.pipelines.normalize import normalize_text

    if split not in ("dev", "test", "all"):
        raise ValueError(f"split must be dev, test or all, not {split!r}")
    docs = tomllib.loads(path.read_text(encoding="utf-8"))["doc"]
    parity = {"dev": 1, "test": 0}.get(split)
    return [LabelledDoc(normalize_text(d["text"]).text_simplified, frozenset(d["codes"]), d["relevant"])
            for d in docs if parity is None or int(d["id"].lstrip("h")) % 2 == parity]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, predicted: bool, actual: bool) -> None:
        self.tp += predicted and actual
        self.fp += predicted and not actual
        self.fn += actual and not predicted
        self.tn += not predicted and not actual


def evaluate(docs: list[LabelledDoc] | None = None) -> dict[str, Score]:
    """Per practice code, plus 'ALL' (micro-average) and 'RELEVANCE'."""
    docs = docs if docs is not None else labelled_documents()
    tagger = PracticeTagger()
    platforms = PlatformMatcher()
    scores: dict[str, Score] = {code: Score() for code in tagger.practices}
    overall, rel = Score(), Score()
    for doc in docs:
        found = tagger.codes(doc.text)
        for code, score in scores.items():
            score.add(code in found, code in doc.codes)
            overall.add(code in found, code in doc.codes)
        n_platforms = len({m.platform for m in platforms.find(doc.text)})
        rel.add(relevance(doc.text, n_platforms, len(found))[0] >= RELEVANCE_THRESHOLD, doc.relevant)
    return {**scores, "ALL": overall, "RELEVANCE": rel}


OFFTOPIC = CHECKOUT / "tests" / "fixtures" / "tags" / "offtopic" / "pages.toml"


def offtopic_documents(shared: Path | None = None, path: Path = OFFTOPIC,
                       labels: tuple[str, ...] = ("offtopic",)) -> list[tuple[str, str, LabelledDoc]]:
    """(source, kind, document) for real pages of ``shared/eval`` labelled in ``path`` (the texts
    stay in shared/eval). HTML is reduced to its text; texts are normalised as the build does.
    Raises FileNotFoundError when the evaluation data is missing (tests must fail, not skip)."""
    import re

    from lendcorpus.pipelines.normalize import decode_html, normalize_text

    shared = Path(shared) if shared is not None else CHECKOUT.parent / "shared"
    out = []
    for page in tomllib.loads(path.read_text(encoding="utf-8"))["page"]:
        if page["label"] not in labels:
            continue
        f = shared / "eval" / page["source"]
        raw = f.read_bytes()
        if f.suffix == ".html":
            text = decode_html(raw).text
            text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
            text = re.sub(r"(?s)<[^>]+>", " ", text)
        else:
            text = raw.decode("utf-8")
        out.append((page["source"], page["kind"],
                    LabelledDoc(normalize_text(text).text_simplified, frozenset(), page["label"] == "ontopic")))
    return out


def relevance_with_offtopic(shared: Path | None = None) -> dict[str, Score]:
    """The relevance flag on the held-out test half plus the real off-topic pages: precision over
    both, and the off-topic pages alone (all, and the finance ones)."""
    platforms, tagger = PlatformMatcher(), PracticeTagger()

    def flagged(doc: LabelledDoc) -> bool:
        n_p = len({m.platform for m in platforms.find(doc.text)})
        return relevance(doc.text, n_p, len(tagger.codes(doc.text)))[0] >= RELEVANCE_THRESHOLD

    combined, off, finance, practices_on_off = Score(), Score(), Score(), Score()
    for doc in heldout_documents("test"):
        combined.add(flagged(doc), doc.relevant)
    for _source, kind, doc in offtopic_documents(shared):
        f = flagged(doc)
        combined.add(f, False)
        off.add(f, False)
        if kind == "finance":
            finance.add(f, False)
        practices_on_off.add(bool(tagger.codes(doc.text)), False)
    return {"heldout test + off-topic": combined, "off-topic pages": off, "finance pages": finance,
            "off-topic pages with a practice tag": practices_on_off}
