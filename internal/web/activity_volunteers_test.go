package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shegong/internal/testenv"
)

func TestActivityVolunteersSection(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		v := newVolSetup(e)
		now := e.Clock.Now().UTC()
		// An activity at the south centre, served by a volunteer of the north centre.
		act := e.ID(`INSERT INTO activities (org_id, title, kind, held_on, site_id, lead_id, created_at, updated_at)
			VALUES ($1, '学雷锋义剪', 'volunteer', '2026-02-28', $2, $3, $4, $4) RETURNING id`, v.o.ID, v.south, v.southW.StaffID, now)
		foreign := e.ID(`INSERT INTO activities (org_id, title, kind, held_on, site_id, lead_id, created_at, updated_at)
			VALUES ($1, '别家活动', 'volunteer', '2026-02-28', $2, $3, $4, $4) RETURNING id`, v.other.ID, v.far, v.foreign.StaffID, now)
		ap := fmt.Sprintf("/activities/%d", act)

		api := e.APIClient(v.worker)
		r := api.JSON("POST", "/api/v1/volunteers", map[string]any{"site_id": v.north, "name": "陈志愿",
			"phone": "13600000001", "skills": "理发"})
		if r.Status != http.StatusCreated {
			t.Fatalf("volunteer: %d %s", r.Status, r.Body)
		}
		var vol struct {
			ID int64 `json:"id"`
		}
		json.Unmarshal([]byte(r.Body), &vol)

		// The director may record for the activity: the button pre-fills the form.
		dir := e.Login(v.o.User("dir", true, "director"))
		page := dir.Get(ap)
		wantStatus(t, "activity page", page, 200, "参与志愿者", "还没有与本活动关联的志愿服务记录", "登记志愿服务",
			fmt.Sprintf("/volunteer-services/new?activity_id=%d", act))
		form := dir.Get(fmt.Sprintf("/volunteer-services/new?activity_id=%d&activity_name=%s&service_date=2026-02-28",
			act, url.QueryEscape("学雷锋义剪")))
		wantStatus(t, "prefilled form", form, 200, "关联社区活动", ap+`">学雷锋义剪</a>`, `value="2026-02-28"`)

		// A blank name comes from the activity.
		c := e.Login(v.worker)
		rec := url.Values{"volunteer_id": {fmt.Sprint(vol.ID)}, "activity_id": {fmt.Sprint(act)}, "service_date": {"2026-02-28"},
			"start_time": {"09:00"}, "end_time": {"11:30"}}
		if r := c.PostForm("/volunteer-services", rec); r.Status != http.StatusSeeOther {
			t.Fatalf("linked record: %d %s", r.Status, clip(r.Body))
		}
		if n := e.Count(`SELECT COUNT(*) FROM volunteer_services WHERE activity_id = $1 AND activity_name = '学雷锋义剪'`, act); n != 1 {
			t.Fatalf("linked records: %d", n)
		}
		rec.Set("start_time", "14:00")
		rec.Set("end_time", "15:00")
		if r := c.PostForm("/volunteer-services", rec); r.Status != http.StatusSeeOther {
			t.Fatalf("second linked record: %d %s", r.Status, clip(r.Body))
		}

		// Another organization's activity is refused on the field.
		rec.Set("activity_id", fmt.Sprint(foreign))
		rec.Set("start_time", "16:00")
		rec.Set("end_time", "17:00")
		wantStatus(t, "foreign activity", c.PostForm("/volunteer-services", rec), http.StatusUnprocessableEntity, "所选社区活动不存在")
		ar := api.JSON("POST", "/api/v1/volunteers/services", map[string]any{"volunteer_id": vol.ID, "activity_id": foreign,
			"activity_name": "串号", "service_date": "2026-02-28", "start_time": "16:00", "end_time": "17:00"})
		if ar.Status != http.StatusUnprocessableEntity || !strings.Contains(ar.Body, `"activity_id":"所选社区活动不存在"`) {
			t.Fatalf("api foreign activity: %d %s", ar.Status, ar.Body)
		}
		if n := e.Count(`SELECT COUNT(*) FROM volunteer_services WHERE activity_id = $1`, foreign); n != 0 {
			t.Fatalf("%d records linked to another organization's activity", n)
		}

		// The activity page lists the volunteer with the totals.
		wantStatus(t, "with volunteers", dir.Get(ap), 200, "陈志愿", "志愿者 1 人，2 人次，服务时长合计 3.5 小时",
			"09:00–11:30", "14:00–15:00")
		// The south worker reads the activity but not the north volunteers: masked.
		south := e.Login(v.southW).Get(ap)
		wantStatus(t, "south worker", south, 200, "陈*愿", "志愿者 1 人，2 人次", "登记志愿服务")
		if strings.Contains(south.Body, "陈志愿") || strings.Contains(south.Body, fmt.Sprintf("/volunteers/%d", vol.ID)) {
			t.Fatal("volunteer name shown to a reader outside the volunteer's service point")
		}
		// The evaluator reads volunteers across the organization, as on the
		// volunteer pages, but may not record.
		ev := e.Login(v.eval).Get(ap)
		wantStatus(t, "evaluator", ev, 200, "陈志愿")
		if strings.Contains(ev.Body, "登记志愿服务") {
			t.Fatal("evaluator offered to record")
		}
	})
}
