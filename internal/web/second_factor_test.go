package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"shegong/internal/auth/totp"
	"shegong/internal/authz"
	"shegong/internal/testenv"
)

var recoveryRE = regexp.MustCompile(`<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>`)

// signInPassword posts the password form and returns the client and answer.
func signInPassword(e *testenv.Env, username, pw string) (*testenv.Client, testenv.Response) {
	c := e.Anon()
	return c, c.PostForm("/login", url.Values{"username": {username}, "password": {pw}})
}

func TestSecondFactorEnrolAndSignIn(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		admin := o.User("lvye_admin", false, authz.RoleOrgAdmin)
		worker := o.User("wang", true, authz.RoleWorker)

		// Org admins must use a second factor by default: right after the
		// password they are sent to enrolment and can do nothing else.
		c, r := signInPassword(e, "lvye_admin", testenv.Password)
		if r.Status != http.StatusSeeOther || r.Location != "/account/totp" {
			t.Fatalf("admin sign-in goes to %d %q", r.Status, r.Location)
		}
		for _, path := range []string{"/", "/users", "/audit", "/account/tokens", "/login/totp"} {
			if r := c.Get(path); r.Status != http.StatusSeeOther || r.Location != "/account/totp" {
				t.Errorf("%s before enrolment: %d %q", path, r.Status, r.Location)
			}
		}
		if r := c.JSON("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("api with a half-signed-in cookie: %d", r.Status)
		}
		page := c.Get("/account/totp")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "绑定动态验证码") ||
			!strings.Contains(page.Body, "otpauth://totp/") || strings.Contains(page.Body, "sidenav") {
			t.Fatalf("enrolment page: %d %s", page.Status, page.Body)
		}
		secret := e.EnrolmentSecret(page.Body)
		if !strings.Contains(page.Body, totp.Group(totp.Encode(secret))) {
			t.Fatal("the page does not show the secret in groups")
		}
		// Viewing the page stores nothing and shows the same secret again.
		if again := c.Get("/account/totp"); string(e.EnrolmentSecret(again.Body)) != string(secret) {
			t.Fatal("a second view of the enrolment page shows another secret")
		}
		if n := e.Count(`SELECT COUNT(*) FROM user_totp WHERE user_id = $1`, admin.UserID); n != 0 {
			t.Fatalf("viewing the enrolment page stored %d rows", n)
		}
		// Another session of the same user gets another secret.
		if c2, r2 := signInPassword(e, "lvye_admin", testenv.Password); r2.Location == "/account/totp" {
			if other := e.EnrolmentSecret(c2.Get("/account/totp").Body); string(other) == string(secret) {
				t.Fatal("two sessions are shown the same enrolment secret")
			}
		}
		if qr := c.Get("/account/totp/qr"); qr.Status != http.StatusOK || qr.Header.Get("Content-Type") != "image/png" ||
			!strings.HasPrefix(qr.Body, "\x89PNG") {
			t.Fatalf("qr: %d %s", qr.Status, qr.Header.Get("Content-Type"))
		}
		if r := c.PostForm("/account/totp", url.Values{"code": {"000000"}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "验证码不正确") {
			t.Fatalf("wrong enrolment code: %d", r.Status)
		}
		firstCode := totp.Code(secret, e.Clock.Now())
		r = c.PostForm("/account/totp", url.Values{"code": {firstCode}})
		codes := recoveryRE.FindAllStringSubmatch(r.Body, -1)
		if r.Status != http.StatusOK || len(codes) != 10 {
			t.Fatalf("confirm: %d, %d recovery codes", r.Status, len(codes))
		}
		if n := e.Count(`SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = $1 AND code_hash = $2`, admin.UserID, codes[0][1]); n != 0 {
			t.Fatal("recovery codes stored in plain text")
		}
		if r := c.Get("/users"); r.Status != http.StatusOK {
			t.Fatalf("after enrolment: %d", r.Status)
		}
		// Stored encrypted, never in plain base32.
		var stored string
		e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT secret FROM user_totp WHERE user_id = $1`, admin.UserID).Scan(&stored)
		if strings.Contains(stored, totp.Encode(secret)) || !strings.HasPrefix(stored, "v1:") ||
			string(e.TOTPSecret("lvye_admin")) != string(secret) {
			t.Fatalf("secret stored as %q", stored)
		}
		if r := c.Get("/account/totp"); !strings.Contains(r.Body, "已绑定") || strings.Contains(r.Body, totp.Encode(secret)) {
			t.Fatal("the secret is shown again after enrolment")
		}
		if r := c.Get("/account/totp/qr"); r.Status != http.StatusConflict {
			t.Fatalf("qr after enrolment: %d", r.Status)
		}
		c.PostForm("/logout", nil)

		// Next sign-in: password, then the code. The code just used for
		// enrolment is refused.
		c, r = signInPassword(e, "lvye_admin", testenv.Password)
		if !strings.HasPrefix(r.Location, "/login/totp") {
			t.Fatalf("second sign-in goes to %q", r.Location)
		}
		if r := c.Get("/"); r.Location != "/login/totp" {
			t.Fatalf("home before the code: %d %q", r.Status, r.Location)
		}
		if r := c.Get("/login/totp"); r.Status != http.StatusOK || !strings.Contains(r.Body, "动态验证码") {
			t.Fatalf("second step page: %d", r.Status)
		}
		r = c.PostForm("/login/totp", url.Values{"code": {firstCode}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "该验证码已使用，请等待下一个验证码") {
			t.Fatalf("reused code: %d %s", r.Status, r.Body)
		}
		r = c.PostForm("/login/totp", url.Values{"code": {"123456"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "验证码不正确") {
			t.Fatalf("wrong code: %d", r.Status)
		}
		e.Clock.Advance(30 * time.Second)
		code := totp.Code(secret, e.Clock.Now())
		if r := c.PostForm("/login/totp", url.Values{"code": {code}, "next": {"/users"}}); r.Status != http.StatusSeeOther || r.Location != "/users" {
			t.Fatalf("right code: %d %q %s", r.Status, r.Location, r.Body)
		}
		if r := c.Get("/users"); r.Status != http.StatusOK {
			t.Fatalf("signed in: %d", r.Status)
		}
		// The same code in another session (same time step) is refused.
		c2, _ := signInPassword(e, "lvye_admin", testenv.Password)
		if r := c2.PostForm("/login/totp", url.Values{"code": {code}}); !strings.Contains(r.Body, "该验证码已使用") {
			t.Fatalf("replayed code in a new session: %d", r.Status)
		}
		// A recovery code works once.
		if r := c2.PostForm("/login/totp", url.Values{"code": {strings.ToUpper(codes[3][1])}}); r.Status != http.StatusSeeOther {
			t.Fatalf("recovery code: %d %s", r.Status, r.Body)
		}
		c3, _ := signInPassword(e, "lvye_admin", testenv.Password)
		if r := c3.PostForm("/login/totp", url.Values{"code": {codes[3][1]}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("recovery code reused: %d", r.Status)
		}

		// The JSON API needs the code too; a bearer token, once issued,
		// is not asked for it again.
		anon := e.Anon()
		if r := anon.JSON("POST", "/api/v1/session", map[string]string{"username": "lvye_admin", "password": testenv.Password}); r.Status != http.StatusUnauthorized ||
			!strings.Contains(r.Body, "请输入动态验证码") {
			t.Fatalf("api sign-in without code: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(30 * time.Second)
		r = anon.JSON("POST", "/api/v1/session", map[string]string{"username": "lvye_admin", "password": testenv.Password,
			"totp_code": totp.Code(secret, e.Clock.Now())})
		if r.Status != http.StatusCreated {
			t.Fatalf("api sign-in with code: %d %s", r.Status, r.Body)
		}
		var tok struct{ Token string }
		json.Unmarshal([]byte(r.Body), &tok)
		api := &testenv.Client{E: e, HTTP: &http.Client{}, Token: tok.Token}
		if r := api.JSON("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
			t.Fatalf("bearer token: %d", r.Status)
		}

		// A worker is not required to enrol; the menu offers it.
		wc := e.Login(worker)
		if r := wc.Get("/"); r.Status != http.StatusOK || !strings.Contains(r.Body, `href="/account/totp"`) {
			t.Fatalf("worker home: %d", r.Status)
		}
		if r := wc.Get("/settings/security"); r.Status != http.StatusForbidden {
			t.Fatalf("worker on security settings: %d", r.Status)
		}

		n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'auth.totp_verify' AND outcome = 'failed'`)
		if n != 4 {
			t.Fatalf("failed codes audited: %d", n)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'auth.totp_enrol'`); n != 1 {
			t.Fatalf("enrolment audited %d times", n)
		}
	})
}

func TestSecondFactorLockout(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		admin := o.User("lvye_admin", false, authz.RoleOrgAdmin)
		_ = e.Login(admin) // enrols
		// Wrong codes count like wrong passwords; a correct password in
		// between does not clear them.
		for i := range 5 {
			c, r := signInPassword(e, "lvye_admin", testenv.Password)
			if !strings.HasPrefix(r.Location, "/login/totp") {
				t.Fatalf("attempt %d: %d %q", i, r.Status, r.Location)
			}
			c.PostForm("/login/totp", url.Values{"code": {"999999"}})
			e.Clock.Advance(time.Minute)
		}
		c, r := signInPassword(e, "lvye_admin", testenv.Password)
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "临时锁定") {
			t.Fatalf("after 5 wrong codes: %d %q", r.Status, r.Location)
		}
		_ = c
		e.Clock.Advance(31 * time.Minute)
		if c := e.Login(admin); c.Get("/users").Status != http.StatusOK {
			t.Fatal("not signed in after the lock ended")
		}
	})
}

func TestSecuritySettingsAndReset(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		admin := o.User("lvye_admin", false, authz.RoleOrgAdmin)
		admin2 := o.User("lvye_admin2", false, authz.RoleOrgAdmin)
		worker := o.User("wang", true, authz.RoleWorker)
		head := o.User("head", true, authz.RoleCentreHead)
		ac := e.Login(admin)

		if r := ac.Get("/settings/security"); r.Status != http.StatusOK || !strings.Contains(r.Body, "等保三级") {
			t.Fatalf("settings page: %d", r.Status)
		}
		// A bad profile is refused beside the field.
		r := ac.PostForm("/settings/security", url.Values{"password_profile": {"weak"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "密码策略") {
			t.Fatalf("bad profile: %d", r.Status)
		}
		// Require centre heads too, and the dengbao profile.
		r = ac.PostForm("/settings/security", url.Values{"totp_roles": {"org_admin", "centre_head"}, "password_profile": {"dengbao"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		if _, r := signInPassword(e, "head", testenv.Password); r.Location != "/account/totp" {
			t.Fatalf("centre head not sent to enrolment: %q", r.Location)
		}
		if _, r := signInPassword(e, "wang", testenv.Password); r.Location != "/" {
			t.Fatalf("worker: %q", r.Location)
		}
		// Everyone.
		ac.PostForm("/settings/security", url.Values{"totp_all": {"1"}, "password_profile": {"asvs"}})
		if _, r := signInPassword(e, "wang", testenv.Password); r.Location != "/account/totp" {
			t.Fatalf("worker with everyone required: %q", r.Location)
		}
		// Nobody: an enrolled user is still asked for the code.
		ac.PostForm("/settings/security", url.Values{"password_profile": {"asvs"}})
		if _, r := signInPassword(e, "wang", testenv.Password); r.Location != "/" {
			t.Fatalf("worker with nobody required: %q", r.Location)
		}
		if _, r := signInPassword(e, "lvye_admin", testenv.Password); !strings.HasPrefix(r.Location, "/login/totp") {
			t.Fatalf("enrolled admin not asked for the code: %q", r.Location)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'auth.security_settings'`); n != 3 {
			t.Fatalf("settings changes audited: %d", n)
		}
		// The API reads and writes the same settings.
		api := e.APIClient(admin)
		r = api.JSON("GET", "/api/v1/settings/security", nil)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"totp_all":false`) || !strings.Contains(r.Body, `"password_profile":"asvs"`) {
			t.Fatalf("api settings: %d %s", r.Status, r.Body)
		}
		r = api.JSON("PUT", "/api/v1/settings/security", map[string]any{"totp_all": false, "totp_roles": []string{"platform_operator"}, "password_profile": "asvs"})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("platform role in an agency: %d %s", r.Status, r.Body)
		}
		r = api.JSON("PUT", "/api/v1/settings/security", map[string]any{"totp_all": false, "totp_roles": []string{"org_admin"}, "password_profile": "asvs"})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"totp_roles":["org_admin"]`) {
			t.Fatalf("api settings back to the default: %d %s", r.Status, r.Body)
		}

		// Another admin resets the first admin's second factor: sessions
		// end, the next sign-in enrols again, and it is audited.
		a2 := e.Login(admin2)
		if r := a2.Get("/users/" + itoa64(admin.UserID)); !strings.Contains(r.Body, "重置动态验证码") || !strings.Contains(r.Body, "已绑定") {
			t.Fatalf("user page: %d", r.Status)
		}
		if r := a2.PostForm("/users/"+itoa64(admin2.UserID)+"/totp/reset", nil); r.Status != http.StatusForbidden {
			t.Fatalf("reset own factor: %d", r.Status)
		}
		if r := a2.PostForm("/users/"+itoa64(admin.UserID)+"/totp/reset", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("reset: %d %s", r.Status, r.Body)
		}
		if r := ac.Get("/users"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Fatalf("reset admin's session still works: %d %q", r.Status, r.Location)
		}
		// The bearer token issued earlier is unaffected.
		if r := api.JSON("GET", "/api/v1/me", nil); r.Status != http.StatusOK {
			t.Fatalf("token after reset: %d", r.Status)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'auth.totp_reset' AND user_id = $1 AND object_id = $2`,
			admin2.UserID, itoa64(admin.UserID)); n != 1 {
			t.Fatalf("reset audited %d times", n)
		}
		if _, r := signInPassword(e, "lvye_admin", testenv.Password); r.Location != "/account/totp" {
			t.Fatalf("after reset: %q", r.Location)
		}
		_ = head
		_ = worker
	})
}

func TestPlatformOperatorsNeedSecondFactorByDefault(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		e.Platform().User("ops", false, authz.RolePlatformOperator)
		if _, r := signInPassword(e, "ops", testenv.Password); r.Location != "/account/totp" {
			t.Fatalf("platform operator sign-in goes to %q", r.Location)
		}
		// An API sign-in cannot skip enrolment.
		r := e.Anon().JSON("POST", "/api/v1/session", map[string]string{"username": "ops", "password": testenv.Password})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "请先在网页上登录并完成绑定") {
			t.Fatalf("api sign-in before enrolment: %d %s", r.Status, r.Body)
		}
	})
}

func TestPasswordPoliciesOnPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		e.Exec(`UPDATE organizations SET totp_roles = '' WHERE id = $1`, o.ID)
		admin := o.User("lvye_admin", false, authz.RoleOrgAdmin)
		w := o.User("wang", true, authz.RoleWorker)
		ac := e.Login(admin)
		api := e.APIClient(admin)
		// Only the API takes an initial password; the pages generate one.
		create := func(username, pw string) testenv.Response {
			return api.JSON("POST", "/api/v1/users", map[string]any{"username": username, "display_name": "新同工",
				"roles": []string{"worker"}, "password": pw})
		}
		// ASVS (default): length, breached list, username, organization name.
		for pw, want := range map[string]string{
			"Short-pw-1":        "至少需要12个字符",
			"1q2w3e4r5t6y":      "太常见",
			"xiaoli-is-me-2026": "不能包含用户名",
			"绿叶社工的新同工的登录密码": "不能包含机构名称",
		} {
			if r := create("xiaoli", pw); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
				t.Errorf("create with %q: %d, want %q", pw, r.Status, want)
			}
		}
		if r := create("xiaoli", "a long and quiet passphrase"); r.Status != http.StatusCreated {
			t.Fatalf("create with a good passphrase: %d %s", r.Status, r.Body)
		}
		// The password page explains the policy in force.
		wc := e.Login(w)
		if r := wc.Get("/account/password"); !strings.Contains(r.Body, "至少12个字符") {
			t.Fatal("ASVS help missing")
		}
		// Dengbao: composition, and the 90-day change enforced at sign-in.
		ac.PostForm("/settings/security", url.Values{"password_profile": {"dengbao"}})
		if r := create("xiaozhao", "abcdefgh12"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "至少三类") {
			t.Fatalf("dengbao composition: %d", r.Status)
		}
		if r := wc.Get("/account/password"); !strings.Contains(r.Body, "至少8个字符，包含大写字母") {
			t.Fatal("dengbao help missing")
		}
		r := wc.PostForm("/account/password", url.Values{"old_password": {testenv.Password}, "new_password": {"Lvye-2026"}, "confirm_password": {"Lvye-2026"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("change under dengbao: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(90 * 24 * time.Hour)
		c, r := signInPassword(e, "wang", "Lvye-2026")
		if r.Location != "/account/password" {
			t.Fatalf("expired password: sign-in goes to %q", r.Location)
		}
		if r := c.Get("/"); r.Location != "/account/password" {
			t.Fatalf("home with an expired password: %q", r.Location)
		}
		if r := c.Get("/account/password"); !strings.Contains(r.Body, "已超过90天未修改") {
			t.Fatal("expiry notice missing")
		}
		// The current password cannot be reused, nor can the one before.
		for _, pw := range []string{"Lvye-2026", testenv.Password} {
			r := c.PostForm("/account/password", url.Values{"old_password": {"Lvye-2026"}, "new_password": {pw}, "confirm_password": {pw}})
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("reuse of %q: %d", pw, r.Status)
			}
		}
		r = c.PostForm("/account/password", url.Values{"old_password": {"Lvye-2026"}, "new_password": {"Lvye-2026-q2"}, "confirm_password": {"Lvye-2026-q2"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("new password: %d %s", r.Status, r.Body)
		}
		if r := c.Get("/"); r.Status != http.StatusOK {
			t.Fatalf("home after the change: %d", r.Status)
		}
	})
}

// A signed-in user renews their recovery codes with a code from the app:
// the old codes, used or not, stop working; a recovery code, a wrong or a
// reused code is refused next to the field and changes nothing; another
// user's codes are untouched; the renewal is audited.
func TestRecoveryCodesRegenerate(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		admin := o.User("lvye_admin", false, authz.RoleOrgAdmin)
		other := o.User("lvye_admin2", false, authz.RoleOrgAdmin)
		enrol := func(username string) (*testenv.Client, []byte, []string) {
			c, _ := signInPassword(e, username, testenv.Password)
			secret := e.EnrolmentSecret(c.Get("/account/totp").Body)
			r := c.PostForm("/account/totp", url.Values{"code": {totp.Code(secret, e.Clock.Now())}})
			var codes []string
			for _, m := range recoveryRE.FindAllStringSubmatch(r.Body, -1) {
				codes = append(codes, m[1])
			}
			if len(codes) != 10 {
				t.Fatalf("%s enrolment: %d, %d codes", username, r.Status, len(codes))
			}
			return c, secret, codes
		}
		c, secret, old := enrol("lvye_admin")
		_, _, othersCodes := enrol("lvye_admin2")

		page := c.Get("/account/totp")
		if !strings.Contains(page.Body, "重新生成恢复码") || !strings.Contains(page.Body, "现有 10 个将全部作废") {
			t.Fatalf("the enrolled page offers no renewal: %s", page.Body)
		}
		// Refusals: a recovery code, a wrong code, the code used at enrolment.
		for _, bad := range []struct{ code, msg string }{
			{old[0], "恢复码不能用来生成新的恢复码"},
			{"000000", "验证码不正确"},
			{totp.Code(secret, e.Clock.Now()), "该验证码已使用"},
		} {
			r := c.PostForm("/account/recovery-codes", url.Values{"code": {bad.code}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, bad.msg) || !strings.Contains(r.Body, `id="f-code"`) {
				t.Fatalf("code %q: %d, want 422 with %q next to the field; %s", bad.code, r.Status, bad.msg, r.Body)
			}
		}
		if n := e.Count(`SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, admin.UserID); n != 10 {
			t.Fatalf("a refused renewal changed the codes: %d unused", n)
		}

		e.Clock.Advance(30 * time.Second)
		r := c.PostForm("/account/recovery-codes", url.Values{"code": {totp.Code(secret, e.Clock.Now())}})
		var fresh []string
		for _, m := range recoveryRE.FindAllStringSubmatch(r.Body, -1) {
			fresh = append(fresh, m[1])
		}
		if r.Status != http.StatusOK || len(fresh) != 10 || !strings.Contains(r.Body, "新的恢复码") {
			t.Fatalf("renewal: %d, %d codes", r.Status, len(fresh))
		}
		// An old code no longer signs in; a new one does, once.
		c2, _ := signInPassword(e, "lvye_admin", testenv.Password)
		if r := c2.PostForm("/login/totp", url.Values{"code": {old[5]}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("old recovery code after renewal: %d", r.Status)
		}
		if r := c2.PostForm("/login/totp", url.Values{"code": {fresh[5]}}); r.Status != http.StatusSeeOther {
			t.Fatalf("new recovery code: %d %s", r.Status, r.Body)
		}
		// The other admin's codes still work.
		c3, _ := signInPassword(e, "lvye_admin2", testenv.Password)
		if r := c3.PostForm("/login/totp", url.Values{"code": {othersCodes[0]}}); r.Status != http.StatusSeeOther {
			t.Fatalf("another user's codes after the renewal: %d", r.Status)
		}

		// The API does the same with JSON.
		e.Clock.Advance(30 * time.Second)
		jr := c.JSON("POST", "/api/v1/account/recovery-codes", map[string]string{"code": "12345"})
		if jr.Status != http.StatusUnprocessableEntity {
			t.Fatalf("api with a short code: %d %s", jr.Status, jr.Body)
		}
		jr = c.JSON("POST", "/api/v1/account/recovery-codes", map[string]string{"code": totp.Code(secret, e.Clock.Now())})
		var out struct{ Codes []string }
		json.Unmarshal([]byte(jr.Body), &out)
		if jr.Status != http.StatusOK || len(out.Codes) != 10 || jr.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("api renewal: %d %s", jr.Status, jr.Body)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'auth.recovery_codes' AND user_id = $1`, admin.UserID); n != 2 {
			t.Fatalf("renewals audited %d times, want 2", n)
		}
		if n := e.Count(`SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = $1`, other.UserID); n != 10 {
			t.Fatalf("other user's codes: %d", n)
		}
		// Without a second factor there is nothing to renew.
		worker := o.User("wang", true, authz.RoleWorker)
		wc := e.Login(worker)
		if r := wc.JSON("POST", "/api/v1/account/recovery-codes", map[string]string{"code": "123456"}); r.Status != http.StatusConflict {
			t.Fatalf("renewal without a factor: %d %s", r.Status, r.Body)
		}
	})
}
