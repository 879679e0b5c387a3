package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/approval/general"
	"shegong/internal/authz"
	"shegong/internal/export"
)

// approvalRoutes registers the pages and API of the approval engine: 待办,
// 我的申请, the approval page with its decision form, 通用事项申请 and 审批委托.
// Access to one request is decided by the engine (submitter, approvers and
// their stand-ins, roles with a wider view), so those routes are Signed and
// the service answers 404 for anyone else.
func (s *Server) approvalRoutes() {
	if s.Approvals == nil {
		return
	}
	rt := s.router
	rt.Handle(Route{Method: "GET", Pattern: "/approvals/todo", Access: Signed, Summary: "待办"}, s.approvalTodoPage)
	rt.Handle(Route{Method: "GET", Pattern: "/approvals/mine", Access: Signed, Summary: "我的申请"}, s.approvalMinePage)
	rt.Handle(Route{Method: "GET", Pattern: "/approvals/{id}", Access: Signed, Object: "approval", Summary: "审批详情"}, s.approvalPage)
	rt.Handle(Route{Method: "POST", Pattern: "/approvals/{id}/decide", Access: Signed, Object: "approval",
		Summary: "审批：同意或驳回"}, s.approvalDecide)
	rt.Handle(Route{Method: "POST", Pattern: "/approvals/{id}/withdraw", Access: Signed, Object: "approval_own",
		Summary: "撤回申请"}, s.approvalWithdraw)
	rt.Handle(Route{Method: "POST", Pattern: "/approvals/{id}/resubmit", Access: Signed, Object: "approval_own",
		Summary: "重新提交被驳回的申请"}, s.approvalResubmit)

	rt.Handle(Route{Method: "GET", Pattern: "/approvals/general/new", Access: Permitted, Perm: general.PermSubmit,
		Summary: "通用事项申请表"}, s.generalNewPage)
	rt.Handle(Route{Method: "POST", Pattern: "/approvals/general", Access: Permitted, Perm: general.PermSubmit,
		Summary: "提交通用事项申请"}, s.generalCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/approvals/general/{id}/edit", Access: Permitted, Perm: general.PermSubmit,
		Object: "approval_own", Summary: "修改被驳回的通用事项申请"}, s.generalEditPage)
	rt.Handle(Route{Method: "POST", Pattern: "/approvals/general/{id}/edit", Access: Permitted, Perm: general.PermSubmit,
		Object: "approval_own", Summary: "修改后重新提交通用事项申请"}, s.generalResubmit)

	rt.Handle(Route{Method: "GET", Pattern: "/approvals/delegations", Access: Permitted, Perm: approval.PermDelegate,
		Summary: "审批委托"}, s.delegationsPage)
	rt.Handle(Route{Method: "POST", Pattern: "/approvals/delegations", Access: Permitted, Perm: approval.PermDelegate,
		Summary: "设置审批委托"}, s.delegationCreate)
	rt.Handle(Route{Method: "POST", Pattern: "/approvals/delegations/{id}/cancel", Access: Permitted,
		Perm: approval.PermDelegate, Object: "delegation", Summary: "取消审批委托"}, s.delegationCancel)

	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/approvals/todo", Access: Signed, Summary: "我的待办审批",
		API: &APIDoc{Tag: "审批", Response: []approval.TodoItem{}}}, s.apiApprovalTodo)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/approvals/mine", Access: Signed, Summary: "我提交的申请",
		API: &APIDoc{Tag: "审批", Response: apiApprovalList{}, Query: []Param{
			{Name: "status", Desc: "pending / approved / rejected / withdrawn", Type: "string"},
			{Name: "kind", Desc: "审批类型，如 general", Type: "string"},
			{Name: "page", Desc: "页码，从 1 开始", Type: "integer"},
			{Name: "size", Desc: "每页条数，最多 200", Type: "integer"},
		}}}, s.apiApprovalMine)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/approvals/{id}", Access: Signed, Object: "approval",
		Summary: "审批详情（步骤、历史与当前可执行的操作）", API: &APIDoc{Tag: "审批", Response: approval.Approval{}}}, s.apiApprovalGet)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/approvals/{id}/decision", Access: Signed, Object: "approval",
		Summary: "审批：同意或驳回（驳回须填写意见）",
		API:     &APIDoc{Tag: "审批", Request: apiDecisionIn{}, Response: approval.Approval{}}}, s.apiApprovalDecide)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/approvals/{id}/withdrawal", Access: Signed, Object: "approval_own",
		Summary: "撤回申请", API: &APIDoc{Tag: "审批", Request: apiVersionIn{}, Response: approval.Approval{}}}, s.apiApprovalWithdraw)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/approvals/{id}/resubmission", Access: Signed, Object: "approval_own",
		Summary: "重新提交被驳回的申请", API: &APIDoc{Tag: "审批", Request: apiVersionIn{}, Response: approval.Approval{}}},
		s.apiApprovalResubmit)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/general-requests", Access: Permitted, Perm: general.PermSubmit,
		Summary: "提交通用事项申请", API: &APIDoc{Tag: "审批", Request: general.Input{}, Response: general.Request{}}},
		s.apiGeneralCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/general-requests/{id}", Access: Signed, Object: "approval",
		Summary: "通用事项申请详情（按审批编号）", API: &APIDoc{Tag: "审批", Response: general.Request{}}}, s.apiGeneralGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/general-requests/{id}", Access: Permitted, Perm: general.PermSubmit,
		Object: "approval_own", Summary: "修改被驳回的通用事项申请并重新提交",
		API: &APIDoc{Tag: "审批", Request: apiGeneralResubmitIn{}, Response: general.Request{}}}, s.apiGeneralResubmit)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/approval-delegations", Access: Permitted, Perm: approval.PermDelegate,
		Summary: "我设置的和收到的审批委托", API: &APIDoc{Tag: "审批", Response: apiDelegations{}}}, s.apiDelegations)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/approval-delegations", Access: Permitted, Perm: approval.PermDelegate,
		Summary: "设置审批委托", API: &APIDoc{Tag: "审批", Request: approval.DelegationInput{}, Response: approval.Delegation{}}},
		s.apiDelegationCreate)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/approval-delegations/{id}", Access: Permitted,
		Perm: approval.PermDelegate, Object: "delegation", Summary: "取消审批委托", API: &APIDoc{Tag: "审批"}},
		s.apiDelegationCancel)

	s.addNav("工作台",
		NavItem{Label: "待办", Href: "/approvals/todo", Agency: true},
		NavItem{Label: "我的申请", Href: "/approvals/mine", Agency: true},
		NavItem{Label: "通用事项申请", Href: "/approvals/general/new", Perm: general.PermSubmit},
		NavItem{Label: "审批委托", Href: "/approvals/delegations", Perm: approval.PermDelegate})
	if s.TodoCount == nil {
		s.TodoCount = s.Approvals.TodoCount
	}
	s.Home = append(s.Home, HomeParts{Todos: s.approvalHomeTodos})
}

