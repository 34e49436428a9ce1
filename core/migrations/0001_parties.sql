-- Parties, platforms (one OCPI connection each) and the tokens the Hub issues.

CREATE TABLE platforms (
    id                 uuid PRIMARY KEY,
    state              text NOT NULL CHECK (state IN ('REGISTERED', 'UNREGISTERED')),
    environment        text NOT NULL CHECK (environment IN ('SANDBOX', 'PRODUCTION')),
    versions_url       text NOT NULL,
    version            text NOT NULL,
    endpoints          jsonb NOT NULL,
    roles              jsonb NOT NULL,
    -- TOKEN_B: the party's token the Hub presents when it calls the party (Fernet ciphertext).
    token_b_encrypted  bytea NOT NULL,
    encode_auth_token  boolean NOT NULL,
    create_time        timestamptz NOT NULL DEFAULT now(),
    update_time        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE parties (
    country_code   text NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    party_id       text NOT NULL CHECK (party_id ~ '^[A-Z0-9]{1,3}$'),
    role           text NOT NULL,
    display_name   text NOT NULL,
    environment    text NOT NULL CHECK (environment IN ('SANDBOX', 'PRODUCTION')),
    state          text NOT NULL CHECK (state IN ('INVITED', 'REGISTERED', 'UNREGISTERED')),
    -- Set while suspended by an operator; the state underneath is kept so reinstating restores it.
    suspend_time   timestamptz,
    platform_id    uuid REFERENCES platforms (id),
    create_time    timestamptz NOT NULL DEFAULT now(),
    update_time    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id, role)
);
CREATE INDEX parties_platform_idx ON parties (platform_id);

-- Tokens the Hub issues: TOKEN_A (kind 'A', one party) and TOKEN_C (kind 'C', one platform). Only sha256 hashes.
CREATE TABLE hub_tokens (
    token_hash    bytea PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('A', 'C')),
    country_code  text,
    party_id      text,
    role          text,
    platform_id   uuid REFERENCES platforms (id),
    expire_time   timestamptz,
    revoke_time   timestamptz,
    create_time   timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'A' AND country_code IS NOT NULL AND platform_id IS NULL)
        OR (kind = 'C' AND platform_id IS NOT NULL AND country_code IS NULL)),
    FOREIGN KEY (country_code, party_id, role) REFERENCES parties (country_code, party_id, role)
);
CREATE INDEX hub_tokens_party_idx ON hub_tokens (country_code, party_id, role) WHERE kind = 'A';
CREATE INDEX hub_tokens_platform_idx ON hub_tokens (platform_id) WHERE kind = 'C';

-- Credential events (invites, registrations, rotations, suspensions), kept 365 days. Never holds a token.
CREATE TABLE credential_events (
    id            bigserial PRIMARY KEY,
    event_time    timestamptz NOT NULL DEFAULT now(),
    event         text NOT NULL,
    country_code  text,
    party_id      text,
    role          text,
    platform_id   uuid,
    detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX credential_events_time_idx ON credential_events (event_time);
