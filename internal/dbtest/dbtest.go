// Package dbtest runs a test on every supported database: a fresh SQLite file
// in t.TempDir() and, when SHEGONG_TEST_PG_DSN is set, a fresh PostgreSQL
// schema. Without the DSN the PostgreSQL half is skipped loudly.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"shegong/internal/db"
	"shegong/internal/leakscan"
	"shegong/internal/pii"
)

// EnvPG names the environment variable holding the PostgreSQL DSN for tests.
const EnvPG = "SHEGONG_TEST_PG_DSN"

// Each runs fn as subtests "sqlite" and "postgres", each on a fresh, migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a fresh migrated SQLite database in a temp folder.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// PostgresDSN returns a DSN for a fresh schema (dropped at cleanup), or skips.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPG)
	if base == "" {
		t.Skipf("SKIPPED ON POSTGRESQL: set %s (e.g. postgres://postgres@127.0.0.1:5432/test) to run this test on PostgreSQL", EnvPG)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres returns a fresh migrated PostgreSQL database, or skips.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	dsn := PostgresMigratedDSN(t)
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// AppRole is the PostgreSQL login role the test server runs as: it owns no
// table, so row-level security holds it as it holds production's role.
const AppRole = "shegong_app"

var (
	roleOnce sync.Once
	roleErr  error
)

// AppDSN returns ownerDSN with its user replaced by AppRole, creating the
// role once per test process. Test packages run in parallel, so creating it
// tolerates another process having just done so. The role gets its grants
// on the schema when the owner migrates it (db.Options.OwnerDSN).
func AppDSN(t testing.TB, ownerDSN string) string {
	t.Helper()
	roleOnce.Do(func() {
		admin, err := sql.Open("pgx", ownerDSN)
		if err != nil {
			roleErr = err
			return
		}
		defer admin.Close()
		_, roleErr = admin.Exec(`DO $$ BEGIN
			CREATE ROLE ` + AppRole + ` LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
		EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
		END $$`)
	})
	if roleErr != nil {
		t.Fatalf("create role %s: %v", AppRole, roleErr)
	}
	u, err := url.Parse(ownerDSN)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(AppRole)
	return u.String()
}

// PostgresApp returns a fresh PostgreSQL schema migrated by its owner and
// opened as AppRole in deny-by-default mode: a context without an
// organization marker sees no organization's rows. It also returns the
// owner's handle (system mode) for setting up and inspecting. Skips
// without the DSN.
func PostgresApp(t testing.TB) (app, owner *db.DB) {
	t.Helper()
	ownerDSN := PostgresMigratedDSN(t)
	owner, err := db.Open(context.Background(), ownerDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	app, err = db.Open(context.Background(), AppDSN(t, ownerDSN), db.Options{Mode: db.ModeDeny, OwnerDSN: ownerDSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	if err := app.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return app, owner
}

// WatchLeaks registers every plaintext c encrypts as a secret and, at the
// end of the test, scans d's raw storage for them (the SQLite file with
// its -wal and -shm, or a pg_dump of the test schema): a store that writes
// an ID number or phone unencrypted fails the test.
func WatchLeaks(t testing.TB, d *db.DB, c *pii.Cipher) *leakscan.Registry {
	t.Helper()
	reg := leakscan.New()
	c.Observe(reg.Add)
	t.Cleanup(func() {
		var found []leakscan.Finding
		if d.Dialect == db.Postgres {
			dump, err := leakscan.DumpPostgresSchema(d.OwnerDSN())
			if err != nil {
				t.Errorf("leak scan: %v", err)
				return
			}
			found = reg.Scan("pg_dump of the test schema", dump)
		} else {
			p := d.Path()
			var err error
			if found, _, err = reg.ScanFiles(p, p+"-wal", p+"-shm"); err != nil {
				t.Errorf("leak scan: %v", err)
			}
		}
		for _, f := range found {
			t.Errorf("LEAK: %s", f)
		}
	})
	return reg
}
