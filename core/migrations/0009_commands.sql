-- Commands and ChargingProfiles requests relayed to CPOs: the Hub's response_url id ↔ the requester's response_url.
-- Correlation lives here (not in a facade's memory): any replica may receive the result, a restart loses nothing.
CREATE TABLE commands (
    id                          text PRIMARY KEY,
    type                        text NOT NULL,
    requester_country_code      text NOT NULL,
    requester_party_id          text NOT NULL,
    requester_role              text NOT NULL,
    requester_platform_id       uuid NOT NULL REFERENCES platforms (id),
    target_country_code         text NOT NULL,
    target_party_id             text NOT NULL,
    target_platform_id          uuid NOT NULL REFERENCES platforms (id),
    state                       text NOT NULL CHECK (state IN
                                    ('SENT', 'ACCEPTED', 'DECLINED', 'UNREACHABLE', 'COMPLETED', 'TIMED_OUT')),
    response                    text NOT NULL DEFAULT '',
    response_timeout_seconds    integer NOT NULL DEFAULT 0,
    result                      text NOT NULL DEFAULT '',
    result_count                integer NOT NULL DEFAULT 0,
    -- The last result body relayed: a retried POST of the same result is not relayed twice.
    last_result_body            bytea,
    response_url                text NOT NULL,
    location_id                 text NOT NULL DEFAULT '',
    evse_uid                    text NOT NULL DEFAULT '',
    connector_id                text NOT NULL DEFAULT '',
    session_id                  text NOT NULL DEFAULT '',
    reservation_id              text NOT NULL DEFAULT '',
    reservation_expiry          timestamptz,
    deadline                    timestamptz NOT NULL,
    callback_valid_until        timestamptz NOT NULL,
    correlation_id              text NOT NULL,
    create_time                 timestamptz NOT NULL,
    update_time                 timestamptz NOT NULL
);
-- The timeout sweeper's work list.
CREATE INDEX commands_waiting_idx ON commands (deadline) WHERE state IN ('SENT', 'ACCEPTED');
CREATE INDEX commands_create_time_idx ON commands (create_time DESC, id);
CREATE INDEX commands_reservation_idx ON commands (requester_country_code, requester_party_id, reservation_id)
    WHERE type = 'RESERVE_NOW';

-- A message to an absolute URL (a command's response_url) instead of the receiver's module endpoint.
ALTER TABLE deliveries ADD COLUMN url text NOT NULL DEFAULT '';

-- Open routing of commands: a location or session id alone names its CPO.
CREATE INDEX locations_id_idx ON locations (id_key);
CREATE INDEX sessions_id_idx ON sessions (id_key);
