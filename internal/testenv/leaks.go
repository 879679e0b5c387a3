package testenv

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/leakscan"
	"shegong/internal/volunteers"
)

// Leak scans. Every value the system encrypts (ID numbers, phones) is
// registered as a secret as it is encrypted; fixtures may add more with
// Env.Secret. Then every response to a client without reveal rights, every
// server log line and, at the end of the test, the raw database (SQLite file
// with its -wal and -shm, or a pg_dump of the test schema) are scanned, and
// each plaintext found fails the test naming the place.

// leakWatch collects findings from the server's goroutines.
type leakWatch struct {
	reg      *leakscan.Registry
	mu       sync.Mutex
	findings []leakscan.Finding
}

func (w *leakWatch) add(f ...leakscan.Finding) {
	if len(f) == 0 {
		return
	}
	w.mu.Lock()
	w.findings = append(w.findings, f...)
	w.mu.Unlock()
}

// logWriter receives each log line of the server (slog writes one record
// per Write) and scans it.
type logWriter struct{ w *leakWatch }

func (l logWriter) Write(p []byte) (int, error) {
	line := string(p)
	if len(line) > 160 {
		line = line[:160] + "…"
	}
	countLeakStat(func() { LeakStats.LogLines++ })
	l.w.add(l.w.reg.Scan("server log line "+strings.TrimSpace(line), p)...)
	return len(p), nil
}

// Secret registers a plaintext that must never be shown to a role without
// reveal rights, logged or stored unencrypted.
func (e *Env) Secret(plaintext string) { e.leaks.reg.Add(plaintext) }

// Leaks is the registry of secrets of this system.
func (e *Env) Leaks() *leakscan.Registry { return e.leaks.reg }

// LeakStats counts what the leak scans read, over the test process.
var LeakStats struct {
	mu                           sync.Mutex
	Responses, LogLines, DBScans int
	Secrets                      int
}

func countLeakStat(f func()) { LeakStats.mu.Lock(); f(); LeakStats.mu.Unlock() }

// scanDatabase scans the raw database for the registered secrets.
func (e *Env) scanDatabase(t testing.TB) []leakscan.Finding {
	d := e.Sys.DB
	if len(e.leaks.reg.Secrets()) == 0 {
		// Nothing personal was encrypted in this test: nothing to look for.
		return nil
	}
	if d.Dialect == db.Postgres {
		dump, err := leakscan.DumpPostgresSchema(d.OwnerDSN())
		if err != nil {
			t.Errorf("leak scan: pg_dump: %v", err)
			return nil
		}
		return e.leaks.reg.Scan("pg_dump of the test schema", dump)
	}
	p := d.Path()
	f, _, err := e.leaks.reg.ScanFiles(p, p+"-wal", p+"-shm")
	if err != nil {
		t.Errorf("leak scan: %v", err)
	}
	for i := range f {
		f[i].Place = "database file " + filepath.Base(f[i].Place)
	}
	return f
}

// finishLeakScan runs at the test's end, before the system closes.
func (e *Env) finishLeakScan(t testing.TB) {
	found := e.scanDatabase(t)
	e.leaks.mu.Lock()
	found = append(e.leaks.findings, found...)
	e.leaks.mu.Unlock()
	for _, f := range found {
		t.Errorf("LEAK: %s", f)
	}
	if n := len(e.leaks.reg.Secrets()); n > 0 {
		countLeakStat(func() { LeakStats.DBScans++; LeakStats.Secrets += n })
	}
}

// revealKinds says which secrets a signed-in client may legitimately see
// in plaintext: clients' (cases reveal right) and volunteers' (volunteer
// reveal right).
func revealKinds(e *Env, p *Person) (client, volunteer bool) {
	uid := p.UserID
	if uid == 0 {
		// A person known only by user name (demo and statistics fixtures).
		e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT id FROM users WHERE username = $1`, p.Username).Scan(&uid)
	}
	pr, err := authz.Load(e.Ctx, e.Sys.DB.R, uid, app.Today(e.Clock.Now()))
	if err != nil {
		e.T.Fatalf("leak scan: load %s: %v", p.Username, err)
	}
	return pr.Can(cases.PermClientReveal), pr.Can(volunteers.PermReveal)
}

// kindOf says whether a secret is a volunteer's value (found by the
// volunteers' blind indexes) or else a client's.
func (e *Env) kindOf(secret string) (client, volunteer bool) {
	c := e.Sys.Cipher
	var k int
	e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT COUNT(*) FROM volunteers WHERE id_number_idx = $1 OR phone_idx = $2`,
		c.BlindIndex("volunteer.id_number", strings.ToUpper(secret)), c.BlindIndex("volunteer.phone", secret)).Scan(&k)
	return k == 0, k > 0
}

// scanResponse scans a body sent to c; findings the client's reveal rights
// cover are dropped.
func (c *Client) scanResponse(method, path string, body []byte) []leakscan.Finding {
	e := c.E
	if e.leaks == nil || (c.revealClient && c.revealVolunteer) {
		return nil
	}
	countLeakStat(func() { LeakStats.Responses++ })
	var out []leakscan.Finding
	for _, f := range e.leaks.reg.ScanBody(fmt.Sprintf("%s %s response to %s", method, path, c.who()), body) {
		if c.revealClient || c.revealVolunteer {
			isClient, isVolunteer := e.kindOf(f.Secret)
			if (isClient && c.revealClient) || (isVolunteer && c.revealVolunteer) {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

func (c *Client) who() string {
	if c.user == "" {
		return "an anonymous client"
	}
	return c.user
}

// LeakSummary says what the leak scans of this test process read.
func LeakSummary() string {
	LeakStats.mu.Lock()
	defer LeakStats.mu.Unlock()
	return fmt.Sprintf("leak scans: %d responses to roles without reveal rights, %d server log lines, %d raw databases (%d secrets registered in all), no plaintext found unless reported above",
		LeakStats.Responses, LeakStats.LogLines, LeakStats.DBScans, LeakStats.Secrets)
}
