-- Objects a sender addressed to one party (OCPI-to-*) are kept like broadcast ones, but shown only to the parties
-- they were addressed to: `audience` lists them ("CC/PID"); NULL is everyone who may see the object (for sessions
-- and CDRs, the token's eMSP).
ALTER TABLE locations ADD COLUMN audience text[];
ALTER TABLE sessions ADD COLUMN audience text[];
ALTER TABLE cdrs ADD COLUMN audience text[];
ALTER TABLE tariffs ADD COLUMN audience text[];
ALTER TABLE tokens ADD COLUMN audience text[];
-- A delivery of such a request: it goes out as the sender's (OCPI-from = sender), not as a Hub broadcast.
ALTER TABLE deliveries ADD COLUMN addressed boolean NOT NULL DEFAULT false;
