-- The dashboard's alerts count a province's records from these indexes alone (index-only
-- scans): quiet pairings with their station, and active volunteers' checks with their region.
CREATE INDEX pairing_quiet_station ON pairing ((coalesce(last_contact_on, started_on)), station_id)
    WHERE status = 'active';
DROP INDEX volunteer_active_checked_on;
CREATE INDEX volunteer_checks_due ON volunteer (background_check_on) INCLUDE (region_code, station_id)
    WHERE status = 'active';
