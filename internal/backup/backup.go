// Package backup writes and restores consistent copies of the database.
//
// SQLite is copied with VACUUM INTO, which reads one snapshot and so is safe
// while the server keeps writing; a restore checks the copy, moves the
// current file aside and puts the copy in its place. PostgreSQL goes through
// pg_dump and pg_restore in their custom format.
package backup

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/db"
)

// Result tells the operator what a backup or restore did.
type Result struct {
	Dialect db.Dialect
	Path    string // the backup written, or the database restored into
	Bytes   int64  // size of the backup file
	Aside   string // where the replaced database was kept (restore)
	Steps   []string
}

func (r *Result) step(format string, a ...any) { r.Steps = append(r.Steps, fmt.Sprintf(format, a...)) }

const (
	sqliteMagic = "SQLite format 3\x00"
	pgMagic     = "PGDMP"
)

// stamp formats t for file names, in the agencies' time zone.
func stamp(t time.Time) string { return t.In(app.Local).Format("20060102-150405") }

// DefaultPath is DATA/backups/shegong-YYYYMMDD-HHMMSS.db, or .dump for
// PostgreSQL.
func DefaultPath(dataDir string, dialect db.Dialect, now time.Time) string {
	ext := ".db"
	if dialect == db.Postgres {
		ext = ".dump"
	}
	return filepath.Join(dataDir, "backups", "shegong-"+stamp(now)+ext)
}

