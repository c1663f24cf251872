"""docs/safety.md names, for each threat, the test that holds it: every file and test it names exists."""

from __future__ import annotations

import re

from lc_testkit import REPO


def test_every_test_named_in_the_safety_page_exists():
    page = (REPO / "docs" / "safety.md").read_text(encoding="utf-8")
    files = set(re.findall(r"tests/[\w/]+\.py", page))
    assert len(files) >= 10
    for f in files:
        assert (REPO / f).is_file(), f
    defined = {m for p in (REPO / "tests").rglob("test_*.py")
               for m in re.findall(r"^def (test_\w+)", p.read_text(encoding="utf-8"), re.M)}
    named = set(re.findall(r"\b(test_\w+)\b(?!\.py)", page))
    assert len(named) >= 30
    assert sorted(named - defined) == []
