"""Field values as Chinese platforms write them: amounts, times, counts.

Shared by every source parser so ``2.3万元`` means the same thing on every platform.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from lendcorpus.pipelines.extract.dates import CHINA, parse_date

_AMOUNT_RE = re.compile(r"([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(万|萬|千|百|亿|億)?\s*(元|块|塊|圆|圓|人民币|rmb)?", re.I)
_UNITS = {"万": 1e4, "萬": 1e4, "千": 1e3, "百": 1e2, "亿": 1e8, "億": 1e8}


def parse_amount(text: str | None) -> float | None:
    """Yuan as a float: ``2.3万元`` → 23000.0, ``1,200元`` → 1200.0; None when no number."""
    if not text:
        return None
    m = _AMOUNT_RE.search(str(text))
    if not m:
        return None
    try:
        value = float(m.group(1).replace(",", "").replace("，", ""))
    except ValueError:
        return None
    return round(value * _UNITS.get(m.group(2) or "", 1.0), 2)


_RELATIVE_RE = re.compile(r"(\d+)\s*(秒|分钟|分鐘|小时|小時|天)前")


def parse_time(value, now: datetime | None = None) -> datetime | None:
    """A timezone-aware datetime from unix seconds or milliseconds, ISO text, Chinese layouts
    (``2024年5月17日 09:32``), ``今天 09:32``/``昨天`` and ``5分钟前`` (relative to ``now``).

    No wall clock: parsers pass the fetch time as ``now``; without it a relative time is None
    (the same stored page must always give the same rows)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        n = float(value)
        if n > 1e12:  # milliseconds
            n /= 1000.0
        if n < 1e8:
            return None
        return datetime.fromtimestamp(n, timezone.utc)
    text = str(value).strip()
    m = _RELATIVE_RE.search(text)
    if m:
        if now is None:
            return None
        n = int(m.group(1))
        unit = m.group(2)
        delta = {"秒": timedelta(seconds=n), "天": timedelta(days=n)}.get(unit)
        if delta is None:
            delta = timedelta(minutes=n) if unit.startswith("分") else timedelta(hours=n)
        return now - delta
    for word, days in (("今天", 0), ("昨天", 1), ("前天", 2)):
        if text.startswith(word):
            if now is None:
                return None
            now = now.astimezone(CHINA)
            hm = re.search(r"(\d{1,2}):(\d{2})", text)
            day = (now - timedelta(days=days)).date()
            h, mi = (int(hm.group(1)), int(hm.group(2))) if hm else (0, 0)
            return datetime(day.year, day.month, day.day, h, mi, tzinfo=CHINA)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=CHINA)
    except ValueError:
        pass
    return parse_date(text)


def parse_int(value) -> int | None:
    """Counts such as ``"1.2万"``, ``"356"``, ``12``; None when absent or not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    amount = parse_amount(str(value))
    return int(amount) if amount is not None else None
