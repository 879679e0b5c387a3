package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"shegong/internal/db"
	"shegong/internal/dbtest"
)

// TestTxRetriesDeadlockVictim makes two transactions lock two rows in
// opposite orders. PostgreSQL aborts one of them as a deadlock victim; Tx
// runs it again, so both succeed and nobody sees the deadlock.
func TestTxRetriesDeadlockVictim(t *testing.T) {
	d := dbtest.Postgres(t)
	ctx := context.Background()
	if _, err := d.W.Exec(`CREATE TABLE pair (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
		INSERT INTO pair VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	var firstLocks sync.WaitGroup // both transactions hold their first row
	firstLocks.Add(2)
	var once [2]sync.Once
	run := func(i int, first, second int) error {
		return d.Tx(ctx, func(tx *sql.Tx) error {
			attempts.Add(1)
			if _, err := tx.Exec(`UPDATE pair SET n = n + 1 WHERE id = $1`, first); err != nil {
				return fmt.Errorf("first row: %w", err)
			}
			once[i].Do(func() { firstLocks.Done(); firstLocks.Wait() })
			if _, err := tx.Exec(`UPDATE pair SET n = n + 1 WHERE id = $1`, second); err != nil {
				return fmt.Errorf("second row: %w", err)
			}
			return nil
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = run(0, 1, 2) })
	wg.Go(func() { errs[1] = run(1, 2, 1) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("a transaction failed: %v", err)
	}
	// At least one victim ran again. A victim's retry can race the survivor
	// for the row the victim released and deadlock once more, so more
	// attempts are fine as long as both transactions end up committed.
	if n := attempts.Load(); n < 3 {
		t.Fatalf("%d attempts, want at least 3 (a deadlock victim run again)", n)
	}
	var a, b int
	d.R.QueryRow(`SELECT (SELECT n FROM pair WHERE id = 1), (SELECT n FROM pair WHERE id = 2)`).Scan(&a, &b)
	if a != 2 || b != 2 {
		t.Fatalf("rows %d, %d after both transactions, want 2, 2", a, b)
	}
}

func TestIsRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("ERROR: deadlock detected (SQLSTATE 40P01)"), true},
		{fmt.Errorf("cases: update: %w", errors.New("ERROR: could not serialize access (SQLSTATE 40001)")), true},
		{errors.New("ERROR: duplicate key value (SQLSTATE 23505)"), false},
		{errors.New("database is locked"), false},
	} {
		if got := db.IsRetryable(c.err); got != c.want {
			t.Errorf("IsRetryable(%v) = %v", c.err, got)
		}
	}
}
