-- Volunteers who apply on a station's public page (申请成为爱心妈妈), from the QR code of its
-- poster: she is a volunteer in `applied` at that station, with when she applied and agreed to
-- the processing of her data (`applied_online_at`), and the times she can give (`available`).
-- The station's manager sees her among the new applicants until she is screened or withdraws.
--
-- `application_attempt` counts the public page's submissions per client address (an IPv6
-- client by its /64) for its rate limit, across every instance; rows older than a day go.
--
-- Rule: the times are words the service knows (`volunteer_available_known`).

ALTER TABLE volunteer
    ADD COLUMN applied_online_at timestamptz,
    ADD COLUMN available text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT volunteer_available_known CHECK (
        available <@ ARRAY['weekday_daytime', 'weekday_evening', 'weekend', 'holidays']::text[]);

CREATE INDEX volunteer_new_applicants ON volunteer (station_id, applied_online_at)
    WHERE status = 'applied' AND applied_online_at IS NOT NULL;

CREATE TABLE application_attempt (
    address cidr NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_attempt_address ON application_attempt (address, at);
