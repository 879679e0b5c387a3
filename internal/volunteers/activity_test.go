package volunteers_test

import (
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/volunteers"
)

// activity inserts a community activity of org held on day at site, led by
// the staff member of lead.
func (f *fixture) activity(org, site int64, lead *authz.Principal, title, day string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO activities (org_id, title, kind, held_on, site_id, lead_id, created_at, updated_at)
		VALUES ($1, $2, 'volunteer', $3, $4, $5, $6, $6) RETURNING id`, org, title, day, site, lead.StaffID, start)
}

func TestRecordLinkedToActivity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		wb := f.user(f.org, authz.RoleWorker, f.siteB)
		stranger := f.user(f.other, authz.RoleWorker, f.siteX)
		act := f.activity(f.org, f.siteA, w, "三月学雷锋义剪", "2026-02-28")
		foreign := f.activity(f.other, f.siteX, stranger, "别家活动", "2026-02-27")
		v1 := f.volunteer(w, f.siteA, "陈志明", 1, true)
		v2 := f.volunteer(w, f.siteA, "黄丽娟", 2, true)

		// Blank name and date come from the activity.
		in := f.recordInput(v1, "2026-02-28", "09:00", "11:30", "")
		in.ActivityID, in.Date = act, app.Date{}
		r1, err := f.svc.CreateRecord(f.ctx, w, in)
		if err != nil {
			t.Fatal(err)
		}
		if r1.ActivityID != act || r1.ActivityName != "三月学雷锋义剪" || r1.Date.String() != "2026-02-28" {
			t.Fatalf("defaults from the activity: %+v", r1)
		}
		in = f.recordInput(v1, "2026-02-28", "14:00", "15:00", "义剪下午场")
		in.ActivityID = act
		if _, err := f.svc.CreateRecord(f.ctx, w, in); err != nil {
			t.Fatal(err)
		}
		in = f.recordInput(v2, "2026-02-28", "09:00", "10:00", "")
		in.ActivityID = act
		if _, err := f.svc.CreateRecord(f.ctx, w, in); err != nil {
			t.Fatal(err)
		}

		// Another organization's activity is refused on the field, on
		// create and on update.
		in = f.recordInput(v2, "2026-02-27", "09:00", "10:00", "串号")
		in.ActivityID = foreign
		_, err = f.svc.CreateRecord(f.ctx, w, in)
		if app.FieldErrors(err)["activity_id"] != "所选社区活动不存在" {
			t.Fatalf("foreign activity on create: %v %v", err, app.FieldErrors(err))
		}
		upd := f.recordInput(v1, "2026-02-28", "09:00", "11:30", "三月学雷锋义剪")
		upd.ActivityID = foreign
		_, err = f.svc.UpdateRecord(f.ctx, w, r1.ID, upd)
		if app.FieldErrors(err)["activity_id"] != "所选社区活动不存在" {
			t.Fatalf("foreign activity on update: %v", err)
		}
		if n := f.count(`SELECT COUNT(*) FROM volunteer_services WHERE activity_id = $1`, foreign); n != 0 {
			t.Fatalf("%d records point to another organization's activity", n)
		}

		// The roster: two volunteers, three person-times, 4.5 hours.
		roster, err := f.svc.ActivityRoster(f.ctx, w, act)
		if err != nil {
			t.Fatal(err)
		}
		if roster.Volunteers != 2 || roster.PersonTimes != 3 || roster.Minutes != 270 || len(roster.Rows) != 3 {
			t.Fatalf("roster totals: %+v", roster)
		}
		if r := roster.Rows[0]; r.VolunteerName != "陈志明" || r.Masked || r.Start != "09:00" || r.End != "11:30" || r.Minutes != 150 {
			t.Fatalf("first row: %+v", r)
		}
		// A worker of another service point sees the totals, not the names.
		other, err := f.svc.ActivityRoster(f.ctx, wb, act)
		if err != nil {
			t.Fatal(err)
		}
		if other.PersonTimes != 3 {
			t.Fatalf("other site totals: %+v", other)
		}
		for _, r := range other.Rows {
			if !r.Masked || r.VolunteerName == "陈志明" || r.VolunteerName == "黄丽娟" || r.VolunteerNo != "" {
				t.Fatalf("not masked for another site: %+v", r)
			}
		}
		// The other organization sees nothing of it.
		none, err := volunteers.ActivityVolunteers(f.ctx, d.R, f.other, act)
		if err != nil || len(none.Rows) != 0 || none.PersonTimes != 0 {
			t.Fatalf("other organization: %v %+v", err, none)
		}
	})
}
