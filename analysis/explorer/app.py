"""The corpus explorer: a read-only web application over the DuckDB corpus (``lendcorpus serve``).

Starlette with Jinja2 templates, served by uvicorn. Why it is shaped like this:

- **The build must never wait for it.** DuckDB lets one process write a file and then refuses
  every other process, readers included. The explorer opens the corpus read-only for each request
  and closes it before answering, so between requests it holds nothing; a build started while it
  runs proceeds, and the next page shows the new corpus. While a build holds the file, pages
  answer 503 with Retry-After instead of waiting.
- **The corpus is hostile input.** Templates autoescape; the few fragments built in Python escape
  every scraped piece (render.py). Pages carry a Content-Security-Policy without any script
  source: the explorer needs no JavaScript. An archived page is shown in an iframe with an empty
  ``sandbox`` attribute and is itself served with a ``sandbox`` CSP that blocks scripts and every
  network request, so a page that phones home cannot.
- **Personal data stays masked** (the release scrubber) unless the server was started with
  ``--show-personal``; the raw WARC record can only be downloaded then.
- **No write path**: every route is a GET; nothing reaches the corpus but parameterised reads.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import os
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from lendcorpus.analysis.explorer import queries, render

TEMPLATES = Path(__file__).resolve().parent / "templates"
PAGE_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
#: The archived page: no script, no network, no forms, no navigation of the top window.
ARCHIVE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "SAMEORIGIN"}


class Explorer:
    def __init__(self, db: Path | str, *, show_personal: bool = False, archive_root: Path | None = None) -> None:
        from lendcorpus.paths import archive_root as default_archive

        self.db = Path(db)
        self.show_personal = show_personal
        self.archive_root = Path(archive_root) if archive_root else default_archive()
        self.mask = render.masker(show_personal)
        self._facets: dict = {}
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.globals.update(mask=self.mask, show_personal=show_personal, fmt_time=_fmt_time,
                                link=_link)

    # ------------------------------------------------------------------ plumbing

    def connect(self):
        from lendcorpus.corpus import connect_sandboxed

        return connect_sandboxed(self.db)  # read-only, no file/network access, settings locked

    def page(self, template: str, status: int = 200, **ctx) -> HTMLResponse:
        html = self.env.get_template(template).render(**ctx)
        return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": PAGE_CSP,
                                                               **SECURITY_HEADERS})

    def guarded(self, handler):
        """Open the corpus for one request; a build holding it gives 503, not a traceback."""
        @functools.wraps(handler)
        async def wrapper(request: Request) -> Response:
            from lendcorpus.corpus import CorpusError, CorpusInUse, writer_waiting

            try:
                if writer_waiting(self.db):
                    raise CorpusInUse("a build is waiting for the corpus")  # stand back: never starve it
                con = self.connect()
            except CorpusInUse:
                resp = self.page("error.html", 503, title="A build is writing the corpus",
                                 message="lendcorpus build is updating the corpus right now; this page will "
                                         "show the new corpus once it has finished. Try again in a few seconds.")
                resp.headers["Retry-After"] = "5"
                return resp
            except CorpusError as exc:
                return self.page("error.html", 503, title="No corpus", message=str(exc))
            try:
                return handler(request, con)
            finally:
                con.close()
        return wrapper

    def preload(self) -> None:
        """Compile the templates and load the search columns of the corpus as it is now (at
        server start), so the first pages do not pay for them; the corpus is closed again before
        the server listens."""
        from lendcorpus.corpus import CorpusError

        from lendcorpus.pipelines.search_index import simplified

        for name in self.env.list_templates():
            self.env.get_template(name)
        simplified("借貸")  # loads the normaliser and its Traditional→Simplified tables

        try:
            con = self.connect()
        except CorpusError:
            return  # a build holds it: the first request loads them instead
        try:
            queries.doc_columns(con, queries._tables(con), self._facets, _stat(self.db))
        finally:
            con.close()

    # ------------------------------------------------------------------ pages

    def search_page(self, request: Request, con) -> Response:
        qp = request.query_params
        try:
            page = max(1, int(qp.get("page", "1")))
        except ValueError:
            page = 1
        f = queries.Filters(q=qp.get("q", "")[:200], page=page,
                            **{k: qp.get(k, "")[:100] for k in queries.FACETS})
        st = _stat(self.db)
        result = queries.search(con, f, facet_cache=self._facets, corpus_version=st)
        names = queries.names(con)

        def url(**change) -> str:
            params = {"q": f.q, **f.active(), "page": f.page}
            params.update(change)
            return "/?" + urlencode({k: v for k, v in params.items() if v not in ("", None, 1) or k == "q" and v})

        return self.page("search.html", f=f, result=result, names=names, url=url,
                         pages=max(1, -(-result.total_clusters // queries.PAGE_SIZE)))

    def document_page(self, request: Request, con) -> Response:
        doc_id = request.path_params["doc_id"]
        doc = queries.document(con, doc_id)
        if doc is None:
            return self.page("error.html", 404, title="No such document", message=f"{doc_id} is not in the corpus")
        names = queries.names(con)
        tags = doc["tags"] or {}
        column = tags.get("text_column") or "text_simplified"
        tagged = doc.get(column) if doc.get(column) is not None else (doc.get("text_simplified") or doc["text"])
        spans = [(s, e, "platform", f"platform {p}: {names['platform'].get(p, p)}")
                 for p, _, s, e in doc["platform_spans"]]
        spans += [(s, e, "practice", f"practice {c}: {names['practice'].get(c, c)}")
                  for c, _, s, e in doc["practice_spans"]]
        left, right, changes = render.diff(doc["text"], doc.get("text_clean"), self.mask, doc["repairs"],
                                           doc["gaps"])
        steps: dict[str, int] = {}
        for r in doc["repairs"]:
            steps[r.get("step") or "repair"] = steps.get(r.get("step") or "repair", 0) + 1
        ctx = {
            "doc": doc, "names": names, "tagged_column": column,
            "tagged_html": render.highlight(tagged, spans, self.mask),
            "diff_left": left, "diff_right": right, "diff_changes": changes, "repair_steps": steps,
            "repair_kinds": render.REPAIR_KINDS,
            "boilerplate_html": render.boilerplate_lines(doc.get("text_clean"), doc.get("text_main"), self.mask),
        }
        return self.page("document.html", **ctx)

    def archive_page(self, request: Request, con) -> Response:
        doc_id = request.path_params["doc_id"]
        doc = con.execute("SELECT doc_id, title, url, archive_path, archive_offset FROM documents WHERE doc_id = ?",
                          [doc_id]).fetchone()
        if doc is None:
            return self.page("error.html", 404, title="No such document", message=f"{doc_id} is not in the corpus")
        fetch = queries.fetch_of(con, doc[3], doc[4])
        rec, problem = self._record(doc[3], doc[4])
        return self.page("archive.html", doc=dict(zip(("doc_id", "title", "url", "archive_path", "archive_offset"),
                                                      doc)),
                         fetch=fetch, rec=rec, problem=problem)

    def archive_body(self, request: Request, con) -> Response:
        doc_id = request.path_params["doc_id"]
        row = con.execute("SELECT archive_path, archive_offset, encoding FROM documents WHERE doc_id = ?",
                          [doc_id]).fetchone()
        if row is None:
            return Response("not found", 404, media_type="text/plain")
        rec, problem = self._record(row[0], row[1])
        if rec is None:
            return Response(problem or "not found", 404, media_type="text/plain")
        from lendcorpus.pipelines.normalize import decode_html

        ctype = (rec.header("Content-Type") or "").lower()
        if "json" in ctype:
            text, media = rec.body.decode("utf-8", "replace"), "text/plain"
        else:
            text, media = decode_html(rec.body, row[2]).text, "text/html"
        return Response(self.mask(text), media_type=media,
                        headers={"Content-Security-Policy": ARCHIVE_CSP, **SECURITY_HEADERS})

    def archive_record(self, request: Request, con) -> Response:
        if not self.show_personal:
            return self.page("error.html", 403, title="Raw records hold personal data",
                             message="The raw WARC record can be downloaded only when the explorer was started "
                                     "with --show-personal.")
        doc_id = request.path_params["doc_id"]
        row = con.execute("SELECT archive_path, archive_offset FROM documents WHERE doc_id = ?", [doc_id]).fetchone()
        if row is None:
            return Response("not found", 404, media_type="text/plain")
        path = self._path(row[0])
        length = con.execute("SELECT archive_length FROM fetches WHERE archive_path = ? AND archive_offset = ?",
                             row).fetchone()
        if path is None or length is None:
            return Response("the archive file is not here", 404, media_type="text/plain")
        with open(path, "rb") as fh:
            fh.seek(row[1])
            data = fh.read(length[0])
        name = f"{doc_id.replace(':', '_')}.warc" + (".gz" if path.name.endswith(".gz") else "")
        return Response(data, media_type="application/warc",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', **SECURITY_HEADERS})

    def platform_page(self, request: Request, con) -> Response:
        pid = request.path_params["platform"]
        p = queries.platform(con, pid)
        if p is None:
            return self.page("error.html", 404, title="No such platform", message=f"{pid} is not in the lexicon")
        names = queries.names(con)
        charts = _platform_charts(p, names, str(self.db), _mtime(self.db))
        return self.page("platform.html", p=p, names=names, charts=charts)

    def platforms_page(self, request: Request, con) -> Response:
        return self.page("platforms.html", rows=queries.platforms(con))

    # ------------------------------------------------------------------ archive access

    def _path(self, archive_path: str) -> Path | None:
        for p in (Path(archive_path), self.archive_root / archive_path, self.db.parent / "archive" / archive_path):
            if p.is_absolute() and p.is_file():
                return p
            if not p.is_absolute() and p.resolve().is_file():
                return p.resolve()
        return None

    def _record(self, archive_path: str, offset: int):
        from lendcorpus.archive import read_record

        path = self._path(archive_path)
        if path is None:
            return None, f"the archive file {archive_path} is not on this machine"
        try:
            return read_record(path, offset), None
        except Exception as exc:  # noqa: BLE001 - a damaged record is shown as such, not a 500
            return None, f"the record at {archive_path}:{offset} could not be read ({type(exc).__name__})"


def _stat(path: Path) -> tuple:
    """What identifies a version of the corpus file (a build changes its size or time)."""
    try:
        st = os.stat(path)
        wal = Path(str(path) + ".wal")
        return (st.st_mtime_ns, st.st_size, os.stat(wal).st_mtime_ns if wal.exists() else 0)
    except OSError:
        return (0, 0, 0)


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _fmt_time(v) -> str:
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(v, dt.date):
        return v.isoformat()
    return "" if v is None else str(v)


def _link(**params) -> str:
    return "/?" + urlencode({k: v for k, v in params.items() if v})


def _platform_charts(p: dict, names: dict, db: str, mtime: float) -> list[dict]:
    """Three small charts (PNG, embedded): complaints per month, practice mix, resolution."""
    key = (db, mtime, p["platform"])
    cached = _CHART_CACHE.get(key)
    if cached is not None:
        return cached
    from matplotlib import rc_context

    from lendcorpus.analysis.report import _png

    family = _font()
    rc = {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.spines.top": False,
          "axes.spines.right": False, "text.parse_math": False, "text.usetex": False}
    charts = []
    with rc_context(rc):
        fig = _chart_figure(3.2, left=0.07, bottom=0.22)
        ax = fig.add_subplot()
        if p["months"]:
            months = [m for m, *_ in p["months"]]
            ax.bar(months, [c for _, c, *_ in p["months"]], width=20, color="#4c78a8", label="complaints")
            ax.bar(months, [r for _, _, r, _ in p["months"]], width=20, color="#54a24b", label="resolved")
            ax.legend(fontsize=8)
            fig.autofmt_xdate()
        else:
            ax.text(0.5, 0.5, "no complaints with a filing time", ha="center", transform=ax.transAxes)
        ax.set_title("Complaints per month (China time)", loc="left", fontsize=11)
        charts.append({"key": "months", "title": "Complaints per month", "png": _png(fig)})
        rows = p["practices"][::-1]
        labels = [f"{c} {names['practice'].get(c, '')}" if family else c for c, *_ in rows]
        height = max(2.4, 0.8 + 0.3 * len(rows))
        # room for the longest label (a CJK character is about twice a Latin one wide)
        width = max((sum(2 if ord(ch) > 0x2e80 else 1 for ch in lab) for lab in labels), default=10)
        fig = _chart_figure(height, left=min(0.55, 0.02 + 0.0105 * width), bottom=0.55 / height + 0.05)
        ax = fig.add_subplot()
        if rows:
            shares = [100 * k / n if n else 0 for _, k, n in rows]
            bars = ax.barh(labels, shares, color="#e45756")
            for bar, (_, k, n), s in zip(bars, rows, shares):
                ax.annotate(f"{s:.0f}% ({k} of {n})", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                            xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
            ax.margins(x=0.25)
            ax.set_xlabel("% of the platform's complaints with full text")
        else:
            ax.text(0.5, 0.5, "no complaint describes a practice", ha="center", transform=ax.transAxes)
        ax.set_title("Practice mix", loc="left", fontsize=11)
        charts.append({"key": "practices", "title": "Practice mix", "png": _png(fig)})
        fig = _chart_figure(1.6, left=0.13, bottom=0.22, top=0.75)
        ax = fig.add_subplot()
        r = p["resolution"] or {"complaints": 0, "resolved": 0}
        ax.barh(["complaints"], [r["complaints"]], color="#bab0ac")
        ax.barh(["complaints"], [r["resolved"]], color="#54a24b")
        share = f"{100 * r['resolved'] / r['complaints']:.0f}%" if r["complaints"] else "n/a"
        ax.set_title(f"Resolved: {r['resolved']} of {r['complaints']} ({share})", loc="left", fontsize=11)
        charts.append({"key": "resolution", "title": "Resolution rate", "png": _png(fig)})
    for c in charts:
        c["uri"] = Markup("data:image/png;base64,") + base64.b64encode(c.pop("png")).decode("ascii")
    _CHART_CACHE[key] = charts
    if len(_CHART_CACHE) > 64:
        _CHART_CACHE.pop(next(iter(_CHART_CACHE)))
    return charts


_CHART_CACHE: dict[tuple, list[dict]] = {}


def _chart_figure(height: float, *, left: float, bottom: float, top: float | None = None):
    """A figure with fixed margins: matplotlib's constrained layout measured every label and
    took about 40 % of a platform page's first load."""
    from matplotlib.figure import Figure

    from lendcorpus.analysis.report import DPI

    fig = Figure(figsize=(8.0, height), dpi=DPI)
    fig.subplots_adjust(left=left, right=0.97, bottom=bottom, top=top or (1 - 0.45 / height))
    return fig


