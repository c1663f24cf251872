-- Complaints per platform per month (by filing time, China time). Each complaint counts once
-- per platform it names.
CREATE OR REPLACE VIEW complaints_per_platform_month AS
SELECT cp.platform,
       p.name,
       date_trunc('month', timezone('Asia/Shanghai', c.created_at))::DATE AS month,
       count(*) AS complaints,
       count(*) FILTER (WHERE c.status = 'resolved') AS resolved,
       count(c.narrative) AS with_full_text
FROM complaint_platforms cp
JOIN complaints c ON c.complaint_id = cp.complaint_id
JOIN platforms p ON p.platform = cp.platform
WHERE c.created_at IS NOT NULL
GROUP BY ALL;
