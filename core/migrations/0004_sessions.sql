-- Sessions CPOs push: stored for billing, analytics and the token owner's pulls (never broadcast).
CREATE TABLE sessions (
    country_code        text NOT NULL,
    party_id            text NOT NULL,
    id_key              text NOT NULL,
    seq                 bigserial NOT NULL UNIQUE,
    -- ocpihub.sessions.v1.Session
    data                bytea NOT NULL,
    last_updated        timestamptz NOT NULL,
    -- The eMSP that owns the session's token: the only party that receives or pulls it.
    token_country_code  text NOT NULL,
    token_party_id      text NOT NULL,
    status              text NOT NULL,
    location_id         text NOT NULL,
    start_date_time     timestamptz NOT NULL,
    kwh                 numeric NOT NULL,
    create_time         timestamptz NOT NULL DEFAULT now(),
    update_time         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id, id_key)
);
CREATE INDEX sessions_last_updated_idx ON sessions (last_updated);
CREATE INDEX sessions_token_owner_idx ON sessions (token_country_code, token_party_id, seq);
