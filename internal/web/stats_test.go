package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"shegong/internal/export"
	"shegong/internal/stats/statstest"
	"shegong/internal/testenv"
)

// statsYear records the statistics year on a running system; every
// account's password is the fixtures' one.
func statsYear(t *testing.T, e *testenv.Env) *statstest.Year {
	t.Helper()
	s := e.Sys
	return statstest.BuildYear(t, statstest.Services{Auth: s.Auth, Org: s.Org, Groups: s.Groups, Volunteers: s.Volunteers,
		Clients: s.Clients, Cases: s.Cases, SetNow: e.Clock.Set, Password: testenv.Password})
}

func signIn(e *testenv.Env, p *statstest.Person) *testenv.Client {
	return e.Login(&testenv.Person{Username: p.Username})
}

func apiSignIn(e *testenv.Env, p *statstest.Person) *testenv.Client {
	return e.APIClient(&testenv.Person{Username: p.Username})
}

func TestStatsPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		y := statsYear(t, e)
		head := signIn(e, y.HeadA)

		// The centre head sees their centre's year: every figure with its
		// definition as tooltip and a link to its records, the charts'
		// data, the volunteer teams and the tables.
		r := head.Get("/stats?period=2026")
		wantStatus(t, "dashboard", r, 200, "服务数据统计", "黄江镇北岸社区综合服务中心</strong> · 2026年",
			`title="个案：期间内开案审批通过的个案数`, `data-figure="activities"`, `id="stats-month-chart"`,
			"北岸探访队", "未归属服务队", "按月明细", "2026年1月", "/static/charts.js", "导出Excel", "统计口径")
		for key, want := range map[string]string{"cases_opened": "3", "groups_opened": "2", "group_sessions": "5",
			"group_person_times": "14", "activities": "4", "activity_participants": "368", "volunteer_person_times": "4",
			"volunteer_hours": "11", "publicity_materials": "815"} {
			if !strings.Contains(r.Body, fmt.Sprintf(`data-figure="%s">`+"\n    "+`<span class="figure-value">%s</span>`, key, want)) {
				t.Errorf("dashboard lacks %s = %s", key, want)
			}
		}
		if strings.Contains(r.Body, "企石镇振华社区综合服务中心") || strings.Contains(r.Body, "全部服务点") {
			t.Error("the centre head is offered another centre or the whole organization")
		}
		if strings.Contains(r.Body, "<script>") {
			t.Error("inline script on the dashboard")
		}
		wantStatus(t, "a worker of the centre", head.Get(fmt.Sprintf("/stats?period=2026&site_id=%d&staff_id=%d", y.SiteA, y.Li.StaffID)),
			200, "黄江镇北岸社区综合服务中心 · 李子豪")
		wantStatus(t, "another centre", head.Get(fmt.Sprintf("/stats?period=2026&site_id=%d", y.SiteB)), http.StatusNotFound)
		wantStatus(t, "bad period", head.Get("/stats?period=2026Q5"), http.StatusUnprocessableEntity, "季度应为 Q1 至 Q4", "2026Q5")
		wantStatus(t, "bad id", head.Get("/stats?site_id=abc"), http.StatusUnprocessableEntity, "请选择有效的服务点")
		wantStatus(t, "kind change", head.Get("/stats?kind=quarter&period=2026-05"), 200, "2026年第二季度")
		wantStatus(t, "custom", head.Get("/stats?kind=custom&from=2026-01-01&to=2026-02-28"), 200, "2026-01-01 至 2026-02-28")

		// The records behind a figure: one list with paging and export.
		drill := fmt.Sprintf("/stats/drill?figure=activities&period=2026&site_id=%d", y.SiteA)
		wantStatus(t, "drill", head.Get(drill), 200, "社区活动明细", "共 4 条", "元宵游园会", "社区艺术节", "长者健康讲座",
			"下列每条记录计 1", `name="figure" value="activities"`)
		wantStatus(t, "drill person-times", head.Get(fmt.Sprintf("/stats/drill?figure=group_person_times&period=2026Q2&site_id=%d", y.SiteA)),
			200, "共 3 条", "出席人次", "青少年成长小组", "长者健康小组")
		wantStatus(t, "drill page", head.Get(drill+"&size=3&page=2"), 200, "共 4 条", "社区艺术节")
		wantStatus(t, "drill elsewhere", head.Get(fmt.Sprintf("/stats/drill?figure=activities&period=2026&site_id=%d", y.SiteB)), http.StatusNotFound)
		wantStatus(t, "drill bad figure", head.Get("/stats/drill?figure=nothing"), http.StatusUnprocessableEntity, "请选择有效的统计项")
		x := head.Get(drill + "&format=xlsx")
		if x.Status != 200 || !strings.Contains(x.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("drill export: %d %s", x.Status, x.Header.Get("Content-Type"))
		}
		rows, err := export.ReadXLSX(strings.NewReader(x.Body), "", export.ReadLimits{})
		if err != nil || len(rows) != 5 || rows[0][0] != "日期" {
			t.Fatalf("drill export rows: %v %q", err, rows)
		}

		// The figures by month, exported: twelve months and the total.
		x = head.Get("/stats?period=2026&format=xlsx&by=month")
		rows, err = export.ReadXLSX(strings.NewReader(x.Body), "", export.ReadLimits{})
		if err != nil || len(rows) != 14 || rows[13][0] != "合计" || rows[13][1] != "3" || rows[0][8] != "义工服务时数（小时）" || rows[13][8] != "11" {
			t.Fatalf("month export: %v %q", err, rows)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND object_id IN ('/stats', '/stats/drill')`); n != 2 {
			t.Fatalf("%d exports audited", n)
		}

		// The director compares the centres; the worker sees only their own.
		dir := signIn(e, y.Director)
		wantStatus(t, "director", dir.Get("/stats?period=2026"), 200, "全机构</strong>", "按服务点明细", `id="stats-site-chart"`,
			"企石镇振华社区综合服务中心", "全部服务点")
		wang := signIn(e, y.Wang)
		wantStatus(t, "worker", wang.Get("/stats?period=2026"), 200, "王嘉欣</strong>")
		wantStatus(t, "worker asks for a colleague", wang.Get(fmt.Sprintf("/stats?staff_id=%d", y.Li.StaffID)), http.StatusNotFound)
		wantStatus(t, "worker drills a colleague", wang.Get(fmt.Sprintf("/stats/drill?figure=cases_opened&staff_id=%d", y.Li.StaffID)), http.StatusNotFound)
		wantStatus(t, "other organization", signIn(e, y.Foreign).Get(fmt.Sprintf("/stats?site_id=%d", y.SiteA)), http.StatusNotFound)

		// The home page: this month's figures in the reader's scope.
		e.Clock.Set(time.Date(2026, 12, 28, 1, 0, 0, 0, time.UTC))
		head = signIn(e, y.HeadA)
		wantStatus(t, "home", head.Get("/"), 200, "本月社区活动", "本月小组人次", "本月义工服务时数（小时）", "3.5",
			"/stats/drill?figure=activities")
		wantStatus(t, "navigation", head.Get("/"), 200, "统计报表", `href="/stats"`)
	})
}

func TestStatsAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		y := statsYear(t, e)
		c := apiSignIn(e, y.Director)
		type figure struct {
			Key, Label, Definition string
			Value                  float64
			NotApplicable          bool `json:"not_applicable"`
		}
		var rep struct {
			Period     struct{ Code, Label string }
			Scope      struct{ Name string }
			Figures    []figure
			Volunteers struct {
				Distinct int
				Teams    []struct {
					TeamName string `json:"team_name"`
					Minutes  int64
				}
			}
		}
		r := c.Get("/api/v1/stats?period=2026")
		wantStatus(t, "stats", r, 200)
		if err := json.Unmarshal([]byte(r.Body), &rep); err != nil {
			t.Fatal(err)
		}
		want := y.Want["year"]
		for _, f := range rep.Figures {
			w := float64(want[f.Key])
			if f.Key == "volunteer_hours" {
				w /= 60
			}
			if f.Value != w || f.Definition == "" || f.Label == "" {
				t.Errorf("%s = %v, want %v (%+v)", f.Key, f.Value, w, f)
			}
		}
		if len(rep.Figures) != 9 || rep.Scope.Name != "全机构" || rep.Period.Label != "2026年" || rep.Volunteers.Distinct != y.Distinct ||
			len(rep.Volunteers.Teams) != 3 {
			t.Fatalf("report: %+v", rep)
		}

		r = c.Get(fmt.Sprintf("/api/v1/stats?period=2026&project_id=%d", y.Project))
		wantStatus(t, "project", r, 200, `"key":"cases_opened"`, `"not_applicable":true`, "义路童行")
		r = c.Get(fmt.Sprintf("/api/v1/stats/drill?figure=cases_opened&project_id=%d", y.Project))
		wantStatus(t, "cases by project", r, http.StatusUnprocessableEntity, "个案不按项目统计")

		var tab struct {
			By   string
			Rows []struct {
				Label  string
				Values []struct{ Value float64 }
			}
			Total struct{ Values []struct{ Value float64 } }
		}
		r = c.Get("/api/v1/stats/table?by=site&period=2026")
		wantStatus(t, "by site", r, 200)
		json.Unmarshal([]byte(r.Body), &tab)
		if tab.By != "site" || len(tab.Rows) != 2 || tab.Total.Values[0].Value != 4 {
			t.Fatalf("by site: %+v", tab)
		}
		r = c.Get("/api/v1/stats/table?period=2026H1")
		wantStatus(t, "by month", r, 200)
		json.Unmarshal([]byte(r.Body), &tab)
		if tab.By != "month" || len(tab.Rows) != 6 || tab.Rows[0].Label != "2026年1月" {
			t.Fatalf("by month: %+v", tab)
		}
		wantStatus(t, "bad by", c.Get("/api/v1/stats/table?by=week"), http.StatusUnprocessableEntity, `"by"`)

		var dr struct {
			Total int
			Rows  []struct {
				Title string
				Value int64
				Href  string
			}
			Figure struct{ Value float64 }
		}
		r = c.Get("/api/v1/stats/drill?figure=volunteer_hours&period=2026Q2&sort=value&dir=desc")
		wantStatus(t, "drill", r, 200)
		json.Unmarshal([]byte(r.Body), &dr)
		if dr.Total != 2 || dr.Rows[0].Value != 210 || dr.Rows[1].Value != 120 || dr.Figure.Value != 5.5 ||
			!strings.HasPrefix(dr.Rows[0].Href, "/volunteer-services/") {
			t.Fatalf("drill: %+v", dr)
		}
		wantStatus(t, "drill without figure", c.Get("/api/v1/stats/drill"), http.StatusUnprocessableEntity, `"figure"`)
		wantStatus(t, "bad period", c.Get("/api/v1/stats?period=去年"), http.StatusUnprocessableEntity, `"period"`, "期间格式不正确")
		wantStatus(t, "choices", c.Get("/api/v1/stats/choices"), 200, `"any_site":true`, "义路童行", "赵晓琳")

		// Scopes outside the grant are not found; another organization's
		// ids are not found either.
		wang := apiSignIn(e, y.Wang)
		wantStatus(t, "own", wang.Get("/api/v1/stats?period=2026"), 200, `"name":"王嘉欣"`)
		wantStatus(t, "colleague", wang.Get(fmt.Sprintf("/api/v1/stats?staff_id=%d", y.Li.StaffID)), http.StatusNotFound)
		wantStatus(t, "site", wang.Get(fmt.Sprintf("/api/v1/stats?site_id=%d", y.SiteA)), http.StatusNotFound)
		wantStatus(t, "choices of a worker", wang.Get("/api/v1/stats/choices"), 200, `"any_staff":false`)
		sup := apiSignIn(e, y.Supervisor)
		wantStatus(t, "supervisee", sup.Get(fmt.Sprintf("/api/v1/stats?staff_id=%d", y.Wang.StaffID)), 200, `"name":"王嘉欣"`)
		wantStatus(t, "not a supervisee", sup.Get(fmt.Sprintf("/api/v1/stats?staff_id=%d", y.Li.StaffID)), http.StatusNotFound)
		foreign := apiSignIn(e, y.Foreign)
		wantStatus(t, "foreign site", foreign.Get(fmt.Sprintf("/api/v1/stats/drill?figure=activities&site_id=%d", y.SiteA)), http.StatusNotFound)
		wantStatus(t, "foreign own", foreign.Get("/api/v1/stats?period=2026"), 200, `"name":"全机构"`)
		if r := foreign.Get("/api/v1/stats?period=2026"); strings.Contains(r.Body, "北岸探访队") {
			t.Fatal("another organization sees this one's teams")
		}
	})
}
