-- CDRs CPOs post: immutable, verified against their tariff, kept for settlement, relayed to the token's eMSP.
CREATE TABLE cdrs (
    country_code        text NOT NULL,
    party_id            text NOT NULL,
    id_key              text NOT NULL,
    seq                 bigserial NOT NULL UNIQUE,
    -- ocpihub.cdrs.v1.Cdr
    data                bytea NOT NULL,
    -- ocpihub.cdrs.v1.CdrVerification
    verification        bytea NOT NULL,
    verification_state  text NOT NULL,
    last_updated        timestamptz NOT NULL,
    token_country_code  text NOT NULL,
    token_party_id      text NOT NULL,
    currency            text NOT NULL,
    end_date_time       timestamptz NOT NULL,
    total_cost          numeric NOT NULL,
    create_time         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id, id_key)
);
CREATE INDEX cdrs_last_updated_idx ON cdrs (last_updated);
CREATE INDEX cdrs_token_owner_idx ON cdrs (token_country_code, token_party_id, seq);
CREATE INDEX cdrs_verification_idx ON cdrs (verification_state, seq);
