-- search_bm25(q, match_all := true): BM25 over search_postings with the indexer's tokenizer.
-- Generated from pipelines/search_index.py (python -m lendcorpus.pipelines.search_index --write-macro);
-- tests/test_architecture.py fails when this file and the code disagree.
CREATE OR REPLACE MACRO search_bm25(q, match_all := true) AS TABLE SELECT d.doc_id, s.score FROM (
        WITH p AS (SELECT term, docid, tf, dl FROM search_postings WHERE term IN (SELECT unnest(flatten(list_transform(regexp_extract_all(lower(coalesce(q, '')), '[\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{f900}-\x{faff}]+|[0-9a-z]+'), r -> CASE WHEN r[1] BETWEEN '0' AND 'z' OR length(r) = 1 THEN [r] ELSE list_transform(range(1, length(r)), k -> substr(r, k, 2)) END))))),
        df AS (SELECT term, count(*) AS df FROM p GROUP BY term),
        st AS (SELECT count(*) AS n, coalesce(avg(dl), 1) AS avgdl FROM search_docs),
        sc AS (SELECT p.docid, sum(round(log((st.n - df.df + 0.5) / (df.df + 0.5) + 1) * (p.tf * 2.2) / (p.tf + 1.2 * (0.25 + 0.75 * p.dl / st.avgdl)) * 1000000000000)::BIGINT) / 1000000000000 AS score, count(*) AS hits
               FROM p JOIN df USING (term), st GROUP BY p.docid)
        SELECT docid, score FROM sc WHERE NOT (match_all) OR hits = len(list_distinct(flatten(list_transform(regexp_extract_all(lower(coalesce(q, '')), '[\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{f900}-\x{faff}]+|[0-9a-z]+'), r -> CASE WHEN r[1] BETWEEN '0' AND 'z' OR length(r) = 1 THEN [r] ELSE list_transform(range(1, length(r)), k -> substr(r, k, 2)) END))))) s JOIN search_docs d USING (docid);
