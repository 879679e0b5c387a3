package backup

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"shegong/internal/db"
)

// libpqParams are the URI parameters the PostgreSQL client tools accept;
// driver-only ones (search_path, pool sizes …) are left out of their DSN.
var libpqParams = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "passfile": true,
	"channel_binding": true, "connect_timeout": true, "client_encoding": true, "options": true,
	"application_name": true, "fallback_application_name": true, "keepalives": true,
	"keepalives_idle": true, "keepalives_interval": true, "keepalives_count": true,
	"tcp_user_timeout": true, "sslmode": true, "sslcompression": true, "sslcert": true, "sslkey": true,
	"sslpassword": true, "sslrootcert": true, "sslcrl": true, "sslcrldir": true, "sslsni": true,
	"requirepeer": true, "ssl_min_protocol_version": true, "ssl_max_protocol_version": true,
	"krbsrvname": true, "gsslib": true, "gssencmode": true, "service": true, "target_session_attrs": true,
}

// pgTarget is a DSN turned into what pg_dump and pg_restore take: a URL
// without the password (which goes in the environment, not on the command
// line) and the schemas named by search_path.
type pgTarget struct {
	url     string
	env     []string
	schemas []string
}

func parsePG(dsn string) (pgTarget, error) {
	var t pgTarget
	u, err := url.Parse(dsn)
	if err != nil {
		return t, fmt.Errorf("invalid PostgreSQL DSN: %w", err)
	}
	t.env = os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			t.env = append(t.env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	q := url.Values{}
	for k, vs := range u.Query() {
		switch {
		case k == "search_path":
			for _, s := range strings.Split(vs[0], ",") {
				if s = strings.TrimSpace(s); s != "" && s != `"$user"` && s != "$user" {
					t.schemas = append(t.schemas, s)
				}
			}
		case k == "password":
			t.env = append(t.env, "PGPASSWORD="+vs[0])
		case libpqParams[k]:
			q[k] = vs
		}
	}
	u.RawQuery = q.Encode()
	t.url = u.String()
	return t, nil
}

func tool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s was not found on PATH: install the PostgreSQL client tools (the server's major version or newer)", name)
	}
	return p, nil
}

// run runs a client tool and returns its error with what it printed.
func run(ctx context.Context, env []string, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + " …"
		}
		return fmt.Errorf("%s failed: %w: %s", filepath.Base(bin), err, msg)
	}
	return nil
}

func pgDump(ctx context.Context, dsn, out string) error {
	bin, err := tool("pg_dump")
	if err != nil {
		return err
	}
	t, err := parsePG(dsn)
	if err != nil {
		return err
	}
	args := []string{"--format=custom", "--file=" + out}
	for _, s := range t.schemas {
		args = append(args, "--schema="+s)
	}
	args = append(args, "--dbname="+t.url)
	return run(ctx, t.env, bin, args...)
}

func pgBackup(ctx context.Context, dsn, tmp string, res *Result) error {
	if err := pgDump(ctx, dsn, tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	res.step("dumped the database with pg_dump --format=custom")
	if err := pgCheck(ctx, tmp); err != nil {
		return fmt.Errorf("backup: the dump failed its check: %w", err)
	}
	res.step("checked the dump: pg_restore can read its table of contents")
	return nil
}

// pgCheck verifies that path is a dump pg_restore can read that holds a
// shegong database.
func pgCheck(ctx context.Context, path string) error {
	if err := checkMagic(path, db.Postgres); err != nil {
		return err
	}
	bin, err := tool("pg_restore")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "--list", path)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s cannot be read: %v: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	// Table-of-contents lines read "… TABLE DATA schema name owner".
	tables := map[string]bool{}
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, ";") {
			continue
		}
		f := strings.Fields(line)
		for i := 0; i+3 < len(f); i++ {
			if f[i] == "TABLE" && f[i+1] == "DATA" {
				tables[f[i+3]] = true
				break
			}
		}
	}
	for _, table := range []string{"goose_db_version", "organizations", "audit_log"} {
		if !tables[table] {
			return fmt.Errorf("%s is not a shegong database (table %s is missing)", path, table)
		}
	}
	return nil
}

func pgRestore(ctx context.Context, o RestoreOptions) (Result, error) {
	res := Result{Dialect: db.Postgres, Path: redact(o.DSN)}
	if err := pgCheck(ctx, o.From); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	res.step("checked %s: a readable shegong dump", o.From)
	bin, err := tool("pg_restore")
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	exists, err := pgHasSchema(ctx, o.DSN)
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	if exists && !o.Force {
		return res, errors.New("restore: the target database already holds a shegong database; rerun with --force to replace it (it is dumped into the backups folder first)")
	}
	if exists {
		dir := o.DataDir
		if dir == "" {
			dir = "data"
		}
		aside := filepath.Join(dir, "backups", "shegong-before-restore-"+stamp(o.Now())+".dump")
		if err := os.MkdirAll(filepath.Dir(aside), 0o700); err != nil {
			return res, err
		}
		if err := pgDump(ctx, o.DSN, aside); err != nil {
			os.Remove(aside)
			return res, fmt.Errorf("restore: could not save the current database first: %w", err)
		}
		os.Chmod(aside, 0o600)
		res.Aside = aside
		res.step("saved the current database to %s", aside)
	}
	t, err := parsePG(o.DSN)
	if err != nil {
		return res, err
	}
	// One transaction: either the whole backup is in place or nothing
	// changed.
	if err := run(ctx, t.env, bin, "--clean", "--if-exists", "--no-owner", "--single-transaction",
		"--exit-on-error", "--dbname="+t.url, o.From); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	res.step("restored %s with pg_restore --clean --if-exists --no-owner (one transaction)", o.From)
	return res, nil
}

// pgHasSchema reports whether the database at dsn already has shegong's
// migration table in its search path.
func pgHasSchema(ctx context.Context, dsn string) (bool, error) {
	conn, err := sql.Open("pgx", dsn)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&ok); err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	return ok, nil
}

// redact hides the password of a DSN for printing.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
