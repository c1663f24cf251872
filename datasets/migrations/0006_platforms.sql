-- 0006: the platform lexicon as a table, refreshed by the tagging pass from
-- datasets/lexicons/platforms.toml, so views and analysts can join on it.
CREATE TABLE platforms (
    platform  VARCHAR PRIMARY KEY,   -- lexicon id
    name      VARCHAR NOT NULL,      -- canonical name (Simplified)
    aliases   VARCHAR[],
    parent    VARCHAR                -- operating company or group, where well established
);
