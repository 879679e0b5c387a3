package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"shegong/internal/dbtest"
)

// TestStatementCache runs the same statements many times on SQLite's
// cached connections: repeated reads and writes, the same query nested
// inside its own open rows, a schema change under a cached statement, an
// error and more distinct statements than the cache holds. Each must give
// what a fresh statement gives.
func TestStatementCache(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	if _, err := d.W.ExecContext(ctx, `CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := d.W.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT k, v FROM kv WHERE k >= $1 ORDER BY k`
	read := func(db interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}, from int) []string {
		t.Helper()
		rows, err := db.QueryContext(ctx, q, from)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k int
			var v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(k, v))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for range 3 {
		if got := fmt.Sprint(read(d.R, 2)); got != "[2v2 3v3 4v4 5v5]" {
			t.Fatalf("read: %s", got)
		}
		if got := fmt.Sprint(read(d.R, 6)); got != "[]" {
			t.Fatalf("empty read: %s", got)
		}
	}
	// The same statement while its own rows are open, in one transaction
	// (one connection): the inner run must not disturb the outer one.
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, 1)
		if err != nil {
			return err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var k int
			var v string
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			n++
			if inner := read(tx, k); len(inner) != 6-k {
				return fmt.Errorf("inner read from %d: %v", k, inner)
			}
		}
		if n != 5 {
			return fmt.Errorf("outer read %d rows, want 5", n)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	// A schema change under a cached statement.
	if _, err := d.W.ExecContext(ctx, `ALTER TABLE kv ADD COLUMN w INTEGER NOT NULL DEFAULT 7`); err != nil {
		t.Fatal(err)
	}
	var w int
	if err := d.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM kv WHERE k >= $1`, 1).Scan(&w); err != nil || w != 5 {
		t.Fatalf("count after alter: %d, %v", w, err)
	}
	if got := fmt.Sprint(read(d.W, 4)); got != "[4v4 5v5]" {
		t.Fatalf("read after alter: %s", got)
	}
	// A failing statement leaves the cached one usable.
	if _, err := d.W.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, 1, "dup"); err == nil {
		t.Fatal("duplicate key accepted")
	}
	if _, err := d.W.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES ($1, $2)`, 6, "v6"); err != nil {
		t.Fatal(err)
	}
	// More distinct statements than the cache holds.
	for i := range 600 {
		var got int
		if err := d.R.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + COUNT(*) FROM kv WHERE k <= $1`, i), 6).Scan(&got); err != nil || got != i+6 {
			t.Fatalf("statement %d: %d, %v", i, got, err)
		}
	}
	if got := fmt.Sprint(read(d.R, 5)); got != "[5v5 6v6]" {
		t.Fatalf("read at the end: %s", got)
	}
}
