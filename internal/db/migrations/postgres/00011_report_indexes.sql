-- +goose Up
-- Indexes measured with the benchmarks of docs/PERFORMANCE.md on the
-- agency-large profile: each lets a report read only the records of the
-- period (and service point) it is asked for.

-- 个案: cases by the date their opening was approved.
CREATE INDEX cases_opened ON cases (org_id, opened_on);
CREATE INDEX cases_site_opened ON cases (org_id, site_id, opened_on);

-- 义工人次, 服务时数, 服务义工人数 and the hours by team, counted from the
-- index alone: by date for the organization, by service point and date.
CREATE INDEX volunteer_services_stats ON volunteer_services (org_id, service_date, site_id, recorder_id, volunteer_id, minutes, team_id);
CREATE INDEX volunteer_services_site_stats ON volunteer_services (org_id, site_id, service_date, volunteer_id, minutes, team_id);
DROP INDEX volunteer_services_date;

-- 小组人次: the present marks of a session, counted from the index alone
-- (a partial index WHERE present would still read each row to test it).
CREATE INDEX group_attendance_present ON group_attendance (org_id, session_id, present);

-- +goose Down
DROP INDEX group_attendance_present;
CREATE INDEX volunteer_services_date ON volunteer_services (org_id, service_date);
DROP INDEX volunteer_services_site_stats;
DROP INDEX volunteer_services_stats;
DROP INDEX cases_site_opened;
DROP INDEX cases_opened;
