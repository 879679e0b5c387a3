package crash

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"shegong/internal/dbtest"
)

// TestBackupDrill is the backup and restore drill: `shegong backup` while
// the write load runs, `shegong restore` into a fresh folder (SQLite) or a
// fresh database (PostgreSQL), then the restored copy must pass the
// integrity checks, hold every write acknowledged before the backup
// started, and have the same per-table checksums (row count and a hash of
// the sorted rows) as the backup itself.
func TestBackupDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("backup drill skipped in -short mode")
	}
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		g := sqliteDemo(t, dir)
		out := filepath.Join(dir, "backups", "drill.db")
		before := backupUnderLoad(t, g, out)
		restored := target{Data: filepath.Join(dir, "restored", "data")}
		restoreAndCheck(t, out, restored, before, func() {
			sums, err := sqliteChecksums(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sqliteChecksums(restored.dsn())
			if err != nil {
				t.Fatal(err)
			}
			compareChecksums(t, sums, got)
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := dbtest.PostgresDSN(t)
		dir := t.TempDir()
		g := target{Data: filepath.Join(dir, "data"), DSN: dsn}
		out := filepath.Join(dir, "backups", "drill.dump")
		before := backupUnderLoad(t, g, out)
		restored := target{Data: filepath.Join(dir, "restored", "data"), DSN: freshDatabase(t, dsn)}
		restoreAndCheck(t, out, restored, before, func() {
			sums, cols, err := dumpChecksums(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pgChecksums(restored.DSN, cols)
			if err != nil {
				t.Fatal(err)
			}
			compareChecksums(t, sums, got)
		})
	})
}

// backupUnderLoad starts the server on g (loading the demo organization on
// PostgreSQL), runs the write load, takes a backup to out while it runs and
// returns what was acknowledged before the backup started.
func backupUnderLoad(t *testing.T, g target, out string) *ledger {
	t.Helper()
	s := startServer(t, g, g.DSN != "")
	defer s.stop()
	w := discover(t, s.Base)
	l := newLedger()
	ld := newLoad(w, l)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ld.run(ctx, 1); close(done) }()
	defer func() { cancel(); <-done }()
	for wait := time.Now(); l.ackedCount() < 20 && time.Since(wait) < 30*time.Second; {
		time.Sleep(5 * time.Millisecond)
	}
	before := l.snapshot()
	t0 := time.Now()
	res, err := runCmd(t, append([]string{"backup", "--out", out}, g.args()...)...)
	if err != nil {
		t.Fatalf("shegong backup under load: %v\n%s", err, res)
	}
	took := time.Since(t0)
	// The load goes on a little after the backup, so that the copy is
	// taken from a database still being written.
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	if len(l.refused) > 0 {
		t.Fatalf("writes refused during the backup: %v", l.refused)
	}
	t.Logf("backup of %s under load in %s; %d writes acknowledged before it started, %d during and after",
		dialectOf(g), took.Round(time.Millisecond), before.acked, l.ackedCount()-before.acked)
	return before
}

// snapshot copies what the ledger holds now.
func (l *ledger) snapshot() *ledger {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := newLedger()
	c.followups = slices.Clone(l.followups)
	c.requests = slices.Clone(l.requests)
	c.sessions = slices.Clone(l.sessions)
	c.services = slices.Clone(l.services)
	c.decisions = maps.Clone(l.decisions)
	c.acked, c.sent = l.acked, l.sent
	return c
}

// restoreAndCheck restores the backup into a fresh target with
// `shegong restore`, checks the copy, compares its checksums with the
// backup's and only then starts a server on it (signing in writes).
func restoreAndCheck(t *testing.T, from string, g target, before *ledger, compare func()) {
	t.Helper()
	out, err := runCmd(t, append([]string{"restore", "--from", from}, g.args()...)...)
	if err != nil || !strings.Contains(out, "audit log intact") {
		t.Fatalf("shegong restore: %v\n%s", err, out)
	}
	if probs := checkOnce(t, g, before); len(probs) > 0 {
		t.Fatalf("the restored copy:\n  %s", strings.Join(probs, "\n  "))
	}
	if out, err := auditVerify(t, g); err != nil {
		t.Fatalf("shegong audit verify on the restored copy: %v: %s", err, out)
	}
	compare()
	// The copy serves: a worker signs in and reads a follow-up that was
	// acknowledged before the backup.
	s := startServer(t, g, false)
	defer s.stop()
	c := signIn(t, s.Base, "beian_sg1")
	if len(before.followups) > 0 {
		f := before.followups[0]
		body := c.mustCall(t, "GET", fmt.Sprintf("/api/v1/cases/%d/followups", f.CaseID), nil, nil, 200)
		if !bytes.Contains(body, []byte(f.Marker)) {
			t.Errorf("the restored server does not show follow-up %s", f.Marker)
		}
	}
	t.Logf("restored %s: %d acknowledged writes checked", dialectOf(g), before.acked)
}

