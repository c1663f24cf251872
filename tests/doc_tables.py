"""The docs' source lists, written from the source registry and the site rules.

A new source module (or rules file) changes what these render; ``tests/test_sources_registry.py``
fails until the docs say the same. Rewrite them with::

    python tests/doc_tables.py --write

What is written: the README's source table (every registered source, then the rule-driven sites
by kind) and the ``platform`` row of ``complaints`` in datasets/dictionary.md (every source whose
rows go to ``complaints``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DICTIONARY = REPO / "datasets" / "dictionary.md"

README_HEADER = "| spider | source | what it collects | notes |"
#: rules-file kind -> how the README names a group of such sites
SITE_KINDS = {"farm": "content farms", "news": "news portals"}
DICTIONARY_SECTION = "## `complaints`"
PLATFORM_ROW = "| `platform` | VARCHAR | "


def readme_source_table() -> list[str]:
    """The README's source table, header included."""
    from lendcorpus.pipelines.extract.sources import registry
    from lendcorpus.siterules import load_all

    lines = [README_HEADER, "|---|---|---|---|"]
    for src in registry().values():
        lines.append(f"| `{src.id}` | {src.name} {src.hosts[0]} | {src.collects} | [{src.docs}]({src.docs}) |")
    by_kind: dict[str, list[str]] = {}
    for name, rules in load_all().items():
        by_kind.setdefault(rules.kind, []).append(name)
    for kind in sorted(by_kind, key=lambda k: (list(SITE_KINDS).index(k) if k in SITE_KINDS else len(SITE_KINDS), k)):
        names = ", ".join(f"`{n}`" for n in sorted(by_kind[kind]))
        lines.append(f"| {names} | {SITE_KINDS.get(kind, f'{kind} sites')} | articles by site rules | "
                     "[docs/sites.md](docs/sites.md) |")
    return lines


def dictionary_platform_row() -> str:
    """The ``platform`` row of ``complaints``: the release's platform values, with their names."""
    from lendcorpus.pipelines.extract.sources import complaint_platforms, registry

    sources = registry()
    return PLATFORM_ROW + ", ".join(f"`{sid}` ({sources[sid].name})" for sid in complaint_platforms()) + " |"


def readme_table_span(lines: list[str]) -> tuple[int, int]:
    """[start, end) of the source table in the README's lines."""
    start = lines.index(README_HEADER)
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return start, end


def dictionary_row_index(lines: list[str]) -> int:
    """Index of the ``platform`` row inside the ``complaints`` section (other tables have one too)."""
    section = next(i for i, line in enumerate(lines) if line.startswith(DICTIONARY_SECTION))
    for i in range(section + 1, len(lines)):
        if lines[i].startswith("## "):
            break
        if lines[i].startswith(PLATFORM_ROW):
            return i
    raise ValueError(f"no platform row in the {DICTIONARY_SECTION} section of {DICTIONARY}")


def render_readme(text: str) -> str:
    """The README's text with its source table rewritten."""
    lines = text.split("\n")
    start, end = readme_table_span(lines)
    lines[start:end] = readme_source_table()
    return "\n".join(lines)


def render_dictionary(text: str) -> str:
    """The dictionary's text with the ``complaints.platform`` row rewritten."""
    lines = text.split("\n")
    lines[dictionary_row_index(lines)] = dictionary_platform_row()
    return "\n".join(lines)


GENERATED = {README: render_readme, DICTIONARY: render_dictionary}


def rendered(path: Path) -> str:
    """``path`` (README or dictionary) as it should read: its generated parts rewritten."""
    return GENERATED[path](path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite the files (default: list the ones out of date)")
    args = ap.parse_args(argv)
    stale = []
    for path in (README, DICTIONARY):
        want = rendered(path)
        if want != path.read_text(encoding="utf-8"):
            stale.append(path)
            if args.write:
                path.write_text(want, encoding="utf-8")
    for path in stale:
        print(f"{'rewrote' if args.write else 'out of date'}: {path.relative_to(REPO)}", file=sys.stderr)
    return 1 if stale and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
