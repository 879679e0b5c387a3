package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// TestVolunteerFlow registers a volunteer, records two services, sees the
// overlap refused, and prints a service certificate, as a centre's worker
// would click through it.
func TestVolunteerFlow(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	site := o.Site("黄江镇北岸社区综合服务中心", "centre")
	o.User("wang", true, authz.RoleWorker).Assign(site, "worker")

	b := NewBrowser(t, e.HTTP.URL, "volunteers", 1280, 900)
	b.Open("/login")
	b.Fill("#f-username", "wang")
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")
	b.Open("/volunteers/new")
	b.Fill("#f-name", "李小红")
	b.Fill("#f-id_number", "441900199005150021")
	b.Fill("#f-phone", "1391234567")
	b.Fill("#f-skills", "书法、陪伴长者")
	b.Click("#main button[type=submit]")
	b.MustSee("身份证号码校验位不正确", "手机号码格式不正确")
	b.Shot("form-errors")
	b.Fill("#f-id_number", "441900199005150028")
	b.Fill("#f-phone", "13912345678")
	b.Click("#main button[type=submit]")
	b.MustSee("已登记志愿者 V2026-0001", "139****5678", "女", "1990-05")
	b.Shot("volunteer")

	b.Click(".record-head .actions a[href^='/volunteer-services/new']")
	b.Fill("#f-activity_name", "长者探访")
	b.Run(chromedp.SetValue(chromedp.CSS("#f-start_time"), "09:00"), chromedp.SetValue(chromedp.CSS("#f-end_time"), "11:00"))
	b.Fill("#f-people_served", "12")
	b.Click("#main form button[name=again]")
	b.MustSee("已登记 李小红 2026-03-02 的服务记录（2小时）")
	b.Select("#f-volunteer_id", "1")
	b.Run(chromedp.SetValue(chromedp.CSS("#f-start_time"), "10:00"), chromedp.SetValue(chromedp.CSS("#f-end_time"), "12:00"))
	b.Click("#main form button.btn-primary")
	b.MustSee("该志愿者在 2026-03-02 09:00–11:00 已有服务记录（长者探访），时间不能重叠")
	b.Shot("overlap")

	b.Open("/volunteer-services")
	b.MustSee("长者探访", "服务人次", "2小时")
	b.Shot("records")
	b.Open("/volunteers/1")
	b.Run(chromedp.Click(chromedp.CSS("#certificates summary")))
	// Accept the confirmation the issuing form asks for.
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`window.confirm = function () { return true }; true`)); err != nil {
		t.Fatal(err)
	}
	b.Click("#certificates form button[type=submit]")
	b.MustSee("志愿服务记录证明", "绿叶证字2026第0001号", "李小红", "4419**********0028")
	b.Shot("certificate")
	b.Open("/ivolunteer")
	b.MustSee("待导出的服务记录", "长者探访", "未注册i志愿")
	b.Shot("ivol")

	b.Open("/volunteer-teams/new")
	b.Fill("#f-name", "义工导师志愿服务队")
	b.Select("#f-leader_id", "1")
	b.Fill("#f-qq_group", "123456789")
	b.Click("#main button[type=submit]")
	b.MustSee("已新建服务队", "队长", "李小红", "123456789")
	b.Shot("team")

	b.Open("/resources/new")
	b.Fill("#f-provider", "北岸社区公益金")
	b.Select("#f-kind", "money")
	b.Fill("#f-value", "15000")
	b.Fill("#f-beneficiaries", "120")
	b.Run(chromedp.SendKeys(chromedp.CSS("#f-description"), "义路童行项目资助"))
	b.Click("#main button[type=submit]")
	b.MustSee("已登记资源链接", "¥15,000.00")
	b.Open("/resources/status")
	b.MustSee("2026年3月资源链接与用人单位沟通", "已登记", "无记录")
	b.Shot("resource-status")
}
