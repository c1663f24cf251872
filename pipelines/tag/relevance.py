"""How much a text is about online lending and debt collection: a score in [0, 1] with evidence.

Weighted counts of topic terms (each term counted at most three times), plus platform and
practice mentions, squashed by 1 - exp(-W / 6). Documents at or above RELEVANCE_THRESHOLD (0.5,
i.e. W >= 4.16) are "relevant" in views and releases (docs/analysis.md explains the choice).

Weights come in tiers:

* 4.5 — words that on their own make a text about lending or collection (催收, 逾期, 还款, 借款,
  协商还款, 爆通讯录 …), and each named platform or detected practice: one is enough, so a short
  forum reply that only says "催收天天打电话" or "平台是分期乐" counts;
* 3 — everyday debt words that need one more signal (欠钱, 借钱, 还钱, 债务, 老赖, 讨债);
* 2.5 — credit words that also turn up in scam warnings (征信, 信用卡) and repayment words
  (还清, 结清, 罚息, 借条);
* 1–1.5 — words with common other senses (分期 付款, 额度, 利息, 上岸 of exams, 协商).

One 催收 gives 0.53; a recipe that mentions 分期 once gives 0.15; a telephone-scam warning that
names 信用卡 once gives 0.34. Look-alike words (上门维修, 通讯录备份, a film's 威胁, a game's 轰炸,
a divorce 律师) are not terms at all; practices count only when the tagger found them, and the
tagger needs collection context for its ambiguous cues.
"""

from __future__ import annotations

import math
import re

RELEVANCE_THRESHOLD = 0.5
RELEVANCE_VERSION = "relevance@2"
PLATFORM_WEIGHT = 4.5
PRACTICE_WEIGHT = 4.5

TERMS: dict[str, float] = {
    # enough on their own
    "催收": 4.5, "逾期": 4.5, "网贷": 4.5, "暴力催收": 4.5, "协商还款": 4.5, "延期还款": 4.5, "停息挂账": 4.5,
    "砍头息": 4.5, "高利贷": 4.5, "套路贷": 4.5, "714高炮": 4.5, "催债": 4.5, "催款": 4.5, "还款": 4.5,
    "借款": 4.5, "贷款": 4.5, "欠款": 4.5, "借贷": 4.5, "爆通讯录": 4.5,
    # need one more signal
    "讨债": 3, "老赖": 3, "债务": 3, "欠钱": 3, "借钱": 3, "还钱": 3, "欠债": 3, "上征信": 3,
    "征信": 2.5, "信用卡": 2.5, "还清": 2.5, "结清": 2.5, "罚息": 2.5, "借条": 2.5, "欠条": 2.5,
    "利息": 1.5, "放款": 1.5, "本金": 1.5, "年化": 1.5, "利率": 1.5,
    "分期": 1, "额度": 1, "上岸": 1, "协商": 1,
}
# other senses of a term, ruled out by what follows it (a developer's 逾期交房 is not a debt)
NOT_FOLLOWED_BY: dict[str, str] = {"逾期": "交房|交付|未交房|居留|滞留|未归|未年检"}
_TERMS_RE = re.compile("|".join(re.escape(t) + (f"(?!{NOT_FOLLOWED_BY[t]})" if t in NOT_FOLLOWED_BY else "")
                                for t in sorted(TERMS, key=len, reverse=True)))


def relevance(text: str, n_platforms: int = 0, n_practices: int = 0) -> tuple[float, dict]:
    """(score, evidence) where evidence = {term: count, "platforms": n, "practices": n}."""
    counts: dict[str, int] = {}
    for m in _TERMS_RE.finditer(text):
        counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    weight = (sum(TERMS[t] * min(n, 3) for t, n in counts.items())
              + PLATFORM_WEIGHT * n_platforms + PRACTICE_WEIGHT * n_practices)
    score = 1.0 - math.exp(-weight / 6.0)
    evidence = dict(sorted(counts.items()))
    if n_platforms:
        evidence["platforms"] = n_platforms
    if n_practices:
        evidence["practices"] = n_practices
    return round(score, 4), evidence
