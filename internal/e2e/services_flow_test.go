package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/groups"
	"shegong/internal/testenv"
	"shegong/internal/volunteers"
)

// TestServiceFiguresMove records a group with three sessions and
// attendance, a community activity and a volunteer's hours at it, all
// through the pages, and sees the statistics move.
func TestServiceFiguresMove(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	site := o.Site("黄江镇北岸社区综合服务中心", "centre")
	head := o.User("head", true, authz.RoleCentreHead, authz.RoleWorker).Assign(site, "centre_head")
	vol, err := e.Sys.Volunteers.Create(e.Ctx, head.Principal(), volunteers.VolunteerInput{SiteID: site, Name: "陈志愿",
		Gender: "女", BirthMonth: "1995-06", IDType: "other", IDNumber: "P1234567", Phone: "13800138000"})
	if err != nil {
		t.Fatal(err)
	}
	_ = vol
	api := e.APIClient(head)
	figures := func() map[string]float64 {
		r := api.Get("/api/v1/stats?period=2026")
		var rep struct {
			Figures []struct {
				Key   string  `json:"key"`
				Value float64 `json:"value"`
			} `json:"figures"`
		}
		if err := json.Unmarshal([]byte(r.Body), &rep); err != nil {
			t.Fatalf("stats: %d %s", r.Status, r.Body)
		}
		out := map[string]float64{}
		for _, f := range rep.Figures {
			out[f.Key] = f.Value
		}
		return out
	}
	before := figures()

	b := NewBrowser(t, e.HTTP.URL, "figures", 1280, 900)
	b.Open("/login")
	b.Fill("#f-username", "head")
	b.Fill("#f-password", testenv.Password)
	b.Click("#main button[type=submit]")
	b.Open("/stats?period=2026")
	b.Shot("before")

	// A group with three sessions; two of three members attend each time.
	b.Open("/groups/new")
	b.Fill("#f-name", "长者健康互助小组")
	b.Select("#f-kind", "mutual_aid")
	b.Select("#f-site_id", strconv.FormatInt(site, 10))
	b.Select("#f-leader_id", strconv.FormatInt(head.StaffID, 10))
	b.Fill("#f-planned_sessions", "3")
	b.Click("#main form button[type=submit]")
	b.MustSee("长者健康互助小组")
	gid := e.Count(`SELECT id FROM groups WHERE name = '长者健康互助小组'`)
	for _, n := range []string{"李伯", "王婆婆", "张姨"} {
		if _, err := e.Sys.Groups.AddMember(e.Ctx, head.Principal(), int64(gid), groupsMember(n)); err != nil {
			t.Fatal(err)
		}
	}
	for i, day := range []string{"2026-02-09", "2026-02-16", "2026-02-23"} {
		b.Open(fmt.Sprintf("/groups/%d/sessions/new", gid))
		b.Select("#f-held_on", day)
		b.ClickStay("label.attend:nth-of-type(1) input")
		b.ClickStay("label.attend:nth-of-type(2) input")
		b.Fill("#f-topic", fmt.Sprintf("第%d节 健康讲座", i+1))
		b.Click("#main form button.btn-primary")
		b.MustSee("出席 2 人")
	}
	b.Shot("group-sessions")

	// A community activity with 60 participants and posters, then a volunteer's hours at it.
	b.Open("/activities/new")
	b.Fill("#f-title", "三月学雷锋便民服务")
	b.Select("#f-kind", "volunteer")
	b.Select("#f-held_on", "2026-02-26")
	b.Select("#f-start_time", "09:00")
	b.Select("#f-end_time", "11:30")
	b.Select("#f-site_id", strconv.FormatInt(site, 10))
	b.Select("#f-lead_id", strconv.FormatInt(head.StaffID, 10))
	b.Fill("#f-participants", "60")
	b.Fill("#f-posters", "4")
	b.Fill("#f-flyers", "100")
	b.Click("#main form button[type=submit]")
	b.MustSee("三月学雷锋便民服务", "参与志愿者")
	b.Click("a[href*='/volunteer-services/new']")
	b.Select("#f-volunteer_id", strconv.FormatInt(vol.ID, 10))
	b.Select("#f-start_time", "09:00")
	b.Select("#f-end_time", "11:30")
	b.Click("#main form button[type=submit]")
	b.MustSee("陈志愿")
	b.Shot("volunteer-hours")

	after := figures()
	want := map[string]float64{"groups_opened": 1, "group_sessions": 3, "group_person_times": 6, "activities": 1,
		"activity_participants": 60, "publicity_materials": 104, "volunteer_person_times": 1, "volunteer_hours": 2.5}
	for k, d := range want {
		if after[k]-before[k] != d {
			t.Errorf("%s moved by %v, want %v (before %v, after %v)", k, after[k]-before[k], d, before[k], after[k])
		}
	}
	b.Open("/stats?period=2026")
	b.MustSee("服务数据统计", "小组节数")
	b.Shot("after")
}

func groupsMember(name string) groups.MemberInput { return groups.MemberInput{Name: name} }
