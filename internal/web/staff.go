package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/org"
)

// peopleRoutes registers the staff, staff distribution, account and
// platform tenant pages and their JSON API.
func (s *Server) peopleRoutes() {
	s.staffRoutes()
	s.staffReportRoutes()
	s.userRoutes()
	s.tenantRoutes()
}

func (s *Server) staffRoutes() {
	rt := s.router
	read, write, users := org.PermStaffRead, org.PermStaffWrite, org.PermUserAdmin
	h := func(method, pattern string, perm *authz.Perm, summary string, fn http.HandlerFunc) {
		obj := ""
		if containsID(pattern) {
			obj = "staff"
		}
		rt.Handle(Route{Method: method, Pattern: pattern, Access: Permitted, Perm: perm, Object: obj, Summary: summary}, fn)
	}
	h("GET", "/staff", read, "同工列表", s.staffList)
	h("GET", "/staff/new", write, "新增同工页", s.staffNew)
	h("POST", "/staff", write, "新增同工", s.staffCreate)
	h("GET", "/staff/{id}", read, "同工档案", s.staffShow)
	h("GET", "/staff/{id}/edit", write, "编辑同工页", s.staffEdit)
	h("POST", "/staff/{id}/edit", write, "保存同工档案", s.staffUpdate)
	h("GET", "/staff/{id}/assign", write, "派驻/调动页", s.staffAssignPage)
	h("POST", "/staff/{id}/assign", write, "派驻/调动", s.staffAssign)
	h("POST", "/staff/{id}/assign/end", write, "结束派驻", s.staffAssignEnd)
	h("GET", "/staff/{id}/supervisor", write, "设置督导页", s.staffSupervisorPage)
	h("POST", "/staff/{id}/supervisor", write, "设置督导", s.staffSupervisor)
	h("POST", "/staff/{id}/supervisor/end", write, "结束督导关系", s.staffSupervisorEnd)
	h("GET", "/staff/{id}/certificates/new", write, "添加证书页", s.staffCertificateNew)
	h("POST", "/staff/{id}/certificates", write, "添加证书", s.staffCertificateCreate)
	h("POST", "/staff/{id}/certificates/{cid}/delete", write, "删除证书", s.staffCertificateDelete)
	h("GET", "/staff/{id}/leave", write, "办理离职页", s.staffLeavePage)
	h("POST", "/staff/{id}/leave", write, "办理离职", s.staffLeave)
	h("POST", "/staff/{id}/reinstate", write, "恢复在职", s.staffReinstate)
	h("GET", "/staff/{id}/account", users, "关联账号页", s.staffAccountPage)
	h("POST", "/staff/{id}/account", users, "关联账号", s.staffAccountLink)
	h("POST", "/staff/{id}/account/unlink", users, "解除账号关联", s.staffAccountUnlink)

	api := func(method, pattern string, perm *authz.Perm, summary string, doc *APIDoc, fn http.HandlerFunc) {
		obj := ""
		if containsID(pattern) {
			obj = "staff"
		}
		doc.Tag = "组织架构"
		rt.Handle(Route{Method: method, Pattern: pattern, Access: Permitted, Perm: perm, Object: obj, Summary: summary, API: doc}, fn)
	}
	api("GET", "/api/v1/staff", read, "同工列表（手机号脱敏）", &APIDoc{Response: apiStaffList{}, Query: staffQueryParams}, s.apiStaffList)
	api("POST", "/api/v1/staff", write, "新增同工", &APIDoc{Request: org.StaffInput{}, Response: org.Staff{}}, s.apiStaffCreate)
	api("GET", "/api/v1/staff/{id}", read, "同工档案（含证书、任职与督导关系）", &APIDoc{Response: org.Staff{}}, s.apiStaffGet)
	api("PUT", "/api/v1/staff/{id}", write, "修改同工档案（须带 version）", &APIDoc{Request: org.StaffInput{}, Response: org.Staff{}}, s.apiStaffUpdate)
	api("POST", "/api/v1/staff/{id}/status", write, "办理离职或恢复在职", &APIDoc{Request: org.StatusInput{}, Response: org.Staff{}}, s.apiStaffStatus)
	api("POST", "/api/v1/staff/{id}/assignments", write, "派驻或调动（结束当前任职并开始新任职）", &APIDoc{Request: org.AssignInput{}, Response: org.Staff{}}, s.apiStaffAssign)
	api("POST", "/api/v1/staff/{id}/assignments/end", write, "结束当前派驻", &APIDoc{Request: apiEndDate{}, Response: org.Staff{}}, s.apiStaffAssignEnd)
	api("PUT", "/api/v1/staff/{id}/supervisor", write, "设置或更换督导", &APIDoc{Request: org.SupervisorInput{}, Response: org.Staff{}}, s.apiStaffSupervisor)
	api("POST", "/api/v1/staff/{id}/supervisor/end", write, "结束督导关系", &APIDoc{Request: apiEndDate{}, Response: org.Staff{}}, s.apiStaffSupervisorEnd)
	api("POST", "/api/v1/staff/{id}/certificates", write, "添加资格证书", &APIDoc{Request: org.CertificateInput{}, Response: org.Staff{}}, s.apiStaffCertificateAdd)
	api("DELETE", "/api/v1/staff/{id}/certificates/{cid}", write, "删除资格证书", &APIDoc{}, s.apiStaffCertificateDelete)
	api("PUT", "/api/v1/staff/{id}/account", users, "关联账号", &APIDoc{Request: apiStaffAccount{}, Response: org.Staff{}}, s.apiStaffAccountLink)
	api("DELETE", "/api/v1/staff/{id}/account", users, "解除账号关联", &APIDoc{}, s.apiStaffAccountUnlink)

	s.addNav("组织架构", NavItem{Label: "同工", Href: "/staff", Perm: read, Agency: true})
}

