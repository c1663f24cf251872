"""Publication dates from page text: site formats first, then ISO 8601, then common Chinese layouts.

The time of day is kept whenever the text has one ("2005-04-05 06:40", "2022-02-13T07:48:00+08:00",
"2023年1月5日 下午3时20分"); a date alone means midnight China time. An offset in the text is
honoured (ISO strings from JSON-LD and meta tags); otherwise the time is China time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))

_PATTERNS = [
    re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
               r"(?:(?:T|\s*)(?:(上午|下午|AM|PM)\s*)?(\d{1,2})\s*[:：时点]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?",
               re.I),
]
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_date(text: str, formats: tuple[str, ...] = ()) -> datetime | None:
    """A timezone-aware datetime (China time unless the text says otherwise), or None."""
    if not text:
        return None
    text = text.strip()
    for fmt in formats:
        try:
            dt = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return dt if dt.tzinfo else dt.replace(tzinfo=CHINA)
    if _ISO.match(text):
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            dt = None
        if dt is not None:
            return dt if dt.tzinfo else dt.replace(tzinfo=CHINA)
    for pat in _PATTERNS:
        m = pat.search(text)
        if not m:
            continue
        y, mo, d, ampm, h, mi, s = m.groups()
        hour = int(h) if h else 0
        if ampm and ampm.upper() in ("下午", "PM") and hour < 12:
            hour += 12
        try:
            return datetime(int(y), int(mo), int(d), hour, int(mi) if mi else 0, int(s) if s else 0, tzinfo=CHINA)
        except ValueError:
            return None
    return None
