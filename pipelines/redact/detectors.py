"""Detectors for personal data in Chinese text: patterns plus the checks that make them precise.

Each detector finds candidate spans with a regular expression and then validates them (ID-number
checksum, Luhn for bank cards, surname list for names, cue words for QQ/WeChat). Context decides
the tricky negatives: an 11-digit number after 订单号/投诉编号 is an order number, not a phone;
digits inside a URL belong to the URL. Everything here is pure and stateless so the release can
run it in worker processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: type code -> placeholder written into the text (CFPB style: the kind of data stays readable).
PLACEHOLDERS: dict[str, str] = {
    "mobile": "[手机号]",
    "landline": "[座机号]",
    "id_card": "[身份证号]",
    "bank_card": "[银行卡号]",
    "email": "[邮箱]",
    "qq": "[QQ号]",
    "wechat": "[微信号]",
    "name": "[姓名]",
    "address": "[地址]",
    "plate": "[车牌号]",
    "handle": "[用户名]",
    "publisher_contact": "",  # a farm's footer contact is boilerplate: removed, not marked
}

#: Types a release's final gate looks for (the same detectors, run over the written text).
GATE_TYPES = tuple(t for t in PLACEHOLDERS if t not in ("handle", "publisher_contact"))


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected span: [start, end) of the text, its type; never logged with its value."""

    start: int
    end: int
    kind: str


# Digits may be written full-width by some sites; detectors run on text where they are ASCII
# (the normaliser folds them), but the patterns accept both to be safe.
_D = "[0-9０-９]"
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z０-９_])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z０-９_])"

# Words that make a following number an order/complaint/tracking number or an amount, not a person's.
_ORDER_CUES = re.compile(
    r"(?:订单|单号|编号|流水|运单|快递|工单|合同号|合同编号|批次|交易号|凭证|序号|案号|文号|票号|账单号|"
    r"ID|Id|id|No\.?|NO\.?|sn|SN|尾号|末尾|末四位|后四位|工号|编码|代码|条码|密码|验证码)\s*[:：#]?\s*$"
)
_BANK_CUES = re.compile(r"(?:卡号|银行卡|借记卡|信用卡|储蓄卡|账号|帐号|账户|帐户|收款账号|打款到|转账到|户)\s*[:：]?\s*$")

URL_RE = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff01-\uff0f\uff1a-\uff20<>\"'）)]+", re.I)
EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,10}(?![A-Za-z])")

ID_CARD_RE = re.compile(
    _NOT_ALNUM_BEFORE + r"([1-9]\d{5})[ ]?((?:18|19|20)\d{2})[ ]?((?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))[ ]?(\d{3}[0-9Xx])"
    + _NOT_ALNUM_AFTER
)
# 16-19 digits, either solid or in groups of four separated by one space or hyphen.
BANK_RE = re.compile(_NOT_ALNUM_BEFORE + r"(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)" + _NOT_ALNUM_AFTER)
MOBILE_RE = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(?:(?:\+|00)?86[ -]?|\(\+?86\)[ -]?)?"
    + r"1[3-9]\d(?:\d{8}|[ -]\d{4}[ -]\d{4}|\d{4}[ -]\d{4}|[ -]\d{8})"
    + _NOT_ALNUM_AFTER
)
LANDLINE_RE = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(?:(?:(?:\+|00)86[ -]?(?:\(0?\d{2,3}\)|0?\d{2,3})|\(0\d{2,3}\)|0\d{2,3})[ -]?)"
    + r"[1-9]\d{2,3}[ -]?\d{4}(?:[ -]?(?:转|ext\.?|-)\s?\d{1,5})?"
    + _NOT_ALNUM_AFTER
)
_QQ_CUE = r"(?:QQ|Qq|qq|ＱＱ|扣扣|企鹅)(?:号码|号|群)?"
QQ_RE = re.compile(_QQ_CUE + r"\s*(?:是|为|[:：])?\s*([1-9]\d{4,11})" + _NOT_ALNUM_AFTER)
_WX_CUE = r"(?:微信|威信|薇信|V信|v信|微心|WeChat|wechat|Wechat|weixin|vx|VX|wx|WX)(?:号码|号|账号|ID|id)?"
WECHAT_RE = re.compile(
    _WX_CUE + r"\s*(?:是|为|[:：])?\s*((?:[A-Za-z][-_A-Za-z0-9]{5,19}|1[3-9]\d{9}|[1-9]\d{5,11}))" + _NOT_ALNUM_AFTER
)

# Names: a cue word, then a common surname and one or two given-name characters.
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝"
    "路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_SURNAMES_2 = "欧阳|司马|上官|诸葛|东方|皇甫|令狐|慕容|尉迟|长孙|宇文|司徒|夏侯|公孙|端木|独孤"
# Characters that end a name candidate: function words and common verbs after a name.
_NAME_STOP = "的是在了今年和与及我你他她它们说从因被把向给就也都还已曾欠借逾为于到从之而但却又再很太有没不"
_GIVEN = rf"[\u4e00-\u9fff](?<![{_NAME_STOP}])"
# Cues that introduce a name directly (我叫张三), and role nouns that need a separator first
# (借款人：张三, 联系人是张三) — without it "借款人应…" would read as a name.
_NAME_CUES = r"(?:(?:姓名|真实姓名|名字叫|名字是|我叫|本人叫|本人姓名)\s*(?:是|为|[:：])?" \
    r"|(?:联系人|收件人|借款人|持卡人|户名|开户名|债务人|欠款人|当事人)\s*(?:是|为|[:：]))"
