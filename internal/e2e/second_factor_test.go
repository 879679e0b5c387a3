package e2e

import (
	"testing"
	"time"

	"shegong/internal/auth/totp"
	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// TestSecondFactorInBrowser: an organization admin, who must use a second
// factor by default, is sent to enrolment after the password, reads the
// secret off the page into an authenticator (here: the totp package on the
// test clock), confirms, keeps the recovery codes, signs out and in again
// with password and code; a code already used is refused. On a desktop and
// on a phone.
func TestSecondFactorInBrowser(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	o.User("lvye_admin", false, authz.RoleOrgAdmin)
	o.User("lvye_admin2", false, authz.RoleOrgAdmin)

	b := NewBrowser(t, e.HTTP.URL, "totp", 1280, 900)
	signIn := func(b *Browser, user string) {
		b.Open("/login")
		b.Fill("#f-username", user)
		b.Fill("#f-password", testenv.Password)
		b.Click("#main button[type=submit]")
	}
	signIn(b, "lvye_admin")
	b.MustSee("绑定动态验证码", "本机构要求您的账号使用动态验证码", "otpauth://totp/")
	b.Shot("enrol")
	secret, err := totp.Decode(b.Text("#totp-secret"))
	if err != nil {
		t.Fatalf("secret on the page: %v", err)
	}
	// Nothing else is reachable before enrolment.
	b.Open("/users")
	b.MustSee("绑定动态验证码")
	first := totp.Code(secret, e.Clock.Now())
	b.Fill("#f-code", "000000")
	b.Click("#totp-confirm")
	b.MustSee("验证码不正确")
	b.Fill("#f-code", first)
	b.Click("#totp-confirm")
	b.MustSee("动态验证码已绑定", "恢复码只显示这一次")
	b.Shot("recovery-codes")
	b.Click("#totp-continue")
	b.MustSee("工作台")
	b.Click(".top-actions form button[type=submit]")
	b.MustSee("请使用机构分配的账号登录")

	signIn(b, "lvye_admin")
	b.MustSee("动态验证码", "密码已验证")
	b.Shot("second-step")
	b.Fill("#f-code", first)
	b.Click("#totp-verify")
	b.MustSee("该验证码已使用，请等待下一个验证码")
	b.Shot("code-reused")
	e.Clock.Advance(30 * time.Second)
	b.Fill("#f-code", totp.Code(secret, e.Clock.Now()))
	b.Click("#totp-verify")
	b.MustSee("工作台")
	b.Open("/account/totp")
	b.MustSee("已绑定", "剩余恢复码", "10 个", "重新生成恢复码")
	b.Shot("status")
	// Renewing the recovery codes takes a fresh code from the app.
	e.Clock.Advance(30 * time.Second)
	b.Fill("#f-code", "000000")
	b.Click("#recovery-new")
	b.MustSee("验证码不正确")
	b.Fill("#f-code", totp.Code(secret, e.Clock.Now()))
	b.Click("#recovery-new")
	b.MustSee("新的恢复码", "原有的恢复码（包括未用过的）已全部作废")
	b.Shot("recovery-codes-renewed")
	b.Open("/settings/security")
	b.MustSee("登录安全", "所有账号都须使用动态验证码", "等保三级")
	b.Shot("settings")

	// The same pages at a phone's width.
	phone := NewBrowser(t, e.HTTP.URL, "totp-phone", 390, 844)
	signIn(phone, "lvye_admin2")
	phone.MustSee("绑定动态验证码", "otpauth://totp/")
	phone.Shot("enrol-phone")
	phoneSecret, err := totp.Decode(phone.Text("#totp-secret"))
	if err != nil {
		t.Fatal(err)
	}
	phone.Fill("#f-code", totp.Code(phoneSecret, e.Clock.Now()))
	phone.Click("#totp-confirm")
	phone.MustSee("动态验证码已绑定")
	phone.Shot("recovery-codes-phone")
	phone.Click("#totp-continue")
	phone.Click(".top-actions form button[type=submit]")
	e.Clock.Advance(30 * time.Second)
	signIn(phone, "lvye_admin2")
	phone.MustSee("密码已验证")
	phone.Shot("second-step-phone")
	phone.Fill("#f-code", totp.Code(phoneSecret, e.Clock.Now()))
	phone.Click("#totp-verify")
	phone.MustSee("工作台")
}
