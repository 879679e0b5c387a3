package web

import (
	"net/http"
	"net/url"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/org"
)

func (s *Server) userRoutes() {
	rt := s.router
	perm := org.PermUserAdmin
	h := func(method, pattern, summary string, fn http.HandlerFunc, doc *APIDoc) {
		obj := ""
		if containsID(pattern) {
			obj = "user"
		}
		if doc != nil {
			doc.Tag = "账号"
		}
		rt.Handle(Route{Method: method, Pattern: pattern, Access: Permitted, Perm: perm, Object: obj, Summary: summary, API: doc}, fn)
	}
	h("GET", "/users", "账号列表", s.userList, nil)
	h("GET", "/users/new", "新增账号页", s.userNew, nil)
	h("POST", "/users", "新增账号", s.userCreate, nil)
	h("GET", "/users/{id}", "账号详情", s.userShow, nil)
	h("POST", "/users/{id}/roles", "修改角色", s.userRoles, nil)
	h("POST", "/users/{id}/password", "重置密码", s.userResetPassword, nil)
	h("POST", "/users/{id}/status", "启用或停用账号", s.userStatus, nil)

	h("GET", "/api/v1/users", "账号列表", s.apiUserList, &APIDoc{Response: apiUserList{}, Query: []Param{
		{Name: "role", Desc: "角色代码", Type: "string"}, {Name: "status", Desc: "active 启用 / disabled 停用", Type: "string"},
		{Name: "q", Desc: "按用户名或姓名搜索", Type: "string"}, {Name: "page", Desc: "页码", Type: "integer"},
		{Name: "size", Desc: "每页条数", Type: "integer"}}})
	h("POST", "/api/v1/users", "新增账号（返回一次性初始密码）", s.apiUserCreate, &APIDoc{Request: org.UserInput{}, Response: apiNewPassword{}})
	h("GET", "/api/v1/users/{id}", "账号详情", s.apiUserGet, &APIDoc{Response: org.User{}})
	h("PUT", "/api/v1/users/{id}/roles", "修改角色（不能修改自己的角色）", s.apiUserRoles, &APIDoc{Request: apiRoles{}, Response: org.User{}})
	h("POST", "/api/v1/users/{id}/password", "重置密码（返回一次性初始密码）", s.apiUserResetPassword, &APIDoc{Response: apiNewPassword{}})
	h("POST", "/api/v1/users/{id}/status", "启用或停用账号", s.apiUserStatus, &APIDoc{Request: apiActive{}, Response: org.User{}})

	s.addNav("系统设置", NavItem{Label: "账号与角色", Href: "/users", Perm: perm, Agency: true})
}

// agencyRoleOptions are the roles an agency account can hold.
func agencyRoleOptions() []Option {
	var out []Option
	for _, ri := range authz.Roles {
		if !ri.Platform {
			out = append(out, Option{Value: string(ri.Role), Label: ri.Name})
		}
	}
	return out
}

func agencyRoles() []authz.RoleInfo {
	var out []authz.RoleInfo
	for _, ri := range authz.Roles {
		if !ri.Platform {
			out = append(out, ri)
		}
	}
	return out
}

func roleNames(rs []authz.Role) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = authz.RoleName(r)
	}
	return strings.Join(names, "、")
}

func rolesOf(values []string) []authz.Role {
	out := make([]authz.Role, 0, len(values))
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, authz.Role(v))
		}
	}
	return out
}

var userStatusOptions = []Option{{Value: "active", Label: "启用"}, {Value: "disabled", Label: "停用"}}

func userFilterOf(v url.Values) org.UserFilter {
	f := org.UserFilter{Role: authz.Role(v.Get("role"))}
	if st := v.Get("status"); st == "active" || st == "disabled" {
		f.Status = st
	}
	return f
}

