-- The figures: counts the dashboard reads instead of a province's rows, each kept exact by
-- triggers in the writing transaction, so that a count never disagrees with the records.
--
-- * `volunteer_tally`: volunteers by region, station, status and whether their training is on
--   record (volunteer_tally_count, in volunteers);
-- * `child_tally`: children by region, station, category and status (child_tally_count, in
--   children);
-- * `pairing_tally`: active pairings per station (pairing_tally_count, in pairings);
-- * `station_day` and `station_month`: per station, contacts (contact_count, in contacts;
--   pairing_moves_contacts, in pairings), pairings started (pairing_tally_count), activities
--   held and their person-visits (activity_count, in activities) and wishes fulfilled
--   (wish_count and child_moves_wishes, in wishes), all through `station_add`;
-- * the open-concern queue (`open_concern`, in contacts).
--
-- People are counted by their region, station and state: a province holds a few thousand such
-- keys against 170,000 children and 173,000 volunteers. `tally_rebuild()` counts everything from
-- scratch, after a bulk load that wrote rows with the triggers off.
--
-- Rules: no count is ever negative; `station_month.month` is the first day of its month.

CREATE TABLE volunteer_tally (
    region_code text NOT NULL,
    station_id  uuid,
    status      volunteer_status NOT NULL,
    trained     boolean NOT NULL,
    n           integer NOT NULL CHECK (n >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT volunteer_tally_key UNIQUE NULLS NOT DISTINCT (region_code, station_id, status, trained)
);
CREATE INDEX volunteer_tally_region ON volunteer_tally (region_code text_pattern_ops);
CREATE INDEX volunteer_tally_station ON volunteer_tally (station_id);

CREATE TABLE child_tally (
    region_code text NOT NULL,
    station_id  uuid NOT NULL,
    category    child_category NOT NULL,
    status      child_status NOT NULL,
    n           integer NOT NULL CHECK (n >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT child_tally_key UNIQUE (region_code, station_id, category, status)
);
CREATE INDEX child_tally_region ON child_tally (region_code text_pattern_ops);
CREATE INDEX child_tally_station ON child_tally (station_id);

CREATE TABLE pairing_tally (
    station_id uuid PRIMARY KEY REFERENCES station (id),
    active     integer NOT NULL CHECK (active >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Per station and day. (First kept for contacts alone as `contact_day`: three constraints still
-- carry that name.)
CREATE TABLE station_day (
    station_id       uuid NOT NULL CONSTRAINT contact_day_station_id_fkey REFERENCES station (id),
    day              date NOT NULL,
    contacts         integer NOT NULL CONSTRAINT contact_day_contacts_check CHECK (contacts >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    pairings_started integer NOT NULL DEFAULT 0
                     CONSTRAINT contact_day_pairings_started_check CHECK (pairings_started >= 0),
    activities       integer NOT NULL DEFAULT 0 CHECK (activities >= 0),
    person_visits    integer NOT NULL DEFAULT 0 CHECK (person_visits >= 0),
    wishes_fulfilled integer NOT NULL DEFAULT 0 CHECK (wishes_fulfilled >= 0),
    PRIMARY KEY (station_id, day)
);
-- A province's range is read by day, with the station to group by in the index itself.
CREATE INDEX station_day_day ON station_day (day)
    INCLUDE (station_id, contacts, pairings_started, activities, person_visits, wishes_fulfilled);

-- Per station and month, for the whole months of a period (the days for its ends).
CREATE TABLE station_month (
    station_id       uuid NOT NULL REFERENCES station (id),
    month            date NOT NULL CHECK (extract(day FROM month) = 1),
    contacts         integer NOT NULL DEFAULT 0 CHECK (contacts >= 0),
    pairings_started integer NOT NULL DEFAULT 0 CHECK (pairings_started >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    activities       integer NOT NULL DEFAULT 0 CHECK (activities >= 0),
    person_visits    integer NOT NULL DEFAULT 0 CHECK (person_visits >= 0),
    wishes_fulfilled integer NOT NULL DEFAULT 0 CHECK (wishes_fulfilled >= 0),
    PRIMARY KEY (station_id, month)
);
CREATE INDEX station_month_month ON station_month (month)
    INCLUDE (station_id, contacts, pairings_started, activities, person_visits, wishes_fulfilled);

-- Adds counts at a station on a day, to the day's and the month's rows. A call either adds
-- (every count ≥ 0) or removes (every count ≤ 0); a removal only updates, because CHECK
-- constraints judge an upsert's proposed row before the conflict is found.
CREATE FUNCTION station_add(
    station uuid, on_day date,
    contacts integer DEFAULT 0, pairings_started integer DEFAULT 0,
    activities integer DEFAULT 0, person_visits integer DEFAULT 0,
    wishes_fulfilled integer DEFAULT 0
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', on_day)::date;
BEGIN
    IF least(station_add.contacts, station_add.pairings_started, station_add.activities,
             station_add.person_visits, station_add.wishes_fulfilled) < 0 THEN
        UPDATE station_day d SET
            contacts = d.contacts + station_add.contacts,
            pairings_started = d.pairings_started + station_add.pairings_started,
            activities = d.activities + station_add.activities,
            person_visits = d.person_visits + station_add.person_visits,
            wishes_fulfilled = d.wishes_fulfilled + station_add.wishes_fulfilled,
            updated_at = now()
        WHERE d.station_id = station AND d.day = on_day;
        UPDATE station_month m SET
            contacts = m.contacts + station_add.contacts,
            pairings_started = m.pairings_started + station_add.pairings_started,
            activities = m.activities + station_add.activities,
            person_visits = m.person_visits + station_add.person_visits,
            wishes_fulfilled = m.wishes_fulfilled + station_add.wishes_fulfilled,
            updated_at = now()
        WHERE m.station_id = station AND m.month = first_day;
        RETURN;
    END IF;
    INSERT INTO station_day AS d
        (station_id, day, contacts, pairings_started, activities, person_visits, wishes_fulfilled)
    VALUES (station, on_day, station_add.contacts, station_add.pairings_started,
            station_add.activities, station_add.person_visits, station_add.wishes_fulfilled)
    ON CONFLICT (station_id, day) DO UPDATE SET
        contacts = d.contacts + excluded.contacts,
        pairings_started = d.pairings_started + excluded.pairings_started,
        activities = d.activities + excluded.activities,
        person_visits = d.person_visits + excluded.person_visits,
        wishes_fulfilled = d.wishes_fulfilled + excluded.wishes_fulfilled,
        updated_at = now();
    INSERT INTO station_month AS m
        (station_id, month, contacts, pairings_started, activities, person_visits, wishes_fulfilled)
    VALUES (station, first_day, station_add.contacts, station_add.pairings_started,
            station_add.activities, station_add.person_visits, station_add.wishes_fulfilled)
    ON CONFLICT (station_id, month) DO UPDATE SET
        contacts = m.contacts + excluded.contacts,
        pairings_started = m.pairings_started + excluded.pairings_started,
        activities = m.activities + excluded.activities,
        person_visits = m.person_visits + excluded.person_visits,
        wishes_fulfilled = m.wishes_fulfilled + excluded.wishes_fulfilled,
        updated_at = now();
END $$;

-- Counts everything from scratch, after a bulk load that wrote rows with the triggers off.
CREATE FUNCTION tally_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM volunteer_tally;
    INSERT INTO volunteer_tally (region_code, station_id, status, trained, n)
    SELECT region_code, station_id, status, trained_on IS NOT NULL, count(*) FROM volunteer GROUP BY 1, 2, 3, 4;
    DELETE FROM child_tally;
    INSERT INTO child_tally (region_code, station_id, category, status, n)
    SELECT region_code, station_id, category, status, count(*) FROM child GROUP BY 1, 2, 3, 4;
    DELETE FROM pairing_tally;
    INSERT INTO pairing_tally (station_id, active)
    SELECT station_id, count(*) FILTER (WHERE status = 'active') FROM pairing GROUP BY 1;
    DELETE FROM open_concern;
    INSERT INTO open_concern (contact_id, station_id, raised_at)
    SELECT k.id, p.station_id, k.created_at FROM contact k JOIN pairing p ON p.id = k.pairing_id
    WHERE k.concern_category IS NOT NULL AND k.concern_resolved_at IS NULL;
    DELETE FROM station_day;
    INSERT INTO station_day (station_id, day, contacts, pairings_started, activities, person_visits, wishes_fulfilled)
    SELECT station_id, day, sum(contacts), sum(started), sum(activities), sum(visits), sum(wishes) FROM (
        SELECT p.station_id, k.contacted_on AS day, 1 AS contacts, 0 AS started, 0 AS activities,
               0 AS visits, 0 AS wishes
        FROM contact k JOIN pairing p ON p.id = k.pairing_id
        UNION ALL
        SELECT station_id, started_on, 0, 1, 0, 0, 0 FROM pairing
        UNION ALL
        SELECT station_id, held_on, 0, 0, 1, person_visits, 0 FROM activity
        UNION ALL
        SELECT c.station_id, w.fulfilled_on, 0, 0, 0, 0, 1 FROM wish w JOIN child c ON c.id = w.child_id
        WHERE w.status = 'fulfilled') x
    GROUP BY 1, 2;
    DELETE FROM station_month;
    INSERT INTO station_month (station_id, month, contacts, pairings_started, activities, person_visits, wishes_fulfilled)
    SELECT station_id, date_trunc('month', day)::date, sum(contacts), sum(pairings_started),
           sum(activities), sum(person_visits), sum(wishes_fulfilled)
    FROM station_day GROUP BY 1, 2;
$$;
