package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/cases"
)

// Casework pages (SPEC C0, C3–C9): the case list, the intake, assessment,
// plan, follow-up, referral and closure forms, the case file with the
// actions allowed now, the referral letter, reassignment, the archive check
// and the monthly report. The JSON API is in cases_api.go.

func (s *Server) caseRoutes() {
	if s.Cases == nil {
		return
	}
	rt := s.router
	read, write, reassign := cases.PermCaseRead, cases.PermCaseWrite, cases.PermCaseReassign
	report, settings := cases.PermCaseReport, cases.PermCaseSettings
	page := func(method, pattern string, perm *authz.Perm, summary string, h http.HandlerFunc) {
		r := Route{Method: method, Pattern: pattern, Access: Permitted, Perm: perm, Summary: summary}
		if strings.HasPrefix(pattern, "/cases/{id}") {
			r.Object = "case"
		}
		rt.Handle(r, h)
	}
	page("GET", "/cases", read, "个案列表", s.caseList)
	page("GET", "/cases/new", write, "接案（新建个案）页", s.caseNew)
	page("POST", "/cases", write, "接案（新建个案）", s.caseCreate)
	page("GET", "/cases/{id}", read, "个案档案（查看记入审计）", s.caseShow)
	page("GET", "/cases/{id}/intake", write, "修改接案记录页", s.caseIntakeEdit)
	page("POST", "/cases/{id}/intake", write, "修改接案记录", s.caseIntakeUpdate)
	page("GET", "/cases/{id}/assessment", write, "预估表页", s.caseAssessmentPage)
	page("POST", "/cases/{id}/assessment", write, "保存预估表", s.caseAssessmentSave)
	page("GET", "/cases/{id}/plan", write, "服务计划页", s.casePlanPage)
	page("POST", "/cases/{id}/plan", write, "保存服务计划", s.casePlanSave)
	page("POST", "/cases/{id}/submit", write, "提交开案申请", s.caseSubmit)
	page("POST", "/cases/{id}/decide", read, "审批个案申请（同意或驳回）", s.caseDecide)
	page("POST", "/cases/{id}/withdraw", write, "撤回个案申请", s.caseWithdraw)
	page("GET", "/cases/{id}/followups/new", write, "跟进记录页", s.caseFollowupNew)
	page("POST", "/cases/{id}/followups", write, "记录跟进", s.caseFollowupCreate)
	page("GET", "/cases/{id}/post-closure/new", write, "结案后跟进记录页", s.casePostClosureNew)
	page("POST", "/cases/{id}/post-closure", write, "记录结案后跟进", s.casePostClosureCreate)
	page("GET", "/cases/{id}/referrals/new", write, "转介申请页", s.caseReferralNew)
	page("POST", "/cases/{id}/referrals", write, "申请转介", s.caseReferralCreate)
	page("POST", "/cases/{id}/referrals/{rid}/respond", write, "接收或拒绝转介", s.caseReferralRespond)
	page("GET", "/cases/{id}/referrals/{rid}/letter", read, "转介书（打印，查看记入审计）", s.caseReferralLetter)
	page("GET", "/cases/{id}/closure", write, "结案申请页", s.caseClosurePage)
	page("POST", "/cases/{id}/closure", write, "申请结案", s.caseClosureCreate)
	page("GET", "/cases/{id}/reopen", write, "重开个案页", s.caseReopenPage)
	page("POST", "/cases/{id}/reopen", write, "重开个案", s.caseReopen)
	page("GET", "/cases/{id}/reassign", reassign, "转移个案页", s.caseReassignPage)
	page("POST", "/cases/{id}/reassign", reassign, "转移个案", s.caseReassign)
	page("GET", "/cases/reassign", reassign, "批量转移个案页", s.caseBulkReassignPage)
	page("POST", "/cases/reassign", reassign, "批量转移个案", s.caseBulkReassign)
	page("GET", "/cases/archive-check", report, "档案检查", s.caseArchiveCheck)
	page("GET", "/cases/monthly", report, "社工月报表", s.caseMonthly)
	page("GET", "/cases/settings", settings, "个案工作规则页", s.caseSettingsPage)
	page("POST", "/cases/settings", settings, "保存个案工作规则", s.caseSettingsSave)
	s.caseAPIRoutes()

	s.addNav("服务对象与个案",
		NavItem{Label: "个案", Href: "/cases", Perm: read, Agency: true},
		NavItem{Label: "档案检查", Href: "/cases/archive-check", Perm: report, Agency: true},
		NavItem{Label: "社工月报表", Href: "/cases/monthly", Perm: report, Agency: true},
		NavItem{Label: "批量转移个案", Href: "/cases/reassign", Perm: reassign, Agency: true})
	s.addNav("系统设置", NavItem{Label: "个案工作规则", Href: "/cases/settings", Perm: settings, Agency: true})
}

