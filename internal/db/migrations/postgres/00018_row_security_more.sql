-- Row-level security for the organization tables added after 00012 (second
-- factor, audit retention, counters): the same org_isolation policy.

-- +goose Up
SELECT enable_org_rls();

-- +goose Down
SELECT 1;
