package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/authz"
	"shegong/internal/cases"
)

// ---- reassignment ----

func (s *Server) reassignTargets(r *http.Request) ([]Option, error) {
	ws, err := s.Cases.Workers(r.Context(), principalOf(r), cases.PermCaseReassign)
	if err != nil {
		return nil, err
	}
	return caseNamed(ws), nil
}

func (s *Server) caseReassignPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok {
		return
	}
	p := principalOf(r)
	if !p.Scope(cases.PermCaseReassign).Allows(authz.Obj{OrgID: p.OrgID, OwnerID: c.WorkerID, SiteIDs: []int64{c.SiteID}}) {
		s.fail(w, r, app.ErrNotFound("个案"))
		return
	}
	s.showReassign(w, r, http.StatusOK, &Form{Values: map[string][]string{}}, c)
}

func (s *Server) showReassign(w http.ResponseWriter, r *http.Request, status int, f *Form, c *cases.Case) {
	targets, err := s.reassignTargets(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderCaseForm(w, r, status, "cases/reassign", "转移个案", f, caseFormData{Case: c,
		Action: fmt.Sprintf("/cases/%d/reassign", c.ID), Options: map[string][]Option{"worker": targets}})
}

func (s *Server) caseReassign(w http.ResponseWriter, r *http.Request) {
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	_, err = s.Cases.Reassign(r.Context(), principalOf(r), cases.ReassignInput{CaseIDs: []int64{id},
		ToWorkerID: f.Int64("to_worker_id"), Reason: f.Get("reason")})
	if err != nil {
		if app.ErrorCode(err) == app.ENotFound {
			s.fail(w, r, err)
			return
		}
		c, gerr := s.Cases.Get(r.Context(), principalOf(r), id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.formFail(w, r, err, f, func(st int) { s.showReassign(w, r, st, f, c) })
		return
	}
	to := fmt.Sprintf("/cases/%d", id)
	if _, err := s.Cases.Get(r.Context(), principalOf(r), id); err != nil {
		to = "/cases"
	}
	s.redirect(w, r, to, "个案已转移，新的负责社工可查看完整档案")
}

type bulkReassignData struct {
	From    int64
	Workers []Option
	Targets []Option
	Rows    []cases.CaseRow
	Total   int
}

func (s *Server) caseBulkReassignPage(w http.ResponseWriter, r *http.Request) {
	from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	f := &Form{Values: map[string][]string{}}
	s.showBulkReassign(w, r, http.StatusOK, f, from)
}

func (s *Server) showBulkReassign(w http.ResponseWriter, r *http.Request, status int, f *Form, from int64) {
	p, ctx := principalOf(r), r.Context()
	workers, err := s.Cases.Workers(ctx, p, cases.PermCaseReassign)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := bulkReassignData{From: from, Workers: caseNamed(workers), Targets: caseNamed(workers)}
	if from != 0 {
		rows, total, err := s.Cases.List(ctx, p, cases.CaseFilter{WorkerID: from}, app.ListQuery{Page: 1, Size: cases.MaxReassign})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, c := range rows {
			if c.State != cases.StateArchived {
				d.Rows = append(d.Rows, c)
			}
		}
		d.Total = total
		if _, picked := f.Values["case_ids"]; !picked {
			for _, c := range d.Rows {
				f.Values.Add("case_ids", idString(c.ID))
			}
		}
	}
	pg := s.page(r, "批量转移个案", Crumb{Label: "个案", Href: "/cases"}, Crumb{Label: "批量转移个案"})
	pg.Form = f
	pg.Data = d
	s.render(w, r, status, "cases/reassign_bulk", pg)
}

func (s *Server) caseBulkReassign(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	n, err := s.Cases.Reassign(r.Context(), principalOf(r), cases.ReassignInput{CaseIDs: f.Int64s("case_ids"),
		ToWorkerID: f.Int64("to_worker_id"), Reason: f.Get("reason")})
	if err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showBulkReassign(w, r, st, f, f.Int64("from")) })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/cases?worker=%d", f.Int64("to_worker_id")), fmt.Sprintf("已转移 %d 个个案", n))
}

// ---- reports ----

// reportFilter reads the month (YYYY-MM), service point and worker of a
// report page or API call.
func reportFilter(r *http.Request) cases.ReportFilter {
	qv := r.URL.Query()
	var f cases.ReportFilter
	if m := strings.TrimSpace(qv.Get("month")); m != "" {
		f.Month, _ = app.ParseDate(m + "-01")
	}
	f.SiteID, _ = strconv.ParseInt(qv.Get("site"), 10, 64)
	f.WorkerID, _ = strconv.ParseInt(qv.Get("worker"), 10, 64)
	f.GapsOnly = qv.Get("gaps") == "1"
	return f
}

