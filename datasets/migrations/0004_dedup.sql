-- 0004: boilerplate removal and near-duplicate clustering (issue 4). Written by the corpus passes
-- boilerplate@N and dedup@N (lendcorpus.pipelines.boilerplate / .dedup); see docs/dedup.md.

-- Main text: text_clean / text_simplified without the farm template lines (never over them).
ALTER TABLE documents ADD COLUMN text_main VARCHAR;              -- '' when only boilerplate was left
ALTER TABLE documents ADD COLUMN text_main_simplified VARCHAR;
ALTER TABLE documents ADD COLUMN boilerplate VARCHAR;            -- pass + marker-list version that stripped it
ALTER TABLE documents ADD COLUMN boilerplate_lines INTEGER;      -- number of lines removed

-- Lines learned per site (documents.source) as template; kept across builds.
CREATE TABLE boilerplate_lines (
    source     VARCHAR NOT NULL,
    line_key   VARCHAR NOT NULL,       -- Simplified line, whitespace removed
    docs       INTEGER NOT NULL,       -- site documents containing it when learned
    site_docs  INTEGER NOT NULL,       -- site documents at that time
    learned_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source, line_key)
);

-- Every line removed from a document's main text, and why.
CREATE TABLE boilerplate_removed (
    doc_id   VARCHAR NOT NULL,
    line_no  INTEGER NOT NULL,         -- 0-based line of text_clean
    line     VARCHAR NOT NULL,         -- as in text_clean
    rule     VARCHAR NOT NULL,         -- marker:<key> | pattern:<name> | contact:<name> | after_contact | site
    contact  VARCHAR,                  -- for contact:* lines, the contact (also in publishers)
    PRIMARY KEY (doc_id, line_no)
);

-- Publisher fingerprints: a site's contact footer, once per (site, contact).
CREATE TABLE publishers (
    source       VARCHAR NOT NULL,
    contact      VARCHAR NOT NULL,
    rule         VARCHAR NOT NULL,
    first_doc_id VARCHAR NOT NULL,
    docs         INTEGER NOT NULL,     -- documents carrying the footer
    first_seen   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source, contact)
);

-- MinHash signature and exact hash of each document's Simplified main text.
CREATE TABLE dedup_signatures (
    doc_id     VARCHAR PRIMARY KEY,
    text_md5   VARCHAR NOT NULL,       -- md5(text_main_simplified) when signed: a change re-signs
    main_hash  VARCHAR,                -- exact-duplicate key; NULL = empty main text
    shingles   INTEGER NOT NULL,       -- character n-grams; below the minimum = exact matching only
    sig        BLOB,                   -- num_perm little-endian uint32 (NULL when not indexed)
    hash_rep   BOOLEAN NOT NULL,       -- the one document per main_hash that is in the LSH index
    signer     VARCHAR NOT NULL,       -- parameters, e.g. oph@1:n5:k128:b32r4:t0.5:m20:s1
    signed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The persisted LSH index: one row per (band, key) of each indexed document.
CREATE TABLE dedup_bands (
    band   SMALLINT NOT NULL,
    key    BIGINT NOT NULL,
    doc_id VARCHAR NOT NULL
);

-- Near-duplicate edges found by LSH and confirmed by estimated Jaccard (best few per document).
CREATE TABLE dedup_edges (
    doc_id   VARCHAR NOT NULL,         -- the document signed later
    other_id VARCHAR NOT NULL,
    jaccard  DOUBLE NOT NULL,
    PRIMARY KEY (doc_id, other_id)
);

-- Clusters: one per article. cluster_id = the canonical member's doc_id.
CREATE TABLE dedup_clusters (
    cluster_id         VARCHAR PRIMARY KEY,
    canonical_doc_id   VARCHAR NOT NULL,
    members            INTEGER NOT NULL,
    sources            INTEGER NOT NULL,
    first_published_at TIMESTAMPTZ,
    kind               VARCHAR NOT NULL   -- single | exact | near | empty
);

-- Every document's cluster and why it joined.
CREATE TABLE dedup_members (
    doc_id         VARCHAR PRIMARY KEY,
    cluster_id     VARCHAR NOT NULL,
    is_canonical   BOOLEAN NOT NULL,
    reason         VARCHAR NOT NULL,   -- canonical | unique | exact | near | empty
    matched_doc_id VARCHAR,            -- exact/near: the member it matched
    jaccard        DOUBLE              -- near: estimated Jaccard to matched_doc_id; exact: 1.0
);

-- One row per article: canonical members and singletons (documents with an empty main text are
-- not articles and are left out; they stay in documents and dedup_members).
CREATE VIEW articles AS
SELECT d.*, m.cluster_id, c.members AS copies, c.sources AS copy_sources
FROM dedup_members m
JOIN documents d USING (doc_id)
JOIN dedup_clusters c USING (cluster_id)
WHERE m.is_canonical AND m.reason <> 'empty';