func containsID(pattern string) bool { return strings.Contains(pattern, "{id}") }

// peopleID reads a numeric path value; anything else is a record that
// does not exist.
func peopleID(r *http.Request, name string) (int64, error) { return parsePeopleID(r.PathValue(name)) }

func parsePeopleID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, app.Errorf(app.ENotFound, "记录不存在或无权访问")
	}
	return n, nil
}

type namedIDs = []struct {
	ID   int64
	Name string
}

func idOptions(list namedIDs) []Option {
	out := make([]Option, len(list))
	for i, o := range list {
		out[i] = Option{Value: idString(o.ID), Label: o.Name}
	}
	return out
}

func termOptions(terms []org.StaffTerm) []Option {
	out := make([]Option, len(terms))
	for i, t := range terms {
		out[i] = Option{Value: t.Code, Label: t.Name}
	}
	return out
}

// peoplePerms lets templates show only the buttons a user may use.
type peoplePerms struct {
	StaffWrite *authz.Perm
	UserAdmin  *authz.Perm
	Report     *authz.Perm
}

var thePeoplePerms = peoplePerms{StaffWrite: org.PermStaffWrite, UserAdmin: org.PermUserAdmin, Report: org.PermStaffReport}

// ---- list ----

var staffQueryParams = []Param{
	{Name: "site", Desc: "服务点 id（当前任职）", Type: "integer"},
	{Name: "dept", Desc: "部门 id", Type: "integer"},
	{Name: "title", Desc: "职称代码", Type: "string"},
	{Name: "domain", Desc: "服务领域 id", Type: "integer"},
	{Name: "status", Desc: "active 在职 / left 已离职", Type: "string"},
	{Name: "q", Desc: "按姓名、工号、邮箱搜索", Type: "string"},
	{Name: "page", Desc: "页码", Type: "integer"},
	{Name: "size", Desc: "每页条数", Type: "integer"},
	{Name: "sort", Desc: "no、name、title、hire、site、dept、status", Type: "string"},
	{Name: "dir", Desc: "desc 为倒序", Type: "string"},
}

func staffFilterOf(v url.Values) org.StaffFilter {
	n := func(k string) int64 { x, _ := strconv.ParseInt(v.Get(k), 10, 64); return x }
	f := org.StaffFilter{SiteID: n("site"), DepartmentID: n("dept"), Title: v.Get("title"), DomainID: n("domain")}
	if st := v.Get("status"); st == "active" || st == "left" {
		f.Status = st
	}
	return f
}

var staffStatusOptions = []Option{{Value: "active", Label: "在职"}, {Value: "left", Label: "已离职"}}

