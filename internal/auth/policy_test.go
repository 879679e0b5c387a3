package auth

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

func fieldError(err error, field string) string {
	var e *app.Error
	if errors.As(err, &e) {
		return e.Fields[field]
	}
	return ""
}

func checkPW(pol Policy, pw, username string) string {
	var v app.Validation
	pol.Check(&v, "pw", pw, username)
	if err := v.Err(); err != nil {
		return err.(*app.Error).Fields["pw"]
	}
	return ""
}

func TestASVSProfile(t *testing.T) {
	pol := Policy{Profile: ProfileASVS, OrgName: "绿叶社工"}
	for _, c := range []struct{ pw, want string }{
		{"", "请输入新密码"},
		{"Abc-12345xy", "至少需要12个字符"},      // 11
		{"correcthorse", ""},              // 12, lower case only: no composition rules
		{"我们的中心在北岸社区服务很多年", ""},           // Unicode passphrase
		{"a  b  c  d  e  f", "至少需要12个字符"}, // 16 runes, 11 once runs of spaces are combined
		{strings.Repeat("长", 64), ""},
		{strings.Repeat("x9", 64), ""}, // 128
		{strings.Repeat("x", 129), "不能超过128个字符"},
		{"1qaz2wsx3edc", "太常见"},
		{"QWERTY123456", "太常见"}, // case ignored
		{"my-wangxiao-2026", "不能包含用户名"},
		{"我爱绿叶社工2026年春天", "不能包含机构名称"},
	} {
		got := checkPW(pol, c.pw, "WangXiao")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.pw, got, c.want)
		}
	}
	if pol.MaxAge() != 0 {
		t.Error("the ASVS profile forces rotation")
	}
}

func TestDengbaoProfile(t *testing.T) {
	pol := Policy{Profile: ProfileDengbao, OrgName: "绿叶社工"}
	for _, c := range []struct{ pw, want string }{
		{"Ab1!xyz", "至少需要8个字符"},
		{"abcdefgh12", "至少三类"}, // two classes
		{"ABCDEFGH!!", "至少三类"}, // two classes
		{"Abcdefgh12", ""},     // upper, lower, digit
		{"abc-def-12", ""},     // lower, symbol, digit
		{"社工abc12345", ""},     // other script counts as a symbol class
		{"P@ssw0rd", "太常见"},    // three classes but breached
		{"Wangxiao-2026", "不能包含用户名"},
	} {
		got := checkPW(pol, c.pw, "wangxiao")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.pw, got, c.want)
		}
	}
	if pol.MaxAge() != 90*24*time.Hour {
		t.Errorf("max age %v", pol.MaxAge())
	}
}

func TestCommonPasswordList(t *testing.T) {
	IsCommonPassword("")
	if n := len(commonSet); n < 10000 {
		t.Fatalf("only %d common passwords embedded", n)
	}
	for _, pw := range []string{"password", "baseball", "woaini1314", "iloveyou", "PASSWORD1"} {
		if !IsCommonPassword(pw) {
			t.Errorf("%q not on the list", pw)
		}
	}
	if IsCommonPassword("Lvye-北岸-2026-gentle") {
		t.Error("a made-up passphrase is on the list")
	}
}

// policyWorld is an organization with one user on a bare database.
type policyWorld struct {
	d     *db.DB
	s     *Service
	now   time.Time
	orgID int64
	user  int64
}

func newPolicyWorld(t *testing.T, d *db.DB, profile string) *policyWorld {
	t.Helper()
	w := &policyWorld{d: d, now: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}
	w.s = New(d, func() time.Time { return w.now }, Config{})
	ctx := context.Background()
	if err := d.W.QueryRowContext(ctx, `INSERT INTO organizations (code, name, kind, status, created_at, password_profile)
		VALUES ('lvye', '绿叶社工', 'agency', 'active', $1, $2) RETURNING id`, w.now, profile).Scan(&w.orgID); err != nil {
		t.Fatal(err)
	}
	hash, _ := HashPasswordWith("Start-Passw0rd", 1024, 1)
	if err := d.W.QueryRowContext(ctx, `INSERT INTO users (org_id, username, display_name, password_hash, must_change_password,
		status, created_at, updated_at) VALUES ($1, 'wang', '王', $2, FALSE, 'active', $3, $3) RETURNING id`,
		w.orgID, hash, w.now).Scan(&w.user); err != nil {
		t.Fatal(err)
	}
	if _, err := d.W.ExecContext(ctx, `INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, 'worker')`, w.orgID, w.user); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *policyWorld) login(t *testing.T, pw string) *authz.Principal {
	t.Helper()
	_, p, err := w.s.Login(context.Background(), "wang", pw, KindWeb, Client{IP: "127.0.0.1"})
	if err != nil {
		t.Fatalf("login with %q: %v", pw, err)
	}
	return p
}

func TestDengbaoHistoryAndExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newPolicyWorld(t, d, ProfileDengbao)
		p := w.login(t, "Start-Passw0rd")
		if p.MustChange {
			t.Fatal("a fresh password is already expired")
		}
		// Five changes, one a day.
		pws := []string{"Lvye-one-01", "Lvye-two-02", "Lvye-three-03", "Lvye-four-04", "Lvye-five-05"}
		old := "Start-Passw0rd"
		for _, pw := range pws {
			w.now = w.now.Add(24 * time.Hour)
			if err := w.s.ChangePassword(ctx, p, old, pw, pw); err != nil {
				t.Fatalf("change to %s: %v", pw, err)
			}
			old = pw
		}
		// The last five (including the current one) cannot come back; the
		// sixth-newest can.
		for _, pw := range pws[:4] {
			err := w.s.ChangePassword(ctx, p, old, pw, pw)
			if msg := fieldError(err, "new_password"); !strings.Contains(msg, "不能使用最近5次用过的密码") {
				t.Errorf("reuse of %s: %v", pw, err)
			}
		}
		if err := w.s.ChangePassword(ctx, p, old, "Start-Passw0rd", "Start-Passw0rd"); err != nil {
			t.Fatalf("the sixth-newest password is refused: %v", err)
		}
		if err := w.s.ChangePassword(ctx, p, "Start-Passw0rd", "abcdefgh12", "abcdefgh12"); !strings.Contains(fieldError(err, "new_password"), "至少三类") {
			t.Fatalf("two classes accepted: %v", err)
		}

		// 89 days later the password still works; at 90 days sign-in forces a change.
		w.now = w.now.Add(89 * 24 * time.Hour)
		if p := w.login(t, "Start-Passw0rd"); p.MustChange {
			t.Fatal("forced change after 89 days")
		}
		w.now = w.now.Add(24 * time.Hour)
		p = w.login(t, "Start-Passw0rd")
		if !p.MustChange {
			t.Fatal("no forced change after 90 days")
		}
		var n int
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'auth.password_expired'`).Scan(&n)
		if n != 1 {
			t.Fatalf("expiry audited %d times", n)
		}
		if err := w.s.ChangePassword(ctx, p, "Start-Passw0rd", "Lvye-six-06", "Lvye-six-06"); err != nil {
			t.Fatal(err)
		}
		if p := w.login(t, "Lvye-six-06"); p.MustChange {
			t.Fatal("still forced after the change")
		}
	})
}

func TestASVSNoRotationAndReuseAllowed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := newPolicyWorld(t, d, ProfileASVS)
		p := w.login(t, "Start-Passw0rd")
		if err := w.s.ChangePassword(ctx, p, "Start-Passw0rd", "short", "short"); !strings.Contains(fieldError(err, "new_password"), "至少需要12个字符") {
			t.Fatalf("short password: %v", err)
		}
		if err := w.s.ChangePassword(ctx, p, "Start-Passw0rd", "qwerty123456", "qwerty123456"); !strings.Contains(fieldError(err, "new_password"), "太常见") {
			t.Fatalf("common password: %v", err)
		}
		if err := w.s.ChangePassword(ctx, p, "Start-Passw0rd", "Green leaves by the river 9", "Green leaves by the river 9"); err != nil {
			t.Fatal(err)
		}
		if err := w.s.ChangePassword(ctx, p, "Green leaves by the river 9", "Blue sky over the harbour 7", "Blue sky over the harbour 7"); err != nil {
			t.Fatal(err)
		}
		// ASVS has no reuse rule: going back is allowed.
		if err := w.s.ChangePassword(ctx, p, "Blue sky over the harbour 7", "Green leaves by the river 9", "Green leaves by the river 9"); err != nil {
			t.Fatal(err)
		}
		// Years pass: no forced rotation.
		w.now = w.now.Add(3 * 365 * 24 * time.Hour)
		if p := w.login(t, "Green leaves by the river 9"); p.MustChange {
			t.Fatal("ASVS profile forced a change")
		}
		// History is kept for both profiles, so switching to dengbao
		// applies the reuse rule at once.
		if _, err := d.W.Exec(`UPDATE organizations SET password_profile = 'dengbao' WHERE id = $1`, w.orgID); err != nil {
			t.Fatal(err)
		}
		var v app.Validation
		if _, err := CheckNewPassword(ctx, d.R, &v, "pw", w.orgID, w.user, "wang", "Blue-sky-over-the-harbour1"); err != nil {
			t.Fatal(err)
		}
		if v.Has("pw") {
			t.Fatalf("a new password is refused: %v", v.Err())
		}
		v = app.Validation{}
		if _, err := CheckNewPassword(ctx, d.R, &v, "pw", w.orgID, w.user, "wang", "Blue sky over the harbour 7"); err != nil {
			t.Fatal(err)
		}
		if msg := v.Err(); msg == nil || !strings.Contains(fieldError(msg, "pw"), "最近5次") {
			t.Fatalf("a recent password is accepted after switching to dengbao: %v", msg)
		}
		// And the switch makes a three-year-old password expire.
		if p := w.login(t, "Green leaves by the river 9"); !p.MustChange {
			t.Fatal("no forced change after switching to dengbao")
		}
	})
}

// TestMain lowers the hashing cost for this package's tests; the
// parameters travel with each hash, so verification is unaffected.
func TestMain(m *testing.M) {
	argonMemory, argonTime = 1024, 1
	os.Exit(m.Run())
}
