package web

import (
	"net/http"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/org"
)

func (s *Server) departmentRoutes() {
	rt := s.router
	read, write := org.PermDeptRead, org.PermDeptWrite
	rt.Handle(Route{Method: "GET", Pattern: "/departments", Access: Permitted, Perm: read, Summary: "部门列表"}, s.deptList)
	rt.Handle(Route{Method: "GET", Pattern: "/departments/new", Access: Permitted, Perm: write, Summary: "新建部门页"}, s.deptNew)
	rt.Handle(Route{Method: "POST", Pattern: "/departments", Access: Permitted, Perm: write, Summary: "新建部门"}, s.deptCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/departments/{id}", Access: Permitted, Perm: read, Object: "dept", Summary: "部门详情"}, s.deptShow)
	rt.Handle(Route{Method: "GET", Pattern: "/departments/{id}/edit", Access: Permitted, Perm: write, Object: "dept", Summary: "编辑部门页"}, s.deptEdit)
	rt.Handle(Route{Method: "POST", Pattern: "/departments/{id}/edit", Access: Permitted, Perm: write, Object: "dept", Summary: "保存部门"}, s.deptUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/departments/{id}/deactivate", Access: Permitted, Perm: write, Object: "dept", Summary: "停用部门"}, s.deptSetActive(false))
	rt.Handle(Route{Method: "POST", Pattern: "/departments/{id}/activate", Access: Permitted, Perm: write, Object: "dept", Summary: "重新启用部门"}, s.deptSetActive(true))

	tag := "组织架构"
	query := append([]Param{
		{Name: "kind", Desc: "类别：admin 行政部、service 服务部、finance 财务部、other 其他", Type: "string"},
		{Name: "status", Desc: "状态：active 或 inactive", Type: "string"},
	}, listParams...)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/departments", Access: Permitted, Perm: read, Summary: "部门列表",
		API: &APIDoc{Tag: tag, Response: pagedItems[org.Dept]{}, Query: query}}, s.apiDeptList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/departments", Access: Permitted, Perm: write, Summary: "新建部门",
		API: &APIDoc{Tag: tag, Request: org.DeptInput{}, Response: org.Dept{}}}, s.apiDeptCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/departments/{id}", Access: Permitted, Perm: read, Object: "dept", Summary: "部门详情",
		API: &APIDoc{Tag: tag, Response: org.Dept{}}}, s.apiDeptGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/departments/{id}", Access: Permitted, Perm: write, Object: "dept", Summary: "修改部门",
		API: &APIDoc{Tag: tag, Request: org.DeptInput{}, Response: org.Dept{}}}, s.apiDeptUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/departments/{id}/deactivate", Access: Permitted, Perm: write, Object: "dept", Summary: "停用部门",
		API: &APIDoc{Tag: tag, Response: org.Dept{}}}, s.apiDeptSetActive(false))
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/departments/{id}/activate", Access: Permitted, Perm: write, Object: "dept", Summary: "重新启用部门",
		API: &APIDoc{Tag: tag, Response: org.Dept{}}}, s.apiDeptSetActive(true))
}

var deptKindTags = map[string]string{org.DeptAdmin: "blue", org.DeptService: "green", org.DeptFinance: "orange", org.DeptOther: "grey"}

func deptKindOptions() []Option {
	var out []Option
	for _, k := range org.DeptKindOrder {
		out = append(out, Option{Value: k, Label: org.DeptKindName(k)})
	}
	return out
}

func deptFilterOf(r *http.Request) org.DeptFilter {
	v := r.URL.Query()
	return org.DeptFilter{Kind: v.Get("kind"), Status: v.Get("status")}
}

// firstLine shortens a duties text for a list cell.
func firstLine(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' {
			r = r[:i]
			break
		}
	}
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(r)
}

type deptListData struct {
	List      ListView
	CanCreate bool
}

func (s *Server) deptList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	q := listQuery(r)
	rows, total, err := s.Org.ListDepartments(r.Context(), p, deptFilterOf(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := ListDef[org.Dept]{
		Sheet:  "部门",
		Search: "部门名称或职责",
		Empty:  "还没有部门",
		Filters: []Filter{
			{Name: "kind", Label: "类别", Type: "select", Options: deptKindOptions()},
			{Name: "status", Label: "状态", Type: "select", Options: activeStatusOptions()},
		},
		Cols: []ListCol[org.Dept]{
			{Key: "name", Label: "部门", Width: 20, Cell: func(d org.Dept) Cell {
				return Cell{Text: d.Name, Href: "/departments/" + idString(d.ID)}
			}},
			{Key: "kind", Label: "类别", Width: 10, Cell: func(d org.Dept) Cell {
				return Cell{Text: d.KindName, Tag: deptKindTags[d.Kind]}
			}},
			{Label: "中层职责", Width: 60, Cell: func(d org.Dept) Cell { return Cell{Text: firstLine(d.Duties, 40)} },
				Export: func(d org.Dept) any { return d.Duties }},
			{Key: "staff", Label: "在职同工", Width: 10, Cell: func(d org.Dept) Cell { return Cell{Text: strconv.Itoa(d.StaffCount)} },
				Export: func(d org.Dept) any { return d.StaffCount }},
			{Label: "状态", Width: 8, Cell: func(d org.Dept) Cell {
				return Cell{Text: org.ActiveStatusName(d.Status), Tag: activeStatusTag(d.Status)}
			}},
		},
	}
	pg := s.page(r, "部门", Crumb{Label: "组织架构"}, Crumb{Label: "部门"})
	serveList(s, w, r, pg, "departments/list", def, q, rows, total, func(lv ListView) any {
		return deptListData{List: lv, CanCreate: org.CanWriteDept(p)}
	})
}

type deptFormData struct {
	Action string
	Cancel string
	Kinds  []Option
}

func deptInputOf(f *Form) org.DeptInput {
	return org.DeptInput{Name: f.Get("name"), Kind: f.Get("kind"), Duties: f.Get("duties")}
}

func (s *Server) renderDeptForm(w http.ResponseWriter, r *http.Request, code int, f *Form, d *org.Dept) {
	data := deptFormData{Action: "/departments", Cancel: "/departments", Kinds: deptKindOptions()}
	title := "新建部门"
	crumbs := []Crumb{{Label: "组织架构"}, {Label: "部门", Href: "/departments"}}
	if d != nil {
		title = "编辑部门"
		data.Action = "/departments/" + idString(d.ID) + "/edit"
		data.Cancel = "/departments/" + idString(d.ID)
		crumbs = append(crumbs, Crumb{Label: d.Name, Href: data.Cancel})
	}
	pg := s.page(r, title, append(crumbs, Crumb{Label: title})...)
	pg.Active = "/departments"
	pg.Form = f
	pg.Data = data
	s.render(w, r, code, "departments/form", pg)
}

func (s *Server) deptNew(w http.ResponseWriter, r *http.Request) {
	s.renderDeptForm(w, r, http.StatusOK, formOf(map[string]string{}), nil)
}

func (s *Server) deptCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id, err := s.Org.CreateDepartment(r.Context(), principalOf(r), deptInputOf(f))
	if err != nil {
		s.formFailed(w, r, f, err, func(code int) { s.renderDeptForm(w, r, code, f, nil) })
		return
	}
	s.redirect(w, r, "/departments/"+idString(id), "部门已创建")
}

