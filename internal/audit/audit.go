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

// Kinds of break.
const (
	BreakSeq    = "seq"    // a row missing or inserted
	BreakPrev   = "prev"   // prev_hash does not link to the previous row
	BreakHash   = "hash"   // content edited after it was written
	BreakHead   = "head"   // the head does not match the last row (tail deleted)
	BreakOrphan = "orphan" // rows of an organization without a chain head
)

// Problem is one break found by Verify.
type Problem struct {
	OrgID  int64
	Seq    int64
	Kind   string // one of the Break… constants
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
	sqlHeads   = `SELECT org_id, seq, hash FROM audit_heads ORDER BY org_id`
	sqlOrgHead = `SELECT org_id, seq, hash FROM audit_heads WHERE org_id = $1`
	sqlChain   = `SELECT org_id, seq, at, COALESCE(user_id, 0), username, action, object_type, object_id,
		outcome, detail, request_id, ip, prev_hash, hash FROM audit_log WHERE org_id = $1 ORDER BY seq`
)

type head struct {
	org, seq int64
	hash     string
}

// Verify walks every organization's chain and reports each break: a row whose
// hash does not match its content, a missing or extra row, or a head that does
// not match the last row (a deleted tail).
func Verify(ctx context.Context, d *db.DB) (VerifyResult, error) {
	var res VerifyResult
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
		res.Problems = append(res.Problems, Problem{Kind: BreakOrphan, Reason: fmt.Sprintf("%d rows belong to no chain", orphan)})
	}
	for _, h := range heads {
		if err := verifyChain(ctx, d, h, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// VerifyOrg walks one organization's chain, as Verify does for all.
func VerifyOrg(ctx context.Context, d *db.DB, orgID int64) (VerifyResult, error) {
	var res VerifyResult
	var h head
	err := d.R.QueryRowContext(ctx, sqlOrgHead, orgID).Scan(&h.org, &h.seq, &h.hash)
	if errors.Is(err, sql.ErrNoRows) {
		var n int64
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE org_id = $1`, orgID).Scan(&n); err != nil {
			return res, err
		}
		if n > 0 {
			res.Problems = append(res.Problems, Problem{OrgID: orgID, Kind: BreakOrphan,
				Reason: fmt.Sprintf("%d rows belong to no chain", n)})
		}
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("audit: head: %w", err)
	}
	return res, verifyChain(ctx, d, h, &res)
}

func verifyChain(ctx context.Context, d *db.DB, h head, res *VerifyResult) error {
	res.Orgs++
	prev, want := Genesis, int64(1)
	rows, err := d.R.QueryContext(ctx, sqlChain, h.org)
	if err != nil {
		return fmt.Errorf("audit: chain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.OrgID, &e.Seq, &e.At, &e.UserID, &e.Username, &e.Action, &e.ObjectType,
			&e.ObjectID, &e.Outcome, &e.Detail, &e.RequestID, &e.IP, &e.PrevHash, &e.Hash); err != nil {
			return err
		}
		res.Rows++
		if e.Seq != want {
			res.Problems = append(res.Problems, Problem{h.org, e.Seq, BreakSeq, fmt.Sprintf("expected seq %d (row missing or inserted)", want)})
		}
		if e.PrevHash != prev {
			res.Problems = append(res.Problems, Problem{h.org, e.Seq, BreakPrev, "prev_hash does not match the previous row"})
		}
		if got := e.computeHash(); got != e.Hash {
			res.Problems = append(res.Problems, Problem{h.org, e.Seq, BreakHash, "content does not match its hash (row edited)"})
		}
		prev, want = e.Hash, e.Seq+1
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if h.seq != want-1 || h.hash != prev {
		res.Problems = append(res.Problems, Problem{h.org, h.seq, BreakHead, "chain head does not match the last row (rows deleted)"})
	}
	return nil
}

// Filter selects audit rows for the admin page.
type Filter struct {
	OrgID        int64
	From, To     time.Time // To is exclusive
	UserID       int64
	Action       string // prefix match, e.g. "auth."
	ActionSuffix string // suffix match, e.g. ".reveal"
	ObjectType   string
	ObjectID     string
	Outcome      string
	Limit        int // 50 when 0; at most MaxRows
	Offset       int
}

// MaxRows caps one List call (an export of every page).
const MaxRows = 200000

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
		add("action LIKE ?", likeEscape(f.Action)+"%")
		where[len(where)-1] += ` ESCAPE '\'`
	}
	if f.ActionSuffix != "" {
		add("action LIKE ?", "%"+likeEscape(f.ActionSuffix))
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
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, MaxRows)
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

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// Actor is an account of an organization, for choosing whose rows to see.
type Actor struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

// Actors lists the accounts of an organization by username.
func Actors(ctx context.Context, d *db.DB, orgID int64) ([]Actor, error) {
	rows, err := d.R.QueryContext(ctx, `SELECT id, username, display_name FROM users WHERE org_id = $1 ORDER BY username`, orgID)
	if err != nil {
		return nil, fmt.Errorf("audit: actors: %w", err)
	}
	defer rows.Close()
	var out []Actor
	for rows.Next() {
		var a Actor
		if err := rows.Scan(&a.ID, &a.Username, &a.DisplayName); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ObjectTypes lists the object types that occur in an organization's log.
func ObjectTypes(ctx context.Context, d *db.DB, orgID int64) ([]string, error) {
	rows, err := d.R.QueryContext(ctx, `SELECT DISTINCT object_type FROM audit_log WHERE org_id = $1 AND object_type <> ''
		ORDER BY object_type`, orgID)
	if err != nil {
		return nil, fmt.Errorf("audit: object types: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
