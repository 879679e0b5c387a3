package stats

import (
	"context"
	"fmt"
	"slices"

	"shegong/internal/app"
	"shegong/internal/tally"
	"shegong/internal/volunteers"
)

// How a report is counted. The figures of whole calendar months come from
// the counters the services keep (package tally: one row per month for the
// organization, the scope's detail rows otherwise); the days of a custom
// period before its first or after its last whole month are counted from
// the records, like the drill-down lists. So the cost of a report grows with
// the scope and the number of months, not with the database.

// tallyIndex maps each figure of the registry to its counter column.
var tallyIndex = func() []int {
	out := make([]int, len(Figures))
	for i, f := range Figures {
		col := f.Key
		if f.Key == "volunteer_hours" {
			col = "volunteer_minutes"
		}
		out[i] = slices.Index(tally.Columns, col)
		if out[i] < 0 {
			panic("stats: no counter for figure " + f.Key)
		}
	}
	return out
}()

func (s Scope) tally() tally.Scope {
	return tally.Scope{OrgID: s.OrgID, SiteID: s.SiteID, ProjectID: s.ProjectID, StaffID: s.StaffID}
}

// wholeMonths splits [from, to] into its whole months (ok false when there
// are none) and the days outside them.
func wholeMonths(from, to app.Date) (mFrom, mTo app.Date, edges [][2]app.Date, ok bool) {
	mFrom = from.MonthStart()
	if !mFrom.Equal(from) {
		mFrom = mFrom.AddMonths(1)
	}
	mTo = to.MonthStart()
	if !to.Equal(to.MonthEnd()) {
		mTo = mTo.AddMonths(-1)
	}
	if mTo.Before(mFrom) {
		return app.Date{}, app.Date{}, [][2]app.Date{{from, to}}, false
	}
	if from.Before(mFrom) {
		edges = append(edges, [2]app.Date{from, mFrom.AddDays(-1)})
	}
	if end := mTo.MonthEnd(); end.Before(to) {
		edges = append(edges, [2]app.Date{end.AddDays(1), to})
	}
	return mFrom, mTo, edges, true
}

// counted is the raw value of every figure (in registry order) for scope
// and [from, to], and the counters' volunteer service per team over the
// period's whole months (nil when the period has edge days).
func (s *Service) counted(ctx context.Context, scope Scope, from, to app.Date) ([]int64, map[int64]tally.Values, error) {
	vals := make([]int64, len(Figures))
	mFrom, mTo, edges, ok := wholeMonths(from, to)
	var teams map[int64]tally.Values
	if ok {
		sum, t, err := tally.Sum(ctx, s.DB.R, scope.tally(), mFrom, mTo)
		if err != nil {
			return nil, nil, fmt.Errorf("stats: %w", err)
		}
		for i := range Figures {
			vals[i] = sum[tallyIndex[i]]
		}
		if len(edges) == 0 {
			teams = t
		}
	}
	for _, e := range edges {
		for i, f := range Figures {
			if !f.Applies(scope) {
				continue
			}
			n, err := f.Count(ctx, s.DB.R, scope, e[0], e[1])
			if err != nil {
				return nil, nil, fmt.Errorf("stats: %s: %w", f.Key, err)
			}
			vals[i] += n
		}
	}
	return vals, teams, nil
}

// standardKind is the kind of standard period [from, to] is exactly, or "".
func standardKind(from, to app.Date) string {
	for _, kind := range tally.PeriodKinds {
		start := tally.PeriodStart(kind, from)
		if !start.Equal(from) {
			continue
		}
		months := map[string]int{"month": 1, "quarter": 3, "half": 6, "year": 12}[kind]
		if start.AddMonths(months).AddDays(-1).Equal(to) {
			return kind
		}
	}
	return ""
}

// countedVolunteers is the volunteer detail of an organization-wide report
// of a standard period from the counters; ok is false for any other scope
// or period, which the records answer.
func (s *Service) countedVolunteers(ctx context.Context, scope Scope, p Period, teams map[int64]tally.Values) (Volunteers, bool, error) {
	v := Volunteers{DistinctDefinition: volunteers.DefDistinctVolunteers, Teams: []TeamHours{}}
	kind := standardKind(p.From, p.To)
	if kind == "" || teams == nil || scope.SiteID != 0 || scope.ProjectID != 0 || scope.StaffID != 0 {
		return v, false, nil
	}
	distinct, err := tally.Volunteers(ctx, s.DB.R, scope.OrgID, kind, p.From)
	if err != nil {
		return v, false, err
	}
	v.Distinct = int(distinct[0])
	type team struct {
		id, site int64
		name, sn string
	}
	names := map[int64]team{}
	var ids []int64
	for id, t := range teams {
		if id > 0 && t[tally.VolunteerPersonTimes] != 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		rows, err := s.DB.R.QueryContext(ctx, `SELECT t.id, t.name, t.site_id, COALESCE(s.name, '') FROM volunteer_teams t
			LEFT JOIN sites s ON s.org_id = t.org_id AND s.id = t.site_id WHERE t.org_id = $1 AND t.id IN (`+inList(ids)+`)`, scope.OrgID)
		if err != nil {
			return v, false, fmt.Errorf("stats: teams: %w", err)
		}
		for rows.Next() {
			var t team
			if err := rows.Scan(&t.id, &t.name, &t.site, &t.sn); err != nil {
				rows.Close()
				return v, false, err
			}
			names[t.id] = t
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return v, false, err
		}
	}
	hours, _ := FigureByKey("volunteer_hours")
	for id, t := range teams {
		if t[tally.VolunteerPersonTimes] == 0 {
			continue
		}
		th := TeamHours{TeamID: id, TeamName: "未归属服务队", PersonTimes: int(t[tally.VolunteerPersonTimes]),
			Volunteers: int(distinct[id]), Minutes: t[tally.VolunteerMinutes]}
		if id == tally.NoTeam {
			th.TeamID = 0
		} else {
			th.TeamName, th.SiteName = names[id].name, names[id].sn
		}
		th.Hours, th.Display = hours.Number(th.Minutes), hours.Format(th.Minutes)
		v.Teams = append(v.Teams, th)
	}
	slices.SortFunc(v.Teams, func(a, b TeamHours) int {
		if a.Minutes != b.Minutes {
			if a.Minutes > b.Minutes {
				return -1
			}
			return 1
		}
		return int(a.TeamID - b.TeamID)
	})
	return v, true, nil
}
