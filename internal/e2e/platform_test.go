package e2e

import (
	"testing"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// TestSignInAndHome signs in with a forced password change and sees the home
// page with its menu, on a desktop and on a phone.
func TestSignInAndHome(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	site := o.Site("黄江镇北岸社区综合服务中心", "centre")
	head := o.User("head", true, authz.RoleCentreHead).Assign(site, "centre_head")
	e.Exec(`UPDATE users SET must_change_password = TRUE WHERE id = $1`, head.UserID)
	e.Exec(`INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen) VALUES ($1, $2, '2025合同年', '2025-04-01', '2026-03-20', 120000000)`, o.ID, site)

	b := NewBrowser(t, e.HTTP.URL, "platform-signin", 1280, 800)
	b.Open("/")
	b.MustSee("请使用机构分配的账号登录")
	b.Fill("#f-username", "head")
	b.Fill("#f-password", "wrong-password")
	b.Click("#main button[type=submit]")
	b.MustSee("用户名或密码错误")
	b.Shot("login-error")
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")
	b.MustSee("请先设置自己的新密码")
	b.Shot("must-change")
	b.Fill("#f-old_password", testenv.Password)
	b.Fill("#f-new_password", "Beian-2026-new")
	b.Fill("#f-confirm_password", "Beian-2026-new")
	b.Click("#main button[type=submit]")
	b.MustSee("工作台", "密码已修改", "合同年到期", "北岸社区综合服务中心")
	b.Shot("home")

	phone := NewBrowser(t, e.HTTP.URL, "platform-phone", 390, 844)
	phone.Open("/login")
	phone.Fill("#f-username", "head")
	phone.Fill("#f-password", "Beian-2026-new")
	phone.Click("#main button[type=submit]")
	phone.MustSee("工作台")
	phone.Shot("home-phone")
}
