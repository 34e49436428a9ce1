-- What a session's writes showed that OCPI allows but the Hub's rules narrow (core/sessions/rules.py), e.g.
-- kwh_more_than_2_decimals: the session was accepted and relayed as sent; the flags are kept for operators.
-- (A CDR's flags live in its verification.)
ALTER TABLE sessions ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
