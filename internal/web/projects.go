package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/groups"
	"shegong/internal/volunteers"
)

func (s *Server) projectRoutes() {
	rt := s.router
	read, write := groups.PermProjectRead, groups.PermProjectWrite
	const tag = "小组与活动"
	rt.Handle(Route{Method: "GET", Pattern: "/projects", Access: Permitted, Perm: read, Summary: "项目列表"}, s.projectList)
	rt.Handle(Route{Method: "GET", Pattern: "/projects/new", Access: Permitted, Perm: write, Summary: "新建项目页"}, s.projectNew)
	rt.Handle(Route{Method: "POST", Pattern: "/projects", Access: Permitted, Perm: write, Summary: "新建项目"}, s.projectCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/projects/{id}", Access: Permitted, Perm: read, Object: "project", Summary: "项目详情与成果"}, s.projectShow)
	rt.Handle(Route{Method: "GET", Pattern: "/projects/{id}/edit", Access: Permitted, Perm: write, Object: "project", Summary: "修改项目页"}, s.projectEdit)
	rt.Handle(Route{Method: "POST", Pattern: "/projects/{id}/edit", Access: Permitted, Perm: write, Object: "project", Summary: "修改项目"}, s.projectUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/projects/{id}/funds", Access: Permitted, Perm: write, Object: "project", Summary: "新增资助"}, s.fundAdd)
	rt.Handle(Route{Method: "POST", Pattern: "/projects/{id}/funds/{fid}/delete", Access: Permitted, Perm: write, Object: "project", Summary: "删除资助"}, s.fundDelete)
	rt.Handle(Route{Method: "POST", Pattern: "/projects/{id}/incubated", Access: Permitted, Perm: write, Object: "project", Summary: "登记孵化组织"}, s.incubatedAdd)
	rt.Handle(Route{Method: "POST", Pattern: "/projects/{id}/incubated/{oid}/delete", Access: Permitted, Perm: write, Object: "project", Summary: "删除孵化组织"}, s.incubatedDelete)

	listParams := []Param{
		{Name: "site_id", Desc: "主办服务点", Type: "integer"},
		{Name: "status", Desc: "状态：planning 筹备中、active 实施中、closed 已结项", Type: "string"},
		{Name: "from", Desc: "项目期与之重叠的期间开始", Type: "date"}, {Name: "to", Desc: "期间结束", Type: "date"},
		{Name: "q", Desc: "搜索项目名称或合作方", Type: "string"}, {Name: "page", Desc: "页码", Type: "integer"},
		{Name: "size", Desc: "每页条数（最多200）", Type: "integer"}, {Name: "sort", Desc: "排序：name, site, start, end, status, funding", Type: "string"},
		{Name: "dir", Desc: "asc 或 desc", Type: "string"},
	}
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/projects", Access: Permitted, Perm: read, Summary: "项目列表",
		API: &APIDoc{Tag: tag, Response: gaList[groups.Project]{}, Query: listParams}}, s.apiProjectList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/projects", Access: Permitted, Perm: write, Summary: "新建项目",
		API: &APIDoc{Tag: tag, Status: http.StatusCreated, Request: groups.ProjectInput{}, Response: groups.Project{}}}, s.apiProjectCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/projects/{id}", Access: Permitted, Perm: read, Object: "project", Summary: "项目详情（资助、孵化组织、成果、小组与活动）",
		API: &APIDoc{Tag: tag, Response: groups.ProjectFile{}}}, s.apiProjectGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/projects/{id}", Access: Permitted, Perm: write, Object: "project", Summary: "修改项目（需 version）",
		API: &APIDoc{Tag: tag, Request: groups.ProjectInput{}, Response: groups.Project{}}}, s.apiProjectUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/projects/{id}/funds", Access: Permitted, Perm: write, Object: "project", Summary: "新增资助（金额单位：分）",
		API: &APIDoc{Tag: tag, Status: http.StatusCreated, Request: groups.FundInput{}, Response: []groups.Fund{}}}, s.apiFundAdd)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/projects/{id}/funds/{fid}", Access: Permitted, Perm: write, Object: "project", Summary: "删除资助",
		API: &APIDoc{Tag: tag}}, s.apiFundDelete)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/projects/{id}/incubated", Access: Permitted, Perm: write, Object: "project", Summary: "登记孵化组织",
		API: &APIDoc{Tag: tag, Status: http.StatusCreated, Request: groups.IncubatedInput{}, Response: []groups.Incubated{}}}, s.apiIncubatedAdd)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/projects/{id}/incubated/{oid}", Access: Permitted, Perm: write, Object: "project", Summary: "删除孵化组织",
		API: &APIDoc{Tag: tag}}, s.apiIncubatedDelete)
}

