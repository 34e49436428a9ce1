-- Security events (auth failures, suspensions, token rotations), kept HUB_AUDIT_RETENTION_DAYS (R10.5). Never a token:
-- at most the first hex digits of a token's sha256, enough to tell two floods apart, useless to an attacker.
CREATE TABLE security_events (
    id             bigserial PRIMARY KEY,
    event_time     timestamptz NOT NULL DEFAULT now(),
    kind           text NOT NULL,
    country_code   text,
    party_id       text,
    role           text,
    platform_id    uuid,
    remote_address text NOT NULL DEFAULT '',
    detail         jsonb NOT NULL DEFAULT '{}',
    -- How many occurrences this row stands for: a flood of bad tokens is one row per source and minute.
    occurrences    integer NOT NULL DEFAULT 1,
    last_time      timestamptz NOT NULL DEFAULT now(),
    -- Set on coalesced events only: (kind, source, minute); a repeat adds to occurrences instead of a new row.
    coalesce_key   text UNIQUE
);
CREATE INDEX security_events_time_idx ON security_events (event_time);
CREATE INDEX security_events_kind_time_idx ON security_events (kind, event_time);