// staffChoices are the option lists of the staff forms and filters.
type staffChoices struct {
	Sites, Depts, Domains, Titles, Positions, Genders []Option
}

func (s *Server) staffChoices(ctx context.Context, p *authz.Principal) (staffChoices, error) {
	var c staffChoices
	sites, err := s.Org.SiteOptions(ctx, p)
	if err != nil {
		return c, err
	}
	depts, err := s.Org.DepartmentOptions(ctx, p)
	if err != nil {
		return c, err
	}
	doms, err := s.Org.DomainOptions(ctx, p)
	if err != nil {
		return c, err
	}
	return staffChoices{Sites: idOptions(sites), Depts: idOptions(depts), Domains: idOptions(doms),
		Titles: termOptions(org.StaffTitles), Positions: termOptions(org.StaffPositions), Genders: genderOptions}, nil
}

func staffListDef(c staffChoices) ListDef[org.Staff] {
	href := func(st org.Staff) string { return "/staff/" + idString(st.ID) }
	return ListDef[org.Staff]{
		Sheet:  "同工",
		Search: "姓名、工号或邮箱",
		Empty:  "没有符合条件的同工",
		Filters: []Filter{
			{Name: "site", Label: "服务点", Type: "select", Options: c.Sites},
			{Name: "dept", Label: "部门", Type: "select", Options: c.Depts},
			{Name: "title", Label: "职称", Type: "select", Options: c.Titles},
			{Name: "domain", Label: "服务领域", Type: "select", Options: c.Domains},
			{Name: "status", Label: "状态", Type: "select", Options: staffStatusOptions},
		},
		Cols: []ListCol[org.Staff]{
			{Key: "no", Label: "工号", Cell: func(st org.Staff) Cell { return Cell{Text: st.EmployeeNo, Href: href(st)} }},
			{Key: "name", Label: "姓名", Cell: func(st org.Staff) Cell { return Cell{Text: st.Name, Href: href(st)} }},
			{Label: "性别", Cell: func(st org.Staff) Cell { return Cell{Text: st.Gender} }},
			{Key: "title", Label: "职称", Cell: func(st org.Staff) Cell { return Cell{Text: st.TitleName} }},
			{Key: "site", Label: "服务点", Cell: func(st org.Staff) Cell { return Cell{Text: st.SiteName, Sub: st.PositionName} },
				Export: func(st org.Staff) any { return st.SiteName }, Width: 28},
			{Label: "岗位", Cell: func(st org.Staff) Cell { return Cell{Text: st.PositionName} }},
			{Key: "dept", Label: "部门", Cell: func(st org.Staff) Cell { return Cell{Text: st.DepartmentName} }},
			{Label: "手机", Cell: func(st org.Staff) Cell { return Cell{Text: st.Phone} }, Width: 14},
			{Label: "服务领域", Cell: func(st org.Staff) Cell { return Cell{Text: st.DomainNames()} }, Width: 20},
			{Key: "hire", Label: "入职日期", Cell: func(st org.Staff) Cell { return Cell{Text: st.HireDate.String()} }, Width: 12},
			{Key: "status", Label: "状态", Cell: func(st org.Staff) Cell {
				if st.Status == "left" {
					return Cell{Text: "已离职", Tag: "grey", Sub: st.LeaveDate.String()}
				}
				return Cell{Text: "在职", Tag: "green"}
			}, Export: func(st org.Staff) any { return st.StatusName() }},
			{Label: "账号", Cell: func(st org.Staff) Cell {
				if st.Username == "" {
					return Cell{Text: "—"}
				}
				return Cell{Text: st.Username}
			}},
		},
	}
}

// The position column only shows in the export; the page shows it under
// the service point.
func staffPageDef(c staffChoices) ListDef[org.Staff] {
	def := staffListDef(c)
	cols := def.Cols[:0:0]
	for _, col := range def.Cols {
		if col.Label != "岗位" {
			cols = append(cols, col)
		}
	}
	def.Cols = cols
	return def
}

type staffListData struct {
	List  ListView
	Perms peoplePerms
}

