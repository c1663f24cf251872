-- 0002: what the normalisation chain derives from each document's extracted text.
ALTER TABLE documents ADD COLUMN text_clean VARCHAR;          -- repaired, pinyin removed, in its own script
ALTER TABLE documents ADD COLUMN text_simplified VARCHAR;     -- text_clean converted to Simplified (OpenCC)
ALTER TABLE documents ADD COLUMN lang VARCHAR;                -- zh, ja, ko, en, ... or und
ALTER TABLE documents ADD COLUMN script VARCHAR;              -- hans, hant, mixed, none
ALTER TABLE documents ADD COLUMN simplified_changed_share DOUBLE;
ALTER TABLE documents ADD COLUMN pinyin_removed INTEGER;
ALTER TABLE documents ADD COLUMN repairs JSON;                -- [{step, start, end, before, after}]
ALTER TABLE documents ADD COLUMN gaps JSON;                   -- keyword-filter gaps [{kind, start, end, context}]
ALTER TABLE documents ADD COLUMN normalizer VARCHAR;          -- chain version that produced these fields
