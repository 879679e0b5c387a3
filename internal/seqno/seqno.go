// Package seqno hands out gap-free, unique yearly numbers: case numbers per
// service point, volunteer numbers, service certificate numbers, and later
// finance vouchers.
//
// A number is taken inside the transaction that writes the record carrying
// it. The counter row is bumped with one INSERT … ON CONFLICT DO UPDATE,
// which locks the row until that transaction ends: a second taker waits and
// then gets the next number, and when the record's transaction rolls back
// the bump rolls back with it, so the number is handed out again rather
// than lost. Numbers never skip and never repeat.
package seqno

import (
	"context"
	"database/sql"
	"fmt"
)

// Kinds of numbered things.
const (
	Case        = "case"        // scope: the service point
	Volunteer   = "volunteer"   // scope: 0 (the organization)
	Certificate = "certificate" // scope: 0
)

// Key names one sequence: an organization's numbers of one kind in one
// year, optionally within a scope (a service point's id; 0 for the whole
// organization).
type Key struct {
	OrgID   int64
	Kind    string
	ScopeID int64
	Year    int
}

const sqlNext = `INSERT INTO counters (org_id, kind, scope_id, year, last_no) VALUES ($1, $2, $3, $4, 1)
	ON CONFLICT (org_id, kind, scope_id, year) DO UPDATE SET last_no = counters.last_no + 1
	RETURNING last_no`

// Next takes the next number of k inside tx, starting at 1.
func Next(ctx context.Context, tx *sql.Tx, k Key) (int, error) {
	if k.OrgID == 0 || k.Kind == "" || k.Year == 0 {
		return 0, fmt.Errorf("seqno: incomplete key %+v", k)
	}
	var n int
	if err := tx.QueryRowContext(ctx, sqlNext, k.OrgID, k.Kind, k.ScopeID, k.Year).Scan(&n); err != nil {
		return 0, fmt.Errorf("seqno: next %s number: %w", k.Kind, err)
	}
	return n, nil
}

// Last returns the last number taken of k (0 when none), read through q.
func Last(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, k Key) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT last_no FROM counters WHERE org_id = $1 AND kind = $2 AND scope_id = $3 AND year = $4`,
		k.OrgID, k.Kind, k.ScopeID, k.Year).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("seqno: last %s number: %w", k.Kind, err)
	}
	return n, nil
}
