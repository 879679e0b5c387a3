package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// TestClientRegister registers a client through the form (with an error
// first), opens the record, reveals the full identity and records a contact
// check, on a desktop; then looks at the list on a phone.
func TestClientRegister(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	site := o.Site("黄江镇北岸社区综合服务中心", "centre")
	o.User("wang", true, authz.RoleWorker).Assign(site, "worker")

	b := NewBrowser(t, e.HTTP.URL, "clients-register", 1280, 900)
	b.Open("/login")
	b.Fill("#f-username", "wang")
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")
	b.Open("/clients")
	b.MustSee("服务对象", "没有符合条件的服务对象")
	b.Click(".list-head a.btn-primary")
	b.MustSee("登记服务对象", "监护人")
	b.Fill("#f-name", "陈小明")
	b.Select("#f-birth_date", "2015-06-01") // date inputs take their value directly
	b.Fill("#f-phone", "1380013")
	b.Click("#main form button[type=submit]")
	b.MustSee("未满18岁的服务对象须填写监护人姓名", "电话号码格式不正确")
	b.Shot("form-errors")
	b.Fill("#f-phone", "13800138000")
	b.Fill("#f-guardian_name", "陈芳")
	b.Select("#f-guardian_relation", "mother")
	b.Fill("#f-guardian_phone", "13900139000")
	b.Run(chromedp.Click(`input[name=category_ids][value="1"]`))
	b.Click("#main form button[type=submit]")
	b.MustSee("已登记服务对象", "陈*明", "138****8000", "未成年", "青少年")
	b.Shot("detail")
	// The reveal asks first; accept the confirmation.
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`window.confirm = function () { return true; }; 1`)); err != nil {
		t.Fatal(err)
	}
	b.Click(`form[action$="/reveal"] button`)
	b.MustSee("陈小明", "13800138000", "本次查看已记入审计日志")
	b.Shot("revealed")
	b.Open("/clients")
	b.Click(`a[href^="/clients/"][href$="1"]`)
	b.Click(`a[href$="/contact-checks/new"]`)
	b.Select("#f-result", "unreachable")
	b.Click("#main form button[type=submit]")
	b.MustSee("已记录联系核实", "无法接通")
	b.Shot("contact-check")

	phone := NewBrowser(t, e.HTTP.URL, "clients-phone", 390, 844)
	phone.Open("/login")
	phone.Fill("#f-username", "wang")
	phone.Fill("#f-password", testenv.Password)
	phone.Click("#main button[type=submit]")
	phone.Open("/clients")
	phone.MustSee("陈*明", "138****8000")
	phone.Shot("list-phone")
}
