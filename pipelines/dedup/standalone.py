"""Dedup of loose records ({"id", "text", optional "url"}) with the build's code path.

``dedup_records`` runs, per record, the normalisation chain (in worker processes when
``jobs > 1``), then learns boilerplate per site (the URL's host; records without a URL form one
site) with the same threshold the corpus pass uses, strips it, and clusters with ``Deduper``,
whose capped-bucket graph is the corpus pass's. ``prepared=True`` skips normalisation and
boilerplate (the texts already are main Simplified texts, e.g. exported from a corpus). Used by
``lendcorpus dedup`` and the evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lendcorpus.pipelines.boilerplate import DEFAULT_LEARN, LearnParams, count_lines, learn_site_lines, load_markers
from lendcorpus.pipelines.boilerplate import strip_boilerplate

from .core import Deduper, Member
from .minhash import DEFAULT_PARAMS, MinHashParams

#: site name of records without a URL
NO_SITE = "-"


@dataclass
class Prepared:
    id: str
    site: str
    text_simplified: str
    text_clean: str
    main_simplified: str = ""
    removed: int = 0


def site_of(url: str | None) -> str:
    """The site a record belongs to for boilerplate learning: the URL's host."""
    if not url:
        return NO_SITE
    try:
        return urlsplit(url).hostname or NO_SITE
    except ValueError:
        return NO_SITE


def _normalise_texts(texts: list[str]) -> list[tuple[str, str]]:
    from lendcorpus.pipelines.normalize import normalize_text

    out = []
    for t in texts:
        n = normalize_text(t)
        out.append((n.text, n.text_simplified))
    return out


def normalise(records: Iterable[tuple[str, str, str | None]],
              normalize: Callable | None = None, jobs: int = 1) -> list[Prepared]:
    """Run the normalisation chain over (id, text, url) records; identical texts once; with
    ``jobs > 1`` in that many worker processes (the chain is a pure function of the text)."""
    records = list(records)
    distinct = list(dict.fromkeys(text for _, text, _ in records))
    if normalize is not None:
        done = [(n.text, n.text_simplified) for n in map(normalize, distinct)]
    elif jobs > 1 and len(distinct) > 2000:
        import multiprocessing as mp

        step = 500
        chunks = [distinct[i : i + step] for i in range(0, len(distinct), step)]
        with mp.get_context("forkserver").Pool(jobs) as pool:
            done = [x for part in pool.imap(_normalise_texts, chunks) for x in part]
    else:
        done = _normalise_texts(distinct)
    got = dict(zip(distinct, done))
    return [Prepared(rid, site_of(url), got[text][1], got[text][0]) for rid, text, url in records]


def strip_sites(docs: list[Prepared], learn: LearnParams = DEFAULT_LEARN) -> dict[str, set[str]]:
    """Learn each site's template lines from its records and strip them (in place)."""
    markers = load_markers()
    by_site: dict[str, list[Prepared]] = defaultdict(list)
    for d in docs:
        by_site[d.site].append(d)
    learned = {}
    for site, group in by_site.items():
        freq, n = count_lines((d.text_simplified for d in group), learn)
        lines = learn_site_lines(freq, n, learn, markers)
        learned[site] = lines
        for d in group:
            s = strip_boilerplate(d.text_clean, d.text_simplified, lines, markers)
            d.main_simplified = s.text_main_simplified
            d.removed = len(s.removed)
    return learned


def cluster_prepared(docs: list[Prepared], params: MinHashParams = DEFAULT_PARAMS,
                     batch: int = 5000) -> dict[str, Member]:
    """Cluster prepared records; returns id -> Member."""
    dd = Deduper(params)
    for i in range(0, len(docs), batch):
        dd.add([(d.id, d.main_simplified, None, d.site) for d in docs[i : i + batch]])
    members, _ = dd.clusters()
    return {m.doc_id: m for m in members}


def dedup_records(records: Iterable[tuple[str, str, str | None]], params: MinHashParams = DEFAULT_PARAMS,
                  learn: LearnParams = DEFAULT_LEARN, *, prepared: bool = False,
                  jobs: int = 1) -> tuple[list[Prepared], dict[str, Member]]:
    """Normalise, strip boilerplate per site, cluster (or, ``prepared``, only cluster). Ids must
    be unique; a record's position is its arrival (the first copy names the cluster)."""
    if prepared:
        docs = [Prepared(rid, site_of(url), text, text, text) for rid, text, url in records]
    else:
        docs = normalise(records, jobs=jobs)
        strip_sites(docs, learn)
    return docs, cluster_prepared(docs, params)
