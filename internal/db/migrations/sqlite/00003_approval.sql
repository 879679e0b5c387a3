-- +goose Up
-- The one approval mechanism (SPEC P6). Workflows are defined in Go by the
-- modules; these tables hold each request, its steps per round, who may
-- decide each step, the full history and standing delegations.
CREATE TABLE approvals (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL REFERENCES organizations (id),
    kind               TEXT NOT NULL,
    subject_type       TEXT NOT NULL,
    subject_id         INTEGER NOT NULL,
    title              TEXT NOT NULL,
    submitter_id       INTEGER NOT NULL,
    submitter_staff_id INTEGER,
    site_id            INTEGER,
    amount_fen         INTEGER NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    round              INTEGER NOT NULL DEFAULT 1,
    current_step       INTEGER NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL DEFAULT 1,
    submitted_at       TIMESTAMP NOT NULL,
    decided_at         TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, submitter_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, submitter_staff_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
);
CREATE INDEX approvals_submitter ON approvals (org_id, submitter_id, submitted_at);
CREATE INDEX approvals_subject ON approvals (org_id, subject_type, subject_id);
CREATE INDEX approvals_site ON approvals (org_id, site_id, status);
-- One live request per subject and workflow: a rejected one is corrected and
-- resubmitted, or withdrawn, before another can start.
CREATE UNIQUE INDEX approvals_live_subject ON approvals (org_id, kind, subject_type, subject_id)
    WHERE status IN ('pending', 'rejected');

-- Steps are laid out for a round when it starts: the first applicable step is
-- pending, later ones waiting, those whose condition does not hold skipped.
CREATE TABLE approval_steps (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    approval_id INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    approver    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'pending', 'approved', 'rejected', 'skipped', 'cancelled')),
    started_at  TIMESTAMP,
    decided_by  INTEGER,
    acting_for  INTEGER,
    decided_at  TIMESTAMP,
    comment     TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, id),
    UNIQUE (org_id, approval_id, round, seq),
    FOREIGN KEY (org_id, approval_id) REFERENCES approvals (org_id, id),
    FOREIGN KEY (org_id, decided_by) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, acting_for) REFERENCES users (org_id, id)
);
CREATE INDEX approval_steps_pending ON approval_steps (org_id, status, approval_id);

-- The users a step resolved to when it became current; the to-do list reads
-- this table by user.
CREATE TABLE approval_step_assignees (
    org_id      INTEGER NOT NULL,
    step_id     INTEGER NOT NULL,
    approval_id INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    PRIMARY KEY (org_id, step_id, user_id),
    FOREIGN KEY (org_id, step_id) REFERENCES approval_steps (org_id, id),
    FOREIGN KEY (org_id, approval_id) REFERENCES approvals (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX approval_step_assignees_user ON approval_step_assignees (org_id, user_id, step_id);
CREATE INDEX approval_step_assignees_approval ON approval_step_assignees (org_id, approval_id);

CREATE TABLE approval_events (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    approval_id INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    step_id     INTEGER,
    action      TEXT NOT NULL CHECK (action IN ('submit', 'approve', 'reject', 'resubmit', 'withdraw')),
    user_id     INTEGER NOT NULL,
    acting_for  INTEGER,
    at          TIMESTAMP NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, approval_id) REFERENCES approvals (org_id, id),
    FOREIGN KEY (org_id, step_id) REFERENCES approval_steps (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, acting_for) REFERENCES users (org_id, id)
);
CREATE INDEX approval_events_approval ON approval_events (org_id, approval_id, id);
CREATE INDEX approval_events_user ON approval_events (org_id, user_id);

-- A stand-in decides for an absent approver within the dates; cancelling
-- keeps the row for the history.
CREATE TABLE approval_delegations (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    from_user_id INTEGER NOT NULL,
    to_user_id   INTEGER NOT NULL,
    start_date   DATE NOT NULL,
    end_date     DATE NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    cancelled_at TIMESTAMP,
    UNIQUE (org_id, id),
    CHECK (from_user_id <> to_user_id),
    CHECK (end_date >= start_date),
    FOREIGN KEY (org_id, from_user_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, to_user_id) REFERENCES users (org_id, id)
);
CREATE INDEX approval_delegations_to ON approval_delegations (org_id, to_user_id, end_date);
CREATE INDEX approval_delegations_from ON approval_delegations (org_id, from_user_id, end_date);

-- The sample workflow's own record: a general request (通用事项申请).
CREATE TABLE general_requests (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    approval_id INTEGER,
    site_id     INTEGER NOT NULL,
    title       TEXT NOT NULL,
    content     TEXT NOT NULL,
    amount_fen  INTEGER NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
    created_by  INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (org_id, approval_id),
    FOREIGN KEY (org_id, approval_id) REFERENCES approvals (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);

-- +goose Down
DROP TABLE general_requests;
DROP TABLE approval_delegations;
DROP TABLE approval_events;
DROP TABLE approval_step_assignees;
DROP TABLE approval_steps;
DROP TABLE approvals;
