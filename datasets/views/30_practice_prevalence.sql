-- Collection practices by platform and month: how many of a platform's complaints that month
-- describe each practice (share = with_practice / complaints). Complaints without full text
-- cannot show practices and are counted in `complaints` only when the detail was fetched.
CREATE OR REPLACE VIEW practice_prevalence AS
WITH base AS (
    SELECT cp.platform, c.complaint_id,
           date_trunc('month', timezone('Asia/Shanghai', c.created_at))::DATE AS month
    FROM complaint_platforms cp JOIN complaints c ON c.complaint_id = cp.complaint_id
    WHERE c.narrative IS NOT NULL AND c.created_at IS NOT NULL
),
totals AS (SELECT platform, month, count(*) AS complaints FROM base GROUP BY ALL),
hits AS (
    SELECT b.platform, b.month, dp.practice, count(DISTINCT b.complaint_id) AS with_practice
    FROM base b JOIN document_practices dp ON dp.doc_id = b.complaint_id
    GROUP BY ALL
)
SELECT h.platform, h.month, h.practice, h.with_practice, t.complaints,
       round(h.with_practice / t.complaints, 4) AS share
FROM hits h JOIN totals t USING (platform, month);