// caseID parses a path id; a malformed one is not found.
func caseID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.ErrNotFound("个案")
	}
	return id, nil
}

func caseOptions(values []string, label func(string) string) []Option {
	out := make([]Option, len(values))
	for i, v := range values {
		out[i] = Option{Value: v, Label: label(v)}
	}
	return out
}

func caseNamed(ns []cases.NamedID) []Option {
	out := make([]Option, len(ns))
	for i, n := range ns {
		out[i] = Option{Value: idString(n.ID), Label: n.Name}
	}
	return out
}

func caseCrumbs(c *cases.Case, last string) []Crumb {
	cr := []Crumb{{Label: "个案", Href: "/cases"}}
	if c != nil {
		cr = append(cr, Crumb{Label: c.Number, Href: fmt.Sprintf("/cases/%d", c.ID)})
	}
	return append(cr, Crumb{Label: last})
}

// caseFormData is what every case form page receives.
type caseFormData struct {
	Case    *cases.Case
	Action  string
	Options map[string][]Option
	Goals   []cases.Goal
	Rows    []int // plan: indexes of the goal rows
	Post    bool  // follow-up form after closure
	Notice  string
}

func (s *Server) renderCaseForm(w http.ResponseWriter, r *http.Request, status int, tmpl, title string, f *Form, d caseFormData) {
	pg := s.page(r, title, caseCrumbs(d.Case, title)...)
	pg.Form = f
	pg.Data = d
	s.render(w, r, status, tmpl, pg)
}

// formFail re-renders a form with the error, or fails the request.
func (s *Server) formFail(w http.ResponseWriter, r *http.Request, err error, f *Form, again func(status int)) {
	if f.SetError(err) {
		again(status(app.ErrorCode(err)))
		return
	}
	s.fail(w, r, err)
}

