package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// TestStaffFlow: HR records a new staff member (fixing a bad phone number
// the form points out), transfers them, names a supervisor, and opens the
// distribution report whose chart is drawn without inline script.
func TestStaffFlow(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	north := o.Site("黄江镇北岸社区综合服务中心", "centre")
	xinshi := o.Site("黄江镇新市社区综合服务中心", "centre")
	e.Exec(`INSERT INTO domains (org_id, name) VALUES ($1, '青少年'), ($1, '长者')`, o.ID)
	o.User("hr", true, authz.RoleHR)
	sup := o.User("zhou", true, authz.RoleSupervisor).Assign(north, "supervisor")
	e.Exec(`UPDATE staff SET name = '周督导', title = 'supervisor' WHERE id = $1`, sup.StaffID)

	b := NewBrowser(t, e.HTTP.URL, "staff-flow", 1280, 900)
	b.Open("/login")
	b.Fill("#f-username", "hr")
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")

	b.Open("/staff/new")
	b.Fill("#f-employee_no", "HJ001")
	b.Fill("#f-name", "陈晓")
	b.Select("#f-gender", "女")
	b.Select("#f-title", "assistant_social_worker")
	b.Fill("#f-phone", "1380013800")
	b.Select("#f-hire_date", "2025-09-01")
	b.Select("#f-site_id", strconv.FormatInt(north, 10))
	b.Click("#main form button[type=submit]")
	b.MustSee("手机号码格式不正确")
	b.Shot("bad-phone")
	b.Fill("#f-phone", "138 0013 8000")
	b.Click("#main form button[type=submit]")
	b.MustSee("同工档案已保存", "13800138000", "黄江镇北岸社区综合服务中心", "一线社工")
	b.Shot("record")
	path := b.URL()[len(e.HTTP.URL):]

	b.Open(path + "/assign")
	b.Select("#f-site_id", strconv.FormatInt(xinshi, 10))
	b.Select("#f-position", "centre_head")
	b.Select("#f-start_date", "2026-02-01")
	b.Select("#f-note", "调任中心负责人")
	b.Click("#main form button[type=submit]")
	b.MustSee("任职已更新", "黄江镇新市社区综合服务中心", "中心负责人", "2026-01-31", "已结束")

	b.Open(path + "/supervisor")
	b.Select("#f-supervisor_id", strconv.FormatInt(sup.StaffID, 10))
	b.Click("#main form button[type=submit]")
	b.MustSee("督导关系已更新", "周督导")
	b.Shot("transferred")

	b.Open("/staff")
	b.MustSee("138****8000", "陈晓", "周督导")
	if strings.Contains(b.Text("main"), "13800138000") {
		t.Fatal("the list shows a full phone number")
	}

	b.Open("/staff/report")
	b.MustSee("同工分布", "黄江镇新市社区综合服务中心", "助理社工师")
	b.Run(chromedp.WaitVisible(chromedp.CSS("div.chart canvas")))
	b.Shot("report")
}
