"""A one-file HTML report of the corpus with charts, for readers who will not write SQL.

Everything is read through a read-only connection and drawn with matplotlib's Agg canvas (no
pyplot, so no global backend state and no display needed). Each chart is written as a PNG in the
output folder and embedded in ``report.html`` as a ``data:`` URI, so the page needs no network
and can be mailed as one file. Chinese labels need a CJK font; when none is installed the labels
are turned into pinyin or ids and the report says so, because silently drawn tofu boxes would
look like data.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

#: Fonts tried first, by family name, before any installed font that covers the sample text.
PREFERRED_CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Noto Sans CJK JP", "Noto Sans CJK TC",
)
#: Characters a font must have to be used for labels (platform names and practice names).
CJK_SAMPLE = "借呗微粒贷催收逾期通讯录骚扰威胁上门"
TOP_PLATFORMS = 20
TREND_PLATFORMS = 5
TOP_REJECTS = 20
TOP_RUNS = 15
MATRIX_PLATFORMS = 12
#: characters of context on each side of a practice's cue in the example passages
EXAMPLE_CONTEXT = 60
DPI = 110
#: matplotlib settings under which every string is drawn as written: no mathtext (a reject reason
#: or a name with two `$` would be parsed as TeX, and an odd one crashes the report), no LaTeX.
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}


@dataclass
class Chart:
    key: str
    title: str
    caption: str
    columns: list[str]
    rows: list[tuple]
    png: bytes = b""
    empty: bool = False


@dataclass
class ReportResult:
    html_path: Path
    png_paths: list[Path]
    font: str | None
    notices: list[str] = field(default_factory=list)
    missing_glyph_warnings: int = 0


# --------------------------------------------------------------------------------------- fonts


def _covers(path: str, sample: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except Exception:  # unreadable or unsupported font file
        return False
    return all(font.get_char_index(ord(ch)) for ch in sample)


def find_cjk_font(sample: str = CJK_SAMPLE) -> str | None:
    """Family name of an installed font with Chinese glyphs (fonts-noto-cjk on Debian), or None.

    matplotlib's font list is cached; fonts installed after the cache was built are looked for in
    the system font folders and registered, so installing fonts-noto-cjk later still works.
    """
    from matplotlib import font_manager as fm

    entries = list(fm.fontManager.ttflist)
    by_name: dict[str, str] = {}
    for e in entries:
        by_name.setdefault(e.name, e.fname)
    for name in PREFERRED_CJK_FONTS:
        if name in by_name and _covers(by_name[name], sample):
            return name
    known = {e.fname for e in entries}
    for path in fm.findSystemFonts():
        if path not in known and _covers(path, sample):
            fm.fontManager.addfont(path)
            known.add(path)
    for e in fm.fontManager.ttflist:
        if e.name in PREFERRED_CJK_FONTS and _covers(e.fname, sample):
            return e.name
    for e in fm.fontManager.ttflist:
        if _covers(e.fname, sample):
            return e.name
    return None


def ascii_label(text: str) -> str:
    """Label without Chinese characters, for charts drawn without a CJK font: Han as pinyin."""
    text = unicodedata.normalize("NFKC", str(text))
    if text.isascii():
        return text
    from pypinyin import lazy_pinyin

    out = " ".join(part.strip() for part in lazy_pinyin(text) if part.strip())
    return "".join(ch if ch.isascii() else "?" for ch in out)


# ------------------------------------------------------------------------------------ queries


def _rows(con: duckdb.DuckDBPyConnection, sql: str, notices: list[str]) -> list[tuple]:
    """Rows of a query; a missing table or view (a corpus built by an older version) is no data."""
    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException as exc:
        notices.append(f"missing from this corpus: {str(exc).splitlines()[0]}")
        return []


def _practice_names() -> dict[str, str]:
    from lendcorpus.pipelines.tag.lexicon import load

    data, _ = load("practices")
    return {p["code"]: p.get("name", "") for p in data.get("practice", [])}


def collect(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, list[tuple]], dict[str, int], list[str]]:
    """The numbers behind every chart, the corpus totals, and notices about missing tables."""
    notices: list[str] = []
    q = {
        "platforms": """
            SELECT platform, name, complaints, resolved FROM resolution_rates
            ORDER BY complaints DESC, platform LIMIT {top}""".format(top=TOP_PLATFORMS),
        "months_total": """
            SELECT date_trunc('month', timezone('Asia/Shanghai', created_at))::DATE AS month, count(*)
            FROM complaints WHERE created_at IS NOT NULL GROUP BY 1 ORDER BY 1""",
        "months_platform": """
            WITH top AS (SELECT platform FROM complaints_per_platform_month GROUP BY 1
                         ORDER BY sum(complaints) DESC, platform LIMIT {n})
            SELECT m.platform, m.name, m.month, m.complaints FROM complaints_per_platform_month m
            JOIN top USING (platform) ORDER BY m.platform, m.month""".format(n=TREND_PLATFORMS),
        "practice_complaints": """
            WITH c AS (SELECT complaint_id FROM complaints WHERE narrative IS NOT NULL)
            SELECT dp.practice, count(DISTINCT dp.doc_id), (SELECT count(*) FROM c)
            FROM document_practices dp JOIN c ON c.complaint_id = dp.doc_id GROUP BY 1""",
        "practice_complaints_total": "SELECT count(*) FROM complaints WHERE narrative IS NOT NULL",
        "practice_documents": """
            WITH r AS (SELECT t.doc_id, t.practices, coalesce(m.cluster_id, t.doc_id) AS voice
                       FROM document_tags t LEFT JOIN dedup_members m USING (doc_id) WHERE {relevant})
            SELECT practice, count(DISTINCT voice) FROM (SELECT unnest(practices) AS practice, voice FROM r)
            GROUP BY 1""",
        "practice_documents_total": """
            SELECT count(DISTINCT coalesce(m.cluster_id, t.doc_id))
            FROM document_tags t LEFT JOIN dedup_members m USING (doc_id) WHERE {relevant}""",
        "sources": "SELECT source, kind, count(*) FROM documents GROUP BY ALL ORDER BY 3 DESC, 1, 2",
        "dedup": """
            SELECT d.source, count(*) AS documents, count(DISTINCT m.cluster_id) AS clusters,
                   count(*) FILTER (WHERE m.reason IN ('exact', 'near')) AS duplicates
            FROM documents d LEFT JOIN dedup_members m USING (doc_id) GROUP BY 1 ORDER BY 2 DESC, 1""",
        "rejects": """
            SELECT stage || ':' || reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1
            LIMIT {n}""".format(n=TOP_REJECTS),
        "coverage": """
            SELECT c.platform, min(c.created_at), max(coalesce(r.finished_at, r.started_at, c.fetched_at, c.created_at))
            FROM complaints c LEFT JOIN fetches f ON f.archive_path = c.archive_path AND f.archive_offset = c.archive_offset
            LEFT JOIN crawl_runs r ON r.run_id = f.run_id
            WHERE c.created_at IS NOT NULL GROUP BY c.platform, coalesce(f.run_id, '')""",
        "date_range": """
            SELECT (SELECT min(published_at) FROM documents), (SELECT max(published_at) FROM documents),
                   (SELECT min(created_at) FROM complaints), (SELECT max(created_at) FROM complaints),
                   (SELECT count(*) FROM crawl_runs), (SELECT min(started_at) FROM crawl_runs),
                   (SELECT max(coalesce(finished_at, started_at)) FROM crawl_runs)""",
        "runs": """
            WITH j AS (SELECT coalesce(run_id, '(no run)') AS run_id, stage, reason, count(*) AS n FROM rejects GROUP BY ALL),
            per AS (SELECT run_id, sum(n)::BIGINT AS rejects,
                           string_agg(stage || ':' || reason || ' ' || n, ', ' ORDER BY n DESC, stage, reason) AS reasons,
                           sum(n) FILTER (WHERE stage = 'fetch')::BIGINT AS fetch,
                           sum(n) FILTER (WHERE stage = 'archive')::BIGINT AS archive,
                           sum(n) FILTER (WHERE stage NOT IN ('fetch', 'archive'))::BIGINT AS processing
                    FROM j GROUP BY 1),
            f AS (SELECT run_id, count(*) AS fetches FROM fetches GROUP BY 1)
            SELECT coalesce(r.run_id, per.run_id) AS run_id, r.spider, r.started_at::TIMESTAMP(0)::VARCHAR,
                   r.finished_at::TIMESTAMP(0)::VARCHAR, r.finish_reason, coalesce(f.fetches, 0),
                   coalesce(per.rejects, 0), coalesce(per.fetch, 0), coalesce(per.archive, 0),
                   coalesce(per.processing, 0), coalesce(per.reasons, '')
            FROM crawl_runs r FULL JOIN per ON per.run_id = r.run_id LEFT JOIN f ON f.run_id = coalesce(r.run_id, per.run_id)
            ORDER BY r.started_at DESC NULLS LAST, 1 LIMIT {n}""".format(n=TOP_RUNS),
        "matrix": """
            WITH n AS (SELECT platform, count(DISTINCT complaint_id) AS complaints FROM complaint_platforms GROUP BY 1),
            top AS (SELECT platform, complaints FROM n ORDER BY complaints DESC, platform LIMIT {top})
            SELECT top.platform, p.name, top.complaints, dp.practice, count(DISTINCT cp.complaint_id)
            FROM top JOIN platforms p USING (platform) JOIN complaint_platforms cp USING (platform)
            JOIN document_practices dp ON dp.doc_id = cp.complaint_id
            GROUP BY ALL ORDER BY top.complaints DESC, top.platform, dp.practice""".format(top=MATRIX_PLATFORMS),
        "examples": """
            WITH ranked AS (
                SELECT dp.practice, dp.doc_id, d.kind, dp.start_pos, dp.end_pos,
                       CASE WHEN t.text_column = 'text_main_simplified'
                            THEN coalesce(d.text_main_simplified, d.text_simplified, d.text)
                            ELSE coalesce(d.text_simplified, d.text) END AS body,
                       row_number() OVER (PARTITION BY dp.practice ORDER BY (d.kind = 'complaint') DESC,
                                          t.relevance DESC, dp.doc_id, dp.start_pos) AS rk
                FROM document_practices dp JOIN document_tags t USING (doc_id) JOIN documents d USING (doc_id)
                WHERE {relevant})
            SELECT practice, doc_id, kind, start_pos, end_pos, body FROM ranked WHERE rk = 1 ORDER BY practice""",
        "totals": """
            SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM complaints),
                   (SELECT count(*) FROM rejects)""",
        "clusters_total": "SELECT count(*) FROM dedup_clusters",
    }
    from lendcorpus.pipelines.tag.relevance import relevant_sql

    data = {key: _rows(con, sql.replace("{relevant}", relevant_sql("t")), notices) for key, sql in q.items()}
    docs, complaints, rejects = (data.pop("totals") or [(0, 0, 0)])[0]
    clusters = (data.pop("clusters_total") or [(0,)])[0][0]
    totals = {"documents": docs, "complaints": complaints, "dedup clusters": clusters, "rejects": rejects}
    return data, totals, sorted(set(notices))


# ------------------------------------------------------------------------------------- charts


def _figure(height: float = 4.6, width: float = 9.0):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def _no_data(title: str, why: str) -> bytes:
    fig = _figure(2.6)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, loc="left", fontsize=12)
    ax.text(0.5, 0.5, f"no data\n{why}", ha="center", va="center", fontsize=14, color="#666666",
            transform=ax.transAxes, bbox={"boxstyle": "round,pad=0.8", "fc": "#f4f4f4", "ec": "#cccccc"})
    return _png(fig)


def _hbar_height(n: int) -> float:
    return max(2.8, 0.9 + 0.32 * n)


def _integer_axis(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _annotate(ax, bars, values) -> None:
    for bar, v in zip(bars, values):
        ax.annotate(f"{v:,}", (bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)


def _chart_platforms(rows: list[tuple], lab) -> bytes:
    title = "Complaints per platform (top {})".format(TOP_PLATFORMS)
    if not rows:
        return _no_data(title, "no complaint names a platform of the lexicon")
    rows = rows[::-1]
    names = [lab(name, pid) for pid, name, _, _ in rows]
    total = [r[2] for r in rows]
    resolved = [r[3] for r in rows]
    fig = _figure(_hbar_height(len(rows)))
    ax = fig.add_subplot()
    bars = ax.barh(names, total, color="#4c78a8", label="complaints")
    ax.barh(names, resolved, color="#54a24b", label="of which resolved")
    for bar, t, r in zip(bars, total, resolved):
        ax.annotate(f"{t:,} ({r:,} resolved, {100 * r / t:.0f}%)" if t else "0",
                    (bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_xlabel("complaints (a complaint naming two platforms counts for both)")
    _integer_axis(ax.xaxis)
    ax.legend(loc="lower right", fontsize=8)
    ax.margins(x=0.3)
    return _png(fig)


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _china_month(ts) -> dt.date:
    local = ts.astimezone(dt.timezone(dt.timedelta(hours=8))) if ts.tzinfo else ts
    return dt.date(local.year, local.month, 1)


def covered_months(windows: list[tuple]) -> dict[str | None, set[dt.date]]:
    """Months each platform's crawls covered (None: any platform), from (platform, oldest item, crawl end)
    windows: a month inside a window with no complaint is a real zero, a month outside is unknown."""
    out: dict[str | None, set[dt.date]] = {None: set()}
    for platform, first, last in windows:
        if first is None:
            continue
        months = _month_range(_china_month(first), _china_month(last or first))
        out.setdefault(platform, set()).update(months)
        out[None].update(months)
    return out


def _spans(months: list[dt.date], covered: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Runs of consecutive uncovered months, as (first, last) pairs."""
    spans, start = [], None
    for m in months + [None]:
        if m is not None and m not in covered:
            start = start or m
            prev = m
        elif start is not None:
            spans.append((start, prev))
            start = None
    return spans


