// Package audit writes the append-only, hash-chained audit log. Every change,
// sign-in, denial, reveal of masked data and export is recorded, in the same
// transaction as the change it describes.
//
// Each organization has its own chain: row n stores the hash of row n-1, and
// audit_heads stores the last link, so an edited, inserted or deleted row
// breaks the chain and Verify reports it.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shegong/internal/db"
)

// Outcomes.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

// Genesis is the prev_hash of each chain's first row.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one audit row.
type Entry struct {
	OrgID      int64
	Seq        int64
	At         time.Time
	UserID     int64 // 0 when nobody is signed in
	Username   string
	Action     string // e.g. "site.create", "auth.login", "client.reveal"
	ObjectType string
	ObjectID   string
	Outcome    string
	Detail     string
	RequestID  string
	IP         string
	PrevHash   string
	Hash       string
}

type reqKey struct{}

// RequestInfo is what the HTTP layer knows about the current request.
type RequestInfo struct {
	ID string
	IP string
}

// WithRequest stores request information for entries written under ctx.
func WithRequest(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, reqKey{}, ri)
}

// RequestFrom returns the request information stored in ctx.
func RequestFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(reqKey{}).(RequestInfo)
	return ri
}

const (
	sqlBumpHead   = `UPDATE audit_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, hash`
	sqlCreateHead = `INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (org_id) DO NOTHING`
	sqlSetHead    = `UPDATE audit_heads SET hash = $2 WHERE org_id = $1`
	sqlInsert     = `INSERT INTO audit_log (org_id, seq, at, user_id, username, action, object_type, object_id,
		outcome, detail, request_id, ip, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
)

// Write appends e to its organization's chain inside tx. The head row update
// serializes concurrent writers of one organization.
func Write(ctx context.Context, tx db.Querier, e Entry) error {
	if e.OrgID == 0 || e.Action == "" {
		return errors.New("audit: entry needs org and action")
	}
	if e.At.IsZero() {
		return errors.New("audit: entry needs a time")
	}
	if e.Outcome == "" {
		e.Outcome = OK
	}
	ri := RequestFrom(ctx)
	if e.RequestID == "" {
		e.RequestID = ri.ID
	}
	if e.IP == "" {
		e.IP = ri.IP
	}
	// PostgreSQL keeps microseconds; hash what both engines give back.
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if len(e.Detail) > 4000 {
		e.Detail = e.Detail[:4000]
	}
	err := tx.QueryRowContext(ctx, sqlBumpHead, e.OrgID).Scan(&e.Seq, &e.PrevHash)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, sqlCreateHead, e.OrgID, Genesis); err != nil {
			return fmt.Errorf("audit: create head: %w", err)
		}
		err = tx.QueryRowContext(ctx, sqlBumpHead, e.OrgID).Scan(&e.Seq, &e.PrevHash)
	}
	if err != nil {
		return fmt.Errorf("audit: bump head: %w", err)
	}
	e.Hash = e.computeHash()
	var uid any
	if e.UserID != 0 {
		uid = e.UserID
	}
	if _, err := tx.ExecContext(ctx, sqlInsert, e.OrgID, e.Seq, e.At, uid, e.Username, e.Action,
		e.ObjectType, e.ObjectID, e.Outcome, e.Detail, e.RequestID, e.IP, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit: insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, sqlSetHead, e.OrgID, e.Hash); err != nil {
		return fmt.Errorf("audit: set head: %w", err)
	}
	return nil
}

// Append writes e in a transaction of its own, for events that change
// nothing else (sign-in failures, denials, exports).
func Append(ctx context.Context, d *db.DB, e Entry) error {
	return d.Tx(ctx, func(tx *sql.Tx) error { return Write(ctx, tx, e) })
}

func (e *Entry) computeHash() string {
	h := sha256.New()
	fields := []string{
		e.PrevHash,
		strconv.FormatInt(e.OrgID, 10),
		strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(e.UserID, 10),
		e.Username, e.Action, e.ObjectType, e.ObjectID, e.Outcome, e.Detail, e.RequestID, e.IP,
	}
	// Length-prefix each field so that no two field lists hash alike.
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Problem is one break found by Verify.
type Problem struct {
	OrgID  int64
	Seq    int64
	Reason string
}

func (p Problem) String() string {
	return fmt.Sprintf("org %d seq %d: %s", p.OrgID, p.Seq, p.Reason)
}

// VerifyResult summarizes a verification.
type VerifyResult struct {
	Rows     int64
	Orgs     int
	Problems []Problem
}

const (
	sqlHeads = `SELECT org_id, seq, hash FROM audit_heads ORDER BY org_id`
	sqlChain = `SELECT org_id, seq, at, COALESCE(user_id, 0), username, action, object_type, object_id,
		outcome, detail, request_id, ip, prev_hash, hash FROM audit_log WHERE org_id = $1 ORDER BY seq`
)

// Verify walks every organization's chain and reports each break: a row whose
// hash does not match its content, a missing or extra row, or a head that does
// not match the last row (a deleted tail).
func Verify(ctx context.Context, d *db.DB) (VerifyResult, error) {
	var res VerifyResult
	type head struct {
		org, seq int64
		hash     string
	}
	var heads []head
	rows, err := d.R.QueryContext(ctx, sqlHeads)
	if err != nil {
		return res, fmt.Errorf("audit: heads: %w", err)
	}
	for rows.Next() {
		var h head
		if err := rows.Scan(&h.org, &h.seq, &h.hash); err != nil {
			rows.Close()
			return res, err
		}
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	// Rows of organizations that have no head at all are also breaks.
	var orphan int64
	if err := d.R.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM audit_log WHERE org_id NOT IN (SELECT org_id FROM audit_heads)`).Scan(&orphan); err != nil {
		return res, err
	}
	if orphan > 0 {
		res.Problems = append(res.Problems, Problem{Reason: fmt.Sprintf("%d rows belong to no chain", orphan)})
	}
	for _, h := range heads {
		res.Orgs++
		prev, want := Genesis, int64(1)
		rows, err := d.R.QueryContext(ctx, sqlChain, h.org)
		if err != nil {
			return res, fmt.Errorf("audit: chain: %w", err)
		}
		for rows.Next() {
			var e Entry
			if err := rows.Scan(&e.OrgID, &e.Seq, &e.At, &e.UserID, &e.Username, &e.Action, &e.ObjectType,
				&e.ObjectID, &e.Outcome, &e.Detail, &e.RequestID, &e.IP, &e.PrevHash, &e.Hash); err != nil {
				rows.Close()
				return res, err
			}
			res.Rows++
			if e.Seq != want {
				res.Problems = append(res.Problems, Problem{h.org, e.Seq, fmt.Sprintf("expected seq %d (row missing or inserted)", want)})
			}
			if e.PrevHash != prev {
				res.Problems = append(res.Problems, Problem{h.org, e.Seq, "prev_hash does not match the previous row"})
			}
			if got := e.computeHash(); got != e.Hash {
				res.Problems = append(res.Problems, Problem{h.org, e.Seq, "content does not match its hash (row edited)"})
			}
			prev, want = e.Hash, e.Seq+1
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, err
		}
		if h.seq != want-1 || h.hash != prev {
			res.Problems = append(res.Problems, Problem{h.org, h.seq, "chain head does not match the last row (rows deleted)"})
		}
	}
	return res, nil
}

