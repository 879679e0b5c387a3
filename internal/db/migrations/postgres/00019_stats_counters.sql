-- Pre-aggregated service statistics (Q1), kept by the services in the same
-- transaction as the record that changes them (package tally), so that a
-- report sums a few rows per month instead of counting the period's records.
--
-- stats_month: one row per organization, month and key. A key with
-- site_id > 0 is a detail row: the service point, the project (0: none),
-- the worker (0: none) and the volunteer team (0: the row holds no volunteer
-- service; -1: service with no team). site_id = 0 rows are the
-- organization's totals by team. Each column is one figure of the registry
-- (volunteer_minutes is 义工服务时数 in minutes).
--
-- stats_volunteers: the number of different volunteers of the organization
-- in each month, quarter, half-year and year (kind, period_start), in all
-- (team_id 0), with no team (-1) and per team.
--
-- groups.first_session_on: the date of a group's first session, which dates
-- its opening (开启小组).

-- +goose Up
ALTER TABLE groups ADD COLUMN first_session_on DATE;
UPDATE groups SET first_session_on = (SELECT MIN(s.held_on) FROM group_sessions s WHERE s.org_id = groups.org_id AND s.group_id = groups.id);
CREATE INDEX groups_first_session ON groups (org_id, first_session_on);

CREATE TABLE stats_month (
    org_id                 BIGINT NOT NULL REFERENCES organizations (id),
    month                  DATE NOT NULL,
    site_id                BIGINT NOT NULL,
    project_id             BIGINT NOT NULL,
    staff_id               BIGINT NOT NULL,
    team_id                BIGINT NOT NULL,
    cases_opened           BIGINT NOT NULL DEFAULT 0,
    groups_opened          BIGINT NOT NULL DEFAULT 0,
    group_sessions         BIGINT NOT NULL DEFAULT 0,
    group_person_times     BIGINT NOT NULL DEFAULT 0,
    activities             BIGINT NOT NULL DEFAULT 0,
    activity_participants  BIGINT NOT NULL DEFAULT 0,
    volunteer_person_times BIGINT NOT NULL DEFAULT 0,
    volunteer_minutes      BIGINT NOT NULL DEFAULT 0,
    publicity_materials    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, site_id, month, project_id, staff_id, team_id)
);
CREATE INDEX stats_month_staff ON stats_month (org_id, staff_id, month);
CREATE INDEX stats_month_project ON stats_month (org_id, project_id, month);

INSERT INTO stats_month (org_id, month, site_id, project_id, staff_id, team_id, cases_opened, groups_opened, group_sessions, group_person_times, activities, activity_participants, volunteer_person_times, volunteer_minutes, publicity_materials)
SELECT org_id, month, site_id, project_id, staff_id, team_id, SUM(cases_opened), SUM(groups_opened), SUM(group_sessions), SUM(group_person_times), SUM(activities), SUM(activity_participants), SUM(volunteer_person_times), SUM(volunteer_minutes), SUM(publicity_materials) FROM (
    SELECT c.org_id, CAST(date_trunc('month', c.opened_on) AS DATE) AS month, c.site_id, 0 AS project_id, c.worker_id AS staff_id, 0 AS team_id,
        COUNT(*) AS cases_opened, 0 AS groups_opened, 0 AS group_sessions, 0 AS group_person_times, 0 AS activities, 0 AS activity_participants, 0 AS volunteer_person_times, 0 AS volunteer_minutes, 0 AS publicity_materials
        FROM cases c WHERE c.opened_on IS NOT NULL
        GROUP BY c.org_id, CAST(date_trunc('month', c.opened_on) AS DATE), c.site_id, c.worker_id
    UNION ALL
    SELECT g.org_id, CAST(date_trunc('month', g.first_session_on) AS DATE), g.site_id, COALESCE(g.project_id, 0), g.leader_id, 0,
        0, COUNT(*), 0, 0, 0, 0, 0, 0, 0
        FROM groups g WHERE g.first_session_on IS NOT NULL
        GROUP BY g.org_id, CAST(date_trunc('month', g.first_session_on) AS DATE), g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT g.org_id, CAST(date_trunc('month', s.held_on) AS DATE), g.site_id, COALESCE(g.project_id, 0), g.leader_id, 0,
        0, 0, COUNT(*), 0, 0, 0, 0, 0, 0
        FROM group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
        GROUP BY g.org_id, CAST(date_trunc('month', s.held_on) AS DATE), g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT g.org_id, CAST(date_trunc('month', s.held_on) AS DATE), g.site_id, COALESCE(g.project_id, 0), g.leader_id, 0,
        0, 0, 0, COUNT(*), 0, 0, 0, 0, 0
        FROM group_attendance t JOIN group_sessions s ON s.org_id = t.org_id AND s.id = t.session_id
        JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
        WHERE t.present
        GROUP BY g.org_id, CAST(date_trunc('month', s.held_on) AS DATE), g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT a.org_id, CAST(date_trunc('month', a.held_on) AS DATE), a.site_id, COALESCE(a.project_id, 0), a.lead_id, 0,
        0, 0, 0, 0, COUNT(*), SUM(a.participants), 0, 0, SUM(a.posters + a.flyers)
        FROM activities a
        GROUP BY a.org_id, CAST(date_trunc('month', a.held_on) AS DATE), a.site_id, COALESCE(a.project_id, 0), a.lead_id
    UNION ALL
    SELECT r.org_id, CAST(date_trunc('month', r.service_date) AS DATE), r.site_id, COALESCE(a.project_id, 0), COALESCE(st.id, 0), COALESCE(r.team_id, -1),
        0, 0, 0, 0, 0, 0, COUNT(*), SUM(r.minutes), 0
        FROM volunteer_services r
        LEFT JOIN activities a ON a.org_id = r.org_id AND a.id = r.activity_id
        LEFT JOIN staff st ON st.org_id = r.org_id AND st.user_id = r.recorder_id
        GROUP BY r.org_id, CAST(date_trunc('month', r.service_date) AS DATE), r.site_id, COALESCE(a.project_id, 0), COALESCE(st.id, 0), COALESCE(r.team_id, -1)
) x GROUP BY org_id, month, site_id, project_id, staff_id, team_id;

