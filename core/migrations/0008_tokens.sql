-- Tokens eMSPs push: the Hub's whitelist copy, broadcast to CPOs and used for real-time authorization.
CREATE TABLE tokens (
    country_code   text NOT NULL,
    party_id       text NOT NULL,
    uid_key        text NOT NULL,
    type           text NOT NULL,
    seq            bigserial NOT NULL UNIQUE,
    -- ocpihub.tokens.v1.Token
    data           bytea NOT NULL,
    last_updated   timestamptz NOT NULL,
    create_time    timestamptz NOT NULL DEFAULT now(),
    update_time    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id, uid_key, type)
);
CREATE INDEX tokens_uid_idx ON tokens (uid_key, type);
CREATE INDEX tokens_last_updated_idx ON tokens (last_updated);
