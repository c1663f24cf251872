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
                       FROM document_tags t LEFT JOIN dedup_members m USING (doc_id) WHERE t.relevant)
            SELECT practice, count(DISTINCT voice) FROM (SELECT unnest(practices) AS practice, voice FROM r)
            GROUP BY 1""",
        "practice_documents_total": """
            SELECT count(DISTINCT coalesce(m.cluster_id, t.doc_id))
            FROM document_tags t LEFT JOIN dedup_members m USING (doc_id) WHERE t.relevant""",
        "sources": "SELECT source, kind, count(*) FROM documents GROUP BY ALL ORDER BY 3 DESC, 1, 2",
        "dedup": """
            SELECT d.source, count(*) AS documents, count(DISTINCT m.cluster_id) AS clusters,
                   count(*) FILTER (WHERE m.reason IN ('exact', 'near')) AS duplicates
            FROM documents d LEFT JOIN dedup_members m USING (doc_id) GROUP BY 1 ORDER BY 2 DESC, 1""",
        "rejects": """
            SELECT stage || ':' || reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1
            LIMIT {n}""".format(n=TOP_REJECTS),
        "totals": """
            SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM complaints),
                   (SELECT count(*) FROM rejects)""",
        "clusters_total": "SELECT count(*) FROM dedup_clusters",
    }
    data = {key: _rows(con, sql, notices) for key, sql in q.items()}
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
    _annotate(ax, bars, total)
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_xlabel("complaints (a complaint naming two platforms counts for both)")
    _integer_axis(ax.xaxis)
    ax.legend(loc="lower right", fontsize=8)
    ax.margins(x=0.08)
    return _png(fig)


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _chart_months(total: list[tuple], per_platform: list[tuple], lab) -> bytes:
    title = "Complaints per month (China time), all and top {} platforms".format(TREND_PLATFORMS)
    if not total:
        return _no_data(title, "no complaint has a filing time")
    months = _month_range(min(r[0] for r in total), max(r[0] for r in total))
    fig = _figure(4.8)
    ax = fig.add_subplot()
    counts = dict(total)
    marker = "o" if len(months) <= 36 else None
    ax.plot(months, [counts.get(m, 0) for m in months], color="black", linewidth=2.2, marker=marker,
            markersize=4, label="all complaints")
    series: dict[str, tuple[str, dict]] = {}
    for pid, name, month, n in per_platform:
        series.setdefault(pid, (name, {}))[1][month] = n
    for pid, (name, by_month) in series.items():
        ax.plot(months, [by_month.get(m, 0) for m in months], linewidth=1.3, marker=marker, markersize=3,
                label=lab(name, pid))
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
    for bars, vals in ((b1, c_share), (b2, d_share)):
        for bar, v in zip(bars, vals):
            ax.annotate(f"{v:.1f}%", (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(3, 0),
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


def render_html(charts: list[Chart], totals: dict[str, int], db_label: str, notices: list[str]) -> str:
    """The report page: totals, notices, each chart as an inline PNG with its numbers."""
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>", '<html lang="zh-Hans"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>lendcorpus report</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>lendcorpus report</h1>",
        f'<p class="meta">corpus {html.escape(db_label)} · generated {generated} · read-only</p>',
        _table(list(totals), [tuple(totals.values())]),
    ]
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

    p_rows, c_total, d_total = practice_rows(data, _practice_names())
    charts = [
        Chart("platforms", "Platform ranking", "Complaints naming each lending platform (its target, title or "
              "text), resolved ones in green. View: resolution_rates.",
              ["platform", "name", "complaints", "resolved"], data["platforms"]),
        Chart("months", "Monthly trends", "Complaints filed per month, all and for the platforms with most "
              "complaints. Views: complaints_per_platform_month.", ["month", "complaints"], data["months_total"]),
        Chart("practices", "Practice mix", "Share of complaints with full text, and of relevant documents "
              "(relevance ≥ 0.5, each dedup cluster once), that describe each collection practice.",
              ["practice", "name", "complaints", "% of complaints", "documents", "% of documents"], p_rows),
        Chart("sources", "Source coverage", "Documents per source, by kind.",
              ["source", "kind", "documents"], data["sources"]),
        Chart("dedup", "Dedup", "Documents and the distinct dedup clusters they fall into, per source; "
              "duplicates = exact or near copies of another document.",
              ["source", "documents", "clusters", "duplicates"], data["dedup"]),
        Chart("rejects", "Rejects", "Responses and items the crawl or build rejected, by stage and reason.",
              ["stage:reason", "count"], data["rejects"]),
    ]
    drawers = {
        "platforms": lambda: _chart_platforms(data["platforms"], lab),
        "months": lambda: _chart_months(data["months_total"], data["months_platform"], lab),
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
    page.write_text(render_html(charts, totals, db_label, notices), encoding="utf-8")
    return ReportResult(page, pngs, family, notices, missing)
