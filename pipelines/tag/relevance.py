"""How much a text is about online lending and debt collection: a score in [0, 1] with evidence.

Weighted counts of topic terms (each term counted at most three times), plus platform and
practice mentions, squashed by 1 - exp(-W / 6). One 催收 and one 逾期 (W = 6) give 0.63; a
recipe that mentions 分期 once gives 0.15. Documents at or above RELEVANCE_THRESHOLD are
"relevant" in views and releases (docs/analysis.md explains the choice).
"""

from __future__ import annotations

import math
import re

RELEVANCE_THRESHOLD = 0.5
RELEVANCE_VERSION = "relevance@1"

TERMS: dict[str, float] = {
    "催收": 3, "逾期": 3, "网贷": 3, "暴力催收": 3, "协商还款": 3, "砍头息": 3, "高利贷": 3, "套路贷": 3,
    "714高炮": 3, "延期还款": 2, "借款": 2, "贷款": 2, "还款": 2, "欠款": 2, "借贷": 2, "债务": 2,
    "征信": 1.5, "利息": 1, "分期": 1, "额度": 1, "放款": 1, "信用卡": 1, "催债": 3, "讨债": 2,
}
_TERMS_RE = re.compile("|".join(sorted(map(re.escape, TERMS), key=len, reverse=True)))


def relevance(text: str, n_platforms: int = 0, n_practices: int = 0) -> tuple[float, dict]:
    """(score, evidence) where evidence = {term: count, "platforms": n, "practices": n}."""
    counts: dict[str, int] = {}
    for m in _TERMS_RE.finditer(text):
        counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    weight = sum(TERMS[t] * min(n, 3) for t, n in counts.items()) + 3 * n_platforms + 3 * n_practices
    score = 1.0 - math.exp(-weight / 6.0)
    evidence = dict(sorted(counts.items()))
    if n_platforms:
        evidence["platforms"] = n_platforms
    if n_practices:
        evidence["practices"] = n_practices
    return round(score, 4), evidence
