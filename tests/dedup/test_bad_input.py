"""Bad input: empty and one-line documents, documents of only boilerplate, a line pasted a
million times. Clear outcomes, no crash, bounded time."""

from __future__ import annotations


from lendcorpus.corpus import connect_write
from lendcorpus.pipelines.boilerplate import BoilerplatePass, strip_boilerplate
from lendcorpus.pipelines.dedup import DedupPass, Deduper
from lendcorpus.pipelines.textchain import derive_fields

FOOTER = "內容侵權、刪帖舉報聯系方式:13900001234 10001234@qq.com"
ONLY_BOILERPLATE = [
    f"精彩評論\n小編導語\n{FOOTER}\n投訴",
    "精彩评论\n小编导语\n小编总结",
    f"{FOOTER}\n投訴",
]


def _corpus(tmp_path, texts: dict[str, str], source: str = "site"):
    con = connect_write(tmp_path / "c.duckdb")
    for i, (doc_id, text) in enumerate(texts.items()):
        f = derive_fields(text)
        con.execute(
            "INSERT INTO documents (doc_id, source, kind, url, text, extractor, archive_path, archive_offset, "
            "text_clean, text_simplified) VALUES (?, ?, 'article', ?, ?, 'test', 'x.warc.gz', ?, ?, ?)",
            [doc_id, source, f"https://example.test/{i}", text, i, f["text_clean"], f["text_simplified"]])
    return con


def test_corpus_pass_on_empty_one_line_and_boilerplate_only_documents(tmp_path):
    texts = {"empty": "", "blank": "  \n\n ", "one": "逾期三天会上征信吗", "one_again": "逾期三天会上征信吗",
             "punct": "？！……"}
    texts.update({f"bp{i}": t for i, t in enumerate(ONLY_BOILERPLATE)})
    con = _corpus(tmp_path, texts)
    for p in (BoilerplatePass(), DedupPass()):
        p.run(con)
    mem = {r[0]: r[1:] for r in con.execute("SELECT doc_id, cluster_id, reason FROM dedup_members").fetchall()}
    assert set(mem) == set(texts)  # every document keeps a row
    for doc_id in ("empty", "blank", "punct", "bp0", "bp1", "bp2"):
        assert mem[doc_id] == (doc_id, "empty")  # its own cluster: empties are never clustered together
    main = dict(con.execute("SELECT doc_id, text_main FROM documents").fetchall())
    assert all(main[f"bp{i}"] == "" for i in range(3))
    # the same one-line text twice is an exact duplicate
    assert mem["one"][0] == mem["one_again"][0] and {mem["one"][1], mem["one_again"][1]} == {"canonical", "exact"}
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM publishers").fetchone()[0] == 1
    con.close()


def test_deduper_keeps_empty_documents_apart():
    d = Deduper()
    d.add([("a", ""), ("b", ""), ("c", "   "), ("d", "短")])
    members, clusters = d.clusters()
    assert {m.doc_id: (m.cluster_id, m.reason) for m in members} == {
        "a": ("a", "empty"), "b": ("b", "empty"), "c": ("c", "empty"), "d": ("d", "unique")}
    assert sorted(c.kind for c in clusters) == ["empty", "empty", "empty", "single"]


def test_a_million_copies_of_one_line_in_one_document():
    line = "逾期了怎么办，催收电话打到家里"
    big = "\n".join([line] * 1_000_000)
    s = strip_boilerplate(big, big, {"无关的模板行"})
    d = Deduper()
    d.add([("big", s.text_main_simplified), ("other", "完全不同的一篇文章讲的是怎么和平台协商分期还款的事情。" * 3)])
    members, _ = d.clusters()
    assert {m.doc_id: m.reason for m in members} == {"big": "unique", "other": "unique"}


def test_many_copies_of_one_line_as_documents_are_one_exact_cluster():
    """200k one-line documents with the same text (a million takes ~1 min: see docs/dedup.md)."""
    line = "逾期了怎么办，催收电话打到家里"
    d = Deduper()
    for start in range(0, 200_000, 50_000):
        d.add([(f"d{i:07d}", line) for i in range(start, start + 50_000)])
    members, clusters = d.clusters()
    assert len(clusters) == 1 and clusters[0].kind == "exact" and clusters[0].members == 200_000
    assert sum(m.is_canonical for m in members) == 1
    assert d.nodes <= 1  # at most one index entry per distinct text, however many copies