func (s *Server) deptOf(r *http.Request) (*org.Dept, error) {
	id, err := pathRecordID(r, "id", "部门")
	if err != nil {
		return nil, err
	}
	return s.Org.GetDepartment(r.Context(), principalOf(r), id)
}

func (s *Server) deptEdit(w http.ResponseWriter, r *http.Request) {
	d, err := s.deptOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderDeptForm(w, r, http.StatusOK, formOf(map[string]string{"name": d.Name, "kind": d.Kind, "duties": d.Duties}), d)
}

func (s *Server) deptUpdate(w http.ResponseWriter, r *http.Request) {
	d, err := s.deptOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	if err := s.Org.UpdateDepartment(r.Context(), principalOf(r), d.ID, deptInputOf(f)); err != nil {
		s.formFailed(w, r, f, err, func(code int) { s.renderDeptForm(w, r, code, f, d) })
		return
	}
	s.redirect(w, r, "/departments/"+idString(d.ID), "部门已保存")
}

func (s *Server) deptSetActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathRecordID(r, "id", "部门")
		if err == nil {
			err = s.Org.SetDepartmentActive(r.Context(), principalOf(r), id, active)
		}
		if err != nil {
			if c := app.ErrorCode(err); c == app.EConflict || c == app.EInvalid {
				s.renderDept(w, r, id, status(c), &Form{Message: app.ErrorMessage(err)})
				return
			}
			s.fail(w, r, err)
			return
		}
		msg := "部门已停用"
		if active {
			msg = "部门已重新启用"
		}
		s.redirect(w, r, "/departments/"+idString(id), msg)
	}
}

type deptShowData struct {
	Dept        *org.Dept
	CanWrite    bool
	ShowMembers bool
	Members     []org.DeptMember
	History     []org.Change
}

func (s *Server) deptShow(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "部门")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderDept(w, r, id, http.StatusOK, &Form{})
}

func (s *Server) renderDept(w http.ResponseWriter, r *http.Request, id int64, code int, notice *Form) {
	ctx, p := r.Context(), principalOf(r)
	d, err := s.Org.GetDepartment(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := deptShowData{Dept: d, CanWrite: org.CanWriteDept(p)}
	if data.Members, err = s.Org.DepartmentMembers(ctx, p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	data.ShowMembers = data.Members != nil
	if data.History, err = s.Org.DepartmentHistory(ctx, p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, d.Name, Crumb{Label: "组织架构"}, Crumb{Label: "部门", Href: "/departments"}, Crumb{Label: d.Name})
	pg.Active = "/departments"
	pg.Data = data
	pg.Form = notice
	s.render(w, r, code, "departments/show", pg)
}

func (s *Server) apiDeptList(w http.ResponseWriter, r *http.Request) {
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := s.Org.ListDepartments(r.Context(), principalOf(r), deptFilterOf(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPagedItems(rows, total, q))
}

func (s *Server) apiDeptAnswer(w http.ResponseWriter, r *http.Request, id int64, code int) {
	d, err := s.Org.GetDepartment(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, code, d)
}

func (s *Server) apiDeptGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "部门")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiDeptAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiDeptCreate(w http.ResponseWriter, r *http.Request) {
	var in org.DeptInput
	err := decodeJSON(r, &in)
	var id int64
	if err == nil {
		id, err = s.Org.CreateDepartment(r.Context(), principalOf(r), in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiDeptAnswer(w, r, id, http.StatusCreated)
}

func (s *Server) apiDeptUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "部门")
	var in org.DeptInput
	if err == nil {
		err = decodeJSON(r, &in)
	}
	if err == nil {
		err = s.Org.UpdateDepartment(r.Context(), principalOf(r), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiDeptAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiDeptSetActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathRecordID(r, "id", "部门")
		if err == nil {
			err = s.Org.SetDepartmentActive(r.Context(), principalOf(r), id, active)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.apiDeptAnswer(w, r, id, http.StatusOK)
	}
}
