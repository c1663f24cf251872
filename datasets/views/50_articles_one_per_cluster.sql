-- One row per farm/news article however often it was copied and spun: the canonical member of
-- each dedup cluster, with how many copies on how many sites, kept when relevant to lending
-- and debt collection (document_tags.relevant; the threshold is documented in docs/analysis.md).
CREATE OR REPLACE VIEW articles_one_per_cluster AS
SELECT d.doc_id, d.source, d.url, d.title, d.published_at, d.text_simplified,
       m.cluster_id, cl.members AS copies, cl.sources AS copy_sources, t.relevance, t.platforms, t.practices
FROM documents d
JOIN dedup_members m USING (doc_id)
JOIN dedup_clusters cl USING (cluster_id)
LEFT JOIN document_tags t USING (doc_id)
WHERE d.kind = 'article' AND m.is_canonical AND m.reason <> 'empty' AND is_relevant(t.relevant);
