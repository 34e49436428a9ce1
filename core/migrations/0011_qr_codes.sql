-- QR codes on connectors (seed §5.6): every code the Hub knows, and how each CPO's own codes are resolved.

-- Codes are case-sensitive and unique across CPOs (a printed code must lead to one connector).
CREATE TABLE qr_codes (
    code            text PRIMARY KEY,
    country_code    text NOT NULL,
    party_id        text NOT NULL,
    location_id     text NOT NULL,
    evse_uid        text NOT NULL,
    connector_id    text NOT NULL,
    -- STANDARD: a sticker the Hub made; REGISTRY: the CPO's upload; MAPPING_API: the CPO API's last answer (cache).
    source          text NOT NULL CHECK (source IN ('STANDARD', 'REGISTRY', 'MAPPING_API')),
    location_name   text NOT NULL DEFAULT '',
    connector_type  text NOT NULL DEFAULT '',
    power_kw        numeric,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX qr_codes_connector_idx ON qr_codes (country_code, party_id, location_id, evse_uid, connector_id);

-- Per CPO: its code pattern (the seed's YAML spec, as uploaded) and its mapping API.
CREATE TABLE qr_sources (
    country_code        text NOT NULL,
    party_id            text NOT NULL,
    pattern_yaml        text,
    api_url             text,
    -- Fernet, like TOKEN_B: the Hub needs it in clear to call the API, so it is encrypted, never hashed.
    api_key_encrypted   bytea,
    api_code_prefix     text NOT NULL DEFAULT '',
    update_time         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id)
);
