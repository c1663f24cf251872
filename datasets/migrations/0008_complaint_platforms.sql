-- 0008: which lending platforms each complaint names, as a table the tagging pass rewrites on
-- every build (it was a view joining every complaint to every platform by substring on every
-- query: 1.0-1.6 s at 1M documents; as a table the per-month view is a plain aggregate).
DROP VIEW IF EXISTS complaint_platforms;
CREATE TABLE complaint_platforms (
    complaint_id  VARCHAR NOT NULL,
    platform      VARCHAR NOT NULL,      -- lexicon id
    via           VARCHAR NOT NULL,      -- target (company/title names it) | text (tagger found it in the narrative)
    PRIMARY KEY (complaint_id, platform)
);
