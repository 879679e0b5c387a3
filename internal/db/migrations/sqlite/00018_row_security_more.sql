-- PostgreSQL's 00018 extends row-level security; nothing to do on SQLite.
-- Kept for numbering parity.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
