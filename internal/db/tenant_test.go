package db_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/demo"
	"shegong/internal/pii"
)

// orgTables lists every base table of the schema with an org_id column,
// from the catalogue, so that a table added later is covered without
// anyone remembering to list it.
func orgTables(t *testing.T, owner *db.DB) []string {
	t.Helper()
	rows, err := owner.R.Query(`SELECT c.table_name FROM information_schema.columns c
		JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND c.column_name = 'org_id' AND tb.table_type = 'BASE TABLE'
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	if len(out) < 50 {
		t.Fatalf("only %d organization tables found: %v", len(out), out)
	}
	return out
}

// loadDemo fills the schema with the demo organization (many tables with
// rows) and a second organization with a service point.
func loadDemo(t *testing.T, owner *db.DB) (demoOrg, otherOrg int64) {
	t.Helper()
	ctx := context.Background()
	key := make([]byte, 32)
	c, err := pii.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	if _, _, err := demo.Load(ctx, owner, c, now); err != nil {
		t.Fatal(err)
	}
	if err := owner.R.QueryRow(`SELECT id FROM organizations WHERE code = $1`, demo.Code).Scan(&demoOrg); err != nil {
		t.Fatal(err)
	}
	if err := owner.W.QueryRow(`INSERT INTO organizations (code, name, kind, status, created_at)
		VALUES ('other', '别家机构', 'agency', 'active', $1) RETURNING id`, now).Scan(&otherOrg); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.W.Exec(`INSERT INTO sites (org_id, code, name, kind, status, created_at, updated_at)
		VALUES ($1, 'X1', '别家中心', 'centre', 'active', $2, $2)`, otherOrg, now); err != nil {
		t.Fatal(err)
	}
	return demoOrg, otherOrg
}

func count(t *testing.T, ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, table string, where string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM `+table+where, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// platformDefaults are the tables whose platform rows (organization 1)
// every organization may read: defaults it has not overridden.
var platformDefaults = map[string]bool{"star_thresholds": true}

func TestRowLevelSecurity(t *testing.T) {
	app, owner := dbtest.PostgresApp(t)
	demoOrg, otherOrg := loadDemo(t, owner)
	bg := context.Background()
	tables := orgTables(t, owner)

	// Every organization table is under the policy.
	for _, tb := range tables {
		var on bool
		var policies int
		if err := owner.R.QueryRow(`SELECT c.relrowsecurity, (SELECT count(*) FROM pg_policies p
			WHERE p.schemaname = current_schema() AND p.tablename = c.relname AND p.policyname = 'org_isolation')
			FROM pg_class c WHERE c.oid = to_regclass($1)`, tb).Scan(&on, &policies); err != nil {
			t.Fatal(err)
		}
		if !on || policies != 1 {
			t.Errorf("table %s: row-level security %v, org_isolation policies %d", tb, on, policies)
		}
	}

	// The application's role is held by the policies.
	if why, err := app.RLSBypass(bg); err != nil || why != "" {
		t.Fatalf("application role bypasses row-level security: %q %v", why, err)
	}
	if why, _ := owner.RLSBypass(bg); why == "" {
		t.Errorf("the owner (superuser) connection was not reported as bypassing")
	}

	withRows := 0
	for _, tb := range tables {
		all := count(t, bg, owner.R, tb, "")
		mine := count(t, bg, owner.R, tb, " WHERE org_id = $1", demoOrg)
		if platformDefaults[tb] {
			mine = count(t, bg, owner.R, tb, " WHERE org_id IN ($1, 1)", demoOrg)
		}
		if all > 0 {
			withRows++
		}
		// No organization set: nothing, on both pools.
		if n := count(t, bg, app.R, tb, ""); n != 0 {
			t.Errorf("%s: %d rows visible without an organization (of %d)", tb, n, all)
		}
		if n := count(t, bg, app.W, tb, ""); n != 0 {
			t.Errorf("%s: %d rows visible on the write pool without an organization", tb, n)
		}
		// The demo organization set: exactly its rows.
		if n := count(t, db.WithOrg(bg, demoOrg), app.R, tb, ""); n != mine {
			t.Errorf("%s: demo organization sees %d rows, owns %d", tb, n, mine)
		}
		// The other organization set: none of the demo's rows.
		if n := count(t, db.WithOrg(bg, otherOrg), app.R, tb, " WHERE org_id = $1", demoOrg); n != 0 {
			t.Errorf("%s: another organization sees %d of the demo's rows", tb, n)
		}
		// System work sees all.
		if n := count(t, db.System(bg), app.R, tb, ""); n != all {
			t.Errorf("%s: system context sees %d rows of %d", tb, n, all)
		}
	}
	if withRows < 25 {
		t.Errorf("only %d organization tables had demo rows; the check proves too little", withRows)
	}
	t.Logf("row-level security: %d organization tables, %d with rows, none visible without an organization", len(tables), withRows)

	// Writing another organization's rows is refused.
	other := db.WithOrg(bg, otherOrg)
	_, err := app.W.ExecContext(other, `INSERT INTO departments (org_id, name, kind) VALUES ($1, '越界部门', 'service')`, demoOrg)
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Errorf("insert for another organization: %v", err)
	}
	res, err := app.W.ExecContext(other, `UPDATE sites SET name = '被改' WHERE org_id = $1`, demoOrg)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 0 {
		t.Errorf("update reached %d rows of another organization", n)
	}
	res, err = app.W.ExecContext(other, `DELETE FROM departments WHERE org_id = $1`, demoOrg)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 0 {
		t.Errorf("delete reached %d rows of another organization", n)
	}
	// Moving an own row into another organization is refused too.
	_, err = app.W.ExecContext(other, `UPDATE sites SET org_id = $1 WHERE org_id = $2`, demoOrg, otherOrg)
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Errorf("moving a row to another organization: %v", err)
	}
	// An own insert works.
	if _, err := app.W.ExecContext(other, `INSERT INTO departments (org_id, name, kind) VALUES ($1, '本机构部门', 'service')`, otherOrg); err != nil {
		t.Errorf("own insert: %v", err)
	}

	// The role cannot switch the wall off.
	conn, err := app.W.Conn(other)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(other, `ALTER TABLE clients DISABLE ROW LEVEL SECURITY`); err == nil {
		t.Errorf("application role disabled row-level security")
	}
	if _, err := conn.ExecContext(other, `DROP POLICY org_isolation ON clients`); err == nil {
		t.Errorf("application role dropped the policy")
	}
	if _, err := conn.ExecContext(other, `SET row_security = off`); err != nil {
		t.Fatal(err)
	}
	var n int
	err = conn.QueryRowContext(other, `SELECT count(*) FROM clients`).Scan(&n)
	if err == nil {
		t.Errorf("with row_security off the role read %d clients", n)
	} else if !strings.Contains(err.Error(), "row-level security") {
		t.Errorf("row_security off: unexpected error %v", err)
	}
	conn.ExecContext(other, `RESET row_security`)
}