// approvalPathID reads the {id} of an approval or delegation route.
func approvalPathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.ErrNotFound(what)
	}
	return id, nil
}

// Status colours of requests and steps.
func approvalTag(st approval.Status) string {
	switch st {
	case approval.Pending:
		return "blue"
	case approval.Approved:
		return "green"
	case approval.Rejected:
		return "red"
	}
	return "grey"
}

func stepTag(st approval.StepStatus) string {
	switch st {
	case approval.StepPending:
		return "blue"
	case approval.StepApproved:
		return "green"
	case approval.StepRejected:
		return "red"
	}
	return "grey"
}

// waited says how long a step has been waiting, in words.
func waited(now, since time.Time) string {
	d := now.Sub(since)
	switch {
	case d < time.Hour:
		return "不到1小时"
	case d < 24*time.Hour:
		return fmt.Sprintf("%d 小时", int(d.Hours()))
	}
	return fmt.Sprintf("%d 天", int(d.Hours()/24))
}

func amountText(f app.Fen) string {
	if f == 0 {
		return ""
	}
	return f.String()
}

func (s *Server) workflowOptions() []Option {
	var out []Option
	for _, w := range s.Approvals.Workflows() {
		out = append(out, Option{Value: w.Kind, Label: w.Name})
	}
	return out
}

