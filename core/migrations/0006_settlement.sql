-- Settlement: a closed period's statement is frozen; each CDR belongs to the period that settled it.
ALTER TABLE cdrs ADD COLUMN settlement_period text;
CREATE INDEX cdrs_settlement_idx ON cdrs (settlement_period, end_date_time);

CREATE TABLE settlement_statements (
    period       text PRIMARY KEY,
    -- ocpihub.billing.v1.Statement of the whole network, as closed.
    data         bytea NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now()
);
