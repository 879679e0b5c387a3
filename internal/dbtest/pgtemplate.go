package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"shegong/internal/db"
)

// Migrating a PostgreSQL schema takes about a second of the server's time
// (seventy tables with their indexes and row-level security policies), and
// every test on PostgreSQL needs a fresh one. So the migrations run once
// into a template database named by the migrations' digest, shared by all
// test processes of the machine, and each test gets a copy of it
// (CREATE DATABASE … TEMPLATE), which costs a file copy. A test's database
// is dropped in the background when the test ends; databases of test
// processes that have exited before dropping theirs are dropped by the next
// test process that starts.

// templateLockID serializes building the template across test processes.
const templateLockID = 7_349_115_002_118_640_221

var (
	admin     *sql.DB // the base DSN's database, for CREATE/DROP DATABASE
	adminOnce sync.Once
	adminErr  error

	tmplOnce sync.Once
	tmplName string
	tmplErr  error
)

// PostgresMigratedDSN returns the DSN of a fresh PostgreSQL database with
// every migration applied (a copy of the template), dropped after the test;
// or skips without SHEGONG_TEST_PG_DSN. Its tables live in the public
// schema; the DSN names the owner (the base DSN's user).
func PostgresMigratedDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPG)
	if base == "" {
		t.Skipf("SKIPPED ON POSTGRESQL: set %s (e.g. postgres://postgres@127.0.0.1:5432/test) to run this test on PostgreSQL", EnvPG)
	}
	a, err := adminDB(base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	tmpl, err := template(t, base, a)
	if err != nil {
		t.Fatalf("postgres template: %v", err)
	}
	var b [5]byte
	rand.Read(b[:])
	name := fmt.Sprintf("t_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	if err := createFrom(a, name, tmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { dropLater(a, name) })
	return withDatabase(base, name)
}

func adminDB(base string) (*sql.DB, error) {
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("pgx", base)
		if adminErr == nil {
			sweepExited(admin)
		}
	})
	return admin, adminErr
}

// template returns the name of the migrated template database, building it
// when this set of migrations has none yet.
func template(t testing.TB, base string, a *sql.DB) (string, error) {
	tmplOnce.Do(func() { tmplName, tmplErr = buildTemplate(t, base, a) })
	return tmplName, tmplErr
}

func buildTemplate(t testing.TB, base string, a *sql.DB) (string, error) {
	ctx := context.Background()
	name := "shegong_tmpl_" + db.MigrationsDigest(db.Postgres)[:16]
	// The lock is held by one session: take a connection of its own.
	conn, err := a.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, templateLockID); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, templateLockID)
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	build := name + "_build"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+build+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+build); err != nil {
		return "", err
	}
	owner := withDatabase(base, build)
	// Migrated as the test server migrates: by the owner, granting the
	// application role its use of the tables.
	d, err := db.Open(ctx, AppDSN(t, owner), db.Options{Mode: db.ModeDeny, OwnerDSN: owner})
	if err != nil {
		return "", err
	}
	err = d.Migrate(ctx)
	d.Close()
	if err != nil {
		return "", err
	}
	// Nobody may be connected to a database being renamed or copied.
	conn.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, build)
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+build+` RENAME TO `+name); err != nil {
		return "", err
	}
	return name, nil
}

// createFrom copies the template. PostgreSQL refuses while another session
// is connected to the template (only ever for an instant here), so it
// tries again.
func createFrom(a *sql.DB, name, tmpl string) error {
	var err error
	for i := 0; i < 50; i++ {
		if _, err = a.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + tmpl); err == nil ||
			!strings.Contains(err.Error(), "is being accessed by other users") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// dropLater drops a test's database without making the test wait: dropping
// a database makes PostgreSQL checkpoint, which takes a second or more.
// Nothing waits for the drops: those cut short when the test process ends
// are swept by the next one (sweepExited).
func dropLater(a *sql.DB, name string) {
	go a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
}

// sweepExited drops the test databases of test processes no longer running
// (their drops were cut short when the process ended).
func sweepExited(a *sql.DB) {
	rows, err := a.Query(`SELECT datname FROM pg_database WHERE datname LIKE 't\_%\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) != nil {
			continue
		}
		parts := strings.SplitN(n, "_", 3)
		pid, err := strconv.Atoi(parts[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // still running
		}
		stale = append(stale, n)
	}
	rows.Close()
	for _, n := range stale {
		dropLater(a, n)
	}
}

// withDatabase returns dsn naming database name instead of its own.
func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String()
}
