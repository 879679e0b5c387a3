package e2e

import (
	"net/url"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// TestAuditLogPage: the organization administrator opens 系统设置 › 审计日志
// from the menu, sees the chain intact and narrows the list to failed
// sign-ins.
func TestAuditLogPage(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	o.User("lvye_admin", false, authz.RoleOrgAdmin)
	// Signing in with the second factor is TestSecondFactorInBrowser's
	// subject; this organization requires none.
	e.Exec(`UPDATE organizations SET totp_roles = '' WHERE id = $1`, o.ID)
	o.User("wang", true, authz.RoleWorker)
	e.Anon().PostForm("/login", url.Values{"username": {"wang"}, "password": {"wrong-password"}})

	b := NewBrowser(t, e.HTTP.URL, "audit-log", 1280, 800)
	b.Open("/login")
	b.Fill("#f-username", "lvye_admin")
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")
	b.Click(`.sidenav a[href="/audit"]`)
	b.MustSee("审计日志", "审计链完整（2 条）", "登录", "auth.login", "失败", "成功")
	b.Shot("list")
	b.Select("#flt-outcome", "failed")
	b.Click(".filter-actions button[type=submit]")
	b.MustSee("共 1 条", "用户名或密码错误")
	b.Shot("failed-sign-ins")
}
