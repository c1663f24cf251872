"""The golden set: real captures (tests/fixtures/golden/README.md) held at score floors.

Each capture goes through the build's own extraction (``extract_record``, the generic path for
hosts without rules); its document is scored against facts written from reading the page. The
floors come from floors.toml, and floors.toml must equal the last row of the README's floor
history, so a floor never moves without a visible line saying why. News captures are scored on
text, title, day, time of day (on the page's own clock, where it shows one) and boilerplate; list
captures on whether they stay out of the articles.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import tomllib
from collections import Counter
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from lendcorpus.archive import ArchivedRecord
from lendcorpus.pipelines.extract.dispatch import extract_record

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
EXPECTED = tomllib.loads((GOLDEN / "expected.toml").read_text(encoding="utf-8"))["capture"]
FLOORS = tomllib.loads((GOLDEN / "floors.toml").read_text(encoding="utf-8"))
README = (GOLDEN / "README.md").read_text(encoding="utf-8")


def _anonymiser():
    spec = importlib.util.spec_from_file_location("golden_anonymise", GOLDEN / "anonymise.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bag(text: str) -> Counter:
    return Counter(c for c in text if not c.isspace())


def char_f1(got: str, want: str) -> float:
    g, w = _bag(got), _bag(want)
    common = sum((g & w).values())
    if not common:
        return 0.0
    p, r = common / sum(g.values()), common / sum(w.values())
    return 2 * p * r / (p + r)


def _readme_rows() -> list[dict]:
    """The captures table: file -> origin and stored SHA-256."""
    rows = {}
    for line in README.splitlines():
        m = re.match(r"\| `(captures/[^`]+)` \|.*\| `([0-9a-f]{64})` \| (same|`[0-9a-f]{64}`) \|", line)
        if m:
            stored = m.group(2) if m.group(3) == "same" else m.group(3).strip("`")
            rows[m.group(1)] = {"origin": m.group(2), "stored": stored}
    return rows


def score(capture: dict) -> dict:
    body = (GOLDEN / capture["file"]).read_bytes()
    rec = ArchivedRecord(path=Path("golden.warc.gz"), offset=0, length=len(body), rec_type="response",
                         url=capture["url"], date=capture["fetched"], status=200,
                         headers=[("Content-Type", capture["content_type"])], body=body, warc_headers={})
    ex = extract_record(rec)
    doc = ex.documents[0] if ex.documents else None
    if capture["kind"] == "list":
        # a list of links (announcements, headlines) is navigation: it must not become an article
        return {"no_document": float(doc is None)}
    text = doc.text if doc else ""
    when = doc.published_at if doc else None
    shown = when.astimezone(_offset(capture["utc_offset"])) if when is not None else None
    time_shown = capture.get("published_time")
    return {
        "documents": float(doc is not None),
        "text_f1": char_f1(text, capture["text"]),
        "title_exact": float(doc is not None and (doc.title or "").strip() == capture["title"]),
        # the day as the extractor dated it (a date without a time is midnight China time)
        "published_day": float(when is not None and when.date().isoformat() == capture["published_day"]),
        "boilerplate_free": float(doc is not None and not any(s in text for s in capture["must_not_contain"])),
        # only pages that show a time of day are scored on it (None: not applicable)
        "time_of_day": None if time_shown is None else float(shown is not None and
                                                             shown.strftime("%H:%M") == time_shown),
    }


def _offset(text: str) -> timezone:
    """The page's own clock ("+08:00" for Beijing time): the time of day is compared as shown."""
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _mean(values: list) -> float:
    """Mean over the captures a measure applies to (1.0 when it applies to none)."""
    scored = [v for v in values if v is not None]
    return sum(scored) / len(scored) if scored else 1.0


def test_captures_are_byte_exact_with_their_origin_and_anonymised():
    rows = _readme_rows()
    files = {c["file"] for c in EXPECTED}
    assert files and files == set(rows), "every capture needs a README row and expected facts"
    anonymise = _anonymiser().anonymise
    for name in files:
        data = (GOLDEN / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == rows[name]["stored"], name
        again, counts = anonymise(data)
        assert again == data and not counts, f"{name}: personal identifiers left in the stored capture"


def test_anonymise_replaces_identifiers_with_invented_ones_of_the_same_shape():
    anonymise = _anonymiser().anonymise
    raw = ("联系我 13912345678，身份证 440301198807154512，邮箱 zhang.san@qq.com，"
           "QQ：123456789，卡号 6222021234567890123；编辑部 news@bbc.co.uk").encode("utf-8")
    out, counts = anonymise(raw)
    assert counts == Counter({"phone": 1, "id_number": 1, "email": 1, "qq": 1, "bank_card": 1})
    text = out.decode("utf-8")
    for real in ("13912345678", "440301198807154512", "zhang.san@qq.com", "123456789", "6222021234567890123"):
        assert real not in text
    assert "news@bbc.co.uk" in text and "13800" in text and "@example.invalid" in text  # organisations kept
    assert anonymise(raw)[0] == out  # deterministic
    assert anonymise(out) == (out, Counter())  # invented values are left alone: a second run changes nothing


def test_floors_change_only_with_a_history_row():
    lines = README.split("## Floor history", 1)[1].splitlines()
    header = [c.strip() for c in next(line for line in lines if line.startswith("| date")).strip("|").split("|")]
    measures = header[2:-1]  # between kind and why; a kind's measures are its non-empty cells ("—" elsewhere)
    last: dict[str, dict[str, float]] = {}
    for line in (line for line in lines if line.startswith("| 20")):
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|"))))
        last[cells["kind"]] = {k: float(cells[k]) for k in measures if cells[k] not in ("", "—")}
    assert last == {kind: {k: float(v) for k, v in floors.items()} for kind, floors in FLOORS.items()}


@pytest.mark.parametrize("kind", sorted(FLOORS))
def test_golden_captures_hold_their_floors(kind):
    captures = [c for c in EXPECTED if c["kind"] == kind]
    assert captures, f"no capture of kind {kind}"
    scores = [score(c) for c in captures]
    means = {k: _mean([s[k] for s in scores]) for k in FLOORS[kind]}
    below = {k: (round(means[k], 3), floor) for k, floor in FLOORS[kind].items() if means[k] < floor}
    assert below == {}, f"{kind}: below the floor (mean, floor): {below}"