func userListDef() ListDef[org.User] {
	href := func(u org.User) string { return "/users/" + idString(u.ID) }
	return ListDef[org.User]{
		Sheet:  "账号",
		Search: "用户名或姓名",
		Empty:  "没有符合条件的账号",
		Filters: []Filter{
			{Name: "role", Label: "角色", Type: "select", Options: agencyRoleOptions()},
			{Name: "status", Label: "状态", Type: "select", Options: userStatusOptions},
		},
		Cols: []ListCol[org.User]{
			{Key: "username", Label: "用户名", Cell: func(u org.User) Cell { return Cell{Text: u.Username, Href: href(u)} }},
			{Key: "name", Label: "姓名", Cell: func(u org.User) Cell { return Cell{Text: u.DisplayName} }},
			{Label: "角色", Cell: func(u org.User) Cell { return Cell{Text: roleNames(u.Roles)} }, Width: 30},
			{Label: "关联同工", Cell: func(u org.User) Cell {
				if u.StaffID == 0 {
					return Cell{Text: "—"}
				}
				return Cell{Text: u.StaffName, Href: "/staff/" + idString(u.StaffID)}
			}},
			{Label: "状态", Cell: func(u org.User) Cell {
				c := Cell{Text: "启用", Tag: "green"}
				if u.Status != "active" {
					c = Cell{Text: "停用", Tag: "grey"}
				}
				if u.MustChange {
					c.Sub = "待首次改密"
				}
				return c
			}, Export: func(u org.User) any {
				if u.Status != "active" {
					return "停用"
				}
				return "启用"
			}},
			{Key: "created", Label: "创建时间", Cell: func(u org.User) Cell {
				return Cell{Text: u.CreatedAt.In(app.Local).Format("2006-01-02 15:04")}
			}, Export: func(u org.User) any { return u.CreatedAt.In(app.Local) }, Width: 18},
		},
	}
}

func (s *Server) userList(w http.ResponseWriter, r *http.Request) {
	q := listQuery(r)
	rows, total, err := s.Org.ListUsers(r.Context(), principalOf(r), userFilterOf(r.URL.Query()), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "账号与角色", Crumb{Label: "系统设置"}, Crumb{Label: "账号与角色"})
	serveList(s, w, r, pg, "users/list", userListDef(), q, rows, total, func(lv ListView) any { return lv })
}

type userFormData struct {
	Roles      []Option
	RoleInfo   []authz.RoleInfo
	StaffOpts  []Option
	StaffFixed *org.Staff // when coming from a staff record
}

func (s *Server) renderUserForm(w http.ResponseWriter, r *http.Request, code int, f *Form) {
	p := principalOf(r)
	staff, err := s.Org.StaffWithoutAccountOptions(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "新增账号", Crumb{Label: "系统设置"}, Crumb{Label: "账号与角色", Href: "/users"}, Crumb{Label: "新增"})
	pg.Form = f
	pg.Data = userFormData{Roles: agencyRoleOptions(), RoleInfo: agencyRoles(), StaffOpts: idOptions(staff)}
	s.render(w, r, code, "users/form", pg)
}

// userNew may come from a staff record (?staff_id=): the account is then
// linked to that person and named after them.
func (s *Server) userNew(w http.ResponseWriter, r *http.Request) {
	f := &Form{Values: url.Values{}}
	if sid := r.URL.Query().Get("staff_id"); sid != "" {
		f.Values.Set("staff_id", sid)
		if id, err := parsePeopleID(sid); err == nil {
			if st, err := s.Org.GetStaff(r.Context(), principalOf(r), id); err == nil {
				f.Values.Set("display_name", st.Name)
				f.Values.Add("roles", string(authz.RoleWorker))
			}
		}
	}
	s.renderUserForm(w, r, http.StatusOK, f)
}

type newPasswordData struct {
	User     *org.User
	Password string
	Created  bool
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	p := principalOf(r)
	in := org.UserInput{Username: f.Get("username"), DisplayName: f.Get("display_name"), Roles: rolesOf(f.All("roles")),
		StaffID: f.Int64("staff_id")}
	id, pw, err := s.Org.CreateUser(r.Context(), p, in)
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderUserForm(w, r, formStatus(err), f)
		return
	}
	s.renderNewPassword(w, r, id, pw, true)
}

