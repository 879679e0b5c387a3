package web

import (
	"net/http"
	"strings"

	"shegong/internal/app"
	"shegong/internal/org"
)

// Platform pages: the operator manages tenants and sees aggregate counts
// only, never an organization's people.
func (s *Server) tenantRoutes() {
	rt := s.router
	perm := org.PermPlatformOrgs
	rt.Handle(Route{Method: "GET", Pattern: "/platform/orgs", Access: Permitted, Perm: perm, Summary: "机构列表（仅汇总数）"}, s.tenantList)
	rt.Handle(Route{Method: "GET", Pattern: "/platform/orgs/new", Access: Permitted, Perm: perm, Summary: "新增机构页"}, s.tenantNew)
	rt.Handle(Route{Method: "POST", Pattern: "/platform/orgs", Access: Permitted, Perm: perm, Summary: "新增机构及其管理员"}, s.tenantCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/organizations", Access: Permitted, Perm: perm, Summary: "机构列表（仅汇总数）",
		API: &APIDoc{Tag: "平台", Response: []org.Organization{}}}, s.apiTenantList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/organizations", Access: Permitted, Perm: perm, Summary: "新增机构及其管理员（返回一次性初始密码）",
		API: &APIDoc{Tag: "平台", Request: org.OrgInput{}, Response: apiNewTenant{}}}, s.apiTenantCreate)
	s.addNav("平台管理", NavItem{Label: "机构", Href: "/platform/orgs", Perm: perm, Platform: true})
}

func tenantListDef() ListDef[org.Organization] {
	num := func(n int) Cell { return Cell{Text: groupDigits(n)} }
	return ListDef[org.Organization]{
		Sheet:  "机构",
		Search: "机构代码或名称",
		Empty:  "还没有机构",
		Cols: []ListCol[org.Organization]{
			{Label: "机构代码", Cell: func(o org.Organization) Cell { return Cell{Text: o.Code} }},
			{Label: "机构名称", Cell: func(o org.Organization) Cell { return Cell{Text: o.Name} }, Width: 30},
			{Label: "状态", Cell: func(o org.Organization) Cell {
				if o.Status == "active" {
					return Cell{Text: "启用", Tag: "green"}
				}
				return Cell{Text: "停用", Tag: "grey"}
			}},
			{Label: "服务点数", Cell: func(o org.Organization) Cell { return num(o.Sites) }, Export: func(o org.Organization) any { return o.Sites }},
			{Label: "在职同工数", Cell: func(o org.Organization) Cell { return num(o.Staff) }, Export: func(o org.Organization) any { return o.Staff }},
			{Label: "启用账号数", Cell: func(o org.Organization) Cell { return num(o.Users) }, Export: func(o org.Organization) any { return o.Users }},
			{Label: "创建时间", Cell: func(o org.Organization) Cell { return Cell{Text: o.CreatedAt.In(app.Local).Format("2006-01-02")} },
				Export: func(o org.Organization) any { return o.CreatedAt.In(app.Local) }},
		},
	}
}

func (s *Server) tenantList(w http.ResponseWriter, r *http.Request) {
	q := listQuery(r)
	all, err := s.Org.ListOrganizations(r.Context(), principalOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The platform has few tenants: search and page in memory.
	var rows []org.Organization
	for _, o := range all {
		if q.Q == "" || strings.Contains(strings.ToLower(o.Code), strings.ToLower(q.Q)) || strings.Contains(o.Name, q.Q) {
			rows = append(rows, o)
		}
	}
	total := len(rows)
	if q.Size > 0 {
		from := min((q.Page-1)*q.Size, total)
		rows = rows[from:min(from+q.Size, total)]
	}
	pg := s.page(r, "机构", Crumb{Label: "平台管理"}, Crumb{Label: "机构"})
	serveList(s, w, r, pg, "platform/orgs", tenantListDef(), q, rows, total, func(lv ListView) any { return lv })
}

func (s *Server) renderTenantForm(w http.ResponseWriter, r *http.Request, code int, f *Form) {
	pg := s.page(r, "新增机构", Crumb{Label: "平台管理"}, Crumb{Label: "机构", Href: "/platform/orgs"}, Crumb{Label: "新增"})
	pg.Form = f
	s.render(w, r, code, "platform/org_form", pg)
}

func (s *Server) tenantNew(w http.ResponseWriter, r *http.Request) {
	s.renderTenantForm(w, r, http.StatusOK, formOf(nil))
}

type newTenantData struct {
	Code, Name, AdminUsername, Password string
}

func (s *Server) tenantCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	in := org.OrgInput{Code: f.Get("code"), Name: f.Get("name"), AdminUsername: f.Get("admin_username"), AdminName: f.Get("admin_name")}
	_, pw, err := s.Org.CreateOrganization(r.Context(), principalOf(r), in)
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderTenantForm(w, r, formStatus(err), f)
		return
	}
	pg := s.page(r, "机构已创建", Crumb{Label: "平台管理"}, Crumb{Label: "机构", Href: "/platform/orgs"}, Crumb{Label: in.Name})
	pg.Data = newTenantData{Code: strings.ToLower(in.Code), Name: in.Name, AdminUsername: in.AdminUsername, Password: pw}
	s.render(w, r, http.StatusOK, "platform/org_created", pg)
}

type apiNewTenant struct {
	ID              int64  `json:"id"`
	AdminUsername   string `json:"admin_username"`
	InitialPassword string `json:"initial_password"`
}

func (s *Server) apiTenantList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Org.ListOrganizations(r.Context(), principalOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []org.Organization{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiTenantCreate(w http.ResponseWriter, r *http.Request) {
	var in org.OrgInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, pw, err := s.Org.CreateOrganization(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiNewTenant{ID: id, AdminUsername: strings.TrimSpace(in.AdminUsername), InitialPassword: pw})
}
