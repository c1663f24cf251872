"""Personal-data scrubbing for Chinese text (phones, ID and bank card numbers, e-mail, QQ, WeChat,
names after cue words, street addresses, licence plates, user handles).

Used by ``lendcorpus redact`` and by every release; see docs/release.md for what is detected and
the measured precision/recall. ``detectors`` scrub (obfuscations undone on a same-length shadow of
the text); ``gate`` is the release's independent second detector; ``policy`` is the one rule both
share (which numbers are ids of things, not of people).
"""

from lendcorpus.pipelines.redact.core import REDACTOR_VERSION, merge_counts, scan, scrub
from lendcorpus.pipelines.redact.detectors import GATE_TYPES, PLACEHOLDERS, Finding, find, id_check_char, id_checksum_ok, luhn_ok

__all__ = ["REDACTOR_VERSION", "GATE_TYPES", "PLACEHOLDERS", "Finding", "find", "id_check_char", "id_checksum_ok",
           "luhn_ok", "merge_counts", "scan", "scrub"]