INSERT INTO stats_month (org_id, month, site_id, project_id, staff_id, team_id, cases_opened, groups_opened, group_sessions, group_person_times, activities, activity_participants, volunteer_person_times, volunteer_minutes, publicity_materials)
SELECT org_id, month, 0, 0, 0, team_id, SUM(cases_opened), SUM(groups_opened), SUM(group_sessions), SUM(group_person_times), SUM(activities), SUM(activity_participants), SUM(volunteer_person_times), SUM(volunteer_minutes), SUM(publicity_materials) FROM stats_month WHERE site_id > 0 GROUP BY org_id, month, team_id;

CREATE TABLE stats_volunteers (
    org_id     BIGINT NOT NULL REFERENCES organizations (id),
    kind       TEXT NOT NULL CHECK (kind IN ('month', 'quarter', 'half', 'year')),
    period_start DATE NOT NULL,
    team_id    BIGINT NOT NULL,
    volunteers BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind, period_start, team_id)
);

INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, 'month', CAST(date_trunc('month', r.service_date) AS DATE), 0, COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    GROUP BY r.org_id, CAST(date_trunc('month', r.service_date) AS DATE);
INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, 'month', CAST(date_trunc('month', r.service_date) AS DATE), COALESCE(r.team_id, -1), COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    GROUP BY r.org_id, CAST(date_trunc('month', r.service_date) AS DATE), COALESCE(r.team_id, -1);
INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, 'quarter', CAST(date_trunc('quarter', r.service_date) AS DATE), 0, COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    GROUP BY r.org_id, CAST(date_trunc('quarter', r.service_date) AS DATE);
INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, 'quarter', CAST(date_trunc('quarter', r.service_date) AS DATE), COALESCE(r.team_id, -1), COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    GROUP BY r.org_id, CAST(date_trunc('quarter', r.service_date) AS DATE), COALESCE(r.team_id, -1);
INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, 'half', CAST(date_trunc('year', r.service_date) + CASE WHEN EXTRACT(MONTH FROM r.service_date) > 6 THEN INTERVAL '6 months' ELSE INTERVAL '0 months' END AS DATE), 0, COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    GROUP BY r.org_id, CAST(date_trunc('year', r.service_date) + CASE WHEN EXTRACT(MONTH FROM r.service_date) > 6 THEN INTERVAL '6 months' ELSE INTERVAL '0 months' END AS DATE);
INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, 'half', CAST(date_trunc('year', r.service_date) + CASE WHEN EXTRACT(MONTH FROM r.service_date) > 6 THEN INTERVAL '6 months' ELSE INTERVAL '0 months' END AS DATE), COALESCE(r.team_id, -1), COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    GROUP BY r.org_id, CAST(date_trunc('year', r.service_date) + CASE WHEN EXTRACT(MONTH FROM r.service_date) > 6 THEN INTERVAL '6 months' ELSE INTERVAL '0 months' END AS DATE), COALESCE(r.team_id, -1);
INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, 'year', CAST(date_trunc('year', r.service_date) AS DATE), 0, COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    GROUP BY r.org_id, CAST(date_trunc('year', r.service_date) AS DATE);
INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, 'year', CAST(date_trunc('year', r.service_date) AS DATE), COALESCE(r.team_id, -1), COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    GROUP BY r.org_id, CAST(date_trunc('year', r.service_date) AS DATE), COALESCE(r.team_id, -1);

SELECT enable_org_rls();

-- +goose Down
DROP TABLE stats_volunteers;
DROP TABLE stats_month;
DROP INDEX groups_first_session;
ALTER TABLE groups DROP COLUMN first_session_on;