// renderNewPassword shows an initial password once; it is never stored in
// a cookie or shown again.
func (s *Server) renderNewPassword(w http.ResponseWriter, r *http.Request, id int64, pw string, created bool) {
	u, err := s.Org.GetUser(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title := "初始密码已重置"
	if created {
		title = "账号已创建"
	}
	pg := s.page(r, title, Crumb{Label: "系统设置"}, Crumb{Label: "账号与角色", Href: "/users"},
		Crumb{Label: u.Username, Href: "/users/" + idString(u.ID)})
	pg.Data = newPasswordData{User: u, Password: pw, Created: created}
	s.render(w, r, http.StatusOK, "users/password", pg)
}

type userShowData struct {
	User     *org.User
	Self     bool
	Roles    []Option
	RoleInfo []authz.RoleInfo
	// TOTP tells whether the account has a second factor; CanResetTOTP
	// whether the viewer may reset it.
	TOTP, CanResetTOTP bool
}

func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, code int, u *org.User, f *Form) {
	p := principalOf(r)
	if f == nil {
		v := url.Values{}
		for _, role := range u.Roles {
			v.Add("roles", string(role))
		}
		f = &Form{Values: v}
	}
	pg := s.page(r, u.Username, Crumb{Label: "系统设置"}, Crumb{Label: "账号与角色", Href: "/users"}, Crumb{Label: u.Username})
	pg.Form = f
	hasTOTP, err := s.Auth.HasFactor(r.Context(), u.OrgID, u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Data = userShowData{User: u, Self: u.ID == p.UserID, Roles: agencyRoleOptions(), RoleInfo: agencyRoles(),
		TOTP: hasTOTP, CanResetTOTP: canResetTOTP(p)}
	s.render(w, r, code, "users/show", pg)
}

func (s *Server) userForPage(w http.ResponseWriter, r *http.Request) (*org.User, bool) {
	id, err := peopleID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	u, err := s.Org.GetUser(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return u, true
}

func (s *Server) userShow(w http.ResponseWriter, r *http.Request) {
	u, ok := s.userForPage(w, r)
	if !ok {
		return
	}
	s.renderUser(w, r, http.StatusOK, u, nil)
}

func (s *Server) userRoles(w http.ResponseWriter, r *http.Request) {
	u, ok := s.userForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	if err := s.Org.SetRoles(r.Context(), principalOf(r), u.ID, rolesOf(f.All("roles"))); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderUser(w, r, formStatus(err), u, f)
		return
	}
	s.redirect(w, r, "/users/"+idString(u.ID), "角色已更新，该账号下次请求时生效")
}

func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := s.userForPage(w, r)
	if !ok {
		return
	}
	pw, err := s.Org.ResetPassword(r.Context(), principalOf(r), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderNewPassword(w, r, u.ID, pw, false)
}

func (s *Server) userStatus(w http.ResponseWriter, r *http.Request) {
	u, ok := s.userForPage(w, r)
	if !ok {
		return
	}
	f := newForm(r)
	active := f.Get("active") == "1"
	if err := s.Org.SetUserActive(r.Context(), principalOf(r), u.ID, active); err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "账号已停用，其登录会话已全部结束"
	if active {
		msg = "账号已启用"
	}
	s.redirect(w, r, "/users/"+idString(u.ID), msg)
}

// ---- JSON API ----

type apiUserList struct {
	Items []org.User `json:"items"`
	Total int        `json:"total"`
}

type apiNewPassword struct {
	ID              int64  `json:"id"`
	Username        string `json:"username"`
	InitialPassword string `json:"initial_password"`
}

type apiRoles struct {
	Roles []authz.Role `json:"roles"`
}

type apiActive struct {
	Active bool `json:"active"`
}

func (s *Server) apiUserList(w http.ResponseWriter, r *http.Request) {
	rows, total, err := s.Org.ListUsers(r.Context(), principalOf(r), userFilterOf(r.URL.Query()), listQuery(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rows == nil {
		rows = []org.User{}
	}
	writeJSON(w, http.StatusOK, apiUserList{Items: rows, Total: total})
}

func (s *Server) apiUserCreate(w http.ResponseWriter, r *http.Request) {
	var in org.UserInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, pw, err := s.Org.CreateUser(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiNewPassword{ID: id, Username: strings.TrimSpace(in.Username), InitialPassword: pw})
}

func (s *Server) apiUserAnswer(w http.ResponseWriter, r *http.Request, id int64) {
	u, err := s.Org.GetUser(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiUserGet(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiUserAnswer(w, r, id)
}

func (s *Server) apiUserRoles(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err == nil {
		// An account outside the organization is not found, whatever the body.
		_, err = s.Org.GetUser(r.Context(), principalOf(r), id)
	}
	var in apiRoles
	if err == nil {
		err = decodeJSON(r, &in)
	}
	if err == nil {
		err = s.Org.SetRoles(r.Context(), principalOf(r), id, in.Roles)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiUserAnswer(w, r, id)
}

func (s *Server) apiUserResetPassword(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	var u *org.User
	if err == nil {
		u, err = s.Org.GetUser(r.Context(), principalOf(r), id)
	}
	var pw string
	if err == nil {
		pw, err = s.Org.ResetPassword(r.Context(), principalOf(r), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiNewPassword{ID: id, Username: u.Username, InitialPassword: pw})
}

func (s *Server) apiUserStatus(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err == nil {
		_, err = s.Org.GetUser(r.Context(), principalOf(r), id)
	}
	var in apiActive
	if err == nil {
		err = decodeJSON(r, &in)
	}
	if err == nil {
		err = s.Org.SetUserActive(r.Context(), principalOf(r), id, in.Active)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiUserAnswer(w, r, id)
}
