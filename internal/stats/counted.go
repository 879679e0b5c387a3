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
// and [from, to].
func (s *Service) counted(ctx context.Context, scope Scope, from, to app.Date) ([]int64, error) {
	vals := make([]int64, len(Figures))
	mFrom, mTo, edges, ok := wholeMonths(from, to)
	if ok {
		sum, err := tally.Sum(ctx, s.DB.R, scope.tally(), mFrom, mTo)
		if err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		for i := range Figures {
			vals[i] = sum[tallyIndex[i]]
		}
	}
	for _, e := range edges {
		for i, f := range Figures {
			if !f.Applies(scope) {
				continue
			}
			n, err := f.Count(ctx, s.DB.R, scope, e[0], e[1])
			if err != nil {
				return nil, fmt.Errorf("stats: %s: %w", f.Key, err)
			}
			vals[i] += n
		}
	}
	return vals, nil
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

// countedVolunteers is the volunteer detail of a report of a standard
// period for the organization or one service point, from the counters; ok
// is false for any other scope or period, which the records answer.
func (s *Service) countedVolunteers(ctx context.Context, scope Scope, p Period) (Volunteers, bool, error) {
	v := Volunteers{DistinctDefinition: volunteers.DefDistinctVolunteers, Teams: []TeamHours{}}
	kind := standardKind(p.From, p.To)
	if kind == "" || scope.ProjectID != 0 || scope.StaffID != 0 {
		return v, false, nil
	}
	teams, err := tally.Volunteers(ctx, s.DB.R, scope.OrgID, scope.SiteID, kind, p.From)
	if err != nil {
		return v, false, err
	}
	hours, _ := FigureByKey("volunteer_hours")
	for _, t := range teams {
		if t.TeamID == 0 {
			v.Distinct = int(t.Volunteers)
			continue
		}
		th := TeamHours{TeamID: t.TeamID, TeamName: t.Name, SiteName: t.SiteName, PersonTimes: int(t.PersonTimes),
			Volunteers: int(t.Volunteers), Minutes: t.Minutes}
		if t.TeamID == tally.NoTeam {
			th.TeamID, th.TeamName, th.SiteName = 0, "未归属服务队", ""
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
