-- 0005: taggers' output beside the documents (pipelines/tag; lexicons in datasets/lexicons).

-- One row per tagged document: relevance, the lists of platforms and practices, which tagger.
CREATE TABLE document_tags (
    doc_id        VARCHAR PRIMARY KEY,
    tagger        VARCHAR NOT NULL,      -- platforms@<hash>+practices@<hash>+relevance@N
    text_column   VARCHAR NOT NULL,      -- the column the spans refer to
    relevance     DOUBLE NOT NULL,       -- 0..1 topic relevance for lending / debt collection
    relevant      BOOLEAN NOT NULL,      -- relevance >= the documented threshold (0.5)
    evidence      JSON,                  -- {term: count, platforms: n, practices: n}
    platforms     VARCHAR[],             -- distinct platform ids
    practices     VARCHAR[],             -- distinct practice codes
    tagged_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE document_platforms (
    doc_id      VARCHAR NOT NULL,
    platform    VARCHAR NOT NULL,        -- lexicon id (datasets/lexicons/platforms.toml)
    matched     VARCHAR NOT NULL,        -- the text as found (may be masked: 信*飞)
    start_pos   INTEGER NOT NULL,
    end_pos     INTEGER NOT NULL,
    masked      BOOLEAN NOT NULL
);

CREATE TABLE document_practices (
    doc_id      VARCHAR NOT NULL,
    practice    VARCHAR NOT NULL,        -- taxonomy code (datasets/lexicons/practices.toml)
    cue         VARCHAR NOT NULL,        -- evidence text
    start_pos   INTEGER NOT NULL,
    end_pos     INTEGER NOT NULL
);
