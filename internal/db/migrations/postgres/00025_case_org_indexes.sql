-- +goose Up
-- The organization-wide readers (director, service head): their case list
-- pages through the organization's cases by intake date, and their home
-- page's figures read the open cases and those followed up this month from
-- index entries alone. Without these both read every case of the
-- organization (150,000 on agency-large), on every view (docs/PERFORMANCE.md).
CREATE INDEX cases_org_intake ON cases (org_id, intake_date);
CREATE INDEX cases_org_behind ON cases (org_id, state, last_followup_on, last_followup_month_count, opened_on);
CREATE INDEX cases_org_followup ON cases (org_id, last_followup_on, last_followup_month_count);

-- +goose Down
DROP INDEX cases_org_followup;
DROP INDEX cases_org_behind;
DROP INDEX cases_org_intake;
