package e2e

import (
	"fmt"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/groups"
	"shegong/internal/testenv"
)

// TestGroupAttendanceOnPhone: a worker standing in the centre ticks who came
// to a group session on a phone; the group page then counts the
// person-times. Desktop screenshots show the group, activity and project pages.
func TestGroupAttendanceOnPhone(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	site := o.Site("黄江镇北岸社区综合服务中心", "centre")
	worker := o.User("wang", true, authz.RoleWorker).Assign(site, "worker")
	p := worker.Principal()
	svc, ctx := e.Sys.Groups, e.Ctx
	today := app.Today(e.Clock.Now())

	proj, err := svc.CreateProject(ctx, p, groups.ProjectInput{Name: "义路童行", SiteID: site, ManagerID: p.StaffID,
		StartDate: today.AddDays(-60), EndDate: today.AddDays(300), Status: groups.ProjectActive,
		Partners: "北岸社区关爱下一代成长委员会", Goals: "丰富青少年假期生活，预防沉迷网络"})
	check(t, err)
	_, err = svc.AddFund(ctx, p, proj, groups.FundInput{Funder: "北岸社区公益金", Kind: "community_fund", Amount: 5000000})
	check(t, err)
	_, err = svc.AddIncubated(ctx, p, proj, groups.IncubatedInput{Name: "北岸社区艺术团", Members: 25})
	check(t, err)
	g, err := svc.CreateGroup(ctx, p, groups.GroupInput{Name: "青少年成长小组", Kind: "growth", SiteID: site, ProjectID: proj,
		LeaderID: p.StaffID, PlannedSessions: 6, TargetMembers: 8, Goals: "提升沟通与合作能力", Target: "北岸社区 10-14 岁青少年"})
	check(t, err)
	for _, n := range []string{"张小明", "李小红", "陈大文", "黄嘉怡"} {
		_, err := svc.AddMember(ctx, p, g, groups.MemberInput{Name: n})
		check(t, err)
	}
	a, err := svc.CreateActivity(ctx, p, groups.ActivityInput{Title: "元宵游园会", Kind: "festival", HeldOn: today.AddDays(-3),
		StartTime: "09:00", EndTime: "11:30", Place: "北岸社区广场", SiteID: site, ProjectID: proj, LeadID: p.StaffID,
		Participants: 120, Posters: 4, Flyers: 300, Report: "居民参与踊跃，义工 12 人协助。"})
	check(t, err)

	phone := NewBrowser(t, e.HTTP.URL, "groups-phone", 390, 844)
	phone.Open("/login")
	phone.Fill("#f-username", "wang")
	phone.Fill("#f-password", testenv.Password)
	phone.Click("#main button[type=submit]")
	phone.Open(fmt.Sprintf("/groups/%d/sessions/new", g))
	phone.MustSee("出席登记", "张小明", "黄嘉怡")
	phone.ClickStay("label.attend:nth-of-type(1) input")
	phone.ClickStay("label.attend:nth-of-type(3) input")
	phone.Fill("#f-topic", "相识与破冰")
	phone.Shot("attendance")
	phone.Click("#main form button.btn-primary")
	phone.MustSee("已记录本节，出席 2 人", "第 1 节", "相识与破冰", "2 / 4")
	phone.Shot("group-after-session")

	desk := NewBrowser(t, e.HTTP.URL, "groups-desktop", 1280, 900)
	desk.Open("/login")
	desk.Fill("#f-username", "wang")
	desk.Fill("#f-password", testenv.Password)
	desk.Click("#main button[type=submit]")
	desk.Open("/groups")
	desk.MustSee("青少年成长小组", "进行中")
	desk.Shot("group-list")
	desk.Open(fmt.Sprintf("/groups/%d", g))
	desk.MustSee("参与人次", "张小明")
	desk.Shot("group")
	desk.Open(fmt.Sprintf("/activities/%d", a))
	desk.MustSee("元宵游园会", "已总结")
	desk.Shot("activity")
	desk.Open(fmt.Sprintf("/projects/%d", proj))
	desk.MustSee("义路童行", "¥50,000.00", "北岸社区艺术团", "青少年成长小组", "元宵游园会")
	desk.Shot("project")
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
