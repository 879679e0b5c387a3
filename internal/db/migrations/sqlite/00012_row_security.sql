-- PostgreSQL's 00012 adds row-level security; SQLite has none (the
-- application's checks are the wall there). Kept for numbering parity.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
