"""Detectors for personal data in Chinese text: patterns plus the checks that make them precise.

Detection runs on a *shadow* of the text: the same length, one character for one, with the
obfuscations people use on Chinese platforms undone — full-width digits and letters folded to
ASCII, Chinese numerals (一二三, 〇/零, 幺, capital 壹贰叁, circled ①②) turned into digits, ＠ into @.
Because the shadow has the same length, every span found in it is a span of the original text.
Digit runs may carry separators (spaces, dots, dashes): they are split into groups and the longest
run of groups that has the shape of a phone, ID or card number is taken.

Context decides the tricky negatives (see ``policy``): a number after 订单号/投诉编号 is a thing's
id, not a person's; digits inside a URL belong to the URL; hotlines are public. Shape beats
checksums: an 18-digit number with a valid birth date is an ID number even when its check
character is wrong, and 16–19 digits after a card cue are a card even when Luhn fails (typos and
deliberate changes are common; over-redaction is the safe side). Everything here is pure and
stateless so the release can run it in worker processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lendcorpus.pipelines.redact.policy import IPV4, PUBLIC_NUMBER, is_thing_id

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


# --- the shadow: same length as the text, obfuscations undone -------------------------------------
# Always mapped: full-width forms, circled digits, capital numerals and 幺 (only ever numbers).
_SHADOW_PAIRS = {
    "0": "⓪０", "1": "壹弌幺①１", "2": "贰貳弍②２", "3": "叁參叄弎③３", "4": "肆④４",
    "5": "伍⑤５", "6": "陆陸⑥６", "7": "柒⑦７", "8": "捌⑧８", "9": "玖⑨９",
    "@": "＠", ".": "．", "-": "－", "_": "＿", " ": "\u3000\u00a0", "(": "（", ")": "）", "[": "［", "]": "］",
    "+": "＋", "#": "＃", ":": "：",
}
_SHADOW_TABLE = {ord(c): t for t, cs in _SHADOW_PAIRS.items() for c in cs}
_SHADOW_TABLE.update({0xFF21 + i: 0x41 + i for i in range(26)})
_SHADOW_TABLE.update({0xFF41 + i: 0x61 + i for i in range(26)})
_SHADOW_RE = re.compile("[" + "".join(sorted(re.escape(chr(k)) for k in _SHADOW_TABLE)) + "]+")


def _shadow_run(m: re.Match) -> str:
    return m.group().translate(_SHADOW_TABLE)


# Everyday numerals (一直, 三个) are digits only next to other digits or numerals: in a sequence of
# two or more. One exception: a single 一…九 right after an ASCII digit and before a Han character
# starts the next word (13800138000一直), unless a numeral came before it (…九幺四给).
_CN_DIGITS = "零〇○◯一二三四五六七八九"
_CN_TABLE = {ord(c): "0123456789"[max(0, "〇一二三四五六七八九".find(c))] for c in _CN_DIGITS}
_CN_SEQ_RE = re.compile(f"(?:[0-9](?:[ .\\-]?[0-9])*[ .\\-]?[{_CN_DIGITS}]|[{_CN_DIGITS}][ .\\-]?[{_CN_DIGITS}0-9])"
                        f"(?:[ .\\-]?[{_CN_DIGITS}0-9])*")
_CN_ANY_RE = re.compile(f"[{_CN_DIGITS}]")


def _numerals(text: str, s: str) -> str:
    def repl(m: re.Match) -> str:
        g = m.group()
        if not _CN_ANY_RE.search(g):
            return g
        out = g.translate(_CN_TABLE)
        end = m.end()
        if (g[-1] in "一二三四五六七八九" and len(g) >= 2 and g[-2].isdigit() and text[end - 2] in "0123456789０１２３４５６７８９"
                and end < len(s) and "\u4e00" <= s[end] <= "\u9fff"):
            out = out[:-1] + g[-1]
        return out
    return _CN_SEQ_RE.sub(repl, s)


_OH_RE = re.compile(r"(?<![A-Za-z])\d[\dOo]{5,}(?![A-Za-z])")  # 138OO138OOO: letter O written for zero


def _oh(m: re.Match) -> str:
    g = m.group()
    return g.replace("O", "0").replace("o", "0") if sum(c.isdigit() for c in g) >= 5 else g


def shadow(text: str) -> str:
    """``text`` with each obfuscated character replaced by its plain form; same length, same offsets."""
    s = _SHADOW_RE.sub(_shadow_run, text)  # str.translate with a dict costs ~40 µs per 200 Han characters
    if _CN_ANY_RE.search(s):
        s = _numerals(text, s)
    if "O" in s or "o" in s:
        s = _OH_RE.sub(_oh, s)
    return s


# Patterns below run on the shadow: digits and letters are ASCII, ＠ is @, full-width brackets are ASCII.
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z_])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z_])"
#: What people put between digits to dodge filters: spaces, dots, dashes, slashes, middle dots.
_SEP = r"[ \t.\-_·•~/—–‐‑‒・]"

_BANK_CUES = re.compile(r"(?:卡号|银行卡|借记卡|信用卡|储蓄卡|还款卡|收款卡|账号|帐号|账户|帐户|打款到|转账到|汇款到|转到|户)"
                        r"\s*(?:是|为)?\s*[:：]?\s*$")
_ID_CUES = re.compile(r"(?:身份证|身份证号|身份证号码|证件号|证件号码|身份号码|证号)\s*(?:是|为)?\s*[:：]?\s*$")
_PHONE_CUES = re.compile(r"(?:电话|手机|手机号|号码|联系方式|tel|Tel|TEL|致电|拨打|来电)\s*(?:是|为)?\s*[:：]?\s*$")

URL_RE = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff01-\uff0f\uff1a-\uff20<>\"'）)]+", re.I)
EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,10}(?![A-Za-z])")
# "name at 126 dot com", "name(at)qq.com", "name#163.com", "name 艾特 qq 点 com": the @ and dots spelled out.
_AT = r"(?:\s*(?:@|\(at\)|\[at\]|\{at\}|<at>|艾特|圈a|#)\s*|\s+at\s+)"
_DOT = r"(?:\s*(?:\.|\(dot\)|\[dot\]|\{dot\}|点)\s*|\s+dot\s+)"
_TLD = r"(?:com|cn|net|org|edu|gov|cc|info|me|io|co|top|vip|hk|tw|xyz)"
OBF_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}" + _AT + r"[A-Za-z0-9-]{1,63}"
                          + "(?:" + _DOT + r"[A-Za-z0-9-]{1,63}){0,3}?" + _DOT + _TLD + r"(?![A-Za-z])", re.I)

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
    + r"(?![0-9])"  # letters may follow: 13800138000QQ同号
)
LANDLINE_RE = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(?:(?:(?:\+|00)86[ -]?(?:\(0?\d{2,3}\)|0?\d{2,3})|\(0\d{2,3}\)|0\d{2,3})[ -]?)"
    + r"[1-9]\d{2,3}[ -]?\d{4}(?:[ -]?(?:转|ext\.?|-)\s?\d{1,5})?"
    + r"(?![0-9])"
)
#: A run of digits with separators between them (138.1234.5678, 1 3 3 1 …, 6222-0000-…).
DIGIT_RUN_RE = re.compile(r"\d(?<![0-9]\d)(?:" + _SEP + r"{0,3}\d)*(?:" + _SEP + r"{0,2}[Xx](?![A-Za-z]))?")
_GROUP_RE = re.compile(r"\d+[Xx]?")

_DIGITS_5_12 = r"[1-9](?:" + _SEP + r"{0,3}\d){4,11}"
_QQ_CUE = (r"(?:(?<![A-Za-z])(?:QQ|Qq|qQ|qq)|扣扣|抠抠|球球|企鹅)(?:号码|号|群号|群)*\s*(?:是|为|[:：=])?"
           r"|(?:加|\+)\s*[Qq](?![A-Za-z])(?:号码|号)*\s*(?:是|为|[:：=])?|(?<![A-Za-z])[Qq](?:号码|号)*\s*[:：]")
QQ_RE = re.compile(r"(?:" + _QQ_CUE + r")\s*(" + _DIGITS_5_12 + r")(?!\d)")
_WX_LONG = (r"(?:微信|威信|薇信|维信|卫星|徽信|微心|微芯|V信|v信|绿泡泡|绿色泡泡|(?<![A-Za-z])(?:"
            r"wechat|WeChat|Wechat|WECHAT|weixin|Weixin|VX|Vx|vX|vx|WX|Wx|wx))")
# One-character homophones (加V, 薇：, 威：) count only after 加/+ or before a colon.
_WX_SHORT = r"(?:(?:加我?|\+)\s*(?:[Vv]|[微薇威卫])|(?<![A-Za-z])[Vv](?=\s*[:：])|[微薇威卫](?=\s*[:：]))"
# A handle longer than WeChat's 20 characters is cut at 20 rather than left whole (something is glued to it).
_WX_HANDLE = (r"([A-Za-z][-_A-Za-z0-9]{5,19}|1[3-9]\d(?:" + _SEP + r"{0,3}\d){8}(?!\d)"
              r"|[1-9](?:" + _SEP + r"{0,3}\d){5,11}(?!\d))")
# A Latin cue may be glued to the handle (wxabc123, 加Vchenchen88): the handle still needs 6+ characters.
WECHAT_RE = re.compile(r"(?:" + _WX_LONG + "|" + _WX_SHORT + r")(?:号码|号|账号|ID|id)*\s*(?:是|为|[:：=])?\s*" + _WX_HANDLE)

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
_NAME_STOP = ("的是在了今年和与及我你他她它们说从因被把向给就也都还已曾欠借逾为于到从之而但却又再很太有没不"
              "某电手先女老经总哥姐家等称讲告通打发让叫要找去来这那个人吗呢吧啊")
_GIVEN = rf"[\u4e00-\u9fff](?<![{_NAME_STOP}])"
# Cues that introduce a name directly (我叫张三, 姓名：李四), and role nouns that need a separator
# (借款人：张三, 联系人是张三) — handled by NAME_RE. Without a separator (联系人张三, 借款人李四,
# 我是王五) the name is taken only with a stricter surname set and a word list: see NAME_TIGHT_RE.
_NAME_CUES = r"(?:(?:姓名|真实姓名|名字叫|名字是|我叫|本人叫|本人姓名|名叫)\s*(?:是|为|[:：])?" \
    r"|(?:联系人|收件人|借款人|收款人|持卡人|户名|开户名|债务人|欠款人|当事人|担保人|催收员|业务员|我是|本人是)\s*(?:是|为|[:：]))"
NAME_RE = re.compile(
    _NAME_CUES + r"\s*((?:" + _SURNAMES_2 + rf"|[{_SURNAMES_1}])" + _GIVEN + "(?:" + _GIVEN + ")?)"
)
# Surnames that are also everyday words at the start of a phrase (应该, 和, 于是, 常常, 时候, 明天,
# 文件, 成为, 全部, 关于, 向, 万一, 方便, 白天, 安全, 单位, 路上, 解决, 车贷, 连续, 简单, 师傅, 施加, 包括…):
# not taken as a surname without a separator.
_AMBIGUOUS_SURNAMES = "应和于常时明文成全关向万方白安单路解车连简师商查麻池司农管谷曲古党宫费项华盛童毕季成石金施包"
_SURNAMES_TIGHT = "".join(c for c in _SURNAMES_1 if c not in _AMBIGUOUS_SURNAMES)
#: Two-character words that start with a surname: never a name after a cue without separator.
_NOT_NAMES = frozenset((
    "高中 高兴 高利 高额 高息 马上 江苏 江西 黄金 周末 周一 周二 周三 周四 周五 周六 周日 周年 王者 张口 李子 钱包 钱款 "
    "钱财 孙子 朱古 胡说 胡乱 郭某 何时 何必 林业 罗马 郑州 梁子 谢谢 宋体 唐朝 许多 韩国 冯某 邓某 曹某 彭某 曾经 肖像 "
    "田地 董事 袁某 潘某 余额 余款 杜绝 叶子 程序 苏州 魏某 吕某 丁克 任何 任务 沈阳 姚某 卢某 姜某 崔某 钟头 谭某 陆续 "
    "汪某 范围 贾某 夏天 韦某 付款 付钱 付清 付了 邹某 孟某 熊孩 秦某 邱某 尹某 薛某 闫某 段时 雷某 侯某 龙头 史上 陶某 "
    "黎明 贺某 顾客 顾问 毛钱 郝某 龚某 邵某 严重 严格 覃某 武汉 武力 戴某 莫名 孔某 汤某 温州 温馨 康复 施压 牛逼 樊某 "
    "葛某 邢某 齐全 易某 乔某 伍某 庞大 颜色 倪某 庄某 聂某 章程 鲁某 岳母 岳父 翟某 殷某 詹某 申请 申诉 申报 欧元 欧美 "
    "耿某 兰州 焦虑 俞某 左右 柳州 甘肃 祝福 包括 包含 宁波 宁夏 宁可 尚未 符合 舒服 阮某 柯某 纪律 梅某 凌晨 裴某 霍某 "
    "涂某 苗头 盛行 翁某 冉某 骆某 蓝色 游戏 辛苦 靳某 柴某 蒙古 鲍某 喻某 祁某 蒲某 房贷 房子 房东 房租 滕某 屈某 饶某 "
    "牟某 艾某 尤其 阳光 穆某 卓越 吉林 缪某 芦某 麦某 褚某 娄某 窦某 戚某 岑某 景区 冷静 晏某 席某 卫生 米某 柏某 宗某 "
    "瞿某 桂林 佟某 臧某 闵某 苟某 邬某 边缘 卞某 姬某 仇人 栾某 隋某 刁难 沙发 荣幸 巫某 寇某 桑某 郎某 甄某 丛某 仲裁 "
    "虞某 敖某 巩某 佘某 苑某 迟到 迟迟 邝某 杨某 黄某 赵某 吴某 周某 徐某 孙某 马某 朱某 胡某 刘某 陈某 张某 王某 李某 "
    "林某 罗某 郑某 梁某 谢某 宋某 唐某 许某 韩某 杜某 叶某 程某 苏某 钱某 姜某 蔡某 蒋某 潘某 余某 冯某 邓某 曹某 陆某 "
    "金某 石某 廖某 邹某 熊某 江某 白某 夏某 方某 贾某 田某 董某 彭某 曾某 肖某 袁某 于某 高某 马路 黄牛 李先 王先 张先 "
    "刘先 陈先 杨先 赵先 吴先 周先 徐先 孙先 朱先 胡先 郭先 何先 林先 罗先 郑先 梁先 谢先 宋先 唐先 许先 韩先 "
    "武警 江湖 湖南 云南 贵州 福建 海南 曹操 孔子 孟子 毛病 姚明 秦朝 殷勤 谷歌 苏宁 宋江 郭德 戴着 吴江 徐汇 "
    "苗族 黎族 彝族 侗族 满族 汤药 罗列 杜撰 陆地 陈述 邓某"
).split())
NAME_TIGHT_RE = re.compile(
    r"(?:联系人|紧急联系人|收件人|借款人|收款人|持卡人|户名|开户名|债务人|欠款人|当事人|担保人|催收员|业务员|我是|本人是)"
    r"((?:" + _SURNAMES_2 + rf"|[{_SURNAMES_TIGHT}])" + _GIVEN + "(?:" + _GIVEN + ")?)"
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


def _date_ok(mm: str, dd: str) -> bool:
    return "01" <= mm <= "12" and "01" <= dd <= "31"


def id_shape_ok(digits: str) -> bool:
    """An 18-character (or old 15-digit) resident ID by shape: region, plausible birth date; no checksum."""
    if len(digits) == 18:
        return (digits[0] != "0" and digits[:17].isdigit() and digits[17] in "0123456789Xx"
                and digits[6:8] in ("18", "19", "20") and _date_ok(digits[10:12], digits[12:14]))
    if len(digits) == 15:
        return digits.isdigit() and digits[0] != "0" and _date_ok(digits[8:10], digits[10:12])
    return False


def classify_number(digits: str, before: str) -> str | None:
    """Which personal number ``digits`` (separators removed) is, given the ~12 characters ``before`` it.

    None for thing ids (after 订单号, 投诉编号 …), public hotlines, and digit strings with no person's
    number shape (amounts, dates, timestamps, 20+ digit trade numbers).
    """
    n = len(digits)
    if n < 5 or is_thing_id(before) or PUBLIC_NUMBER.match(digits):
        return None
    if digits[-1] in "Xx":
        return "id_card" if id_shape_ok(digits) or (n in (15, 18) and _ID_CUES.search(before)) else None
    if n == 11 and digits[0] == "1" and digits[1] in "3456789":
        return "mobile"
    if n == 13 and digits.startswith("861") and digits[3] in "3456789":
        return "mobile"
    if n in (15, 18) and (id_shape_ok(digits) or _ID_CUES.search(before)):
        return "id_card"
    if 16 <= n <= 19:
        return "bank_card"  # by shape: Luhn fails on typos and deliberate changes alike
    if digits[0] == "0" and digits[1] != "0" and 10 <= n <= 12:
        return "landline"
    if 7 <= n <= 8 and _AREA_BEFORE.search(before):
        return "landline"  # (023)85397132 with something glued after it
    if 7 <= n <= 12 and _PHONE_CUES.search(before):
        return "mobile" if digits[0] == "1" else "landline"
    return None


def _before(text: str, start: int, width: int = 12) -> str:
    return text[max(0, start - width):start]


def _in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    for a, b in spans:
        if a <= pos < b:
            return True
    return False


_CUE_CHARS = frozenset("QqVv微薇威卫扣抠球企泡信xX")


def find(text: str) -> list[Finding]:
    """Every personal-data span in ``text``, non-overlapping, in order (higher-priority types win)."""
    if not text:
        return []
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    s = shadow(text)
    urls = [m.span() for m in URL_RE.finditer(s)] if ("http" in s or "www." in s) else []
    if s.count(".") >= 3:
        urls += [m.span() for m in IPV4.finditer(s)]

    def add(start: int, end: int, kind: str) -> None:
        for a, b in taken:
            if start < b and a < end:
                return
        taken.append((start, end))
        found.append(Finding(start, end, kind))

    has_at = "@" in s
    if has_at:
        for m in EMAIL_RE.finditer(s):
            if not _in_spans(m.start(), urls):
                add(m.start(), m.end(), "email")
    lower = s.lower()
    if has_at or " at " in lower or "(at)" in lower or "[at]" in lower or "#" in s or "艾特" in s or "{at}" in lower \
            or "<at>" in lower or "圈a" in lower:
        for m in OBF_EMAIL_RE.finditer(s):
            if not _in_spans(m.start(), urls):
                add(m.start(), m.end(), "email")
    has_digit = _DIGIT_RE.search(s) is not None
    if has_digit:
        for m in ID_CARD_RE.finditer(s):
            raw = "".join(m.groups())
            if id_shape_ok(raw) and not _in_spans(m.start(), urls) and not is_thing_id(_before(s, m.start())):
                add(m.start(), m.end(), "id_card")
        if _QQ_HINT.search(s):
            for m in _scan(QQ_RE, _QQ_AT, s):
                if not _in_spans(m.start(), urls):
                    add(m.start(1), m.end(1), "qq")
    if _WX_HINT.search(s):
        for m in _scan(WECHAT_RE, _WX_AT, s):
            if not _in_spans(m.start(), urls):
                add(m.start(1), m.end(1), "wechat")
    if has_digit:
        for m in BANK_RE.finditer(s):
            digits = m.group().replace(" ", "").replace("-", "")
            if not (16 <= len(digits) <= 19) or _in_spans(m.start(), urls):
                continue
            if classify_number(digits, _before(s, m.start())) in ("bank_card", "id_card"):
                add(m.start(), m.end(), "bank_card")
        for m in (MOBILE_RE.finditer(s) if _MOBILE_HINT.search(s) else ()):
            if _in_spans(m.start(), urls) or is_thing_id(_before(s, m.start())):
                continue
            add(m.start(), m.end(), "mobile")
        for m in LANDLINE_RE.finditer(s):
            if _in_spans(m.start(), urls) or is_thing_id(_before(s, m.start())):
                continue
            add(m.start(), m.end(), "landline")
        for m in DIGIT_RUN_RE.finditer(s):
            if m.end() - m.start() >= 7 and not _in_spans(m.start(), urls):
                _classify_run(text, s, m, add)
        if _ADDR_HINT.search(s):
            for m in ADDRESS_RE.finditer(s):
                add(m.start(), m.end(), "address")
        for m in PLATE_RE.finditer(text):
            if not _in_spans(m.start(), urls):
                add(m.start(), m.end(), "plate")
    for m in _scan(NAME_RE, _NAME_AT, text):
        add(m.start(1), m.end(1), "name")
    for m in NAME_TIGHT_RE.finditer(text):
        if m.group(1)[:2] not in _NOT_NAMES:
            add(m.start(1), m.end(1), "name")
    if has_at:
        for m in MENTION_RE.finditer(text):
            if not _in_spans(m.start(), urls):
                add(m.start(1), m.end(1), "handle")
    found.sort(key=lambda f: f.start)
    return found


def _classify_run(text: str, s: str, m: re.Match, add) -> None:
    """Split a digit run at its separators; take the longest window of groups, leftmost first, that
    has a personal number's shape (so a date before a phone does not hide the phone)."""
    groups = [(g.start() + m.start(), g.end() + m.start(), g.group()) for g in _GROUP_RE.finditer(m.group())]
    if _CN_ANY_RE.search(text, m.start(), m.end()):
        groups = _split_script(text, s, groups)
    i = 0
    while i < len(groups):
        hit = None
        total = 0
        ends = []
        for j in range(i, len(groups)):
            total += len(groups[j][2])
            if total > 19:
                break
            ends.append(j)
        for j in reversed(ends):
            digits = "".join(g[2] for g in groups[i:j + 1])
            if len(digits) < 7:
                break
            kind = classify_number(digits, _before(s, groups[i][0]))
            if kind:
                hit = (j, kind, groups[j][1])
                break
            if j == ends[-1] and text[groups[j][1] - 1] in _CN_DIGITS:
                # 一 that starts the next word (…零幺九一直): try without it
                kind = classify_number(digits[:-1], _before(s, groups[i][0]))
                if kind:
                    hit = (j, kind, groups[j][1] - 1)
                    break
        if hit:
            start = groups[i][0]
            if hit[1] in ("mobile", "landline"):
                p = (_CC_BEFORE if hit[1] == "mobile" else _AREA_BEFORE).search(s, max(0, start - 8), start)
                start = p.start() if p else start
            add(start, hit[2], hit[1])
            i = hit[0] + 1
        else:
            i += 1


