-- +goose Up
-- A volunteer team may belong to a project (SPEC G3). SQLite cannot add a
-- foreign key with ALTER TABLE; the service checks the project instead.
ALTER TABLE volunteer_teams ADD COLUMN project_id INTEGER;
CREATE INDEX volunteer_teams_project ON volunteer_teams (org_id, project_id);

-- +goose Down
DROP INDEX volunteer_teams_project;
ALTER TABLE volunteer_teams DROP COLUMN project_id;