func (s *Server) staffList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	q := listQuery(r)
	rows, total, err := s.Org.ListStaff(r.Context(), p, staffFilterOf(r.URL.Query()), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.staffChoices(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wantsExport(r) {
		exportList(s, w, r, staffListDef(c), rows)
		return
	}
	pg := s.page(r, "同工", Crumb{Label: "组织架构"}, Crumb{Label: "同工"})
	serveList(s, w, r, pg, "staff/list", staffPageDef(c), q, rows, total, func(lv ListView) any {
		return staffListData{List: lv, Perms: thePeoplePerms}
	})
}

// ---- create and edit ----

type staffFormData struct {
	Staff   *org.Staff // nil when creating
	Action  string
	Choices staffChoices
}

func staffInputOf(f *Form, v *app.Validation) org.StaffInput {
	return org.StaffInput{
		EmployeeNo: f.Get("employee_no"), Name: f.Get("name"), Gender: f.Get("gender"), Title: f.Get("title"),
		Phone: f.Get("phone"), Email: f.Get("email"), DepartmentID: f.Int64("department_id"),
		HireDate: f.Date("hire_date", v), DomainIDs: f.Int64s("domain_ids"),
		SiteID: f.Int64("site_id"), Position: f.Get("position"), Version: int(f.Int64("version")),
	}
}

func (s *Server) renderStaffForm(w http.ResponseWriter, r *http.Request, code int, f *Form, st *org.Staff) {
	p := principalOf(r)
	c, err := s.staffChoices(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var pg *Page
	d := staffFormData{Staff: st, Choices: c, Action: "/staff"}
	if st == nil {
		pg = s.page(r, "新增同工", Crumb{Label: "组织架构"}, Crumb{Label: "同工", Href: "/staff"}, Crumb{Label: "新增"})
	} else {
		d.Action = "/staff/" + idString(st.ID) + "/edit"
		pg = s.page(r, "编辑同工档案", Crumb{Label: "组织架构"}, Crumb{Label: "同工", Href: "/staff"},
			Crumb{Label: st.Name, Href: "/staff/" + idString(st.ID)}, Crumb{Label: "编辑"})
	}
	pg.Form = f
	pg.Data = d
	s.render(w, r, code, "staff/form", pg)
}

func (s *Server) staffNew(w http.ResponseWriter, r *http.Request) {
	f := formOf(map[string]string{"hire_date": s.today().String(), "position": "worker"})
	s.renderStaffForm(w, r, http.StatusOK, f, nil)
}

func (s *Server) staffCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var pv app.Validation
	in := staffInputOf(f, &pv)
	var id int64
	var err error
	if !pv.OK() {
		err = withParseErrors(&pv, in.Validate(true))
	} else {
		id, err = s.Org.CreateStaff(r.Context(), principalOf(r), in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderStaffForm(w, r, formStatus(err), f, nil)
		return
	}
	s.redirect(w, r, "/staff/"+idString(id), "同工档案已保存")
}

func (s *Server) staffForPage(w http.ResponseWriter, r *http.Request) (*org.Staff, bool) {
	id, err := peopleID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	st, err := s.Org.GetStaff(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return st, true
}

func staffFormOf(st *org.Staff) *Form {
	v := url.Values{}
	v.Set("employee_no", st.EmployeeNo)
	v.Set("name", st.Name)
	v.Set("gender", st.Gender)
	v.Set("title", st.Title)
	v.Set("phone", st.Phone)
	v.Set("email", st.Email)
	if st.DepartmentID != 0 {
		v.Set("department_id", idString(st.DepartmentID))
	}
	v.Set("hire_date", st.HireDate.String())
	v.Set("version", strconv.Itoa(st.Version))
	for _, d := range st.Domains {
		v.Add("domain_ids", idString(d.ID))
	}
	return &Form{Values: v}
}

func (s *Server) staffEdit(w http.ResponseWriter, r *http.Request) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	s.renderStaffForm(w, r, http.StatusOK, staffFormOf(st), st)
}

func (s *Server) staffUpdate(w http.ResponseWriter, r *http.Request) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	var pv app.Validation
	in := staffInputOf(f, &pv)
	var err error
	if !pv.OK() {
		err = withParseErrors(&pv, in.Validate(false))
	} else {
		err = s.Org.UpdateStaff(r.Context(), principalOf(r), st.ID, in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderStaffForm(w, r, formStatus(err), f, st)
		return
	}
	s.redirect(w, r, "/staff/"+idString(st.ID), "同工档案已保存")
}

// ---- record page ----

type staffShowData struct {
	Staff *org.Staff
	Perms peoplePerms
	// Own is true on the reader's own record.
	Own bool
}

func (s *Server) staffShow(w http.ResponseWriter, r *http.Request) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	p := principalOf(r)
	pg := s.page(r, st.Name, Crumb{Label: "组织架构"}, Crumb{Label: "同工", Href: "/staff"}, Crumb{Label: st.Name})
	pg.Data = staffShowData{Staff: st, Perms: thePeoplePerms, Own: p.StaffID == st.ID}
	s.render(w, r, http.StatusOK, "staff/show", pg)
}

// staffSubPage renders one of the small forms of a staff record (assign,
// supervisor, certificate, leave, account).
type staffSubData struct {
	Staff   *org.Staff
	Options map[string][]Option
	Today   string
}

func (s *Server) renderStaffSub(w http.ResponseWriter, r *http.Request, code int, tmpl, title string, st *org.Staff, f *Form) {
	p := principalOf(r)
	ctx := r.Context()
	d := staffSubData{Staff: st, Options: map[string][]Option{}, Today: s.today().String()}
	switch tmpl {
	case "staff/assign":
		sites, err := s.Org.SiteOptions(ctx, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Options["sites"] = idOptions(sites)
		d.Options["positions"] = termOptions(org.StaffPositions)
	case "staff/supervisor":
		list, err := s.Org.ActiveStaffOptions(ctx, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var opts []Option
		for _, o := range list {
			if o.ID != st.ID {
				opts = append(opts, Option{Value: idString(o.ID), Label: o.Name})
			}
		}
		d.Options["staff"] = opts
	case "staff/certificate":
		d.Options["kinds"] = termOptions(org.CertificateKinds)
	case "staff/account":
		list, err := s.Org.UnlinkedUserOptions(ctx, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Options["users"] = idOptions(list)
	}
	pg := s.page(r, title, Crumb{Label: "组织架构"}, Crumb{Label: "同工", Href: "/staff"},
		Crumb{Label: st.Name, Href: "/staff/" + idString(st.ID)}, Crumb{Label: title})
	pg.Form = f
	pg.Data = d
	s.render(w, r, code, tmpl, pg)
}

// staffSubmit runs a small form: parse, call, then redirect to the record
// or re-render the form with the messages.
func (s *Server) staffSubmit(w http.ResponseWriter, r *http.Request, tmpl, title string,
	do func(st *org.Staff, f *Form, pv *app.Validation) error, flash string) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	var pv app.Validation
	err := do(st, f, &pv)
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderStaffSub(w, r, formStatus(err), tmpl, title, st, f)
		return
	}
	s.redirect(w, r, "/staff/"+idString(st.ID), flash)
}

func (s *Server) staffAssignPage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	f := formOf(map[string]string{"start_date": s.today().String(), "end_date": s.today().String(), "position": "worker"})
	s.renderStaffSub(w, r, http.StatusOK, "staff/assign", "派驻/调动", st, f)
}

func (s *Server) staffAssign(w http.ResponseWriter, r *http.Request) {
	s.staffSubmit(w, r, "staff/assign", "派驻/调动", func(st *org.Staff, f *Form, pv *app.Validation) error {
		in := org.AssignInput{SiteID: f.Int64("site_id"), Position: f.Get("position"), StartDate: f.Date("start_date", pv), Note: f.Get("note")}
		if !pv.OK() {
			return withParseErrors(pv, in.Validate())
		}
		_, err := s.Org.AssignStaff(r.Context(), principalOf(r), st.ID, in)
		return err
	}, "任职已更新")
}

func (s *Server) staffAssignEnd(w http.ResponseWriter, r *http.Request) {
	s.staffSubmit(w, r, "staff/assign", "派驻/调动", func(st *org.Staff, f *Form, pv *app.Validation) error {
		end := f.Date("end_date", pv)
		if !pv.OK() {
			return pv.Err()
		}
		return s.Org.EndAssignment(r.Context(), principalOf(r), st.ID, end)
	}, "派驻已结束")
}

func (s *Server) staffSupervisorPage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	f := formOf(map[string]string{"start_date": s.today().String(), "end_date": s.today().String()})
	s.renderStaffSub(w, r, http.StatusOK, "staff/supervisor", "设置督导", st, f)
}

