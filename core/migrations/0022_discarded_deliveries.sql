-- An operator may discard a dead letter (hubctl deliveries discard): it is never sent, and it is purged after
-- HUB_DELIVERY_RETENTION_SECONDS like a delivered message (counted from the discard), through its own partial index.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD', 'DISCARDED'));
CREATE INDEX deliveries_discarded_idx ON deliveries (update_time) WHERE state = 'DISCARDED';
