-- 0015: dedup@2, linear near-duplicate detection (issue 12). The LSH index and the edges are
-- kept per node (a distinct exact text with a signature: its main_hash read as a signed 64-bit
-- integer) instead of per document; each bucket compares its members with its few smallest
-- nodes only. The tables are re-derived by the pass (its signer string changed), so the old
-- rows are simply dropped. See docs/dedup.md.

ALTER TABLE dedup_signatures ADD COLUMN node BIGINT;   -- NULL when not indexed (empty or too short)

DROP TABLE dedup_bands;
CREATE TABLE dedup_bands (
    band SMALLINT NOT NULL,
    key  BIGINT NOT NULL,
    node BIGINT NOT NULL
);

DROP TABLE dedup_edges;
CREATE TABLE dedup_edges (
    node    BIGINT NOT NULL,      -- the larger node
    other   BIGINT NOT NULL,      -- a center of one of its buckets (smaller)
    jaccard DOUBLE NOT NULL,      -- estimated, >= the threshold
    PRIMARY KEY (node, other)
);
