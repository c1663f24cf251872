-- Practice mix over time across all relevant documents, counting each dedup cluster once (a farm
-- article copied to twenty sites is one voice, not twenty).
CREATE OR REPLACE VIEW practices_by_month AS
SELECT date_trunc('month', timezone('Asia/Shanghai', coalesce(d.published_at, d.fetched_at)))::DATE AS month,
       d.kind, dp.practice,
       count(DISTINCT coalesce(m.cluster_id, d.doc_id)) AS articles
FROM document_practices dp
JOIN documents d USING (doc_id)
JOIN document_tags t USING (doc_id)
LEFT JOIN dedup_members m USING (doc_id)
WHERE is_relevant(t.relevant)
GROUP BY ALL;