// TestTenantConnRollback: a session setting changed inside a transaction
// is undone by its rollback; the connection must not trust its cache then.
func TestTenantConnRollback(t *testing.T) {
	app, owner := dbtest.PostgresApp(t)
	bg := context.Background()
	var demoOrg, otherOrg int64
	for i, p := range []*int64{&demoOrg, &otherOrg} {
		if err := owner.W.QueryRow(`INSERT INTO organizations (code, name, kind, status, created_at)
			VALUES ($1, $1, 'agency', 'active', now()) RETURNING id`, []string{"a", "b"}[i]).Scan(p); err != nil {
			t.Fatal(err)
		}
	}
	for i, org := range []int64{demoOrg, demoOrg, otherOrg} {
		if _, err := owner.W.Exec(`INSERT INTO sites (org_id, code, name, kind, status, created_at, updated_at)
			VALUES ($1, $2, $2, 'centre', 'active', now(), now())`, org, []string{"S1", "S2", "S3"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := app.W.Conn(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	demoCtx := db.WithOrg(bg, demoOrg)
	otherCtx := db.WithOrg(bg, otherOrg)
	tx, err := conn.BeginTx(demoCtx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Inside the transaction the other organization is set (session level).
	if n := count(t, otherCtx, tx, "sites", ""); n != 1 {
		t.Fatalf("other organization sees %d sites", n)
	}
	tx.Rollback()
	// The rollback restored the demo organization on the session; a query
	// for the other organization must set it again, not trust the cache.
	if n := count(t, otherCtx, conn, "sites", ""); n != 1 {
		t.Errorf("after rollback the other organization sees %d sites, want 1", n)
	}
	mine := count(t, bg, owner.R, "sites", " WHERE org_id = $1", demoOrg)
	if n := count(t, demoCtx, conn, "sites", ""); n != mine {
		t.Errorf("demo organization sees %d sites, want %d", n, mine)
	}
	// No marker: nothing.
	if n := count(t, bg, conn, "sites", ""); n != 0 {
		t.Errorf("no organization: %d sites", n)
	}
}
