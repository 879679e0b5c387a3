package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/groups"
)

// groupAreaRoutes registers the groups, activities and projects area
// (小组与活动) and its navigation.
func (s *Server) groupAreaRoutes() {
	s.groupRoutes()
	s.activityRoutes()
	s.projectRoutes()
	s.addNav("小组与活动",
		NavItem{Label: "小组", Href: "/groups", Perm: groups.PermGroupRead, Agency: true},
		NavItem{Label: "社区活动", Href: "/activities", Perm: groups.PermGroupRead, Agency: true},
		NavItem{Label: "项目", Href: "/projects", Perm: groups.PermProjectRead, Agency: true})
}

func (s *Server) groupRoutes() {
	rt := s.router
	read, write := groups.PermGroupRead, groups.PermGroupWrite
	const tag = "小组与活动"
	rt.Handle(Route{Method: "GET", Pattern: "/groups", Access: Permitted, Perm: read, Summary: "小组列表"}, s.groupList)
	rt.Handle(Route{Method: "GET", Pattern: "/groups/new", Access: Permitted, Perm: write, Summary: "新建小组页"}, s.groupNew)
	rt.Handle(Route{Method: "POST", Pattern: "/groups", Access: Permitted, Perm: write, Summary: "新建小组"}, s.groupCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/groups/{id}", Access: Permitted, Perm: read, Object: "group", Summary: "小组详情"}, s.groupShow)
	rt.Handle(Route{Method: "GET", Pattern: "/groups/{id}/edit", Access: Permitted, Perm: write, Object: "group", Summary: "修改小组计划页"}, s.groupEdit)
	rt.Handle(Route{Method: "POST", Pattern: "/groups/{id}/edit", Access: Permitted, Perm: write, Object: "group", Summary: "修改小组计划"}, s.groupUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/groups/{id}/members", Access: Permitted, Perm: write, Object: "group", Summary: "新增组员"}, s.groupMemberAdd)
	rt.Handle(Route{Method: "POST", Pattern: "/groups/{id}/members/{mid}/remove", Access: Permitted, Perm: write, Object: "group", Summary: "删除组员或标记退出"}, s.groupMemberRemove)
	rt.Handle(Route{Method: "GET", Pattern: "/groups/{id}/sessions/new", Access: Permitted, Perm: write, Object: "group", Summary: "记录节次页（含出席登记）"}, s.sessionNew)
	rt.Handle(Route{Method: "POST", Pattern: "/groups/{id}/sessions", Access: Permitted, Perm: write, Object: "group", Summary: "记录节次与出席"}, s.sessionCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/groups/{id}/sessions/{sid}", Access: Permitted, Perm: read, Object: "group", Summary: "节次详情与出席"}, s.sessionShow)
	rt.Handle(Route{Method: "POST", Pattern: "/groups/{id}/sessions/{sid}", Access: Permitted, Perm: write, Object: "group", Summary: "修改节次与出席"}, s.sessionUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/groups/{id}/sessions/{sid}/delete", Access: Permitted, Perm: write, Object: "group", Summary: "删除节次"}, s.sessionDelete)
	rt.Handle(Route{Method: "GET", Pattern: "/groups/{id}/report", Access: Permitted, Perm: read, Object: "group", Summary: "小组报告"}, s.reportShow)
	rt.Handle(Route{Method: "POST", Pattern: "/groups/{id}/report", Access: Permitted, Perm: write, Object: "group", Summary: "提交或修改小组报告"}, s.reportSubmit)

	listParams := []Param{
		{Name: "site_id", Desc: "服务点", Type: "integer"}, {Name: "project_id", Desc: "项目", Type: "integer"},
		{Name: "leader_id", Desc: "带领社工（同工编号）", Type: "integer"},
		{Name: "status", Desc: "状态：planning 筹备中、running 进行中、finished 已结束、report_due 待交小组报告", Type: "string"},
		{Name: "from", Desc: "期间开始（2026-03-01）", Type: "date"}, {Name: "to", Desc: "期间结束", Type: "date"},
		{Name: "q", Desc: "搜索小组名称或招募对象", Type: "string"}, {Name: "page", Desc: "页码", Type: "integer"},
		{Name: "size", Desc: "每页条数（最多200）", Type: "integer"}, {Name: "sort", Desc: "排序：name, site, leader, start, status, sessions, person_times", Type: "string"},
		{Name: "dir", Desc: "asc 或 desc", Type: "string"},
	}
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/groups", Access: Permitted, Perm: read, Summary: "小组列表",
		API: &APIDoc{Tag: tag, Response: gaList[groups.Group]{}, Query: listParams}}, s.apiGroupList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/groups", Access: Permitted, Perm: write, Summary: "新建小组",
		API: &APIDoc{Tag: tag, Status: http.StatusCreated, Request: groups.GroupInput{}, Response: groups.Group{}}}, s.apiGroupCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/groups/{id}", Access: Permitted, Perm: read, Object: "group", Summary: "小组详情（计划、组员、节次出席、报告、时间线）",
		API: &APIDoc{Tag: tag, Response: groups.GroupFile{}}}, s.apiGroupGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/groups/{id}", Access: Permitted, Perm: write, Object: "group", Summary: "修改小组计划（需 version）",
		API: &APIDoc{Tag: tag, Request: groups.GroupInput{}, Response: groups.Group{}}}, s.apiGroupUpdate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/groups/{id}/members", Access: Permitted, Perm: read, Object: "group", Summary: "组员名单",
		API: &APIDoc{Tag: tag, Response: []groups.Member{}}}, s.apiMemberList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/groups/{id}/members", Access: Permitted, Perm: write, Object: "group", Summary: "新增组员",
		API: &APIDoc{Tag: tag, Status: http.StatusCreated, Request: groups.MemberInput{}, Response: groups.Member{}}}, s.apiMemberAdd)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/groups/{id}/members/{mid}", Access: Permitted, Perm: write, Object: "group", Summary: "删除组员（已出席者标记退出）",
		API: &APIDoc{Tag: tag, Response: gaRemoved{}}}, s.apiMemberRemove)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/groups/{id}/sessions", Access: Permitted, Perm: read, Object: "group", Summary: "节次与出席",
		API: &APIDoc{Tag: tag, Response: []groups.Session{}}}, s.apiSessionList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/groups/{id}/sessions", Access: Permitted, Perm: write, Object: "group", Summary: "记录节次与出席",
		API: &APIDoc{Tag: tag, Status: http.StatusCreated, Request: groups.SessionInput{}, Response: groups.Session{}}}, s.apiSessionCreate)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/groups/{id}/sessions/{sid}", Access: Permitted, Perm: write, Object: "group", Summary: "修改节次与出席（需 version）",
		API: &APIDoc{Tag: tag, Request: groups.SessionInput{}, Response: groups.Session{}}}, s.apiSessionUpdate)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/groups/{id}/sessions/{sid}", Access: Permitted, Perm: write, Object: "group", Summary: "删除节次",
		API: &APIDoc{Tag: tag}}, s.apiSessionDelete)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/groups/{id}/sessions/{sid}/attendance", Access: Permitted, Perm: write, Object: "group", Summary: "登记出席（出席组员编号列表，需 version）",
		API: &APIDoc{Tag: tag, Request: gaAttendance{}, Response: groups.Session{}}}, s.apiAttendance)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/groups/{id}/report", Access: Permitted, Perm: read, Object: "group", Summary: "小组报告及其状态",
		API: &APIDoc{Tag: tag, Response: gaReportStatus{}}}, s.apiReportGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/groups/{id}/report", Access: Permitted, Perm: write, Object: "group", Summary: "提交或修改小组报告（修改需 version）",
		API: &APIDoc{Tag: tag, Request: groups.ReportInput{}, Response: gaReportStatus{}}}, s.apiReportPut)
}

