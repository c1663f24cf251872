-- 0024: documents.repairs as a list of structs instead of JSON text (issue 12, item 7).
-- The per-record stage builds the column from Arrow structs; serialising ~60 repairs a farm
-- article to JSON (and DuckDB parsing the string back to check it) cost more than the
-- normalisation steps that found them. Same content: one element per repair, in chain order,
-- {step, start, end, before, after, note}; `note` is NULL where the JSON had no "note" key.
-- Existing rows are converted in place (from_json leaves a missing key NULL).
ALTER TABLE documents ALTER COLUMN repairs SET DATA TYPE
    STRUCT(step VARCHAR, "start" BIGINT, "end" BIGINT, before VARCHAR, after VARCHAR, note VARCHAR)[]
    USING from_json(repairs, '[{"step": "VARCHAR", "start": "BIGINT", "end": "BIGINT", "before": "VARCHAR", "after": "VARCHAR", "note": "VARCHAR"}]');
