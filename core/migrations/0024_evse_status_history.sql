-- What each EVSE reported, one row per status change, written in the transaction that stores the location (group
-- commit: one INSERT per batch). Utilisation (hubctl analytics utilisation) is computed from these rows alone, so the
-- same question always gets the same answer. `reported_at` is the CPO's last_updated of the EVSE, not our clock.
CREATE TABLE evse_status_history (
    id bigint GENERATED ALWAYS AS IDENTITY,
    country_code text NOT NULL,
    party_id text NOT NULL,
    location_id text NOT NULL,
    evse_uid text NOT NULL,
    status text NOT NULL,
    reported_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evse_status_history_evse_idx
    ON evse_status_history (country_code, party_id, location_id, evse_uid, reported_at);
