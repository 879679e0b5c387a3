package stats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/volunteers"
)

// Service answers the statistics questions. HTML and JSON handlers both
// call it; it decides which scopes a reader may pick.
type Service struct {
	DB  *db.DB
	Now func() time.Time
}

// New returns the service.
func New(d *db.DB, now func() time.Time) *Service { return &Service{DB: d, Now: now} }

// Query is what a reader asks for: a period and a scope. Zero ids leave
// the scope to the reader's default (the organization, their service
// point, or themselves).
type Query struct {
	Period    Period
	SiteID    int64
	ProjectID int64
	StaffID   int64
}

// ScopeInfo is the scope a statistic was counted for, named for people.
type ScopeInfo struct {
	SiteID    int64  `json:"site_id"`
	ProjectID int64  `json:"project_id"`
	StaffID   int64  `json:"staff_id"`
	Name      string `json:"name" doc:"统计范围名称，如 全机构、某服务点 · 某同工"`
}

// Column describes a figure in answers.
type Column struct {
	Key        string `json:"key"`
	Label      string `json:"label"`
	Unit       string `json:"unit"`
	Definition string `json:"definition" doc:"统计口径"`
}

// Amount is a figure's value.
type Amount struct {
	Value         float64 `json:"value" doc:"数值；时数为小时（保留两位小数）"`
	Display       string  `json:"display" doc:"显示用文本，含千分位"`
	NotApplicable bool    `json:"not_applicable,omitempty" doc:"该统计项不适用于所选范围（如个案不按项目统计）"`
	Raw           int64   `json:"-"`
}

// FigureValue is one figure with its value.
type FigureValue struct {
	Column
	Amount
}

// Report is the figures of one period and scope.
type Report struct {
	Period     Period        `json:"period"`
	Scope      ScopeInfo     `json:"scope"`
	Figures    []FigureValue `json:"figures"`
	Volunteers Volunteers    `json:"volunteers"`
}

// Volunteers is the volunteer detail of a report: how many different
// volunteers served, and each team's share.
type Volunteers struct {
	Distinct           int         `json:"distinct" doc:"服务义工人数"`
	DistinctDefinition string      `json:"distinct_definition"`
	Teams              []TeamHours `json:"teams"`
}

// TeamHours is one volunteer team's service in the period.
type TeamHours struct {
	TeamID      int64   `json:"team_id" doc:"0 表示未归属服务队"`
	TeamName    string  `json:"team_name"`
	SiteName    string  `json:"site_name" doc:"服务队所属服务点"`
	PersonTimes int     `json:"person_times"`
	Volunteers  int     `json:"volunteers"`
	Minutes     int64   `json:"minutes"`
	Hours       float64 `json:"hours"`
	Display     string  `json:"display" doc:"时数显示文本"`
}

// Row is one row of a table by month or by service point.
type Row struct {
	Key    string   `json:"key" doc:"月份（2026-03）、年份或服务点编号"`
	Label  string   `json:"label"`
	Period string   `json:"period" doc:"该行的期间代码，可用于查询明细"`
	SiteID int64    `json:"site_id,omitempty"`
	Values []Amount `json:"values" doc:"与 columns 一一对应"`
}

// Table is the figures by month (or year) or by service point, with the
// total of the period.
type Table struct {
	Period  Period    `json:"period"`
	Scope   ScopeInfo `json:"scope"`
	By      string    `json:"by" doc:"month 按月（超过24个月按年）或 site 按服务点"`
	Columns []Column  `json:"columns"`
	Rows    []Row     `json:"rows"`
	Total   Row       `json:"total"`
}

// Drill is the records behind one figure, one page of them.
type Drill struct {
	Period Period      `json:"period"`
	Scope  ScopeInfo   `json:"scope"`
	Figure FigureValue `json:"figure"`
	// ValueLabel names what each record adds (出席人次, 参与人数 …).
	ValueLabel string   `json:"value_label"`
	Total      int      `json:"total" doc:"记录总数（全部页）"`
	Rows       []Record `json:"rows"`
}