// --- helpers shared by the groups, activities and projects pages ---

// gaList is a page of a JSON list.
type gaList[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	Page  int `json:"page"`
	Size  int `json:"size"`
}

func newGAList[T any](items []T, total int, q app.ListQuery) gaList[T] {
	if items == nil {
		items = []T{}
	}
	return gaList[T]{Items: items, Total: total, Page: q.Page, Size: q.Size}
}

// gaID parses a positive id from the path; anything else is not found.
func gaID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.Errorf(app.ENotFound, "记录不存在或无权访问")
	}
	return id, nil
}

// gaQuery reads the shared list filters from a query string; malformed
// values are field errors.
type gaQuery struct {
	v   url.Values
	val app.Validation
}

func (q *gaQuery) id(name string) int64 {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		q.val.Add(name, "筛选条件不正确")
		return 0
	}
	return n
}

func (q *gaQuery) date(name string) app.Date {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return app.Date{}
	}
	d, err := app.ParseDate(s)
	if err != nil {
		q.val.Add(name, app.ErrorMessage(err))
	}
	return d
}

// gaInt parses an integer form field; blank is 0.
func gaInt(f *Form, name, label string, v *app.Validation) int {
	s := strings.ReplaceAll(f.Get(name), ",", "")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		v.Add(name, label+"请填写整数")
		return 0
	}
	return n
}

