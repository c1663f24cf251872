"""Practice tagger and relevance score against the labelled set (tests/fixtures/tags).

    python benchmarks/eval_tags.py
"""

from lendcorpus.pipelines.tag.evaluation import evaluate, labelled_documents


def main() -> None:
    docs = labelled_documents()
    print(f"{len(docs)} labelled documents ({sum(d.relevant for d in docs)} relevant)")
    print(f"{'label':20} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for label, s in evaluate(docs).items():
        print(f"{label:20} {s.precision:9.3f} {s.recall:7.3f} {s.tp:4} {s.fp:4} {s.fn:4}")


if __name__ == "__main__":
    main()