func caseInt(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// ---- list ----

func (s *Server) caseList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	ctx := r.Context()
	qv := r.URL.Query()
	var f cases.CaseFilter
	f.SiteID, _ = strconv.ParseInt(qv.Get("site"), 10, 64)
	f.WorkerID, _ = strconv.ParseInt(qv.Get("worker"), 10, 64)
	f.State, f.Risk = qv.Get("state"), qv.Get("risk")
	f.Behind = qv.Get("behind") == "1"
	f.ClientID, _ = strconv.ParseInt(qv.Get("client"), 10, 64)
	f.From, _ = app.ParseDate(qv.Get("from"))
	f.To, _ = app.ParseDate(qv.Get("to"))
	q := listQuery(r)
	sites, err := s.Cases.Sites(ctx, p, cases.PermCaseRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	workers, err := s.Cases.Workers(ctx, p, cases.PermCaseRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := ListDef[cases.CaseRow]{
		Sheet:  "个案",
		Search: "个案编号或服务对象姓名",
		Filters: []Filter{
			{Name: "site", Label: "服务点", Type: "select", Options: caseNamed(sites)},
			{Name: "worker", Label: "负责社工", Type: "select", Options: caseNamed(workers)},
			{Name: "state", Label: "阶段", Type: "select", Options: caseOptions(cases.States, cases.StateLabel)},
			{Name: "risk", Label: "风险等级", Type: "select", Options: caseOptions(cases.RiskLevels, cases.RiskLabel)},
			{Name: "behind", Label: "跟进情况", Type: "select", Options: []Option{{Value: "1", Label: "跟进不足"}}},
			{Name: "from", Label: "接案日期从", Type: "date"},
			{Name: "to", Label: "至", Type: "date"},
		},
		Cols: []ListCol[cases.CaseRow]{
			{Key: "number", Label: "个案编号", Width: 16, Cell: func(c cases.CaseRow) Cell {
				return Cell{Text: c.Number, Href: fmt.Sprintf("/cases/%d", c.ID)}
			}},
			{Key: "client", Label: "服务对象", Cell: func(c cases.CaseRow) Cell { return Cell{Text: c.ClientName, Sub: c.ClientCode} },
				Export: func(c cases.CaseRow) any { return c.ClientName + " " + c.ClientCode }},
			{Key: "site", Label: "服务点", Width: 22, Cell: func(c cases.CaseRow) Cell { return Cell{Text: c.SiteName} }},
			{Key: "worker", Label: "负责社工", Cell: func(c cases.CaseRow) Cell { return Cell{Text: c.WorkerName} }},
			{Key: "state", Label: "阶段", Cell: func(c cases.CaseRow) Cell {
				return Cell{Text: c.StateLabel, Tag: cases.StateTag(c.State)}
			}},
			{Key: "risk", Label: "风险", Cell: func(c cases.CaseRow) Cell {
				return Cell{Text: c.RiskLabel, Tag: cases.RiskTag(c.RiskLevel)}
			}},
			{Key: "intake", Label: "接案日期", Cell: func(c cases.CaseRow) Cell { return Cell{Text: c.IntakeDate.String()} }},
			{Label: "开案 / 结案", Cell: func(c cases.CaseRow) Cell {
				return Cell{Text: c.OpenedOn.String(), Sub: c.ClosedOn.String()}
			}, Export: func(c cases.CaseRow) any { return c.OpenedOn.String() + " / " + c.ClosedOn.String() }},
			{Key: "followups", Label: "本月跟进", Cell: func(c cases.CaseRow) Cell {
				cell := Cell{Text: strconv.Itoa(c.FollowupsThisMonth)}
				if c.Behind {
					cell.Tag, cell.Text = "red", cell.Text+" 跟进不足"
				}
				return cell
			}, Export: func(c cases.CaseRow) any { return c.FollowupsThisMonth }},
			{Key: "last", Label: "最近跟进", Cell: func(c cases.CaseRow) Cell { return Cell{Text: c.LastFollowupOn.String()} }},
		},
		Empty: "没有符合条件的个案",
	}
	pg := s.page(r, "个案", Crumb{Label: "服务对象与个案"}, Crumb{Label: "个案"})
	serveListRows(s, w, r, pg, "cases/list", def, q, s.Cases.Rows(ctx, p, f, q), func(lv ListView) any {
		return map[string]any{"List": lv, "CanWrite": p.Can(cases.PermCaseWrite), "CanReassign": p.Can(cases.PermCaseReassign),
			"ClientID": f.ClientID, "ClientCode": cases.ClientCode(f.ClientID)}
	})
}

// ---- intake ----

func (s *Server) intakeOptions(r *http.Request, withClients bool) (map[string][]Option, error) {
	p, ctx := principalOf(r), r.Context()
	opts := map[string][]Option{
		"source": caseOptions(cases.Sources, cases.SourceLabel),
		"risk":   caseOptions(cases.RiskLevels, cases.RiskLabel),
	}
	if !withClients {
		return opts, nil
	}
	clients, err := s.Cases.IntakeClients(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, c := range clients {
		opts["client"] = append(opts["client"], Option{Value: idString(c.ID), Label: c.Label()})
	}
	sites, err := s.Cases.Sites(ctx, p, cases.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	workers, err := s.Cases.Workers(ctx, p, cases.PermCaseWrite)
	if err != nil {
		return nil, err
	}
	opts["site"], opts["worker"] = caseNamed(sites), caseNamed(workers)
	return opts, nil
}

func (s *Server) caseNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	f := formOf(map[string]string{"client_id": r.URL.Query().Get("client_id"), "intake_date": s.today().String(),
		"risk_level": cases.RiskLow})
	if p.StaffID != 0 {
		f.Values.Set("worker_id", idString(p.StaffID))
	}
	if len(p.SiteIDs) > 0 {
		f.Values.Set("site_id", idString(p.SiteIDs[0]))
	}
	s.showIntakeForm(w, r, http.StatusOK, f, nil)
}

func (s *Server) showIntakeForm(w http.ResponseWriter, r *http.Request, status int, f *Form, c *cases.Case) {
	opts, err := s.intakeOptions(r, c == nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := caseFormData{Case: c, Options: opts, Action: "/cases"}
	title := "接案（新建个案）"
	if c != nil {
		d.Action, title = fmt.Sprintf("/cases/%d/intake", c.ID), "修改接案记录"
	}
	s.renderCaseForm(w, r, status, "cases/intake", title, f, d)
}

func intakeInput(f *Form, v *app.Validation) cases.IntakeInput {
	return cases.IntakeInput{ClientID: f.Int64("client_id"), SiteID: f.Int64("site_id"), WorkerID: f.Int64("worker_id"),
		IntakeDate: f.Date("intake_date", v), Source: f.Get("source"), RiskLevel: f.Get("risk_level"),
		PresentingProblem: f.Get("presenting_problem"), Note: f.Get("note"), Version: f.Int64("version")}
}

func (s *Server) caseCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var v app.Validation
	in := intakeInput(f, &v)
	err := v.Err()
	var c *cases.Case
	if err == nil {
		c, err = s.Cases.Create(r.Context(), principalOf(r), in)
	}
	if err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showIntakeForm(w, r, st, f, nil) })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), "已接案，个案编号 "+c.Number+"。下一步请填写预估表")
}