// tableSum is a table's row count and the SHA-256 of its sorted rows.
type tableSum struct {
	Rows int
	Hash string
}

func sumRows(rows []string) tableSum {
	slices.Sort(rows)
	h := sha256.New()
	for _, r := range rows {
		h.Write([]byte(r))
		h.Write([]byte{'\n'})
	}
	return tableSum{len(rows), hex.EncodeToString(h.Sum(nil))}
}

func compareChecksums(t *testing.T, want, got map[string]tableSum) {
	t.Helper()
	if len(want) < 20 {
		t.Fatalf("only %d tables in the backup", len(want))
	}
	rows := 0
	for table, w := range want {
		if g, ok := got[table]; !ok {
			t.Errorf("table %s missing from the restored copy", table)
		} else if g != w {
			t.Errorf("table %s: backup %d rows %s…, restored %d rows %s…", table, w.Rows, w.Hash[:12], g.Rows, g.Hash[:12])
		}
		rows += w.Rows
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Errorf("table %s in the restored copy but not in the backup", table)
		}
	}
	t.Logf("per-table checksums equal: %d tables, %d rows", len(want), rows)
}

// sqliteChecksums reads every table of a SQLite file, rows ordered by all
// their columns.
func sqliteChecksums(path string) (map[string]tableSum, error) {
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var tables []string
	rows, err := conn.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]tableSum{}
	for _, table := range tables {
		rows, err := conn.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			return nil, err
		}
		cols, _ := rows.Columns()
		var lines []string
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			var b strings.Builder
			for i, v := range vals {
				if i > 0 {
					b.WriteByte('\t')
				}
				fmt.Fprintf(&b, "%T:%v", v, v)
			}
			lines = append(lines, b.String())
		}
		rows.Close()
		out[table] = sumRows(lines)
	}
	return out, nil
}

// dumpChecksums reads the table data of a pg_dump custom-format file (via
// pg_restore --data-only to SQL text) and sums each table's COPY rows. It
// also returns each table's column list, to read the restored copy in the
// same order and format.
func dumpChecksums(path string) (map[string]tableSum, map[string]string, error) {
	cmd := exec.Command("pg_restore", "--data-only", "--file=-", path)
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("pg_restore --data-only: %v", err)
	}
	sums := map[string]tableSum{}
	cols := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var table string
	var lines []string
	for sc.Scan() {
		line := sc.Text()
		if table == "" {
			if strings.HasPrefix(line, "COPY ") && strings.HasSuffix(line, " FROM stdin;") {
				head := strings.TrimSuffix(strings.TrimPrefix(line, "COPY "), " FROM stdin;")
				i := strings.Index(head, " (")
				table = head[:i]
				cols[bareName(table)] = head[i+1:]
				lines = nil
			}
			continue
		}
		if line == `\.` {
			sums[bareName(table)] = sumRows(lines)
			table = ""
			continue
		}
		lines = append(lines, line)
	}
	return sums, cols, sc.Err()
}

// bareName drops the schema from "schema.table".
func bareName(qualified string) string {
	if i := strings.LastIndex(qualified, "."); i >= 0 {
		return strings.Trim(qualified[i+1:], `"`)
	}
	return strings.Trim(qualified, `"`)
}

// pgChecksums reads each table of the restored database with COPY TO
// STDOUT, the format pg_dump wrote the rows in.
func pgChecksums(dsn string, cols map[string]string) (map[string]tableSum, error) {
	ctx := context.Background()
	d, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	conn, err := d.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	out := map[string]tableSum{}
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn().PgConn()
		for table, cl := range cols {
			var buf bytes.Buffer
			if _, err := pc.CopyTo(ctx, &buf, fmt.Sprintf(`COPY %q %s TO STDOUT`, table, cl)); err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if buf.Len() == 0 {
				lines = nil
			}
			out[table] = sumRows(lines)
		}
		return nil
	})
	return out, err
}

// freshDatabase creates an empty database next to the one in dsn, dropped at
// cleanup, and returns its DSN with the same search_path (the dump holds the
// source schema, which pg_restore creates there).
func freshDatabase(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("shegong_drill_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000_000)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u.Path = "/" + name
	return u.String()
}