def _split_script(text: str, s: str, groups: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Also split where digits turn into Chinese numerals or back: 卡号6226…2657二〇二三年 glues a date
    to a card number; the windows then still find the card (and 135一二三四5678 still joins up)."""
    out = []
    for a, b, _ in groups:
        st = a
        for k in range(a + 1, b):
            if (text[k] in _CN_DIGITS) != (text[k - 1] in _CN_DIGITS):
                out.append((st, k, s[st:k]))
                st = k
        out.append((st, b, s[st:b]))
    return out


_DIGIT_RE = re.compile(r"\d")
_AREA_BEFORE = re.compile(r"\(0\d{2,3}\)\s?$")
# Where a match can start (its first character): scanning only there is 3-10x faster than finditer
# for patterns that begin with alternations and lookbehinds, which the regex engine tries everywhere.
_QQ_AT = re.compile(r"[Qq扣抠球企]|[加+](?=\s*[Qq])")
_WX_AT = re.compile(r"微信|威信|薇信|维信|卫星|徽信|微心|微芯|[Vv]信|绿泡泡|绿色泡泡|[wW][eE]|[VvWw][Xx]|[加+](?=我?\s*[Vv微薇威卫])"
                    r"|[Vv微薇威卫](?=\s*[:：])")
_NAME_AT = re.compile(r"姓名|真实姓名|名字|我叫|本人|名叫|联系人|收件人|借款人|收款人|持卡人|户名|开户名|债务人|欠款人|当事人"
                      r"|担保人|催收员|业务员|我是")


def _scan(rx: re.Pattern, at: re.Pattern, s: str):
    """``rx.finditer(s)`` for a pattern whose matches start with a character of ``at``."""
    pos = 0
    for c in at.finditer(s):
        if c.start() < pos:
            continue
        m = rx.match(s, c.start())
        if m:
            yield m
            pos = m.end() if m.end() > m.start() else m.start() + 1
# Cheap searches that tell when a costly pattern cannot match (most text has no cue at all).
_QQ_HINT = re.compile(r"[Qq扣抠球企]")
_WX_HINT = re.compile(r"[微威薇维卫徽绿VvWw]")
_MOBILE_HINT = re.compile(r"1[3-9]\d")
_ADDR_HINT = re.compile(r"(?:大街|大道|路|街|巷|弄|胡同|里)\s*\d|\d\s*(?:号楼|栋|幢)")
_CC_BEFORE = re.compile(r"(?:\(\+?86\)|\+86|0086|(?<![0-9])86)[ -]?$")