// caseForWrite loads a case for a form page; out of scope is not found.
func (s *Server) caseForPage(w http.ResponseWriter, r *http.Request) (*cases.Case, bool) {
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	c, err := s.Cases.Get(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return c, true
}

// writable refuses a form page the caller may not use on this case now.
func (s *Server) writable(w http.ResponseWriter, r *http.Request, c *cases.Case, ok bool, why string) bool {
	p := principalOf(r)
	if !p.Scope(cases.PermCaseWrite).Allows(authz.Obj{OrgID: p.OrgID, OwnerID: c.WorkerID, SiteIDs: []int64{c.SiteID}}) {
		s.fail(w, r, app.ErrNotFound("个案"))
		return false
	}
	if !ok {
		s.fail(w, r, app.Errorf(app.EConflict, "个案%s，%s", c.StateLabel, why))
		return false
	}
	return true
}

func (s *Server) caseIntakeEdit(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok || !s.writable(w, r, c, c.State == cases.StateIntake || c.State == cases.StateAssessment ||
		c.State == cases.StatePlanned, "接案记录不能再修改") {
		return
	}
	f := formOf(map[string]string{"intake_date": c.IntakeDate.String(), "source": c.Source, "risk_level": c.RiskLevel,
		"presenting_problem": c.PresentingProblem, "note": c.IntakeNote, "version": strconv.FormatInt(c.Version, 10)})
	s.showIntakeForm(w, r, http.StatusOK, f, c)
}

func (s *Server) caseIntakeUpdate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	var v app.Validation
	in := intakeInput(f, &v)
	err := v.Err()
	if err == nil {
		_, err = s.Cases.UpdateIntake(r.Context(), principalOf(r), c.ID, in)
	}
	if err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showIntakeForm(w, r, st, f, c) })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), "接案记录已保存")
}

// ---- assessment ----

func (s *Server) caseAssessmentPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok || !s.writable(w, r, c, c.State == cases.StateIntake || c.State == cases.StateAssessment ||
		c.State == cases.StatePlanned || c.State == cases.StateOpen, "不能修改预估") {
		return
	}
	day := c.AssessedOn
	if day.IsZero() {
		day = s.today()
	}
	f := formOf(map[string]string{"assessed_on": day.String(), "assessment": c.Assessment, "needs": c.Needs,
		"strengths": c.Strengths, "risk_level": c.RiskLevel, "version": strconv.FormatInt(c.Version, 10)})
	s.showAssessment(w, r, http.StatusOK, f, c)
}

func (s *Server) showAssessment(w http.ResponseWriter, r *http.Request, status int, f *Form, c *cases.Case) {
	s.renderCaseForm(w, r, status, "cases/assessment", "预估表", f, caseFormData{Case: c,
		Action: fmt.Sprintf("/cases/%d/assessment", c.ID), Options: map[string][]Option{"risk": caseOptions(cases.RiskLevels, cases.RiskLabel)}})
}

func (s *Server) caseAssessmentSave(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	var v app.Validation
	in := cases.AssessmentInput{AssessedOn: f.Date("assessed_on", &v), Assessment: f.Get("assessment"),
		Needs: f.Get("needs"), Strengths: f.Get("strengths"), RiskLevel: f.Get("risk_level"), Version: f.Int64("version")}
	err := v.Err()
	if err == nil {
		_, err = s.Cases.SaveAssessment(r.Context(), principalOf(r), c.ID, in)
	}
	if err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showAssessment(w, r, st, f, c) })
		return
	}
	msg := "预估表已保存"
	if c.State == cases.StateIntake {
		msg += "。下一步请制定服务计划"
	}
	s.redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), msg)
}

