-- Delivered outbox rows are purged after HUB_DELIVERY_RETENTION_SECONDS (counted from delivery: update_time).
-- This partial index holds delivered rows only, oldest first: a purge batch reads its 1,000 rows straight off the
-- index, and a purge with nothing due costs one index probe, however many recent rows the table holds.
-- Built inside the migration's transaction (writes to deliveries wait for it: seconds for millions of rows; run
-- the migration job before the rollout, as always).
CREATE INDEX deliveries_delivered_idx ON deliveries (update_time) WHERE state = 'DELIVERED';
