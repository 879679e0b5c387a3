package volunteers_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/volunteers"
)

// rawRecord is a service record as the tests recount it, read by plain SQL
// without the services' filters.
type rawRecord struct {
	org, site, team, volunteer, staff, project int64
	date                                       app.Date
	minutes                                    int64
	activity, name, no                         string
	exported                                   bool
}

func (f *fixture) rawRecords() []rawRecord {
	f.t.Helper()
	rows, err := f.d.R.QueryContext(f.ctx, `SELECT r.org_id, r.site_id, COALESCE(r.team_id, 0), r.volunteer_id,
		COALESCE(st.id, 0), COALESCE(a.project_id, 0), r.service_date, r.minutes, r.activity_name, v.name, v.volunteer_no,
		r.exported_at IS NOT NULL
		FROM volunteer_services r JOIN volunteers v ON v.org_id = r.org_id AND v.id = r.volunteer_id
		LEFT JOIN staff st ON st.org_id = r.org_id AND st.user_id = r.recorder_id
		LEFT JOIN activities a ON a.org_id = r.org_id AND a.id = r.activity_id`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []rawRecord
	for rows.Next() {
		var x rawRecord
		if err := rows.Scan(&x.org, &x.site, &x.team, &x.volunteer, &x.staff, &x.project, &x.date, &x.minutes, &x.activity,
			&x.name, &x.no, &x.exported); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func day(t *testing.T, s string) app.Date {
	t.Helper()
	if s == "" {
		return app.Date{}
	}
	d, err := app.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// totalsWorld is the people, team and project of makeTotalsWorld.
type totalsWorld struct {
	wa, wb, both, dir, foreign *authz.Principal
	team, project              int64
}

// makeTotalsWorld makes records at the edges of months (first and last
// days, the turn of the year), at two service points of one organization
// (recorded by their workers and by the director, with and without a team
// and a project's activity) and at another organization's, then moves,
// edits and deletes some through the service.

func makeTotalsWorld(t *testing.T, f *fixture) totalsWorld {
	w := totalsWorld{
		wa:      f.user(f.org, authz.RoleWorker, f.siteA),
		wb:      f.user(f.org, authz.RoleWorker, f.siteB),
		dir:     f.user(f.org, authz.RoleDirector),
		foreign: f.user(f.other, authz.RoleWorker, f.siteX),
	}
	// A reader of both service points (one open assignment per member of
	// staff, so the principal is widened by hand).
	both := *f.user(f.org, authz.RoleWorker, f.siteA)
	both.SiteIDs = []int64{f.siteA, f.siteB}
	w.both = &both
	team, err := f.svc.CreateTeam(f.ctx, w.wa, volunteers.TeamInput{SiteID: f.siteA, Name: "探访队"})
	if err != nil {
		t.Fatal(err)
	}
	w.team = team.ID
	w.project = f.project(f.org, f.siteA, "长者关爱计划")
	act := f.activity(f.org, f.siteA, w.wa, "长者探访日", "2026-01-31")
	f.exec(`UPDATE activities SET project_id = $1 WHERE id = $2`, w.project, act)

	va := []*volunteers.Volunteer{f.volunteer(w.wa, f.siteA, "陈志明", 1, true), f.volunteer(w.wa, f.siteA, "黄丽娟", 2, true)}
	vb := f.volunteer(w.wb, f.siteB, "李建国", 3, true)
	vx := f.volunteer(w.foreign, f.siteX, "别家义工", 4, true)
	days := []string{"2025-12-01", "2025-12-31", "2026-01-01", "2026-01-15", "2026-01-31", "2026-02-01", "2026-02-14",
		"2026-02-28", "2026-03-01", "2026-03-02"}
	var moved, edited, deleted *volunteers.ServiceRecord
	for i, d := range days {
		r := f.record(w.wa, va[0], d, "09:00", fmt.Sprintf("%02d:%02d", 10+i%3, 5*i), "社区探访")
		in := f.recordInput(va[1], d, "14:00", "16:30", "义剪服务")
		in.TeamID = w.team
		if d == "2026-01-31" {
			in.ActivityID = act
		}
		if _, err := f.svc.CreateRecord(f.ctx, w.wa, in); err != nil {
			t.Fatal(err)
		}
		f.record(w.wb, vb, d, "08:30", "11:45", "环保宣传")
		f.record(w.foreign, vx, d, "09:00", "12:00", "社区探访")
		// The director records at service point A too (another recorder).
		f.record(w.dir, va[0], d, "18:00", "19:10", "夜间陪伴")
		switch d {
		case "2026-01-31":
			moved = r
		case "2026-02-14":
			edited = r
		case "2026-02-28":
			deleted = r
		}
	}
	// Move a record across the turn of a month, lengthen another, and
	// delete a third: the counters follow the records.
	in := f.recordInput(va[0], "2026-02-01", "07:00", "08:00", "社区探访")
	if _, err := f.svc.UpdateRecord(f.ctx, w.wa, moved.ID, in); err != nil {
		t.Fatal(err)
	}
	in = f.recordInput(va[0], "2026-02-14", "09:00", "12:17", "社区探访（加长）")
	if _, err := f.svc.UpdateRecord(f.ctx, w.wa, edited.ID, in); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteRecord(f.ctx, w.wa, deleted.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestRecordTotalsMatchRecords: the service record list's count and hours
// (from the statistics counters for whole months, from the records for
// the days outside them and for other filters) equal a recount of the
// records the reader may see, and the number of records the list pages
// through, for every service point filter, whole and partial months, open
// ends, a search, a team and the export state; readers of another service
// point or organization see none of them.
func TestRecordTotalsMatchRecords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := makeTotalsWorld(t, f)
		raw := f.rawRecords()
		periods := [][2]string{{"", ""}, {"2026-01-01", "2026-01-31"}, {"2026-01-01", "2026-02-28"}, {"", "2026-01-31"},
			{"2026-02-01", ""}, {"2026-01-15", "2026-02-10"}, {"2026-01-31", "2026-02-01"}, {"2025-12-31", "2026-03-01"},
			{"2026-02-01", "2026-02-01"}, {"2026-01-01", "2026-02-27"}, {"2026-01-02", "2026-03-31"}, {"2025-12-01", "2026-03-31"},
			{"2026-01-16", "2026-03-15"}, {"", "2026-02-14"}, {"2026-01-31", ""}, {"2026-03-01", "2026-02-01"}}
		var filters []volunteers.RecordFilter
		for _, site := range []int64{0, f.siteA, f.siteB, f.siteX} {
			for _, p := range periods {
				filters = append(filters, volunteers.RecordFilter{SiteID: site, From: day(t, p[0]), To: day(t, p[1])})
			}
		}
		for _, p := range periods[:8] {
			from, to := day(t, p[0]), day(t, p[1])
			filters = append(filters, volunteers.RecordFilter{ListQuery: app.ListQuery{Q: "探访"}, From: from, To: to},
				volunteers.RecordFilter{TeamID: w.team, From: from, To: to},
				volunteers.RecordFilter{Exported: "no", From: from, To: to})
		}
		readers := map[string]*authz.Principal{"worker A": w.wa, "worker B": w.wb, "worker A+B": w.both, "director": w.dir,
			"other organization": w.foreign}
		for name, p := range readers {
			for _, flt := range filters {
				var want int
				var wantMin int64
				for _, x := range raw {
					if x.org != p.OrgID || (!p.Has(authz.RoleDirector) && !slices.Contains(p.SiteIDs, x.site)) ||
						(flt.SiteID != 0 && x.site != flt.SiteID) || (flt.TeamID != 0 && x.team != flt.TeamID) ||
						(!flt.From.IsZero() && x.date.Before(flt.From)) || (!flt.To.IsZero() && x.date.After(flt.To)) ||
						(flt.Exported == "no" && x.exported) ||
						(flt.Q != "" && !strings.Contains(x.activity, flt.Q) && !strings.Contains(x.name, flt.Q) && !strings.Contains(x.no, flt.Q)) {
						continue
					}
					want++
					wantMin += x.minutes
				}
				desc := fmt.Sprintf("%s, site %d, %s~%s, q %q, team %d, exported %q", name, flt.SiteID, flt.From, flt.To, flt.Q, flt.TeamID, flt.Exported)
				flt.ListQuery.Page, flt.ListQuery.Size = 1, 1000
				rows, total, sum, err := f.svc.Records(f.ctx, p, flt)
				if err != nil {
					t.Fatalf("%s: %v", desc, err)
				}
				var listed int64
				for i, r := range rows {
					listed += int64(r.Minutes)
					if i > 0 && (r.Date.After(rows[i-1].Date) || r.Date.Equal(rows[i-1].Date) && r.Start > rows[i-1].Start) {
						t.Errorf("%s: %s %s listed after %s %s, want newest first", desc, r.Date, r.Start, rows[i-1].Date, rows[i-1].Start)
					}
				}
				if total != want || int64(sum) != wantMin || len(rows) != want || listed != wantMin {
					t.Errorf("%s: total %d, %d minutes, %d rows listed with %d minutes; the records: %d, %d minutes",
						desc, total, sum, len(rows), listed, want, wantMin)
				}
			}
		}
		// The organization's records of the foreign organization's reader,
		// and of a worker of one service point asking for the other's.
		if _, n, _, err := f.svc.Records(f.ctx, w.wb, volunteers.RecordFilter{SiteID: f.siteA}); err != nil || n != 0 {
			t.Fatalf("worker B asking for service point A: %d, %v", n, err)
		}
		if _, n, _, err := f.svc.Records(f.ctx, w.foreign, volunteers.RecordFilter{SiteID: f.siteA}); err != nil || n != 0 {
			t.Fatalf("another organization asking for service point A: %d, %v", n, err)
		}
	})
}

// TestCountFilterScopes: the volunteer counts of the statistics for a
// worker's (the recorder's staff member) and a project's scope, alone and
// within a service point, equal a recount of the records, for whole and
// partial months.
func TestCountFilterScopes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := makeTotalsWorld(t, f)
		nobody := f.user(f.org, authz.RoleWorker, f.siteA) // recorded nothing
		raw := f.rawRecords()
		scopes := []volunteers.CountFilter{{StaffID: w.wa.StaffID}, {StaffID: w.wb.StaffID}, {StaffID: w.dir.StaffID},
			{StaffID: nobody.StaffID}, {StaffID: w.foreign.StaffID}, {SiteID: f.siteA, StaffID: w.dir.StaffID},
			{SiteID: f.siteB, StaffID: w.wa.StaffID}, {ProjectID: w.project}, {SiteID: f.siteA, ProjectID: w.project},
			{ProjectID: w.project, StaffID: w.wa.StaffID}, {}}
		periods := [][2]string{{"2026-01-01", "2026-01-31"}, {"2026-02-01", "2026-02-28"}, {"2025-12-31", "2026-01-31"},
			{"2026-01-15", "2026-02-14"}, {"2025-01-01", "2026-12-31"}, {"2026-03-02", "2026-03-02"}}
		for _, sc := range scopes {
			sc.OrgID = f.org
			for _, p := range periods {
				from, to := day(t, p[0]), day(t, p[1])
				var n, minutes int64
				people := map[int64]bool{}
				teams := map[int64]string{}
				type agg struct{ n, minutes int64 }
				byTeam := map[int64]*agg{}
				teamPeople := map[int64]map[int64]bool{}
				for _, x := range raw {
					if x.org != sc.OrgID || (sc.SiteID != 0 && x.site != sc.SiteID) || (sc.StaffID != 0 && x.staff != sc.StaffID) ||
						(sc.ProjectID != 0 && x.project != sc.ProjectID) || x.date.Before(from) || x.date.After(to) {
						continue
					}
					n++
					minutes += x.minutes
					people[x.volunteer] = true
					a := byTeam[x.team]
					if a == nil {
						a = &agg{}
						byTeam[x.team] = a
						teamPeople[x.team] = map[int64]bool{}
					}
					a.n++
					a.minutes += x.minutes
					teamPeople[x.team][x.volunteer] = true
				}
				for id, a := range byTeam {
					teams[id] = fmt.Sprintf("%d %d %d", a.n, len(teamPeople[id]), a.minutes)
				}
				desc := fmt.Sprintf("%+v %s~%s", sc, from, to)
				pt, err := volunteers.PersonTimesFor(f.ctx, d.R, sc, from, to)
				if err != nil {
					t.Fatal(err)
				}
				m, err := volunteers.HoursFor(f.ctx, d.R, sc, from, to)
				if err != nil {
					t.Fatal(err)
				}
				dv, err := volunteers.DistinctFor(f.ctx, d.R, sc, from, to)
				if err != nil {
					t.Fatal(err)
				}
				th, err := volunteers.HoursByTeamFor(f.ctx, d.R, sc, from, to)
				if err != nil {
					t.Fatal(err)
				}
				got := map[int64]string{}
				for _, x := range th {
					got[x.TeamID] = fmt.Sprintf("%d %d %d", x.PersonTimes, x.Volunteers, x.Minutes)
				}
				_, listed, err := volunteers.CountedRecords(f.ctx, d.R, sc, from, to, app.ListQuery{Page: 1, Size: 20})
				if err != nil {
					t.Fatal(err)
				}
				if int64(pt) != n || int64(m) != minutes || dv != len(people) || int64(listed) != n || fmt.Sprint(got) != fmt.Sprint(teams) {
					t.Errorf("%s: person-times %d, minutes %d, volunteers %d, teams %v, drill-down %d; the records: %d, %d, %d, %v",
						desc, pt, m, dv, got, listed, n, minutes, len(people), teams)
				}
			}
		}
	})
}
