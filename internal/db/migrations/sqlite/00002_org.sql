-- +goose Up
-- Organization structure (SPEC M1): towns, purchasers, service points with
-- contract years, departments, domains, staff and their assignments.
CREATE TABLE towns (
    id     INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations (id),
    name   TEXT NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE purchasers (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL REFERENCES organizations (id),
    name    TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    phone   TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE domains (
    id     INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations (id),
    name   TEXT NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE sites (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('centre', 'project', 'post')),
    town_id      INTEGER,
    purchaser_id INTEGER,
    address      TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    UNIQUE (org_id, code),
    UNIQUE (org_id, name),
    FOREIGN KEY (org_id, town_id) REFERENCES towns (org_id, id),
    FOREIGN KEY (org_id, purchaser_id) REFERENCES purchasers (org_id, id)
);

CREATE TABLE contract_years (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    site_id    INTEGER NOT NULL,
    label      TEXT NOT NULL,
    start_date DATE NOT NULL,
    end_date   DATE NOT NULL,
    amount_fen INTEGER NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
    note       TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, id),
    CHECK (end_date >= start_date),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
);
CREATE INDEX contract_years_end ON contract_years (org_id, end_date);

CREATE TABLE departments (
    id     INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations (id),
    name   TEXT NOT NULL,
    kind   TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('admin', 'service', 'finance', 'other')),
    duties TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    UNIQUE (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    employee_no   TEXT NOT NULL,
    name          TEXT NOT NULL,
    gender        TEXT NOT NULL DEFAULT '' CHECK (gender IN ('', '男', '女')),
    title         TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    department_id INTEGER,
    hire_date     DATE,
    leave_date    DATE,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left')),
    user_id       INTEGER,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    UNIQUE (org_id, employee_no),
    FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE UNIQUE INDEX staff_user ON staff (org_id, user_id) WHERE user_id IS NOT NULL;

CREATE TABLE staff_certificates (
    id        INTEGER PRIMARY KEY,
    org_id    INTEGER NOT NULL,
    staff_id  INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    number    TEXT NOT NULL DEFAULT '',
    issued_on DATE,
    expires_on DATE,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, staff_id) REFERENCES staff (org_id, id) ON DELETE CASCADE
);

-- Assignments are history: a transfer ends one row and starts another.
CREATE TABLE staff_assignments (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    staff_id   INTEGER NOT NULL,
    site_id    INTEGER NOT NULL,
    position   TEXT NOT NULL DEFAULT 'worker',
    start_date DATE NOT NULL,
    end_date   DATE,
    note       TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, staff_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
);
CREATE INDEX staff_assignments_staff ON staff_assignments (org_id, staff_id);
CREATE INDEX staff_assignments_site ON staff_assignments (org_id, site_id);

CREATE TABLE staff_domains (
    org_id    INTEGER NOT NULL,
    staff_id  INTEGER NOT NULL,
    domain_id INTEGER NOT NULL,
    PRIMARY KEY (org_id, staff_id, domain_id),
    FOREIGN KEY (org_id, staff_id) REFERENCES staff (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, domain_id) REFERENCES domains (org_id, id)
);

-- Who supervises whom, with history.
CREATE TABLE supervisor_links (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL,
    supervisor_id INTEGER NOT NULL,
    supervisee_id INTEGER NOT NULL,
    start_date    DATE NOT NULL,
    end_date      DATE,
    UNIQUE (org_id, id),
    CHECK (supervisor_id <> supervisee_id),
    FOREIGN KEY (org_id, supervisor_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, supervisee_id) REFERENCES staff (org_id, id)
);
CREATE INDEX supervisor_links_supervisor ON supervisor_links (org_id, supervisor_id);
CREATE INDEX supervisor_links_supervisee ON supervisor_links (org_id, supervisee_id);

-- +goose Down
DROP TABLE supervisor_links;
DROP TABLE staff_domains;
DROP TABLE staff_assignments;
DROP TABLE staff_certificates;
DROP TABLE staff;
DROP TABLE departments;
DROP TABLE contract_years;
DROP TABLE sites;
DROP TABLE domains;
DROP TABLE purchasers;
DROP TABLE towns;
