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

Finance and fraud news that is not about lending and collection (relevance@3): a bond-market or
banking article is full of 贷款, 利率, 债务; a telephone-scam story names 信用卡 and 征信 and trips
practice cues (冒充公检法). What such pages lack is the vocabulary of a debt being collected from
a person: CORE_TERMS (催收, 逾期, 网贷, 还款, 欠款, 欠钱, 老赖, 借条...) or a lending platform. Without
either, the finance words and the practices found are evidence only as far as the text is short
(a forum reply, a complaint line): their weight is scaled by min(1, SHORT_TEXT / length), and by
OTHER_NEWS_SCALE when the text speaks the language of market news or scam warnings (债券, 央行,
收益率; 诈骗, 被骗, 安全账户). A lending article or complaint always has a core term; a page
without one is about something else. Measured on real off-topic pages of ../shared/eval
(docs/analysis.md).
"""

from __future__ import annotations

import math
import re

RELEVANCE_THRESHOLD = 0.5


def relevant_sql(alias: str = "t") -> str:
    """The one definition of "relevant" in SQL, over ``document_tags`` as ``alias``: scored at or
    above the threshold by the tagging pass (``relevant``); a document the pass has not tagged
    is not relevant. The views use the same rule as the ``is_relevant`` macro
    (datasets/views/00_relevance.sql); tests/test_schema.py keeps the two equal."""
    return f"coalesce({alias}.relevant, false)"
RELEVANCE_VERSION = "relevance@3"
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
#: the words of a debt being collected from a person; everything else in TERMS is also finance
#: vocabulary (贷款, 借款, 利率, 债务, 征信, 信用卡...) that banking and scam news use
CORE_TERMS = frozenset({
    "催收", "逾期", "网贷", "暴力催收", "协商还款", "延期还款", "停息挂账", "砍头息", "高利贷", "套路贷", "714高炮", "催债",
    "催款", "还款", "欠款", "爆通讯录", "讨债", "老赖", "欠钱", "借钱", "还钱", "欠债", "上征信", "还清", "结清", "罚息",
    "借条", "欠条"})
#: without a core term or a platform, finance words and practices count in full only up to this length
SHORT_TEXT = 600
#: the vocabulary of market and banking news, and of scam warnings; two distinct ones in a text
#: without a core term scale finance words and practices down to OTHER_NEWS_SCALE at most
OTHER_NEWS = re.compile(
    "债券|国债|收益率|央行|降准|降息|流动性|信贷|股市|A股|股指|基金|证券|宏观|GDP|通胀|货币政策|银行间|城投|违约|"
    "投资者|上市公司|融资|发行|经济学|金融市场|"
    "诈骗|骗子|被骗|受骗|骗局|反诈|安全账户|洗钱|警方提醒|民警提醒|冒充客服|转账")
OTHER_NEWS_SCALE = 0.25
# other senses of a term, ruled out by what follows it (a developer's 逾期交房 is not a debt; an
# application form's 逾期不予受理 is a deadline)
NOT_FOLLOWED_BY: dict[str, str] = {"逾期": "交房|交付|未交房|居留|滞留|未归|未年检|不予|不候|不再|作废|无效|视为"}
_TERMS_RE = re.compile("|".join(re.escape(t) + (f"(?!{NOT_FOLLOWED_BY[t]})" if t in NOT_FOLLOWED_BY else "")
                                for t in sorted(TERMS, key=len, reverse=True)))


def relevance(text: str, n_platforms: int = 0, n_practices: int = 0) -> tuple[float, dict]:
    """(score, evidence) where evidence = {term: count, "platforms": n, "practices": n[, "scaled": f]}."""
    counts: dict[str, int] = {}
    for m in _TERMS_RE.finditer(text):
        counts[m.group(0)] = counts.get(m.group(0), 0) + 1
    core = n_platforms > 0 or any(t in CORE_TERMS for t in counts)
    scale = 1.0 if core or not text else min(1.0, SHORT_TEXT / len(text))
    if not core and scale > OTHER_NEWS_SCALE and len({m.group(0) for m in OTHER_NEWS.finditer(text)}) >= 2:
        scale = OTHER_NEWS_SCALE
    weight = (sum(TERMS[t] * min(n, 3) * (1.0 if t in CORE_TERMS else scale) for t, n in counts.items())
              + PLATFORM_WEIGHT * n_platforms + PRACTICE_WEIGHT * n_practices * scale)
    score = 1.0 - math.exp(-weight / 6.0)
    evidence: dict = dict(sorted(counts.items()))
    if scale < 1.0:
        evidence["scaled"] = round(scale, 3)  # no core term: a long text, or market / scam news
    if n_platforms:
        evidence["platforms"] = n_platforms
    if n_practices:
        evidence["practices"] = n_practices
    return round(score, 4), evidence
