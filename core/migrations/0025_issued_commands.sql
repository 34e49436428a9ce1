-- Commands the Hub issues itself (hubctl commands start-session …, R6.1), for itself or on behalf of an eMSP. They
-- are QUEUED until a facade claims them (FOR UPDATE SKIP LOCKED) and sends them; the
-- Hub's own commands have no requester platform (the Hub is no platform of its registry) and no requester
-- response_url, so their results are recorded, not relayed.
ALTER TABLE commands ALTER COLUMN requester_platform_id DROP NOT NULL;
ALTER TABLE commands ADD COLUMN issued_by text NOT NULL DEFAULT '';
-- START_SESSION / RESERVE_NOW: the token (ocpihub.tokens.v1.Token) as the Hub held it when the command was issued.
ALTER TABLE commands ADD COLUMN issued_token bytea;
ALTER TABLE commands DROP CONSTRAINT commands_state_check;
ALTER TABLE commands ADD CONSTRAINT commands_state_check CHECK (state IN
    ('QUEUED', 'SENT', 'ACCEPTED', 'DECLINED', 'UNREACHABLE', 'COMPLETED', 'TIMED_OUT'));
CREATE INDEX commands_queued_idx ON commands (create_time) WHERE state = 'QUEUED';
