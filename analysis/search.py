"""Search results as readers see them: the snippet around the first query word."""

from __future__ import annotations


def snippet(text: str, words: list[str], width: int = 36) -> str:
    """Text around the first query word found, the word in 【】; the opening when none is found."""
    flat = " ".join(text.split())
    for w in words:
        i = flat.find(w)
        if i >= 0:
            start = max(0, i - width)
            end = min(len(flat), i + len(w) + width)
            return ("…" if start else "") + flat[start:i] + "【" + w + "】" + flat[i + len(w):end] + \
                ("…" if end < len(flat) else "")
    return flat[: 2 * width] + ("…" if len(flat) > 2 * width else "")
