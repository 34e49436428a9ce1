-- Idempotent commands (R10.6): an eMSP that retries a command with the same X-Request-ID gets the first answer
-- again instead of a second command at the CPO.
ALTER TABLE commands ADD COLUMN request_id text NOT NULL DEFAULT '';
-- The CPO's answer as it was relayed (HTTP status and body), replayed to a retry.
ALTER TABLE commands ADD COLUMN answer_status integer;
ALTER TABLE commands ADD COLUMN answer_body bytea;
CREATE UNIQUE INDEX commands_request_idx ON commands (requester_country_code, requester_party_id, request_id)
    WHERE request_id <> '';
