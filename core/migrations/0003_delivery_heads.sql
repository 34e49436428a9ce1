-- Each (receiver, object) queue marks its head: the one delivery that may be in flight. Leasing then reads only
-- heads through a small index instead of checking every pending row for an older one (O(backlog) per lease).
ALTER TABLE deliveries ADD COLUMN is_head boolean NOT NULL DEFAULT false;

UPDATE deliveries d SET is_head = true
WHERE d.state = 'PENDING' AND NOT EXISTS (
    SELECT 1 FROM deliveries e WHERE e.state = 'PENDING' AND e.receiver_platform_id = d.receiver_platform_id
      AND e.receiver_country_code = d.receiver_country_code AND e.receiver_party_id = d.receiver_party_id
      AND e.receiver_role = d.receiver_role AND e.object_key = d.object_key AND e.id < d.id);

CREATE INDEX deliveries_heads_idx ON deliveries (next_attempt_time, id) WHERE state = 'PENDING' AND is_head;
