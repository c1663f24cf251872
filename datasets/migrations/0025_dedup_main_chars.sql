-- 0025: the length of each signed main text, kept beside its signature (issue 12). The dedup pass
-- orders a cluster's copies by it (the fullest copy is canonical among equal dates); reading it
-- from documents.text_main_simplified meant reading the text of every copy of every article a new
-- page joined, on every build. Filled here for signatures made before; the pass writes it.
ALTER TABLE dedup_signatures ADD COLUMN main_chars INTEGER;
UPDATE dedup_signatures SET main_chars = coalesce(length(d.text_main_simplified), 0)
FROM documents d WHERE d.doc_id = dedup_signatures.doc_id;
