-- 0022: what real captures showed (issue 14).
-- forum_ads: ad blocks on tieba pages. They wear the floor classes (plus a random suffix) and
-- sometimes a data-field naming another thread; they are neither posts nor damage, so they are
-- kept and counted here. One row per ad block per fetched page.
CREATE TABLE forum_ads (
    ad_id            VARCHAR PRIMARY KEY,  -- tieba:ad:<tid>:<pn>:<position>, or tieba:ad:<list url>#<n>
    platform         VARCHAR NOT NULL,
    thread_id        VARCHAR,              -- the thread page it was on (NULL on list pages)
    page_url         VARCHAR,
    position         INTEGER,              -- index among the page's floor-like blocks (or list items)
    layout           VARCHAR,              -- pc | mobile
    signal           VARCHAR,              -- class_suffix | foreign_thread | repeated_floor | list_item_without_thread
    claimed_floor    INTEGER,              -- the floor number its data-field claims, if any
    linked_thread_id VARCHAR,              -- the other thread its data-field names, if any
    text             VARCHAR,              -- the ad's words (first 500 characters)
    fetched_at       TIMESTAMPTZ,
    archive_path     VARCHAR,
    archive_offset   BIGINT
);

-- complaint_links: one filing against several companies comes back from 黑猫投诉 as consecutive
-- complaint numbers with the same text. Each such pair is named here (both directions), so it is
-- counted as one filing on purpose and never taken for dedup noise.
CREATE VIEW complaint_links AS
SELECT a.complaint_id, b.complaint_id AS linked_complaint_id, 'same_filing' AS link,
       a.company, b.company AS linked_company
FROM complaints a
JOIN complaints b
  ON a.platform = 'heimao' AND b.platform = 'heimao'
 AND a.narrative IS NOT NULL AND a.narrative = b.narrative
 AND abs(TRY_CAST(a.native_id AS BIGINT) - TRY_CAST(b.native_id AS BIGINT)) = 1;