// Backup writes a consistent copy of d to out, which must not exist yet.
// The file appears under its name only once it is complete and checked.
func Backup(ctx context.Context, d *db.DB, out string) (Result, error) {
	res := Result{Dialect: d.Dialect, Path: out}
	if out == "" {
		return res, errors.New("backup: no output file")
	}
	if _, err := os.Stat(out); err == nil {
		return res, fmt.Errorf("backup: %s already exists; choose another --out", out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return res, fmt.Errorf("backup: create folder: %w", err)
	}
	tmp := out + ".partial"
	os.Remove(tmp)
	defer os.Remove(tmp)
	var err error
	if d.Dialect == db.Postgres {
		err = pgBackup(ctx, d.OwnerDSN(), tmp, &res)
	} else {
		err = sqliteBackup(ctx, d.Path(), tmp, &res)
	}
	if err != nil {
		return res, err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return res, err
	}
	if err := syncFile(tmp); err != nil {
		return res, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(out))
	if fi, err := os.Stat(out); err == nil {
		res.Bytes = fi.Size()
	}
	res.step("backup written to %s (%s)", out, size(res.Bytes))
	return res, nil
}

func sqliteBackup(ctx context.Context, path, tmp string, res *Result) error {
	if path == "" {
		return errors.New("backup: the database has no file")
	}
	// A connection of its own: the copy is one read transaction and does
	// not hold up the application's writer.
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	if _, err := conn.ExecContext(ctx, `VACUUM INTO $1`, tmp); err != nil {
		return fmt.Errorf("backup: copy %s: %w", path, err)
	}
	res.step("copied %s with VACUUM INTO (one consistent snapshot)", path)
	version, err := checkSQLite(ctx, tmp, tmp)
	if err != nil {
		return fmt.Errorf("backup: the copy failed its check: %w", err)
	}
	res.step("checked the copy: integrity ok, schema version %d", version)
	return nil
}

// checkSQLite verifies that path is a sound shegong database and returns its
// schema version.
// name is the file as the operator knows it (path may be a copy of it).
func checkSQLite(ctx context.Context, path, name string) (int64, error) {
	if err := checkMagic(path, db.SQLite); err != nil {
		return 0, err
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return 0, fmt.Errorf("%s cannot be read as a database: %s", name, clip(err.Error()))
	}
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return 0, err
		}
		if len(msgs) < 5 {
			msgs = append(msgs, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("%s cannot be read as a database: %s", name, clip(err.Error()))
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		return 0, fmt.Errorf("%s is damaged: integrity check says %s", name, clip(strings.Join(msgs, "; ")))
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'
		AND name IN ('goose_db_version', 'organizations', 'audit_log')`).Scan(&n); err != nil {
		return 0, err
	}
	if n != 3 {
		return 0, fmt.Errorf("%s is not a shegong database (its migration table or core tables are missing)", name)
	}
	var version sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&version); err != nil {
		return 0, err
	}
	if !version.Valid || version.Int64 < 1 {
		return 0, fmt.Errorf("%s is not a shegong database (no migration applied)", name)
	}
	return version.Int64, nil
}

// checkMagic reads the first bytes of path and explains a file of the
// wrong kind.
func checkMagic(path string, want db.Dialect) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte(sqliteMagic)):
		if want == db.Postgres {
			return fmt.Errorf("%s is a SQLite backup; restore it into a SQLite data folder (without a postgres:// --db)", path)
		}
		return nil
	case bytes.HasPrefix(head, []byte(pgMagic)):
		if want == db.SQLite {
			return fmt.Errorf("%s is a PostgreSQL backup; restore it with --db postgres://…", path)
		}
		return nil
	}
	kind := "SQLite database"
	if want == db.Postgres {
		kind = "PostgreSQL custom-format dump"
	}
	return fmt.Errorf("%s is not a %s", path, kind)
}

// RestoreOptions says what to restore where.
type RestoreOptions struct {
	From string // the backup file
	// DSN is the database to restore into: a postgres:// URL, or else a
	// SQLite file path.
	DSN string
	// DataDir is the data folder; a PostgreSQL database that is replaced
	// is first dumped into DataDir/backups.
	DataDir string
	// Force allows replacing a database that already exists.
	Force bool
	Now   func() time.Time
}

// Restore replaces the database named by o.DSN with the backup o.From,
// then migrates it to the current schema and verifies its audit log.
func Restore(ctx context.Context, o RestoreOptions) (Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.From == "" {
		return Result{}, errors.New("restore: no backup file (--from)")
	}
	if _, err := os.Stat(o.From); err != nil {
		return Result{}, fmt.Errorf("restore: %w", err)
	}
	var res Result
	var err error
	if db.IsPostgres(o.DSN) {
		res, err = pgRestore(ctx, o)
	} else {
		res, err = sqliteRestore(ctx, o)
	}
	if err != nil {
		return res, err
	}
	d, err := db.Open(ctx, o.DSN)
	if err != nil {
		return res, fmt.Errorf("restore: open restored database: %w", err)
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		return res, fmt.Errorf("restore: migrate restored database: %w", err)
	}
	var version int64
	if err := d.R.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		return res, err
	}
	res.step("migrated to schema version %d", version)
	v, err := audit.Verify(ctx, d)
	if err != nil {
		return res, fmt.Errorf("restore: verify audit log: %w", err)
	}
	if len(v.Problems) > 0 {
		res.step("WARNING: the restored audit log has %d problem(s); run `shegong audit verify` for details", len(v.Problems))
	} else {
		res.step("audit log intact: %d rows in %d chains", v.Rows, v.Orgs)
	}
	return res, nil
}

func sqliteRestore(ctx context.Context, o RestoreOptions) (Result, error) {
	target := strings.TrimPrefix(o.DSN, "sqlite://")
	res := Result{Dialect: db.SQLite, Path: target}
	if target == "" {
		return res, errors.New("restore: no target database")
	}
	if err := checkMagic(o.From, db.SQLite); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	if fi, err := os.Stat(o.From + "-wal"); err == nil && fi.Size() > 0 {
		return res, fmt.Errorf("restore: %s has a -wal file beside it, so it is a live database and not a backup; make a backup of it with `shegong backup`", o.From)
	}
	if same(o.From, target) {
		return res, errors.New("restore: the backup file is the database itself")
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return res, fmt.Errorf("restore: create folder: %w", err)
	}
	// Check a copy beside the target, so that what is checked is exactly
	// what is put in place, and the final rename stays on one file system.
	tmp := target + ".restore-partial"
	os.Remove(tmp)
	defer func() {
		for _, s := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(tmp + s)
		}
	}()
	if err := copyFile(o.From, tmp); err != nil {
		return res, fmt.Errorf("restore: copy backup: %w", err)
	}
	version, err := checkSQLite(ctx, tmp, o.From)
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	res.step("checked %s: integrity ok, schema version %d", o.From, version)

	exists := false
	if _, err := os.Stat(target); err == nil {
		exists = true
	}
	if exists && !o.Force {
		return res, fmt.Errorf("restore: %s already exists; rerun with --force to replace it (the current file is kept beside it)", target)
	}
	if exists {
		aside, err := moveAside(ctx, target, o.Now(), &res)
		if err != nil {
			return res, err
		}
		res.Aside = aside
	}
	if err := os.Rename(tmp, target); err != nil {
		return res, fmt.Errorf("restore: put backup in place: %w", err)
	}
	for _, s := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(target + s); err == nil {
			res.step("removed stale %s%s", target, s)
		}
	}
	syncDir(filepath.Dir(target))
	res.step("restored %s into %s", o.From, target)
	return res, nil
}

// moveAside makes sure no one uses the database at target, folds its
// write-ahead log into the file and renames it to …-before-restore-STAMP.
func moveAside(ctx context.Context, target string, now time.Time, res *Result) (string, error) {
	conn, err := sql.Open("sqlite", "file:"+target+"?_pragma=busy_timeout(1000)")
	if err != nil {
		return "", err
	}
	conn.SetMaxOpenConns(1)
	// Leaving WAL mode needs the only connection to the file: it fails
	// while the server has the database open.
	var mode string
	err = conn.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode)
	conn.Close()
	walToo := false
	switch {
	case err != nil && isBusy(err):
		return "", fmt.Errorf("restore: %s is in use; stop the server before restoring", target)
	case err != nil:
		// A damaged file: keep it as it is, with its log files.
		res.step("could not checkpoint the current database (%v); keeping it with its log files", err)
		walToo = true
	case mode != "delete":
		return "", fmt.Errorf("restore: %s is in use; stop the server before restoring", target)
	}
	aside := target + "-before-restore-" + stamp(now)
	if _, err := os.Stat(aside); err == nil {
		return "", fmt.Errorf("restore: %s already exists", aside)
	}
	if err := os.Rename(target, aside); err != nil {
		return "", fmt.Errorf("restore: move current database aside: %w", err)
	}
	if walToo {
		for _, s := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(target + s); err == nil {
				os.Rename(target+s, aside+s)
			}
		}
	}
	res.step("moved the current database aside to %s", aside)
	return aside, nil
}

// clip shortens a message from the database engine to one readable line.
func clip(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + " …"
	}
	return s
}

func isBusy(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "database is locked")
}

func same(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes a rename durable; best effort (not every OS supports it).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
