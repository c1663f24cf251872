-- The one definition of "relevant" (pipelines/tag/relevance.py, relevant_sql): scored at or above
-- the threshold by the tagging pass; a document the pass has not tagged is not relevant.
CREATE OR REPLACE MACRO is_relevant(flag) AS coalesce(flag, false);
