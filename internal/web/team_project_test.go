package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shegong/internal/testenv"
)

func TestVolunteerTeamOnProjectPage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		v := newVolSetup(e)
		now := e.Clock.Now().UTC()
		own := e.ID(`INSERT INTO projects (org_id, name, site_id, start_date, end_date, created_at, updated_at)
			VALUES ($1, '长者关爱计划', $2, '2026-01-01', '2026-12-31', $3, $3) RETURNING id`, v.o.ID, v.north, now)
		foreign := e.ID(`INSERT INTO projects (org_id, name, site_id, start_date, end_date, created_at, updated_at)
			VALUES ($1, '别家项目', $2, '2026-01-01', '2026-12-31', $3, $3) RETURNING id`, v.other.ID, v.far, now)

		c := e.Login(v.head)
		wantStatus(t, "team form", c.Get("/volunteer-teams/new"), 200, "所属项目", "长者关爱计划")
		form := url.Values{"site_id": {fmt.Sprint(v.north)}, "name": {"长者探访队"}, "status": {"active"},
			"project_id": {fmt.Sprint(foreign)}}
		wantStatus(t, "foreign project", c.PostForm("/volunteer-teams", form), http.StatusUnprocessableEntity, "所选项目不存在")
		api := e.APIClient(v.head)
		ar := api.JSON("POST", "/api/v1/volunteers/teams", map[string]any{"site_id": v.north, "name": "长者探访队", "project_id": foreign})
		if ar.Status != http.StatusUnprocessableEntity || !strings.Contains(ar.Body, `"project_id":"所选项目不存在"`) {
			t.Fatalf("api foreign project: %d %s", ar.Status, ar.Body)
		}
		if n := e.Count(`SELECT COUNT(*) FROM volunteer_teams WHERE project_id = $1`, foreign); n != 0 {
			t.Fatalf("%d teams linked to another organization's project", n)
		}

		form.Set("project_id", fmt.Sprint(own))
		if r := c.PostForm("/volunteer-teams", form); r.Status != http.StatusSeeOther {
			t.Fatalf("linked team: %d %s", r.Status, clip(r.Body))
		}
		team := e.ID(`SELECT id FROM volunteer_teams WHERE org_id = $1 AND project_id = $2`, v.o.ID, own)
		wantStatus(t, "team page", c.Get(fmt.Sprintf("/volunteer-teams/%d", team)), 200, "所属项目",
			fmt.Sprintf(`/projects/%d">长者关爱计划</a>`, own))

		dir := e.Login(v.o.User("dir", true, "director"))
		wantStatus(t, "project page", dir.Get(fmt.Sprintf("/projects/%d", own)), 200, "志愿服务队",
			fmt.Sprintf(`/volunteer-teams/%d">长者探访队</a>`, team), "黄江镇北岸社区综合服务中心")
	})
}
