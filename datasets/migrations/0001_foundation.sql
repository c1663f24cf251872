-- 0001: the foundation. Raw bodies stay in WARC files; these tables point to them.

-- Crawl runs seen by the build (one folder of WARC files each; foreign WARCs get one per file).
CREATE TABLE crawl_runs (
    run_id        VARCHAR PRIMARY KEY,
    spider        VARCHAR,
    archive_dir   VARCHAR,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    finish_reason VARCHAR,
    sessions      INTEGER,
    first_loaded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Which WARC files the build has read, and how far: re-running build skips what is loaded.
CREATE TABLE archive_files (
    path          VARCHAR PRIMARY KEY,   -- relative to the archive folder when inside it
    run_id        VARCHAR,
    size_bytes    BIGINT NOT NULL,
    loaded_bytes  BIGINT NOT NULL,       -- every record before this offset is loaded
    records       INTEGER NOT NULL,
    damaged       INTEGER NOT NULL,
    first_loaded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_loaded_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per archived response or failed fetch.
CREATE TABLE fetches (
    archive_path   VARCHAR NOT NULL,
    archive_offset BIGINT NOT NULL,
    archive_length BIGINT,
    run_id         VARCHAR,
    spider         VARCHAR,
    url            VARCHAR NOT NULL,
    method         VARCHAR,
    status         INTEGER,              -- NULL when no response came (see error)
    error          VARCHAR,              -- timeout, robots_forbidden, ... when status is NULL
    page_kind      VARCHAR,              -- article, list, sitemap, robots, api, ...
    fetched_at     TIMESTAMPTZ,
    content_type   VARCHAR,
    content_length BIGINT,
    content_sha1   VARCHAR,              -- WARC-Payload-Digest (base32 sha1) of the stored body
    PRIMARY KEY (archive_path, archive_offset)
);

-- Documents as extracted. Derived text (normalised, simplified, ...) goes in other columns or
-- tables, never over these.
CREATE TABLE documents (
    doc_id         VARCHAR PRIMARY KEY,  -- <source>:<native id>, stable across builds and releases
    source         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,     -- article
    url            VARCHAR NOT NULL,
    title          VARCHAR,
    text           VARCHAR NOT NULL,
    published_at   TIMESTAMPTZ,
    fetched_at     TIMESTAMPTZ,
    extractor      VARCHAR NOT NULL,     -- rules:<site>@<rules version> or generic:trafilatura@<version>
    encoding       VARCHAR,
    encoding_evidence VARCHAR,
    archive_path   VARCHAR NOT NULL,
    archive_offset BIGINT NOT NULL,
    built_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Everything that did not become a document although it might have, with the reason.
CREATE TABLE rejects (
    url            VARCHAR,
    stage          VARCHAR NOT NULL,     -- archive, fetch, decode, extract
    reason         VARCHAR NOT NULL,
    detail         VARCHAR,
    archive_path   VARCHAR,
    archive_offset BIGINT,
    run_id         VARCHAR,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