var approvalStatusOptions = []Option{
	{Value: string(approval.Pending), Label: approval.Pending.Name()},
	{Value: string(approval.Approved), Label: approval.Approved.Name()},
	{Value: string(approval.Rejected), Label: approval.Rejected.Name()},
	{Value: string(approval.Withdrawn), Label: approval.Withdrawn.Name()},
}

// approvalHomeTodos puts the waiting approvals on the home page.
func (s *Server) approvalHomeTodos(ctx context.Context, p *authz.Principal) ([]TodoItem, error) {
	items, err := s.Approvals.Todo(ctx, p)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]TodoItem, 0, len(items))
	for _, it := range items {
		from := it.SubmitterName + " 提交 · " + it.StepName
		if it.ActingFor != nil {
			from += "（代" + it.ActingFor.Name + "审批）"
		}
		out = append(out, TodoItem{Title: it.Title, Kind: it.KindName, From: from, Since: "已等待 " + waited(now, it.WaitingSince),
			Href: fmt.Sprintf("/approvals/%d", it.ApprovalID), Overdue: it.Overdue})
	}
	return out, nil
}

// approvalListData is what the to-do and own-request pages render: the
// list and the buttons the user may use.
type approvalListData struct {
	List        ListView
	CanDelegate bool
	CanGeneral  bool
}

func (s *Server) todoListDef() ListDef[approval.TodoItem] {
	now := s.Now()
	return ListDef[approval.TodoItem]{
		Sheet:   "待办审批",
		Empty:   "没有等待您审批的事项",
		Filters: []Filter{{Name: "kind", Label: "类型", Type: "select", Options: s.workflowOptions()}},
		Cols: []ListCol[approval.TodoItem]{
			{Label: "事项", Width: 36, Cell: func(it approval.TodoItem) Cell {
				c := Cell{Text: it.Title, Href: fmt.Sprintf("/approvals/%d", it.ApprovalID)}
				if it.ActingFor != nil {
					c.Sub = "代" + it.ActingFor.Name + "审批"
				}
				return c
			}},
			{Label: "类型", Width: 16, Cell: func(it approval.TodoItem) Cell { return Cell{Text: it.KindName} }},
			{Label: "申请人", Width: 12, Cell: func(it approval.TodoItem) Cell { return Cell{Text: it.SubmitterName} }},
			{Label: "服务点", Width: 24, Cell: func(it approval.TodoItem) Cell { return Cell{Text: it.SiteName} }},
			{Label: "金额", Width: 14, Cell: func(it approval.TodoItem) Cell { return Cell{Text: amountText(it.AmountFen)} },
				Export: func(it approval.TodoItem) any { return export.Money(it.AmountFen) }},
			{Label: "当前步骤", Width: 16, Cell: func(it approval.TodoItem) Cell {
				c := Cell{Text: it.StepName}
				if it.Round > 1 {
					c.Sub = fmt.Sprintf("第 %d 次提交", it.Round)
				}
				return c
			}},
			{Label: "提交时间", Width: 18, Cell: func(it approval.TodoItem) Cell {
				return Cell{Text: it.SubmittedAt.In(app.Local).Format("2006-01-02 15:04")}
			}, Export: func(it approval.TodoItem) any { return it.SubmittedAt.In(app.Local) }},
			{Label: "已等待", Width: 10, Cell: func(it approval.TodoItem) Cell {
				c := Cell{Text: waited(now, it.WaitingSince)}
				if it.Overdue {
					c.Tag = "red"
				}
				return c
			}},
		},
	}
}