// gaCall runs the service call only when the form parsed cleanly: a
// malformed field is answered first, so that nothing is saved from input
// the user has to correct anyway.
func gaCall(parse *app.Validation, call func() error) error {
	if err := parse.Err(); err != nil {
		return err
	}
	return call()
}

func gaOptions(cs []groups.Choice) []Option {
	out := make([]Option, 0, len(cs))
	for _, c := range cs {
		out = append(out, Option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name})
	}
	return out
}

func gaCodes(codes []string, name func(string) string) []Option {
	out := make([]Option, 0, len(codes))
	for _, c := range codes {
		out = append(out, Option{Value: c, Label: name(c)})
	}
	return out
}

func gaItoa(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// gaChoices are the select options of a form or a filter bar.
type gaChoices struct {
	Sites, Staff, Projects []Option
}

func (s *Server) gaChoices(r *http.Request, perm *authz.Perm) (gaChoices, error) {
	c, err := s.Groups.FormChoices(r.Context(), principalOf(r), perm)
	if err != nil {
		return gaChoices{}, err
	}
	return gaChoices{Sites: gaOptions(c.Sites), Staff: gaOptions(c.Staff), Projects: gaOptions(c.Projects)}, nil
}

// gaFormPage renders a form page with status (200, or 422 after an error).
func (s *Server) gaFormPage(w http.ResponseWriter, r *http.Request, status int, tmpl string, pg *Page, f *Form, data any) {
	pg.Form = f
	pg.Data = data
	s.render(w, r, status, tmpl, pg)
}

// gaFormError re-renders a form after err when err is about the input, and
// fails the request otherwise.
func (s *Server) gaFormError(w http.ResponseWriter, r *http.Request, err error, f *Form, render func(status int)) {
	if !f.SetError(err) {
		s.fail(w, r, err)
		return
	}
	render(http.StatusUnprocessableEntity)
}

func groupStatusTag(g groups.Group) Cell {
	switch {
	case g.ReportOverdue:
		return Cell{Text: "报告逾期", Tag: "red"}
	case g.ReportDue:
		return Cell{Text: "待交报告", Tag: "orange"}
	case g.Status == groups.StatusFinished:
		return Cell{Text: g.StatusName, Tag: "green"}
	case g.Status == groups.StatusRunning:
		return Cell{Text: g.StatusName, Tag: "blue"}
	}
	return Cell{Text: g.StatusName, Tag: "grey"}
}

// --- groups: list ---

func groupFilterOf(v url.Values) (groups.GroupFilter, error) {
	q := gaQuery{v: v}
	f := groups.GroupFilter{SiteID: q.id("site_id"), ProjectID: q.id("project_id"), LeaderID: q.id("leader_id"),
		Status: strings.TrimSpace(v.Get("status")), From: q.date("from"), To: q.date("to")}
	return f, q.val.Err()
}

func groupListDef(c gaChoices) ListDef[groups.Group] {
	return ListDef[groups.Group]{
		Sheet:  "小组",
		Search: "小组名称或招募对象",
		Empty:  "没有符合条件的小组",
		Filters: []Filter{
			{Name: "site_id", Label: "服务点", Type: "select", Options: c.Sites},
			{Name: "project_id", Label: "项目", Type: "select", Options: c.Projects},
			{Name: "leader_id", Label: "带领社工", Type: "select", Options: c.Staff},
			{Name: "status", Label: "状态", Type: "select", Options: gaCodes(
				[]string{groups.StatusPlanning, groups.StatusRunning, groups.StatusReportDue, groups.StatusFinished}, groups.GroupStatusName)},
			{Name: "from", Label: "期间从", Type: "date"},
			{Name: "to", Label: "期间至", Type: "date"},
		},
		Cols: []ListCol[groups.Group]{
			{Key: "name", Label: "小组名称", Width: 28, Cell: func(g groups.Group) Cell {
				return Cell{Text: g.Name, Href: fmt.Sprintf("/groups/%d", g.ID), Sub: g.KindName}
			}},
			{Key: "site", Label: "服务点", Width: 26, Cell: func(g groups.Group) Cell { return Cell{Text: g.SiteName} }},
			{Key: "leader", Label: "带领社工", Width: 10, Cell: func(g groups.Group) Cell { return Cell{Text: g.LeaderName} }},
			{Label: "项目", Width: 16, Cell: func(g groups.Group) Cell { return Cell{Text: g.ProjectName} }},
			{Key: "start", Label: "首节/计划开始", Width: 12, Cell: func(g groups.Group) Cell {
				if !g.FirstSession.IsZero() {
					return Cell{Text: g.FirstSession.String()}
				}
				return Cell{Text: g.PlanStart.String(), Sub: "计划"}
			}},
			{Key: "sessions", Label: "已开展/计划节数", Width: 10, Cell: func(g groups.Group) Cell {
				return Cell{Text: fmt.Sprintf("%d / %d", g.Sessions, g.PlannedSessions)}
			}, Export: func(g groups.Group) any { return g.Sessions }},
			{Key: "person_times", Label: "人次", Width: 8, Cell: func(g groups.Group) Cell { return Cell{Text: groupDigits(g.PersonTimes)} },
				Export: func(g groups.Group) any { return g.PersonTimes }},
			{Label: "组员", Width: 8, Cell: func(g groups.Group) Cell { return Cell{Text: strconv.Itoa(g.Members)} },
				Export: func(g groups.Group) any { return g.Members }},
			{Key: "status", Label: "状态", Width: 10, Cell: groupStatusTag},
		},
	}
}

type gaListData struct {
	List     ListView
	CanWrite bool
}

func (s *Server) groupList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	c, err := s.gaChoices(r, groups.PermGroupRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := groupListDef(c)
	q := listQuery(r)
	f, err := groupFilterOf(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "小组", Crumb{Label: "小组与活动"}, Crumb{Label: "小组"})
	serveListRows(s, w, r, pg, "groups/list", def, q, s.Groups.GroupRows(r.Context(), p, f, q), func(lv ListView) any {
		return gaListData{List: lv, CanWrite: p.Can(groups.PermGroupWrite)}
	})
}

// --- groups: plan form ---

type groupFormData struct {
	gaChoices
	Kinds []Option
	ID    int64
}

func groupFormValues(g *groups.Group) *Form {
	f := formOf(map[string]string{
		"name": g.Name, "kind": g.Kind, "site_id": gaItoa(g.SiteID), "project_id": gaItoa(g.ProjectID),
		"leader_id": gaItoa(g.LeaderID), "target": g.Target, "goals": g.Goals, "plan": g.Plan,
		"target_members": strconv.Itoa(g.TargetMembers), "planned_sessions": strconv.Itoa(g.PlannedSessions),
		"plan_start": g.PlanStart.String(), "plan_end": g.PlanEnd.String(), "version": strconv.FormatInt(g.Version, 10),
	})
	for _, c := range g.CoLeaders {
		f.Values.Add("co_leader_ids", strconv.FormatInt(c.ID, 10))
	}
	return f
}

func groupInputOf(f *Form, v *app.Validation) groups.GroupInput {
	return groups.GroupInput{
		Name: f.Get("name"), Kind: f.Get("kind"), SiteID: f.Int64("site_id"), ProjectID: f.Int64("project_id"),
		LeaderID: f.Int64("leader_id"), CoLeaderIDs: f.Int64s("co_leader_ids"), Target: f.Get("target"),
		Goals: f.Get("goals"), Plan: f.Get("plan"), TargetMembers: gaInt(f, "target_members", "计划人数", v),
		PlannedSessions: gaInt(f, "planned_sessions", "计划节数", v), PlanStart: f.Date("plan_start", v),
		PlanEnd: f.Date("plan_end", v), Version: f.Int64("version"),
	}
}

func (s *Server) renderGroupForm(w http.ResponseWriter, r *http.Request, status int, f *Form, id int64, title string) {
	c, err := s.gaChoices(r, groups.PermGroupWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	crumbs := []Crumb{{Label: "小组与活动"}, {Label: "小组", Href: "/groups"}}
	if id != 0 {
		crumbs = append(crumbs, Crumb{Label: f.Get("name"), Href: fmt.Sprintf("/groups/%d", id)})
	}
	crumbs = append(crumbs, Crumb{Label: title})
	s.gaFormPage(w, r, status, "groups/form", s.page(r, title, crumbs...), f,
		groupFormData{gaChoices: c, Kinds: gaCodes(groups.GroupKinds, groups.GroupKindName), ID: id})
}

func (s *Server) groupNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	f := formOf(map[string]string{"leader_id": gaItoa(p.StaffID), "planned_sessions": "6",
		"plan_start": s.today().String()})
	if len(p.SiteIDs) == 1 {
		f.Values.Set("site_id", gaItoa(p.SiteIDs[0]))
	}
	s.renderGroupForm(w, r, http.StatusOK, f, 0, "新建小组")
}

func (s *Server) groupCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var v app.Validation
	in := groupInputOf(f, &v)
	var id int64
	err := gaCall(&v, func() (err error) { id, err = s.Groups.CreateGroup(r.Context(), principalOf(r), in); return })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderGroupForm(w, r, st, f, 0, "新建小组") })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/groups/%d", id), "小组已创建，请登记组员")
}