// ---- plan ----

// blankGoalRows is how many empty goal rows the plan form offers.
const blankGoalRows = 3

func (s *Server) casePlanPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok || !s.writable(w, r, c, c.State == cases.StateAssessment || c.State == cases.StatePlanned ||
		c.State == cases.StateOpen, "不能修改服务计划（须先完成预估）") {
		return
	}
	day := c.PlannedOn
	if day.IsZero() {
		day = s.today()
	}
	f := formOf(map[string]string{"planned_on": day.String(), "plan_end": c.PlanEnd.String(), "strategy": c.PlanStrategy,
		"version": strconv.FormatInt(c.Version, 10)})
	for i, g := range c.Goals {
		f.Values.Set(fmt.Sprintf("goal_id_%d", i), idString(g.ID))
		f.Values.Set(fmt.Sprintf("goal_title_%d", i), g.Title)
		f.Values.Set(fmt.Sprintf("goal_measure_%d", i), g.Measure)
	}
	s.showPlan(w, r, http.StatusOK, f, c, len(c.Goals)+blankGoalRows)
}

func (s *Server) showPlan(w http.ResponseWriter, r *http.Request, status int, f *Form, c *cases.Case, rows int) {
	d := caseFormData{Case: c, Action: fmt.Sprintf("/cases/%d/plan", c.ID)}
	for i := range min(rows, cases.MaxGoals+blankGoalRows) {
		d.Rows = append(d.Rows, i)
	}
	s.renderCaseForm(w, r, status, "cases/plan", "服务计划", f, d)
}

func (s *Server) casePlanSave(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	var v app.Validation
	in := cases.PlanInput{PlannedOn: f.Date("planned_on", &v), PlanEnd: f.Date("plan_end", &v), Strategy: f.Get("strategy"),
		Version: f.Int64("version")}
	rows := 0
	for i := range cases.MaxGoals + blankGoalRows {
		id, title := fmt.Sprintf("goal_id_%d", i), fmt.Sprintf("goal_title_%d", i)
		if _, ok := f.Values[title]; !ok {
			if _, ok := f.Values[id]; !ok {
				break
			}
		}
		rows = i + 1
		in.Goals = append(in.Goals, cases.GoalInput{ID: f.Int64(id), Title: f.Get(title),
			Measure: f.Get(fmt.Sprintf("goal_measure_%d", i))})
	}
	err := v.Err()
	if err == nil {
		_, err = s.Cases.SavePlan(r.Context(), principalOf(r), c.ID, in)
	}
	if err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showPlan(w, r, st, f, c, max(rows, 1)) })
		return
	}
	msg := "服务计划已保存"
	if c.State == cases.StateAssessment {
		msg += "。确认服务对象已签署知情同意书后，即可提交开案申请"
	}
	s.redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), msg)
}

// ---- the case file and its actions ----

type caseShowData struct {
	F        *cases.CaseFile
	StateTag string
	RiskTag  string
	Rejected map[string]bool // kinds of requests sent back for correction
	Printed  time.Time
}

func (s *Server) caseShow(w http.ResponseWriter, r *http.Request) {
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showCase(w, r, id, http.StatusOK, nil)
}

