"""Practice tagger and relevance score against the labelled sets (tests/fixtures/tags).

    python benchmarks/eval_tags.py

Three tables: the tuning set (sentences.toml, which the cues were first written on), the held-out
set's dev half (odd ids; its errors were used to revise the cues) and its test half (even ids;
never looked at beyond these scores, so it is the honest estimate).
"""

from lendcorpus.pipelines.tag.evaluation import evaluate, heldout_documents, labelled_documents


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


if __name__ == "__main__":
    main()
