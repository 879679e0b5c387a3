package stats_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/auth"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/groups"
	"shegong/internal/org"
	"shegong/internal/pii"
	"shegong/internal/stats"
	"shegong/internal/stats/statstest"
	"shegong/internal/volunteers"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestStatistics builds the year once per database and checks the
// figures, the scopes and the home page on it.
func TestStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clk := &clock{}
		cipher, err := pii.NewCipher(bytes.Repeat([]byte{9}, pii.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		y := statstest.BuildYear(t, services(d, clk, cipher))
		svc := stats.New(d, clk.Now)
		t.Run("figures", func(t *testing.T) { yearFigures(t, y, svc) })
		t.Run("scopes", func(t *testing.T) { scopes(t, y, svc) })
		t.Run("home", func(t *testing.T) { homeFigures(t, y, svc, clk) })
	})
}

// services are the services of a system on d, sharing clk.
func services(d *db.DB, clk *clock, cipher *pii.Cipher) statstest.Services {
	clients := cases.NewClientService(d, clk.Now, cipher)
	return statstest.Services{Auth: auth.New(d, clk.Now, auth.Config{}), Org: org.New(d, clk.Now),
		Groups: groups.New(d, clk.Now), Volunteers: volunteers.New(d, clk.Now, cipher), Clients: clients,
		Cases: cases.NewCaseService(d, clk.Now, approval.New(d, clk.Now), clients), SetNow: clk.Set}
}

func query(t *testing.T, sc statstest.Scope) stats.Query {
	t.Helper()
	p, err := stats.ParsePeriod(sc.Period)
	if err != nil {
		t.Fatal(err)
	}
	return stats.Query{Period: p, SiteID: sc.SiteID, ProjectID: sc.ProjectID, StaffID: sc.StaffID}
}

