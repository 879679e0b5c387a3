-- +goose Up
-- Client register (SPEC M2, C1–C2): clients with encrypted identity and
-- contact data, their categories, contact checks and consent records, and
-- the attachments (scanned forms) stored with them.

-- Categories are configurable per organization; the defaults are seeded on
-- first use.
CREATE TABLE client_categories (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    UNIQUE (org_id, id),
    UNIQUE (org_id, name)
);

-- ID numbers, phones and addresses are stored encrypted (*_enc) and never in
-- plain text; *_idx columns hold blind indexes for exact duplicate lookup.
CREATE TABLE clients (
    id                   INTEGER PRIMARY KEY,
    org_id               INTEGER NOT NULL REFERENCES organizations (id),
    name                 TEXT NOT NULL,
    gender               TEXT NOT NULL DEFAULT '' CHECK (gender IN ('', '男', '女')),
    birth_date           DATE NOT NULL,
    id_number_enc        TEXT NOT NULL DEFAULT '',
    id_number_idx        TEXT,
    phone_enc            TEXT NOT NULL DEFAULT '',
    phone_idx            TEXT,
    phone2_enc           TEXT NOT NULL DEFAULT '',
    phone2_idx           TEXT,
    address_enc          TEXT NOT NULL DEFAULT '',
    town_id              INTEGER,
    community            TEXT NOT NULL DEFAULT '',
    guardian_name        TEXT NOT NULL DEFAULT '',
    guardian_relation    TEXT NOT NULL DEFAULT '',
    guardian_phone_enc   TEXT NOT NULL DEFAULT '',
    contact_status       TEXT NOT NULL DEFAULT 'unchecked'
        CHECK (contact_status IN ('unchecked', 'valid', 'wrong_number', 'unreachable', 'refused')),
    contact_checked_on   DATE,
    worker_id            INTEGER NOT NULL,
    site_id              INTEGER NOT NULL,
    status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    note                 TEXT NOT NULL DEFAULT '',
    created_by           INTEGER,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, town_id) REFERENCES towns (org_id, id),
    FOREIGN KEY (org_id, worker_id) REFERENCES staff (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
CREATE UNIQUE INDEX clients_id_number ON clients (org_id, id_number_idx) WHERE id_number_idx IS NOT NULL;
CREATE INDEX clients_phone ON clients (org_id, phone_idx);
CREATE INDEX clients_phone2 ON clients (org_id, phone2_idx);
CREATE INDEX clients_worker ON clients (org_id, worker_id);
CREATE INDEX clients_site ON clients (org_id, site_id);
CREATE INDEX clients_name ON clients (org_id, name);

CREATE TABLE client_category_links (
    org_id      INTEGER NOT NULL,
    client_id   INTEGER NOT NULL,
    category_id INTEGER NOT NULL,
    PRIMARY KEY (org_id, client_id, category_id),
    FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, category_id) REFERENCES client_categories (org_id, id)
);
CREATE INDEX client_category_links_category ON client_category_links (org_id, category_id);

-- Each attempt to reach a client; the latest sets the client's contact status.
CREATE TABLE client_contact_checks (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    client_id  INTEGER NOT NULL,
    checked_on DATE NOT NULL,
    result     TEXT NOT NULL CHECK (result IN ('valid', 'wrong_number', 'unreachable', 'refused')),
    note       TEXT NOT NULL DEFAULT '',
    checked_by INTEGER,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
    FOREIGN KEY (org_id, checked_by) REFERENCES users (org_id, id)
);
CREATE INDEX client_contact_checks_client ON client_contact_checks (org_id, client_id);

-- Uploaded files (scanned forms). Content is checked by sniffing and served
-- only as a download after the owner record's permission check.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id),
    owner_type   TEXT NOT NULL,
    owner_id     INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    uploaded_by  INTEGER,
    uploaded_at  TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, uploaded_by) REFERENCES users (org_id, id)
);
CREATE INDEX attachments_owner ON attachments (org_id, owner_type, owner_id);

-- Informed consent (知情同意书); a case cannot be opened without one.
CREATE TABLE client_consents (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL,
    client_id     INTEGER NOT NULL,
    signed_on     DATE NOT NULL,
    signer_name   TEXT NOT NULL,
    relationship  TEXT NOT NULL CHECK (relationship IN ('self', 'parent', 'guardian', 'other')),
    sharing_scope TEXT NOT NULL DEFAULT '',
    attachment_id INTEGER,
    created_by    INTEGER,
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
    FOREIGN KEY (org_id, attachment_id) REFERENCES attachments (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
CREATE INDEX client_consents_client ON client_consents (org_id, client_id);

-- An uploaded import file between its dry run and the user's confirmation,
-- encrypted like every other personal datum; removed on import or expiry.
CREATE TABLE client_import_uploads (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    token      TEXT NOT NULL UNIQUE,
    filename   TEXT NOT NULL,
    data_enc   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE client_import_uploads;
DROP TABLE client_consents;
DROP TABLE attachments;
DROP TABLE client_contact_checks;
DROP TABLE client_category_links;
DROP TABLE clients;
DROP TABLE client_categories;
