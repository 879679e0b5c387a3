-- +goose Up
-- Security settings of each organization: which roles must use a second
-- factor ('*' = everyone, '' = nobody, else a comma list of role codes;
-- organization admins and platform operators by default), and the password
-- policy profile: 'asvs' (default) or 'dengbao' (GB/T 22239-2019 level 3).
ALTER TABLE organizations ADD COLUMN totp_roles TEXT NOT NULL DEFAULT 'org_admin,platform_operator';
ALTER TABLE organizations ADD COLUMN password_profile TEXT NOT NULL DEFAULT 'asvs';

-- A web session is fully signed in only when stage is ''; 'totp' waits for
-- the code, 'enrol' for the user to set up a second factor.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT '';

-- One authenticator per user. secret is encrypted with the app key;
-- confirmed_at is empty while enrolment waits for the first code; last_step
-- is the newest time step used, so a code is never accepted twice.
CREATE TABLE user_totp (
    org_id       INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    secret       TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);

-- One-time recovery codes, stored as SHA-256 hashes.
CREATE TABLE user_recovery_codes (
    org_id    INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMP,
    PRIMARY KEY (org_id, user_id, code_hash),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);

-- Hashes of the passwords a user has had, newest seq last, for the
-- no-reuse rule of the dengbao profile.
CREATE TABLE password_history (
    org_id        INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    set_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, user_id, seq),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE password_history;
DROP TABLE user_recovery_codes;
DROP TABLE user_totp;
ALTER TABLE sessions DROP COLUMN stage;
ALTER TABLE organizations DROP COLUMN password_profile;
ALTER TABLE organizations DROP COLUMN totp_roles;
