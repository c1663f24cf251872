"""What the project decides is NOT personal data: the one rule the scrubber and the gate share.

Detection is done twice by independent code (``detectors`` for scrubbing, ``gate`` for the final
check), but both must agree on which numbers are ids of things rather than of people, or the gate
would refuse every release that quotes a complaint number. That agreement lives here, as data:

- A number right after a *thing-id cue* (订单号, 投诉编号, 流水号, 合同编号, 工号, 尾号 …) is an
  id of an order, complaint, contract or employee: kept.
- 黑猫投诉 complaint numbers (sn) are 11 digits that start with 17 or 18 — the same shape as a mobile
  number (173…, 18x… are real mobile prefixes). Text cannot tell them apart by shape, so in running
  text an 11-digit number is a *phone* unless a thing-id cue precedes it (投诉编号17390396995,
  投诉单号…, sn=…) or it sits in a URL (…/complaint/view/17390396995/). Bare 投诉 is not a cue:
  "投诉13800138000" (complaining about a caller's number) is common. In the
  id columns (complaint_id `heimao:{sn}`, native_id, url) the sn is never scanned. Over-redacting
  an uncued sn costs a lookup key; leaving a phone in clear costs a person.
- IPv4 addresses are kept (139.224.13.100 would otherwise join into a mobile-shaped 11 digits).
- Public service numbers are kept: 400/800 hotlines and 5-digit 95xxx/96xxx/12xxx numbers.
"""

from __future__ import annotations

import re

#: Words after which a number names a thing (order, complaint, contract, case, employee), not a person.
THING_ID_CUES = (
    "订单号", "订单编号", "订单", "单号", "编号", "流水号", "流水", "运单", "快递单", "工单", "合同号", "合同编号",
    "批次", "交易号", "交易单号", "凭证号", "凭证", "序号", "案号", "文号", "票号", "账单号", "商户单号",
    "投诉编号", "投诉单号", "投诉号", "工号", "编码", "代码", "条码", "密码", "验证码", "尾号", "末尾",
    "末四位", "后四位", "版本号", "备案号", "ICP备", "ICP证", "索引号", "登记号", "注册号", "许可证号", "专利号",
    "发票号", "档案号", "批准文号", "书号", "ISBN", "ID", "Id", "id", "No.", "NO.", "No", "NO", "sn", "SN",
)

_CUE_ALT = "|".join(sorted((re.escape(c) for c in THING_ID_CUES), key=len, reverse=True))
#: Matches at the END of the text before a number (allowing ``：:#=`` and spaces between).
THING_ID_BEFORE = re.compile(r"(?:" + _CUE_ALT + r")\s*(?:是|为)?\s*[:：#=＝]?\s*$")

_SPACES = re.compile(r"\s+")  # pages space out labels: 索  引 号

#: Public hotlines: kept wherever they appear.
PUBLIC_NUMBER = re.compile(r"^(?:400|800)\d{7}$|^(?:95|96)\d{3,4}$|^12\d{3}$")


#: IPv4 addresses are machine addresses, not phone numbers (139.224.13.100 joins to 11 digits).
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")


def is_thing_id(before: str) -> bool:
    """True when ``before`` (the text right before a number, ~12 chars) ends with a thing-id cue."""
    return THING_ID_BEFORE.search(_SPACES.sub("", before)) is not None