func projectStatusTag(pr groups.Project) Cell {
	switch pr.Status {
	case groups.ProjectActive:
		return Cell{Text: pr.StatusName, Tag: "blue"}
	case groups.ProjectClosed:
		return Cell{Text: pr.StatusName, Tag: "grey"}
	}
	return Cell{Text: pr.StatusName, Tag: "orange"}
}

func projectFilterOf(v url.Values) (groups.ProjectFilter, error) {
	q := gaQuery{v: v}
	f := groups.ProjectFilter{SiteID: q.id("site_id"), Status: strings.TrimSpace(v.Get("status")),
		From: q.date("from"), To: q.date("to")}
	return f, q.val.Err()
}

func projectListDef(c gaChoices) ListDef[groups.Project] {
	return ListDef[groups.Project]{
		Sheet:  "项目",
		Search: "项目名称或合作方",
		Empty:  "没有符合条件的项目",
		Filters: []Filter{
			{Name: "site_id", Label: "主办服务点", Type: "select", Options: c.Sites},
			{Name: "status", Label: "状态", Type: "select", Options: gaCodes(groups.ProjectStatuses, groups.ProjectStatusName)},
			{Name: "from", Label: "期间从", Type: "date"},
			{Name: "to", Label: "期间至", Type: "date"},
		},
		Cols: []ListCol[groups.Project]{
			{Key: "name", Label: "项目名称", Width: 26, Cell: func(pr groups.Project) Cell {
				return Cell{Text: pr.Name, Href: fmt.Sprintf("/projects/%d", pr.ID), Sub: pr.Partners}
			}},
			{Key: "site", Label: "主办服务点", Width: 26, Cell: func(pr groups.Project) Cell { return Cell{Text: pr.SiteName} }},
			{Label: "项目负责人", Width: 10, Cell: func(pr groups.Project) Cell { return Cell{Text: pr.ManagerName} }},
			{Key: "start", Label: "开始", Width: 12, Cell: func(pr groups.Project) Cell { return Cell{Text: pr.StartDate.String()} }},
			{Key: "end", Label: "结束", Width: 12, Cell: func(pr groups.Project) Cell { return Cell{Text: pr.EndDate.String()} }},
			{Key: "funding", Label: "资助金额", Width: 14, Cell: func(pr groups.Project) Cell { return Cell{Text: pr.FundingTotal.String()} },
				Export: func(pr groups.Project) any { return pr.FundingTotal.Plain(false) }},
			{Key: "status", Label: "状态", Width: 10, Cell: projectStatusTag},
		},
	}
}

