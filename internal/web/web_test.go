package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

func TestSignInFlow(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		w := o.User("wang", true, authz.RoleWorker)

		anon := e.Anon()
		if r := anon.Get("/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Fatalf("anonymous home: %d %s", r.Status, r.Location)
		}
		if r := anon.Get("/login"); r.Status != 200 || !strings.Contains(r.Body, "请使用机构分配的账号登录") {
			t.Fatalf("login page: %d", r.Status)
		}
		// Wrong password and unknown user get the same generic message.
		for _, u := range []string{"wang", "nobody"} {
			r := anon.PostForm("/login", url.Values{"username": {u}, "password": {"wrong-password"}})
			if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "用户名或密码错误") {
				t.Fatalf("bad login %s: %d", u, r.Status)
			}
			if strings.Contains(r.Body, "wrong-password") {
				t.Fatal("password echoed back")
			}
		}
		c := e.Login(w)
		r := c.Get("/")
		if r.Status != 200 || !strings.Contains(r.Body, "工作台") || !strings.Contains(r.Body, "绿叶社工") {
			t.Fatalf("home: %d %s", r.Status, r.Body[:min(len(r.Body), 300)])
		}
		// Sign-out revokes the session server-side: replaying the cookie fails.
		jarCookies := c.HTTP.Jar.Cookies(mustURL(e.HTTP.URL))
		if r := c.PostForm("/logout", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("logout: %d", r.Status)
		}
		replay := e.Anon()
		replay.HTTP.Jar.SetCookies(mustURL(e.HTTP.URL), jarCookies)
		if r := replay.Get("/"); r.Status != http.StatusSeeOther {
			t.Fatalf("revoked session still works: %d", r.Status)
		}
	})
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

func TestSessionTimeouts(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		w := o.User("wang", true, authz.RoleWorker)
		c := e.Login(w)
		e.Clock.Advance(29 * time.Minute)
		if r := c.Get("/"); r.Status != 200 {
			t.Fatalf("within idle timeout: %d", r.Status)
		}
		e.Clock.Advance(31 * time.Minute)
		if r := c.Get("/"); r.Status != http.StatusSeeOther {
			t.Fatalf("after idle timeout: %d", r.Status)
		}
		// Absolute timeout: active every 20 minutes, still ends after 12 h.
		c = e.Login(w)
		for range 37 {
			e.Clock.Advance(20 * time.Minute)
			c.Get("/")
		}
		if r := c.Get("/"); r.Status != http.StatusSeeOther {
			t.Fatalf("after absolute timeout: %d", r.Status)
		}
	})
}

func TestLockout(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		w := o.User("wang", true, authz.RoleWorker)
		anon := e.Anon()
		for range 5 {
			anon.PostForm("/login", url.Values{"username": {"wang"}, "password": {"nope-nope"}})
			e.Clock.Advance(time.Minute)
		}
		// Even the right password is refused while locked.
		r := anon.PostForm("/login", url.Values{"username": {"wang"}, "password": {testenv.Password}})
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "临时锁定") {
			t.Fatalf("locked: %d", r.Status)
		}
		e.Clock.Advance(31 * time.Minute)
		_ = e.Login(w)
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' AND outcome = 'failed'`); n != 5 {
			t.Fatalf("failed sign-ins audited: %d", n)
		}
	})
}

func TestForcedPasswordChange(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		w := o.User("wang", true, authz.RoleWorker)
		e.Exec(`UPDATE users SET must_change_password = TRUE WHERE id = $1`, w.UserID)
		c := e.Anon()
		r := c.PostForm("/login", url.Values{"username": {"wang"}, "password": {testenv.Password}})
		if r.Location != "/account/password" {
			t.Fatalf("first sign-in goes to %q", r.Location)
		}
		if r := c.Get("/"); r.Location != "/account/password" {
			t.Fatalf("home before change: %d %s", r.Status, r.Location)
		}
		// Bad input: errors beside the fields, nothing changed.
		r = c.PostForm("/account/password", url.Values{"old_password": {"x"}, "new_password": {"short"}, "confirm_password": {"other"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "当前密码不正确") ||
			!strings.Contains(r.Body, "密码至少需要12个字符") || !strings.Contains(r.Body, "两次输入的新密码不一致") {
			t.Fatalf("bad change: %d", r.Status)
		}
		r = c.PostForm("/account/password", url.Values{"old_password": {testenv.Password},
			"new_password": {"Lvye-new-2026!"}, "confirm_password": {"Lvye-new-2026!"}})
		if r.Status != http.StatusSeeOther || r.Location != "/" {
			t.Fatalf("change: %d %s", r.Status, r.Location)
		}
		if r := c.Get("/"); r.Status != 200 {
			t.Fatalf("home after change: %d", r.Status)
		}
	})
}

