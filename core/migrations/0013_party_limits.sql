-- Rate limits and IP allow-lists per party (R10.1). A party without a row gets the facade's defaults.

-- Per country_code/party_id, every role: OCPI-from headers, which say which party a request is from, carry no role.
CREATE TABLE party_limits (
    country_code     text NOT NULL,
    party_id         text NOT NULL,
    -- 0: the Hub's default (HUB_RATE_LIMIT_PER_SECOND / HUB_RATE_LIMIT_BURST).
    rate_per_second  integer NOT NULL DEFAULT 0 CHECK (rate_per_second >= 0),
    burst            integer NOT NULL DEFAULT 0 CHECK (burst >= 0),
    -- {"locations": {"rate_per_second": 5, "burst": 10}, …}
    module_limits    jsonb NOT NULL DEFAULT '{}',
    -- Empty: any address.
    allowed_cidrs    cidr[] NOT NULL DEFAULT '{}',
    update_time      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id)
);
