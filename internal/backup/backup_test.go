package backup_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"shegong/internal/audit"
	"shegong/internal/backup"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/org"
)

var clock = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func now() time.Time { return clock }

// seed creates two organizations with their administrators (through the
// service, so with audit rows) and a few hundred more audit rows.
func seed(t *testing.T, d *db.DB) int64 {
	t.Helper()
	ctx := context.Background()
	svc := org.New(d, now)
	if _, _, err := svc.BootstrapPlatform(ctx, "platform"); err != nil {
		t.Fatal(err)
	}
	var first int64
	for i, code := range []string{"lvye", "qingshan"} {
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			id, _, err := svc.CreateOrganizationTx(ctx, tx, org.OrgInput{Code: code, Name: "机构" + code,
				AdminUsername: code + "_admin", AdminName: "管理员"})
			if i == 0 {
				first = id
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		if err := audit.Append(ctx, d, audit.Entry{OrgID: first, At: clock.Add(time.Duration(i) * time.Second),
			UserID: 0, Username: "system", Action: "site.update", ObjectType: "site", ObjectID: fmt.Sprint(i % 7),
			Detail: strings.Repeat("服务点资料更新 ", 8)}); err != nil {
			t.Fatal(err)
		}
	}
	return first
}

// counts returns the row count of every table in the database at dsn.
func counts(t *testing.T, dsn string) map[string]int {
	t.Helper()
	ctx := context.Background()
	var conn *sql.DB
	var err error
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if db.IsPostgres(dsn) {
		conn, err = sql.Open("pgx", dsn)
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
			AND table_type = 'BASE TABLE' ORDER BY table_name`
	} else {
		conn, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=query_only(1)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int{}
	for _, n := range names {
		var c int
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+n).Scan(&c); err != nil {
			t.Fatalf("count %s: %v", n, err)
		}
		out[n] = c
	}
	if len(out) < 5 {
		t.Fatalf("too few tables in %s: %v", dsn, out)
	}
	return out
}

func sameCounts(t *testing.T, what string, want, got map[string]int) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: table %s has %d rows, want %d", what, k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected table %s", what, k)
		}
	}
}

func verifyClean(t *testing.T, dsn string) audit.VerifyResult {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	res, err := audit.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 || res.Rows == 0 {
		t.Fatalf("audit verify of %s: rows=%d problems=%v", dsn, res.Rows, res.Problems)
	}
	return res
}

func scalar(t *testing.T, conn *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestSQLiteBackupWhileWritingAndRestore(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t)
	orgID := seed(t, d)

	// Another process (the running server) keeps writing: each transaction
	// adds one sign-in record and its audit row.
	writer, err := db.Open(ctx, d.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	var written atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			err := writer.Tx(ctx, func(tx *sql.Tx) error {
				at := clock.Add(time.Hour + time.Duration(i)*time.Millisecond)
				if _, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (username, ip, at, success) VALUES ('writer', '', $1, TRUE)`, at); err != nil {
					return err
				}
				return audit.Write(ctx, tx, audit.Entry{OrgID: orgID, At: at, Username: "writer", Action: "test.write",
					ObjectType: "test", ObjectID: fmt.Sprint(i)})
			})
			if err != nil {
				done <- err
				return
			}
			written.Add(1)
		}
	}()
	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for written.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("writer stalled at %d", written.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(20)
	before := written.Load()
	out := backup.DefaultPath(filepath.Join(t.TempDir(), "data"), d.Dialect, clock)
	if !strings.HasSuffix(out, filepath.Join("backups", "shegong-20260302-090000.db")) {
		t.Fatalf("default path %s", out)
	}
	res, err := backup.Backup(ctx, d, out)
	if err != nil {
		t.Fatal(err)
	}
	afterBackup := written.Load()
	waitFor(afterBackup + 20)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if res.Bytes == 0 || len(res.Steps) < 2 {
		t.Fatalf("result %+v", res)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	if _, err := os.Stat(out + ".partial"); !os.IsNotExist(err) {
		t.Fatal("partial file left behind")
	}
	if _, err := backup.Backup(ctx, d, out); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrote a backup: %v", err)
	}

	// The backup is a snapshot taken between the writer's transactions.
	bk, err := sql.Open("sqlite", "file:"+out+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	inBackup := int64(scalar(t, bk, `SELECT COUNT(*) FROM login_attempts WHERE username = 'writer'`))
	audited := int64(scalar(t, bk, `SELECT COUNT(*) FROM audit_log WHERE action = 'test.write'`))
	bk.Close()
	t.Logf("writes: %d before the backup, %d in it, %d when it returned, %d in the end", before, inBackup, afterBackup, written.Load())
	if inBackup != audited || inBackup < before || inBackup >= written.Load() {
		t.Fatalf("snapshot: %d writes, %d audited; %d before backup, %d in the end", inBackup, audited, before, written.Load())
	}

	// Restore into a fresh data folder.
	target := filepath.Join(t.TempDir(), "data", "shegong.db")
	rr, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DSN: target, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Aside != "" || !strings.Contains(strings.Join(rr.Steps, "\n"), "audit log intact") {
		t.Fatalf("restore result %+v", rr)
	}
	rd, err := sql.Open("sqlite", "file:"+target)
	if err != nil {
		t.Fatal(err)
	}
	var ic string
	if err := rd.QueryRow(`PRAGMA integrity_check`).Scan(&ic); err != nil || ic != "ok" {
		t.Fatalf("integrity_check: %q %v", ic, err)
	}
	rd.Close()
	sameCounts(t, "restored", counts(t, out), counts(t, target))
	v := verifyClean(t, target)
	if v.Orgs != 3 {
		t.Fatalf("chains: %d", v.Orgs)
	}

	// An existing database is not replaced without Force.
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DSN: target, Now: now}); err == nil ||
		!strings.Contains(err.Error(), "--force") {
		t.Fatalf("replaced without force: %v", err)
	}
	// Nor while something has it open.
	open, err := db.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open.W.Exec(`INSERT INTO login_attempts (username, ip, at, success) VALUES ('after', '', $1, FALSE)`, clock); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DSN: target, Force: true, Now: now}); err == nil ||
		!strings.Contains(err.Error(), "in use") {
		t.Fatalf("replaced a database in use: %v", err)
	}
	open.Close()
	// With Force, the current file is kept aside, including what was only
	// in its write-ahead log.
	rr, err = backup.Restore(ctx, backup.RestoreOptions{From: out, DSN: target, Force: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Aside != target+"-before-restore-20260302-090000" {
		t.Fatalf("aside %q", rr.Aside)
	}
	for _, s := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(target + s); !os.IsNotExist(err) {
			t.Errorf("stale %s left", s)
		}
		if _, err := os.Stat(rr.Aside + s); !os.IsNotExist(err) {
			t.Errorf("aside %s left", s)
		}
	}
	as, _ := sql.Open("sqlite", "file:"+rr.Aside+"?_pragma=query_only(1)")
	if n := scalar(t, as, `SELECT COUNT(*) FROM login_attempts WHERE username = 'after'`); n != 1 {
		t.Fatalf("aside lost the last write: %d", n)
	}
	as.Close()
	sameCounts(t, "restored with force", counts(t, out), counts(t, target))
	verifyClean(t, target)
}

func TestSQLiteRestoreRefusesBadFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	target := filepath.Join(dir, "data", "shegong.db")
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Not shegong: a SQLite file with another schema.
	other := filepath.Join(dir, "other.db")
	o, _ := sql.Open("sqlite", "file:"+other)
	if _, err := o.Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`); err != nil {
		t.Fatal(err)
	}
	o.Close()
	// Damaged: a real backup with pages overwritten.
	d := dbtest.SQLite(t)
	seed(t, d)
	good := filepath.Join(dir, "good.db")
	if _, err := backup.Backup(ctx, d, good); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	// Broken schema: the pages after the first overwritten.
	schema := append([]byte(nil), raw...)
	for i := 4096; i < len(schema) && i < 4096*40; i += 4096 {
		copy(schema[i+100:i+400], strings.Repeat("\xff", 300))
	}
	// Broken data: a table leaf page's cell pointers point nowhere. The page
	// is the first leaf from the audit log's root on, not the file's last
	// page, which later migrations turn into a schema page.
	var root int
	g, _ := sql.Open("sqlite", "file:"+good+"?mode=ro")
	if err := g.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'audit_log'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	g.Close()
	data := append([]byte(nil), raw...)
	leaf := -1
	for p := root; p*4096 <= len(data); p++ {
		if data[(p-1)*4096] == 0x0d { // a table leaf page
			leaf = (p - 1) * 4096
			break
		}
	}
	if leaf < 0 {
		t.Fatal("no leaf page of the audit log in the backup")
	}
	copy(data[leaf+8:leaf+40], strings.Repeat("\xf0", 32))
	cases := []struct {
		file, want string
	}{
		{write("junk.db", []byte("this is not a database at all")), "not a SQLite database"},
		{write("pg.dump", []byte("PGDMP\x01\x0e\x00")), "PostgreSQL backup"},
		{other, "not a shegong database"},
		{write("schema.db", schema), "cannot be read"},
		{write("data.db", data), "is damaged"},
		{filepath.Join(dir, "missing.db"), "no such file"},
	}
	for _, c := range cases {
		_, err := backup.Restore(ctx, backup.RestoreOptions{From: c.file, DSN: target, Force: true, Now: now})
		t.Logf("%s: %v", filepath.Base(c.file), err)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", filepath.Base(c.file), err)
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Fatalf("%s: a database was created", filepath.Base(c.file))
		}
	}
	// A live database (with its write-ahead log) is not a backup.
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: d.Path(), DSN: target, Now: now}); err == nil ||
		!strings.Contains(err.Error(), "live database") {
		t.Errorf("live database accepted: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(target))
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestPostgresBackupAndRestore(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIPPED ON POSTGRESQL: %s is not on PATH; install the PostgreSQL client tools to run this test", tool)
		}
	}
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	orgID := seed(t, d)
	dataDir := t.TempDir()
	out := backup.DefaultPath(dataDir, d.Dialect, clock)
	if !strings.HasSuffix(out, ".dump") {
		t.Fatalf("default path %s", out)
	}
	res, err := backup.Backup(ctx, d, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes == 0 {
		t.Fatalf("empty dump: %+v", res)
	}
	want := counts(t, dsn)

	// Into a fresh database.
	fresh := freshDatabase(t, dsn)
	rr, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DSN: fresh, DataDir: dataDir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Aside != "" {
		t.Fatalf("aside on a fresh database: %+v", rr)
	}
	sameCounts(t, "fresh database", want, counts(t, fresh))
	verifyClean(t, fresh)

	// Over the original, after more was written: refused without Force,
	// then back to the backup's state with the current data saved first.
	if err := audit.Append(ctx, d, audit.Entry{OrgID: orgID, At: clock, Action: "site.update", Detail: "备份之后"}); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DSN: dsn, DataDir: dataDir, Now: now}); err == nil ||
		!strings.Contains(err.Error(), "--force") {
		t.Fatalf("replaced without force: %v", err)
	}
	rr, err = backup.Restore(ctx, backup.RestoreOptions{From: out, DSN: dsn, DataDir: dataDir, Force: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(rr.Aside); err != nil || fi.Size() == 0 {
		t.Fatalf("pre-restore dump %q: %v", rr.Aside, err)
	}
	sameCounts(t, "restored over", want, counts(t, dsn))
	verifyClean(t, dsn)

	// A SQLite backup is not restored into PostgreSQL.
	sq := dbtest.SQLite(t)
	seed(t, sq)
	sqOut := filepath.Join(t.TempDir(), "s.db")
	if _, err := backup.Backup(ctx, sq, sqOut); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: sqOut, DSN: fresh, Force: true, Now: now}); err == nil ||
		!strings.Contains(err.Error(), "SQLite backup") {
		t.Fatalf("SQLite file into PostgreSQL: %v", err)
	}
}

// freshDatabase creates an empty database beside the one dsn names, dropped
// at cleanup, and returns its DSN with the same search path.
func freshDatabase(t *testing.T, dsn string) string {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := "shegong_restore_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		admin.Close()
		t.Skipf("SKIPPED ON POSTGRESQL: cannot create a database for the restore test: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
