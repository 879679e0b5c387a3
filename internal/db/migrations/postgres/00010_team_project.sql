-- +goose Up
-- A volunteer team may belong to a project (SPEC G3).
ALTER TABLE volunteer_teams ADD COLUMN project_id BIGINT;
ALTER TABLE volunteer_teams ADD CONSTRAINT volunteer_teams_project_fk
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id);
CREATE INDEX volunteer_teams_project ON volunteer_teams (org_id, project_id);

-- +goose Down
DROP INDEX volunteer_teams_project;
ALTER TABLE volunteer_teams DROP CONSTRAINT volunteer_teams_project_fk;
ALTER TABLE volunteer_teams DROP COLUMN project_id;
