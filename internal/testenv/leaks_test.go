package testenv

import (
	"strings"
	"testing"

	"shegong/internal/leakscan"
)

// TestLeakScansAreWired plants a plaintext in each place the test stack
// scans and checks each is found; then it forgets the planted secrets so
// that the test's own end-of-test scan passes.
func TestLeakScansAreWired(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		const id, phone = "44190019900307123X", "13912345678"
		// The cipher registers what it encrypts.
		if _, err := e.Sys.Cipher.Encrypt(phone); err != nil {
			t.Fatal(err)
		}
		e.Secret(id)
		if got := strings.Join(e.Leaks().Secrets(), ","); got != phone+","+id {
			t.Fatalf("registered secrets %q", got)
		}
		// A log line.
		e.Sys.Cfg.Log.Info("import row", "phone", phone)
		e.leaks.mu.Lock()
		logged := e.leaks.findings
		e.leaks.mu.Unlock()
		if len(logged) != 1 || !strings.HasPrefix(logged[0].Place, "server log line") || logged[0].Secret != phone {
			t.Errorf("log finding %v", logged)
		}
		// A response to an anonymous client, in a lower-case spelling.
		c := e.Anon()
		f := c.scanResponse("GET", "/clients", []byte("<td>"+strings.ToLower(id)+"</td>"))
		if len(f) != 1 || !strings.Contains(f[0].Place, "GET /clients response to an anonymous client") {
			t.Errorf("response finding %v", f)
		}
		// The raw database.
		e.Exec(`INSERT INTO departments (org_id, name, kind) VALUES (1, $1, 'other')`, "身份证"+id)
		found := e.scanDatabase(t)
		if len(found) == 0 || found[0].Secret != id {
			t.Errorf("database findings %v", found)
		}
		for _, f := range found {
			if !strings.Contains(f.Place, "database file shegong.db") && f.Place != "pg_dump of the test schema" {
				t.Errorf("finding place %q", f.Place)
			}
		}
		// Forget the planted secrets before the end-of-test scan.
		e.leaks = &leakWatch{reg: leakscan.New()}
	})
}
