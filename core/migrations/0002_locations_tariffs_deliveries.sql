-- The Hub's store of broadcast locations and tariffs, and the outbox of deliveries to parties.

-- Ids are OCPI CiStrings: compared case-insensitively, so keys hold their upper-case form; `data` keeps them as sent.
CREATE TABLE locations (
    country_code    text NOT NULL,
    party_id        text NOT NULL,
    id_key          text NOT NULL,
    -- Creation order: pages stay stable while objects change (OCPI pagination).
    seq             bigserial NOT NULL UNIQUE,
    -- The whole aggregate (ocpihub.locations.v1.Location, EVSEs and connectors inside).
    data            bytea NOT NULL,
    last_updated    timestamptz NOT NULL,
    publish         boolean NOT NULL,
    city            text NOT NULL,
    country         text NOT NULL,
    latitude        numeric NOT NULL,
    longitude       numeric NOT NULL,
    -- One entry per EVSE: filters and status counts without decoding `data`.
    evse_statuses   text[] NOT NULL,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id, id_key)
);
CREATE INDEX locations_last_updated_idx ON locations (last_updated);
CREATE INDEX locations_city_idx ON locations (lower(city));
CREATE INDEX locations_position_idx ON locations (latitude, longitude);

CREATE TABLE tariffs (
    country_code    text NOT NULL,
    party_id        text NOT NULL,
    id_key          text NOT NULL,
    seq             bigserial NOT NULL UNIQUE,
    data            bytea NOT NULL,
    last_updated    timestamptz NOT NULL,
    -- OCPI DELETE: gone from pulls, kept for prices of sessions that used it.
    delete_time     timestamptz,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id, id_key)
);
CREATE INDEX tariffs_last_updated_idx ON tariffs (last_updated);

CREATE TABLE deliveries (
    id                      bigserial PRIMARY KEY,
    receiver_platform_id    uuid NOT NULL REFERENCES platforms (id),
    receiver_country_code   text NOT NULL,
    receiver_party_id       text NOT NULL,
    receiver_role           text NOT NULL,
    module                  text NOT NULL,
    method                  text NOT NULL,
    path                    text NOT NULL,
    body                    bytea NOT NULL,
    sender_country_code     text NOT NULL,
    sender_party_id         text NOT NULL,
    sender_role             text NOT NULL,
    correlation_id          text NOT NULL,
    -- Deliveries of one object to one receiver go out in id order.
    object_key              text NOT NULL,
    state                   text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
    attempts                integer NOT NULL DEFAULT 0,
    next_attempt_time       timestamptz NOT NULL DEFAULT now(),
    lease_until             timestamptz,
    last_error              text NOT NULL DEFAULT '',
    create_time             timestamptz NOT NULL DEFAULT now(),
    update_time             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_time, id) WHERE state = 'PENDING';
CREATE INDEX deliveries_order_idx ON deliveries
    (receiver_platform_id, receiver_country_code, receiver_party_id, receiver_role, object_key, id)
    WHERE state = 'PENDING';
CREATE INDEX deliveries_state_idx ON deliveries (state, id);