func (s *Server) approvalTodoPage(w http.ResponseWriter, r *http.Request) {
	items, err := s.Approvals.Todo(r.Context(), principalOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if kind := r.URL.Query().Get("kind"); kind != "" {
		kept := items[:0]
		for _, it := range items {
			if it.Kind == kind {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	q := listQuery(r)
	total := len(items)
	if q.Size > 0 {
		from := min((q.Page-1)*q.Size, total)
		items = items[from:min(from+q.Size, total)]
	}
	pg := s.page(r, "待办", Crumb{Label: "工作台"}, Crumb{Label: "待办"})
	serveList(s, w, r, pg, "approvals/todo", s.todoListDef(), q, items, total, func(lv ListView) any {
		return approvalListData{List: lv, CanDelegate: principalOf(r).Can(approval.PermDelegate)}
	})
}

func (s *Server) mineListDef() ListDef[approval.Approval] {
	return ListDef[approval.Approval]{
		Sheet:  "我的申请",
		Empty:  "您还没有提交过申请",
		Search: "按标题搜索",
		Filters: []Filter{
			{Name: "status", Label: "状态", Type: "select", Options: approvalStatusOptions},
			{Name: "kind", Label: "类型", Type: "select", Options: s.workflowOptions()},
		},
		Cols: []ListCol[approval.Approval]{
			{Label: "编号", Width: 8, Cell: func(a approval.Approval) Cell { return Cell{Text: strconv.FormatInt(a.ID, 10)} },
				Export: func(a approval.Approval) any { return a.ID }},
			{Key: "title", Label: "事项", Width: 36, Cell: func(a approval.Approval) Cell {
				return Cell{Text: a.Title, Href: fmt.Sprintf("/approvals/%d", a.ID)}
			}},
			{Key: "kind", Label: "类型", Width: 16, Cell: func(a approval.Approval) Cell { return Cell{Text: a.KindName} }},
			{Label: "服务点", Width: 24, Cell: func(a approval.Approval) Cell { return Cell{Text: a.SiteName} }},
			{Key: "amount", Label: "金额", Width: 14, Cell: func(a approval.Approval) Cell { return Cell{Text: amountText(a.AmountFen)} },
				Export: func(a approval.Approval) any { return export.Money(a.AmountFen) }},
			{Key: "status", Label: "状态", Width: 10, Cell: func(a approval.Approval) Cell {
				return Cell{Text: a.StatusName, Tag: approvalTag(a.Status)}
			}},
			{Label: "当前步骤", Width: 16, Cell: func(a approval.Approval) Cell { return Cell{Text: a.CurrentStepName} }},
			{Key: "submitted", Label: "提交时间", Width: 18, Cell: func(a approval.Approval) Cell {
				return Cell{Text: a.SubmittedAt.In(app.Local).Format("2006-01-02 15:04")}
			}, Export: func(a approval.Approval) any { return a.SubmittedAt.In(app.Local) }},
		},
	}
}

func mineFilter(r *http.Request) approval.MineFilter {
	v := r.URL.Query()
	return approval.MineFilter{Status: approval.Status(v.Get("status")), Kind: v.Get("kind")}
}

func (s *Server) approvalMinePage(w http.ResponseWriter, r *http.Request) {
	q := listQuery(r)
	rows, total, err := s.Approvals.Mine(r.Context(), principalOf(r), mineFilter(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "我的申请", Crumb{Label: "工作台"}, Crumb{Label: "我的申请"})
	serveList(s, w, r, pg, "approvals/mine", s.mineListDef(), q, rows, total, func(lv ListView) any {
		return approvalListData{List: lv, CanGeneral: principalOf(r).Can(general.PermSubmit)}
	})
}

// Prop is one labelled value of a record page.
type Prop struct {
	Label string
	Value string
	Long  bool // several lines of text
}

// approvalSubject is what an approval page shows of the record the request
// is about, and where that record is corrected after a rejection.
type approvalSubject struct {
	Props     []Prop
	Href      string // the record's own page, when it has one
	EditHref  string // the correct-and-resubmit form, when the user may use it
	EditLabel string
}

// approvalSubjects maps a workflow kind to the part of the approval page
// its business area contributes.
var approvalSubjects = map[string]func(s *Server, r *http.Request, a *approval.Approval) (*approvalSubject, error){
	general.Kind: (*Server).generalSubject,
}

type stepRow struct {
	approval.Step
	Tag string
}

type roundView struct {
	Round   int
	Current bool
	Steps   []stepRow
}

type approvalView struct {
	A         *approval.Approval
	StatusTag string
	Subject   *approvalSubject
	Rounds    []roundView
	Decide    *Form // the decision form
	Own       *Form // the submitter's withdraw and resubmit forms
}

func (s *Server) approvalPage(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "审批申请")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderApproval(w, r, id, http.StatusOK, nil, nil)
}

// renderApproval shows one request; decide and own carry a re-displayed form
// after an error.
func (s *Server) renderApproval(w http.ResponseWriter, r *http.Request, id int64, code int, decide, own *Form) {
	p := principalOf(r)
	a, err := s.Approvals.Get(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := approvalView{A: a, StatusTag: approvalTag(a.Status), Decide: decide, Own: own}
	if v.Decide == nil {
		v.Decide = &Form{Values: map[string][]string{}}
	}
	if v.Own == nil {
		v.Own = &Form{Values: map[string][]string{}}
	}
	if sub, ok := approvalSubjects[a.Kind]; ok {
		if v.Subject, err = sub(s, r, a); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	for _, st := range a.Steps {
		if len(v.Rounds) == 0 || v.Rounds[len(v.Rounds)-1].Round != st.Round {
			v.Rounds = append(v.Rounds, roundView{Round: st.Round, Current: st.Round == a.Round})
		}
		rv := &v.Rounds[len(v.Rounds)-1]
		rv.Steps = append(rv.Steps, stepRow{Step: st, Tag: stepTag(st.Status)})
	}
	pg := s.page(r, a.Title, Crumb{Label: "工作台"}, Crumb{Label: a.KindName}, Crumb{Label: a.Title})
	pg.Data = v
	s.render(w, r, code, "approvals/detail", pg)
}

func (s *Server) generalSubject(r *http.Request, a *approval.Approval) (*approvalSubject, error) {
	req, err := s.General.Get(r.Context(), principalOf(r), a.ID)
	if err != nil {
		return nil, err
	}
	amount := "不涉及金额"
	if req.AmountFen > 0 {
		amount = req.AmountFen.String()
		if req.AmountFen > general.DirectorThreshold {
			amount += "（超过 " + general.DirectorThreshold.String() + "，需总干事审批）"
		}
	}
	sub := &approvalSubject{Props: []Prop{
		{Label: "服务点", Value: req.SiteName},
		{Label: "金额", Value: amount},
		{Label: "申请内容", Value: req.Content, Long: true},
	}}
	if a.Can != nil && a.Can.Resubmit {
		sub.EditHref = fmt.Sprintf("/approvals/general/%d/edit", a.ID)
		sub.EditLabel = "修改后重新提交"
	}
	return sub, nil
}

// approvalFormError re-shows the approval page with err beside the form, or fails
// the request when err is not about the input.
func (s *Server) approvalFormError(w http.ResponseWriter, r *http.Request, id int64, f *Form, err error, decide bool) {
	if !f.SetError(err) {
		s.fail(w, r, err)
		return
	}
	if decide {
		s.renderApproval(w, r, id, status(app.ErrorCode(err)), f, nil)
		return
	}
	s.renderApproval(w, r, id, status(app.ErrorCode(err)), nil, f)
}

func (s *Server) approvalDecide(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "审批申请")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	a, err := s.Approvals.Decide(r.Context(), principalOf(r), approval.DecideInput{ApprovalID: id,
		Version: f.Int64("version"), Decision: approval.Decision(f.Get("decision")), Comment: f.Values.Get("comment")})
	if err != nil {
		s.approvalFormError(w, r, id, f, err, true)
		return
	}
	msg := fmt.Sprintf("已同意「%s」", a.Title)
	if approval.Decision(f.Get("decision")) == approval.Reject {
		msg = fmt.Sprintf("已驳回「%s」，申请人将收到您的意见", a.Title)
	} else if a.Status == approval.Pending {
		msg += "，已转交下一步：" + a.CurrentStepName
	}
	s.redirect(w, r, "/approvals/todo", msg)
}

func (s *Server) approvalWithdraw(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "审批申请")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	if _, err := s.Approvals.Withdraw(r.Context(), principalOf(r), id, f.Int64("version"), f.Values.Get("comment")); err != nil {
		s.approvalFormError(w, r, id, f, err, false)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/approvals/%d", id), "申请已撤回")
}

func (s *Server) approvalResubmit(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "审批申请")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	a, err := s.Approvals.Resubmit(r.Context(), principalOf(r), approval.ResubmitInput{ApprovalID: id,
		Version: f.Int64("version"), Comment: f.Values.Get("comment")})
	if err != nil {
		s.approvalFormError(w, r, id, f, err, false)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/approvals/%d", id), "已重新提交，等待："+a.CurrentStepName)
}

type generalFormData struct {
	Action    string
	Cancel    string
	Edit      bool
	Sites     []Option
	Threshold string
	Rejection string // the comment that sent the request back
}

func (s *Server) renderGeneralForm(w http.ResponseWriter, r *http.Request, code int, f *Form, a *approval.Approval) {
	sites, err := s.General.SiteOptions(r.Context(), principalOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := generalFormData{Action: "/approvals/general", Cancel: "/approvals/mine",
		Threshold: general.DirectorThreshold.String()}
	for _, st := range sites {
		label := st.Name
		if st.Mine {
			label += "（本人所在）"
		}
		d.Sites = append(d.Sites, Option{Value: strconv.FormatInt(st.ID, 10), Label: label})
	}
	title := "通用事项申请"
	crumbs := []Crumb{{Label: "工作台"}, {Label: "通用事项申请"}}
	if a != nil {
		d.Edit = true
		d.Action = fmt.Sprintf("/approvals/general/%d/edit", a.ID)
		d.Cancel = fmt.Sprintf("/approvals/%d", a.ID)
		for _, st := range a.Steps {
			if st.Round == a.Round && st.Status == approval.StepRejected {
				d.Rejection = st.Comment
			}
		}
		title = "修改后重新提交"
		crumbs = []Crumb{{Label: "工作台"}, {Label: a.Title, Href: fmt.Sprintf("/approvals/%d", a.ID)}, {Label: title}}
	} else if f.Get("site_id") == "" && len(sites) > 0 && sites[0].Mine {
		f.Values.Set("site_id", strconv.FormatInt(sites[0].ID, 10))
	}
	pg := s.page(r, title, crumbs...)
	pg.Form = f
	pg.Data = d
	s.render(w, r, code, "approvals/general_form", pg)
}

func generalInput(f *Form) general.Input {
	return general.Input{SiteID: f.Int64("site_id"), Title: f.Get("title"), Content: f.Values.Get("content"),
		Amount: f.Get("amount"), Comment: f.Values.Get("comment")}
}

func (s *Server) generalNewPage(w http.ResponseWriter, r *http.Request) {
	s.renderGeneralForm(w, r, http.StatusOK, &Form{Values: map[string][]string{}}, nil)
}

func (s *Server) generalCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	req, err := s.General.Submit(r.Context(), principalOf(r), generalInput(f))
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderGeneralForm(w, r, status(app.ErrorCode(err)), f, nil)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/approvals/%d", req.ApprovalID), "申请已提交，等待："+req.Approval.CurrentStepName)
}

// ownGeneral loads a general request for its submitter's correction form.
func (s *Server) ownGeneral(r *http.Request) (*general.Request, error) {
	id, err := approvalPathID(r, "通用事项申请")
	if err != nil {
		return nil, err
	}
	req, err := s.General.Get(r.Context(), principalOf(r), id)
	if err != nil {
		return nil, err
	}
	if req.Approval.SubmitterID != principalOf(r).UserID {
		return nil, app.Errorf(app.EForbidden, "只有申请人可以修改并重新提交")
	}
	return req, nil
}

func (s *Server) generalEditPage(w http.ResponseWriter, r *http.Request) {
	req, err := s.ownGeneral(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !req.Approval.Can.Resubmit {
		s.redirect(w, r, fmt.Sprintf("/approvals/%d", req.ApprovalID), "只有被驳回的申请可以修改后重新提交")
		return
	}
	amount := ""
	if req.AmountFen > 0 {
		amount = req.AmountFen.Plain(false)
	}
	f := formOf(map[string]string{"site_id": strconv.FormatInt(req.SiteID, 10), "title": req.Title,
		"content": req.Content, "amount": amount, "version": strconv.FormatInt(req.Approval.Version, 10)})
	s.renderGeneralForm(w, r, http.StatusOK, f, req.Approval)
}

func (s *Server) generalResubmit(w http.ResponseWriter, r *http.Request) {
	req, err := s.ownGeneral(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	out, err := s.General.Resubmit(r.Context(), principalOf(r), req.ApprovalID, f.Int64("version"), generalInput(f))
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderGeneralForm(w, r, status(app.ErrorCode(err)), f, req.Approval)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/approvals/%d", out.ApprovalID), "已修改并重新提交，等待："+out.Approval.CurrentStepName)
}

type delegationRow struct {
	approval.Delegation
	Tag       string
	Cancel    bool
	CancelURL string
}

type delegationsData struct {
	Given, Received []delegationRow
	Candidates      []Option
}

func delegationRows(ds []approval.Delegation, own bool) []delegationRow {
	out := make([]delegationRow, 0, len(ds))
	for _, d := range ds {
		row := delegationRow{Delegation: d, Tag: "grey"}
		switch d.State {
		case "active":
			row.Tag = "green"
		case "upcoming":
			row.Tag = "blue"
		}
		if own && (d.State == "active" || d.State == "upcoming") {
			row.Cancel = true
			row.CancelURL = fmt.Sprintf("/approvals/delegations/%d/cancel", d.ID)
		}
		out = append(out, row)
	}
	return out
}

func (s *Server) renderDelegations(w http.ResponseWriter, r *http.Request, code int, f *Form) {
	p := principalOf(r)
	given, received, err := s.Approvals.Delegations(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	users, err := s.Approvals.DelegateCandidates(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := delegationsData{Given: delegationRows(given, true), Received: delegationRows(received, false)}
	for _, u := range users {
		d.Candidates = append(d.Candidates, Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name})
	}
	if f.Get("start") == "" && len(f.Errors) == 0 {
		f.Values.Set("start", s.today().String())
	}
	pg := s.page(r, "审批委托", Crumb{Label: "工作台"}, Crumb{Label: "审批委托"})
	pg.Form = f
	pg.Data = d
	s.render(w, r, code, "approvals/delegations", pg)
}

func (s *Server) delegationsPage(w http.ResponseWriter, r *http.Request) {
	s.renderDelegations(w, r, http.StatusOK, &Form{Values: map[string][]string{}})
}

func (s *Server) delegationCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var parse app.Validation
	in := approval.DelegationInput{ToUserID: f.Int64("to_user_id"), Start: f.Date("start", &parse),
		End: f.Date("end", &parse), Reason: f.Values.Get("reason")}
	// A malformed date reaches the service as a missing one, which it
	// refuses, so nothing is saved; the parse message then replaces its own.
	d, err := s.Approvals.Delegate(r.Context(), principalOf(r), in)
	err = withParseErrors(&parse, err)
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderDelegations(w, r, status(app.ErrorCode(err)), f)
		return
	}
	s.redirect(w, r, "/approvals/delegations", fmt.Sprintf("已委托%s在 %s 至 %s 期间代您审批", d.To.Name, d.Start, d.End))
}

func (s *Server) delegationCancel(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "委托")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Approvals.CancelDelegation(r.Context(), principalOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/approvals/delegations", "委托已取消")
}

// JSON API.

type apiApprovalList struct {
	Items []approval.Approval `json:"items"`
	Total int                 `json:"total"`
	Page  int                 `json:"page"`
	Size  int                 `json:"size"`
}

type apiVersionIn struct {
	Version int64  `json:"version"`
	Comment string `json:"comment"`
}

type apiDecisionIn struct {
	Version  int64             `json:"version"`
	Decision approval.Decision `json:"decision"` // approve or reject
	Comment  string            `json:"comment"`
}

type apiGeneralResubmitIn struct {
	Version int64 `json:"version"`
	general.Input
}

type apiDelegations struct {
	Given    []approval.Delegation `json:"given"`
	Received []approval.Delegation `json:"received"`
}

func (s *Server) apiApprovalTodo(w http.ResponseWriter, r *http.Request) {
	items, err := s.Approvals.Todo(r.Context(), principalOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if items == nil {
		items = []approval.TodoItem{}
	}
	writeJSON(w, http.StatusOK, items)
}

func (s *Server) apiApprovalMine(w http.ResponseWriter, r *http.Request) {
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := s.Approvals.Mine(r.Context(), principalOf(r), mineFilter(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rows == nil {
		rows = []approval.Approval{}
	}
	writeJSON(w, http.StatusOK, apiApprovalList{Items: rows, Total: total, Page: q.Page, Size: q.Size})
}

func (s *Server) apiApprovalGet(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "审批申请")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.Approvals.Get(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// apiApprovalAfter answers a state change with the request as it now is.
func (s *Server) apiApprovalAfter(w http.ResponseWriter, r *http.Request, id int64, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.Approvals.Get(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiApprovalDecide(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "审批申请")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in apiDecisionIn
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	_, err = s.Approvals.Decide(r.Context(), principalOf(r), approval.DecideInput{ApprovalID: id, Version: in.Version,
		Decision: in.Decision, Comment: in.Comment})
	s.apiApprovalAfter(w, r, id, err)
}

func (s *Server) apiApprovalWithdraw(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "审批申请")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in apiVersionIn
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	_, err = s.Approvals.Withdraw(r.Context(), principalOf(r), id, in.Version, in.Comment)
	s.apiApprovalAfter(w, r, id, err)
}

func (s *Server) apiApprovalResubmit(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "审批申请")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in apiVersionIn
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	_, err = s.Approvals.Resubmit(r.Context(), principalOf(r), approval.ResubmitInput{ApprovalID: id,
		Version: in.Version, Comment: in.Comment})
	s.apiApprovalAfter(w, r, id, err)
}

func (s *Server) apiGeneralCreate(w http.ResponseWriter, r *http.Request) {
	var in general.Input
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.General.Submit(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, req)
}

func (s *Server) apiGeneralGet(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "通用事项申请")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.General.Get(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

func (s *Server) apiGeneralResubmit(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "通用事项申请")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in apiGeneralResubmitIn
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := s.General.Resubmit(r.Context(), principalOf(r), id, in.Version, in.Input)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

func (s *Server) apiDelegations(w http.ResponseWriter, r *http.Request) {
	given, received, err := s.Approvals.Delegations(r.Context(), principalOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := apiDelegations{Given: given, Received: received}
	if out.Given == nil {
		out.Given = []approval.Delegation{}
	}
	if out.Received == nil {
		out.Received = []approval.Delegation{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiDelegationCreate(w http.ResponseWriter, r *http.Request) {
	var in approval.DelegationInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.Approvals.Delegate(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

func (s *Server) apiDelegationCancel(w http.ResponseWriter, r *http.Request) {
	id, err := approvalPathID(r, "委托")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Approvals.CancelDelegation(r.Context(), principalOf(r), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
