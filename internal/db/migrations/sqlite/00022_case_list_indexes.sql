-- +goose Up
-- The case list pages a worker's, a supervisor's or a service point's
-- cases by intake date: with the date in the index the page's ids are
-- sorted from index entries alone, without reading each case row (a
-- supervisor of 20 reads about 5,000 cases in scope; docs/PERFORMANCE.md).
DROP INDEX cases_worker;
CREATE INDEX cases_worker ON cases (org_id, worker_id, state, intake_date);
DROP INDEX cases_site;
CREATE INDEX cases_site ON cases (org_id, site_id, state, intake_date);

-- +goose Down
DROP INDEX cases_site;
CREATE INDEX cases_site ON cases (org_id, site_id, state);
DROP INDEX cases_worker;
CREATE INDEX cases_worker ON cases (org_id, worker_id, state);
