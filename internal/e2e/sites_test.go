package e2e

import (
	"strconv"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// TestSetUpServicePoint is what an administrator does on the first day: add
// the town and the purchaser, create the centre, correct a mistake the form
// points out, register its contract year, and look at it from a phone.
func TestSetUpServicePoint(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	o.User("admin", false, authz.RoleOrgAdmin)
	// Signing in with the second factor is TestSecondFactorInBrowser's
	// subject; this organization requires none.
	e.Exec(`UPDATE organizations SET totp_roles = '' WHERE id = $1`, o.ID)

	b := NewBrowser(t, e.HTTP.URL, "org-site-setup", 1280, 900)
	b.Open("/login")
	b.Fill("#f-username", "admin")
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")
	b.MustSee("组织架构", "服务点", "镇街与用人单位", "领域")

	b.Open("/towns")
	b.Fill("#f-name", "黄江镇")
	b.Click("#main form[method=post] button[type=submit]")
	b.MustSee("镇街「黄江镇」已添加")
	b.Open("/purchasers")
	b.Fill("#f-name", "黄江镇社会事务局")
	b.Fill("#f-contact", "李科长")
	b.Fill("#f-phone", "0769-83631234")
	b.Click("#main form[method=post] button[type=submit]")
	b.MustSee("用人单位「黄江镇社会事务局」已添加", "0769-83631234")
	b.Shot("purchasers")

	b.Open("/sites/new")
	b.Fill("#f-code", "HJ-BA01")
	b.Fill("#f-name", "黄江镇北岸社区综合服务中心")
	b.Fill("#f-phone", "8363")
	b.Click("#main form button[type=submit]")
	b.MustSee("电话号码格式不正确")
	b.Shot("site-form-error")
	b.Fill("#f-phone", "0769-83630001")
	b.Fill("#f-address", "黄江镇北岸社区文化路1号")
	b.Select("#f-town_id", strconv.Itoa(e.Count(`SELECT id FROM towns WHERE org_id = $1`, o.ID)))
	b.Select("#f-purchaser_id", strconv.Itoa(e.Count(`SELECT id FROM purchasers WHERE org_id = $1`, o.ID)))
	b.Click("#main form button[type=submit]")
	b.MustSee("服务点已创建", "HJ-BA01", "社区综合服务中心", "黄江镇社会事务局", "还没有登记合同年")

	b.Click("a[href$='/contract-years/new']")
	b.Fill("#f-label", "2026合同年")
	b.Fill("#f-amount", "1,234,567.89")
	// Date inputs take their value directly; typing depends on the browser's locale.
	b.Select("#f-start_date", "2026-04-01")
	b.Select("#f-end_date", "2027-03-31")
	b.Click("#main form button[type=submit]")
	b.MustSee("合同年已添加", "2026-04-01 至 2027-03-31", "¥1,234,567.89", "未开始", "新增合同年")
	b.Shot("site-page")

	b.Open("/sites")
	b.MustSee("共 1 条", "黄江镇北岸社区综合服务中心", "导出Excel")
	b.Shot("site-list")

	b.Open("/departments/new")
	b.Fill("#f-name", "服务部")
	b.Select("#f-kind", "service")
	b.Select("#f-duties", "统筹各服务点的专业服务\n每月检查个案档案并组织督导")
	b.Click("#main form button[type=submit]")
	b.MustSee("部门已创建", "服务部", "统筹各服务点的专业服务", "每月检查个案档案并组织督导", "新建部门")
	b.Shot("department-page")

	phone := NewBrowser(t, e.HTTP.URL, "org-site-phone", 390, 844)
	phone.Open("/login")
	phone.Fill("#f-username", "admin")
	phone.Fill("#f-password", testenv.Password)
	phone.Click("#main button[type=submit]")
	phone.Open("/sites")
	phone.MustSee("黄江镇北岸社区综合服务中心")
	phone.Shot("site-list-phone")
}
