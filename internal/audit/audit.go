// Package audit writes the append-only, hash-chained audit log. Every change,
// sign-in, denial, reveal of masked data and export is recorded, in the same
// transaction as the change it describes.
//
// Each organization has its own chain: row n stores the hash of row n-1, and
// audit_heads stores the last link, so an edited, inserted or deleted row
// breaks the chain and Verify reports it.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"shegong/internal/app"
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
	e.Detail = cutDetail(e.Detail)
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
	sum := sha256.Sum256(appendHashInput(nil, e.PrevHash, e.OrgID, e.Seq, e.At, e.UserID,
		e.Username, e.Action, e.ObjectType, e.ObjectID, e.Outcome, e.Detail, e.RequestID, e.IP))
	return hex.EncodeToString(sum[:])
}

// appendHashInput appends what a row's hash covers: every field,
// length-prefixed so that no two field lists hash alike.
func appendHashInput[T string | ~[]byte](buf []byte, prev T, org, seq int64, at time.Time, user int64,
	username, action, objectType, objectID, outcome, detail, requestID, ip T) []byte {
	buf = appendHashHead(buf, prev, org, seq, at, user)
	for _, f := range [...]T{username, action, objectType, objectID, outcome, detail, requestID, ip} {
		buf = strconv.AppendInt(buf, int64(len(f)), 10)
		buf = append(buf, ':')
		buf = append(buf, f...)
	}
	return buf
}

// appendHashHead appends the fields before username. Verify has the
// database length-prefix the text fields after it (sqlTail), so that a row
// comes back in few columns.
func appendHashHead[T string | ~[]byte](buf []byte, prev T, org, seq int64, at time.Time, user int64) []byte {
	num := func(buf []byte, n int64) []byte {
		var tmp [20]byte
		b := strconv.AppendInt(tmp[:0], n, 10)
		buf = strconv.AppendInt(buf, int64(len(b)), 10)
		buf = append(buf, ':')
		return append(buf, b...)
	}
	buf = strconv.AppendInt(buf, int64(len(prev)), 10)
	buf = append(buf, ':')
	buf = append(buf, prev...)
	buf = num(buf, org)
	buf = num(buf, seq)
	var tb [40]byte
	ts := at.UTC().AppendFormat(tb[:0], time.RFC3339Nano)
	buf = strconv.AppendInt(buf, int64(len(ts)), 10)
	buf = append(buf, ':')
	buf = append(buf, ts...)
	return num(buf, user)
}

// sqlTail is an expression giving the hash input of the text fields after
// user_id, each as byte length, ':' and the text, as appendHashInput writes them.
func sqlTail(dialect db.Dialect) string {
	length := "length(CAST(%s AS BLOB))"
	if dialect == db.Postgres {
		length = "octet_length(%s)"
	}
	var parts []string
	for _, c := range []string{"username", "action", "object_type", "object_id", "outcome", "detail", "request_id", "ip"} {
		parts = append(parts, fmt.Sprintf(length, c)+" || ':' || "+c)
	}
	return strings.Join(parts, " || ")
}

// Kinds of break.
const (
	BreakSeq    = "seq"    // a row missing or inserted
	BreakPrev   = "prev"   // prev_hash does not link to the previous row
	BreakHash   = "hash"   // content edited after it was written
	BreakHead   = "head"   // the head does not match the last row (tail deleted)
	BreakOrphan = "orphan" // rows of an organization without a chain head
	BreakAnchor = "anchor" // the purge anchor does not match the last purge recorded in the chain
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
	Purged   int64 // rows before the anchors, removed by retention purges
	Problems []Problem
}

const (
	sqlHeads    = `SELECT org_id, seq, hash FROM audit_heads ORDER BY org_id`
	sqlOrgHead  = `SELECT org_id, seq, hash FROM audit_heads WHERE org_id = $1`
	sqlAnchors  = `SELECT org_id, through_seq, through_hash FROM audit_anchors`
	sqlPurgeRec = `SELECT seq, detail FROM audit_log WHERE org_id = $1 AND object_type = 'audit_log' AND action = $2
		ORDER BY seq DESC LIMIT 1`
)

type head struct {
	org, seq int64
	hash     string
}

type anchor struct {
	seq  int64
	hash string
}

