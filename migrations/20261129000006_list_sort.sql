-- Lists sorted newest first (and children by birth date) walk an index rather than sort a
-- province's rows for each page.
CREATE INDEX child_created_at ON child (created_at DESC, id DESC);
CREATE INDEX child_birth_date ON child (birth_date, id);
CREATE INDEX volunteer_created_at ON volunteer (created_at DESC, id DESC);
