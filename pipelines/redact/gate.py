"""The release's final gate: a second personal-data detector, independent of the scrubber's.

A gate that re-runs the scrubber's own detectors cannot catch what they miss, so this one shares
no detection code with ``detectors``: it folds full-width forms with Unicode NFKC (fine here:
the gate only reads, it never rewrites), maps runs of Chinese numerals with its own table, joins
digits across separators, and then runs

- Google's libphonenumber (the ``phonenumbers`` port) on 0-prefixed and +86 numbers and on a
  mobile glued to other digits: valid Chinese fixed-line or mobile numbers are hits (toll-free,
  shared-cost and premium lines are public);
- a generic scanner of long digit strings: 11 digits 1[3-9]… → phone (by shape: an unassigned
  prefix is still someone's number to a reader), 15 or 18 characters with a birth date → ID
  number, 16–19 digits → card number, whatever the checksums say;
- cue scanners: any handle or number after a QQ/WeChat cue word or homophone, any e-mail-like
  shape (@, ＠, (at), " at … dot "), a name-like token after a name cue.

The only thing shared with the scrubber is ``policy`` (which numbers are ids of things, which are
public): without it the gate would refuse a release for quoting 投诉编号17390396995.
Results are ``{kind: count}`` — kinds, never values — so callers can name column, row and kind.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from lendcorpus.pipelines.redact.policy import IPV4, PUBLIC_NUMBER, is_thing_id

#: Bump when what the gate flags changes (recorded in release manifests with the redactor version).
GATE_VERSION = "gate@1"

_NUMERALS = str.maketrans({
    **{c: "0" for c in "零〇○◯⓪"}, **{c: "1" for c in "一壹弌幺①"}, **{c: "2" for c in "二贰貳弍②"},
    **{c: "3" for c in "三叁參叄弎③"}, **{c: "4" for c in "四肆④"}, **{c: "5" for c in "五伍⑤"},
    **{c: "6" for c in "六陆陸⑥"}, **{c: "7" for c in "七柒⑦"}, **{c: "8" for c in "八捌⑧"},
    **{c: "9" for c in "九玖⑨"},
})
_PLACEHOLDER = re.compile(r"\[(?:手机号|座机号|身份证号|银行卡号|邮箱|QQ号|微信号|姓名|地址|车牌号|用户名)\]")
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.I)
_ZERO_LETTER = re.compile(r"\d[Oo]+(?=\d)")  # leading lookbehinds are tried at every position: slow
_WORD_START = re.compile("[一二三四五六七八九](?=[\u4e00-\u9fff])(?![零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖幺])")
_HAS_NUMERAL = re.compile("[零〇○◯一二三四五六七八九壹贰貳叁參叄弎肆伍陆陸柒捌玖幺①②③④⑤⑥⑦⑧⑨⓪弌弍]+")
_QQ_HINT = re.compile(r"[Qq扣抠球企]")
_DIGIT = re.compile(r"\d")
_WIDE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff20\u3000\uff1a\uff08\uff09\uff0e\uff0d\uff3f\uff0b]+")
_NUMERAL_CHARS = "零〇○◯一二三四五六七八九壹贰貳叁參叄弎肆伍陆陸柒捌玖幺①②③④⑤⑥⑦⑧⑨⓪弌弍"
_NUM_SEQ = re.compile(f"[{_NUMERAL_CHARS}0-9](?:[ .\\-_·]{{0,2}}[{_NUMERAL_CHARS}0-9]){{4,}}")
_WX_HINT = re.compile(r"[微威薇维卫徽绿VvWw]")
_AREA = re.compile(r"\((0\d{2,3})\)\s?(?=\d)")
_JOIN = re.compile(r"(\d)[\s.\-_·•~/—–‐‑‒・．－]{1,3}(?=\d)")
_NUMBER = re.compile(r"\+?\d{5,}(?:[Xx](?![A-Za-z]))?")  # greedy: never starts inside a run of 5+
_PHONE_OK = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_ID_CUE = re.compile(r"(?:身份证|证件|身份号)\S{0,3}$")

# Cue scanners run on lower-cased text as two steps: find a cue (plain alternations, which the regex
# engine scans quickly), then match what follows it. A Latin cue must not continue a word.
_QQ_CUE = re.compile(r"qq|扣扣|抠抠|球球|企鹅|q")
_QQ_TAIL = re.compile(r"(?:号码|号|群号|群)*[\s:=是为]*\d{5,12}(?!\d)")
_WX_CUE = re.compile(r"微信|威信|薇信|维信|卫星|徽信|微心|微芯|v信|绿泡泡|绿色泡泡|wechat|weixin|vx|wx|[v微薇威卫]")
# A one-character cue (q, v, 微, 薇 …) counts only after 加/+ or before a colon.
_ADD_BEFORE = re.compile(r"(?:加我?|\+)\s*$")
_COLON_AFTER = re.compile(r"(?:号码|号)*\s*:")
_WX_TAIL = re.compile(r"(?:号码|号|账号|id)*\s*[:=是为]?\s*(?:[a-z][a-z0-9_-]{5,19}(?![a-z0-9_-])|\d{6,12}(?!\d))")
_EMAIL = re.compile(
    r"[a-z0-9][\w.%+-]{0,63}\s*(?:@|[(（]at[)）]|\[at\]|\{at\}|<at>|艾特|圈a|#|\sat\s)\s*[a-z0-9-]+"
    r"(?:\s*(?:\.|\(dot\)|\[dot\]|\{dot\}|点|\sdot\s)\s*[a-z0-9-]+)*"
    r"\s*(?:\.|\(dot\)|\[dot\]|\{dot\}|点|\sdot\s)\s*(?:com|cn|net|org|edu|gov|cc|info|me|io|co|top|vip|hk|tw|xyz)(?![a-z])",
    re.I)
_EMAIL_PLAIN = re.compile(r"[\w.%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.I)

# Names: the gate's own cue and surname lists (the 60 most common surnames cover ~85% of people).
_NAME_CUES = ("姓名", "名字叫", "名字是", "我叫", "本人叫", "名叫", "联系人", "收件人", "借款人", "收款人", "持卡人",
              "户名", "开户名", "债务人", "欠款人", "当事人", "担保人", "催收员", "业务员", "我是", "本人是")
_SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
                "任沈姚卢姜崔钟谭陆汪范廖贾夏韦邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵覃武戴莫孔汤严")
_NAME = re.compile("(?:" + "|".join(_NAME_CUES) + r")\s*[:是为]?\s*([\u4e00-\u9fff]{2,3})")
# After a name the sentence goes on with punctuation, a space, or one of these; a word goes on otherwise.
_AFTER_NAME = set("，。！？；、,.!?;:： \n\t)）】」”\"的说打让叫欠借也又就还被和与跟在是")
_GIVEN_NOT = set("的是在了和与及我你他她它们说从因被把向给就也都还已曾欠借逾为于到之而但却又再很太有没不某先女老经总"
                 "哥姐家等称讲告通打发让叫要找去来这那个人吗呢吧啊年月日天元万")
_NOT_NAME_WORDS = {"高中", "马上", "江苏", "江西", "黄金", "周末", "王者", "许多", "曾经", "任何", "余额", "付款", "范围",
                   "严重", "武汉", "温州", "顾客", "孙子", "钱包", "陆续", "申请", "汤圆", "程序", "谢谢", "龙头", "史上"}


def _zero(t: str) -> str:
    return _ZERO_LETTER.sub(lambda m: m.group()[0] + "0" * (len(m.group()) - 1), t) if ("O" in t or "o" in t) else t


def _narrow(text: str) -> str:
    # Full-width ASCII forms (Ｑ１２＠：) and the ideographic space, as NFKC folds them; the rest of
    # the text is left alone (NFKC over whole texts costs as much as all the scanning).
    return _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text) if _WIDE.search(text) else text


def _fold(t: str) -> str:
    # numerals only where five or more digits/numerals run together: 一万二, 三个月 stay words
    if _HAS_NUMERAL.search(t):
        t = _NUM_SEQ.sub(lambda m: m.group().translate(_NUMERALS), t)
    return _zero(t)


@lru_cache(maxsize=4096)
def _phone(digits: str) -> bool:
    national = digits
    for prefix in ("+86", "0086", "86"):
        if national.startswith(prefix) and len(national) - len(prefix) in (10, 11):
            national = national[len(prefix):]
            break
    national = national.lstrip("+")
    if not (national[:1] == "0" or (national[:1] == "1" and len(national) == 11)):
        return False  # only phone shapes: 1xxxxxxxxxx mobiles, 0-prefixed fixed lines
    try:
        num = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(num) and phonenumbers.number_type(num) in _PHONE_OK


def _id_shape(d: str) -> bool:
    if len(d) == 18:
        return d[6:8] in ("18", "19", "20") and "01" <= d[10:12] <= "12" and "01" <= d[12:14] <= "31"
    return len(d) == 15 and d.isdigit() and "01" <= d[8:10] <= "12" and "01" <= d[10:12] <= "31"


def _number_kind(d: str, before: str) -> str | None:
    plain = d.lstrip("+")
    if is_thing_id(before) or PUBLIC_NUMBER.match(plain):
        return None
    if plain[-1] in "Xx":
        return "id_number" if len(plain) in (15, 18) and (_id_shape(plain) or _ID_CUE.search(before)) else None
    if len(plain) in (15, 18) and (_id_shape(plain) or _ID_CUE.search(before)):
        return "id_number"
    if 16 <= len(plain) <= 19:
        return "card_number"
    if len(plain) == 11 and plain[0] == "1" and plain[1] in "3456789":
        return "phone"  # by shape: unassigned prefixes are still a person's number to the scrubber
    if 7 <= len(d) <= 15 and (plain[0] in "08" or d[0] == "+") and _phone(d):
        return "phone"  # fixed lines (0 + area code) and +86 forms: libphonenumber decides
    return None


def _numbers(j: str, counts: dict[str, int]) -> None:
    for m in _NUMBER.finditer(j):
        before = j[max(0, m.start() - 12):m.start()]
        kind = _number_kind(m.group(), before)
        if kind is None and len(m.group()) > 11:
            kind = _inner_kind(m.group(), before)
        if kind:
            counts[kind] = counts.get(kind, 0) + 1


def _inner_kind(d: str, before: str) -> str | None:
    # A phone glued to a date or amount by a separator ("2024-05-03 13800138000"): look inside.
    if is_thing_id(before):
        return None
    for k in range(1, len(d) - 10):
        sub = d[k:k + 11]
        if sub[0] == "1" and sub[1] in "3456789" and (k + 11 == len(d) or not d[k + 11].isdigit()) and _phone(sub):
            return "phone"
    return None


def _names(t: str, counts: dict[str, int]) -> None:
    for m in _NAME.finditer(t):
        token = m.group(1)
        if token[0] not in _SURNAMES or token[:2] in _NOT_NAME_WORDS:
            continue
        name = token[:2] if token[2:3] in _GIVEN_NOT or token[2:3] == "" else token
        if name[1] in _GIVEN_NOT:
            continue
        nxt = t[m.start(1) + len(name):m.start(1) + len(name) + 1]
        separated = bool(re.search(r"[:是为]\s*$", t[m.start():m.start(1)]))
        if separated or nxt == "" or nxt in _AFTER_NAME:
            counts["name"] = counts.get("name", 0) + 1


def _cued(low: str, cue: re.Pattern, tail: re.Pattern) -> int:
    n = 0
    for m in cue.finditer(low):
        a = m.start()
        if m.end() - a == 1 and not (_ADD_BEFORE.search(low, max(0, a - 4), a) or _COLON_AFTER.match(low, m.end())):
            continue
        if low[a].isascii() and a > 0 and low[a - 1].isascii() and low[a - 1].isalpha():
            continue  # inside a Latin word
        if low[m.end() - 1] == "q" and m.end() < len(low) and low[m.end()].isascii() and low[m.end()].isalpha():
            continue  # q/qq followed by more letters
        if tail.match(low, m.end()):
            n += 1
    return n


def gate_scan(text: str | None) -> dict[str, int]:
    """``{kind: count}`` of personal data the gate still sees in ``text``; ``{}`` when clean.

    Kinds: phone, id_number, card_number, qq, wechat, email, name.
    """
    if not text:
        return {}
    plain = _PLACEHOLDER.sub(" ", _narrow(text))
    if "://" in plain or "www." in plain:
        plain = _URL.sub(" ", plain)
    if plain.count(".") >= 3:
        plain = IPV4.sub(" ", plain)
    plain = _AREA.sub(r"\1", plain)  # (010)66660000 → 01066660000
    t = _JOIN.sub(r"\1", _fold(plain))  # 138.1234.5678, 1 3 3 1 …: separators between digits go
    counts: dict[str, int] = {}
    if _DIGIT.search(t):
        _numbers(t, counts)
        # a numeral that starts the next word (13800138000一直 → …0001直) hides a number: look again without
        variants = []
        if _HAS_NUMERAL.search(plain):
            variants.append(_zero(plain))
            if _WORD_START.search(plain):
                variants.append(_fold(_WORD_START.sub(" ", plain)))
        for variant in variants:
            more: dict[str, int] = {}
            _numbers(_JOIN.sub(r"\1", variant), more)
            for k, v in more.items():
                counts[k] = max(counts.get(k, 0), v)
    low = None
    for cue, tail, hint, kind in ((_QQ_CUE, _QQ_TAIL, _QQ_HINT, "qq"), (_WX_CUE, _WX_TAIL, _WX_HINT, "wechat")):
        if hint.search(t):
            low = low if low is not None else t.lower()
            n = _cued(low, cue, tail)
            if n:
                counts[kind] = counts.get(kind, 0) + n
    if "@" in t or "at" in t.lower() or "#" in t or "艾特" in t or "圈" in t:
        n = len(_EMAIL.findall(t)) or (len(_EMAIL_PLAIN.findall(t)) if "@" in t else 0)
        if n:
            counts["email"] = counts.get("email", 0) + n
    _names(plain, counts)
    return dict(sorted(counts.items()))
