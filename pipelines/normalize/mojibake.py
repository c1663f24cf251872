"""Step 2: repair byte-level mojibake, only where the repair is clearly better Chinese.

Kinds handled, each found by a cheap pattern first so clean text costs a few regex scans:

* ``utf8-as-gbk``: UTF-8 bytes decoded as GBK (``鍙鍖栦笓瀹``). Re-encoding as GBK (with the
  Windows 0x80 = € byte that Python's gbk codec lacks) must give strict UTF-8. Where a byte was
  lost (the old decoder wrote ``?`` for it), the readable part is restored and the lost character
  becomes U+FFFD, so nothing is invented.
* ``utf8-as-latin1``: UTF-8 read as cp1252/Latin-1 (or cp437); delegated to ftfy's encoding
  fixer, which is calibrated for it, on the affected lines only, and checked afterwards.
* ``gbk-as-latin1`` / ``big5-as-latin1``: GBK or Big5 bytes read as cp1252, Latin-1 or cp1250
  (ftfy does not do CJK codecs).
* ``gbk-shifted`` / ``big5-shifted``: decoded one byte out of step (``槟切┟媾R`` ->
  ``那些面臨``): the misaligned stretch ends where a trail byte in ASCII range surfaces as a lone
  letter, or where one could not pair (U+FFFD).

Every candidate is scored with ``charfreq``; it replaces the span only if it is made of common
characters and is much cheaper than what it replaces. Suspicious spans that fail that test are
returned as flags.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .base import Repair, StepResult, splice
from .charclass import CharCounts
from .charfreq import char_cost, cost, han_share_common, is_han, total_cost

NAME = "mojibake"
VERSION = 2  # 2: big5-as-gbk inside Traditional lines

# ---------------------------------------------------------------- GBK <-> UTF-8 helpers


def _gbk_bytes(s: str) -> bytes | None:
    """GBK bytes of ``s`` as a Windows decoder would have produced it (€ is byte 0x80)."""
    try:
        if "€" not in s:
            return s.encode("gb18030")
        return b"\x80".join(part.encode("gb18030") for part in s.split("€"))
    except UnicodeEncodeError:
        return None


def _build_key_class() -> str:
    """Characters a GBK decoder makes out of the lead byte of a 3-byte UTF-8 sequence (for
    CJK text and its punctuation: E2-E9, EF) paired with a continuation byte, or the reverse pairing."""
    leads = list(range(0xE2, 0xEA)) + [0xEF]
    chars = set()
    for lead in leads:
        for trail in range(0x80, 0xC0):
            try:
                chars.add(bytes((lead, trail)).decode("gbk"))
            except UnicodeDecodeError:
                pass
    for cont in range(0x81, 0xC0):
        for lead in leads:
            try:
                chars.add(bytes((cont, lead)).decode("gbk"))
            except UnicodeDecodeError:
                pass
    chars.add("€")
    return "[" + "".join(sorted(re.escape(c) for c in chars)) + "]"


_KEY = _build_key_class()
_KEY_RE = re.compile(_KEY)
_KEY_PAIR_RE = re.compile(_KEY + r"[^\x00-\x7f]{0,2}" + _KEY)
# a short mojibake run right after ASCII (``锛歚``: full-width colon, then a backtick). Two
# separate patterns: each starts with a character class, which the regex engine scans fast.
_KEY_RUNSTART_RE = re.compile(r"[\x00-\x7f]" + _KEY + r"[^\x00-\x7f]")

# UTF-8 lead byte as Latin-1/cp1252 followed by a continuation byte in the same rendering
_CP1252_HIGH = "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
# one character class: what _LATIN_UTF8_RE and _SB_QUICK_RE both need somewhere in the text
# (a single-class scan is several times faster than either pattern's)
_LATIN_ANY_RE = re.compile("[\u0080-\u024f\u2500-\u257f]")
#: two-character patterns as (first class, second class): the chain's one-pass statistics
#: answer "does any such pair occur?" from the same classes (charclass.PAIRS)
_LATIN_UTF8_PAIRS = (
    ("[\u00c2-\u00f4]", "[\u0080-\u00bf\ufffd" + _CP1252_HIGH + "]"),
    # UTF-8 read as cp437 (``Tiß║┐ng``): box drawing glued to letters
    ("[A-Za-z\u00c0-\u00ff]", "[\u2500-\u257f]"),
    ("[\u2500-\u257f]", "[A-Za-z\u00c0-\u00ff]"),
)
_LATIN_UTF8_RE = re.compile("|".join(a + b for a, b in _LATIN_UTF8_PAIRS))

# the same as three patterns that each start with a class (scanned fast; used as yes/no tests)
_LATIN_UTF8_PARTS = [re.compile(p) for p in _LATIN_UTF8_RE.pattern.split("|")]

# runs of single-byte-codec characters that can be GBK/Big5 lead+trail pairs
_SB_HIGH = "\u0080-\u017f\u02c7\u02d8-\u02dd" + _CP1252_HIGH
_SB_RUN_RE = re.compile("(?:[" + _SB_HIGH + "][\x40-\x7e]?){4,}")
# GBK/Big5 bytes are >= 0x81 (lead) and mostly >= 0xA1 (trail): such mojibake has two in a row
_SB_QUICK_CLASS = "[\u0080-\u017f]"
_SB_QUICK_RE = re.compile(_SB_QUICK_CLASS + "{2}")

# a lone ASCII letter glued between non-ASCII characters: possible resync point of shifted GBK
_SHIFT_PAIR = (r"[\x40-\x7e]", r"[\u3000-\u9fff\uff00-\uffef]")
_SHIFT_END_RE = re.compile(_SHIFT_PAIR[0] + "(?=" + _SHIFT_PAIR[1] + ")")
_SHIFT_ODD_RE = re.compile(r"[\u2500-\u257f\ue000-\uf8ff\u0391-\u03c9\u0401-\u0451\u3041-\u30ff\u00a4-\u00fc]")

_LINE_RE = re.compile(r"[^\n]*\n?")
#: lines longer than this are skipped by the line-level repairs (bounds the work per line)
_MAX_LINE = 20_000


def _clearly_better(before: str, after: str, *, min_han: int = 1, max_fffd: int = 0) -> bool:
    """The chain's one rule for replacing text: ``after`` reads as common Chinese, and the
    model finds it far more likely than ``before`` (total cost lower by 6 nats, i.e. ~400x;
    mean cost not worse). A U+FFFD standing for a lost character is not scored."""
    fffd = after.count("\ufffd")
    if fffd > max_fffd:
        return False
    core = after.replace("\ufffd", "")
    if sum(1 for ch in core if is_han(ch)) < min_han:
        # punctuation-only repairs (``锛氣墺`` -> ``：≥``): every character must be a common sign
        if min_han > 1 or not core or len(before) < 2:
            return False
        if any(ch >= "\x80" and (char_cost(ch) or 99) > 10.0 for ch in core):
            return False
    mb, nb = cost(before)
    ma, na = cost(core)
    if na == 0 or ma > 11.5 or ma > mb:
        return False
    if han_share_common(core) < 0.85:
        return False
    return mb * nb - ma * na >= 6.0


# ---------------------------------------------------------------- utf8-as-gbk


def _glen(ch: str) -> int:
    return 1 if ch == "€" else len(ch.encode("gb18030"))


def _longest_valid(run: str, k: int, at_end: bool = True) -> tuple[int, str, bool] | None:
    """Longest char-aligned stretch ``run[k:e]`` whose GBK bytes are strict UTF-8.

    Grows a window so clean text (which fails within a few bytes) costs little. Returns
    (e, decoded, lossy); lossy means the run ends in a truncated UTF-8 sequence, decoded as the
    readable part plus one U+FFFD for the character whose byte was lost. ``at_end`` says whether
    the end of ``run`` is a real end (ASCII or end of text) rather than a scan limit."""
    window = 12
    while True:
        end = min(len(run), k + window)
        seg = run[k:end]
        b = _gbk_bytes(seg)
        if b is None:
            return None
        try:
            decoded = b.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data":
                if end < len(run):
                    window *= 4
                    continue
                if exc.start == 0:
                    return None
                if not at_end:  # cut by the scan limit: keep the whole characters before it
                    p = exc.start
                    break
                return len(run), b[: exc.start].decode("utf-8", "replace") + "\ufffd", True
            p = exc.start
            break
        if end == len(run):
            return end, decoded, False
        window *= 4
    # an invalid byte at p: keep the longest prefix of whole characters that is whole UTF-8
    cut = 0
    nbytes = 0
    for ch in seg:
        n = _glen(ch)
        if nbytes + n > p:
            break
        nbytes += n
        cut += 1
    while cut > 0:
        try:
            return k + cut, b[:nbytes].decode("utf-8"), False
        except UnicodeDecodeError:
            cut -= 1
            nbytes -= _glen(seg[cut])
    return None


@lru_cache(maxsize=8192)
def _may_lead_utf8(ch: str) -> bool:
    """Whether the GBK bytes of ``ch`` start with a byte that can begin a UTF-8 character
    (C2-F4). Traditional text is full of key characters whose GBK bytes start with a UTF-8
    continuation byte (81-BF): a candidate starting there fails at its first byte."""
    b = _gbk_bytes(ch)
    return b is not None and 0xC2 <= b[0] <= 0xF4


_ASCII_RE = re.compile(r"[\x00-\x7f]")
#: failed candidate starts per document before the scan gives up (bounds pathological input)
_MAX_ATTEMPTS = 5000
#: longest stretch without ASCII examined from one start (longer mojibake is repaired in pieces)
_MAX_RUN = 8192


def _utf8_as_gbk(text: str, repairs: list[Repair], flags: list[dict], stats: CharCounts | None = None) -> None:
    if stats is not None and not stats.has("key"):
        return  # every pattern below needs a key character
    if not (_KEY_PAIR_RE.search(text) or _KEY_RUNSTART_RE.search(text) or _KEY_RE.match(text)):
        return
    pos = 0
    attempts = 0
    cache: dict[str, re.Match | None] = {}

    def next_hit(name: str, rx: re.Pattern, at: int) -> re.Match | None:
        # re-search only when the cached hit lies behind ``at``: a pattern with no further hit
        # is not rescanned for every attempt (that was quadratic on long pathological text)
        if name in cache:
            h = cache[name]
            if h is None or h.start() >= at:
                return h
        h = rx.search(text, at)
        cache[name] = h
        return h

    while True:
        h1 = next_hit("pair", _KEY_PAIR_RE, pos)
        h2 = next_hit("runstart", _KEY_RUNSTART_RE, max(0, pos - 1))
        if pos == 0 and _KEY_RE.match(text) and len(text) > 1 and text[1] >= "\x80":
            h2 = _KEY_RE.match(text)
        hits = [h for h in (h1, h2) if h is not None]
        if not hits:
            return
        hit = min(hits, key=lambda h: h.start())
        attempts += 1
        if attempts > _MAX_ATTEMPTS:
            flags.append({"step": NAME, "kind": "scan-truncated", "start": hit.start(), "end": hit.start()})
            return
        k = hit.start()
        if text[k] < "\x80":  # the run-start alternative matched on the ASCII char before
            k += 1
        if not _may_lead_utf8(text[k]):
            pos = k + 1  # what _longest_valid would conclude after encoding and failing to decode
            continue
        nxt = _ASCII_RE.search(text, k, k + _MAX_RUN)
        if nxt:
            run_end, at_end = nxt.start(), True
        else:
            run_end = min(len(text), k + _MAX_RUN)
            at_end = run_end == len(text)
        run = text[k:run_end]
        res = _longest_valid(run, 0, at_end)
        if res is None or res[0] < 2:
            pos = k + 1
            continue
        e, decoded, lossy = res
        start, end = k, k + e
        if lossy and end < len(text) and text[end] == "?":
            end += 1  # the old decoder's marker for the lost byte
        before = text[start:end]
        if _clearly_better(before, decoded, max_fffd=1 if lossy else 0):
            repairs.append(
                Repair(NAME, start, end, before, decoded, "utf8-as-gbk-lossy" if lossy else "utf8-as-gbk")
            )
            pos = end
            continue
        if e >= 4 and _KEY_PAIR_RE.search(before):
            flags.append({"step": NAME, "kind": "suspect-utf8-as-gbk", "start": start, "end": end})
            if sum(1 for ch in decoded if is_han(ch)) >= 3:
                # a long stretch that is valid UTF-8 but not convincing as a whole: repairing a
                # piece of it would leave the text half converted, so leave all of it (flagged)
                pos = end
                continue
        pos = k + 1


# ---------------------------------------------------------------- utf8-as-latin1 (ftfy)


@lru_cache(maxsize=1)
def _ftfy():
    import ftfy
    from ftfy import TextFixerConfig

    cfg = TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=False,
        remove_control_chars=False,
        normalization=None,
        explain=False,
    )
    return ftfy, cfg


_LATIN1_RE = re.compile("[\u0080-\u024f]")


def _utf8_as_latin1(
    text: str, repairs: list[Repair], taken: list[tuple[int, int]], ambiguous: list[tuple[int, int]] = (),
    stats: CharCounts | None = None,
) -> None:
    if not (stats.pair(*_LATIN_UTF8_PAIRS[0]) or stats.pair(*_LATIN_UTF8_PAIRS[1]) or stats.pair(*_LATIN_UTF8_PAIRS[2])
            if stats is not None else any(rx.search(text) for rx in _LATIN_UTF8_PARTS)):
        return
    ftfy, cfg = _ftfy()
    for m in _LINE_RE.finditer(text):
        line = m.group()
        if not line or not any(rx.search(line) for rx in _LATIN_UTF8_PARTS):
            continue
        if len(line) > _MAX_LINE:
            continue
        if _overlaps(m.start(), m.end(), taken):
            continue
        fixed = ftfy.fix_text(line, cfg)
        if fixed == line:
            continue
        if not coherent(fixed) and coherent(line):
            continue  # a decoding that mixes scripts is not a repair
        if any(unicodedata.category(ch) in ("Cn", "Co") for ch in fixed if ch >= "\u0370"):
            continue  # unassigned or private-use code points: not text
        if _overlaps(m.start(), m.end(), list(ambiguous)):
            # also a GBK/Big5 candidate: only a real UTF-8 decoding (3/4 of Latin gone) counts,
            # not ftfy's mapping of C1 controls to cp1252 punctuation
            if len(_LATIN1_RE.findall(fixed)) * 4 > len(_LATIN1_RE.findall(line)):
                continue
        # trim the common prefix/suffix so the record covers only what changed
        a = 0
        while a < len(line) and a < len(fixed) and line[a] == fixed[a]:
            a += 1
        z = 0
        while z < len(line) - a and z < len(fixed) - a and line[-1 - z] == fixed[-1 - z]:
            z += 1
        repairs.append(
            Repair(NAME, m.start() + a, m.end() - z, line[a : len(line) - z], fixed[a : len(fixed) - z], "utf8-as-latin1")
        )


# ---------------------------------------------------------------- gbk/big5-as-latin1


def _sloppy_table(codec: str) -> dict[int, int]:
    """Map each character of a single-byte Windows codec to the Latin-1 character with the same
    byte value; bytes the codec leaves undefined stay C1 controls (what lenient decoders emit)."""
    table = {}
    for byte in range(0x80, 0x100):
        try:
            ch = bytes((byte,)).decode(codec)
        except UnicodeDecodeError:
            continue
        table[ord(ch)] = byte
    return table


_SLOPPY = {name: _sloppy_table(name) for name in ("cp1252", "cp1250")}


def _sloppy_bytes(s: str, codec: str) -> bytes | None:
    try:
        return s.translate(_SLOPPY[codec]).encode("latin-1")
    except UnicodeEncodeError:
        return None


_SCRIPT_OF = (
    ("greek", 0x0370, 0x03FF), ("cyrillic", 0x0400, 0x052F), ("armenian", 0x0530, 0x058F),
    ("hebrew", 0x0590, 0x05FF), ("arabic", 0x0600, 0x077F), ("indic", 0x0900, 0x0DFF),
    ("thai", 0x0E00, 0x0EFF), ("hangul", 0x1100, 0x11FF), ("cjk", 0x2E80, 0x9FFF),
    ("hangul", 0xAC00, 0xD7AF), ("cjk", 0xF900, 0xFAFF),
)


def coherent(text: str) -> bool:
    """At most one non-Latin script among the letters: real text, not bytes read wrongly
    (``һء``, Cyrillic next to Arabic, is what the wrong codec makes)."""
    seen = set()
    odd_latin = False
    for ch in text:
        if not ch.isalpha() or ch < "\u0100":
            continue
        if ch < "\u0370":
            odd_latin = True  # Latin Extended: fine alone, not next to another script
            if seen:
                return False
            continue
        if odd_latin:
            return False
        o = ord(ch)
        for name, lo, hi in _SCRIPT_OF:
            if lo <= o <= hi:
                seen.add(name)
                break
        else:
            seen.add("other")
        if len(seen) > 1:
            return False
    return True


def _sb_candidates(seg: str):
    for src in ("cp1252", "cp1250"):
        b = _sloppy_bytes(seg, src)
        if b is None:
            continue
        try:
            if coherent(b.decode("utf-8")):
                return  # UTF-8 read as a Windows code page: ftfy's case, not a CJK codec's
        except UnicodeDecodeError:
            pass
        for dst, note in (("gbk", "gbk-as-latin1"), ("big5", "big5-as-latin1")):
            try:
                cand = b.decode(dst)
            except UnicodeDecodeError:
                continue
            if sum(1 for ch in cand if is_han(ch)) >= 2:
                yield cand, f"{note}:{src}"


def _best_sb(seg: str) -> tuple[str, str] | None:
    best = None
    for cand, note in _sb_candidates(seg):
        c, _ = cost(cand)
        if best is None or c < best[0]:
            best = (c, cand, note)
    return (best[1], best[2]) if best else None


def _trim(a: str, b: str) -> tuple[int, int]:
    """Lengths of the common prefix and suffix of a and b (not overlapping)."""
    p = 0
    while p < len(a) and p < len(b) and a[p] == b[p]:
        p += 1
    q = 0
    while q < len(a) - p and q < len(b) - p and a[-1 - q] == b[-1 - q]:
        q += 1
    return p, q


def _legacy_as_latin1(
    text: str,
    repairs: list[Repair],
    taken: list[tuple[int, int]],
    flags: list[dict] | None = None,
    ambiguous: list[tuple[int, int]] | None = None,
    stats: CharCounts | None = None,
) -> None:
    quick = stats.pair(_SB_QUICK_CLASS, _SB_QUICK_CLASS) if stats is not None else _SB_QUICK_RE.search(text)
    if not quick or not _SB_RUN_RE.search(text):
        return
    for lm in _LINE_RE.finditer(text):
        line = lm.group()
        if not line or len(line) > _MAX_LINE or _overlaps(lm.start(), lm.end(), taken):
            continue
        if not _SB_RUN_RE.search(line):
            continue
        # whole line first: short runs between digits (``12ÔÂ1ÈÕ``) are only decidable together
        body = line.rstrip("\r\n")
        best = _best_sb(body)
        if best is not None:
            p, q = _trim(body, best[0])
            before, after = body[p : len(body) - q], best[0][p : len(best[0]) - q]
            if _clearly_better(before, after, min_han=2):
                repairs.append(Repair(NAME, lm.start() + p, lm.start() + len(body) - q, before, after, best[1]))
                taken.append((lm.start(), lm.end()))
                continue
            # a whole line that is valid GBK/Big5 bytes but not convincing Chinese: ambiguous.
            # ftfy still gets it, but must then remove most of the Latin-1 (see _utf8_as_latin1)
            if ambiguous is not None:
                ambiguous.append((lm.start(), lm.end()))
            if flags is not None:
                flags.append({"step": NAME, "kind": "suspect-legacy-as-latin1", "start": lm.start() + p, "end": lm.start() + len(body) - q})
            continue
        for m in _SB_RUN_RE.finditer(line):
            run = m.group()
            for seg in (run, run[:-1]) if run[-1] < "\x80" else (run,):
                best = _best_sb(seg)
                if best and _clearly_better(seg, best[0], min_han=2):
                    start = lm.start() + m.start()
                    repairs.append(Repair(NAME, start, start + len(seg), seg, best[0], best[1]))
                    taken.append((start, start + len(seg)))
                    break


# ---------------------------------------------------------------- gbk read one byte out of step

_MAX_SHIFT = 64
_SHIFT_CODECS = ("gbk", "big5")
#: resync points examined per document (bounds pathological input such as "中a" * 10**6)
_MAX_MARKERS = 2000


def _is_2byte(ch: str, codec: str) -> bool:
    if ch < "\x80":
        return False
    try:
        return len(ch.encode(codec)) == 2
    except UnicodeEncodeError:
        return False


def _shift_markers(text: str):
    """(index, kind) of places where a misaligned stretch can end: a lone ASCII letter (a trail
    byte in ASCII range) or U+FFFD (a trail byte the decoder could not pair)."""
    for m in _SHIFT_END_RE.finditer(text):
        if m.start() > 0 and text[m.start() - 1] >= "\x80":
            yield m.start(), "letter"
    if "\ufffd" in text:
        for m in re.finditer("(?<=[\u0080-\uffff])\ufffd", text):
            yield m.start(), "fffd"


def _shifted(text: str, repairs: list[Repair], flags: list[dict], taken: list[tuple[int, int]],
             stats: CharCounts | None = None) -> None:
    if stats is not None:
        if not (stats.pair(*_SHIFT_PAIR) or stats.has("fffd")):
            return
    elif not (_SHIFT_END_RE.search(text) or "\ufffd" in text):
        return
    for n, (t, kind) in enumerate(_shift_markers(text)):
        if n >= _MAX_MARKERS:
            flags.append({"step": NAME, "kind": "scan-truncated", "start": t, "end": t})
            return
        if _overlaps(t, t + 1, taken):
            continue
        best = None
        base_lo = t
        for codec in _SHIFT_CODECS:
            lo = t
            while lo > 0 and t - lo < _MAX_SHIFT and _is_2byte(text[lo - 1], codec):
                lo -= 1
            if t - lo < 2:
                continue
            region = text[lo : t + 1]
            # something must look wrong, or it is just "買A股"
            if kind == "letter" and not _SHIFT_ODD_RE.search(region) and cost(region[: t - lo])[0] < 13.0:
                continue
            base = total_cost(region)
            for s in range(t - 1, lo - 1, -1):
                b = text[s:t].encode(codec)
                if kind == "letter":
                    b += text[t].encode("ascii")
                try:
                    cand = b[1:].decode(codec, "strict" if kind == "letter" else "replace")
                except UnicodeDecodeError:
                    continue
                if kind == "fffd" and (cand.count("\ufffd") != 1 or not cand.endswith("\ufffd")):
                    continue
                gain = base - total_cost(text[lo:s] + cand)
                if best is None or gain > best[0]:
                    best = (gain, s, cand, codec)
                    base_lo = lo
        if best is None:
            continue
        gain, s, cand, codec = best
        before = text[s : t + 1]
        if gain >= 6.0 and _clearly_better(before, cand, min_han=2, max_fffd=1 if kind == "fffd" else 0):
            repairs.append(Repair(NAME, s, t + 1, before, cand, f"{codec}-shifted"))
            taken.append((s, t + 1))
        elif _SHIFT_ODD_RE.search(text[base_lo : t + 1]) and t - base_lo >= 3:
            flags.append({"step": NAME, "kind": "suspect-shifted", "start": base_lo, "end": t + 1})


# ---------------------------------------------------------------- big5 read as gbk

#: what a GBK/GB18030 decoder makes of common Big5 characters: Big5's most frequent rows
#: (A4-A7: 一 也 人 我...) land on GBK's kana, Greek, Cyrillic, bopomofo and symbol rows; user-defined
#: areas become private use. A Chinese line with none of these has no Big5-as-GBK damage.
_B5_ODD_RE = re.compile("[\u3105-\u3129\u3041-\u30ff\u0391-\u03c9\u0401-\u0451\ue000-\uf8ff\u2460-\u2479\u3220-\u3229]")
_KANA_RE = re.compile("[\u3041-\u30ff]")


@lru_cache(maxsize=65536)
def _big5_reading(ch: str) -> str | None:
    """The Big5 character whose two bytes a GB18030 decoder turned into ``ch`` (None if none)."""
    if ch < "\x80":
        return None
    try:
        b = ch.encode("gb18030")
    except UnicodeEncodeError:
        return None
    if len(b) != 2 or not 0xA1 <= b[0] <= 0xF9 or not (0x40 <= b[1] <= 0x7E or 0xA1 <= b[1] <= 0xFE):
        return None
    for codec in ("big5", "cp950", "big5hkscs"):
        try:
            out = b.decode(codec)
        except UnicodeDecodeError:
            continue
        return out if len(out) == 1 else None
    return None


def _gain(ch: str, reading: str | None, simp_re: re.Pattern) -> float:
    """How much cheaper ``reading`` is than ``ch`` (ASCII is the same in both codecs: 0). A
    Simplified-only character read back as Han counts as odd too: in a Traditional line it is
    likely damage (翻 -> 陆), and the stretch is still judged as a whole afterwards."""
    if reading is None:
        return -1e9
    if is_han(ch):
        g = (char_cost(ch) or 0.0) - (char_cost(reading) or 0.0)
        return max(g, 0.0) + 6.0 if simp_re.match(ch) and is_han(reading) else g
    if _B5_ODD_RE.match(ch):
        return (char_cost(ch) or 0.0) - (char_cost(reading) or 0.0)
    # ASCII, punctuation, box drawing (── used as a dash): neutral, taken only between odd ones
    return 0.0


def _best_stretch(gains: list[float], lo: int, hi: int) -> tuple[int, int, float]:
    """(start, end, sum) of the stretch of ``gains[lo:hi]`` with the largest sum (Kadane)."""
    best = (lo, lo, 0.0)
    start, acc = lo, 0.0
    for i in range(lo, hi):
        if acc <= 0:
            start, acc = i, 0.0
        acc += gains[i]
        if acc > best[2]:
            best = (start, i + 1, acc)
    return best


def _traditional_context(rest: str) -> bool:
    """The line around a stretch is Traditional Chinese: Han, no kana, a Traditional-only character."""
    if _KANA_RE.search(rest) or sum(1 for ch in rest if is_han(ch)) < 4:
        return False
    from .script import _script_classes

    return bool(_script_classes()[0].search(rest))


def _big5_as_gbk(text: str, repairs: list[Repair], flags: list[dict], taken: list[tuple[int, int]],
                 stats: CharCounts | None = None) -> None:
    """Big5 bytes read as GBK inside an otherwise good Traditional line (``我住在台灣`` ->
    ``и��b台灣``-like runs of kana, Cyrillic and rare Han). Big5 and GBK characters are both two
    bytes, so the damage is character for character: each odd character is scored against its
    Big5 reading, the stretch with the largest gain is taken, and it must be clearly better
    Chinese in a line whose other characters are Traditional Chinese (so Japanese stays)."""
    if not (stats.has("b5_odd") if stats is not None else _B5_ODD_RE.search(text)):
        return
    from .script import _script_classes

    simp_re = _script_classes()[1]
    for lm in _LINE_RE.finditer(text):
        line = lm.group()
        if not line or len(line) > _MAX_LINE or not _B5_ODD_RE.search(line):
            continue
        if _overlaps(lm.start(), lm.end(), taken):
            continue
        readings = [ch if ch < "\x80" else _big5_reading(ch) for ch in line]
        gains = [_gain(ch, r, simp_re) for ch, r in zip(line, readings)]
        pending = [(0, len(line))]
        while pending:
            lo, hi = pending.pop()
            s, e, gain = _best_stretch(gains, lo, hi)
            if e - s < 2 or gain < 6.0:
                continue
            before = line[s:e]
            after = "".join(readings[s:e])  # type: ignore[arg-type]
            if not _B5_ODD_RE.search(before) or not _traditional_context(line[:s] + line[e:]):
                continue
            if not any(is_han(ch) or (_B5_ODD_RE.match(ch) and not _KANA_RE.match(ch)) for ch in before):
                continue  # kana alone (あこがれの) is Japanese, not damage: Big5 text also gives Han, PUA, Cyrillic
            if _clearly_better(before, after, min_han=2):
                start = lm.start() + s
                repairs.append(Repair(NAME, start, start + len(before), before, after, "big5-as-gbk"))
                taken.append((start, start + len(before)))
                pending.extend(((lo, s), (e, hi)))
            elif e - s >= 3:
                flags.append({"step": NAME, "kind": "suspect-big5-as-gbk", "start": lm.start() + s, "end": lm.start() + e})


# ---------------------------------------------------------------- the step


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for s, e in spans)


class MojibakeStep:
    name = NAME
    version = VERSION

    def apply(self, text: str, stats: CharCounts | None = None) -> StepResult:
        """``stats``: the chain's one-pass statistics of ``text`` (saves the pre-scans)."""
        if stats.has("surrogate") if stats is not None else _SURROGATE_RE.search(text):
            # lone surrogates cannot be encoded: the patterns see U+FFFD (same length), the repairs
            # keep the real characters in ``before`` and the splice keeps them where not repaired
            res = self._apply(_SURROGATE_RE.sub("\ufffd", text))
            res.repairs = [r._replace(before=text[r.start : r.end]) for r in res.repairs]
            res.text = splice(text, sorted(res.repairs, key=lambda r: r.start))
            return res
        return self._apply(text, stats)

    def _apply(self, text: str, stats: CharCounts | None = None) -> StepResult:
        repairs: list[Repair] = []
        flags: list[dict] = []
        _utf8_as_gbk(text, repairs, flags, stats)
        taken = [(r.start, r.end) for r in repairs]
        ambiguous: list[tuple[int, int]] = []
        if stats.has("latin_any") if stats is not None else _LATIN_ANY_RE.search(text):  # both need a Latin-1/Latin-Ext or box-drawing character
            _legacy_as_latin1(text, repairs, taken, flags, ambiguous, stats)
            _utf8_as_latin1(text, repairs, taken, ambiguous, stats)
        taken = [(r.start, r.end) for r in repairs]
        _big5_as_gbk(text, repairs, flags, taken, stats)
        _shifted(text, repairs, flags, taken, stats)
        if not repairs:
            return StepResult(text, [], flags)
        repairs.sort(key=lambda r: r.start)
        # drop overlaps (first wins) so the splice is well defined
        kept: list[Repair] = []
        last = -1
        for r in repairs:
            if r.start >= last:
                kept.append(r)
                last = r.end
        flags = [f for f in flags if not _overlaps(f["start"], f["end"], [(r.start, r.end) for r in kept])]
        return StepResult(splice(text, kept), kept, flags)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")

STEP = MojibakeStep()
