"""Rule-driven article extraction: the CSS in a site's rules file, applied with lexbor.

Fast enough to run on every page (about 10k pages/s for the parse alone), unlike a generic
main-text extractor; the build falls back to ``generic`` only when the rules miss.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from lendcorpus.siterules import SiteRules
from lendcorpus.pipelines.extract.dates import parse_date

BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 table tr td th section article blockquote pre hr dd dt header footer "
    "aside nav figure figcaption".split()
)
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "-comment"})


def block_text(node) -> str:
    """Text of a node with one line per block element; inline markup joins its neighbours."""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            line = " ".join("".join(current).split())
            if line:
                lines.append(line)
            current.clear()

    def walk(parent) -> None:
        for child in parent.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                current.append(child.text_content or "")
            elif tag in BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            elif tag not in SKIP_TAGS:
                walk(child)

    walk(node)
    flush()
    return "\n".join(lines)


def extract_with_rules(html: str, rules: SiteRules) -> tuple[str | None, str, object]:
    """(title, body text, published datetime or None). Body is '' when the selector misses."""
    tree = LexborHTMLParser(html)
    ex = rules.extract
    title_node = tree.css_first(ex.title) if ex.title else None
    title = " ".join(title_node.text().split()) if title_node is not None else None
    body = ""
    node = tree.css_first(ex.body) if ex.body else None
    if node is not None:
        for sel in ex.drop:
            for junk in node.css(sel):
                junk.decompose()
        body = block_text(node)
    published = None
    if ex.date:
        date_node = tree.css_first(ex.date)
        if date_node is not None:
            published = parse_date(date_node.text(), ex.date_formats)
    return title or None, body, published
