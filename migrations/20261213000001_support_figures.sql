-- The figures that say whether pairing works, read when asked (they move with the calendar):
-- running pairings by their due days and latest relationship score, read from an index alone;
-- pairings closed within a period, by their days.
CREATE INDEX pairing_station_support ON pairing (station_id)
    INCLUDE (due_on, check_in_due_on, relationship_score) WHERE status = 'active';
CREATE INDEX pairing_closed_on ON pairing (ended_on)
    INCLUDE (station_id, started_on, closure_reason) WHERE status = 'closed';
-- The dashboard's alert lists the running pairings longest overdue first.
CREATE INDEX pairing_due ON pairing (due_on, station_id) WHERE status = 'active';