// Filter selects audit rows for the admin page.
type Filter struct {
	OrgID      int64
	From, To   time.Time // To is exclusive
	UserID     int64
	Action     string // prefix match, e.g. "auth."
	ObjectType string
	ObjectID   string
	Outcome    string
	Limit      int
	Offset     int
}

// List returns rows matching f, newest first, and the total count.
func List(ctx context.Context, d *db.DB, f Filter) ([]Entry, int, error) {
	var where []string
	args := []any{f.OrgID}
	where = append(where, "org_id = $1")
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at < ?", f.To.UTC())
	}
	if f.UserID != 0 {
		add("user_id = ?", f.UserID)
	}
	if f.Action != "" {
		add("action LIKE ?", strings.NewReplacer("%", `\%`, "_", `\_`).Replace(f.Action)+"%")
		where[len(where)-1] += ` ESCAPE '\'`
	}
	if f.ObjectType != "" {
		add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = ?", f.ObjectID)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE "+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: count: %w", err)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	q := `SELECT org_id, seq, at, COALESCE(user_id, 0), username, action, object_type, object_id,
		outcome, detail, request_id, ip, prev_hash, hash FROM audit_log WHERE ` + w +
		fmt.Sprintf(" ORDER BY seq DESC LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	rows, err := d.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.OrgID, &e.Seq, &e.At, &e.UserID, &e.Username, &e.Action, &e.ObjectType,
			&e.ObjectID, &e.Outcome, &e.Detail, &e.RequestID, &e.IP, &e.PrevHash, &e.Hash); err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}
