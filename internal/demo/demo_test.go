package demo_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/demo"
	"shegong/internal/testenv"
)

func TestDemoLoadsOnceAndEveryRoleSignsIn(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		now := e.Clock.Now()
		if err := demo.PlatformOperator(e.Ctx, e.Sys.DB, now); err != nil {
			t.Fatal(err)
		}
		logins, loaded, err := demo.Load(e.Ctx, e.Sys.DB, e.Sys.Cipher, now)
		if err != nil || !loaded {
			t.Fatalf("load: %v %v", loaded, err)
		}
		if _, again, err := demo.Load(e.Ctx, e.Sys.DB, e.Sys.Cipher, now); err != nil || again {
			t.Fatalf("second load: %v %v", again, err)
		}
		// The seed's shape: 8/4/4/4/8 front-line staff, 28 in all.
		rows, err := e.Sys.DB.R.Query(`SELECT s.code, COUNT(*) FROM staff_assignments a JOIN sites s ON s.org_id = a.org_id AND s.id = a.site_id
			GROUP BY s.code ORDER BY s.code`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		total := 0
		for rows.Next() {
			var c string
			var n int
			rows.Scan(&c, &n)
			got[c] = n
			total += n
		}
		rows.Close()
		want := map[string]int{"BA": 8, "XS": 4, "ZH": 4, "BS": 4, "SH": 8}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("site %s: %d staff, want %d", k, got[k], v)
			}
		}
		if total != 28 {
			t.Errorf("front-line staff: %d", total)
		}
		var out bytes.Buffer
		demo.Print(&out, logins)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != len(authz.Roles) {
			t.Fatalf("printed %d logins for %d roles", len(lines), len(authz.Roles))
		}
		for _, line := range lines {
			f := strings.Fields(line)
			if len(f) != 5 || f[0] != "demo" || f[1] != "login:" {
				t.Fatalf("bad line %q", line)
			}
			role, user, pw := authz.Role(f[2]), f[3], f[4]
			c := e.Anon()
			r := c.PostForm("/login", url.Values{"username": {user}, "password": {pw}})
			if r.Status != http.StatusSeeOther || r.Location != "/" {
				t.Fatalf("%s sign-in: %d %s", user, r.Status, r.Location)
			}
			home := c.Get("/")
			if home.Status != 200 || !strings.Contains(home.Body, authz.RoleName(role)) {
				t.Fatalf("%s home does not show role %s", user, authz.RoleName(role))
			}
		}
		// The first centre's contract year ends within 30 days: its head is reminded.
		c := e.Anon()
		c.PostForm("/login", url.Values{"username": {"beian_head"}, "password": {demo.Password}})
		if r := c.Get("/"); !strings.Contains(r.Body, "合同年到期") {
			t.Fatal("centre head of 北岸 sees no contract reminder")
		}
	})
}
