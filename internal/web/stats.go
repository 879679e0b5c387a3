package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/stats"
)

// The service statistics (服务数据统计): the dashboard, the records behind
// each figure, their Excel exports and the JSON API. The service decides
// which scopes a reader may pick; the handlers only read the filter.

func (s *Server) statsRoutes() {
	rt := s.router
	perm := stats.PermRead
	const tag = "统计报表"
	rt.Handle(Route{Method: "GET", Pattern: "/stats", Access: Permitted, Perm: perm, Summary: "服务数据统计"}, s.statsPage)
	rt.Handle(Route{Method: "GET", Pattern: "/stats/drill", Access: Permitted, Perm: perm, Summary: "统计明细（某项数字背后的记录）"}, s.statsDrill)

	filter := []Param{
		{Name: "period", Desc: "统计期间：2026-03（月）、2026Q1（季度）、2026H1（半年）、2026（年）或 2026-01-05~2026-02-20（自定义）；默认本年", Type: "string"},
		{Name: "kind", Desc: "期间类型：month, quarter, half, year, custom；与 period 不一致时取 period 起始日所在的该类期间", Type: "string"},
		{Name: "from", Desc: "自定义期间开始日期", Type: "date"}, {Name: "to", Desc: "自定义期间结束日期", Type: "date"},
		{Name: "site_id", Desc: "服务点；不填时按本人可查看的默认范围（全机构、本服务点或本人）", Type: "integer"},
		{Name: "project_id", Desc: "项目", Type: "integer"},
		{Name: "staff_id", Desc: "同工（小组按主带领社工、活动按负责社工、个案按负责社工、义工服务按记录人）", Type: "integer"},
	}
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/stats", Access: Permitted, Perm: perm, Summary: "服务数据统计（九项数字、服务义工人数与各服务队时数）",
		API: &APIDoc{Tag: tag, Response: stats.Report{}, Query: filter,
			Desc: "每项数字附统计口径（definition）。范围超出本人权限时返回 404。"}}, s.apiStats)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/stats/table", Access: Permitted, Perm: perm, Summary: "服务数据统计：按月或按服务点",
		API: &APIDoc{Tag: tag, Response: stats.Table{},
			Query: append([]Param{{Name: "by", Desc: "month 按月（超过24个月按年，默认）或 site 按服务点", Type: "string"}}, filter...)}}, s.apiStatsTable)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/stats/drill", Access: Permitted, Perm: perm, Summary: "统计明细：某项数字背后的记录",
		API: &APIDoc{Tag: tag, Response: stats.Drill{}, Query: append([]Param{
			{Name: "figure", Desc: "统计项：cases_opened, groups_opened, group_sessions, group_person_times, activities, activity_participants, volunteer_person_times, volunteer_hours, publicity_materials", Type: "string", Required: true},
			{Name: "page", Desc: "页码", Type: "integer"}, {Name: "size", Desc: "每页条数（最多200）", Type: "integer"},
			{Name: "sort", Desc: "排序：date, title, site, staff, value", Type: "string"}, {Name: "dir", Desc: "asc 或 desc", Type: "string"},
		}, filter...)}}, s.apiStatsDrill)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/stats/choices", Access: Permitted, Perm: perm, Summary: "本人可选的统计范围（服务点、项目、同工）",
		API: &APIDoc{Tag: tag, Response: stats.Choices{}}}, s.apiStatsChoices)
	s.addNav("统计报表", NavItem{Label: "服务数据统计", Href: "/stats", Perm: perm, Agency: true})
	s.Home = append(s.Home, HomeParts{Figures: s.statsHomeFigures})
}

// statsQuery reads the period and scope of a statistics request.
func (s *Server) statsQuery(v url.Values) (stats.Query, error) {
	p, err := stats.PeriodOf(v.Get("kind"), v.Get("period"), v.Get("from"), v.Get("to"), s.today())
	if err != nil {
		return stats.Query{Period: stats.CurrentPeriod(stats.KindYear, s.today())}, err
	}
	q := stats.Query{Period: p}
	var val app.Validation
	id := func(name, what string) int64 {
		t := strings.TrimSpace(v.Get(name))
		if t == "" {
			return 0
		}
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n < 0 {
			val.Add(name, "请选择有效的"+what)
		}
		return n
	}
	q.SiteID, q.ProjectID, q.StaffID = id("site_id", "服务点"), id("project_id", "项目"), id("staff_id", "同工")
	return q, val.Err()
}

