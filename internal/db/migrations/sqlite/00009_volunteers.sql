-- +goose Up
-- Volunteers and resources (SPEC M4: V1–V3, R1, R2).

-- Gap-free yearly numbers per organization (volunteer numbers, service
-- certificates): the row is bumped in the same transaction as the record
-- that takes the number, so a rolled-back record gives its number back.
CREATE TABLE volunteer_counters (
    org_id  INTEGER NOT NULL REFERENCES organizations (id),
    kind    TEXT NOT NULL CHECK (kind IN ('volunteer', 'certificate')),
    year    INTEGER NOT NULL,
    last_no INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, kind, year)
);

-- One export to the i志愿 platform: either registrations or service hours.
CREATE TABLE ivol_batches (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    kind          TEXT NOT NULL CHECK (kind IN ('registration', 'hours')),
    activity_name TEXT NOT NULL DEFAULT '',
    records       INTEGER NOT NULL DEFAULT 0,
    created_by    INTEGER NOT NULL,
    creator_name  TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);

CREATE TABLE volunteers (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations (id),
    volunteer_no    TEXT NOT NULL,
    site_id         INTEGER NOT NULL,
    name            TEXT NOT NULL,
    gender          TEXT NOT NULL DEFAULT '' CHECK (gender IN ('', '男', '女')),
    birth_month     TEXT NOT NULL DEFAULT '',
    id_type         TEXT NOT NULL DEFAULT '',
    -- ID number, phone and address are encrypted; *_idx is a keyed blind
    -- index for duplicate detection and exact search; *_mask is what lists show.
    id_number_enc   TEXT NOT NULL DEFAULT '',
    id_number_idx   TEXT NOT NULL DEFAULT '',
    id_number_mask  TEXT NOT NULL DEFAULT '',
    phone_enc       TEXT NOT NULL DEFAULT '',
    phone_idx       TEXT NOT NULL DEFAULT '',
    phone_mask      TEXT NOT NULL DEFAULT '',
    skills          TEXT NOT NULL DEFAULT '',
    ivol_id         TEXT NOT NULL DEFAULT '',
    joined_on       DATE NOT NULL,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    -- Fields beyond the national minimum are kept only with consent.
    consent         BOOLEAN NOT NULL DEFAULT FALSE,
    consent_on      DATE,
    address_enc     TEXT NOT NULL DEFAULT '',
    address_mask    TEXT NOT NULL DEFAULT '',
    employer        TEXT NOT NULL DEFAULT '',
    education       TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    reg_batch_id    INTEGER,
    reg_exported_at TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    UNIQUE (org_id, volunteer_no),
    CHECK (consent OR (address_enc = '' AND employer = '' AND education = '')),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, reg_batch_id) REFERENCES ivol_batches (org_id, id)
);
CREATE UNIQUE INDEX volunteers_id_number ON volunteers (org_id, id_number_idx) WHERE id_number_idx <> '';
CREATE UNIQUE INDEX volunteers_phone ON volunteers (org_id, phone_idx) WHERE phone_idx <> '';
CREATE UNIQUE INDEX volunteers_ivol ON volunteers (org_id, ivol_id) WHERE ivol_id <> '';
CREATE INDEX volunteers_site ON volunteers (org_id, site_id);

CREATE TABLE volunteer_teams (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations (id),
    site_id        INTEGER NOT NULL,
    name           TEXT NOT NULL,
    leader_id      INTEGER,
    qq_group       TEXT NOT NULL DEFAULT '',
    public_account TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (org_id, name),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, leader_id) REFERENCES volunteers (org_id, id)
);

CREATE TABLE volunteer_team_members (
    org_id       INTEGER NOT NULL,
    team_id      INTEGER NOT NULL,
    volunteer_id INTEGER NOT NULL,
    joined_on    DATE NOT NULL,
    PRIMARY KEY (org_id, team_id, volunteer_id),
    FOREIGN KEY (org_id, team_id) REFERENCES volunteer_teams (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, volunteer_id) REFERENCES volunteers (org_id, id)
);
CREATE INDEX volunteer_team_members_volunteer ON volunteer_team_members (org_id, volunteer_id);

-- Staff who manage volunteers at a service point (志愿者管理员).
CREATE TABLE volunteer_managers (
    org_id   INTEGER NOT NULL,
    site_id  INTEGER NOT NULL,
    staff_id INTEGER NOT NULL,
    since    DATE NOT NULL,
    PRIMARY KEY (org_id, site_id, staff_id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, staff_id) REFERENCES staff (org_id, id)
);

