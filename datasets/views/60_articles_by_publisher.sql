-- Farm articles by publisher (a site's contact footer): documents, distinct articles (dedup
-- clusters), and how many of those clusters also appear on other sites.
CREATE OR REPLACE VIEW articles_by_publisher AS
SELECT pb.source, pb.contact,
       count(DISTINCT d.doc_id) AS documents,
       count(DISTINCT m.cluster_id) AS articles,
       count(DISTINCT m.cluster_id) FILTER (WHERE cl.sources > 1) AS shared_with_other_sites
FROM publishers pb
JOIN documents d ON d.source = pb.source AND d.kind = 'article'
JOIN dedup_members m USING (doc_id)
JOIN dedup_clusters cl USING (cluster_id)
GROUP BY ALL;
