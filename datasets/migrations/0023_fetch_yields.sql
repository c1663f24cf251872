-- 0023: what each fetched response yielded, for drift alarms after a build (crawler/drift.py).
-- items = rows of the page kind's main table (forum_posts for a thread page, forum_threads for a
-- forum list, complaints for list answers and complaint pages) or documents for other pages.
-- NULL for fetches loaded before this migration.
ALTER TABLE fetches ADD COLUMN items INTEGER;
