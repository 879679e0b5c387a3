package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

func signIn(b *Browser, username string) {
	b.T.Helper()
	b.Open("/login")
	b.Fill("#f-username", username)
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")
	b.MustSee("工作台")
}

// write sets a textarea's text (Fill cannot clear an empty textarea).
func write(b *Browser, sel, text string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), text))
}

// TestGeneralRequestFlow files a general request above the director's
// threshold, has the centre head send it back, corrects it, and sees it
// through the centre head and the director, on a desktop and a phone.
func TestGeneralRequestFlow(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	north := o.Site("黄江镇北岸社区综合服务中心", "centre")
	o.Site("企石镇振华社区综合服务中心", "centre")
	o.User("wang", true, authz.RoleWorker).Assign(north, "worker")
	o.User("zhang", true, authz.RoleCentreHead).Assign(north, "centre_head")
	o.User("he", true, authz.RoleDirector)

	wb := NewBrowser(t, e.HTTP.URL, "approval-worker", 1280, 900)
	signIn(wb, "wang")
	wb.Open("/approvals/general/new")
	wb.Fill("#f-title", "购买三月长者活动物资")
	write(wb, "#f-content", "长者生日会所需蛋糕、水果和装饰，共 40 位长者参加。")
	wb.Fill("#f-amount", "6,800.005")
	wb.Click("#main button[type=submit]")
	// The server's answer, beside the field, with everything typed kept.
	wb.MustSee("金额格式不正确，例如 1234.56")
	wb.Shot("form-error")
	wb.Fill("#f-amount", "6800")
	wb.Click("#main button[type=submit]")
	wb.MustSee("申请已提交，等待：中心负责人审批", "总干事审批", "未开始")
	wb.Shot("submitted")

	hb := NewBrowser(t, e.HTTP.URL, "approval-head", 1280, 900)
	signIn(hb, "zhang")
	hb.MustSee("购买三月长者活动物资")
	hb.Shot("home")
	hb.Open("/approvals/todo")
	hb.MustSee("用户wang", "中心负责人审批")
	hb.Shot("todo")
	hb.Click(".table tbody a")
	hb.MustSee("审批意见", "¥6,800.00")
	hb.Click("button[value=reject]")
	hb.MustSee("驳回时必须填写意见")
	write(hb, "#f-comment", "请附上报价单，并说明参加人数。")
	hb.Click("button[value=reject]")
	hb.MustSee("已驳回「购买三月长者活动物资」")

	wb.Open("/approvals/mine")
	wb.MustSee("已驳回")
	wb.Shot("mine")
	wb.Click(".table tbody a")
	wb.MustSee("请附上报价单")
	wb.Click(".record-head .actions a.btn-primary")
	wb.MustSee("驳回意见：请附上报价单")
	write(wb, "#f-content", "长者生日会所需蛋糕、水果和装饰，共 40 位长者参加，报价单已附。")
	write(wb, "#f-comment", "已补充报价单和人数")
	wb.Shot("correct")
	wb.Click("#main button[type=submit]")
	wb.MustSee("已修改并重新提交", "第 2 次提交")

	hb.Open("/approvals/todo")
	hb.Click(".table tbody a")
	write(hb, "#f-comment", "同意，注意控制预算。")
	hb.Click("button[value=approve]")
	hb.MustSee("已同意「购买三月长者活动物资」，已转交下一步：总干事审批")

	db := NewBrowser(t, e.HTTP.URL, "approval-director", 390, 844)
	signIn(db, "he")
	db.Open("/approvals/todo")
	db.Click(".table tbody a")
	db.Shot("decide-phone")
	db.Click("button[value=approve]")
	db.MustSee("已同意")

	wb.Open("/approvals/mine")
	wb.Click(".table tbody a")
	wb.MustSee("已通过", "第 1 次提交", "第 2 次提交（当前）", "同意，注意控制预算。")
	wb.Shot("approved")
}
