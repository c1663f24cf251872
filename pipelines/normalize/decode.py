"""Step 1: bytes to text, choosing the charset from the bytes before believing any label.

Chinese sites lie about their charset in both directions (meta gb2312 over UTF-8 bytes and the
reverse), and every Big5 page is also valid GB18030. So the order is: BOM, strict UTF-8 (random
legacy bytes almost never pass it), then the legacy candidates compared by how plausible the
decoded text is as Chinese (charfreq), and only then the HTTP header and ``<meta>``, which break
ties and cover non-Chinese legacy pages. A page mixing UTF-8 and GBK fragments is decoded piece by
piece rather than turned into mojibake wholesale.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

from . import euctw  # noqa: F401  (registers the euc_tw codec)
from .base import Decoded, StepInfo
from .charfreq import cost

NAME = "decode"
VERSION = 1
STEP = StepInfo(NAME, VERSION)

# WHATWG-style label folding: the legacy Chinese labels all mean "the GBK family", which GB18030
# decodes as a superset (it also maps A1A4/A1AA the way browsers do).
_LABELS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030",
    "gb_2312-80": "gb18030", "gb_2312": "gb18030", "chinese": "gb18030", "csgb2312": "gb18030",
    "iso-ir-58": "gb18030", "cp936": "gb18030", "ms936": "gb18030", "windows-936": "gb18030",
    "euc-cn": "gb18030", "euccn": "gb18030", "hz-gb-2312": "hz",
    "big5": "big5", "big5-hkscs": "big5hkscs", "cn-big5": "big5", "x-x-big5": "big5", "csbig5": "big5",
    "cp950": "cp950", "x-euc-tw": "euc_tw", "euc-tw": "euc_tw", "euctw": "euc_tw",
    "utf-8": "utf-8", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8", "x-unicode20utf8": "utf-8",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932",
    "windows-31j": "cp932", "csshiftjis": "cp932", "euc-jp": "euc_jp", "iso-2022-jp": "iso2022_jp",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "windows-949": "cp949", "csksc56011987": "cp949",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
    "ascii": "cp1252", "windows-1252": "cp1252", "cp1252": "cp1252",
}

_GB_FAMILY = {"gb18030", "hz"}
_BIG5_FAMILY = {"big5", "cp950", "big5hkscs"}

_META_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_RE = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']\s*([A-Za-z0-9_.:-]+)""", re.I)
_CT_RE = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_NONASCII_RUN = re.compile(rb"[\x80-\xff]+")
_HAS_NONASCII = re.compile(rb"[\x80-\xff]")

#: a decoding must beat the runner-up by this much mean cost (nats/char) to overrule a label
_MARGIN = 1.0
#: sample of decoded text scored (keeps 1 MB pages cheap)
_SAMPLE_BYTES = 64 * 1024


