-- 0010: what each corpus pass saw, per document (pipelines/passes.py).
--
-- A pass declares its inputs and a version; for every document it has processed it records the
-- version, a digest of the inputs it read and, when later passes read its output, a digest of
-- that output (so a later pass compares digests instead of re-hashing texts). A build reruns a pass exactly for the documents
-- whose recorded version or input digest differs from the current one, so a newly learned
-- boilerplate line re-strips, re-signs, re-tags and re-indexes those documents and no others,
-- and a changed normaliser re-derives from the stored text without reading the archive.
CREATE TABLE pass_state (
    doc_id       VARCHAR NOT NULL,
    pass         VARCHAR NOT NULL,   -- normalize, boilerplate, dedup, tags, search
    version      VARCHAR NOT NULL,   -- the pass's version string when it processed the document
    input_digest VARCHAR NOT NULL,   -- digest of the inputs it read for the document (see passes.py)
    output_digest VARCHAR,           -- digest of what it wrote for the document, when a later pass reads it
    PRIMARY KEY (pass, doc_id)
);

-- Per site, the learned boilerplate line set's digest and the line counts it was learned from,
-- kept up to date with each new document instead of re-counting the whole site.
CREATE TABLE boilerplate_line_counts (
    source   VARCHAR NOT NULL,
    line_key VARCHAR NOT NULL,
    docs     INTEGER NOT NULL,       -- documents of the site whose Simplified text has this line
    PRIMARY KEY (source, line_key)
);
CREATE TABLE boilerplate_sites (
    source      VARCHAR PRIMARY KEY,
    site_docs   INTEGER NOT NULL,    -- documents counted into boilerplate_line_counts
    lines_digest VARCHAR NOT NULL    -- md5 of the learned line set (part of every page's input digest)
);
