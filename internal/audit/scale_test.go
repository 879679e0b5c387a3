package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"shegong/internal/audit"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

// TestVerifyAtScale bulk-loads a valid chained log and verifies it, then
// edits one row in the middle and expects exactly that row to be reported.
// CI runs it with 20,000 rows; the full size is
//
//	SHEGONG_AUDIT_VERIFY_ROWS=1000000 SHEGONG_AUDIT_VERIFY_BUDGET=10s \
//	  go test -count=1 -run TestVerifyAtScale -v -timeout 30m ./internal/audit/
//
// The budget is only checked when it is set.
func TestVerifyAtScale(t *testing.T) {
	n := 20000
	if s := os.Getenv("SHEGONG_AUDIT_VERIFY_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 10 {
			t.Fatalf("SHEGONG_AUDIT_VERIFY_ROWS=%q", s)
		}
		n = v
	}
	var budget time.Duration
	if s := os.Getenv("SHEGONG_AUDIT_VERIFY_BUDGET"); s != "" {
		var err error
		if budget, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const orgs = 4
		start := time.Now()
		last := bulkChain(t, d, orgs, n)
		t.Logf("%s: loaded %d rows in %d chains in %s", d.Dialect, n, orgs, time.Since(start).Round(time.Millisecond))

		start, cpu := time.Now(), cpuTime()
		res, err := audit.Verify(ctx, d)
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: Verify of %d rows took %s (this process used %s CPU; GOMAXPROCS %d)", d.Dialect, res.Rows,
			took.Round(time.Millisecond), (cpuTime() - cpu).Round(time.Millisecond), runtime.GOMAXPROCS(0))
		if res.Rows != int64(n) || res.Orgs != orgs || len(res.Problems) != 0 {
			t.Fatalf("clean bulk chain: rows=%d orgs=%d problems=%v", res.Rows, res.Orgs, first(res.Problems))
		}
		if budget > 0 && took > budget {
			t.Errorf("Verify of %d rows took %s, over the budget of %s", n, took, budget)
		}

		// Short runs stitch to the same answer.
		restore := audit.SetVerifyRun(777)
		defer restore()
		if res, err := audit.Verify(ctx, d); err != nil || res.Rows != int64(n) || len(res.Problems) != 0 {
			t.Fatalf("short runs: rows=%d problems=%v %v", res.Rows, first(res.Problems), err)
		}

		// An edited row in the middle, and a deleted row where one run ends,
		// are each reported once, as a single walk would.
		mid := last[2] / 2
		tamper(t, d, fmt.Sprintf(`UPDATE audit_log SET detail = '改过' WHERE org_id = 3 AND seq = %d`, mid))
		tamper(t, d, `DELETE FROM audit_log WHERE org_id = 2 AND seq = 777`)
		for _, size := range []int64{777, 1 << 16} {
			audit.SetVerifyRun(size)
			res, err = audit.Verify(ctx, d)
			want := fmt.Sprintf("[org 2 seq 778: expected seq 777 (row missing or inserted) org 2 seq 778: prev_hash does not match the previous row org 3 seq %d: content does not match its hash (row edited)]", mid)
			if err != nil || fmt.Sprint(res.Problems) != want {
				t.Fatalf("runs of %d: %v %v", size, first(res.Problems), err)
			}
		}
	})
}

func first(p []audit.Problem) []audit.Problem { return p[:min(len(p), 5)] }

// bulkChain writes n valid rows spread over orgs chains (organizations 1..orgs)
// with multi-row inserts, and sets the heads. It returns each chain's last seq.
func bulkChain(t *testing.T, d *db.DB, orgs, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	const batch = 500
	const cols = 14
	at := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	seq := make([]int64, orgs)
	prev := make([]string, orgs)
	for i := range prev {
		prev[i] = audit.Genesis
	}
	actions := []string{"client.update", "case.followup", "client.reveal", "auth.login", "approval.decide", "export.clients"}
	var sb strings.Builder
	args := make([]any, 0, batch*cols)
	flush := func(tx *sql.Tx) {
		if len(args) == 0 {
			return
		}
		sb.Reset()
		sb.WriteString(`INSERT INTO audit_log (org_id, seq, at, user_id, username, action, object_type, object_id,
			outcome, detail, request_id, ip, prev_hash, hash) VALUES `)
		for r := range len(args) / cols {
			if r > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for c := range cols {
				if c > 0 {
					sb.WriteByte(',')
				}
				// SQLite looks named parameters up one by one; plain ones are fast.
				if d.Dialect == db.Postgres {
					fmt.Fprintf(&sb, "$%d", r*cols+c+1)
				} else {
					sb.WriteByte('?')
				}
			}
			sb.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			t.Fatal(err)
		}
		args = args[:0]
	}
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			o := (i / 1000) % orgs // runs of a thousand rows per organization
			seq[o]++
			e := audit.Entry{OrgID: int64(o + 1), Seq: seq[o], At: at.Add(time.Duration(i) * 7 * time.Second),
				UserID: int64(100 + i%37), Username: fmt.Sprintf("user%02d", i%37), Action: actions[i%len(actions)],
				ObjectType: "client", ObjectID: strconv.Itoa(i % 5000), Outcome: audit.OK,
				Detail: fmt.Sprintf("更新服务对象 %d 的联系电话与住址", i%5000), RequestID: fmt.Sprintf("%016x", i),
				IP: "10.0.0." + strconv.Itoa(i%250), PrevHash: prev[o]}
			e.Hash = audit.HashOf(e)
			prev[o] = e.Hash
			args = append(args, e.OrgID, e.Seq, e.At, e.UserID, e.Username, e.Action, e.ObjectType, e.ObjectID,
				e.Outcome, e.Detail, e.RequestID, e.IP, e.PrevHash, e.Hash)
			if len(args) == batch*cols {
				flush(tx)
			}
		}
		flush(tx)
		for o := range orgs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, $2, $3)`,
				o+1, seq[o], prev[o]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}