-- One volunteer's service at one activity on one day. Times are minutes
-- after midnight; minutes = end − start − late − early, travel excluded.
-- activity_id points at the group/activity area's record when there is
-- one; it has no foreign key so that this area stands on its own.
CREATE TABLE volunteer_services (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    volunteer_id  INTEGER NOT NULL,
    site_id       INTEGER NOT NULL,
    team_id       INTEGER,
    activity_id   INTEGER,
    activity_name TEXT NOT NULL,
    place         TEXT NOT NULL DEFAULT '',
    service_date  DATE NOT NULL,
    start_min     INTEGER NOT NULL CHECK (start_min >= 0 AND start_min < 1440),
    end_min       INTEGER NOT NULL CHECK (end_min <= 1440),
    late_min      INTEGER NOT NULL DEFAULT 0 CHECK (late_min >= 0),
    early_min     INTEGER NOT NULL DEFAULT 0 CHECK (early_min >= 0),
    minutes       INTEGER NOT NULL CHECK (minutes > 0),
    content       TEXT NOT NULL DEFAULT '',
    people_served INTEGER NOT NULL DEFAULT 0 CHECK (people_served >= 0),
    lead_name     TEXT NOT NULL DEFAULT '',
    lead_phone    TEXT NOT NULL DEFAULT '',
    recorder_id   INTEGER NOT NULL,
    recorder_name TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    batch_id      INTEGER,
    exported_at   TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    CHECK (end_min > start_min),
    CHECK (minutes = end_min - start_min - late_min - early_min),
    FOREIGN KEY (org_id, volunteer_id) REFERENCES volunteers (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, team_id) REFERENCES volunteer_teams (org_id, id),
    FOREIGN KEY (org_id, recorder_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, batch_id) REFERENCES ivol_batches (org_id, id)
);
CREATE INDEX volunteer_services_volunteer ON volunteer_services (org_id, volunteer_id, service_date);
CREATE INDEX volunteer_services_date ON volunteer_services (org_id, service_date);
CREATE INDEX volunteer_services_batch ON volunteer_services (org_id, batch_id);

-- Star rating thresholds with effective dates. Rows of the platform
-- organization (id 1) are the defaults; an organization's own rows, once it
-- has any in force, replace them.
CREATE TABLE star_thresholds (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    stars      INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    min_hours  INTEGER NOT NULL CHECK (min_hours > 0),
    valid_from DATE NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (org_id, valid_from, stars)
);
INSERT INTO star_thresholds (org_id, stars, min_hours, valid_from) VALUES
    (1, 1, 100, '2000-01-01'), (1, 2, 300, '2000-01-01'), (1, 3, 600, '2000-01-01'),
    (1, 4, 1000, '2000-01-01'), (1, 5, 1500, '2000-01-01');

CREATE TABLE volunteer_commendations (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    volunteer_id INTEGER NOT NULL,
    awarded_on   DATE NOT NULL,
    title        TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, volunteer_id) REFERENCES volunteers (org_id, id)
);
CREATE INDEX volunteer_commendations_volunteer ON volunteer_commendations (org_id, volunteer_id);

-- 志愿服务记录证明: a numbered snapshot of what the records showed on the day.
CREATE TABLE volunteer_certificates (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    volunteer_id INTEGER NOT NULL,
    year         INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    number       TEXT NOT NULL,
    issued_on    DATE NOT NULL,
    issuer       TEXT NOT NULL,
    period_from  DATE,
    period_to    DATE,
    minutes      INTEGER NOT NULL,
    services     INTEGER NOT NULL,
    content      TEXT NOT NULL DEFAULT '',
    created_by   INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (org_id, year, seq),
    UNIQUE (org_id, number),
    FOREIGN KEY (org_id, volunteer_id) REFERENCES volunteers (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);

-- Resource linking (R1): what a service point brought in during a month.
CREATE TABLE resource_links (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations (id),
    site_id             INTEGER NOT NULL,
    month               DATE NOT NULL,
    provider            TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('money', 'goods', 'venue', 'people', 'professional')),
    description         TEXT NOT NULL DEFAULT '',
    value_fen           INTEGER NOT NULL DEFAULT 0 CHECK (value_fen >= 0),
    beneficiaries       INTEGER NOT NULL DEFAULT 0 CHECK (beneficiaries >= 0),
    beneficiaries_note  TEXT NOT NULL DEFAULT '',
    contact             TEXT NOT NULL DEFAULT '',
    note                TEXT NOT NULL DEFAULT '',
    recorded_by         INTEGER NOT NULL,
    recorder_name       TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, recorded_by) REFERENCES users (org_id, id)
);
CREATE INDEX resource_links_month ON resource_links (org_id, site_id, month);

-- A service point's statement that it linked no resources in a month, so
-- the monthly registration counts as done.
CREATE TABLE resource_nil_reports (
    org_id        INTEGER NOT NULL,
    site_id       INTEGER NOT NULL,
    month         DATE NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    reported_by   INTEGER NOT NULL,
    reporter_name TEXT NOT NULL DEFAULT '',
    reported_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, site_id, month),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, reported_by) REFERENCES users (org_id, id)
);

-- Purchaser communication log (R2).
CREATE TABLE purchaser_comms (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations (id),
    site_id          INTEGER NOT NULL,
    comm_date        DATE NOT NULL,
    contact          TEXT NOT NULL,
    method           TEXT NOT NULL CHECK (method IN ('visit', 'phone', 'wechat', 'meeting', 'letter')),
    content          TEXT NOT NULL,
    follow_up        BOOLEAN NOT NULL DEFAULT FALSE,
    follow_up_note   TEXT NOT NULL DEFAULT '',
    recorded_by      INTEGER NOT NULL,
    recorder_name    TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, recorded_by) REFERENCES users (org_id, id)
);
CREATE INDEX purchaser_comms_date ON purchaser_comms (org_id, site_id, comm_date);

-- +goose Down
DROP TABLE purchaser_comms;
DROP TABLE resource_nil_reports;
DROP TABLE resource_links;
DROP TABLE volunteer_certificates;
DROP TABLE volunteer_commendations;
DROP TABLE star_thresholds;
DROP TABLE volunteer_services;
DROP TABLE volunteer_managers;
DROP TABLE volunteer_team_members;
DROP TABLE volunteer_teams;
DROP TABLE volunteers;
DROP TABLE ivol_batches;
DROP TABLE volunteer_counters;
