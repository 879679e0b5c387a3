package stats_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/groups"
	"shegong/internal/pii"
	"shegong/internal/stats"
	"shegong/internal/stats/statstest"
	"shegong/internal/tally"
	"shegong/internal/volunteers"
)

// TestCountersMatchRecords: after a random run of service operations on
// the year (sessions with attendance created, moved, re-marked and deleted;
// groups moved between projects and leaders; activities created and
// edited; volunteer service records created, moved between dates, teams,
// service points and activities, and deleted), every figure the report
// takes from the counters equals a recount from the records, for several
// scopes and periods, including custom ones crossing months; the counters
// equal a rebuild from the records; and every group's first session date is
// the earliest of its sessions.
func TestCountersMatchRecords(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := &clock{}
		cipher, err := pii.NewCipher(bytes.Repeat([]byte{9}, pii.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		s := services(d, clk, cipher)
		y := statstest.BuildYear(t, s)
		ctx := db.System(context.Background())
		r := &randomRun{t: t, ctx: ctx, d: d, s: s, y: y, rng: rand.New(rand.NewPCG(7, uint64(len(d.Dialect)))), done: map[string]int{}}
		r.people = map[int64]*statstest.Person{y.Wang.StaffID: y.Wang, y.Li.StaffID: y.Li, y.Zhao.StaffID: y.Zhao, y.HeadA.StaffID: y.HeadA}
		for range 90 {
			r.step()
		}
		t.Logf("operations done: %v (refused: %d)", r.done, r.refused)
		for _, op := range []string{"session.create", "session.update", "session.delete", "attendance", "group.update",
			"activity.create", "activity.update", "record.create", "record.update", "record.delete", "case.reassign"} {
			if r.done[op] == 0 {
				t.Errorf("no %s succeeded", op)
			}
		}
		svc := stats.New(d, clk.Now)
		compareAll(t, ctx, d, svc, y)

		// A rebuild from the records gives the same counters.
		before := dumpCounters(t, ctx, d, y.OrgID)
		if err := d.Tx(ctx, func(tx *sql.Tx) error { return tally.Rebuild(ctx, tx, d.Dialect, y.OrgID) }); err != nil {
			t.Fatal(err)
		}
		after := dumpCounters(t, ctx, d, y.OrgID)
		if !reflect.DeepEqual(before, after) {
			for k, v := range after {
				if before[k] != v {
					t.Errorf("rebuild: %s = %s, kept %s", k, v, before[k])
				}
			}
			for k, v := range before {
				if _, ok := after[k]; !ok {
					t.Errorf("rebuild: %s missing, kept %s", k, v)
				}
			}
		}
		var wrong int
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM groups g WHERE g.org_id = $1 AND
			COALESCE(g.first_session_on, '1900-01-01') <> COALESCE((SELECT MIN(s.held_on) FROM group_sessions s
			WHERE s.org_id = g.org_id AND s.group_id = g.id), '1900-01-01')`, y.OrgID).Scan(&wrong); err != nil {
			t.Fatal(err)
		}
		if wrong != 0 {
			t.Errorf("%d groups with a wrong first session date", wrong)
		}
	})
}

// compareAll checks the report against recounts from the records.
func compareAll(t *testing.T, ctx context.Context, d *db.DB, svc *stats.Service, y *statstest.Year) {
	t.Helper()
	scopes := map[string]stats.Query{
		"org": {}, "siteA": {SiteID: y.SiteA}, "siteB": {SiteID: y.SiteB}, "project": {ProjectID: y.Project},
		"wang": {StaffID: y.Wang.StaffID}, "zhao": {StaffID: y.Zhao.StaffID}, "siteA·li": {SiteID: y.SiteA, StaffID: y.Li.StaffID},
		"siteA·project": {SiteID: y.SiteA, ProjectID: y.Project},
	}
	periods := []string{"2026", "2026Q2", "2026H2", "2026-03", "2025-12", "2026-01-15~2026-04-10", "2026-02-03~2026-02-20",
		"2025-12-10~2026-12-31", "2025"}
	for name, sq := range scopes {
		for _, code := range periods {
			p, err := stats.ParsePeriod(code)
			if err != nil {
				t.Fatal(err)
			}
			q := sq
			q.Period = p
			rep, err := svc.Report(ctx, y.Director.P, q)
			if err != nil {
				t.Fatalf("%s %s: %v", name, code, err)
			}
			scope := stats.Scope{OrgID: y.OrgID, SiteID: q.SiteID, ProjectID: q.ProjectID, StaffID: q.StaffID}
			for i, f := range stats.Figures {
				if !f.Applies(scope) {
					continue
				}
				want, err := f.Count(ctx, d.R, scope, p.From, p.To)
				if err != nil {
					t.Fatal(err)
				}
				if got := rep.Figures[i].Raw; got != want {
					t.Errorf("%s %s %s: counters %d, records %d", name, code, f.Key, got, want)
				}
			}
			// The volunteer detail, from the counters for the organization's
			// standard periods, equals the one from the records.
			vf := volunteers.CountFilter{OrgID: y.OrgID, SiteID: q.SiteID, ProjectID: q.ProjectID, StaffID: q.StaffID}
			distinct, err := volunteers.DistinctFor(ctx, d.R, vf, p.From, p.To)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Volunteers.Distinct != distinct {
				t.Errorf("%s %s: %d different volunteers, records %d", name, code, rep.Volunteers.Distinct, distinct)
			}
			teams, err := volunteers.HoursByTeamFor(ctx, d.R, vf, p.From, p.To)
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, th := range teams {
				want = append(want, fmt.Sprintf("%d %s %s %d %d %d", th.TeamID, th.TeamName, th.SiteName, th.PersonTimes, th.Volunteers, th.Minutes))
			}
			for _, th := range rep.Volunteers.Teams {
				got = append(got, fmt.Sprintf("%d %s %s %d %d %d", th.TeamID, th.TeamName, th.SiteName, th.PersonTimes, th.Volunteers, th.Minutes))
			}
			if !slices.Equal(want, got) {
				t.Errorf("%s %s: teams %q, records %q", name, code, got, want)
			}
		}
	}
}

func dumpCounters(t *testing.T, ctx context.Context, d *db.DB, orgID int64) map[string]string {
	t.Helper()
	out := map[string]string{}
	read := func(query string, n, keyLen int) {
		rows, err := d.R.QueryContext(ctx, query, orgID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			vals := make([]any, n)
			ptrs := make([]any, n)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if tm, ok := v.(time.Time); ok {
					vals[i] = tm.Format("2006-01-02")
				}
			}
			out[fmt.Sprint(vals[:keyLen])] = fmt.Sprint(vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	nonZero := ""
	for i, c := range tally.Columns {
		if i > 0 {
			nonZero += " OR "
		}
		nonZero += c + " <> 0"
	}
	read(`SELECT month, site_id, project_id, staff_id, `+joinCols()+` FROM stats_month WHERE org_id = $1 AND (`+nonZero+`)`, 4+len(tally.Columns), 4)
	read(`SELECT 'v', kind, period_start, site_id, team_id, volunteers, person_times, minutes FROM stats_volunteers
		WHERE org_id = $1 AND (volunteers <> 0 OR person_times <> 0 OR minutes <> 0)`, 8, 5)
	return out
}

func joinCols() string {
	s := ""
	for i, c := range tally.Columns {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

// randomRun drives the services at random.
type randomRun struct {
	t       *testing.T
	ctx     context.Context
	d       *db.DB
	s       statstest.Services
	y       *statstest.Year
	rng     *rand.Rand
	people  map[int64]*statstest.Person
	done    map[string]int
	refused int
}

func (r *randomRun) ids(query string, args ...any) [][]int64 {
	r.t.Helper()
	rows, err := r.d.R.QueryContext(r.ctx, query, args...)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	var out [][]int64
	cols, _ := rows.Columns()
	for rows.Next() {
		row := make([]int64, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, row)
	}
	return out
}

func (r *randomRun) pick(rows [][]int64) []int64 {
	if len(rows) == 0 {
		return nil
	}
	return rows[r.rng.IntN(len(rows))]
}

// day is a random day from 2025-12-01 to 2026-12-31.
func (r *randomRun) day() app.Date {
	return app.NewDate(2025, 12, 1).AddDays(r.rng.IntN(396))
}

func (r *randomRun) members(groupID int64) []int64 {
	var out []int64
	for _, m := range r.ids(`SELECT id FROM group_members WHERE org_id = $1 AND group_id = $2 ORDER BY id`, r.y.OrgID, groupID) {
		if r.rng.IntN(3) > 0 {
			out = append(out, m[0])
		}
	}
	return out
}

func (r *randomRun) result(op string, err error) {
	r.t.Helper()
	if err == nil {
		r.done[op]++
		return
	}
	var ae *app.Error
	if app.ErrorCode(err) != "" && errorAs(err, &ae) {
		r.refused++
		return
	}
	r.t.Fatalf("%s: %v", op, err)
}

func errorAs(err error, target **app.Error) bool {
	e, ok := err.(*app.Error)
	if ok {
		*target = e
	}
	return ok
}

func (r *randomRun) step() {
	y, s, ctx := r.y, r.s, r.ctx
	switch r.rng.IntN(11) {
	case 0: // a new session
		g := r.pick(r.ids(`SELECT id, leader_id FROM groups WHERE org_id = $1`, y.OrgID))
		_, err := s.Groups.CreateSession(ctx, r.people[g[1]].P, g[0], groups.SessionInput{HeldOn: r.day(), Topic: "随机节次",
			Present: r.members(g[0])})
		r.result("session.create", err)
	case 1: // a session moved to another day, re-marked
		row := r.pick(r.ids(`SELECT s.id, s.group_id, g.leader_id, s.version FROM group_sessions s JOIN groups g ON g.org_id = s.org_id
			AND g.id = s.group_id WHERE s.org_id = $1`, y.OrgID))
		err := s.Groups.UpdateSession(ctx, r.people[row[2]].P, row[1], row[0], groups.SessionInput{HeldOn: r.day(), Topic: "改期",
			Present: r.members(row[1]), Version: row[3]})
		r.result("session.update", err)
	case 2:
		row := r.pick(r.ids(`SELECT s.id, s.group_id, g.leader_id, s.version FROM group_sessions s JOIN groups g ON g.org_id = s.org_id
			AND g.id = s.group_id WHERE s.org_id = $1`, y.OrgID))
		if r.rng.IntN(2) == 0 {
			r.result("session.delete", s.Groups.DeleteSession(ctx, r.people[row[2]].P, row[1], row[0]))
		} else {
			r.result("attendance", s.Groups.SetAttendance(ctx, r.people[row[2]].P, row[1], row[0], r.members(row[1]), row[3]))
		}
	case 3: // a group of site A changes project and leader
		row := r.pick(r.ids(`SELECT id FROM groups WHERE org_id = $1 AND site_id = $2`, y.OrgID, y.SiteA))
		g, err := s.Groups.GetGroup(ctx, y.HeadA.P, row[0])
		if err != nil {
			r.t.Fatal(err)
		}
		in := groups.GroupInput{Name: g.Name, Kind: g.Kind, SiteID: g.SiteID, ProjectID: y.Project, LeaderID: y.Wang.StaffID,
			TargetMembers: g.TargetMembers, PlannedSessions: g.PlannedSessions, Version: g.Version}
		if r.rng.IntN(2) == 0 {
			in.ProjectID, in.LeaderID = 0, y.Li.StaffID
		}
		r.result("group.update", s.Groups.UpdateGroup(ctx, y.HeadA.P, g.ID, in))
	case 4: // a new activity
		site, lead, project := y.SiteA, y.Wang, y.Project
		if r.rng.IntN(2) == 0 {
			site, lead, project = y.SiteB, y.Zhao, 0
		}
		_, err := s.Groups.CreateActivity(ctx, lead.P, groups.ActivityInput{Title: "随机活动", Kind: "festival", HeldOn: r.day(),
			Place: "广场", SiteID: site, ProjectID: project, LeadID: lead.StaffID, Participants: r.rng.IntN(50),
			Posters: r.rng.IntN(5), Flyers: r.rng.IntN(50)})
		r.result("activity.create", err)
	case 5: // an activity moved, its project and numbers changed
		row := r.pick(r.ids(`SELECT id FROM activities WHERE org_id = $1 AND site_id = $2`, y.OrgID, y.SiteA))
		a, err := s.Groups.GetActivity(ctx, y.HeadA.P, row[0])
		if err != nil {
			r.t.Fatal(err)
		}
		project := y.Project
		if r.rng.IntN(2) == 0 {
			project = 0
		}
		signIns, err := s.Groups.ActivityFile(ctx, y.HeadA.P, a.ID)
		if err != nil {
			r.t.Fatal(err)
		}
		err = s.Groups.UpdateActivity(ctx, y.HeadA.P, a.ID, groups.ActivityInput{Title: a.Title, Kind: a.Kind, HeldOn: r.day(),
			Place: a.Place, SiteID: a.SiteID, ProjectID: project, LeadID: a.LeadID, Participants: r.rng.IntN(80),
			SignIns: signIns.SignIns, Posters: r.rng.IntN(5), Flyers: r.rng.IntN(80), Version: a.Version})
		r.result("activity.update", err)
	case 6, 7: // a new service record
		r.record(0)
	case 8:
		row := r.pick(r.ids(`SELECT id FROM volunteer_services WHERE org_id = $1`, y.OrgID))
		if row != nil {
			r.record(row[0])
		}
	case 9:
		row := r.pick(r.ids(`SELECT id, site_id FROM volunteer_services WHERE org_id = $1`, y.OrgID))
		if row == nil {
			return
		}
		p := y.HeadA
		if row[1] == y.SiteB {
			p = y.Zhao
		}
		r.result("record.delete", s.Volunteers.DeleteRecord(ctx, p.P, row[0]))
	case 10: // a case of site A handed to the other worker
		row := r.pick(r.ids(`SELECT id, worker_id FROM cases WHERE org_id = $1 AND site_id = $2 AND state <> 'archived'`, y.OrgID, y.SiteA))
		to := y.Wang.StaffID
		if row[1] == to {
			to = y.Li.StaffID
		}
		_, err := s.Cases.Reassign(ctx, y.HeadA.P, cases.ReassignInput{CaseIDs: []int64{row[0]}, ToWorkerID: to, Reason: "工作调整"})
		r.result("case.reassign", err)
	}
}

// record creates a service record (id 0) or moves one to another day,
// team, service point and activity.
func (r *randomRun) record(id int64) {
	y, s, ctx := r.y, r.s, r.ctx
	vol := r.pick(r.ids(`SELECT id, site_id FROM volunteers WHERE org_id = $1`, y.OrgID))
	p, team := y.HeadA, y.TeamA
	site := vol[1]
	if site == y.SiteB {
		p, team = y.Zhao, y.TeamB
	}
	if r.rng.IntN(3) == 0 {
		team = 0
	}
	var activity int64
	if a := r.pick(r.ids(`SELECT id FROM activities WHERE org_id = $1 AND site_id = $2`, y.OrgID, site)); a != nil && r.rng.IntN(2) == 0 {
		activity = a[0]
	}
	start := 8 + r.rng.IntN(10)
	in := volunteers.RecordInput{VolunteerID: vol[0], SiteID: site, TeamID: team, ActivityID: activity, ActivityName: "随机服务",
		Date: r.day(), Start: fmt.Sprintf("%02d:00", start), End: fmt.Sprintf("%02d:%02d", start+1, r.rng.IntN(60)),
		LeadName: "王嘉欣", Content: "协助"}
	if id == 0 {
		_, err := s.Volunteers.CreateRecord(ctx, p.P, in)
		r.result("record.create", err)
		return
	}
	cur := r.ids(`SELECT site_id FROM volunteer_services WHERE org_id = $1 AND id = $2`, y.OrgID, id)
	if cur[0][0] != site { // editing needs write access to both service points: the director
		p = y.Director
	}
	_, err := s.Volunteers.UpdateRecord(ctx, p.P, id, in)
	r.result("record.update", err)
}
