-- +goose Up
-- Groups, community activities and projects (SPEC M3, G1–G3).

-- Funded service projects (义路童行, 校园零欺凌), each run by a service point.
CREATE TABLE projects (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    site_id    INTEGER NOT NULL,
    manager_id INTEGER,
    start_date DATE NOT NULL,
    end_date   DATE NOT NULL,
    goals      TEXT NOT NULL DEFAULT '',
    partners   TEXT NOT NULL DEFAULT '',
    summary    TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'planning' CHECK (status IN ('planning', 'active', 'closed')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    UNIQUE (org_id, name),
    CHECK (end_date >= start_date),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, manager_id) REFERENCES staff (org_id, id)
);
CREATE INDEX projects_site ON projects (org_id, site_id);

-- Funding of a project: one row per funder (社区公益金, 专项资金, …), in fen.
CREATE TABLE project_funds (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    funder     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('community_fund', 'special_fund', 'gov_purchase', 'foundation', 'other')),
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX project_funds_project ON project_funds (org_id, project_id);

-- Social organizations a project incubated (e.g. 北岸社区艺术团).
CREATE TABLE project_incubated (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    name       TEXT NOT NULL,
    founded_on DATE,
    members    INTEGER NOT NULL DEFAULT 0 CHECK (members >= 0),
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX project_incubated_project ON project_incubated (org_id, project_id);

-- Groups (小组): the plan, the main leader (scope owner) and the status,
-- which moves planning → running (first session) → finished (report filed).
CREATE TABLE groups (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations (id),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    site_id          INTEGER NOT NULL,
    project_id       INTEGER,
    leader_id        INTEGER NOT NULL,
    target           TEXT NOT NULL DEFAULT '',
    goals            TEXT NOT NULL DEFAULT '',
    plan             TEXT NOT NULL DEFAULT '',
    target_members   INTEGER NOT NULL DEFAULT 0 CHECK (target_members >= 0),
    planned_sessions INTEGER NOT NULL CHECK (planned_sessions > 0),
    plan_start       DATE,
    plan_end         DATE,
    status           TEXT NOT NULL DEFAULT 'planning' CHECK (status IN ('planning', 'running', 'finished')),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
    FOREIGN KEY (org_id, leader_id) REFERENCES staff (org_id, id)
);
CREATE INDEX groups_site ON groups (org_id, site_id);
CREATE INDEX groups_leader ON groups (org_id, leader_id);
CREATE INDEX groups_project ON groups (org_id, project_id);

-- Co-leaders (协助带领者) besides the main leader.
CREATE TABLE group_leaders (
    org_id   INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    staff_id INTEGER NOT NULL,
    PRIMARY KEY (org_id, group_id, staff_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, staff_id) REFERENCES staff (org_id, id)
);

-- Members: a registered client (client_id, no foreign key until the client
-- register exists everywhere) or a named participant.
CREATE TABLE group_members (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    group_id   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    client_id  INTEGER,
    gender     TEXT NOT NULL DEFAULT '' CHECK (gender IN ('', '男', '女')),
    note       TEXT NOT NULL DEFAULT '',
    joined_on  DATE NOT NULL,
    left_on    DATE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_group ON group_members (org_id, group_id);

-- Sessions (节). The session number is the position by date, not stored.
CREATE TABLE group_sessions (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    group_id   INTEGER NOT NULL,
    held_on    DATE NOT NULL,
    start_time TEXT NOT NULL DEFAULT '',
    end_time   TEXT NOT NULL DEFAULT '',
    place      TEXT NOT NULL DEFAULT '',
    topic      TEXT NOT NULL,
    content    TEXT NOT NULL DEFAULT '',
    stage      TEXT NOT NULL DEFAULT '' CHECK (stage IN ('', 'preparation', 'formation', 'transition', 'maturity', 'ending')),
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE
);
CREATE INDEX group_sessions_group ON group_sessions (org_id, group_id, held_on);
CREATE INDEX group_sessions_held ON group_sessions (org_id, held_on);

-- Attendance: one mark per member per session; person-times (人次) are the
-- present marks, counted, never typed.
CREATE TABLE group_attendance (
    org_id     INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    member_id  INTEGER NOT NULL,
    present    BOOLEAN NOT NULL,
    PRIMARY KEY (org_id, session_id, member_id),
    FOREIGN KEY (org_id, session_id) REFERENCES group_sessions (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, member_id) REFERENCES group_members (org_id, id) ON DELETE CASCADE
);
CREATE INDEX group_attendance_member ON group_attendance (org_id, member_id);

-- The group report (小组报告), one per group, filed after the last session.
CREATE TABLE group_reports (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    group_id        INTEGER NOT NULL,
    report_date     DATE NOT NULL,
    summary         TEXT NOT NULL,
    goal_attainment TEXT NOT NULL DEFAULT '',
    evaluation      TEXT NOT NULL DEFAULT '',
    recommendations TEXT NOT NULL DEFAULT '',
    written_by      INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    UNIQUE (org_id, group_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, written_by) REFERENCES users (org_id, id)
);

-- Community activities (社区活动). Volunteer service records refer to an
-- activity by (org_id, activity_id).
CREATE TABLE activities (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    title        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    held_on      DATE NOT NULL,
    start_time   TEXT NOT NULL DEFAULT '',
    end_time     TEXT NOT NULL DEFAULT '',
    place        TEXT NOT NULL DEFAULT '',
    site_id      INTEGER NOT NULL,
    project_id   INTEGER,
    lead_id      INTEGER NOT NULL,
    target       TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL DEFAULT '',
    participants INTEGER NOT NULL DEFAULT 0 CHECK (participants >= 0),
    signin       BOOLEAN NOT NULL DEFAULT FALSE,
    posters      INTEGER NOT NULL DEFAULT 0 CHECK (posters >= 0),
    flyers       INTEGER NOT NULL DEFAULT 0 CHECK (flyers >= 0),
    report       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
    FOREIGN KEY (org_id, lead_id) REFERENCES staff (org_id, id)
);
CREATE INDEX activities_site ON activities (org_id, site_id, held_on);
CREATE INDEX activities_lead ON activities (org_id, lead_id);
CREATE INDEX activities_project ON activities (org_id, project_id);
CREATE INDEX activities_held ON activities (org_id, held_on);

-- Sign-in list; when an activity has one, its participant count is the
-- number of names.
CREATE TABLE activity_signins (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    activity_id INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, activity_id) REFERENCES activities (org_id, id) ON DELETE CASCADE
);
CREATE INDEX activity_signins_activity ON activity_signins (org_id, activity_id, position);

-- Photos of the activity report, kept in the database so that backups
-- carry them; served only after the permission check.
CREATE TABLE activity_photos (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    activity_id  INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size         INTEGER NOT NULL CHECK (size > 0),
    data         BLOB NOT NULL,
    uploaded_by  INTEGER NOT NULL,
    uploaded_at  TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, activity_id) REFERENCES activities (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, uploaded_by) REFERENCES users (org_id, id)
);
CREATE INDEX activity_photos_activity ON activity_photos (org_id, activity_id);

-- +goose Down
DROP TABLE activity_photos;
DROP TABLE activity_signins;
DROP TABLE activities;
DROP TABLE group_reports;
DROP TABLE group_attendance;
DROP TABLE group_sessions;
DROP TABLE group_members;
DROP TABLE group_leaders;
DROP TABLE groups;
DROP TABLE project_incubated;
DROP TABLE project_funds;
DROP TABLE projects;
