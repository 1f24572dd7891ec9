-- Service-hours certificates (志愿服务时长证明): what a certificate printed for a volunteer and a
-- year said — hours from the sessions she hosted or attended (a session without both times
-- counted as 2 hours, and how many were so estimated) and from the contacts she logged — under a
-- code that `GET /verify/{code}` confirms publicly (her name masked, the hours, the year, the
-- station). A certificate is printed again with the same code while its figures are the same;
-- figures that changed get a new code, and the old one still says what it certified then.
--
-- Rules: a code of 12 characters without look-alikes (`service_certificate_code_format`); her
-- certificates go when she is erased (`service_certificate_erase`).

CREATE TABLE service_certificate (
    code               text PRIMARY KEY
                       CONSTRAINT service_certificate_code_format CHECK (code ~ '^[A-HJ-NP-Z2-9]{12}$'),
    volunteer_id       uuid NOT NULL REFERENCES volunteer (id),
    station_id         uuid REFERENCES station (id),
    year               integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    sessions           integer NOT NULL CHECK (sessions >= 0),
    estimated_sessions integer NOT NULL CHECK (estimated_sessions BETWEEN 0 AND sessions),
    session_minutes    integer NOT NULL CHECK (session_minutes >= 0),
    contacts           integer NOT NULL CHECK (contacts >= 0),
    contact_minutes    integer NOT NULL CHECK (contact_minutes >= 0),
    issued_at          timestamptz NOT NULL DEFAULT now(),
    issued_by          uuid REFERENCES app_user (id) ON DELETE SET NULL
);
CREATE INDEX service_certificate_volunteer ON service_certificate (volunteer_id, year);

CREATE FUNCTION service_certificate_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM service_certificate WHERE volunteer_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER service_certificate_erase AFTER UPDATE OF anonymised_at ON volunteer
    FOR EACH ROW WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
    EXECUTE FUNCTION service_certificate_erase();
