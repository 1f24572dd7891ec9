-- Imports: the error reports of refused spreadsheet imports, kept for their author to download
-- for a week.
--
-- Rules: a report holds messages (row, column, what is wrong), never the values typed.

CREATE TABLE import_report (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES app_user (id),
    entity     text NOT NULL CHECK (char_length(entity) <= 50),
    -- [{"row": 3, "column": "手机号", "message": "…"}]: messages, never the values typed
    errors     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_report_created_at ON import_report (created_at);
