-- Delivered outbox rows are purged after HUB_DELIVERY_RETENTION_SECONDS (counted from delivery: update_time).
-- This partial index holds delivered rows only, oldest first: a purge batch reads its 1,000 rows straight off the
-- index, and a purge with nothing due costs one index probe, however many recent rows the table holds.
-- Built inside the migration's transaction (writes to deliveries wait for it: seconds for millions of rows; run
-- the migration job before the rollout, as always).
CREATE INDEX deliveries_delivered_idx ON deliveries (update_time) WHERE state = 'DELIVERED';

-- Every delivery leaves dead row versions behind (lease, completion, then the purge): vacuum this queue table after
-- 5 % of it changed rather than PostgreSQL's default 20 %, so the space the purge frees is reused before the table
-- grows (7 days at a million deliveries a day would otherwise wait for 1.4 million dead rows).
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.05);
