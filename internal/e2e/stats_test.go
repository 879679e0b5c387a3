package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"shegong/internal/app"
	"shegong/internal/demo"
	"shegong/internal/stats/statstest"
	"shegong/internal/testenv"
)

// TestStatsDashboard: a centre head opens the service statistics, sees the
// centre's figures and the charts, follows a figure to the records behind
// it, and looks at one quarter.
func TestStatsDashboard(t *testing.T) {
	e := testenv.New(t, "")
	s := e.Sys
	y := statstest.BuildYear(t, statstest.Services{Auth: s.Auth, Org: s.Org, Groups: s.Groups, Volunteers: s.Volunteers,
		Clients: s.Clients, Cases: s.Cases, SetNow: e.Clock.Set, Password: testenv.Password})
	e.Clock.Set(time.Date(2026, 12, 28, 1, 0, 0, 0, time.UTC))

	b := NewBrowser(t, e.HTTP.URL, "stats", 1280, 900)
	b.Open("/login")
	b.Fill("#f-username", y.HeadA.Username)
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")
	b.MustSee("本月社区活动", "本月义工服务时数（小时）")
	b.Shot("home")

	b.Open("/stats?period=2026")
	b.MustSee("服务数据统计", "黄江镇北岸社区综合服务中心 · 2026年", "开启小组（个）", "义工服务时数（小时）", "北岸探访队", "按月明细")
	b.Run(chromedp.WaitVisible(chromedp.CSS("#stats-month canvas")))
	if got := b.Text(`[data-figure="activity_participants"] .figure-value`); got != "368" {
		t.Fatalf("participants shown as %q", got)
	}
	b.Shot("dashboard")

	b.Click(`a[data-figure="group_person_times"]`)
	b.MustSee("小组人次明细", "共 5 条", "出席人次", "青少年成长小组", "长者健康小组")
	b.Shot("drill")

	b.Open("/stats")
	b.Select("#flt-kind", "quarter")
	b.Fill("#flt-period", "2026Q2")
	b.Click(".filter-bar button[type=submit]")
	b.MustSee("2026年第二季度", "2026-04-01 至 2026-06-30")
	if got := b.Text(`[data-figure="cases_opened"] .figure-value`); got != "1" {
		t.Fatalf("cases opened in Q2 shown as %q", got)
	}
	b.Shot("quarter")

	// On a phone the figures come two by two and the tables scroll.
	phone := NewBrowser(t, e.HTTP.URL, "stats-phone", 390, 844)
	phone.Open("/login")
	phone.Fill("#f-username", y.HeadA.Username)
	phone.Fill("#f-password", testenv.Password)
	phone.Click("#main button[type=submit]")
	phone.Open("/stats?period=2026")
	phone.MustSee("开启小组（个）", "北岸探访队")
	phone.Shot("dashboard")

	// The director compares the service points.
	d := NewBrowser(t, e.HTTP.URL, "stats-director", 1280, 900)
	d.Open("/login")
	d.Fill("#f-username", y.Director.Username)
	d.Fill("#f-password", testenv.Password)
	d.Click("#main button[type=submit]")
	d.Open("/stats?period=2026")
	d.MustSee("全机构 · 2026年", "按服务点", "企石镇振华社区综合服务中心")
	d.Run(chromedp.WaitVisible(chromedp.CSS("#stats-site canvas")))
	d.Shot("dashboard")
}

// TestStatsOnDemo: the director looks at the demo organization's last
// twelve months, five service points side by side.
func TestStatsOnDemo(t *testing.T) {
	e := testenv.New(t, "")
	if _, _, err := demo.Load(e.Ctx, e.Sys.DB, e.Sys.Cipher, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	today := app.Today(e.Clock.Now())
	from := today.AddMonths(-12).AddDays(1)
	b := NewBrowser(t, e.HTTP.URL, "stats-demo", 1280, 900)
	b.Open("/login")
	b.Fill("#f-username", "zongganshi")
	b.Fill("#f-password", demo.Password)
	b.Click("#main button[type=submit]")
	b.Open("/stats?kind=custom&from=" + from.String() + "&to=" + today.String())
	b.MustSee("全机构 · "+from.String()+" 至 "+today.String(), "黄江镇北岸社区综合服务中心", "松湖之家社会化服务项目", "按服务点明细")
	b.Run(chromedp.WaitVisible(chromedp.CSS("#stats-site canvas")))
	b.Shot("dashboard")
}
