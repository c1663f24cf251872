-- Which platform each complaint is about: the complaint's target (company) or title names it,
-- or the tagger found it in the complainant's text. A complaint may name several platforms.
CREATE OR REPLACE VIEW complaint_platforms AS
SELECT DISTINCT c.complaint_id, p.platform
FROM complaints c
JOIN platforms p
  ON contains(coalesce(c.company, '') || ' ' || coalesce(c.title, ''), p.name)
  OR list_has_any(p.aliases, [c.company])
UNION
SELECT c.complaint_id, unnest(t.platforms) AS platform
FROM complaints c JOIN document_tags t ON t.doc_id = c.complaint_id;
