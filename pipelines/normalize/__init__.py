"""Text normalisation: bytes of any encoding to clean, faithful Chinese text, with a change log.

    from lendcorpus.pipelines.normalize import decode_html, decode_bytes, normalize_text, CHAIN_VERSION

``decode_html``/``decode_bytes`` choose the charset from the bytes (then labels); ``normalize_text``
repairs mojibake, cleans Unicode, removes inline pinyin, and adds gaps, script, a Simplified copy
and the language. See docs/normalize.md.
"""

from .base import Decoded
from .chain import CHAIN_VERSION, Normalized, normalize_text, replay
from .decode import decode_bytes, decode_html

__all__ = ["CHAIN_VERSION", "Decoded", "Normalized", "decode_bytes", "decode_html", "normalize_text", "replay"]
