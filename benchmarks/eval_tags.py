"""Practice tagger and relevance score against the labelled sets (tests/fixtures/tags).

    python benchmarks/eval_tags.py

Three tables: the tuning set (sentences.toml, which the cues were first written on), the held-out
set's dev half (odd ids; its errors were used to revise the cues) and its test half (even ids;
never looked at beyond these scores, so it is the honest estimate).
"""

from tag_evaluation import (evaluate, heldout_documents, labelled_documents,
                                                 relevance_with_offtopic)


def table(title: str, docs) -> None:
    print(f"\n{title}: {len(docs)} documents ({sum(d.relevant for d in docs)} relevant)")
    print(f"{'label':20} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for label, s in evaluate(docs).items():
        print(f"{label:20} {s.precision:9.3f} {s.recall:7.3f} {s.tp:4} {s.fp:4} {s.fn:4}")


def main() -> None:
    table("Tuning set (tests/fixtures/tags/sentences.toml)", labelled_documents())
    table("Held-out dev (odd ids)", heldout_documents("dev"))
    table("Held-out test (even ids)", heldout_documents("test"))
    print("\nThe dev half was used to revise the cues; the test half was not (scores only).")
    print("\nRelevance against real off-topic pages of ../shared/eval (tests/fixtures/tags/offtopic/pages.toml):")
    print(f"{'set':36} {'precision':>9} {'recall':>7} {'flagged':>8} {'documents':>10}")
    for label, s in relevance_with_offtopic().items():
        print(f"{label:36} {s.precision:9.3f} {s.recall:7.3f} {s.tp + s.fp:8} {s.tp + s.fp + s.fn + s.tn:10}")
    print("(off-topic rows: precision 1.000 means none flagged; 'flagged' counts false positives)")


if __name__ == "__main__":
    main()
