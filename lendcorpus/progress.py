"""Progress of long commands (crawl, build, release): totals, rate and ETA.

On a terminal the tasks are live rich bars on stderr; anywhere else (a pipe, a log file, cron)
nothing is redrawn and each task prints one plain line per interval and one when it ends, so a
log stays readable with ``grep``. ``LENDCORPUS_PROGRESS=bar|log|off`` overrides the choice.

While bars are live, everything written to ``sys.stderr`` (prints and the logging handlers that
wrote to it) goes through rich's console, which prints it above the bars instead of through them.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TextIO

#: seconds between two plain progress lines of one task (bars redraw on their own)
DEFAULT_INTERVAL = 10.0


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def human_seconds(s: float) -> str:
    s = int(round(s))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}"


def progress_mode(stream: TextIO | None = None) -> str:
    """``bar`` on a terminal, ``log`` otherwise; ``LENDCORPUS_PROGRESS`` (bar, log, off) wins."""
    from lendcorpus.config import get

    forced = str(get("LENDCORPUS_PROGRESS") or "").strip().lower()
    if forced in ("bar", "log", "off"):
        return forced
    stream = stream or sys.stderr
    try:
        return "bar" if stream.isatty() else "log"
    except (AttributeError, ValueError):
        return "log"


class Task:
    """One thing being counted: ``completed`` of ``total`` (None: not known yet) ``unit``."""

    def __init__(self, board: "Progress", label: str, total: float | None, unit: str, interval: float):
        self.board = board
        self.label = label
        self.total = total
        self.unit = unit
        self.completed = 0.0
        self.info = ""
        self.started = time.monotonic()
        self.finished: float | None = None
        self.interval = interval
        self._last_line = self.started
        self._rich_id = None

    # -- numbers ---------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Average since the task started: a slow page does not make it read 0/s."""
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if self.total is None or self.rate <= 0:
            return None
        return max(self.total - self.completed, 0) / self.rate

    def _amount(self, n: float) -> str:
        return human_bytes(n) if self.unit == "bytes" else f"{int(n):,}"

    def line(self) -> str:
        """The plain text of this task, as logged."""
        if self.finished is not None and not self.completed:  # nothing counted (a pass that had no work)
            return f"{self.label}: done in {human_seconds(self.elapsed)}" + (f" · {self.info}" if self.info else "")
        done = self._amount(self.completed)
        unit = "" if self.unit == "bytes" else f" {self.unit}"
        if self.total is not None:
            pct = 100 * self.completed / self.total if self.total else 100.0
            text = f"{self.label}: {done}/{self._amount(self.total)}{unit} ({pct:.0f}%)"
        else:
            text = f"{self.label}: {done}{unit}"
        rate = human_bytes(self.rate) + "/s" if self.unit == "bytes" else f"{self.rate:.1f} {self.unit}/s"
        text += f" · {rate}"
        if self.finished is not None:
            text += f" · done in {human_seconds(self.elapsed)}"
        elif self.eta is not None:
            text += f" · ETA {human_seconds(self.eta)}"
        return text + (f" · {self.info}" if self.info else "")

    # -- changes ---------------------------------------------------------------------------
    def update(self, completed: float | None = None, *, total: float | None = None, advance: float = 0,
               info: str | None = None) -> None:
        if completed is not None:
            self.completed = completed
        self.completed += advance
        if total is not None:
            self.total = total
        if info is not None:
            self.info = info
        self.board._changed(self)

    def advance(self, n: float) -> None:
        self.update(advance=n)

    def done(self, info: str | None = None) -> None:
        """Mark finished; the final line is always printed (bars: left on screen)."""
        if self.finished is not None:
            return
        if info is not None:
            self.info = info
        if self.total is None:
            self.total = self.completed
        self.finished = time.monotonic()
        self.board._finished(self)