func (s *Server) staffSupervisor(w http.ResponseWriter, r *http.Request) {
	s.staffSubmit(w, r, "staff/supervisor", "设置督导", func(st *org.Staff, f *Form, pv *app.Validation) error {
		in := org.SupervisorInput{SupervisorID: f.Int64("supervisor_id"), StartDate: f.Date("start_date", pv)}
		if !pv.OK() {
			return withParseErrors(pv, in.Validate(st.ID))
		}
		return s.Org.SetSupervisor(r.Context(), principalOf(r), st.ID, in)
	}, "督导关系已更新")
}

func (s *Server) staffSupervisorEnd(w http.ResponseWriter, r *http.Request) {
	s.staffSubmit(w, r, "staff/supervisor", "设置督导", func(st *org.Staff, f *Form, pv *app.Validation) error {
		end := f.Date("end_date", pv)
		if !pv.OK() {
			return pv.Err()
		}
		return s.Org.EndSupervision(r.Context(), principalOf(r), st.ID, end)
	}, "督导关系已结束")
}

func (s *Server) staffCertificateNew(w http.ResponseWriter, r *http.Request) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	s.renderStaffSub(w, r, http.StatusOK, "staff/certificate", "添加资格证书", st, formOf(nil))
}

func (s *Server) staffCertificateCreate(w http.ResponseWriter, r *http.Request) {
	s.staffSubmit(w, r, "staff/certificate", "添加资格证书", func(st *org.Staff, f *Form, pv *app.Validation) error {
		in := org.CertificateInput{Kind: f.Get("kind"), Number: f.Get("number"),
			IssuedOn: f.Date("issued_on", pv), ExpiresOn: f.Date("expires_on", pv)}
		if !pv.OK() {
			return withParseErrors(pv, in.Validate())
		}
		_, err := s.Org.AddCertificate(r.Context(), principalOf(r), st.ID, in)
		return err
	}, "证书已添加")
}