@functools.lru_cache(maxsize=1)
def _font() -> str | None:
    from lendcorpus.analysis.report import find_cjk_font

    return find_cjk_font()


def warm_up() -> None:
    """Import and initialise what the first platform page would otherwise pay for (matplotlib,
    its font cache, the CJK font lookup: about half a second), so that page is fast too."""
    from matplotlib import rc_context

    from lendcorpus.analysis.report import _png

    family = _font()
    with rc_context({"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"]}):
        fig = _chart_figure(1.0, left=0.1, bottom=0.2)
        fig.add_subplot().set_title("借呗 0%")
        _png(fig)


def create_app(db: Path | str, *, show_personal: bool = False, archive_root: Path | None = None) -> Starlette:
    ex = Explorer(db, show_personal=show_personal, archive_root=archive_root)
    routes = [
        Route("/", ex.guarded(ex.search_page)),
        Route("/doc/{doc_id:path}", ex.guarded(ex.document_page)),
        Route("/archive/{doc_id:path}", ex.guarded(ex.archive_page)),
        Route("/archive-body/{doc_id:path}", ex.guarded(ex.archive_body)),
        Route("/archive-record/{doc_id:path}", ex.guarded(ex.archive_record)),
        Route("/platforms", ex.guarded(ex.platforms_page)),
        Route("/platform/{platform}", ex.guarded(ex.platform_page)),
    ]
    app = Starlette(routes=routes)
    app.state.explorer = ex
    return app
