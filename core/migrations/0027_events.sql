-- The event stream (hubctl events, the dashboard): domain events written in the transaction of the change they
-- describe, so an event exists iff its change committed.
--
-- Stream order is (xid, seq): the writing transaction's id, then the row's number within it. Neither alone is
-- commit order (a transaction that took a lower id may commit later), so a reader only reads events of
-- transactions older than the oldest one still running (pg_snapshot_xmin): those are all finished, and no event
-- can ever appear before a cursor already handed out (core/events/repository.py).
CREATE TABLE events (
    xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq          bigserial NOT NULL,
    event_time   timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind         text NOT NULL,
    party        text NOT NULL DEFAULT '',
    environment  text NOT NULL DEFAULT '',
    subject      text NOT NULL DEFAULT '',
    data         jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (xid, seq)
);

-- The purger deletes the oldest first.
CREATE INDEX events_event_time ON events (event_time);
