-- +goose Up
-- A staff member holds at most one open assignment and has at most one open
-- supervisor link at a time; a transfer or a change of supervisor closes the
-- open row before it opens the next, so history stays complete.
CREATE UNIQUE INDEX staff_assignments_open ON staff_assignments (org_id, staff_id) WHERE end_date IS NULL;
CREATE UNIQUE INDEX supervisor_links_open ON supervisor_links (org_id, supervisee_id) WHERE end_date IS NULL;
CREATE INDEX staff_certificates_staff ON staff_certificates (org_id, staff_id);

-- +goose Down
DROP INDEX staff_certificates_staff;
DROP INDEX supervisor_links_open;
DROP INDEX staff_assignments_open;