def _chart_months(total: list[tuple], per_platform: list[tuple], lab, coverage: dict | None = None) -> bytes:
    title = "Complaints per month (China time), all and top {} platforms".format(TREND_PLATFORMS)
    if not total:
        return _no_data(title, "no complaint has a filing time")
    coverage = coverage or {}
    months = _month_range(min(r[0] for r in total), max(r[0] for r in total))
    all_cov = coverage.get(None) or set(months)
    fig = _figure(4.8)
    ax = fig.add_subplot()
    counts = dict(total)
    nan = float("nan")
    marker = "o" if len(months) <= 36 else None
    # a month no crawl covered is a gap in the line, not a zero
    ax.plot(months, [counts.get(m, 0) if m in all_cov else nan for m in months], color="black", linewidth=2.2,
            marker=marker, markersize=4, label="all complaints")
    series: dict[str, tuple[str, dict]] = {}
    for pid, name, month, n in per_platform:
        series.setdefault(pid, (name, {}))[1][month] = n
    for pid, (name, by_month) in series.items():
        platform_cov = coverage.get(pid) or all_cov
        ax.plot(months, [by_month.get(m, 0) if m in platform_cov else nan for m in months], linewidth=1.3,
                marker=marker, markersize=3, label=lab(name, pid))
    for i, (a, b) in enumerate(_spans(months, all_cov)):
        after = dt.date(b.year + (b.month == 12), b.month % 12 + 1, 1)
        ax.axvspan(a, after, color="#dddddd", alpha=0.6, linewidth=0,
                   label="no crawl covered these months" if i == 0 else None)
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_ylabel("complaints")
    ax.set_ylim(bottom=0)
    _integer_axis(ax.yaxis)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    from matplotlib.dates import DateFormatter, MonthLocator

    ax.xaxis.set_major_locator(MonthLocator(interval=max(1, -(-len(months) // 12))))
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m"))
    fig.autofmt_xdate()
    return _png(fig)


def month_rows(total: list[tuple], coverage: dict) -> list[tuple]:
    """(month, complaints or None, covered) for every month between the first and the last."""
    if not total:
        return []
    counts = dict(total)
    cov = coverage.get(None) or set(counts)
    return [(m, counts.get(m, 0) if m in cov else None, "yes" if m in cov else "no")
            for m in _month_range(min(counts), max(counts))]


def practice_rows(data: dict, names: dict[str, str]) -> tuple[list[tuple], int, int]:
    """(code, name, complaints, % of complaints, documents, % of documents) per practice, with the
    two denominators: complaints with full text, relevant documents (dedup clusters once)."""
    c_total = (data["practice_complaints_total"] or [(0,)])[0][0]
    d_total = (data["practice_documents_total"] or [(0,)])[0][0]
    c_hits = {r[0]: r[1] for r in data["practice_complaints"]}
    d_hits = dict(data["practice_documents"])
    codes = list(names) + sorted((set(c_hits) | set(d_hits)) - set(names))
    rows = [(c, names.get(c, ""), c_hits.get(c, 0), round(100 * c_hits.get(c, 0) / c_total, 1) if c_total else 0.0,
             d_hits.get(c, 0), round(100 * d_hits.get(c, 0) / d_total, 1) if d_total else 0.0) for c in codes]
    if not any(r[2] or r[4] for r in rows):
        rows = []
    return rows, c_total, d_total


def _chart_practices(rows: list[tuple], c_total: int, d_total: int, lab) -> bytes:
    title = "Practice mix: % of complaints and of relevant documents"
    if not rows:
        return _no_data(title, "no complaint or relevant document describes a practice")
    rows = rows[::-1]
    labels = [lab(f"{code} {name}".strip(), code) for code, name, *_ in rows]
    fig = _figure(_hbar_height(2 * len(rows)) * 0.75)
    ax = fig.add_subplot()
    y = list(range(len(rows)))
    c_share = [r[3] for r in rows]
    d_share = [r[5] for r in rows]
    b1 = ax.barh([i + 0.2 for i in y], c_share, height=0.4, color="#e45756",
                 label=f"complaints with full text (n={c_total:,})")
    b2 = ax.barh([i - 0.2 for i in y], d_share, height=0.4, color="#72b7b2",
                 label=f"relevant documents, dedup clusters once (n={d_total:,})")
    for bars, vals, ns in ((b1, c_share, [r[2] for r in rows]), (b2, d_share, [r[4] for r in rows])):
        for bar, v, n in zip(bars, vals, ns):
            ax.annotate(f"{v:.1f}% ({n:,})", (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=7)
    ax.set_yticks(y, labels)
    ax.set_xlabel("% describing the practice (a text may describe several)")
    ax.set_title(title, loc="left", fontsize=12)
    ax.legend(loc="lower right", fontsize=8)
    ax.margins(x=0.1)
    return _png(fig)


KIND_COLORS = {"complaint": "#e45756", "article": "#4c78a8", "post": "#f58518", "letter": "#54a24b"}


def _chart_sources(rows: list[tuple], lab) -> bytes:
    title = "Documents per source and kind"
    if not rows:
        return _no_data(title, "the corpus has no documents")
    rows = rows[::-1]
    labels = [f"{lab(s, s)} ({k})" for s, k, _ in rows]
    values = [n for _, _, n in rows]
    colors = [KIND_COLORS.get(k, "#9d755d") for _, k, _ in rows]
    fig = _figure(_hbar_height(len(rows)))
    ax = fig.add_subplot()
    bars = ax.barh(labels, values, color=colors)
    _annotate(ax, bars, values)
    if max(values) / max(1, min(values)) > 50:
        ax.set_xscale("log")
        ax.set_xlabel("documents (log scale)")
    else:
        ax.set_xlabel("documents")
    from matplotlib.patches import Patch

    kinds = sorted({k for _, k, _ in rows})
    ax.legend(handles=[Patch(color=KIND_COLORS.get(k, "#9d755d"), label=k) for k in kinds], fontsize=8,
              loc="lower right")
    ax.set_title(title, loc="left", fontsize=12)
    ax.margins(x=0.12)
    return _png(fig)


def _chart_dedup(rows: list[tuple], lab) -> bytes:
    title = "Dedup: documents vs distinct clusters per source"
    if not rows:
        return _no_data(title, "the corpus has no documents")
    rows = rows[::-1]
    labels = [lab(s, s) for s, *_ in rows]
    y = list(range(len(rows)))
    docs = [r[1] for r in rows]
    clusters = [r[2] for r in rows]
    fig = _figure(_hbar_height(2 * len(rows)) * 0.75)
    ax = fig.add_subplot()
    b1 = ax.barh([i + 0.2 for i in y], docs, height=0.4, color="#bab0ac", label="documents")
    b2 = ax.barh([i - 0.2 for i in y], clusters, height=0.4, color="#4c78a8",
                 label="dedup clusters (a cluster on several sites counts on each)")
    _annotate(ax, b1, docs)
    _annotate(ax, b2, clusters)
    ax.set_yticks(y, labels)
    nonzero = [d for d in docs if d]
    if nonzero and max(nonzero) / min(nonzero) > 50:
        ax.set_xscale("log")
        ax.set_xlabel("count (log scale)")
    else:
        ax.set_xlabel("count")
    ax.set_title(title, loc="left", fontsize=12)
    ax.legend(loc="lower right", fontsize=8)
    ax.margins(x=0.12)
    return _png(fig)


def _chart_rejects(rows: list[tuple], lab) -> bytes:
    title = f"Rejects by stage:reason (top {TOP_REJECTS})"
    if not rows:
        return _no_data(title, "nothing was rejected")
    rows = rows[::-1]
    labels = [lab(k, k) for k, _ in rows]
    values = [n for _, n in rows]
    stage_colors = {"fetch": "#f58518", "archive": "#b279a2", "decode": "#e45756", "extract": "#4c78a8",
                    "source": "#54a24b"}
    colors = [stage_colors.get(k.split(":", 1)[0], "#9d755d") for k, _ in rows]
    fig = _figure(_hbar_height(len(rows)))
    ax = fig.add_subplot()
    bars = ax.barh(labels, values, color=colors)
    _annotate(ax, bars, values)
    ax.set_xlabel("rejected responses or items")
    _integer_axis(ax.xaxis)
    ax.set_title(title, loc="left", fontsize=12)
    ax.margins(x=0.1)
    return _png(fig)


def matrix_rows(rows: list[tuple], names: dict[str, str]) -> tuple[list[tuple], list[str]]:
    """(platform, name, complaints, practice, with practice, % of the platform's complaints) and the
    practice codes present, in taxonomy order."""
    out = [(pid, name, n, code, k, round(100 * k / n, 1) if n else 0.0) for pid, name, n, code, k in rows]
    present = {r[3] for r in out}
    codes = [c for c in names if c in present] + sorted(present - set(names))
    return out, codes


def _chart_matrix(rows: list[tuple], codes: list[str], lab) -> bytes:
    title = "Platform × practice: share of each platform's complaints (count)"
    if not rows:
        return _no_data(title, "no complaint names both a platform and a practice")
    platforms: list[tuple[str, str, int]] = []
    for pid, name, n, *_ in rows:
        if (pid, name, n) not in platforms:
            platforms.append((pid, name, n))
    cell = {(r[0], r[3]): (r[4], r[5]) for r in rows}
    import numpy as np

    grid = np.array([[cell.get((pid, c), (0, 0.0))[1] for c in codes] for pid, _, _ in platforms])
    fig = _figure(max(3.0, 1.4 + 0.42 * len(platforms)), max(7.0, 2.8 + 0.85 * len(codes)))
    ax = fig.add_subplot()
    im = ax.imshow(grid, cmap="Reds", vmin=0, vmax=max(100.0, float(grid.max())), aspect="auto")
    for i, (pid, _, _) in enumerate(platforms):
        for j, c in enumerate(codes):
            k, share = cell.get((pid, c), (0, 0.0))
            ax.text(j, i, f"{share:.0f}%\n({k:,})" if k else "·", ha="center", va="center", fontsize=7,
                    color="white" if share > 60 else "#222222")
    ax.set_xticks(range(len(codes)), [lab(c, c) for c in codes], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(platforms)), [f"{lab(name, pid)} (n={n:,})" for pid, name, n in platforms], fontsize=8)
    ax.set_title(title, loc="left", fontsize=12)
    fig.colorbar(im, ax=ax, shrink=0.8, label="% of the platform's complaints")
    return _png(fig)


def _chart_runs(rows: list[tuple], lab) -> bytes:
    title = f"Rejects per crawl run (latest {TOP_RUNS})"
    if not rows or not any(r[6] for r in rows):
        return _no_data(title, "no run had rejects")
    rows = rows[::-1]
    labels = [lab(r[0], r[0]) for r in rows]  # run ids start with the spider's name
    fig = _figure(_hbar_height(len(rows)))
    ax = fig.add_subplot()
    left = [0] * len(rows)
    for idx, stage, color in ((7, "fetch", "#f58518"), (8, "archive", "#b279a2"), (9, "parse / extract", "#4c78a8")):
        vals = [r[idx] for r in rows]
        ax.barh(labels, vals, left=left, color=color, label=stage)
        left = [a + b for a, b in zip(left, vals)]
    for i, r in enumerate(rows):
        share = f", {100 * r[6] / r[5]:.0f}% of {r[5]:,} fetches" if r[5] else ""
        ax.annotate(f"{r[6]:,}{share}", (left[i], i), xytext=(3, 0), textcoords="offset points", va="center",
                    fontsize=8)
    ax.set_xlabel("rejects")
    _integer_axis(ax.xaxis)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, loc="left", fontsize=12)
    ax.margins(x=0.25)
    return _png(fig)


def example_passages(rows: list[tuple], names: dict[str, str], context: int = EXAMPLE_CONTEXT) -> list[dict]:
    """One passage per practice around its cue, scrubbed with the release scrubber: readers should
    see what a tag means, never a person's number or name."""
    from lendcorpus.pipelines.redact import scrub

    out = []
    for code, doc_id, kind, start, end, body in rows:
        body = body or ""
        if not (0 <= start < end <= len(body)):
            continue
        left = body[max(0, start - context):start]
        right = body[end:end + context]
        out.append({"practice": code, "name": names.get(code, ""), "doc_id": doc_id, "kind": kind,
                    "left": ("…" if start > context else "") + (scrub(left)[0] or ""),
                    "cue": scrub(body[start:end])[0] or "",
                    "right": (scrub(right)[0] or "") + ("…" if end + context < len(body) else "")})
    return out


# --------------------------------------------------------------------------------------- page

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
sans-serif;margin:2em auto;max-width:1040px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em} .meta{color:#666;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0} td,th{border:1px solid #ddd;padding:2px 8px}
th{background:#f4f4f4;text-align:left} td.n{text-align:right}
figure.chart{margin:2em 0;border-top:1px solid #eee;padding-top:1em}
figure.chart img{max-width:100%;height:auto;display:block}
figcaption{color:#444;font-size:.9em;margin:.4em 0}
td.passage{max-width:640px} mark{background:#ffe08a}
.notice{background:#fff4e5;border:1px solid #f0b35b;padding:.6em 1em;margin:1em 0}
"""

# Writes each chart's rendered size into data-rendered (and a count into the title) once the page
# has loaded, so a headless browser's --dump-dom shows whether every chart really drew.
_SCRIPT = """
window.addEventListener('load', function () {
  var figs = document.querySelectorAll('figure.chart'), ok = 0;
  figs.forEach(function (f) {
    var img = f.querySelector('img'), r = img ? img.getBoundingClientRect() : {width: 0, height: 0};
    var good = img && img.complete && img.naturalWidth > 0 && r.width > 0 && r.height > 0;
    f.setAttribute('data-rendered', good ? Math.round(r.width) + 'x' + Math.round(r.height) : 'failed');
    if (good) { ok += 1; }
  });
  document.body.setAttribute('data-charts-rendered', ok + '/' + figs.length);
  document.title = document.title + ' [' + ok + '/' + figs.length + ' charts rendered]';
});
"""


def _cell(v) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f'<td class="n">{v:,}</td>'
    return f"<td>{html.escape('' if v is None else str(v))}</td>"


def _table(columns: list[str], rows: list[tuple], limit: int = 60) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in r) + "</tr>" for r in rows[:limit])
    more = f"<p>… {len(rows) - limit} more rows</p>" if len(rows) > limit else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def _day(v) -> str:
    return v.astimezone(dt.timezone.utc).strftime("%Y-%m-%d") if isinstance(v, dt.datetime) else "—"


def span_lines(date_range: list[tuple]) -> list[str]:
    """What the corpus covers in time: publication, filing and crawl dates (UTC days)."""
    if not date_range:
        return []
    pub_min, pub_max, filed_min, filed_max, runs, crawl_min, crawl_max = date_range[0]
    return [f"documents published {_day(pub_min)} to {_day(pub_max)}",
            f"complaints filed {_day(filed_min)} to {_day(filed_max)}",
            f"{runs:,} crawl run{'s' if runs != 1 else ''} from {_day(crawl_min)} to {_day(crawl_max)}"]


def render_html(charts: list[Chart], totals: dict[str, int], db_label: str, notices: list[str],
                spans: list[str] | None = None, runs: list[tuple] | None = None,
                examples: list[dict] | None = None) -> str:
    """The report page: totals, time span, notices, each chart as an inline PNG with its numbers,
    the crawl runs with their rejects, and one example passage per practice."""
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>", '<html lang="zh-Hans"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>lendcorpus report</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>lendcorpus report</h1>",
        f'<p class="meta">corpus {html.escape(db_label)} · generated {generated} · read-only</p>',
        _table(list(totals), [tuple(totals.values())]),
    ]
    if spans:
        parts.append('<p class="meta" id="time-span">' + " · ".join(html.escape(x) for x in spans) + "</p>")
    parts += [f'<p class="notice">{html.escape(n)}</p>' for n in notices]
    parts.append("<nav><ul>" + "".join(f'<li><a href="#chart-{c.key}">{html.escape(c.title)}</a></li>'
                                       for c in charts) + "</ul></nav>")
    for c in charts:
        uri = "data:image/png;base64," + base64.b64encode(c.png).decode("ascii")
        parts.append(
            f'<figure class="chart" id="chart-{c.key}" data-chart="{c.key}" data-empty="{str(c.empty).lower()}">'
            f"<h2>{html.escape(c.title)}</h2>"
            f'<img alt="{html.escape(c.title)}" src="{uri}">'
            f"<figcaption>{html.escape(c.caption)} (file: {c.key}.png)</figcaption>"
            f"<details><summary>numbers</summary>{_table(c.columns, c.rows)}</details></figure>")
    if runs is not None:
        parts.append('<section id="runs"><h2>Crawl runs and their rejects</h2>'
                     "<p>The latest runs, newest first; rejects are counted per run, so a new run's problems "
                     "are not hidden under old ones.</p>"
                     + _table(["run", "spider", "started (UTC)", "finished (UTC)", "finish reason", "fetches",
                               "rejects", "top reasons"], [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[10])
                                                           for r in runs]) + "</section>")
    if examples is not None:
        rows = "".join(
            f'<tr><td>{html.escape(e["practice"])}<br>{html.escape(e["name"])}</td><td>{html.escape(e["doc_id"])}'
            f' ({html.escape(e["kind"])})</td><td class="passage">{html.escape(e["left"])}<mark>'
            f'{html.escape(e["cue"])}</mark>{html.escape(e["right"])}</td></tr>' for e in examples)
        parts.append('<section id="examples"><h2>One example passage per practice</h2>'
                     "<p>The cue that triggered the tag is marked; personal data is replaced by the release "
                     "scrubber's placeholders.</p>"
                     + (f"<table><tr><th>practice</th><th>document</th><th>passage</th></tr>{rows}</table>"
                        if examples else "<p>no relevant document describes a practice</p>") + "</section>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)


def write_report(con: duckdb.DuckDBPyConnection, out_dir: Path | str, *, db_label: str = "",
                 font: str | None = "auto") -> ReportResult:
    """Collect, draw and write ``report.html`` plus one PNG per chart into ``out_dir``.

    ``font``: "auto" finds a CJK font, None (or "none") draws without one (pinyin/id labels),
    any other value is a font family name to use.
    """
    from matplotlib import rc_context

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data, totals, notices = collect(con)
    family = find_cjk_font() if font == "auto" else (None if font in (None, "none") else font)
    if family is None:
        why = ("No CJK font is installed (on Debian: apt-get install fonts-noto-cjk, or run .ci/chromium.sh)"
               if font == "auto" else "The charts were drawn without a CJK font, as asked")
        notices.insert(0, f"{why}, so Chinese names in the charts are shown as pinyin or ids; "
                          "the tables under each chart keep the original names.")

    def lab(name: str | None, ident: str) -> str:
        if family is not None:
            return name or ident
        return ident if ident and str(ident).isascii() else ascii_label(name or ident)

    names = _practice_names()
    p_rows, c_total, d_total = practice_rows(data, names)
    m_rows, m_codes = matrix_rows(data["matrix"], names)
    coverage = covered_months(data["coverage"])
    charts = [
        Chart("platforms", "Platform ranking", "Complaints naming each lending platform (its target, title or "
              "text), resolved ones in green. View: resolution_rates.",
              ["platform", "name", "complaints", "resolved"], data["platforms"]),
        Chart("months", "Monthly trends", "Complaints filed per month, all and for the platforms with most "
              "complaints. Months that no crawl covered (before the oldest complaint a crawl reached, or after "
              "it ended) are grey gaps, not zeros. Views: complaints_per_platform_month.",
              ["month", "complaints", "covered by a crawl"], month_rows(data["months_total"], coverage)),
        Chart("practices", "Practice mix", "Share of complaints with full text, and of relevant documents "
              "(relevance ≥ 0.5, each dedup cluster once), that describe each collection practice.",
              ["practice", "name", "complaints", "% of complaints", "documents", "% of documents"], p_rows),
        Chart("matrix", "Platforms × practices", "For the platforms with most complaints (n = complaints "
              "naming the platform), the share and number of them describing each practice.",
              ["platform", "name", "complaints", "practice", "with practice", "% of complaints"], m_rows),
        Chart("sources", "Source coverage", "Documents per source, by kind.",
              ["source", "kind", "documents"], data["sources"]),
        Chart("dedup", "Dedup", "Documents and the distinct dedup clusters they fall into, per source; "
              "duplicates = exact or near copies of another document.",
              ["source", "documents", "clusters", "duplicates"], data["dedup"]),
        Chart("rejects", "Rejects", "Responses and items the crawl or build rejected, by stage and reason.",
              ["stage:reason", "count"], data["rejects"]),
        Chart("runs", "Rejects per run", "Rejects of each crawl run by stage, with the share of that run's "
              "fetches; the table under 'Crawl runs' names the reasons.",
              ["run", "spider", "fetches", "rejects", "fetch", "archive", "parse / extract"],
              [(r[0], r[1], r[5], r[6], r[7], r[8], r[9]) for r in data["runs"] if r[6]]),
    ]
    drawers = {
        "platforms": lambda: _chart_platforms(data["platforms"], lab),
        "months": lambda: _chart_months(data["months_total"], data["months_platform"], lab, coverage),
        "matrix": lambda: _chart_matrix(m_rows, m_codes, lab),
        "runs": lambda: _chart_runs(data["runs"], lab),
        "practices": lambda: _chart_practices(p_rows, c_total, d_total, lab),
        "sources": lambda: _chart_sources(data["sources"], lab),
        "dedup": lambda: _chart_dedup(data["dedup"], lab),
        "rejects": lambda: _chart_rejects(data["rejects"], lab),
    }
    rc = {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.spines.top": False,
          "axes.spines.right": False, **LITERAL_TEXT}
    missing = 0
    with rc_context(rc), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for c in charts:
            c.png = drawers[c.key]()
            c.empty = not c.rows
        missing = sum(1 for w in caught if "missing from font" in str(w.message).lower()
                      or "glyph" in str(w.message).lower())
    if missing:
        notices.append(f"{missing} characters had no glyph in the chart font and may show as boxes; "
                       "the tables under each chart have the exact text.")
    pngs = []
    for c in charts:
        p = out / f"{c.key}.png"
        p.write_bytes(c.png)
        pngs.append(p)
    page = out / "report.html"
    page.write_text(render_html(charts, totals, db_label, notices, span_lines(data["date_range"]), data["runs"],
                                example_passages(data["examples"], names)), encoding="utf-8")
    return ReportResult(page, pngs, family, notices, missing)
