-- +goose Up
-- Casework (SPEC M2, C0 and C3–C9): cases from intake through assessment,
-- plan, follow-ups, referral and closure to post-closure follow-up and
-- archive, with the organization's rules, the case numbers, the goals and
-- the history of who held each case.

-- The organization's casework rules; an organization without a row uses the
-- defaults below.
CREATE TABLE case_settings (
    org_id              INTEGER PRIMARY KEY REFERENCES organizations (id),
    followups_per_month INTEGER NOT NULL DEFAULT 2 CHECK (followups_per_month BETWEEN 0 AND 31),
    post_closure_months INTEGER NOT NULL DEFAULT 2 CHECK (post_closure_months BETWEEN 0 AND 12),
    remind_days_left    INTEGER NOT NULL DEFAULT 7 CHECK (remind_days_left BETWEEN 0 AND 27),
    idle_days           INTEGER NOT NULL DEFAULT 15 CHECK (idle_days BETWEEN 1 AND 90),
    version             INTEGER NOT NULL DEFAULT 1,
    updated_at          TIMESTAMP NOT NULL
);

-- The last number handed out per service point and year (2026-BA-0001).
CREATE TABLE case_counters (
    org_id  INTEGER NOT NULL,
    site_id INTEGER NOT NULL,
    year    INTEGER NOT NULL,
    last_no INTEGER NOT NULL,
    PRIMARY KEY (org_id, site_id, year),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
);

CREATE TABLE cases (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL REFERENCES organizations (id),
    number             TEXT NOT NULL,
    client_id          INTEGER NOT NULL,
    site_id            INTEGER NOT NULL,
    worker_id          INTEGER NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('intake', 'assessment', 'planned', 'pending_open', 'open',
                           'referred', 'pending_close', 'post_closure', 'archived')),
    risk_level         TEXT NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
    source             TEXT NOT NULL,
    intake_date        DATE NOT NULL,
    presenting_problem TEXT NOT NULL,
    intake_note        TEXT NOT NULL DEFAULT '',
    assessed_on        DATE,
    assessment         TEXT NOT NULL DEFAULT '',
    needs              TEXT NOT NULL DEFAULT '',
    strengths          TEXT NOT NULL DEFAULT '',
    planned_on         DATE,
    plan_strategy      TEXT NOT NULL DEFAULT '',
    plan_end           DATE,
    opened_on          DATE,
    closed_on          DATE,
    post_closure_until DATE,
    archived_on        DATE,
    created_by         INTEGER,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    UNIQUE (org_id, number),
    FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, worker_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
-- A client has at most one case that is not archived.
CREATE UNIQUE INDEX cases_client_live ON cases (org_id, client_id) WHERE state <> 'archived';
CREATE INDEX cases_worker ON cases (org_id, worker_id, state);
CREATE INDEX cases_site ON cases (org_id, site_id, state);

-- Goals of the service plan; attainment is filled in at closure.
CREATE TABLE case_goals (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    case_id         INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    title           TEXT NOT NULL,
    measure         TEXT NOT NULL DEFAULT '',
    attainment      TEXT NOT NULL DEFAULT '' CHECK (attainment IN ('', 'achieved', 'partly', 'not_achieved')),
    attainment_note TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, case_id) REFERENCES cases (org_id, id)
);
CREATE INDEX case_goals_case ON case_goals (org_id, case_id, seq);

-- Follow-ups (过程记录) during the intervention, and the written
-- follow-ups after closure.
CREATE TABLE case_followups (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    case_id      INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('service', 'post_closure')),
    held_on      DATE NOT NULL,
    method       TEXT NOT NULL,
    duration_min INTEGER NOT NULL DEFAULT 0 CHECK (duration_min BETWEEN 0 AND 1440),
    content      TEXT NOT NULL,
    next_step    TEXT NOT NULL DEFAULT '',
    worker_id    INTEGER NOT NULL,
    created_by   INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, case_id) REFERENCES cases (org_id, id),
    FOREIGN KEY (org_id, worker_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
CREATE INDEX case_followups_case ON case_followups (org_id, case_id, kind, held_on);
CREATE INDEX case_followups_worker ON case_followups (org_id, worker_id, held_on);

-- Progress towards each goal recorded with a follow-up.
CREATE TABLE case_goal_progress (
    org_id      INTEGER NOT NULL,
    followup_id INTEGER NOT NULL,
    goal_id     INTEGER NOT NULL,
    progress    TEXT NOT NULL CHECK (progress IN ('none', 'some', 'much', 'achieved')),
    note        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, followup_id, goal_id),
    FOREIGN KEY (org_id, followup_id) REFERENCES case_followups (org_id, id),
    FOREIGN KEY (org_id, goal_id) REFERENCES case_goals (org_id, id)
);
CREATE INDEX case_goal_progress_goal ON case_goal_progress (org_id, goal_id);

