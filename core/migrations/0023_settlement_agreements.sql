-- Settlement agreements: terms per CPO (emsp = '') or per CPO-eMSP pair, versioned by the local date they start.
CREATE TABLE settlement_agreements (
    cpo           text NOT NULL,
    emsp          text NOT NULL DEFAULT '',
    valid_from    date NOT NULL,
    cpo_percent   numeric NOT NULL,
    emsp_percent  numeric NOT NULL,
    hub_percent   numeric NOT NULL,
    period        text NOT NULL CHECK (period IN ('monthly', 'biweekly', 'weekly')),
    vat_percent   numeric NOT NULL CHECK (vat_percent >= 0),
    created_by    text NOT NULL DEFAULT '',
    create_time   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cpo, emsp, valid_from),
    CHECK (cpo_percent >= 0 AND emsp_percent >= 0 AND hub_percent >= 0
           AND cpo_percent + emsp_percent + hub_percent = 100)
);

-- When each closed period ended (UTC): no agreement may start before the last one, so a past statement never changes.
ALTER TABLE settlement_statements ADD COLUMN period_end timestamptz;