func (s *Server) reportFilters(r *http.Request) ([]Filter, error) {
	p, ctx := principalOf(r), r.Context()
	sites, err := s.Cases.Sites(ctx, p, cases.PermCaseReport)
	if err != nil {
		return nil, err
	}
	workers, err := s.Cases.Workers(ctx, p, cases.PermCaseReport)
	if err != nil {
		return nil, err
	}
	return []Filter{
		{Name: "month", Label: "月份", Type: "month"},
		{Name: "site", Label: "服务点", Type: "select", Options: caseNamed(sites)},
		{Name: "worker", Label: "社工", Type: "select", Options: caseNamed(workers)},
	}, nil
}

// whole is the list query of a report shown on one page.
func caseWhole(n int) app.ListQuery { return app.ListQuery{Page: 1, Size: max(n, 1)} }

func (s *Server) caseArchiveCheck(w http.ResponseWriter, r *http.Request) {
	filters, err := s.reportFilters(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ac, err := s.Cases.Archive(r.Context(), principalOf(r), reportFilter(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	filters = append(filters, Filter{Name: "gaps", Label: "档案", Type: "select",
		Options: []Option{{Value: "1", Label: "只看有缺漏的"}}})
	// The report's scope may be wider than the case files' (evaluators
	// check archives without reading case files): link only what opens.
	canOpen := principalOf(r).Can(cases.PermCaseRead)
	def := ListDef[cases.ArchiveRow]{
		Sheet:   "档案检查-" + ac.Month,
		Filters: filters,
		Cols: []ListCol[cases.ArchiveRow]{
			{Label: "个案编号", Width: 16, Cell: func(a cases.ArchiveRow) Cell {
				if !canOpen {
					return Cell{Text: a.Number}
				}
				return Cell{Text: a.Number, Href: fmt.Sprintf("/cases/%d", a.CaseID)}
			}},
			{Label: "服务对象", Cell: func(a cases.ArchiveRow) Cell { return Cell{Text: a.ClientName} }},
			{Label: "负责社工", Cell: func(a cases.ArchiveRow) Cell { return Cell{Text: a.WorkerName} }},
			{Label: "服务点", Width: 22, Cell: func(a cases.ArchiveRow) Cell { return Cell{Text: a.SiteName} }},
			{Label: "阶段", Cell: func(a cases.ArchiveRow) Cell { return Cell{Text: a.StateLabel, Tag: cases.StateTag(a.State)} }},
			{Label: "本月跟进", Cell: func(a cases.ArchiveRow) Cell { return Cell{Text: strconv.Itoa(a.Followups)} },
				Export: func(a cases.ArchiveRow) any { return a.Followups }},
			{Label: "缺漏", Width: 48, Cell: func(a cases.ArchiveRow) Cell {
				if len(a.Gaps) == 0 {
					return Cell{Text: "齐全", Tag: "green"}
				}
				return Cell{Text: caseGapText(a.Gaps), Tag: "red"}
			}},
		},
		Empty: "本月所选范围内的个案档案没有缺漏",
	}
	pg := s.page(r, "档案检查", Crumb{Label: "服务对象与个案"}, Crumb{Label: "档案检查"})
	serveList(s, w, r, pg, "cases/archive", def, caseWhole(len(ac.Rows)), ac.Rows, len(ac.Rows), func(lv ListView) any {
		return map[string]any{"List": lv, "Check": ac}
	})
}

func caseGapText(gs []cases.Gap) string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Label)
	}
	return strings.Join(out, "；")
}

