"""Personal-data scrubbing for Chinese text (phones, ID and bank card numbers, e-mail, QQ, WeChat,
names after cue words, street addresses, licence plates, user handles).

Used by ``lendcorpus redact`` and by every release; see docs/release.md for what is detected and
the measured precision/recall.
"""

from lendcorpus.pipelines.redact.core import REDACTOR_VERSION, merge_counts, scan, scrub
from lendcorpus.pipelines.redact.detectors import GATE_TYPES, PLACEHOLDERS, Finding, find, id_check_char, id_checksum_ok, luhn_ok

__all__ = ["REDACTOR_VERSION", "GATE_TYPES", "PLACEHOLDERS", "Finding", "find", "id_check_char", "id_checksum_ok",
           "luhn_ok", "merge_counts", "scan", "scrub"]