// writableGroup loads a group for a change page: not found outside p's
// read scope, forbidden when p may read but not record.
func (s *Server) writableGroup(r *http.Request) (*groups.Group, error) {
	id, err := gaID(r, "id")
	if err != nil {
		return nil, err
	}
	p := principalOf(r)
	g, err := s.Groups.GetGroup(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	if !groups.CanWriteGroup(p, g) {
		return nil, app.ErrForbidden()
	}
	return g, nil
}

func (s *Server) groupEdit(w http.ResponseWriter, r *http.Request) {
	g, err := s.writableGroup(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderGroupForm(w, r, http.StatusOK, groupFormValues(g), g.ID, "修改小组计划")
}

func (s *Server) groupUpdate(w http.ResponseWriter, r *http.Request) {
	g, err := s.writableGroup(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := groupInputOf(f, &v)
	err = gaCall(&v, func() error { return s.Groups.UpdateGroup(r.Context(), principalOf(r), g.ID, in) })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderGroupForm(w, r, st, f, g.ID, "修改小组计划") })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/groups/%d", g.ID), "小组计划已保存")
}

// --- groups: record page ---

type groupShowData struct {
	*groups.GroupFile
	Status  Cell
	Genders []Option
	Today   string
}

func (s *Server) renderGroupShow(w http.ResponseWriter, r *http.Request, status int, id int64, memberForm *Form) {
	gf, err := s.Groups.GroupFile(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, gf.Group.Name, Crumb{Label: "小组与活动"}, Crumb{Label: "小组", Href: "/groups"}, Crumb{Label: gf.Group.Name})
	if memberForm == nil {
		memberForm = formOf(map[string]string{"joined_on": s.today().String()})
	}
	pg.Form = memberForm
	pg.Data = groupShowData{GroupFile: gf, Status: groupStatusTag(*gf.Group), Genders: []Option{{"男", "男"}, {"女", "女"}}, Today: s.today().String()}
	s.render(w, r, status, "groups/show", pg)
}

func (s *Server) groupShow(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderGroupShow(w, r, http.StatusOK, id, nil)
}

func (s *Server) groupMemberAdd(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := groups.MemberInput{Name: f.Get("name"), ClientID: f.Int64("client_id"), Gender: f.Get("gender"),
		Note: f.Get("note"), JoinedOn: f.Date("joined_on", &v)}
	if cid := f.Get("client_id"); cid != "" && in.ClientID <= 0 {
		v.Add("client_id", "服务对象编号应为数字")
	}
	err = gaCall(&v, func() error { _, err := s.Groups.AddMember(r.Context(), principalOf(r), id, in); return err })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderGroupShow(w, r, st, id, f) })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/groups/%d#members", id), "已新增组员 "+in.Name)
}