-- Referrals (转介) to a colleague or an outside agency, with the approval
-- that let them go and the receiver's answer.
CREATE TABLE case_referrals (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    case_id         INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('internal', 'external')),
    to_staff_id     INTEGER,
    to_agency       TEXT NOT NULL DEFAULT '',
    to_contact      TEXT NOT NULL DEFAULT '',
    to_phone        TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL,
    services        TEXT NOT NULL,
    after_referral  TEXT NOT NULL DEFAULT 'keep' CHECK (after_referral IN ('keep', 'close')),
    closure_summary TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'rejected', 'withdrawn', 'awaiting', 'accepted',
                        'declined', 'done')),
    approval_id     INTEGER,
    from_worker_id  INTEGER NOT NULL,
    requested_by    INTEGER NOT NULL,
    requested_at    TIMESTAMP NOT NULL,
    decided_at      TIMESTAMP,
    responded_by    INTEGER,
    responded_at    TIMESTAMP,
    response_note   TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, id),
    UNIQUE (org_id, case_id, seq),
    CHECK ((kind = 'internal' AND to_staff_id IS NOT NULL) OR (kind = 'external' AND to_agency <> '')),
    FOREIGN KEY (org_id, case_id) REFERENCES cases (org_id, id),
    FOREIGN KEY (org_id, to_staff_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, from_worker_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, approval_id) REFERENCES approvals (org_id, id),
    FOREIGN KEY (org_id, requested_by) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, responded_by) REFERENCES users (org_id, id)
);
CREATE INDEX case_referrals_to ON case_referrals (org_id, to_staff_id, status);
CREATE INDEX case_referrals_approval ON case_referrals (org_id, approval_id);

-- Closure requests (结案) with their approval; the approved one closes the
-- case and starts the post-closure follow-up.
CREATE TABLE case_closures (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL,
    case_id            INTEGER NOT NULL,
    reason             TEXT NOT NULL,
    reason_note        TEXT NOT NULL DEFAULT '',
    summary            TEXT NOT NULL,
    evaluation         TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('pending', 'rejected', 'withdrawn', 'approved')),
    approval_id        INTEGER,
    referral_id        INTEGER,
    requested_by       INTEGER NOT NULL,
    requested_at       TIMESTAMP NOT NULL,
    decided_at         TIMESTAMP,
    closed_on          DATE,
    post_closure_until DATE,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, case_id) REFERENCES cases (org_id, id),
    FOREIGN KEY (org_id, approval_id) REFERENCES approvals (org_id, id),
    FOREIGN KEY (org_id, referral_id) REFERENCES case_referrals (org_id, id),
    FOREIGN KEY (org_id, requested_by) REFERENCES users (org_id, id)
);
CREATE INDEX case_closures_case ON case_closures (org_id, case_id);
CREATE INDEX case_closures_approval ON case_closures (org_id, approval_id);

CREATE TABLE case_closure_goals (
    org_id     INTEGER NOT NULL,
    closure_id INTEGER NOT NULL,
    goal_id    INTEGER NOT NULL,
    attainment TEXT NOT NULL CHECK (attainment IN ('achieved', 'partly', 'not_achieved')),
    note       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, closure_id, goal_id),
    FOREIGN KEY (org_id, closure_id) REFERENCES case_closures (org_id, id),
    FOREIGN KEY (org_id, goal_id) REFERENCES case_goals (org_id, id)
);

-- Who held the case: every change of worker, by reassignment or accepted
-- referral.
CREATE TABLE case_assignments (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL,
    case_id        INTEGER NOT NULL,
    from_worker_id INTEGER NOT NULL,
    to_worker_id   INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('reassign', 'referral')),
    reason         TEXT NOT NULL,
    by_user_id     INTEGER NOT NULL,
    at             TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, case_id) REFERENCES cases (org_id, id),
    FOREIGN KEY (org_id, from_worker_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, to_worker_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, by_user_id) REFERENCES users (org_id, id)
);
CREATE INDEX case_assignments_case ON case_assignments (org_id, case_id);

-- The case's history for the timeline, in the order things happened,
-- with the comments of the approvals that moved it.
CREATE TABLE case_events (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL,
    case_id INTEGER NOT NULL,
    at      TIMESTAMP NOT NULL,
    user_id INTEGER,
    kind    TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, case_id) REFERENCES cases (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX case_events_case ON case_events (org_id, case_id, id);

-- +goose Down
DROP TABLE case_events;
DROP TABLE case_assignments;
DROP TABLE case_closure_goals;
DROP TABLE case_closures;
DROP TABLE case_referrals;
DROP TABLE case_goal_progress;
DROP TABLE case_followups;
DROP TABLE case_goals;
DROP TABLE cases;
DROP TABLE case_counters;
DROP TABLE case_settings;