// yearFigures: the year built through the services gives the known
// figures for the year, each service point, a quarter, a worker and a
// project; each figure's drill-down lists records that add up to it.
func yearFigures(t *testing.T, y *statstest.Year, svc *stats.Service) {
	ctx := context.Background()
	all := app.ListQuery{Page: 1, Size: 0}
	for name, sc := range y.Scopes {
		q := query(t, sc)
		r, err := svc.Report(ctx, y.Director.P, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.Figures) != len(stats.Figures) {
			t.Fatalf("%s: %d figures", name, len(r.Figures))
		}
		for _, f := range r.Figures {
			want, applies := y.Want[name][f.Key]
			if !applies {
				if !f.NotApplicable {
					t.Errorf("%s %s = %d, want not applicable", name, f.Key, f.Raw)
				}
				continue
			}
			if f.Raw != want || f.NotApplicable {
				t.Errorf("%s %s = %d, want %d", name, f.Key, f.Raw, want)
			}
			if f.Definition == "" || f.Label == "" {
				t.Errorf("%s has no label or definition", f.Key)
			}
			dr, err := svc.Drill(ctx, y.Director.P, q, f.Key, all)
			if err != nil {
				t.Fatalf("%s %s drill: %v", name, f.Key, err)
			}
			var sum int64
			for _, rec := range dr.Rows {
				sum += rec.Value
				if rec.Href == "" || rec.Title == "" || rec.Site == "" || rec.Date.Before(q.Period.From) || rec.Date.After(q.Period.To) {
					t.Errorf("%s %s record %+v", name, f.Key, rec)
				}
			}
			if sum != want || dr.Total != len(dr.Rows) || dr.Figure.Raw != want {
				t.Errorf("%s %s drill-down: %d rows adding to %d (total %d, figure %d), want %d", name, f.Key,
					len(dr.Rows), sum, dr.Total, dr.Figure.Raw, want)
			}
			if dr.ValueLabel == "计数" && int64(dr.Total) != want {
				t.Errorf("%s %s: %d records behind a count of %d", name, f.Key, dr.Total, want)
			}
		}
	}

	// Volunteer detail of the year.
	r, err := svc.Report(ctx, y.Director.P, query(t, y.Scopes["year"]))
	if err != nil {
		t.Fatal(err)
	}
	if r.Scope.Name != "全机构" || r.Period.Label != "2026年" {
		t.Errorf("scope %q, period %q", r.Scope.Name, r.Period.Label)
	}
	if r.Volunteers.Distinct != y.Distinct || len(r.Volunteers.Teams) != len(y.TeamMinutes) {
		t.Errorf("volunteers: %+v", r.Volunteers)
	}
	for _, team := range r.Volunteers.Teams {
		if y.TeamMinutes[team.TeamName] != team.Minutes {
			t.Errorf("team %s: %d minutes, want %d", team.TeamName, team.Minutes, y.TeamMinutes[team.TeamName])
		}
	}
	for _, f := range r.Figures {
		if f.Key == "volunteer_hours" && (f.Display != "14.5" || f.Value != 14.5) {
			t.Errorf("volunteer hours shown as %q (%v)", f.Display, f.Value)
		}
	}

	// By month: twelve rows adding up to the year; by service point: the
	// two centres, each its own figures.
	bm, err := svc.ByMonth(ctx, y.Director.P, query(t, y.Scopes["year"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(bm.Rows) != 12 || bm.Rows[0].Key != "2026-01" || bm.Rows[0].Period != "2026-01" {
		t.Fatalf("by month: %+v", bm.Rows)
	}
	for i, c := range bm.Columns {
		var sum int64
		for _, row := range bm.Rows {
			sum += row.Values[i].Raw
		}
		if sum != y.Want["year"][c.Key] || bm.Total.Values[i].Raw != sum {
			t.Errorf("by month %s: rows add to %d, total %d, want %d", c.Key, sum, bm.Total.Values[i].Raw, y.Want["year"][c.Key])
		}
	}
	bs, err := svc.BySite(ctx, y.Director.P, query(t, y.Scopes["year"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs.Rows) != 2 {
		t.Fatalf("by site: %+v", bs.Rows)
	}
	for _, row := range bs.Rows {
		name := map[int64]string{y.SiteA: "siteA", y.SiteB: "siteB"}[row.SiteID]
		for i, c := range bs.Columns {
			if row.Values[i].Raw != y.Want[name][c.Key] {
				t.Errorf("by site %s %s = %d, want %d", row.Label, c.Key, row.Values[i].Raw, y.Want[name][c.Key])
			}
		}
	}

	// Paging and sorting of a drill-down.
	page, err := svc.Drill(ctx, y.Director.P, query(t, y.Scopes["year"]), "group_sessions", app.ListQuery{Page: 2, Size: 4, Sort: "date", Desc: true})
	if err != nil || page.Total != 9 || len(page.Rows) != 4 || page.Rows[0].Date.String() != "2026-05-06" {
		t.Fatalf("page 2 of sessions: %v %+v", err, page)
	}
	// The same paging and order for a service point's and a worker's
	// sessions (looked up by their groups).
	for _, scope := range []string{"siteA", "wang", "project"} {
		for _, key := range []string{"group_sessions", "group_person_times"} {
			full, err := svc.Drill(ctx, y.Director.P, query(t, y.Scopes[scope]), key, app.ListQuery{Page: 1, Size: 0, Sort: "date", Desc: true})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(full.Rows); i++ {
				if full.Rows[i].Date.After(full.Rows[i-1].Date) {
					t.Errorf("%s %s: %s after %s, want newest first", scope, key, full.Rows[i].Date, full.Rows[i-1].Date)
				}
			}
			page, err := svc.Drill(ctx, y.Director.P, query(t, y.Scopes[scope]), key, app.ListQuery{Page: 2, Size: 1, Sort: "date", Desc: true})
			if err != nil || len(full.Rows) < 2 || len(page.Rows) != 1 || page.Total != full.Total || page.Rows[0].ID != full.Rows[1].ID {
				t.Errorf("%s %s: page 2 of 1 %+v, all %+v (%v)", scope, key, page, full, err)
			}
		}
	}
	if _, err := svc.Drill(ctx, y.Director.P, query(t, y.Scopes["year"]), "unknown", all); app.ErrorCode(err) != app.EInvalid {
		t.Errorf("unknown figure: %v", err)
	}
}

// scopes: each reader may pick only what their grant covers; anything
// else is not found, and another organization sees nothing of this one.
func scopes(t *testing.T, y *statstest.Year, svc *stats.Service) {
	ctx := context.Background()
	year, _ := stats.ParsePeriod("2026")
	q := func(site, project, staff int64) stats.Query {
		return stats.Query{Period: year, SiteID: site, ProjectID: project, StaffID: staff}
	}
	type probe struct {
		who  *statstest.Person
		q    stats.Query
		want string // scope name when allowed, "" when not found
		code app.Code
	}
	probes := []probe{
		{y.Wang, q(0, 0, 0), "王嘉欣", ""},
		{y.Wang, q(y.SiteA, 0, y.Wang.StaffID), "黄江镇北岸社区综合服务中心 · 王嘉欣", ""},
		{y.Wang, q(0, y.Project, y.Wang.StaffID), "义路童行 · 王嘉欣", ""},
		{y.Wang, q(y.SiteA, 0, 0), "", app.ENotFound},
		{y.Wang, q(0, 0, y.Li.StaffID), "", app.ENotFound},
		{y.Wang, q(0, y.Project, 0), "义路童行 · 王嘉欣", ""}, // narrowed to their own figures
		{y.Supervisor, q(0, 0, 0), "梁志明", ""},
		{y.Supervisor, q(0, 0, y.Wang.StaffID), "王嘉欣", ""},
		{y.Supervisor, q(0, 0, y.Li.StaffID), "", app.ENotFound},
		{y.HeadA, q(0, 0, 0), "黄江镇北岸社区综合服务中心", ""},
		{y.HeadA, q(y.SiteA, 0, y.Li.StaffID), "黄江镇北岸社区综合服务中心 · 李子豪", ""},
		{y.HeadA, q(0, y.Project, 0), "黄江镇北岸社区综合服务中心 · 义路童行", ""},
		{y.HeadA, q(y.SiteB, 0, 0), "", app.ENotFound},
		{y.HeadA, q(0, 0, y.Zhao.StaffID), "", app.ENotFound},
		{y.Director, q(y.SiteB, 0, y.Zhao.StaffID), "企石镇振华社区综合服务中心 · 赵晓琳", ""},
		{y.Director, q(999999, 0, 0), "", app.ENotFound},
		{y.Evaluator, q(0, 0, 0), "全机构", ""},
		{y.Admin, q(0, 0, y.Li.StaffID), "李子豪", ""},
		{y.Foreign, q(y.SiteA, 0, 0), "", app.ENotFound},
		{y.Foreign, q(0, y.Project, 0), "", app.ENotFound},
		{y.Foreign, q(0, 0, y.Wang.StaffID), "", app.ENotFound},
	}
	for _, pr := range probes {
		r, err := svc.Report(ctx, pr.who.P, pr.q)
		if pr.code != "" {
			if app.ErrorCode(err) != pr.code {
				t.Errorf("%s %+v: %v, want %s", pr.who.Username, pr.q, err, pr.code)
			}
			if _, err := svc.Drill(ctx, pr.who.P, pr.q, "activities", app.ListQuery{Page: 1, Size: 20}); app.ErrorCode(err) != pr.code {
				t.Errorf("%s drill %+v: %v, want %s", pr.who.Username, pr.q, err, pr.code)
			}
			continue
		}
		if err != nil || r.Scope.Name != pr.want {
			t.Errorf("%s %+v: %v %q, want %q", pr.who.Username, pr.q, err, r.Scope.Name, pr.want)
		}
	}

	// The worker's own figures are theirs, whoever asks.
	r, err := svc.Report(ctx, y.Wang.P, q(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Figures {
		if want := y.Want["wang"][f.Key]; f.Raw != want {
			t.Errorf("wang's own %s = %d, want %d", f.Key, f.Raw, want)
		}
	}
	// The other organization's director sees their own empty organization.
	r, err = svc.Report(ctx, y.Foreign.P, q(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Figures {
		if f.Raw != 0 {
			t.Errorf("other organization counts %s = %d", f.Key, f.Raw)
		}
	}
	if r.Volunteers.Distinct != 0 || len(r.Volunteers.Teams) != 0 {
		t.Errorf("other organization sees volunteers: %+v", r.Volunteers)
	}

	// What each reader is offered to pick.
	c, err := svc.Choices(ctx, y.HeadA.P)
	if err != nil || c.AnySite || !c.AnyStaff || len(c.Sites) != 1 || c.Sites[0].ID != y.SiteA || len(c.Projects) != 1 {
		t.Fatalf("head choices: %v %+v", err, c)
	}
	names := map[string]bool{}
	for _, s := range c.Staff {
		names[s.Name] = true
	}
	if len(c.Staff) != 3 || !names["王嘉欣"] || !names["李子豪"] || !names["陈慧敏"] {
		t.Errorf("head's staff choices: %+v", c.Staff)
	}
	c, err = svc.Choices(ctx, y.Wang.P)
	if err != nil || !c.AnySite || c.AnyStaff || len(c.Staff) != 1 || c.Staff[0].ID != y.Wang.StaffID {
		t.Errorf("worker choices: %v %+v", err, c)
	}
	c, err = svc.Choices(ctx, y.Supervisor.P)
	if err != nil || len(c.Staff) != 3 || len(c.Sites) != 0 {
		t.Errorf("supervisor choices: %v %+v", err, c)
	}
	c, err = svc.Choices(ctx, y.Director.P)
	if err != nil || !c.AnySite || !c.AnyStaff || len(c.Sites) != 2 || len(c.Staff) != 6 {
		t.Errorf("director choices: %v %+v", err, c)
	}

	// A user without the permission, and the platform, are refused.
	hr := &authz.Principal{OrgID: y.OrgID, OrgKind: "agency", Roles: []authz.Role{authz.RoleHR}}
	if _, err := svc.Report(ctx, hr, q(0, 0, 0)); app.ErrorCode(err) != app.EForbidden {
		t.Errorf("hr: %v", err)
	}
	if home, err := svc.Home(ctx, hr); err != nil || home != nil {
		t.Errorf("hr home: %v %v", err, home)
	}
}

// homeFigures: the home page shows this month's figures in the reader's
// default scope.
func homeFigures(t *testing.T, y *statstest.Year, svc *stats.Service, clk *clock) {
	clk.Set(time.Date(2026, 12, 28, 1, 0, 0, 0, time.UTC))
	got := map[string]string{}
	home, err := svc.Home(context.Background(), y.HeadA.P)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range home {
		got[f.Key] = f.Display
		if f.Period.Code != "2026-12" || f.Scope.SiteID != y.SiteA {
			t.Errorf("home figure %+v", f)
		}
	}
	if len(home) != 3 || got["activities"] != "1" || got["group_person_times"] != "0" || got["volunteer_hours"] != "3.5" {
		t.Errorf("head's home figures: %v", got)
	}
}