// showCase renders the case file; an action's error is shown on top.
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, id int64, status int, f *Form) {
	file, err := s.Cases.File(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f == nil {
		f = &Form{Values: map[string][]string{}}
	}
	pg := s.page(r, "个案 "+file.Case.Number, Crumb{Label: "个案", Href: "/cases"}, Crumb{Label: file.Case.Number})
	pg.Form = f
	d := caseShowData{F: file, StateTag: cases.StateTag(file.Case.State), RiskTag: cases.RiskTag(file.Case.RiskLevel),
		Rejected: map[string]bool{}, Printed: s.Now()}
	for _, rj := range file.Rejections {
		d.Rejected[rj.Kind] = true
	}
	pg.Data = d
	s.render(w, r, status, "cases/show", pg)
}

// caseAction runs a case action posted from the case page: success goes
// back to the case with a message, an input error re-renders the page.
func (s *Server) caseAction(w http.ResponseWriter, r *http.Request, run func(id int64, f *Form) (string, string, error)) {
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	to, msg, err := run(id, f)
	if err != nil {
		if app.ErrorCode(err) == app.ENotFound || !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.showCase(w, r, id, status(app.ErrorCode(err)), f)
		return
	}
	if to == "" {
		to = fmt.Sprintf("/cases/%d", id)
	}
	s.redirect(w, r, to, msg)
}

func (s *Server) caseSubmit(w http.ResponseWriter, r *http.Request) {
	s.caseAction(w, r, func(id int64, f *Form) (string, string, error) {
		_, err := s.Cases.SubmitOpen(r.Context(), principalOf(r), id, cases.SubmitInput{Version: f.Int64("version"),
			Comment: f.Get("comment")})
		return "", "开案申请已提交，等待督导审批", err
	})
}

func (s *Server) caseDecide(w http.ResponseWriter, r *http.Request) {
	s.caseAction(w, r, func(id int64, f *Form) (string, string, error) {
		in := cases.DecisionInput{ApprovalID: f.Int64("approval_id"), Version: f.Int64("approval_version"),
			Decision: f.Get("decision"), Comment: f.Get("comment")}
		c, err := s.Cases.Decide(r.Context(), principalOf(r), id, in)
		msg := "已同意"
		if in.Decision == "reject" {
			msg = "已驳回，申请人将按意见修改"
		}
		if c == nil && err == nil {
			return "/cases", msg, nil
		}
		return "", msg, err
	})
}

func (s *Server) caseWithdraw(w http.ResponseWriter, r *http.Request) {
	s.caseAction(w, r, func(id int64, f *Form) (string, string, error) {
		_, err := s.Cases.Withdraw(r.Context(), principalOf(r), id, cases.WithdrawInput{ApprovalID: f.Int64("approval_id"),
			Version: f.Int64("approval_version"), Comment: f.Get("comment")})
		return "", "申请已撤回", err
	})
}

func (s *Server) caseReferralRespond(w http.ResponseWriter, r *http.Request) {
	rid, err := caseID(r, "rid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.caseAction(w, r, func(id int64, f *Form) (string, string, error) {
		in := cases.RespondInput{Decision: f.Get("decision"), Note: f.Get("note")}
		c, err := s.Cases.RespondReferral(r.Context(), principalOf(r), id, rid, in)
		if err != nil {
			return "", "", err
		}
		if c == nil {
			return "/cases", "已拒绝接收该转介，个案仍由原社工负责", nil
		}
		if in.Decision == "accept" {
			return "", "已接收转介，您现在是该个案的负责社工", nil
		}
		return "", "已拒绝接收该转介", nil
	})
}

// ---- follow-ups ----

func (s *Server) caseFollowupNew(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok || !s.writable(w, r, c, c.State == cases.StateOpen, "只有介入跟进中的个案可以记录跟进") {
		return
	}
	f := formOf(map[string]string{"held_on": s.today().String(), "duration_min": "60"})
	s.showFollowup(w, r, http.StatusOK, f, c, false)
}

func (s *Server) casePostClosureNew(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok || !s.writable(w, r, c, c.State == cases.StatePostClosure, "只有结案后跟进阶段的个案可以记录结案后跟进") {
		return
	}
	f := formOf(map[string]string{"held_on": s.today().String(), "duration_min": "30", "method": "phone"})
	s.showFollowup(w, r, http.StatusOK, f, c, true)
}

func (s *Server) showFollowup(w http.ResponseWriter, r *http.Request, status int, f *Form, c *cases.Case, post bool) {
	d := caseFormData{Case: c, Post: post, Goals: c.Goals, Options: map[string][]Option{
		"method": caseOptions(cases.Methods, cases.MethodLabel), "progress": caseOptions(cases.ProgressLevels, cases.ProgressLabel)}}
	title := "记录跟进"
	d.Action = fmt.Sprintf("/cases/%d/followups", c.ID)
	if post {
		title, d.Action, d.Goals = "记录结案后跟进", fmt.Sprintf("/cases/%d/post-closure", c.ID), nil
	}
	s.renderCaseForm(w, r, status, "cases/followup", title, f, d)
}

