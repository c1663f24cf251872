-- 0003: one schema for complaints across platforms, and forum threads/posts.
-- Rows come from the source parsers (pipelines/extract/sources/*.py). A complaint seen in a list
-- and later on its detail page is one row: later non-NULL values fill in or update earlier ones.

CREATE TABLE complaints (
    complaint_id   VARCHAR PRIMARY KEY,  -- <platform>:<native id>, e.g. heimao:17390396995
    platform       VARCHAR NOT NULL,     -- heimao | jutousu | liuyan
    native_id      VARCHAR NOT NULL,
    url            VARCHAR,
    title          VARCHAR,
    company        VARCHAR,              -- who the complaint is against (投诉对象 / merchant / addressed official body)
    company_id     VARCHAR,              -- the platform's id for it (couid, merchantId, forum id)
    issue          VARCHAR,              -- 投诉问题 / problem labels, '；'-joined
    demand         VARCHAR,              -- 投诉要求 / 诉求
    amount_yuan    DOUBLE,               -- 涉诉金额 in yuan (2.3万元 → 23000)
    amount_raw     VARCHAR,
    status         VARCHAR,              -- submitted | assigned | in_progress | replied | resolved | closed | unknown
    status_raw     VARCHAR,              -- as the platform says it
    created_at     TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ,
    narrative      VARCHAR,              -- the complainant's full text (first-person), NULL until the detail is fetched
    summary        VARCHAR,              -- list excerpt
    upvotes        INTEGER,
    comments       INTEGER,
    author         VARCHAR,              -- display name as published: personal data, scrubbed in releases
    fetched_at     TIMESTAMPTZ,
    archive_path   VARCHAR,
    archive_offset BIGINT
);

-- The timeline of a complaint: filing, assignment, company replies, consumer confirmation,
-- official replies to letters. seq orders events oldest first (0 = filed).
CREATE TABLE complaint_events (
    complaint_id   VARCHAR NOT NULL,
    seq            INTEGER NOT NULL,
    actor          VARCHAR,              -- name shown (company, platform, office); consumers are 'consumer'
    actor_role     VARCHAR,              -- consumer | company | platform | official
    status_raw     VARCHAR,
    event_at       TIMESTAMPTZ,
    text           VARCHAR,
    PRIMARY KEY (complaint_id, seq)
);

CREATE TABLE forum_threads (
    thread_id      VARCHAR PRIMARY KEY,  -- tieba:<tid>
    platform       VARCHAR NOT NULL,
    forum          VARCHAR,              -- 网贷吧, 催收吧, ...
    title          VARCHAR,
    author         VARCHAR,              -- personal data, scrubbed in releases
    created_at     TIMESTAMPTZ,
    last_reply_at  TIMESTAMPTZ,
    reply_count    INTEGER,
    pages          INTEGER,
    url            VARCHAR,
    fetched_at     TIMESTAMPTZ,
    archive_path   VARCHAR,
    archive_offset BIGINT
);

CREATE TABLE forum_posts (
    post_id        VARCHAR PRIMARY KEY,  -- tieba:<post id>
    thread_id      VARCHAR NOT NULL,
    floor          INTEGER,
    author         VARCHAR,              -- personal data, scrubbed in releases
    posted_at      TIMESTAMPTZ,
    text           VARCHAR,
    url            VARCHAR,
    fetched_at     TIMESTAMPTZ,
    archive_path   VARCHAR,
    archive_offset BIGINT
);