// Verify walks every organization's chain and reports each break: a row whose
// hash does not match its content, a missing or extra row, or a head that does
// not match the last row (a deleted tail). A chain whose old rows were purged
// (see Purge) verifies from its anchor.
//
// Each chain is cut into runs of seqs that are read and hashed in parallel,
// from the driver's buffers, and then stitched: the first row of a run must
// link to the last row of the run before it.
func Verify(ctx context.Context, d *db.DB) (VerifyResult, error) {
	var heads []head
	rows, err := d.R.QueryContext(ctx, sqlHeads)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("audit: heads: %w", err)
	}
	for rows.Next() {
		var h head
		if err := rows.Scan(&h.org, &h.seq, &h.hash); err != nil {
			rows.Close()
			return VerifyResult{}, err
		}
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return VerifyResult{}, err
	}
	return verify(ctx, d, heads, -1)
}

// VerifyOrg walks one organization's chain, as Verify does for all.
func VerifyOrg(ctx context.Context, d *db.DB, orgID int64) (VerifyResult, error) {
	var h head
	err := d.R.QueryRowContext(ctx, sqlOrgHead, orgID).Scan(&h.org, &h.seq, &h.hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return verify(ctx, d, nil, orgID)
	case err != nil:
		return VerifyResult{}, fmt.Errorf("audit: head: %w", err)
	}
	return verify(ctx, d, []head{h}, orgID)
}

// verifyRun is the number of seqs one worker reads at a time.
var verifyRun int64 = 1 << 16

// run is a range of one chain's seqs, and what reading it found.
type run struct {
	org      int64
	lo, hi   int64 // seq bounds; 0 means open
	rows     int64
	first    int64 // seq and prev_hash of the first row, checked when stitching
	firstPrv string
	last     int64
	lastHash string
	problems []Problem
}

