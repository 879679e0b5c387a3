package e2e

import (
	"strconv"
	"testing"

	"shegong/internal/demo"
	"shegong/internal/testenv"
)

// TestPlatformFlowOnDemo walks the platform's main flow on the demo
// organization, as a new user would after `serve --demo`: the organization
// admin creates a service point, HR records a staff member there and gives
// them a supervisor, a worker files a general request and the centre head
// approves it.
func TestPlatformFlowOnDemo(t *testing.T) {
	e := testenv.New(t, "")
	if err := demo.PlatformOperator(e.Ctx, e.Sys.DB, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := demo.Load(e.Ctx, e.Sys.DB, e.Sys.Cipher, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	signInAs := func(b *Browser, user string) {
		b.Open("/login")
		b.Fill("#f-username", user)
		b.Fill("#f-password", demo.Password)
		b.Click("#main button[type=submit]")
		b.MustSee("工作台")
	}

	// 1. The organization admin creates a service point.
	admin := NewBrowser(t, e.HTTP.URL, "flow-1-admin", 1280, 900)
	signInAs(admin, "admin")
	admin.Shot("home")
	admin.Open("/sites/new")
	admin.Fill("#f-code", "DC")
	admin.Fill("#f-name", "东城街道社区综合服务中心")
	admin.Select("#f-kind", "centre")
	admin.Fill("#f-phone", "0769-2233")
	admin.Click("#main form button[type=submit]")
	admin.MustSee("电话")
	admin.Shot("site-error")
	admin.Fill("#f-phone", "0769-22334455")
	admin.Click("#main form button[type=submit]")
	admin.MustSee("东城街道社区综合服务中心", "启用")
	admin.Shot("site-created")
	siteID := e.Count(`SELECT id FROM sites WHERE code = 'DC'`)

	// 2. HR records a staff member there and assigns a supervisor.
	hr := NewBrowser(t, e.HTTP.URL, "flow-2-hr", 1280, 900)
	signInAs(hr, "renshi")
	hr.Open("/staff/new")
	hr.Fill("#f-employee_no", "LY0100")
	hr.Fill("#f-name", "王小明")
	hr.Select("#f-gender", "男")
	hr.Select("#f-title", "assistant_social_worker")
	hr.Fill("#f-phone", "13712345678")
	hr.Select("#f-hire_date", "2026-03-01")
	hr.Select("#f-site_id", strconv.Itoa(siteID))
	hr.Select("#f-position", "worker")
	hr.Click("#main form button[type=submit]")
	hr.MustSee("王小明", "东城街道社区综合服务中心")
	hr.Shot("staff-created")
	staffID := e.Count(`SELECT id FROM staff WHERE employee_no = 'LY0100'`)
	supervisor := e.Count(`SELECT s.id FROM staff s JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id WHERE u.username = 'dudao1'`)
	hr.Open("/staff/" + strconv.Itoa(staffID) + "/supervisor")
	hr.Select("#f-supervisor_id", strconv.Itoa(supervisor))
	hr.Click("#main form button[type=submit]")
	hr.MustSee("陈志明")
	hr.Shot("supervisor-assigned")

	// 3. A worker at 北岸 files a general request; the centre head approves it.
	beian := e.Count(`SELECT id FROM sites WHERE code = 'BA'`)
	w := NewBrowser(t, e.HTTP.URL, "flow-3-worker", 1280, 900)
	signInAs(w, "beian_sg1")
	w.Open("/approvals/general/new")
	w.Select("#f-site_id", strconv.Itoa(beian))
	w.Fill("#f-title", "申请购买长者生日会物资")
	write(w, "#f-content", "四月长者生日会，30位长者参加，购买蛋糕和水果。")
	w.Fill("#f-amount", "860.50")
	w.Click("#main button[type=submit]")
	w.MustSee("申请已提交", "中心负责人审批")
	w.Shot("request-submitted")

	head := NewBrowser(t, e.HTTP.URL, "flow-4-head", 1280, 900)
	signInAs(head, "beian_head")
	head.MustSee("申请购买长者生日会物资")
	head.Shot("home-with-todo")
	// The demo has requests of its own waiting; open the one just filed.
	head.Open("/approvals/" + strconv.Itoa(e.Count(`SELECT MAX(id) FROM approvals WHERE kind = 'general'`)))
	head.MustSee("¥860.50")
	write(head, "#f-comment", "同意，请保留发票。")
	head.Click("button[value=approve]")
	head.MustSee("已同意")
	head.Shot("approved")

	w.Open("/approvals/mine")
	w.MustSee("已通过")
	w.Shot("mine-approved")
}