func (s *Server) projectList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	c, err := s.gaChoices(r, groups.PermProjectRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := projectFilterOf(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := listQuery(r)
	rows, total, err := s.Groups.ListProjects(r.Context(), p, f, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "项目", Crumb{Label: "小组与活动"}, Crumb{Label: "项目"})
	serveList(s, w, r, pg, "projects/list", projectListDef(c), q, rows, total, func(lv ListView) any {
		return gaListData{List: lv, CanWrite: p.Can(groups.PermProjectWrite)}
	})
}

type projectFormData struct {
	gaChoices
	Statuses []Option
	ID       int64
}

func projectFormValues(pr *groups.Project) *Form {
	return formOf(map[string]string{
		"name": pr.Name, "site_id": gaItoa(pr.SiteID), "manager_id": gaItoa(pr.ManagerID),
		"start_date": pr.StartDate.String(), "end_date": pr.EndDate.String(), "goals": pr.Goals,
		"partners": pr.Partners, "summary": pr.Summary, "status": pr.Status, "version": strconv.FormatInt(pr.Version, 10),
	})
}

func projectInputOf(f *Form, v *app.Validation) groups.ProjectInput {
	return groups.ProjectInput{Name: f.Get("name"), SiteID: f.Int64("site_id"), ManagerID: f.Int64("manager_id"),
		StartDate: f.Date("start_date", v), EndDate: f.Date("end_date", v), Goals: f.Get("goals"),
		Partners: f.Get("partners"), Summary: f.Get("summary"), Status: f.Get("status"), Version: f.Int64("version")}
}

func (s *Server) renderProjectForm(w http.ResponseWriter, r *http.Request, status int, f *Form, id int64, title string) {
	c, err := s.gaChoices(r, groups.PermProjectWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	crumbs := []Crumb{{Label: "小组与活动"}, {Label: "项目", Href: "/projects"}}
	if id != 0 {
		crumbs = append(crumbs, Crumb{Label: f.Get("name"), Href: fmt.Sprintf("/projects/%d", id)})
	}
	crumbs = append(crumbs, Crumb{Label: title})
	s.gaFormPage(w, r, status, "projects/form", s.page(r, title, crumbs...), f,
		projectFormData{gaChoices: c, Statuses: gaCodes(groups.ProjectStatuses, groups.ProjectStatusName), ID: id})
}

func (s *Server) projectNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	today := s.today()
	f := formOf(map[string]string{"manager_id": gaItoa(p.StaffID), "status": groups.ProjectPlanning,
		"start_date": today.String(), "end_date": today.AddMonths(12).AddDays(-1).String()})
	if len(p.SiteIDs) == 1 {
		f.Values.Set("site_id", gaItoa(p.SiteIDs[0]))
	}
	s.renderProjectForm(w, r, http.StatusOK, f, 0, "新建项目")
}

func (s *Server) projectCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var v app.Validation
	in := projectInputOf(f, &v)
	var id int64
	err := gaCall(&v, func() (err error) { id, err = s.Groups.CreateProject(r.Context(), principalOf(r), in); return })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderProjectForm(w, r, st, f, 0, "新建项目") })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/projects/%d", id), "项目已创建，请登记资助方")
}

func (s *Server) projectEdit(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalOf(r)
	pr, err := s.Groups.GetProject(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !groups.CanWriteProject(p, pr) {
		s.fail(w, r, app.ErrForbidden())
		return
	}
	s.renderProjectForm(w, r, http.StatusOK, projectFormValues(pr), id, "修改项目")
}

func (s *Server) projectUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := projectInputOf(f, &v)
	err = gaCall(&v, func() error { return s.Groups.UpdateProject(r.Context(), principalOf(r), id, in) })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderProjectForm(w, r, st, f, id, "修改项目") })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/projects/%d", id), "项目已保存")
}

type projectShowData struct {
	*groups.ProjectFile
	Status    Cell
	FundKinds []Option
	// FundForm and OrgForm keep what was typed into the two small forms.
	FundForm, OrgForm *Form
	CanReadGroups     bool
	// TeamCount counts every volunteer team linked to the project; Teams
	// are those the caller may read.
	TeamCount int
	Teams     []volunteers.Team
}

