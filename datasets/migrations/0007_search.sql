-- 0007: the search table: pre-segmented text (character bigrams) per document, indexed by
-- DuckDB's FTS extension (the index itself lives in schema fts_main_search_docs, rebuilt by the
-- build's search pass).
CREATE TABLE search_docs (
    doc_id   VARCHAR PRIMARY KEY,
    indexer  VARCHAR NOT NULL,     -- segmentation version, e.g. search(bigram@1)
    tokens   VARCHAR NOT NULL      -- space-separated tokens of title + main text
);