def canonical_codec(label: str | None) -> str | None:
    """The Python codec a charset label stands for, or None if unknown."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    if key in _LABELS:
        return _LABELS[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def sniff_html_charset(body: bytes, limit: int = 8192) -> tuple[str, str] | None:
    """(source, label) from ``<meta>`` or an XML declaration in the first ``limit`` bytes."""
    head = body[:limit]
    m = _XML_RE.search(head)
    if m:
        return "xml", m.group(1).decode("ascii", "replace").lower()
    m = _META_RE.search(head)
    if m:
        return "meta", m.group(1).decode("ascii", "replace").lower()
    return None


def _label_from_content_type(value: str | None) -> str | None:
    if not value:
        return None
    m = _CT_RE.search(value)
    if m:
        return m.group(1).lower()
    value = value.strip().lower()
    return value if value and "/" not in value and ";" not in value else None


def _try(data: bytes, codec: str) -> tuple[str, int] | None:
    """Decode strictly; failing that, with replacement if the damage is small. (text, errors)."""
    try:
        return data.decode(codec), 0
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = data.decode(codec, "replace")
    errors = text.count("\ufffd")
    return text, errors


def _score(text: str, errors: int) -> float:
    mean, n = cost(text[: _SAMPLE_BYTES])
    if n == 0:
        return 0.0
    return mean + 40.0 * errors / max(n, 1)


def _decode_big5(data: bytes) -> tuple[str, str, int]:
    for codec in ("big5", "cp950", "big5hkscs"):
        try:
            return data.decode(codec), codec, 0
        except UnicodeDecodeError:
            continue
    text = data.decode("big5hkscs", "replace")
    return text, "big5hkscs", text.count("\ufffd")


def _decode_mixed(data: bytes, legacy: str) -> tuple[str, int, int]:
    """Decode runs of non-ASCII bytes one by one: UTF-8 where a run is valid UTF-8 with a
    multi-byte character of 3+ bytes, ``legacy`` elsewhere. Returns (text, errors, utf8_runs)."""
    out: list[str] = []
    pos = 0
    errors = 0
    utf8_runs = 0
    for m in _NONASCII_RUN.finditer(data):
        out.append(data[pos : m.start()].decode("ascii"))
        run = m.group()
        piece = None
        if len(run) >= 3:
            try:
                piece = run.decode("utf-8")
                utf8_runs += 1
            except UnicodeDecodeError:
                piece = None
        if piece is None:
            piece = run.decode(legacy, "replace")
            errors += piece.count("\ufffd")
        out.append(piece)
        pos = m.end()
    out.append(data[pos:].decode("ascii"))
    return "".join(out), errors, utf8_runs


def _utf16_without_bom(data: bytes) -> str | None:
    if len(data) < 4:
        return None
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    half = len(data) // 2
    if odd > 0.3 * half and even < 0.02 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.02 * half:
        return "utf-16-be"
    return None


def _decode(data: bytes, claims: list[tuple[str, str]]) -> Decoded:
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise ValueError(f"expected bytes, got {type(data).__name__}")
    declared = claims[0][1] if claims else None
    if not data:
        return Decoded("", "utf-8", "empty", declared, 0)

    # 1. byte order marks
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            text = data.decode(codec, "replace")
            return Decoded(text, codec, "bom", declared, text.count("\ufffd"))

    # 2. pure ASCII: every ASCII-compatible label gives the same text
    if not _HAS_NONASCII.search(data):
        u16 = _utf16_without_bom(data)
        if u16:
            text = data.decode(u16, "replace")
            return Decoded(text, u16, "utf16-nul", declared, text.count("\ufffd"))
        return Decoded(data.decode("ascii"), "ascii", "ascii", declared, 0)

    # 3. strict UTF-8
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "utf8-strict", declared, 0)
    except UnicodeDecodeError:
        pass
    u16 = _utf16_without_bom(data)
    if u16:
        text = data.decode(u16, "replace")
        return Decoded(text, u16, "utf16-nul", declared, text.count("\ufffd"))

    # 4. legacy candidates scored by plausibility
    sample = data
    if len(data) > _SAMPLE_BYTES:
        cut = max(data.rfind(b"\n", 0, _SAMPLE_BYTES), data.rfind(b"<", 0, _SAMPLE_BYTES))
        sample = data[: cut if cut > 0 else _SAMPLE_BYTES]
    cands: dict[str, tuple[float, int]] = {}  # codec -> (score, errors) on the sample

    gb = _try(sample, "gb18030")
    if gb is not None:
        cands["gb18030"] = (_score(*gb), gb[1])
    b5_text, b5_codec, b5_err = _decode_big5(sample)
    cands[b5_codec] = (_score(b5_text, b5_err), b5_err)
    tw = _try(sample, "euc_tw")
    if tw is not None and tw[1] == 0:
        cands["euc_tw"] = (_score(*tw), 0)
    claim_codecs: dict[str, str] = {}
    for source, label in claims:
        codec = canonical_codec(label)
        if codec is None or codec in ("utf-8", "utf-8-sig", "ascii"):
            continue
        if codec in _BIG5_FAMILY:
            codec = b5_codec
        claim_codecs.setdefault(codec, f"{source}:{label}")
        if codec not in cands:
            r = _try(sample, codec)
            if r is not None:
                cands[codec] = (_score(*r), r[1])

    best = min(cands, key=lambda c: cands[c][0])
    best_score, _ = cands[best]

    # a page that is mostly UTF-8 with legacy fragments
    legacy = best if best in _GB_FAMILY or best in _BIG5_FAMILY else "gb18030"
    mixed_text, mixed_err, utf8_runs = _decode_mixed(data, legacy)
    if utf8_runs:
        mixed_score = _score(mixed_text, mixed_err)
        if mixed_score + _MARGIN < best_score:
            return Decoded(mixed_text, "utf-8", f"utf8-mixed:{legacy}", declared, mixed_err)

    # a claim wins when it decodes cleanly and is about as plausible as the best reading
    for codec, why in claim_codecs.items():
        if codec in cands:
            s, err = cands[codec]
            if err == 0 and s <= best_score + _MARGIN:
                return _full(data, codec, why, declared)

    if best in _GB_FAMILY:
        evidence = "gb18030-plausible"
    elif best in _BIG5_FAMILY:
        evidence = "big5-plausible"
    elif best == "euc_tw":
        evidence = "euc-tw-plausible"
    else:
        evidence = claim_codecs.get(best, f"{best}-plausible")
    # other non-Chinese legacy pages without labels: only if Chinese readings are implausible
    if best_score > 13.0 and not claim_codecs:
        for codec in ("cp932", "euc_jp", "cp949"):
            r = _try(sample, codec)
            if r is not None and r[1] == 0:
                s = _score(*r)
                if s + _MARGIN < best_score:
                    best, best_score, evidence = codec, s, f"{codec}-plausible"
    return _full(data, best, evidence, declared)


def _full(data: bytes, codec: str, evidence: str, declared: str | None) -> Decoded:
    if codec in _BIG5_FAMILY:
        text, codec, errors = _decode_big5(data)
        return Decoded(text, codec, evidence, declared, errors)
    r = _try(data, codec)
    assert r is not None
    return Decoded(r[0], codec, evidence, declared, r[1])


def decode_html(body: bytes, http_charset: str | None = None) -> Decoded:
    """Decode an HTML page: bytes first, then the HTTP charset, then ``<meta>``/XML claims."""
    claims: list[tuple[str, str]] = []
    label = _label_from_content_type(http_charset)
    if label:
        claims.append(("http", label))
    if isinstance(body, (bytes, bytearray, memoryview)):
        sniffed = sniff_html_charset(bytes(body))
        if sniffed:
            claims.append(sniffed)
    return _decode(body, claims)


def decode_bytes(data: bytes, hints: Sequence[str] = ()) -> Decoded:
    """Decode plain text; ``hints`` are charset labels from elsewhere (weakest evidence)."""
    if isinstance(hints, str):
        hints = (hints,)
    claims = [("hint", h.lower()) for h in hints if h]
    return _decode(data, claims)
