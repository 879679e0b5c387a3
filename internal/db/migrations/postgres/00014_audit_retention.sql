-- +goose Up
-- Audit retention: rows older than the retention may be purged, and only
-- through an anchor. audit_anchors holds, per organization, the seq and hash
-- of the last purged row; the chain verifies from there. The audit_log trigger
-- refuses every UPDATE and every DELETE of a row above the anchor; the anchor
-- only moves forward and only onto a row that exists with that hash, and it is
-- never deleted.
CREATE TABLE audit_anchors (
    org_id       BIGINT PRIMARY KEY,
    through_seq  BIGINT NOT NULL,
    through_hash TEXT NOT NULL,
    through_at   TIMESTAMPTZ NOT NULL,
    purged_at    TIMESTAMPTZ NOT NULL
);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.seq <= COALESCE(
        (SELECT through_seq FROM audit_anchors WHERE org_id = OLD.org_id), 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_anchors_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit anchors are never deleted';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.org_id <> OLD.org_id OR NEW.through_seq <= OLD.through_seq) THEN
        RAISE EXCEPTION 'audit anchor only moves forward';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_log WHERE org_id = NEW.org_id AND seq = NEW.through_seq AND hash = NEW.through_hash)
       OR NEW.through_seq >= (SELECT seq FROM audit_heads WHERE org_id = NEW.org_id) THEN
        RAISE EXCEPTION 'audit anchor must be an existing row below the chain head';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_anchors_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_anchors
    FOR EACH ROW EXECUTE FUNCTION audit_anchors_guard();

-- +goose Down
DROP TABLE audit_anchors;
DROP FUNCTION audit_anchors_guard;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