// Choice is one option of a scope filter.
type Choice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Choices are the scopes a reader may pick.
type Choices struct {
	Sites    []Choice `json:"sites"`
	Projects []Choice `json:"projects"`
	Staff    []Choice `json:"staff"`
	// AnySite: the service point may be left open (the organization, or
	// one's own figures wherever they were made); AnyStaff likewise.
	AnySite  bool `json:"any_site"`
	AnyStaff bool `json:"any_staff"`
}

func errScope() error { return app.ErrNotFound("统计范围") }

// reader returns p's scope under PermRead, refusing platform users and
// those without the permission.
func reader(p *authz.Principal) (authz.Scope, error) {
	if p == nil || p.IsPlatform() {
		return authz.Scope{}, app.ErrForbidden()
	}
	sc := p.Scope(PermRead)
	if !sc.Any() {
		return sc, app.ErrForbidden()
	}
	return sc, nil
}

// resolve turns a query into the scope to count, or refuses it. A reader
// without organization-wide access who names neither a service point nor a
// worker gets their default: their first service point (centre heads) or
// themselves. Anything outside what they may see is "not found".
func (s *Service) resolve(ctx context.Context, p *authz.Principal, q Query) (Scope, ScopeInfo, error) {
	sc, err := reader(p)
	if err != nil {
		return Scope{}, ScopeInfo{}, err
	}
	if q.SiteID < 0 || q.ProjectID < 0 || q.StaffID < 0 {
		return Scope{}, ScopeInfo{}, errScope()
	}
	scope := Scope{OrgID: p.OrgID, SiteID: q.SiteID, ProjectID: q.ProjectID, StaffID: q.StaffID}
	if !sc.Has(authz.Org) && scope.SiteID == 0 && scope.StaffID == 0 {
		switch {
		case sc.Has(authz.Site) && len(p.SiteIDs) > 0:
			scope.SiteID = slices.Min(p.SiteIDs)
		case p.StaffID != 0:
			scope.StaffID = p.StaffID
		default:
			return Scope{}, ScopeInfo{}, app.Errorf(app.EForbidden, "您的账号未关联同工或服务点，没有可查看的统计范围")
		}
	}
	if !allowed(sc, p, scope) {
		return Scope{}, ScopeInfo{}, errScope()
	}
	info := ScopeInfo{SiteID: scope.SiteID, ProjectID: scope.ProjectID, StaffID: scope.StaffID}
	var names []string
	for _, part := range []struct {
		id    int64
		query string
	}{
		{scope.SiteID, `SELECT name FROM sites WHERE org_id = $1 AND id = $2`},
		{scope.ProjectID, `SELECT name FROM projects WHERE org_id = $1 AND id = $2`},
		{scope.StaffID, `SELECT name FROM staff WHERE org_id = $1 AND id = $2`},
	} {
		if part.id == 0 {
			continue
		}
		var n string
		err := s.DB.R.QueryRowContext(ctx, part.query, p.OrgID, part.id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return Scope{}, ScopeInfo{}, errScope()
		}
		if err != nil {
			return Scope{}, ScopeInfo{}, fmt.Errorf("stats: scope name: %w", err)
		}
		names = append(names, n)
	}
	info.Name = strings.Join(names, " · ")
	if info.Name == "" {
		info.Name = "全机构"
	}
	return scope, info, nil
}

// allowed reports whether p may see the figures of scope s: anything in
// the organization with organization-wide access; one's own figures; a
// supervisee's with supervision; a service point of one's own with the
// service point level (narrowed by project or worker as the reader likes).
func allowed(sc authz.Scope, p *authz.Principal, s Scope) bool {
	if sc.Has(authz.Org) {
		return true
	}
	if s.StaffID != 0 && s.StaffID == p.StaffID {
		return true
	}
	if s.StaffID != 0 && sc.Has(authz.Supervised) && slices.Contains(p.Supervisees, s.StaffID) {
		return true
	}
	return s.SiteID != 0 && sc.Has(authz.Site) && slices.Contains(p.SiteIDs, s.SiteID)
}

