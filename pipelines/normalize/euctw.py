"""EUC-TW decoding (CNS 11643 planes 1-3), registered as the Python codec ``euc_tw``.

Python has no EUC-TW codec, and old Taiwanese pages (and the charset test files) use it. Decoding
only: nothing in the project writes EUC-TW. Planes 4-7 are not in the table and decode to U+FFFD.
"""

from __future__ import annotations

import base64
import codecs
import zlib
from functools import lru_cache


@lru_cache(maxsize=1)
def _planes() -> dict[int, str]:
    from ._euctw_data import PLANES

    out = {}
    for p, blob in PLANES.items():
        out[p] = zlib.decompress(base64.b85decode(blob)).decode("utf-8")
    return out


def _cell(plane: int, b1: int, b2: int) -> str | None:
    table = _planes().get(plane)
    if table is None or not (0xA1 <= b1 <= 0xFE and 0xA1 <= b2 <= 0xFE):
        return None
    ch = table[(b1 - 0xA1) * 94 + (b2 - 0xA1)]
    return None if ch == "\0" else ch


def decode_euctw(data: bytes, errors: str = "strict") -> tuple[str, int]:
    """Decode EUC-TW bytes; ``errors`` is 'strict' or 'replace'."""
    out: list[str] = []
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            out.append(chr(b))
            i += 1
            continue
        ch = None
        width = 1
        if b == 0x8E and i + 3 < n:
            plane = data[i + 1] - 0xA0
            ch = _cell(plane, data[i + 2], data[i + 3]) if 1 <= plane <= 16 else None
            width = 4
        elif 0xA1 <= b <= 0xFE and i + 1 < n:
            ch = _cell(1, b, data[i + 1])
            width = 2
        if ch is None:
            if errors == "strict":
                raise UnicodeDecodeError("euc_tw", bytes(data), i, i + 1, "invalid EUC-TW sequence")
            out.append("\ufffd")
            tail = data[i + width - 2 : i + width] if width > 1 and i + width <= n else b""
            i += width if tail and all(0xA1 <= x <= 0xFE for x in tail) else 1
            continue
        out.append(ch)
        i += width
    return "".join(out), n


def _decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
    return decode_euctw(bytes(data), errors if errors in ("strict", "replace") else "replace")


def _encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    raise UnicodeError("euc_tw: encoding is not supported (decode only)")


_INFO = codecs.CodecInfo(name="euc_tw", encode=_encode, decode=_decode)


def _search(name: str) -> codecs.CodecInfo | None:
    return _INFO if name.replace("-", "_").lower() in ("euc_tw", "euctw", "x_euc_tw", "cns11643") else None


codecs.register(_search)
