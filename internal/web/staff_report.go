package web

import (
	"net/http"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/org"
)

func (s *Server) staffReportRoutes() {
	rt := s.router
	rt.Handle(Route{Method: "GET", Pattern: "/staff/report", Access: Permitted, Perm: org.PermStaffReport,
		Summary: "同工分布统计"}, s.staffReport)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/reports/staff-distribution", Access: Permitted, Perm: org.PermStaffReport,
		Summary: "同工分布统计（按服务点、镇街、职称、领域）", API: &APIDoc{Tag: "组织架构", Response: org.Distribution{},
			Query: []Param{{Name: "date", Desc: "统计日期，默认今天，如 2026-03-01", Type: "string"}}}}, s.apiStaffReport)
	s.addNav("组织架构", NavItem{Label: "同工分布", Href: "/staff/report", Perm: org.PermStaffReport, Agency: true})
}

// chartData is what static/charts.js draws: categories on the x axis and
// one bar series per name.
type chartData struct {
	Categories []string      `json:"categories"`
	Series     []chartSeries `json:"series"`
	Stacked    bool          `json:"stacked"`
}

type chartSeries struct {
	Name string `json:"name"`
	Data []int  `json:"data"`
}

type staffReportData struct {
	D       *org.Distribution
	Chart   chartData
	Exports map[string]string
}

// distributionChart stacks the titles over the service points, leaving out
// titles nobody holds.
func distributionChart(d *org.Distribution) chartData {
	c := chartData{Stacked: true, Categories: []string{}, Series: []chartSeries{}}
	for _, row := range d.Cross {
		c.Categories = append(c.Categories, row.Site)
	}
	for i, t := range d.Titles {
		ser := chartSeries{Name: t.Name}
		total := 0
		for _, row := range d.Cross {
			ser.Data = append(ser.Data, row.Counts[i])
			total += row.Counts[i]
		}
		if total > 0 {
			c.Series = append(c.Series, ser)
		}
	}
	return c
}

func (s *Server) reportDate(r *http.Request) (app.Date, error) {
	v := r.URL.Query().Get("date")
	if v == "" {
		return s.today(), nil
	}
	d, err := app.ParseDate(v)
	if err != nil {
		e := app.Errorf(app.EInvalid, "%s", app.ErrorMessage(err))
		e.Fields = map[string]string{"date": e.Message}
		return s.today(), e
	}
	return d, nil
}

func (s *Server) staffReport(w http.ResponseWriter, r *http.Request) {
	date, derr := s.reportDate(r)
	d, err := s.Org.StaffDistribution(r.Context(), principalOf(r), date)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wantsExport(r) && derr == nil {
		s.exportDistribution(w, r, d)
		return
	}
	f := &Form{Values: r.URL.Query()}
	code := http.StatusOK
	if derr != nil {
		f.SetError(derr)
		code = http.StatusUnprocessableEntity
	}
	ex := map[string]string{}
	for _, by := range []string{"cross", "town", "title", "domain"} {
		ex[by] = "/staff/report?date=" + d.Date.String() + "&format=xlsx&by=" + by
	}
	pg := s.page(r, "同工分布", Crumb{Label: "组织架构"}, Crumb{Label: "同工分布"})
	pg.Form = f
	pg.Data = staffReportData{D: d, Chart: distributionChart(d), Exports: ex}
	s.render(w, r, code, "staff/report", pg)
}

// exportDistribution downloads one table of the report (by=cross, town,
// title or domain) through the common, audited list export.
func (s *Server) exportDistribution(w http.ResponseWriter, r *http.Request, d *org.Distribution) {
	count := func(h org.HeadCount) Cell { return Cell{Text: strconv.Itoa(h.Count)} }
	countX := func(h org.HeadCount) any { return h.Count }
	name := func(h org.HeadCount) Cell { return Cell{Text: h.Name} }
	suffix := "（" + d.Date.String() + "）"
	switch r.URL.Query().Get("by") {
	case "town":
		exportList(s, w, r, ListDef[org.HeadCount]{Sheet: "同工分布-镇街", Cols: []ListCol[org.HeadCount]{
			{Label: "镇街" + suffix, Cell: name, Width: 20}, {Label: "人数", Cell: count, Export: countX}}}, d.ByTown)
	case "title":
		exportList(s, w, r, ListDef[org.HeadCount]{Sheet: "同工分布-职称", Cols: []ListCol[org.HeadCount]{
			{Label: "职称" + suffix, Cell: name, Width: 20}, {Label: "人数", Cell: count, Export: countX}}}, d.ByTitle)
	case "domain":
		rows := append(append([]org.HeadCount(nil), d.ByDomain...), org.HeadCount{Name: "未设置领域", Count: d.NoDomain})
		exportList(s, w, r, ListDef[org.HeadCount]{Sheet: "同工分布-领域", Cols: []ListCol[org.HeadCount]{
			{Label: "服务领域" + suffix, Cell: name, Width: 20}, {Label: "人数", Cell: count, Export: countX}}}, rows)
	default:
		cols := []ListCol[org.DistributionRow]{
			{Label: "服务点" + suffix, Cell: func(x org.DistributionRow) Cell { return Cell{Text: x.Site} }, Width: 32},
			{Label: "镇街", Cell: func(x org.DistributionRow) Cell { return Cell{Text: x.Town} }, Width: 14},
		}
		for i, t := range d.Titles {
			cols = append(cols, ListCol[org.DistributionRow]{Label: t.Name,
				Cell:   func(x org.DistributionRow) Cell { return Cell{Text: strconv.Itoa(x.Counts[i])} },
				Export: func(x org.DistributionRow) any { return x.Counts[i] }})
		}
		cols = append(cols, ListCol[org.DistributionRow]{Label: "合计",
			Cell:   func(x org.DistributionRow) Cell { return Cell{Text: strconv.Itoa(x.Total)} },
			Export: func(x org.DistributionRow) any { return x.Total }})
		rows := append([]org.DistributionRow(nil), d.Cross...)
		if d.Unassigned > 0 {
			rows = append(rows, org.DistributionRow{Site: "未派驻服务点", Counts: d.UnassignedCounts, Total: d.Unassigned})
		}
		rows = append(rows, org.DistributionRow{Site: "合计", Counts: d.TitleTotals, Total: d.Total})
		exportList(s, w, r, ListDef[org.DistributionRow]{Sheet: "同工分布", Cols: cols}, rows)
	}
}

func (s *Server) apiStaffReport(w http.ResponseWriter, r *http.Request) {
	date, err := s.reportDate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.Org.StaffDistribution(r.Context(), principalOf(r), date)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
