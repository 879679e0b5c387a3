-- +goose Up
-- Volunteer service records by the worker who recorded them and by the
-- community activity they are linked to (docs/PERFORMANCE.md, What was
-- changed). A worker's statistics (服务义工人数 and the hours by team of a
-- staff scope, and their drill-downs) read only that worker's records of
-- the period, from the index alone, instead of walking every record of the
-- organization in the period; a project's read the records of the project's
-- activities. The counters' own recounts use them too: relinking a staff
-- member's account reads the records that account recorded, and editing an
-- activity the records linked to it.
CREATE INDEX volunteer_services_recorder ON volunteer_services (org_id, recorder_id, service_date, site_id, volunteer_id, team_id, minutes);
CREATE INDEX volunteer_services_activity ON volunteer_services (org_id, activity_id, service_date);

-- The service record list in its default order (newest first: date, start,
-- id): the organization's first page is read from the index and the scan
-- stops when the page is full, instead of sorting every record.
CREATE INDEX volunteer_services_newest ON volunteer_services (org_id, service_date, start_min, id);

-- +goose Down
DROP INDEX volunteer_services_newest;
DROP INDEX volunteer_services_activity;
DROP INDEX volunteer_services_recorder;
