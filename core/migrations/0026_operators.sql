-- People who sign in to the dashboard (hubctl operator add|list|disable). The password is an argon2id hash (its salt
-- and parameters inside it); never the password. A disabled account stays, so the audit log's names keep meaning.
CREATE TABLE operators (
    email              text PRIMARY KEY CHECK (email = lower(email)),
    role               text NOT NULL CHECK (role IN ('admin', 'operator', 'analyst')),
    password_hash      text NOT NULL,
    created_by         text NOT NULL DEFAULT '',
    create_time        timestamptz NOT NULL DEFAULT now(),
    disable_time       timestamptz,
    last_sign_in_time  timestamptz
);

-- Sign-in attempts per e-mail (known or not, so a lock tells nothing about which accounts exist). An attempt is
-- counted before its password is checked, so parallel guesses cannot slip past the limit; a success deletes the row.
CREATE TABLE operator_sign_in_attempts (
    email         text PRIMARY KEY,
    failures      integer NOT NULL DEFAULT 0,
    window_start  timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz
);