func columns() []Column {
	out := make([]Column, len(Figures))
	for i, f := range Figures {
		out[i] = Column{Key: f.Key, Label: f.Label, Unit: f.Unit, Definition: f.Definition}
	}
	return out
}

// amountOf is one figure's value from its raw count.
func amountOf(f *Figure, scope Scope, n int64) Amount {
	if !f.Applies(scope) {
		return Amount{Display: "—", NotApplicable: true}
	}
	return Amount{Value: f.Number(n), Display: f.Format(n), Raw: n}
}

// amount counts one figure.
func (s *Service) amount(ctx context.Context, f *Figure, scope Scope, from, to app.Date) (Amount, error) {
	vals, err := s.amounts(ctx, scope, from, to)
	if err != nil {
		return Amount{}, err
	}
	return vals[slices.Index(Figures, f)], nil
}

func (s *Service) amounts(ctx context.Context, scope Scope, from, to app.Date) ([]Amount, error) {
	raw, err := s.counted(ctx, scope, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]Amount, len(Figures))
	for i, f := range Figures {
		out[i] = amountOf(f, scope, raw[i])
	}
	return out, nil
}

// Report counts every figure for the query.
func (s *Service) Report(ctx context.Context, p *authz.Principal, q Query) (*Report, error) {
	scope, info, err := s.resolve(ctx, p, q)
	if err != nil {
		return nil, err
	}
	vals, err := s.amounts(ctx, scope, q.Period.From, q.Period.To)
	if err != nil {
		return nil, err
	}
	r := &Report{Period: q.Period, Scope: info}
	for i, c := range columns() {
		r.Figures = append(r.Figures, FigureValue{Column: c, Amount: vals[i]})
	}
	v, ok, err := s.countedVolunteers(ctx, scope, q.Period)
	if err != nil {
		return nil, err
	}
	if !ok {
		if v, err = s.volunteers(ctx, scope, q.Period); err != nil {
			return nil, err
		}
	}
	r.Volunteers = v
	return r, nil
}

// volunteers counts the different volunteers and each team's hours from
// the records.
func (s *Service) volunteers(ctx context.Context, scope Scope, p Period) (Volunteers, error) {
	v := Volunteers{DistinctDefinition: volunteers.DefDistinctVolunteers, Teams: []TeamHours{}}
	var err error
	if v.Distinct, err = volunteers.DistinctFor(ctx, s.DB.R, scope.volunteers(), p.From, p.To); err != nil {
		return v, err
	}
	teams, err := volunteers.HoursByTeamFor(ctx, s.DB.R, scope.volunteers(), p.From, p.To)
	if err != nil {
		return v, err
	}
	hours, _ := FigureByKey("volunteer_hours")
	for _, t := range teams {
		m := int64(t.Minutes)
		v.Teams = append(v.Teams, TeamHours{TeamID: t.TeamID, TeamName: t.TeamName, SiteName: t.SiteName,
			PersonTimes: t.PersonTimes, Volunteers: t.Volunteers, Minutes: m, Hours: hours.Number(m), Display: hours.Format(m)})
	}
	return v, nil
}

// ByMonth counts every figure for each month of the period (each year
// when it spans more than 24 months), with the period's total.
func (s *Service) ByMonth(ctx context.Context, p *authz.Principal, q Query) (*Table, error) {
	scope, info, err := s.resolve(ctx, p, q)
	if err != nil {
		return nil, err
	}
	t := &Table{Period: q.Period, Scope: info, By: "month", Columns: columns()}
	for _, b := range q.Period.Buckets() {
		vals, err := s.amounts(ctx, scope, b.From, b.To)
		if err != nil {
			return nil, err
		}
		key := b.From.String()[:7]
		if q.Period.yearly() {
			key = b.From.String()[:4]
		}
		t.Rows = append(t.Rows, Row{Key: key, Label: b.Label, Period: b.Code, Values: vals})
	}
	if t.Total.Values, err = s.amounts(ctx, scope, q.Period.From, q.Period.To); err != nil {
		return nil, err
	}
	t.Total.Key, t.Total.Label, t.Total.Period = "total", "合计", q.Period.Code
	return t, nil
}

