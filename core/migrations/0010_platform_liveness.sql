-- Still-alive checks (HubClientInfo): when each platform was last heard from, when it is next due for a check,
-- and since when it has been unreachable (its parties are OFFLINE meanwhile).

ALTER TABLE platforms ADD COLUMN last_heard_time timestamptz NOT NULL DEFAULT now();
-- Set when a facade claims the check, so replicas never check one platform twice in a quiet period.
ALTER TABLE platforms ADD COLUMN next_alive_check_time timestamptz;
ALTER TABLE platforms ADD COLUMN offline_time timestamptz;

CREATE INDEX platforms_quiet_idx ON platforms (last_heard_time) WHERE state = 'REGISTERED';
