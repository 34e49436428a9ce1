-- Credentials lifecycle: operators revoke parties for good, and the Hub rotates its own TOKEN_C when it grows old.

ALTER TABLE parties DROP CONSTRAINT parties_state_check;
ALTER TABLE parties ADD CONSTRAINT parties_state_check
    CHECK (state IN ('INVITED', 'REGISTERED', 'UNREGISTERED', 'REVOKED'));

-- The Hub's rotation of its credentials at a platform (PUT to the party's credentials endpoint): the TOKEN_C of the
-- attempt in flight (its hash), failed attempts since the last success, why the last one failed, and when to try
-- again. A claim sets next_rotation_time ahead, so one replica makes each attempt.
ALTER TABLE platforms ADD COLUMN rotation_token_hash bytea;
ALTER TABLE platforms ADD COLUMN rotation_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE platforms ADD COLUMN rotation_error text;
ALTER TABLE platforms ADD COLUMN next_rotation_time timestamptz;

-- Rotation bookkeeping changes no authentication answer (the new token's row in hub_tokens notifies on its own).
DROP TRIGGER platforms_auth_change ON platforms;
CREATE TRIGGER platforms_auth_change AFTER UPDATE ON platforms
    FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'last_heard_time' - 'next_alive_check_time' - 'update_time' - 'rotation_token_hash'
           - 'rotation_attempts' - 'rotation_error' - 'next_rotation_time')
          IS DISTINCT FROM (to_jsonb(NEW) - 'last_heard_time' - 'next_alive_check_time' - 'update_time'
           - 'rotation_token_hash' - 'rotation_attempts' - 'rotation_error' - 'next_rotation_time'))
    EXECUTE FUNCTION notify_auth_change();