const sqlSitesForTable = `SELECT id, name, status = 'active' FROM sites WHERE org_id = $1 ORDER BY status, name, id`

// BySite counts every figure for each service point. With one service
// point in scope it is the only row; otherwise every service point of the
// organization is a row, leaving out those with nothing to count that are
// closed (or, for one worker's figures, any with nothing to count), so
// that the rows add up to the total.
func (s *Service) BySite(ctx context.Context, p *authz.Principal, q Query) (*Table, error) {
	scope, info, err := s.resolve(ctx, p, q)
	if err != nil {
		return nil, err
	}
	t := &Table{Period: q.Period, Scope: info, By: "site", Columns: columns()}
	type site struct {
		id     int64
		name   string
		active bool
	}
	var sites []site
	rows, err := s.DB.R.QueryContext(ctx, sqlSitesForTable, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("stats: sites: %w", err)
	}
	for rows.Next() {
		var st site
		if err := rows.Scan(&st.id, &st.name, &st.active); err != nil {
			rows.Close()
			return nil, err
		}
		if scope.SiteID == 0 || scope.SiteID == st.id {
			sites = append(sites, st)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, st := range sites {
		one := scope
		one.SiteID = st.id
		vals, err := s.amounts(ctx, one, q.Period.From, q.Period.To)
		if err != nil {
			return nil, err
		}
		if scope.SiteID == 0 && (!st.active || scope.StaffID != 0) && allZero(vals) {
			continue
		}
		t.Rows = append(t.Rows, Row{Key: strconv.FormatInt(st.id, 10), Label: st.name, Period: q.Period.Code, SiteID: st.id, Values: vals})
	}
	if t.Total.Values, err = s.amounts(ctx, scope, q.Period.From, q.Period.To); err != nil {
		return nil, err
	}
	t.Total.Key, t.Total.Label, t.Total.Period = "total", "合计", q.Period.Code
	return t, nil
}

func allZero(vals []Amount) bool {
	for _, v := range vals {
		if v.Raw != 0 {
			return false
		}
	}
	return true
}

// Drill lists the records behind one figure, in the page of lq.
func (s *Service) Drill(ctx context.Context, p *authz.Principal, q Query, key string, lq app.ListQuery) (*Drill, error) {
	f, ok := FigureByKey(key)
	if !ok {
		e := app.Errorf(app.EInvalid, "请选择有效的统计项")
		e.Fields = map[string]string{"figure": e.Message}
		return nil, e
	}
	scope, info, err := s.resolve(ctx, p, q)
	if err != nil {
		return nil, err
	}
	if !f.Applies(scope) {
		e := app.Errorf(app.EInvalid, "%s不按项目统计，请去掉项目条件后查看明细", f.Label)
		e.Fields = map[string]string{"project_id": e.Message}
		return nil, e
	}
	a, err := s.amount(ctx, f, scope, q.Period.From, q.Period.To)
	if err != nil {
		return nil, err
	}
	rows, total, err := f.Records(ctx, s.DB.R, scope, q.Period.From, q.Period.To, lq)
	if err != nil {
		return nil, fmt.Errorf("stats: %s records: %w", f.Key, err)
	}
	return &Drill{Period: q.Period, Scope: info, ValueLabel: f.ValueLabel, Total: total, Rows: rows,
		Figure: FigureValue{Column: Column{Key: f.Key, Label: f.Label, Unit: f.Unit, Definition: f.Definition}, Amount: a}}, nil
}

// Choices lists the scopes p may pick.
func (s *Service) Choices(ctx context.Context, p *authz.Principal) (*Choices, error) {
	sc, err := reader(p)
	if err != nil {
		return nil, err
	}
	c := &Choices{Sites: []Choice{}, Projects: []Choice{}, Staff: []Choice{}}
	list := func(dst *[]Choice, query string, args ...any) error {
		rows, err := s.DB.R.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("stats: choices: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var ch Choice
			if err := rows.Scan(&ch.ID, &ch.Name); err != nil {
				return err
			}
			*dst = append(*dst, ch)
		}
		return rows.Err()
	}
	const (
		sites    = `SELECT id, CASE WHEN status = 'active' THEN name ELSE name || '（已停用）' END FROM sites WHERE org_id = $1`
		projects = `SELECT id, name FROM projects WHERE org_id = $1`
		staff    = `SELECT id, CASE WHEN status = 'active' THEN name ELSE name || '（已离职）' END FROM staff WHERE org_id = $1`
	)
	if sc.Has(authz.Org) {
		c.AnySite, c.AnyStaff = true, true
		if err := list(&c.Sites, sites+` ORDER BY status, name, id`, p.OrgID); err != nil {
			return nil, err
		}
		if err := list(&c.Projects, projects+` ORDER BY name, id`, p.OrgID); err != nil {
			return nil, err
		}
		if err := list(&c.Staff, staff+` ORDER BY status, name, id`, p.OrgID); err != nil {
			return nil, err
		}
		return c, nil
	}
	in := inList(p.SiteIDs)
	if err := list(&c.Sites, sites+` AND id IN (`+in+`) ORDER BY name, id`, p.OrgID); err != nil {
		return nil, err
	}
	if err := list(&c.Projects, projects+` AND site_id IN (`+in+`) ORDER BY name, id`, p.OrgID); err != nil {
		return nil, err
	}
	people := []int64{}
	if p.StaffID != 0 {
		people = append(people, p.StaffID)
	}
	if sc.Has(authz.Supervised) {
		people = append(people, p.Supervisees...)
	}
	cond := `id IN (` + inList(people) + `)`
	args := []any{p.OrgID}
	if sc.Has(authz.Site) {
		// Whoever works at the reader's service points today.
		cond += ` OR id IN (SELECT a.staff_id FROM staff_assignments a WHERE a.org_id = $1 AND a.site_id IN (` + in + `)
			AND a.start_date <= $2 AND (a.end_date IS NULL OR a.end_date >= $2))`
		args = append(args, app.Today(s.Now()))
	}
	if err := list(&c.Staff, staff+` AND (`+cond+`) ORDER BY name, id`, args...); err != nil {
		return nil, err
	}
	c.AnySite = !sc.Has(authz.Site)
	c.AnyStaff = sc.Has(authz.Site)
	return c, nil
}

// inList inlines ids as integers; an empty list matches nothing.
func inList(ids []int64) string {
	if len(ids) == 0 {
		return "0"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// HomeKeys are the figures of the home page, for this month.
var HomeKeys = []string{"activities", "group_person_times", "volunteer_hours"}

// HomeFigure is one key figure on the home page.
type HomeFigure struct {
	FigureValue
	Period Period
	Scope  ScopeInfo
}

// Home counts this month's key figures in p's default scope; nothing for
// readers without the permission.
func (s *Service) Home(ctx context.Context, p *authz.Principal) ([]HomeFigure, error) {
	if _, err := reader(p); err != nil {
		return nil, nil
	}
	month := CurrentPeriod(KindMonth, app.Today(s.Now()))
	scope, info, err := s.resolve(ctx, p, Query{Period: month})
	if err != nil {
		if app.ErrorCode(err) == app.EForbidden {
			return nil, nil
		}
		return nil, err
	}
	vals, err := s.amounts(ctx, scope, month.From, month.To)
	if err != nil {
		return nil, err
	}
	var out []HomeFigure
	for _, key := range HomeKeys {
		f, ok := FigureByKey(key)
		if !ok {
			continue
		}
		a := vals[slices.Index(Figures, f)]
		out = append(out, HomeFigure{FigureValue: FigureValue{Column: Column{Key: f.Key, Label: f.Label, Unit: f.Unit,
			Definition: f.Definition}, Amount: a}, Period: month, Scope: info})
	}
	return out, nil
}
