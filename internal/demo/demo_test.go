package demo_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/auth/totp"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/demo"
	"shegong/internal/groups"
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
		rows, err := e.Sys.DB.R.QueryContext(e.Ctx, `SELECT s.code, COUNT(*) FROM staff_assignments a JOIN sites s ON s.org_id = a.org_id AND s.id = a.site_id
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
		var lines []string
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if strings.HasPrefix(line, "demo login:") {
				lines = append(lines, line)
			} else if !strings.Contains(line, "authenticator app") {
				t.Fatalf("unexpected line %q", line)
			}
		}
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
			if role == authz.RolePlatformOperator {
				// Platform operators must set up a second factor (the
				// platform's default); the demo organization needs none.
				if r.Location != "/account/totp" {
					t.Fatalf("platform operator is not sent to enrolment: %d %s", r.Status, r.Location)
				}
				page := c.Get("/account/totp")
				r = c.PostForm("/account/totp", url.Values{"code": {totp.Code(e.EnrolmentSecret(page.Body), e.Clock.Now())}})
				if r.Status != http.StatusOK || !strings.Contains(r.Body, "动态验证码已绑定") {
					t.Fatalf("platform operator enrolment: %d", r.Status)
				}
				r.Status, r.Location = http.StatusSeeOther, "/"
			}
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
		checkRecords(t, e)
	})
}

// checkRecords checks the demo's year of service records: every case state,
// the year's figures at the seed's magnitudes, something to do on the home
// page of a worker, a supervisor, a centre head and the director, and an
// intact audit trail.
func checkRecords(t *testing.T, e *testenv.Env) {
	today := app.Today(e.Clock.Now())
	from := today.AddMonths(-12).AddDays(1)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int64
		if err := e.Sys.DB.R.QueryRowContext(e.Ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return int(n)
	}
	for _, st := range []string{"intake", "planned", "pending_open", "open", "referred", "pending_close", "post_closure", "archived"} {
		if n := count(`SELECT COUNT(*) FROM cases WHERE state = $1`, st); n == 0 {
			t.Errorf("no case in state %s", st)
		}
	}
	if n := count(`SELECT COUNT(*) FROM approvals WHERE subject_type = 'case' AND status = 'rejected'`); n == 0 {
		t.Error("no rejected case request")
	}
	if n := count(`SELECT COUNT(*) FROM approvals WHERE subject_type = 'case' AND kind = 'case_referral' AND status = 'pending'`); n == 0 {
		t.Error("no referral waiting for the supervisor")
	}
	// Clients' personal data is stored encrypted, never in clear.
	if n := count(`SELECT COUNT(*) FROM clients WHERE id_number_enc = '' OR id_number_enc LIKE '4419%'`); n != 0 {
		t.Errorf("%d clients without an encrypted ID number", n)
	}

	var org int64
	e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT id FROM organizations WHERE code = $1`, demo.Code).Scan(&org)
	f := groups.CountFilter{OrgID: org}
	ctx, q := e.Ctx, e.Sys.DB.R
	figure := func(name string, fn func(context.Context, db.Querier, groups.CountFilter, app.Date, app.Date) (int, error), lo, hi int) {
		t.Helper()
		n, err := fn(ctx, q, f, from, today)
		if err != nil {
			t.Fatal(err)
		}
		if n < lo || n > hi {
			t.Errorf("%s: %d, want %d..%d", name, n, lo, hi)
		}
	}
	figure("groups opened", groups.GroupsOpened, 40, 50)
	figure("group sessions", groups.GroupSessions, 250, 300)
	figure("group person-times", groups.GroupPersonTimes, 1200, 2400)
	figure("activities", groups.Activities, 115, 130)
	figure("activity participants", groups.ActivityParticipants, 5000, 7500)
	figure("publicity materials", groups.PublicityMaterials, 3000, 4500)
	within := func(name string, n, lo, hi int) {
		t.Helper()
		if n < lo || n > hi {
			t.Errorf("%s: %d, want %d..%d", name, n, lo, hi)
		}
	}
	within("cases opened", count(`SELECT COUNT(*) FROM cases WHERE opened_on >= $1 AND opened_on <= $2`, from, today), 20, 32)
	within("group members", count(`SELECT COUNT(*) FROM group_members`), 360, 380)
	within("volunteer person-times", count(`SELECT COUNT(*) FROM volunteer_services WHERE service_date >= $1 AND service_date <= $2`, from, today), 540, 580)
	within("volunteer hours", count(`SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) / 60 FROM volunteer_services WHERE service_date >= $1 AND service_date <= $2`, from, today), 2900, 3500)

	for _, user := range []string{"beian_sg1", "dudao1", "beian_head", "zongganshi"} {
		c := e.Anon()
		c.PostForm("/login", url.Values{"username": {user}, "password": {demo.Password}})
		home := c.Get("/")
		if home.Status != 200 {
			t.Fatalf("%s home: %d", user, home.Status)
		}
		todo := !strings.Contains(home.Body, "暂无待审批事项")
		remind := !strings.Contains(home.Body, "暂无提醒")
		if !todo && !remind {
			t.Errorf("%s sees neither to-dos nor reminders", user)
		}
	}
	for user, want := range map[string]string{
		"beian_sg1":  "结案后跟进",
		"dudao1":     "被督导同工个案跟进不足",
		"zongganshi": "通用事项申请",
	} {
		c := e.Anon()
		c.PostForm("/login", url.Values{"username": {user}, "password": {demo.Password}})
		if home := c.Get("/"); !strings.Contains(home.Body, want) {
			t.Errorf("%s home does not show %s", user, want)
		}
	}
	res, err := audit.Verify(ctx, e.Sys.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 {
		t.Fatalf("audit trail: %+v", res.Problems)
	}
}
