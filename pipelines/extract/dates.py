"""Publication dates from page text: site formats first, then common Chinese layouts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))

_PATTERNS = [
    re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?)?"),
]


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
    for pat in _PATTERNS:
        m = pat.search(text)
        if not m:
            continue
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime(y, mo, d, h, mi, s, tzinfo=CHINA)
        except ValueError:
            return None
    return None