func (s *Server) groupMemberRemove(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mid, err := gaID(r, "mid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	deleted, err := s.Groups.RemoveMember(r.Context(), principalOf(r), id, mid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "该组员已出席过小组，已标记为今天退出，出席记录保留"
	if deleted {
		msg = "组员已删除"
	}
	s.redirect(w, r, fmt.Sprintf("/groups/%d#members", id), msg)
}

// --- groups: sessions ---

type sessionFormData struct {
	Group    *groups.Group
	Session  *groups.Session // nil for a new session
	Members  []groups.Member // the check-list
	Present  map[int64]bool
	Stages   []Option
	CanWrite bool
}

func sessionFormValues(se *groups.Session) *Form {
	return formOf(map[string]string{"held_on": se.HeldOn.String(), "start_time": se.StartTime, "end_time": se.EndTime,
		"place": se.Place, "topic": se.Topic, "content": se.Content, "stage": se.Stage, "note": se.Note,
		"version": strconv.FormatInt(se.Version, 10)})
}

func sessionInputOf(f *Form, v *app.Validation) groups.SessionInput {
	return groups.SessionInput{HeldOn: f.Date("held_on", v), StartTime: f.Get("start_time"), EndTime: f.Get("end_time"),
		Place: f.Get("place"), Topic: f.Get("topic"), Content: f.Get("content"), Stage: f.Get("stage"),
		Note: f.Get("note"), Present: f.Int64s("present"), Version: f.Int64("version")}
}

// renderSession shows the session form (new when se is nil) with the
// attendance check-list: members still in the group on the session's day,
// ticked as the form (or the stored marks) say.
func (s *Server) renderSession(w http.ResponseWriter, r *http.Request, status int, gf *groups.GroupFile, se *groups.Session, f *Form) {
	g := gf.Group
	day := s.today()
	if se != nil {
		day = se.HeldOn
	}
	if d, err := app.ParseDate(f.Get("held_on")); err == nil {
		day = d
	}
	present := map[int64]bool{}
	for _, id := range f.Int64s("present") {
		present[id] = true
	}
	var list []groups.Member
	for _, m := range gf.Members {
		marked := se != nil && (se.IsPresent(m.ID) || containsInt64(se.Absent, m.ID))
		if marked || m.ActiveOn(day) {
			list = append(list, m)
		}
	}
	title := "记录新一节"
	if se != nil {
		title = fmt.Sprintf("第 %d 节 · %s", se.No, se.Topic)
	}
	pg := s.page(r, title, Crumb{Label: "小组与活动"}, Crumb{Label: "小组", Href: "/groups"},
		Crumb{Label: g.Name, Href: fmt.Sprintf("/groups/%d", g.ID)}, Crumb{Label: title})
	s.gaFormPage(w, r, status, "groups/session", pg, f, sessionFormData{Group: g, Session: se, Members: list,
		Present: present, Stages: gaCodes(groups.Stages, groups.StageName), CanWrite: gf.CanWrite})
}

func containsInt64(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (s *Server) groupFileFor(r *http.Request) (*groups.GroupFile, error) {
	id, err := gaID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.Groups.GroupFile(r.Context(), principalOf(r), id)
}

func (s *Server) sessionNew(w http.ResponseWriter, r *http.Request) {
	gf, err := s.groupFileFor(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !gf.CanWrite {
		s.fail(w, r, app.ErrForbidden())
		return
	}
	f := formOf(map[string]string{"held_on": s.today().String()})
	if n := len(gf.Sessions); n > 0 {
		f.Values.Set("place", gf.Sessions[n-1].Place)
		f.Values.Set("start_time", gf.Sessions[n-1].StartTime)
		f.Values.Set("end_time", gf.Sessions[n-1].EndTime)
	}
	s.renderSession(w, r, http.StatusOK, gf, nil, f)
}

func (s *Server) sessionCreate(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := sessionInputOf(f, &v)
	p := principalOf(r)
	err = gaCall(&v, func() error { _, err := s.Groups.CreateSession(r.Context(), p, id, in); return err })
	if err != nil {
		gf, gerr := s.Groups.GroupFile(r.Context(), p, id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.gaFormError(w, r, err, f, func(st int) { s.renderSession(w, r, st, gf, nil, f) })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/groups/%d#sessions", id), fmt.Sprintf("已记录本节，出席 %d 人", len(in.Present)))
}

func (s *Server) sessionFor(r *http.Request) (*groups.GroupFile, *groups.Session, error) {
	gf, err := s.groupFileFor(r)
	if err != nil {
		return nil, nil, err
	}
	sid, err := gaID(r, "sid")
	if err != nil {
		return nil, nil, err
	}
	for i := range gf.Sessions {
		if gf.Sessions[i].ID == sid {
			return gf, &gf.Sessions[i], nil
		}
	}
	return nil, nil, app.ErrNotFound("节次")
}

func (s *Server) sessionShow(w http.ResponseWriter, r *http.Request) {
	gf, se, err := s.sessionFor(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := sessionFormValues(se)
	for _, id := range se.Present {
		f.Values.Add("present", strconv.FormatInt(id, 10))
	}
	s.renderSession(w, r, http.StatusOK, gf, se, f)
}

func (s *Server) sessionUpdate(w http.ResponseWriter, r *http.Request) {
	gf, se, err := s.sessionFor(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := sessionInputOf(f, &v)
	err = gaCall(&v, func() error { return s.Groups.UpdateSession(r.Context(), principalOf(r), gf.Group.ID, se.ID, in) })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderSession(w, r, st, gf, se, f) })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/groups/%d#sessions", gf.Group.ID), fmt.Sprintf("第 %d 节已保存，出席 %d 人", se.No, len(in.Present)))
}

func (s *Server) sessionDelete(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sid, err := gaID(r, "sid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Groups.DeleteSession(r.Context(), principalOf(r), id, sid); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/groups/%d#sessions", id), "节次已删除")
}

// --- groups: report ---

type reportData struct {
	*groups.GroupFile
}

func (s *Server) renderReport(w http.ResponseWriter, r *http.Request, status int, gf *groups.GroupFile, f *Form) {
	g := gf.Group
	pg := s.page(r, g.Name+" · 小组报告", Crumb{Label: "小组与活动"}, Crumb{Label: "小组", Href: "/groups"},
		Crumb{Label: g.Name, Href: fmt.Sprintf("/groups/%d", g.ID)}, Crumb{Label: "小组报告"})
	s.gaFormPage(w, r, status, "groups/report", pg, f, reportData{GroupFile: gf})
}

func (s *Server) reportShow(w http.ResponseWriter, r *http.Request) {
	gf, err := s.groupFileFor(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(map[string]string{"report_date": s.today().String()})
	if rp := gf.Report; rp != nil {
		f = formOf(map[string]string{"report_date": rp.ReportDate.String(), "summary": rp.Summary,
			"goal_attainment": rp.GoalAttainment, "evaluation": rp.Evaluation, "recommendations": rp.Recommendations,
			"version": strconv.FormatInt(rp.Version, 10)})
	}
	s.renderReport(w, r, http.StatusOK, gf, f)
}

func reportInputOf(f *Form, v *app.Validation) groups.ReportInput {
	return groups.ReportInput{ReportDate: f.Date("report_date", v), Summary: f.Get("summary"),
		GoalAttainment: f.Get("goal_attainment"), Evaluation: f.Get("evaluation"),
		Recommendations: f.Get("recommendations"), Version: f.Int64("version")}
}

func (s *Server) reportSubmit(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalOf(r)
	f := newForm(r)
	var v app.Validation
	in := reportInputOf(f, &v)
	var created bool
	err = gaCall(&v, func() (err error) { created, err = s.Groups.FileReport(r.Context(), p, id, in); return })
	if err != nil {
		gf, gerr := s.Groups.GroupFile(r.Context(), p, id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.gaFormError(w, r, err, f, func(st int) { s.renderReport(w, r, st, gf, f) })
		return
	}
	msg := "小组报告已修改"
	if created {
		msg = "小组报告已提交，小组已结束"
	}
	s.redirect(w, r, fmt.Sprintf("/groups/%d", id), msg)
}

// --- groups: JSON API ---

// gaRemoved answers a member removal.
type gaRemoved struct {
	Deleted bool   `json:"deleted"` // false: the member had attended and was marked as left today
	Message string `json:"message"`
}

// gaAttendance sets a session's attendance.
type gaAttendance struct {
	Present []int64 `json:"present"` // ids of the members present
	Version int64   `json:"version"` // the session's version
}

// gaReportStatus is a group's report, or why it is still missing.
type gaReportStatus struct {
	Filed   bool           `json:"filed"`
	Due     bool           `json:"due"`     // the group has ended without its report
	DueOn   app.Date       `json:"due_on"`  // last session + 14 days, when due
	Overdue bool           `json:"overdue"` // past DueOn
	Report  *groups.Report `json:"report"`
}

func (s *Server) apiGroupList(w http.ResponseWriter, r *http.Request) {
	apiList(s, w, r, groupFilterOf, s.Groups.ListGroups)
}

func (s *Server) apiGroupCreate(w http.ResponseWriter, r *http.Request) {
	apiCreate(s, w, r, s.Groups.CreateGroup, s.Groups.GetGroup)
}

func (s *Server) apiGroupGet(w http.ResponseWriter, r *http.Request) {
	gf, err := s.groupFileFor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, gf)
}

func (s *Server) apiGroupUpdate(w http.ResponseWriter, r *http.Request) {
	apiUpdate(s, w, r, s.Groups.UpdateGroup, s.Groups.GetGroup)
}

func (s *Server) apiMemberList(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.Groups.Members(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiMemberAdd(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in groups.MemberInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	mid, err := s.Groups.AddMember(r.Context(), p, id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.Groups.Members(r.Context(), p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, m := range list {
		if m.ID == mid {
			writeJSON(w, http.StatusCreated, m)
			return
		}
	}
	s.writeError(w, r, app.ErrNotFound("组员"))
}

func (s *Server) apiMemberRemove(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	mid, err := gaID(r, "mid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	deleted, err := s.Groups.RemoveMember(r.Context(), principalOf(r), id, mid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := gaRemoved{Deleted: deleted, Message: "组员已删除"}
	if !deleted {
		out.Message = "该组员已出席过小组，已标记为今天退出"
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSessionList(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.Groups.Sessions(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiSessionCreate(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in groups.SessionInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	sid, err := s.Groups.CreateSession(r.Context(), p, id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	se, err := s.Groups.Session(r.Context(), p, id, sid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, se)
}

func (s *Server) apiSessionUpdate(w http.ResponseWriter, r *http.Request) {
	id, sid, err := gaTwoIDs(r, "sid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in groups.SessionInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	if err := s.Groups.UpdateSession(r.Context(), p, id, sid, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	se, err := s.Groups.Session(r.Context(), p, id, sid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, se)
}

func (s *Server) apiSessionDelete(w http.ResponseWriter, r *http.Request) {
	id, sid, err := gaTwoIDs(r, "sid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Groups.DeleteSession(r.Context(), principalOf(r), id, sid); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiAttendance(w http.ResponseWriter, r *http.Request) {
	id, sid, err := gaTwoIDs(r, "sid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in gaAttendance
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	if err := s.Groups.SetAttendance(r.Context(), p, id, sid, in.Present, in.Version); err != nil {
		s.writeError(w, r, err)
		return
	}
	se, err := s.Groups.Session(r.Context(), p, id, sid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, se)
}

func (s *Server) reportStatus(r *http.Request, id int64) (gaReportStatus, error) {
	g, err := s.Groups.GetGroup(r.Context(), principalOf(r), id)
	if err != nil {
		return gaReportStatus{}, err
	}
	st := gaReportStatus{Due: g.ReportDue, DueOn: g.ReportDueOn, Overdue: g.ReportOverdue}
	rp, err := s.Groups.GetReport(r.Context(), principalOf(r), id)
	switch {
	case err == nil:
		st.Filed, st.Report = true, rp
	case app.ErrorCode(err) != app.ENotFound:
		return st, err
	}
	return st, nil
}

func (s *Server) apiReportGet(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.reportStatus(r, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiReportPut(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in groups.ReportInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.Groups.FileReport(r.Context(), principalOf(r), id, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.reportStatus(r, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// gaTwoIDs parses {id} and a second id parameter.
func gaTwoIDs(r *http.Request, second string) (int64, int64, error) {
	id, err := gaID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	sub, err := gaID(r, second)
	return id, sub, err
}