func followupInput(f *Form, v *app.Validation, goals []cases.Goal) cases.FollowupInput {
	in := cases.FollowupInput{HeldOn: f.Date("held_on", v), Method: f.Get("method"), DurationMin: caseInt(f.Get("duration_min")),
		Content: f.Get("content"), NextStep: f.Get("next_step")}
	for _, g := range goals {
		in.Progress = append(in.Progress, cases.ProgressInput{GoalID: g.ID,
			Progress: f.Get(fmt.Sprintf("progress_%d", g.ID)), Note: f.Get(fmt.Sprintf("progress_note_%d", g.ID))})
	}
	return in
}

func (s *Server) caseFollowupCreate(w http.ResponseWriter, r *http.Request) {
	s.saveFollowup(w, r, false)
}

func (s *Server) casePostClosureCreate(w http.ResponseWriter, r *http.Request) {
	s.saveFollowup(w, r, true)
}

func (s *Server) saveFollowup(w http.ResponseWriter, r *http.Request, post bool) {
	c, ok := s.caseForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	var v app.Validation
	goals := c.Goals
	if post {
		goals = nil
	}
	in := followupInput(f, &v, goals)
	err := v.Err()
	if err == nil {
		if post {
			_, err = s.Cases.AddPostClosure(r.Context(), principalOf(r), c.ID, in)
		} else {
			_, err = s.Cases.AddFollowup(r.Context(), principalOf(r), c.ID, in)
		}
	}
	if err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showFollowup(w, r, st, f, c, post) })
		return
	}
	msg := "跟进记录已保存"
	if post {
		msg = "结案后跟进记录已保存"
		if after, err := s.Cases.Get(r.Context(), principalOf(r), c.ID); err == nil && after.State == cases.StateArchived {
			msg += "。结案后跟进已全部完成，个案已归档"
		}
	}
	s.redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), msg)
}

// ---- referral ----

func (s *Server) caseReferralNew(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok || !s.writable(w, r, c, c.State == cases.StateOpen, "只有介入跟进中的个案可以转介") {
		return
	}
	f := formOf(map[string]string{"kind": cases.ReferInternal, "after": cases.AfterKeep})
	// A referral sent back is corrected in the same form, as it was.
	rej, err := s.Cases.RejectedReferral(r.Context(), principalOf(r), c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rej != nil {
		f = formOf(map[string]string{"kind": rej.Kind, "to_agency": rej.ToAgency, "to_contact": rej.ToContact,
			"to_phone": rej.ToPhone, "reason": rej.Reason, "services": rej.Services, "after": rej.After,
			"closure_summary": rej.ClosureSummary})
		if rej.ToStaffID != 0 {
			f.Values.Set("to_staff_id", idString(rej.ToStaffID))
		}
	}
	notice := ""
	if rej != nil {
		notice = "督导驳回了转介申请 " + rej.LetterNo + "，请按意见修改后重新提交；如不再转介，可在个案档案中撤回。"
	}
	s.showReferral(w, r, http.StatusOK, f, c, notice)
}

func (s *Server) showReferral(w http.ResponseWriter, r *http.Request, status int, f *Form, c *cases.Case, notice string) {
	colleagues, err := s.Cases.Colleagues(r.Context(), principalOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var others []cases.NamedID
	for _, n := range colleagues {
		if n.ID != c.WorkerID {
			others = append(others, n)
		}
	}
	s.renderCaseForm(w, r, status, "cases/referral", "转介申请", f, caseFormData{Case: c, Notice: notice,
		Action: fmt.Sprintf("/cases/%d/referrals", c.ID), Options: map[string][]Option{
			"kind":  {{Value: cases.ReferInternal, Label: "机构内转介（转给本机构其他社工）"}, {Value: cases.ReferExternal, Label: "转介至外部机构"}},
			"staff": caseNamed(others),
			"after": {{Value: cases.AfterKeep, Label: "本机构继续跟进"}, {Value: cases.AfterClose, Label: "转介后结案"}},
		}})
}

func (s *Server) caseReferralCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	in := cases.ReferralInput{Kind: f.Get("kind"), ToStaffID: f.Int64("to_staff_id"), ToAgency: f.Get("to_agency"),
		ToContact: f.Get("to_contact"), ToPhone: f.Get("to_phone"), Reason: f.Get("reason"), Services: f.Get("services"),
		After: f.Get("after"), ClosureSummary: f.Get("closure_summary"), Comment: f.Get("comment")}
	ref, err := s.Cases.Refer(r.Context(), principalOf(r), c.ID, in)
	if err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showReferral(w, r, st, f, c, "") })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), "转介申请 "+ref.LetterNo+" 已提交，等待督导审批")
}