func (s *Server) staffCertificateDelete(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err == nil {
		var cid int64
		if cid, err = peopleID(r, "cid"); err == nil {
			err = s.Org.RemoveCertificate(r.Context(), principalOf(r), id, cid)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/staff/"+idString(id), "证书已删除")
}

func (s *Server) staffLeavePage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	f := formOf(map[string]string{"leave_date": s.today().String(), "version": strconv.Itoa(st.Version)})
	s.renderStaffSub(w, r, http.StatusOK, "staff/leave", "办理离职", st, f)
}

func (s *Server) staffLeave(w http.ResponseWriter, r *http.Request) {
	s.staffSubmit(w, r, "staff/leave", "办理离职", func(st *org.Staff, f *Form, pv *app.Validation) error {
		in := org.StatusInput{Status: "left", LeaveDate: f.Date("leave_date", pv), Version: int(f.Int64("version"))}
		if !pv.OK() {
			return pv.Err()
		}
		return s.Org.SetStaffStatus(r.Context(), principalOf(r), st.ID, in)
	}, "已办理离职")
}

func (s *Server) staffReinstate(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err == nil {
		err = s.Org.SetStaffStatus(r.Context(), principalOf(r), id, org.StatusInput{Status: "active"})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/staff/"+idString(id), "已恢复在职")
}

func (s *Server) staffAccountPage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.staffForPage(w, r)
	if !ok {
		return
	}
	s.renderStaffSub(w, r, http.StatusOK, "staff/account", "关联账号", st, formOf(nil))
}

func (s *Server) staffAccountLink(w http.ResponseWriter, r *http.Request) {
	s.staffSubmit(w, r, "staff/account", "关联账号", func(st *org.Staff, f *Form, _ *app.Validation) error {
		return s.Org.LinkStaffUser(r.Context(), principalOf(r), st.ID, f.Int64("user_id"))
	}, "账号已关联")
}

func (s *Server) staffAccountUnlink(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err == nil {
		err = s.Org.UnlinkStaffUser(r.Context(), principalOf(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/staff/"+idString(id), "已解除账号关联")
}

// ---- JSON API ----

type apiStaffList struct {
	Items []org.Staff `json:"items"`
	Total int         `json:"total"`
}

type apiEndDate struct {
	EndDate app.Date `json:"end_date"`
}

type apiStaffAccount struct {
	UserID int64 `json:"user_id"`
}

type apiCreated struct {
	ID int64 `json:"id"`
}

func (s *Server) apiStaffList(w http.ResponseWriter, r *http.Request) {
	rows, total, err := s.Org.ListStaff(r.Context(), principalOf(r), staffFilterOf(r.URL.Query()), listQuery(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rows == nil {
		rows = []org.Staff{}
	}
	writeJSON(w, http.StatusOK, apiStaffList{Items: rows, Total: total})
}

// apiStaffAnswer answers with the staff record as it is now.
func (s *Server) apiStaffAnswer(w http.ResponseWriter, r *http.Request, code int, id int64) {
	st, err := s.Org.GetStaff(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, code, st)
}

func (s *Server) apiStaffCreate(w http.ResponseWriter, r *http.Request) {
	var in org.StaffInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.Org.CreateStaff(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiStaffAnswer(w, r, http.StatusCreated, id)
}

func (s *Server) apiStaffGet(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiStaffAnswer(w, r, http.StatusOK, id)
}

// apiStaffChange decodes a body into in, runs do and answers with the record.
func apiStaffChange[T any](s *Server, w http.ResponseWriter, r *http.Request, do func(id int64, in T) error) {
	id, err := peopleID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in T
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := do(id, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiStaffAnswer(w, r, http.StatusOK, id)
}

func (s *Server) apiStaffUpdate(w http.ResponseWriter, r *http.Request) {
	apiStaffChange(s, w, r, func(id int64, in org.StaffInput) error {
		return s.Org.UpdateStaff(r.Context(), principalOf(r), id, in)
	})
}

func (s *Server) apiStaffStatus(w http.ResponseWriter, r *http.Request) {
	apiStaffChange(s, w, r, func(id int64, in org.StatusInput) error {
		return s.Org.SetStaffStatus(r.Context(), principalOf(r), id, in)
	})
}

func (s *Server) apiStaffAssign(w http.ResponseWriter, r *http.Request) {
	apiStaffChange(s, w, r, func(id int64, in org.AssignInput) error {
		_, err := s.Org.AssignStaff(r.Context(), principalOf(r), id, in)
		return err
	})
}

func (s *Server) apiStaffAssignEnd(w http.ResponseWriter, r *http.Request) {
	apiStaffChange(s, w, r, func(id int64, in apiEndDate) error {
		return s.Org.EndAssignment(r.Context(), principalOf(r), id, in.EndDate)
	})
}

func (s *Server) apiStaffSupervisor(w http.ResponseWriter, r *http.Request) {
	apiStaffChange(s, w, r, func(id int64, in org.SupervisorInput) error {
		return s.Org.SetSupervisor(r.Context(), principalOf(r), id, in)
	})
}

func (s *Server) apiStaffSupervisorEnd(w http.ResponseWriter, r *http.Request) {
	apiStaffChange(s, w, r, func(id int64, in apiEndDate) error {
		return s.Org.EndSupervision(r.Context(), principalOf(r), id, in.EndDate)
	})
}

func (s *Server) apiStaffCertificateAdd(w http.ResponseWriter, r *http.Request) {
	apiStaffChange(s, w, r, func(id int64, in org.CertificateInput) error {
		_, err := s.Org.AddCertificate(r.Context(), principalOf(r), id, in)
		return err
	})
}

func (s *Server) apiStaffCertificateDelete(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err == nil {
		var cid int64
		if cid, err = peopleID(r, "cid"); err == nil {
			err = s.Org.RemoveCertificate(r.Context(), principalOf(r), id, cid)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiStaffAccountLink(w http.ResponseWriter, r *http.Request) {
	apiStaffChange(s, w, r, func(id int64, in apiStaffAccount) error {
		return s.Org.LinkStaffUser(r.Context(), principalOf(r), id, in.UserID)
	})
}

func (s *Server) apiStaffAccountUnlink(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err == nil {
		err = s.Org.UnlinkStaffUser(r.Context(), principalOf(r), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