func (s *Server) renderProjectShow(w http.ResponseWriter, r *http.Request, status int, id int64, fundForm, orgForm *Form) {
	p := principalOf(r)
	pf, err := s.Groups.ProjectFile(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if fundForm == nil {
		fundForm = &Form{Values: url.Values{}}
	}
	if orgForm == nil {
		orgForm = &Form{Values: url.Values{}}
	}
	teams, err := volunteers.TeamsOfProject(r.Context(), s.Volunteers.DB.R, pf.Project.OrgID, pf.Project.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var visible []volunteers.Team
	for _, t := range teams {
		if p.Scope(volunteers.PermRead).Allows(volSiteObj(pf.Project.OrgID, t.SiteID)) {
			visible = append(visible, t)
		}
	}
	pg := s.page(r, pf.Project.Name, Crumb{Label: "小组与活动"}, Crumb{Label: "项目", Href: "/projects"}, Crumb{Label: pf.Project.Name})
	pg.Data = projectShowData{ProjectFile: pf, Status: projectStatusTag(*pf.Project), FundKinds: gaCodes(groups.FundKinds, groups.FundKindName),
		FundForm: fundForm, OrgForm: orgForm, CanReadGroups: p.Can(groups.PermGroupRead),
		TeamCount: len(teams), Teams: visible}
	s.render(w, r, status, "projects/show", pg)
}

func (s *Server) projectShow(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderProjectShow(w, r, http.StatusOK, id, nil, nil)
}

func (s *Server) fundAdd(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := groups.FundInput{Funder: f.Get("funder"), Kind: f.Get("kind"), Amount: f.Fen("amount", &v), Note: f.Get("note")}
	err = gaCall(&v, func() error { _, err := s.Groups.AddFund(r.Context(), principalOf(r), id, in); return err })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderProjectShow(w, r, st, id, f, nil) })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/projects/%d#funds", id), "已新增资助 "+in.Amount.String())
}

func (s *Server) fundDelete(w http.ResponseWriter, r *http.Request) {
	id, fid, err := gaTwoIDs(r, "fid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Groups.DeleteFund(r.Context(), principalOf(r), id, fid); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/projects/%d#funds", id), "资助记录已删除")
}

func (s *Server) incubatedAdd(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := groups.IncubatedInput{Name: f.Get("name"), FoundedOn: f.Date("founded_on", &v),
		Members: gaInt(f, "members", "成员人数", &v), Note: f.Get("note")}
	err = gaCall(&v, func() error { _, err := s.Groups.AddIncubated(r.Context(), principalOf(r), id, in); return err })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderProjectShow(w, r, st, id, nil, f) })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/projects/%d#incubated", id), "已登记孵化组织 "+in.Name)
}

func (s *Server) incubatedDelete(w http.ResponseWriter, r *http.Request) {
	id, oid, err := gaTwoIDs(r, "oid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Groups.DeleteIncubated(r.Context(), principalOf(r), id, oid); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/projects/%d#incubated", id), "孵化组织已删除")
}

// --- projects: JSON API ---

func (s *Server) apiProjectList(w http.ResponseWriter, r *http.Request) {
	apiList(s, w, r, projectFilterOf, s.Groups.ListProjects)
}

func (s *Server) apiProjectCreate(w http.ResponseWriter, r *http.Request) {
	apiCreate(s, w, r, s.Groups.CreateProject, s.Groups.GetProject)
}

func (s *Server) apiProjectGet(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pf, err := s.Groups.ProjectFile(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pf)
}

func (s *Server) apiProjectUpdate(w http.ResponseWriter, r *http.Request) {
	apiUpdate(s, w, r, s.Groups.UpdateProject, s.Groups.GetProject)
}

func (s *Server) apiFundAdd(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in groups.FundInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	if _, err := s.Groups.AddFund(r.Context(), p, id, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	pf, err := s.Groups.ProjectFile(r.Context(), p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, pf.Funds)
}

func (s *Server) apiFundDelete(w http.ResponseWriter, r *http.Request) {
	id, fid, err := gaTwoIDs(r, "fid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Groups.DeleteFund(r.Context(), principalOf(r), id, fid); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiIncubatedAdd(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in groups.IncubatedInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	if _, err := s.Groups.AddIncubated(r.Context(), p, id, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	pf, err := s.Groups.ProjectFile(r.Context(), p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, pf.Incubated)
}

func (s *Server) apiIncubatedDelete(w http.ResponseWriter, r *http.Request) {
	id, oid, err := gaTwoIDs(r, "oid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Groups.DeleteIncubated(r.Context(), principalOf(r), id, oid); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
