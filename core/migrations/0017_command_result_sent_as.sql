-- The CPO's own word for a result the Hub had to translate into OCPI (the seed's "SUCCESS"), shown by hubctl so the
-- CPO can be asked to send OCPI; empty when the result was OCPI already.
ALTER TABLE commands ADD COLUMN result_sent_as text NOT NULL DEFAULT '';
