-- 0009: search moves from DuckDB's FTS extension to the project's own bigram postings table
-- (docs/analysis.md, "Search"). The extension's index was rebuilt whole on every build and stored
-- one row per token occurrence in document order; `search_postings` holds one row per
-- (term, document), clustered by term, and is kept up to date incrementally.
-- Tokens are recomputed by the next build (the search pass's version changes), so the old rows
-- and the extension's index are dropped here.
DROP SCHEMA IF EXISTS fts_main_search_docs CASCADE;
DROP TABLE search_docs;
CREATE TABLE search_docs (
    doc_id   VARCHAR PRIMARY KEY,
    docid    INTEGER NOT NULL,     -- dense number used by search_postings (assigned in order of indexing)
    indexer  VARCHAR NOT NULL,     -- segmentation version, e.g. search(bigram@2)
    dl       INTEGER NOT NULL,     -- number of tokens (BM25's document length)
    tokens   VARCHAR NOT NULL      -- space-separated tokens of title + main text
);
CREATE TABLE search_postings (
    term     VARCHAR NOT NULL,     -- a token: a Han bigram, a lone Han character, a Latin word or number
    docid    INTEGER NOT NULL,     -- search_docs.docid
    tf       INTEGER NOT NULL,     -- occurrences of term in the document
    dl       INTEGER NOT NULL      -- the document's length, repeated so scoring reads one table
);
-- One row: the highest docid whose postings are written, and how many postings rows were appended
-- since the table was last rewritten in term order (the pass re-sorts when that tail grows).
CREATE TABLE search_index_state (
    posted_upto INTEGER NOT NULL,
    unsorted_rows BIGINT NOT NULL
);
INSERT INTO search_index_state VALUES (0, 0);