NAME_RE = re.compile(
    _NAME_CUES + r"\s*((?:" + _SURNAMES_2 + rf"|[{_SURNAMES_1}])" + _GIVEN + "(?:" + _GIVEN + ")?)"
)

# Addresses: street + house number (+ building/unit/room), or building/unit/room alone.
_STREET_CH = r"[\u4e00-\u9fff](?<![省市区县镇乡村在住于到是的和与及了从往去来址])"
_UNITS = r"(?:\s*\d{1,4}\s*(?:号楼|栋|幢|座|单元|楼|层|室|号|户))"
ADDRESS_RE = re.compile(
    "(?:(?:" + _STREET_CH + "){1,8}(?:大街|大道|路|街|巷|弄|胡同|里))" + r"\s*\d{1,5}(?:-\d{1,5})?\s*号(?:院)?" + _UNITS + "*"
    + "|" + r"(?<![\d第])\d{1,4}\s*(?:号楼|栋|幢)" + r"(?:\s*\d{1,3}\s*单元)?\s*\d{1,5}\s*(?:室|号|户)"
)
PLATE_RE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"[A-HJ-NP-Z][·• -]?(?=[A-HJ-NP-Z0-9]{0,5}\d)[A-HJ-NP-Z0-9]{5,6}" + _NOT_ALNUM_AFTER
)
MENTION_RE = re.compile(r"(?<![A-Za-z0-9._%+-])@([^\s@，。！？、：；:;,.!?（）()\[\]【】\"“”]{1,20})")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(digits: str) -> bool:
    """The GB 11643 check character of an 18-character resident ID number."""
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(digits[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == digits[17].upper()


def id_check_char(first17: str) -> str:
    """The check character for 17 digits (tests use it to make invented, valid-looking numbers)."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def luhn_ok(digits: str) -> bool:
    """Luhn check used by bank cards (UnionPay included)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = ord(c) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _before(text: str, start: int, width: int = 10) -> str:
    return text[max(0, start - width):start]


def _in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    for a, b in spans:
        if a <= pos < b:
            return True
    return False


def find(text: str) -> list[Finding]:
    """Every personal-data span in ``text``, non-overlapping, in order (higher-priority types win)."""
    if not text:
        return []
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    urls = [m.span() for m in URL_RE.finditer(text)] if ("http" in text or "www." in text) else []

    def add(start: int, end: int, kind: str) -> None:
        for a, b in taken:
            if start < b and a < end:
                return
        taken.append((start, end))
        found.append(Finding(start, end, kind))

    if "@" in text:
        for m in EMAIL_RE.finditer(text):
            if not _in_spans(m.start(), urls):
                add(m.start(), m.end(), "email")
    has_digit = any(c.isdigit() for c in text) if len(text) < 64 else _DIGIT_RE.search(text) is not None
    if has_digit:
        for m in ID_CARD_RE.finditer(text):
            raw = "".join(m.groups())
            if id_checksum_ok(raw) and not _in_spans(m.start(), urls) and not _ORDER_CUES.search(_before(text, m.start())):
                add(m.start(), m.end(), "id_card")
        for m in QQ_RE.finditer(text):
            add(m.start(1), m.end(1), "qq")
        for m in WECHAT_RE.finditer(text):
            add(m.start(1), m.end(1), "wechat")
        for m in BANK_RE.finditer(text):
            digits = m.group().replace(" ", "").replace("-", "")
            if not (16 <= len(digits) <= 19) or _in_spans(m.start(), urls):
                continue
            before = _before(text, m.start())
            if _ORDER_CUES.search(before):
                continue
            if luhn_ok(digits) and (digits[0] in "3456" or digits[:2] == "62" or _BANK_CUES.search(before)):
                add(m.start(), m.end(), "bank_card")
        for m in MOBILE_RE.finditer(text):
            if _in_spans(m.start(), urls) or _ORDER_CUES.search(_before(text, m.start())):
                continue
            add(m.start(), m.end(), "mobile")
        for m in LANDLINE_RE.finditer(text):
            if _in_spans(m.start(), urls) or _ORDER_CUES.search(_before(text, m.start())):
                continue
            add(m.start(), m.end(), "landline")
        for m in ADDRESS_RE.finditer(text):
            add(m.start(), m.end(), "address")
        for m in PLATE_RE.finditer(text):
            if not _in_spans(m.start(), urls):
                add(m.start(), m.end(), "plate")
    else:
        for m in WECHAT_RE.finditer(text):
            add(m.start(1), m.end(1), "wechat")
    for m in NAME_RE.finditer(text):
        add(m.start(1), m.end(1), "name")
    if "@" in text:
        for m in MENTION_RE.finditer(text):
            if not _in_spans(m.start(), urls):
                add(m.start(1), m.end(1), "handle")
    found.sort(key=lambda f: f.start)
    return found


_DIGIT_RE = re.compile(r"\d")