// statsParams are the URL parameters of a query, the period by its code.
func statsParams(q stats.Query, extra ...string) url.Values {
	v := url.Values{}
	v.Set("period", q.Period.Code)
	for _, p := range []struct {
		k  string
		id int64
	}{{"site_id", q.SiteID}, {"project_id", q.ProjectID}, {"staff_id", q.StaffID}} {
		if p.id != 0 {
			v.Set(p.k, strconv.FormatInt(p.id, 10))
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// scoped returns q with the scope the service settled on (the reader's
// default filled in), so that links keep it.
func scoped(q stats.Query, sc stats.ScopeInfo) stats.Query {
	q.SiteID, q.ProjectID, q.StaffID = sc.SiteID, sc.ProjectID, sc.StaffID
	return q
}

// statsChart is what static/charts.js draws: categories on the x axis, one
// series per figure; kind "line" draws lines; single shows one series at a
// time, chosen in the legend.
type statsChart struct {
	Categories []string          `json:"categories"`
	Series     []statsChartSerie `json:"series"`
	Kind       string            `json:"kind,omitempty"`
	Single     bool              `json:"single,omitempty"`
}

type statsChartSerie struct {
	Name string    `json:"name"`
	Data []float64 `json:"data"`
}

// chartOf draws a table; months are named briefly: 1月 … 12月 within one
// year, 2025-03 across years.
func chartOf(t *stats.Table, kind string) statsChart {
	c := statsChart{Categories: []string{}, Series: []statsChartSerie{}, Kind: kind, Single: true}
	months := t.By == "month" && len(t.Rows) > 0 && len(t.Rows[0].Key) == 7
	oneYear := t.Period.From.Year() == t.Period.To.Year()
	for _, r := range t.Rows {
		label := r.Label
		if months {
			label = r.Key
			if m, err := strconv.Atoi(r.Key[5:]); err == nil && oneYear {
				label = strconv.Itoa(m) + "月"
			}
		}
		c.Categories = append(c.Categories, label)
	}
	for i, col := range t.Columns {
		if t.Total.Values[i].NotApplicable {
			continue
		}
		ser := statsChartSerie{Name: col.Label + "（" + col.Unit + "）", Data: []float64{}}
		for _, r := range t.Rows {
			ser.Data = append(ser.Data, r.Values[i].Value)
		}
		c.Series = append(c.Series, ser)
	}
	return c
}

// statsCard is one figure on the dashboard, linked to its records.
type statsCard struct {
	stats.FigureValue
	Href string
}

// statsLink is a quick choice of period.
type statsLink struct {
	Label string
	Href  string
}

// statsTableView is a table by month or service point whose cells link to
// the records behind them.
type statsTableView struct {
	Columns []stats.Column
	Rows    []statsRowView
	Total   statsRowView
	Export  string
}

type statsRowView struct {
	Label string
	Cells []statsCellView
}

type statsCellView struct {
	Display string
	Href    string
}

func tableView(t *stats.Table, q stats.Query, export string) statsTableView {
	v := statsTableView{Columns: t.Columns, Export: export}
	row := func(r stats.Row) statsRowView {
		rq := q
		if p, err := stats.ParsePeriod(r.Period); err == nil {
			rq.Period = p
		}
		if r.SiteID != 0 {
			rq.SiteID = r.SiteID
		}
		rv := statsRowView{Label: r.Label}
		for i, a := range r.Values {
			c := statsCellView{Display: a.Display}
			if !a.NotApplicable && a.Raw != 0 {
				c.Href = "/stats/drill?" + statsParams(rq, "figure", t.Columns[i].Key).Encode()
			}
			rv.Cells = append(rv.Cells, c)
		}
		return rv
	}
	for _, r := range t.Rows {
		v.Rows = append(v.Rows, row(r))
	}
	v.Total = row(t.Total)
	return v
}

type statsPageData struct {
	Report     *stats.Report
	Months     statsTableView
	Sites      statsTableView
	Choices    *stats.Choices
	Cards      []statsCard
	MonthChart statsChart
	SiteChart  statsChart
	ShowSites  bool // more than one service point to compare
	Kinds      []Option
	Quick      []statsLink
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	ctx := r.Context()
	f := &Form{Values: r.URL.Query()}
	q, qerr := s.statsQuery(r.URL.Query())
	code := http.StatusOK
	if qerr != nil {
		if !f.SetError(qerr) {
			s.fail(w, r, qerr)
			return
		}
		code = http.StatusUnprocessableEntity
		// Show the reader's default scope for the current year beside the
		// messages.
		q = stats.Query{Period: q.Period}
	}
	rep, err := s.Stats.Report(ctx, p, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q = scoped(q, rep.Scope)
	if wantsExport(r) && qerr == nil {
		s.statsExport(w, r, q)
		return
	}
	if qerr == nil {
		// The filter shows what was counted, in its normal form.
		f.Values = statsParams(q, "kind", string(q.Period.Kind), "from", q.Period.From.String(), "to", q.Period.To.String())
	}
	d := statsPageData{Report: rep}
	months, err := s.Stats.ByMonth(ctx, p, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Stats.BySite(ctx, p, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Choices, err = s.Stats.Choices(ctx, p); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, fv := range rep.Figures {
		c := statsCard{FigureValue: fv}
		if !fv.NotApplicable {
			c.Href = "/stats/drill?" + statsParams(q, "figure", fv.Key).Encode()
		}
		d.Cards = append(d.Cards, c)
	}
	d.MonthChart = chartOf(months, "line")
	d.SiteChart = chartOf(sites, "bar")
	d.ShowSites = len(sites.Rows) > 1
	d.Months = tableView(months, q, "/stats?"+statsParams(q, "format", "xlsx", "by", "month").Encode())
	d.Sites = tableView(sites, q, "/stats?"+statsParams(q, "format", "xlsx", "by", "site").Encode())
	for _, k := range stats.PeriodKinds {
		d.Kinds = append(d.Kinds, Option{Value: string(k), Label: stats.PeriodKindName(k)})
	}
	today := s.today()
	lastYear := stats.CurrentPeriod(stats.KindYear, today.AddMonths(-12))
	for _, per := range []struct {
		label string
		p     stats.Period
	}{
		{"本月", stats.CurrentPeriod(stats.KindMonth, today)},
		{"本季度", stats.CurrentPeriod(stats.KindQuarter, today)},
		{"本年", stats.CurrentPeriod(stats.KindYear, today)},
		{"上年", lastYear},
	} {
		qq := q
		qq.Period = per.p
		d.Quick = append(d.Quick, statsLink{Label: per.label, Href: "/stats?" + statsParams(qq, "kind", string(per.p.Kind)).Encode()})
	}
	pg := s.page(r, "服务数据统计", Crumb{Label: "统计报表"}, Crumb{Label: "服务数据统计"})
	pg.Form = f
	pg.Data = d
	s.render(w, r, code, "stats/dashboard", pg)
}

// statsExport downloads the figures by month (by=month) or by service
// point (by=site), with the period's total, through the audited export.
func (s *Server) statsExport(w http.ResponseWriter, r *http.Request, q stats.Query) {
	p := principalOf(r)
	var t *stats.Table
	var err error
	sheet, first := "服务数据统计-按月", "月份"
	if r.URL.Query().Get("by") == "site" {
		sheet, first = "服务数据统计-按服务点", "服务点"
		t, err = s.Stats.BySite(r.Context(), p, q)
	} else {
		t, err = s.Stats.ByMonth(r.Context(), p, q)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cols := []ListCol[stats.Row]{{Label: first + "（" + t.Scope.Name + " · " + t.Period.Label + "）", Width: 30,
		Cell: func(row stats.Row) Cell { return Cell{Text: row.Label} }}}
	for i, c := range t.Columns {
		cols = append(cols, ListCol[stats.Row]{Label: c.Label + "（" + c.Unit + "）", Width: 14,
			Cell: func(row stats.Row) Cell { return Cell{Text: row.Values[i].Display} },
			Export: func(row stats.Row) any {
				if row.Values[i].NotApplicable {
					return "—"
				}
				return row.Values[i].Value
			}})
	}
	rows := append(append([]stats.Row(nil), t.Rows...), t.Total)
	exportList(s, w, r, ListDef[stats.Row]{Sheet: sheet, Cols: cols}, rows)
}

type statsDrillData struct {
	Drill    *stats.Drill
	List     ListView
	BackHref string
}

func drillListDef(d *stats.Drill) ListDef[stats.Record] {
	return ListDef[stats.Record]{
		Sheet: d.Figure.Label + "明细",
		Empty: "期间内没有计入该项的记录",
		Filters: []Filter{
			{Name: "period", Label: "统计期间（如 2026Q1）", Type: "text"},
		},
		Cols: []ListCol[stats.Record]{
			{Key: "date", Label: "日期", Width: 12, Cell: func(x stats.Record) Cell { return Cell{Text: x.Date.String()} }},
			{Key: "title", Label: "记录", Width: 30, Cell: func(x stats.Record) Cell { return Cell{Text: x.Title, Href: x.Href, Sub: x.Detail} },
				Export: func(x stats.Record) any { return strings.TrimSuffix(x.Title+" "+x.Detail, " ") }},
			{Key: "site", Label: "服务点", Width: 28, Cell: func(x stats.Record) Cell { return Cell{Text: x.Site} }},
			{Key: "staff", Label: "同工", Width: 12, Cell: func(x stats.Record) Cell { return Cell{Text: x.Staff} }},
			{Key: "value", Label: d.ValueLabel, Width: 12, Cell: func(x stats.Record) Cell { return Cell{Text: groupDigits(int(x.Value))} },
				Export: func(x stats.Record) any { return x.Value }},
		},
	}
}

func (s *Server) statsDrill(w http.ResponseWriter, r *http.Request) {
	q, err := s.statsQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lq := listQuery(r)
	d, err := s.Stats.Drill(r.Context(), principalOf(r), q, r.URL.Query().Get("figure"), lq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q = scoped(q, d.Scope)
	def := drillListDef(d)
	back := "/stats?" + statsParams(q).Encode()
	pg := s.page(r, d.Figure.Label+"明细", Crumb{Label: "统计报表"}, Crumb{Label: "服务数据统计", Href: back},
		Crumb{Label: d.Figure.Label + "明细"})
	if wantsExport(r) {
		exportList(s, w, r, def, d.Rows)
		return
	}
	lv := buildList(r, def, lq, d.Rows, d.Total)
	// The filter bar changes the period only; the figure and scope ride along.
	for k, vals := range statsParams(q, "figure", d.Figure.Key) {
		if k != "period" {
			lv.Hidden[k] = vals[0]
		}
	}
	lv.Filters[0].Value = q.Period.Code
	lv.Path = "/stats/drill?" + statsParams(q, "figure", d.Figure.Key).Encode()
	pg.Data = statsDrillData{Drill: d, List: lv, BackHref: back}
	s.render(w, r, http.StatusOK, "stats/drill", pg)
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) {
	q, err := s.statsQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.Stats.Report(r.Context(), principalOf(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) apiStatsTable(w http.ResponseWriter, r *http.Request) {
	q, err := s.statsQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var t *stats.Table
	switch r.URL.Query().Get("by") {
	case "", "month":
		t, err = s.Stats.ByMonth(r.Context(), principalOf(r), q)
	case "site":
		t, err = s.Stats.BySite(r.Context(), principalOf(r), q)
	default:
		e := app.Errorf(app.EInvalid, "by 只能是 month 或 site")
		e.Fields = map[string]string{"by": e.Message}
		err = e
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiStatsDrill(w http.ResponseWriter, r *http.Request) {
	q, err := s.statsQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.Stats.Drill(r.Context(), principalOf(r), q, r.URL.Query().Get("figure"), app.ParseListQuery(r.URL.Query()))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiStatsChoices(w http.ResponseWriter, r *http.Request) {
	c, err := s.Stats.Choices(r.Context(), principalOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// statsHomeFigures are this month's key figures in the reader's default
// scope, each linked to its records.
func (s *Server) statsHomeFigures(ctx context.Context, p *authz.Principal) ([]Figure, error) {
	if s.Stats == nil {
		return nil, nil
	}
	hs, err := s.Stats.Home(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []Figure
	for _, h := range hs {
		label := "本月" + h.Label
		if h.Unit == "小时" {
			label += "（小时）"
		}
		q := stats.Query{Period: h.Period, SiteID: h.Scope.SiteID, ProjectID: h.Scope.ProjectID, StaffID: h.Scope.StaffID}
		out = append(out, Figure{Label: label, Value: h.Display, Hint: h.Definition,
			Href: "/stats/drill?" + statsParams(q, "figure", h.Key).Encode()})
	}
	return out, nil
}
