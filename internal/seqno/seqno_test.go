package seqno_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/seqno"
)

var errRollback = errors.New("roll back on purpose")

// TestNumbersAreGapFreeUnderConcurrencyAndRollback has 12 takers share one
// sequence, every third transaction rolling back after taking its number,
// and checks that the committed numbers are exactly 1..n.
func TestNumbersAreGapFreeUnderConcurrencyAndRollback(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		org := newOrg(t, d)
		k := seqno.Key{OrgID: org, Kind: "voucher", Year: 2026}
		other := seqno.Key{OrgID: org, Kind: "voucher", ScopeID: 7, Year: 2026}
		if _, err := d.W.Exec(`CREATE TABLE numbered (n INTEGER NOT NULL UNIQUE)`); err != nil {
			t.Fatal(err)
		}
		const takers, each = 12, 10
		var wg sync.WaitGroup
		var mu sync.Mutex
		var committed, rolledBack int
		errs := make(chan error, takers*each)
		for w := range takers {
			wg.Go(func() {
				for i := range each {
					abort := (w+i)%3 == 0
					err := d.Tx(ctx, func(tx *sql.Tx) error {
						n, err := seqno.Next(ctx, tx, k)
						if err != nil {
							return err
						}
						if _, err := tx.ExecContext(ctx, `INSERT INTO numbered (n) VALUES ($1)`, n); err != nil {
							return err
						}
						if abort {
							return errRollback
						}
						return nil
					})
					mu.Lock()
					switch {
					case err == nil:
						committed++
					case errors.Is(err, errRollback):
						rolledBack++
					default:
						errs <- err
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("take a number: %v", err)
		}
		var got []int
		rows, err := d.R.Query(`SELECT n FROM numbered ORDER BY n`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n int
			rows.Scan(&n)
			got = append(got, n)
		}
		rows.Close()
		want := make([]int, committed)
		for i := range want {
			want[i] = i + 1
		}
		if rolledBack == 0 || !slices.Equal(got, want) {
			t.Fatalf("committed %d (rolled back %d): numbers %v, want 1..%d", committed, rolledBack, got, committed)
		}
		if last, err := seqno.Last(ctx, d.R, k); err != nil || last != committed {
			t.Fatalf("last = %d, %v; want %d", last, err, committed)
		}
		// Another scope and another year start at 1 on their own.
		for _, key := range []seqno.Key{other, {OrgID: org, Kind: "voucher", Year: 2027}} {
			var n int
			if err := d.Tx(ctx, func(tx *sql.Tx) (err error) { n, err = seqno.Next(ctx, tx, key); return err }); err != nil || n != 1 {
				t.Fatalf("%+v: first number %d, %v", key, n, err)
			}
		}
		if err := d.Tx(ctx, func(tx *sql.Tx) error { _, err := seqno.Next(ctx, tx, seqno.Key{OrgID: org}); return err }); err == nil {
			t.Fatal("an incomplete key took a number")
		}
	})
}

func newOrg(t *testing.T, d *db.DB) int64 {
	t.Helper()
	var id int64
	err := d.W.QueryRow(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ($1, $2, 'agency', 'active', $3) RETURNING id`,
		fmt.Sprintf("o%d", time.Now().UnixNano()%1e6), "机构", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
