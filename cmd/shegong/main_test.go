package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"shegong/internal/audit"
	"shegong/internal/auth"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/org"
	"shegong/internal/server"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the command once for the package's tests.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shegong-cli-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "shegong")
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		out, err := exec.Command(goBin, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// shegong runs the built command and returns its output and exit code.
func shegong(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return shegongPath(t, os.Getenv("PATH"), args...)
}

// shegongPath runs the command with the given PATH.
func shegongPath(t *testing.T, path string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SHEGONG_DB=") && !strings.HasPrefix(kv, "SHEGONG_DATA=") && !strings.HasPrefix(kv, "PATH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PATH="+path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("run %v: %v", args, err)
	return "", -1
}

// each runs fn with the command-line flags that select a fresh SQLite data
// folder and, when configured, a fresh PostgreSQL schema.
func each(t *testing.T, fn func(t *testing.T, cfg server.Config, flags []string)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, server.Config{DataDir: dir}, []string{"--data", dir})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := dbtest.PostgresDSN(t)
		dir := t.TempDir()
		fn(t, server.Config{DataDir: dir, DSN: dsn}, []string{"--data", dir, "--db", dsn})
	})
}

// activity creates an agency and some sign-ins through the services and
// returns the agency's id.
func activity(t *testing.T, sys *server.System) int64 {
	t.Helper()
	ctx := context.Background()
	user, pw, err := sys.Org.BootstrapPlatform(ctx, "platform")
	if err != nil {
		t.Fatal(err)
	}
	_, op, err := sys.Auth.Login(ctx, user, pw, auth.KindWeb, auth.Client{IP: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	orgID, adminPW, err := sys.Org.CreateOrganization(ctx, op, org.OrgInput{Code: "lvye", Name: "绿叶社工",
		AdminUsername: "lvye_admin", AdminName: "管理员"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sys.Auth.Login(ctx, "lvye_admin", "not-the-password", auth.KindWeb, auth.Client{}); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, _, err := sys.Auth.Login(ctx, "lvye_admin", adminPW, auth.KindWeb, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	return orgID
}

// tamper edits one audit row the way someone with direct database access
// could: with the append-only guard switched off.
func tamper(t *testing.T, d *db.DB, orgID, seq int64) {
	t.Helper()
	update := fmt.Sprintf(`UPDATE audit_log SET detail = '改过的内容' WHERE org_id = %d AND seq = %d`, orgID, seq)
	stmts := []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, update}
	if d.Dialect == db.Postgres {
		stmts = []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`, update,
			`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`}
	}
	for _, s := range stmts {
		if _, err := d.W.Exec(s); err != nil {
			t.Fatalf("tamper %q: %v", s, err)
		}
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	each(t, func(t *testing.T, cfg server.Config, flags []string) {
		sys, err := server.Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer sys.Close()
		orgID := activity(t, sys)

		out, code := shegong(t, append([]string{"audit", "verify"}, flags...)...)
		if code != 0 || !strings.Contains(out, "audit log intact") || strings.Contains(out, "BROKEN") {
			t.Fatalf("clean log: exit %d\n%s", code, out)
		}

		tamper(t, sys.DB, orgID, 2)
		out, code = shegong(t, append([]string{"audit", "verify"}, flags...)...)
		t.Logf("after tampering:\n%s", out)
		want := fmt.Sprintf("BROKEN org %d seq 2:", orgID)
		if code == 0 || !strings.Contains(out, want) || !strings.Contains(out, "verification failed") {
			t.Fatalf("tampered log: exit %d, want %q\n%s", code, want, out)
		}
		if strings.Contains(out, "BROKEN org 1 ") {
			t.Fatalf("the platform's untouched chain reported broken:\n%s", out)
		}
	})
}

func TestAuditPurgeCommand(t *testing.T) {
	each(t, func(t *testing.T, cfg server.Config, flags []string) {
		sys, err := server.Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer sys.Close()
		activity(t, sys)
		ctx := context.Background()
		now := time.Now()
		for _, at := range []time.Time{now.AddDate(-2, 0, 0), now.AddDate(-1, -1, 0), now.AddDate(0, -7, 0), now.AddDate(0, -5, 0), now} {
			if err := audit.Append(ctx, sys.DB, audit.Entry{OrgID: 77, At: at, Action: "client.update"}); err != nil {
				t.Fatal(err)
			}
		}
		count := func() (n int64) {
			sys.DB.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE org_id = 77`).Scan(&n)
			return n
		}
		out, code := shegong(t, append([]string{"audit", "purge", "--keep-months", "5"}, flags...)...)
		if code == 0 || !strings.Contains(out, "kept at least 6 months") || count() != 5 {
			t.Fatalf("5 months: exit %d rows %d\n%s", code, count(), out)
		}
		out, code = shegong(t, append([]string{"audit", "purge", "--keep-months", "6", "--dry-run"}, flags...)...)
		if code != 0 || !strings.Contains(out, "org 77: would purge 3 rows through seq 3") || count() != 5 {
			t.Fatalf("dry run: exit %d rows %d\n%s", code, count(), out)
		}
		out, code = shegong(t, append([]string{"audit", "purge", "--keep-months", "6"}, flags...)...)
		if code != 0 || !strings.Contains(out, "org 77: purged 3 rows") || !strings.Contains(out, "audit log intact") {
			t.Fatalf("purge: exit %d\n%s", code, out)
		}
		// The two younger rows stay, with the purge's own row.
		if count() != 3 {
			t.Fatalf("rows left: %d", count())
		}
		out, code = shegong(t, append([]string{"audit", "verify"}, flags...)...)
		if code != 0 || !strings.Contains(out, "audit log intact") {
			t.Fatalf("verify after purge: exit %d\n%s", code, out)
		}
	})
}

func TestBackupAndRestoreCommands(t *testing.T) {
	each(t, func(t *testing.T, cfg server.Config, flags []string) {
		sys, err := server.Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		activity(t, sys)
		pg := sys.DB.Dialect == db.Postgres
		if pg {
			for _, tool := range []string{"pg_dump", "pg_restore"} {
				if _, err := exec.LookPath(tool); err != nil {
					t.Skipf("SKIPPED ON POSTGRESQL: %s is not on PATH", tool)
				}
			}
		}

		if pg {
			// Without the client tools the command says what is missing.
			out, code := shegongPath(t, t.TempDir(), append([]string{"backup"}, flags...)...)
			if code == 0 || !strings.Contains(out, "pg_dump was not found on PATH") {
				t.Fatalf("backup without pg_dump: exit %d\n%s", code, out)
			}
		}
		// Default file name in the data folder, while the system is open.
		out, code := shegong(t, append([]string{"backup"}, flags...)...)
		if code != 0 || !strings.Contains(out, "backup written to") {
			t.Fatalf("backup: exit %d\n%s", code, out)
		}
		files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "backups", "shegong-*"))
		if len(files) != 1 {
			t.Fatalf("backups folder: %v", files)
		}
		sys.Close()

		restore := append([]string{"restore", "--from", files[0]}, flags...)
		if !pg {
			// Into a fresh data folder, then over it.
			fresh := t.TempDir()
			restore = []string{"restore", "--from", files[0], "--data", fresh}
			out, code = shegong(t, restore...)
			if code != 0 || !strings.Contains(out, "audit log intact") {
				t.Fatalf("restore into fresh folder: exit %d\n%s", code, out)
			}
			flags = []string{"--data", fresh}
		}
		out, code = shegong(t, restore...)
		if code == 0 || !strings.Contains(out, "--force") {
			t.Fatalf("restore over an existing database without --force: exit %d\n%s", code, out)
		}
		out, code = shegong(t, append(restore, "--force")...)
		if code != 0 || !strings.Contains(out, "audit log intact") ||
			!(strings.Contains(out, "moved the current database aside") || strings.Contains(out, "saved the current database")) {
			t.Fatalf("restore --force: exit %d\n%s", code, out)
		}
		out, code = shegong(t, append([]string{"audit", "verify"}, flags...)...)
		if code != 0 || !strings.Contains(out, "audit log intact") {
			t.Fatalf("verify after restore: exit %d\n%s", code, out)
		}
		if out, code := shegong(t, "restore"); code == 0 || !strings.Contains(out, "--from") {
			t.Fatalf("restore without --from: exit %d\n%s", code, out)
		}
	})
}
