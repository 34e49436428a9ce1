-- Figures analytics aggregate in SQL, next to each CDR (the whole CDR stays in `data`).
ALTER TABLE cdrs ADD COLUMN start_date_time timestamptz;
ALTER TABLE cdrs ADD COLUMN total_energy numeric NOT NULL DEFAULT 0;
ALTER TABLE cdrs ADD COLUMN location_id text NOT NULL DEFAULT '';
UPDATE cdrs SET start_date_time = end_date_time WHERE start_date_time IS NULL;
ALTER TABLE cdrs ALTER COLUMN start_date_time SET NOT NULL;
CREATE INDEX cdrs_end_idx ON cdrs (end_date_time);