func TestAPISessionAndTokens(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		w := o.User("wang", true, authz.RoleWorker)
		anon := e.Anon()
		bad := []struct {
			body, want string
		}{
			{`{"username": 5, "password": "x"}`, "类型不正确"},
			{`{"username": "wang"`, "不是有效的 JSON"},
			{`{"user": "wang"}`, "未知字段"},
			{`{"username": "wang", "password": "bad-password"}`, "用户名或密码错误"},
		}
		for _, b := range bad {
			r := anon.Do("POST", "/api/v1/session", strings.NewReader(b.body), "application/json")
			if r.Status < 400 || !strings.Contains(r.Body, b.want) || !strings.Contains(r.Body, `"code"`) {
				t.Fatalf("%s: %d %s", b.body, r.Status, r.Body)
			}
		}
		c := e.APIClient(w)
		r := c.Get("/api/v1/me")
		if r.Status != 200 || !strings.Contains(r.Body, `"username":"wang"`) {
			t.Fatalf("me: %d %s", r.Status, r.Body)
		}
		if r := c.Do("DELETE", "/api/v1/session", nil, ""); r.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d", r.Status)
		}
		if r := c.Get("/api/v1/me"); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, `"unauthorized"`) {
			t.Fatalf("revoked token: %d %s", r.Status, r.Body)
		}
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "绿叶社工")
	w := o.User("wang", true, authz.RoleWorker)
	c := e.Login(w)
	req, _ := http.NewRequest("POST", e.HTTP.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", res.StatusCode)
	}
	if r := c.Get("/"); r.Status != 200 {
		t.Fatal("session was ended by a cross-site request")
	}
}

func TestContractYearReminder(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		north := o.Site("黄江镇北岸社区综合服务中心", "centre")
		other := o.Site("企石镇振华社区综合服务中心", "centre")
		head := o.User("head", true, authz.RoleCentreHead).Assign(north, "centre_head")
		dir := o.User("dir", true, authz.RoleDirector)
		worker := o.User("wang", true, authz.RoleWorker).Assign(north, "worker")
		// 2026-03-02 today; the north contract ends 2026-03-31 (29 days), the other on 2026-06-30.
		e.Exec(`INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen) VALUES ($1, $2, '2025合同年', '2025-04-01', '2026-03-31', 100000000)`, o.ID, north)
		e.Exec(`INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen) VALUES ($1, $2, '2025合同年', '2025-07-01', '2026-06-30', 100000000)`, o.ID, other)

		hc, dc, wc := e.Login(head), e.Login(dir), e.Login(worker)
		if r := hc.Get("/"); !strings.Contains(r.Body, "北岸社区综合服务中心 · 2025合同年") || strings.Contains(r.Body, "振华") {
			t.Fatalf("centre head sees own centre's contract only")
		}
		if r := dc.Get("/"); !strings.Contains(r.Body, "北岸") || strings.Contains(r.Body, "振华社区综合服务中心 · ") {
			t.Fatalf("director sees contracts ending within 30 days")
		}
		if r := wc.Get("/"); strings.Contains(r.Body, "合同年到期") {
			t.Fatalf("worker sees no contract reminders")
		}
		// 2026-04-05: north is overdue (no new contract year), zhenhua not yet due.
		e.Clock.Set(time.Date(2026, 4, 5, 2, 0, 0, 0, time.UTC))
		hc = e.Login(head)
		if r := hc.Get("/"); !strings.Contains(r.Body, "逾期") || !strings.Contains(r.Body, "尚未登记新合同年") {
			t.Fatalf("overdue contract not shown")
		}
		// Registering the next contract year clears the reminder.
		e.Exec(`INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen) VALUES ($1, $2, '2026合同年', '2026-04-01', '2027-03-31', 100000000)`, o.ID, north)
		if r := hc.Get("/"); strings.Contains(r.Body, "北岸社区综合服务中心 · 2025合同年") {
			t.Fatalf("reminder still shown after renewal")
		}
		// 2026-06-05: zhenhua within 30 days, visible to the director.
		e.Clock.Set(time.Date(2026, 6, 5, 2, 0, 0, 0, time.UTC))
		dc = e.Login(dir)
		if r := dc.Get("/api/v1/reminders"); !strings.Contains(r.Body, "振华") {
			t.Fatalf("director API reminders: %s", r.Body)
		}
	})
}