func (s *Server) caseMonthly(w http.ResponseWriter, r *http.Request) {
	filters, err := s.reportFilters(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.Cases.Monthly(r.Context(), principalOf(r), reportFilter(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	bySite := r.URL.Query().Get("by") == "site"
	first := "社工"
	rows := rep.Workers
	if bySite {
		first, rows = "服务点", rep.Sites
	}
	num := func(label string, v func(cases.ReportRow) int) ListCol[cases.ReportRow] {
		return ListCol[cases.ReportRow]{Label: label, Cell: func(x cases.ReportRow) Cell { return Cell{Text: caseCount(v(x))} },
			Export: func(x cases.ReportRow) any { return v(x) }}
	}
	def := ListDef[cases.ReportRow]{
		Sheet:   "社工月报表-" + rep.Month,
		Filters: filters,
		Cols: []ListCol[cases.ReportRow]{
			{Label: first, Width: 20, Cell: func(x cases.ReportRow) Cell { return Cell{Text: x.Name} }},
			num("在案个案", func(x cases.ReportRow) int { return x.Active }),
			num("新开案", func(x cases.ReportRow) int { return x.Opened }),
			num("结案", func(x cases.ReportRow) int { return x.Closed }),
			num("跟进次数", func(x cases.ReportRow) int { return x.Followups }),
			{Label: "跟进时长（小时）", Cell: func(x cases.ReportRow) Cell { return Cell{Text: x.FollowupHours} }},
			num("结案后跟进", func(x cases.ReportRow) int { return x.PostFollowups }),
			num("转介", func(x cases.ReportRow) int { return x.Referrals }),
			num(fmt.Sprintf("跟进不足（少于%d次）", rep.Required), func(x cases.ReportRow) int { return x.Behind }),
		},
		Empty: "本月所选范围内没有个案记录",
	}
	if wantsExport(r) {
		rows = append(rows, rep.Total)
	}
	pg := s.page(r, "社工月报表", Crumb{Label: "服务对象与个案"}, Crumb{Label: "社工月报表"})
	serveList(s, w, r, pg, "cases/monthly", def, caseWhole(len(rows)), rows, len(rows), func(lv ListView) any {
		siteHref := withParam(*r.URL, "by", "site", "format", "")
		workerHref := withParam(*r.URL, "by", "", "format", "")
		return map[string]any{"List": lv, "Report": rep, "BySite": bySite, "SiteHref": siteHref, "WorkerHref": workerHref}
	})
}

// count formats a number with thousands separators.
func caseCount(n int) string { return groupDigits(n) }

// ---- settings ----

func (s *Server) caseSettingsPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.Cases.Settings(r.Context(), principalOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(map[string]string{"followups_per_month": strconv.Itoa(st.FollowupsPerMonth),
		"post_closure_months": strconv.Itoa(st.PostClosureMonths), "remind_days_left": strconv.Itoa(st.RemindDaysLeft),
		"idle_days": strconv.Itoa(st.IdleDays), "version": strconv.FormatInt(st.Version, 10)})
	s.showSettings(w, r, http.StatusOK, f)
}

func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	pg := s.page(r, "个案工作规则", Crumb{Label: "系统设置"}, Crumb{Label: "个案工作规则"})
	pg.Form = f
	pg.Data = cases.DefaultSettings
	s.render(w, r, status, "cases/settings", pg)
}

func (s *Server) caseSettingsSave(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var v app.Validation
	num := func(name string) int {
		n, err := strconv.Atoi(f.Get(name))
		if err != nil {
			v.Add(name, "请填写整数")
		}
		return n
	}
	in := cases.Settings{FollowupsPerMonth: num("followups_per_month"), PostClosureMonths: num("post_closure_months"),
		RemindDaysLeft: num("remind_days_left"), IdleDays: num("idle_days"), Version: f.Int64("version")}
	err := v.Err()
	if err == nil {
		_, err = s.Cases.SaveSettings(r.Context(), principalOf(r), in)
	}
	if err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showSettings(w, r, st, f) })
		return
	}
	s.redirect(w, r, "/cases/settings", "个案工作规则已保存")
}

// ---- home ----

// CaseHome is the casework part of the home page: open cases, this month's
// follow-ups and the cases falling behind, in the user's scope.
func CaseHome(cs *cases.CaseService) HomeParts {
	return HomeParts{Figures: func(ctx context.Context, p *authz.Principal) ([]Figure, error) {
		k, err := cs.Figures(ctx, p)
		if err != nil || k == nil {
			return nil, err
		}
		return []Figure{
			{Label: "介入中的个案", Value: caseCount(k.Open), Href: "/cases?state=open"},
			{Label: "本月跟进次数", Value: caseCount(k.MonthFollowups), Href: "/cases?state=open&sort=followups"},
			{Label: "跟进不足的个案", Value: caseCount(k.Behind), Href: "/cases?behind=1",
				Hint: "本月跟进次数不足或长时间未跟进的个案"},
		}, nil
	}}
}

// ---- the approval page of a case request ----

func init() {
	for _, kind := range []string{cases.KindOpen, cases.KindReferral, cases.KindClose} {
		approvalSubjects[kind] = (*Server).caseSubject
	}
}

// caseSubject shows on an approval page the case the request is about; the
// case file is where the approver reads the whole file and where a rejected
// request is corrected.
func (s *Server) caseSubject(r *http.Request, a *approval.Approval) (*approvalSubject, error) {
	href := fmt.Sprintf("/cases/%d", a.SubjectID)
	sub := &approvalSubject{Href: href}
	if a.Can != nil && a.Can.Resubmit {
		sub.EditHref, sub.EditLabel = href, "到个案档案修改后重新提交"
	}
	c, err := s.Cases.Get(r.Context(), principalOf(r), a.SubjectID)
	if app.ErrorCode(err) == app.ENotFound {
		sub.Href = ""
		sub.Props = []Prop{{Label: "个案", Value: a.Title}}
		return sub, nil
	}
	if err != nil {
		return nil, err
	}
	sub.Props = []Prop{
		{Label: "个案", Value: c.Number + "（" + c.StateLabel + "）"},
		{Label: "服务对象", Value: c.ClientName + " " + c.ClientCode},
		{Label: "负责社工", Value: c.WorkerName + "，" + c.SiteName},
		{Label: "风险等级", Value: c.RiskLabel},
		{Label: "主要问题", Value: c.PresentingProblem, Long: true},
	}
	return sub, nil
}