type letterData struct {
	L *cases.Letter
}

func (s *Server) caseReferralLetter(w http.ResponseWriter, r *http.Request) {
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rid, err := caseID(r, "rid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.Cases.ReferralLetter(r.Context(), principalOf(r), id, rid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "转介书 "+l.Referral.LetterNo, caseCrumbs(l.Case, "转介书")...)
	pg.Data = letterData{L: l}
	s.render(w, r, http.StatusOK, "cases/letter", pg)
}

// ---- closure and reopening ----

func (s *Server) caseClosurePage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok || !s.writable(w, r, c, c.State == cases.StateOpen, "只有介入跟进中的个案可以申请结案") {
		return
	}
	f := formOf(map[string]string{"version": strconv.FormatInt(c.Version, 10)})
	rej, err := s.Cases.RejectedClosure(r.Context(), principalOf(r), c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rej != nil {
		f.Values.Set("reason", rej.Reason)
		f.Values.Set("reason_note", rej.ReasonNote)
		f.Values.Set("summary", rej.Summary)
		f.Values.Set("evaluation", rej.Evaluation)
		for _, g := range rej.Goals {
			f.Values.Set(fmt.Sprintf("attainment_%d", g.GoalID), g.Attainment)
			f.Values.Set(fmt.Sprintf("attainment_note_%d", g.GoalID), g.Note)
		}
	}
	notice := ""
	if rej != nil {
		notice = "督导驳回了结案申请，请按意见修改后重新提交；如暂不结案，可在个案档案中撤回。"
	}
	s.showClosure(w, r, http.StatusOK, f, c, notice)
}

func (s *Server) showClosure(w http.ResponseWriter, r *http.Request, status int, f *Form, c *cases.Case, notice string) {
	s.renderCaseForm(w, r, status, "cases/closure", "结案申请", f, caseFormData{Case: c, Goals: c.Goals, Notice: notice,
		Action: fmt.Sprintf("/cases/%d/closure", c.ID), Options: map[string][]Option{
			"reason":     caseOptions(cases.ClosureReasons, cases.ClosureReasonLabel),
			"attainment": caseOptions(cases.Attainments, cases.AttainmentLabel)}})
}

func (s *Server) caseClosureCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	in := cases.ClosureInput{Reason: f.Get("reason"), ReasonNote: f.Get("reason_note"), Summary: f.Get("summary"),
		Evaluation: f.Get("evaluation"), Comment: f.Get("comment"), Version: f.Int64("version")}
	for _, g := range c.Goals {
		in.Goals = append(in.Goals, cases.AttainmentInput{GoalID: g.ID, Attainment: f.Get(fmt.Sprintf("attainment_%d", g.ID)),
			Note: f.Get(fmt.Sprintf("attainment_note_%d", g.ID))})
	}
	if _, err := s.Cases.RequestClosure(r.Context(), principalOf(r), c.ID, in); err != nil {
		s.formFail(w, r, err, f, func(st int) { s.showClosure(w, r, st, f, c, "") })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), "结案申请已提交，等待督导审批")
}

func (s *Server) caseReopenPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok || !s.writable(w, r, c, c.State == cases.StatePostClosure || c.State == cases.StateArchived,
		"只有已结案或已归档的个案可以重开") {
		return
	}
	s.renderCaseForm(w, r, http.StatusOK, "cases/reopen", "重开个案",
		formOf(map[string]string{"version": strconv.FormatInt(c.Version, 10)}),
		caseFormData{Case: c, Action: fmt.Sprintf("/cases/%d/reopen", c.ID)})
}

func (s *Server) caseReopen(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caseForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	if _, err := s.Cases.Reopen(r.Context(), principalOf(r), c.ID, cases.ReopenInput{Reason: f.Get("reason"),
		Version: f.Int64("version")}); err != nil {
		s.formFail(w, r, err, f, func(st int) {
			s.renderCaseForm(w, r, st, "cases/reopen", "重开个案", f, caseFormData{Case: c,
				Action: fmt.Sprintf("/cases/%d/reopen", c.ID)})
		})
		return
	}
	s.redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), "个案已重开，重新进入介入跟进阶段")
}