class Progress:
    """A set of tasks shown as bars (terminal) or as plain lines (logs). Thread-safe enough for a
    reactor thread plus rich's refresh thread; one per process (``shared()``)."""

    def __init__(self, mode: str | None = None, stream: TextIO | None = None, interval: float = DEFAULT_INTERVAL):
        self.stream = stream or sys.stderr
        self.mode = mode or progress_mode(self.stream)
        self.interval = interval
        self._lock = threading.RLock()
        self._rich = None
        self._active: list[Task] = []
        self._swapped: list[tuple[logging.StreamHandler, TextIO]] = []

    # -- tasks -----------------------------------------------------------------------------
    def task(self, label: str, total: float | None = None, unit: str = "items", *,
             interval: float | None = None) -> Task:
        t = Task(self, label, total, unit, self.interval if interval is None else interval)
        with self._lock:
            self._active.append(t)
            if self.mode == "bar":
                self._start_rich()
                t._rich_id = self._rich.add_task(label, total=total, unit=unit, info="", completed=0)
        return t

    def print(self, text: str) -> None:
        """A line of our own (start of a pass, a summary): above the bars, or plainly."""
        if self.mode == "off":
            return
        with self._lock:
            if self._rich is not None:
                self._rich.console.print(text, markup=False, highlight=False, soft_wrap=True)
            elif logging.getLogger().handlers and self.stream is sys.stderr:
                # a process whose log is configured (a crawl: Scrapy's handler, maybe LOG_FILE):
                # progress lines go where its log goes, with its timestamps
                logging.getLogger("lendcorpus.progress").info(text)
            else:
                print(text, file=self.stream, flush=True)

    def close(self) -> None:
        with self._lock:
            for t in list(self._active):
                t.done()
            self._stop_rich()

    # -- internals -------------------------------------------------------------------------
    def _changed(self, t: Task) -> None:
        with self._lock:
            if self.mode == "bar" and self._rich is not None and t._rich_id is not None:
                self._rich.update(t._rich_id, completed=t.completed, total=t.total, info=t.info)
            elif self.mode == "log" and time.monotonic() - t._last_line >= 0.9 * t.interval:
                t._last_line = time.monotonic()
                self.print(t.line())

    def _finished(self, t: Task) -> None:
        with self._lock:
            if self.mode == "bar" and self._rich is not None and t._rich_id is not None:
                self._rich.update(t._rich_id, completed=t.completed, total=t.total, info=t.info)
            elif self.mode == "log":
                self.print(t.line())
            if t in self._active:
                self._active.remove(t)
            if not self._active:
                self._stop_rich()

    def _start_rich(self) -> None:
        if self._rich is not None:
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress as RichProgress, TextColumn, TimeRemainingColumn

        console = Console(file=self.stream)
        from rich.text import Text

        class TwoLines(RichProgress):
            """Each task's bar, then its details on a line of their own (they do not fit beside it)."""

            def get_renderables(self):
                for t in self.tasks:
                    yield self.make_tasks_table([t])
                    if t.fields.get("info"):
                        yield Text("  " + t.fields["info"], style="dim")

        self._rich = TwoLines(
            TextColumn("{task.description}"), BarColumn(bar_width=30), _AmountColumn(), _RateColumn(),
            TextColumn("ETA"), TimeRemainingColumn(),
            console=console, redirect_stderr=True, redirect_stdout=False, refresh_per_second=4,
        )
        self._rich.start()
        # Logging handlers keep the stream they were made with: point those writing to the real
        # stderr at rich's proxy, so log lines appear above the bars instead of tearing them.
        proxy = sys.stderr
        for h in logging.getLogger().handlers:
            if isinstance(h, logging.StreamHandler) and h.stream in (self.stream, sys.__stderr__):
                self._swapped.append((h, h.setStream(proxy)))

    def _stop_rich(self) -> None:
        if self._rich is None:
            return
        rich, self._rich = self._rich, None
        rich.stop()
        for h, old in self._swapped:
            h.setStream(old)
        self._swapped = []


def _rich_columns():
    from rich.progress import ProgressColumn
    from rich.text import Text

    class AmountColumn(ProgressColumn):
        def render(self, task):
            unit = task.fields.get("unit", "")
            fmt = human_bytes if unit == "bytes" else (lambda n: f"{int(n):,}")
            total = "?" if task.total is None else fmt(task.total)
            return Text(f"{fmt(task.completed)}/{total}{'' if unit == 'bytes' else ' ' + unit}")

    class RateColumn(ProgressColumn):
        def render(self, task):
            unit = task.fields.get("unit", "")
            elapsed = task.elapsed or 0
            rate = task.completed / elapsed if elapsed > 0 else 0.0
            return Text(f"{human_bytes(rate)}/s" if unit == "bytes" else f"{rate:.1f}/s")

    return AmountColumn, RateColumn


class _Lazy:
    """rich column classes made on first use (rich is imported only when bars are drawn)."""

    def __init__(self, index: int):
        self.index = index

    def __call__(self, *a, **kw):
        return _rich_columns()[self.index](*a, **kw)


_AmountColumn = _Lazy(0)
_RateColumn = _Lazy(1)

_shared: Progress | None = None


def shared() -> Progress:
    """The process's progress board (several crawlers of one `crawl all` share one set of bars)."""
    global _shared
    if _shared is None:
        _shared = Progress()
    return _shared