// verify checks the chains of heads; org is the one organization asked
// for, or -1 for all (then rows of organizations without a head are orphans).
func verify(ctx context.Context, d *db.DB, heads []head, org int64) (VerifyResult, error) {
	var res VerifyResult
	anchors := map[int64]anchor{}
	arows, err := d.R.QueryContext(ctx, sqlAnchors)
	if err != nil {
		return res, fmt.Errorf("audit: anchors: %w", err)
	}
	for arows.Next() {
		var o int64
		var a anchor
		if err := arows.Scan(&o, &a.seq, &a.hash); err != nil {
			arows.Close()
			return res, err
		}
		anchors[o] = a
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return res, err
	}

	// Cut every chain into runs; the first run has no lower bound and the
	// last none above, so that stray rows outside the chain are read too.
	var runs []*run
	chainRuns := make([][]*run, len(heads))
	for i, h := range heads {
		from := int64(1)
		if a, ok := anchors[h.org]; ok {
			from = a.seq + 1
		}
		for lo := from; ; lo += verifyRun {
			r := &run{org: h.org, lo: lo, hi: lo + verifyRun - 1}
			if lo == from {
				r.lo = 0
			}
			if r.hi >= h.seq {
				r.hi = 0
			}
			runs = append(runs, r)
			chainRuns[i] = append(chainRuns[i], r)
			if r.hi == 0 {
				break
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 4, max(len(runs), 1))
	next := make(chan *run)
	errs := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				if err := r.read(ctx, d); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for _, r := range runs {
		select {
		case next <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return res, fmt.Errorf("audit: chain: %w", err)
	default:
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	// Stitch the runs of each chain in order, as one walk would see them.
	for i, h := range heads {
		res.Orgs++
		lastSeq, lastHash := int64(0), Genesis
		a, hasAnchor := anchors[h.org]
		if hasAnchor {
			lastSeq, lastHash = a.seq, a.hash
			res.Purged += a.seq
		}
		for _, r := range chainRuns[i] {
			if r.rows == 0 {
				continue
			}
			res.Rows += r.rows
			if r.first != lastSeq+1 {
				res.Problems = append(res.Problems, Problem{h.org, r.first, BreakSeq, fmt.Sprintf("expected seq %d (row missing or inserted)", lastSeq+1)})
			}
			if r.firstPrv != lastHash {
				res.Problems = append(res.Problems, Problem{h.org, r.first, BreakPrev, "prev_hash does not match the previous row"})
			}
			res.Problems = append(res.Problems, r.problems...)
			lastSeq, lastHash = r.last, r.lastHash
		}
		if h.seq != lastSeq || h.hash != lastHash {
			res.Problems = append(res.Problems, Problem{h.org, h.seq, BreakHead, "chain head does not match the last row (rows deleted)"})
		}
		var purgeSeq int64
		var purgeRec string
		if hasAnchor {
			err := d.R.QueryRowContext(ctx, sqlPurgeRec, h.org, ActionPurge).Scan(&purgeSeq, &purgeRec)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return res, fmt.Errorf("audit: purge record: %w", err)
			}
		}
		if hasAnchor && (purgeSeq == 0 || !strings.HasPrefix(purgeRec, purgeRecord(a.seq, a.hash))) {
			res.Problems = append(res.Problems, Problem{h.org, a.seq, BreakAnchor,
				"the purge anchor does not match the last purge recorded in the chain"})
		}
	}

	// Rows of organizations that have no head at all are also breaks.
	var orphans int64
	var q string
	var args []any
	if org >= 0 {
		if len(heads) > 0 {
			return res, nil
		}
		q, args = `SELECT COUNT(*) FROM audit_log WHERE org_id = $1`, []any{org}
	} else {
		q = `SELECT COUNT(*) FROM audit_log WHERE org_id NOT IN (SELECT org_id FROM audit_heads)`
	}
	if err := d.R.QueryRowContext(ctx, q, args...).Scan(&orphans); err != nil {
		return res, err
	}
	if orphans > 0 {
		res.Problems = append(res.Problems, Problem{OrgID: max(org, 0), Kind: BreakOrphan, Reason: fmt.Sprintf("%d rows belong to no chain", orphans)})
	}
	return res, nil
}

// read scans the rows of r in seq order and checks each row's hash and, from
// the second row on, its link and seq; the first row is checked by the caller.
func (r *run) read(ctx context.Context, d *db.DB) error {
	q := `SELECT org_id, seq, at, COALESCE(user_id, 0), ` + sqlTail(d.Dialect) + `, prev_hash, hash
		FROM audit_log WHERE org_id = $1`
	args := []any{r.org}
	if r.lo != 0 {
		args = append(args, r.lo)
		q += ` AND seq >= $` + strconv.Itoa(len(args))
	}
	if r.hi != 0 {
		args = append(args, r.hi)
		q += ` AND seq <= $` + strconv.Itoa(len(args))
	}
	rows, err := d.R.QueryContext(ctx, q+` ORDER BY seq`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		org, seq, user      int64
		at                  time.Time
		tail, prevHash, hsh sql.RawBytes
		buf                 []byte
		sum                 [sha256.Size * 2]byte
		prev                []byte
	)
	for rows.Next() {
		if err := rows.Scan(&org, &seq, &at, &user, &tail, &prevHash, &hsh); err != nil {
			return err
		}
		if r.rows == 0 {
			r.first, r.firstPrv = seq, string(prevHash)
		} else {
			if seq != r.last+1 {
				r.problems = append(r.problems, Problem{org, seq, BreakSeq, fmt.Sprintf("expected seq %d (row missing or inserted)", r.last+1)})
			}
			if !bytes.Equal(prevHash, prev) {
				r.problems = append(r.problems, Problem{org, seq, BreakPrev, "prev_hash does not match the previous row"})
			}
		}
		r.rows++
		buf = append(appendHashHead(buf[:0], prevHash, org, seq, at, user), tail...)
		digest := sha256.Sum256(buf)
		hex.Encode(sum[:], digest[:])
		if !bytes.Equal(sum[:], hsh) {
			r.problems = append(r.problems, Problem{org, seq, BreakHash, "content does not match its hash (row edited)"})
		}
		// The next row links to the hash as stored, so that one edited row
		// is reported once, not as a break of every later link.
		prev = append(prev[:0], hsh...)
		r.last = seq
	}
	if err := rows.Err(); err != nil {
		return err
	}
	r.lastHash = string(prev)
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
	return app.Collect(Rows(ctx, d, f))
}

// Rows is List read from the database cursor one row at a time, for
// exports of any size.
func Rows(ctx context.Context, d *db.DB, f Filter) app.Rows[Entry] {
	return func(start func(int) error, yield func(Entry) error) error {
		return rowsOf(ctx, d, f, start, yield)
	}
}

func rowsOf(ctx context.Context, d *db.DB, f Filter, start func(int) error, yield func(Entry) error) error {
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
	if start != nil {
		var total int
		if err := d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE "+w, args...).Scan(&total); err != nil {
			return fmt.Errorf("audit: count: %w", err)
		}
		if err := start(total); err != nil {
			return err
		}
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
		return fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.OrgID, &e.Seq, &e.At, &e.UserID, &e.Username, &e.Action, &e.ObjectType,
			&e.ObjectID, &e.Outcome, &e.Detail, &e.RequestID, &e.IP, &e.PrevHash, &e.Hash); err != nil {
			return err
		}
		if err := yield(e); err != nil {
			return err
		}
	}
	return rows.Err()
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

// maxDetail is the most bytes of detail an entry keeps.
const maxDetail = 4000

// cutDetail shortens a detail to maxDetail bytes without splitting a
// character: PostgreSQL refuses text that is not UTF-8, and a cut through
// a Chinese character would fail the write the entry audits.
func cutDetail(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	n := maxDetail
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
