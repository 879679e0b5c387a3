-- +goose Up
-- Audit retention: rows older than the retention may be purged, and only
-- through an anchor. audit_anchors holds, per organization, the seq and hash
-- of the last purged row; the chain verifies from there. The delete trigger
-- refuses every row above the anchor, the anchor only moves forward and only
-- onto a row that exists with that hash, and the anchor is never deleted.
CREATE TABLE audit_anchors (
    org_id       INTEGER PRIMARY KEY,
    through_seq  INTEGER NOT NULL,
    through_hash TEXT NOT NULL,
    through_at   TIMESTAMP NOT NULL,
    purged_at    TIMESTAMP NOT NULL
);

DROP TRIGGER audit_log_no_delete;
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > COALESCE((SELECT through_seq FROM audit_anchors WHERE org_id = OLD.org_id), 0)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_anchors_insert BEFORE INSERT ON audit_anchors
WHEN NOT EXISTS (SELECT 1 FROM audit_log WHERE org_id = NEW.org_id AND seq = NEW.through_seq AND hash = NEW.through_hash)
  OR NEW.through_seq >= (SELECT seq FROM audit_heads WHERE org_id = NEW.org_id)
BEGIN
    SELECT RAISE(ABORT, 'audit anchor must be an existing row below the chain head');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_anchors_update BEFORE UPDATE ON audit_anchors
WHEN NEW.org_id <> OLD.org_id OR NEW.through_seq <= OLD.through_seq
  OR NOT EXISTS (SELECT 1 FROM audit_log WHERE org_id = NEW.org_id AND seq = NEW.through_seq AND hash = NEW.through_hash)
  OR NEW.through_seq >= (SELECT seq FROM audit_heads WHERE org_id = NEW.org_id)
BEGIN
    SELECT RAISE(ABORT, 'audit anchor only moves forward onto an existing row');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
BEGIN
    SELECT RAISE(ABORT, 'audit anchors are never deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_log_no_delete;
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
DROP TABLE audit_anchors;
