-- How complaints end, per platform: resolved (the complainant confirmed), replied (the company
-- answered), closed without resolution, still open. resolution_rate = resolved / complaints.
CREATE OR REPLACE VIEW resolution_rates AS
SELECT cp.platform, p.name,
       count(*) AS complaints,
       count(*) FILTER (WHERE c.status = 'resolved') AS resolved,
       count(*) FILTER (WHERE c.status = 'replied') AS replied,
       count(*) FILTER (WHERE c.status = 'closed') AS closed,
       count(*) FILTER (WHERE c.status IN ('submitted', 'assigned', 'in_progress')) AS open,
       round(count(*) FILTER (WHERE c.status = 'resolved') / count(*), 4) AS resolution_rate
FROM complaint_platforms cp
JOIN complaints c ON c.complaint_id = cp.complaint_id
JOIN platforms p ON p.platform = cp.platform
GROUP BY ALL;
