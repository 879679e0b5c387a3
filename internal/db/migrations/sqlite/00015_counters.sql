-- +goose Up
-- One table of gap-free yearly numbers for every numbered thing (case
-- numbers per service point, volunteer numbers, service certificates, and
-- later finance vouchers). A number is taken by bumping the row in the same
-- transaction as the record that carries it, so a rolled-back record gives
-- its number back and concurrent takers queue on the row.
CREATE TABLE counters (
    org_id   INTEGER NOT NULL REFERENCES organizations (id),
    kind     TEXT NOT NULL,
    scope_id INTEGER NOT NULL DEFAULT 0,
    year     INTEGER NOT NULL,
    last_no  INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind, scope_id, year)
);

INSERT INTO counters (org_id, kind, scope_id, year, last_no)
    SELECT org_id, 'case', site_id, year, last_no FROM case_counters;
INSERT INTO counters (org_id, kind, scope_id, year, last_no)
    SELECT org_id, kind, 0, year, last_no FROM volunteer_counters;
DROP TABLE case_counters;
DROP TABLE volunteer_counters;

-- +goose Down
CREATE TABLE case_counters (
    org_id  INTEGER NOT NULL,
    site_id INTEGER NOT NULL,
    year    INTEGER NOT NULL,
    last_no INTEGER NOT NULL,
    PRIMARY KEY (org_id, site_id, year),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id)
);
CREATE TABLE volunteer_counters (
    org_id  INTEGER NOT NULL REFERENCES organizations (id),
    kind    TEXT NOT NULL CHECK (kind IN ('volunteer', 'certificate')),
    year    INTEGER NOT NULL,
    last_no INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, kind, year)
);
INSERT INTO case_counters (org_id, site_id, year, last_no)
    SELECT org_id, scope_id, year, last_no FROM counters WHERE kind = 'case';
INSERT INTO volunteer_counters (org_id, kind, year, last_no)
    SELECT org_id, kind, year, last_no FROM counters WHERE kind IN ('volunteer', 'certificate');
DROP TABLE counters;
