package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shegong/internal/app"
	"shegong/internal/db"
)

// Retention of the audit log, in months. The log is kept at least six months
// (网络安全法 §21 asks network operators to keep logs no less than six
// months); the default keeps three years.
const (
	MinRetentionMonths     = 6
	DefaultRetentionMonths = 36
)

// ActionPurge is the action of the row a purge writes into the chain it
// shortens. Its detail starts with purgeRecord, which Verify checks against
// the anchor.
const ActionPurge = "audit.purge"

func purgeRecord(seq int64, hash string) string {
	return fmt.Sprintf("through_seq=%d through_hash=%s", seq, hash)
}

// PurgeResult is what a purge did to one organization's chain.
type PurgeResult struct {
	OrgID      int64
	Cutoff     time.Time // rows before it were eligible
	ThroughSeq int64     // the new anchor: every row up to it is gone
	Deleted    int64
}

// Cutoff is the oldest time a retention of months keeps, as of now.
func Cutoff(now time.Time, months int) time.Time {
	return now.UTC().AddDate(0, -months, 0)
}

// Purge removes, in every organization's chain, the rows older than the
// retention (months before now), and never a younger one: it removes the
// longest run of rows from the start of the chain that are all older than the
// cutoff. For each chain it shortens it writes an audit.purge row into that
// chain, moves the chain's anchor to the last removed row, and deletes the
// rows up to the anchor, all in one transaction; the database triggers refuse
// any delete above the anchor. With dryRun it only reports.
func Purge(ctx context.Context, d *db.DB, now time.Time, months int, dryRun bool) ([]PurgeResult, error) {
	if months < MinRetentionMonths {
		return nil, app.Errorf(app.EInvalid, "审计日志至少保留 %d 个月", MinRetentionMonths)
	}
	cutoff := Cutoff(now, months)
	var orgs []int64
	rows, err := d.R.QueryContext(ctx, `SELECT org_id FROM audit_heads ORDER BY org_id`)
	if err != nil {
		return nil, fmt.Errorf("audit: purge: %w", err)
	}
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return nil, err
		}
		orgs = append(orgs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []PurgeResult
	for _, org := range orgs {
		var r PurgeResult
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			r, err = purgeOrg(ctx, tx, org, now, months, cutoff, dryRun)
			return err
		})
		if err != nil {
			return out, err
		}
		if r.Deleted > 0 {
			out = append(out, r)
		}
	}
	return out, nil
}

func purgeOrg(ctx context.Context, tx *sql.Tx, org int64, now time.Time, months int, cutoff time.Time, dryRun bool) (PurgeResult, error) {
	r := PurgeResult{OrgID: org, Cutoff: cutoff}
	// Take the chain's head first so that no writer of this organization
	// runs alongside (PostgreSQL row lock; SQLite has one writer anyway).
	var headSeq int64
	if err := tx.QueryRowContext(ctx, `UPDATE audit_heads SET seq = seq WHERE org_id = $1 RETURNING seq`, org).Scan(&headSeq); err != nil {
		return r, fmt.Errorf("audit: purge: lock head: %w", err)
	}
	var from int64
	err := tx.QueryRowContext(ctx, `SELECT through_seq FROM audit_anchors WHERE org_id = $1`, org).Scan(&from)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("audit: purge: anchor: %w", err)
	}
	hasAnchor := err == nil
	// The first row that must stay; everything before it is older than the cutoff.
	var firstYoung sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(seq) FROM audit_log WHERE org_id = $1 AND at >= $2`, org, cutoff).Scan(&firstYoung); err != nil {
		return r, fmt.Errorf("audit: purge: cutoff row: %w", err)
	}
	through := headSeq
	if firstYoung.Valid {
		through = firstYoung.Int64 - 1
	}
	if through <= from {
		r.ThroughSeq = from
		return r, nil
	}
	var hash string
	var at time.Time
	if err := tx.QueryRowContext(ctx, `SELECT hash, at FROM audit_log WHERE org_id = $1 AND seq = $2`, org, through).Scan(&hash, &at); err != nil {
		return r, fmt.Errorf("audit: purge: anchor row %d: %w", through, err)
	}
	if !at.Before(cutoff) {
		return r, fmt.Errorf("audit: purge: row %d of org %d is not older than %s", through, org, cutoff.Format(time.RFC3339))
	}
	r.ThroughSeq = through
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND seq <= $2`, org, through).Scan(&n); err != nil {
		return r, err
	}
	r.Deleted = n
	if dryRun {
		return r, nil
	}
	detail := fmt.Sprintf("%s cutoff=%s keep_months=%d rows=%d", purgeRecord(through, hash),
		cutoff.Format(time.RFC3339), months, n)
	if err := Write(ctx, tx, Entry{OrgID: org, At: now, Username: "system", Action: ActionPurge,
		ObjectType: "audit_log", ObjectID: fmt.Sprint(through), Detail: detail}); err != nil {
		return r, err
	}
	if hasAnchor {
		_, err = tx.ExecContext(ctx, `UPDATE audit_anchors SET through_seq = $2, through_hash = $3, through_at = $4, purged_at = $5
			WHERE org_id = $1`, org, through, hash, at.UTC(), now.UTC())
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_anchors (org_id, through_seq, through_hash, through_at, purged_at)
			VALUES ($1, $2, $3, $4, $5)`, org, through, hash, at.UTC(), now.UTC())
	}
	if err != nil {
		return r, fmt.Errorf("audit: purge: anchor: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE org_id = $1 AND seq <= $2`, org, through)
	if err != nil {
		return r, fmt.Errorf("audit: purge: delete: %w", err)
	}
	if got, err := res.RowsAffected(); err == nil && got != n {
		return r, fmt.Errorf("audit: purge: deleted %d rows, expected %d", got, n)
	}
	return r, nil
}
