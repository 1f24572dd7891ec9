-- The list of resolved concerns (`/concerns?status=resolved`), the latest resolved first.
CREATE INDEX contact_concern_resolved ON contact (concern_resolved_at DESC, id)
    WHERE concern_resolved_at IS NOT NULL;
