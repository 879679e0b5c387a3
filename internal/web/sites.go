package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/org"
)

// orgStructureRoutes registers the organization-structure pages and API:
// service points with contract years, departments, towns, purchasers and
// domains (SPEC O1, O2).
func (s *Server) orgStructureRoutes() {
	s.siteRoutes()
	s.departmentRoutes()
	s.refDataRoutes()
	s.addNav("组织架构",
		NavItem{Label: "服务点", Href: "/sites", Perm: org.PermSiteRead, Agency: true},
		NavItem{Label: "部门", Href: "/departments", Perm: org.PermDeptRead, Agency: true},
		NavItem{Label: "镇街与用人单位", Href: "/towns", Perm: org.PermRefRead, Agency: true},
		NavItem{Label: "领域", Href: "/domains", Perm: org.PermRefRead, Agency: true})
}

// pagedItems is the JSON answer of every paged list.
type pagedItems[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	Page  int `json:"page"`
	Size  int `json:"size"`
}

func newPagedItems[T any](items []T, total int, q app.ListQuery) pagedItems[T] {
	if items == nil {
		items = []T{}
	}
	return pagedItems[T]{Items: items, Total: total, Page: q.Page, Size: q.Size}
}

// listParams documents the paging parameters every list API accepts.
var listParams = []Param{
	{Name: "page", Desc: "页码，从 1 开始", Type: "integer"},
	{Name: "size", Desc: "每页条数，默认 20，最多 200", Type: "integer"},
	{Name: "sort", Desc: "排序字段", Type: "string"},
	{Name: "dir", Desc: "asc 或 desc", Type: "string"},
	{Name: "q", Desc: "关键字", Type: "string"},
}

// pathRecordID reads a numeric path value; anything else is not found.
func pathRecordID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.ErrNotFound(what)
	}
	return id, nil
}

// queryID reads an id filter from the query string (0 when absent or bad).
func queryID(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	return max(id, 0)
}

// renameFields points error messages at the form's own field names.
func renameFields(err error, names map[string]string) error {
	var e *app.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	c := *e
	c.Fields = map[string]string{}
	for k, m := range e.Fields {
		if n, ok := names[k]; ok {
			k = n
		}
		c.Fields[k] = m
	}
	return &c
}

// formFailed re-renders a form after a rejected submission, keeping the
// input; errors that are not about the input fail the request.
func (s *Server) formFailed(w http.ResponseWriter, r *http.Request, f *Form, err error, show func(status int)) {
	if !f.SetError(err) {
		s.fail(w, r, err)
		return
	}
	show(status(app.ErrorCode(err)))
}

var siteKindTags = map[string]string{org.SiteCentre: "blue", org.SiteProject: "orange", org.SitePost: "grey"}

func siteKindOptions() []Option {
	var out []Option
	for _, k := range org.SiteKindOrder {
		out = append(out, Option{Value: k, Label: org.SiteKindName(k)})
	}
	return out
}

func activeStatusOptions() []Option {
	return []Option{{Value: org.StatusActive, Label: "启用"}, {Value: org.StatusInactive, Label: "已停用"}}
}

func activeStatusTag(status string) string {
	if status == org.StatusActive {
		return "green"
	}
	return "grey"
}

// sitePositionName names the common positions at a service point.
func sitePositionName(pos string) string {
	switch pos {
	case "centre_head":
		return "中心负责人"
	case "deputy_head":
		return "副主任"
	case "supervisor":
		return "督导"
	case "worker":
		return "社工"
	case "assistant":
		return "社工助理"
	case "centre_finance":
		return "中心财务"
	case "volunteer_manager":
		return "义工管理员"
	}
	return pos
}

func (s *Server) siteRoutes() {
	rt := s.router
	read, write := org.PermSiteRead, org.PermSiteWrite
	rt.Handle(Route{Method: "GET", Pattern: "/sites", Access: Permitted, Perm: read, Summary: "服务点列表"}, s.siteList)
	rt.Handle(Route{Method: "GET", Pattern: "/sites/new", Access: Permitted, Perm: write, Summary: "新建服务点页"}, s.siteNew)
	rt.Handle(Route{Method: "POST", Pattern: "/sites", Access: Permitted, Perm: write, Summary: "新建服务点"}, s.siteCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/sites/{id}", Access: Permitted, Perm: read, Object: "site", Summary: "服务点详情"}, s.siteShow)
	rt.Handle(Route{Method: "GET", Pattern: "/sites/{id}/edit", Access: Permitted, Perm: write, Object: "site", Summary: "编辑服务点页"}, s.siteEdit)
	rt.Handle(Route{Method: "POST", Pattern: "/sites/{id}/edit", Access: Permitted, Perm: write, Object: "site", Summary: "保存服务点"}, s.siteUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/sites/{id}/deactivate", Access: Permitted, Perm: write, Object: "site", Summary: "停用服务点"}, s.siteSetActive(false))
	rt.Handle(Route{Method: "POST", Pattern: "/sites/{id}/activate", Access: Permitted, Perm: write, Object: "site", Summary: "重新启用服务点"}, s.siteSetActive(true))
	rt.Handle(Route{Method: "GET", Pattern: "/sites/{id}/contract-years/new", Access: Permitted, Perm: write, Object: "site", Summary: "新增合同年页"}, s.contractYearNew)
	rt.Handle(Route{Method: "POST", Pattern: "/sites/{id}/contract-years", Access: Permitted, Perm: write, Object: "site", Summary: "新增合同年"}, s.contractYearCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/sites/{id}/contract-years/{cid}/edit", Access: Permitted, Perm: write, Object: "site", Summary: "编辑合同年页"}, s.contractYearEdit)
	rt.Handle(Route{Method: "POST", Pattern: "/sites/{id}/contract-years/{cid}/edit", Access: Permitted, Perm: write, Object: "site", Summary: "保存合同年"}, s.contractYearUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/sites/{id}/contract-years/{cid}/delete", Access: Permitted, Perm: write, Object: "site", Summary: "删除合同年"}, s.contractYearDelete)

	tag := "组织架构"
	siteQuery := append([]Param{
		{Name: "kind", Desc: "类型：centre 社区综合服务中心、project 项目、post 岗位", Type: "string"},
		{Name: "town_id", Desc: "镇街编号", Type: "integer"},
		{Name: "purchaser_id", Desc: "用人单位编号", Type: "integer"},
		{Name: "status", Desc: "状态：active 或 inactive", Type: "string"},
	}, listParams...)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/sites", Access: Permitted, Perm: read, Summary: "服务点列表",
		API: &APIDoc{Tag: tag, Response: pagedItems[org.ServicePoint]{}, Query: siteQuery}}, s.apiSiteList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/sites", Access: Permitted, Perm: write, Summary: "新建服务点",
		API: &APIDoc{Tag: tag, Request: org.SiteInput{}, Response: org.ServicePoint{}}}, s.apiSiteCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/sites/{id}", Access: Permitted, Perm: read, Object: "site", Summary: "服务点详情",
		API: &APIDoc{Tag: tag, Response: org.ServicePoint{}}}, s.apiSiteGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/sites/{id}", Access: Permitted, Perm: write, Object: "site",
		Summary: "修改服务点（须带读取时的 version）", API: &APIDoc{Tag: tag, Request: org.SiteInput{}, Response: org.ServicePoint{}}}, s.apiSiteUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/sites/{id}/deactivate", Access: Permitted, Perm: write, Object: "site", Summary: "停用服务点",
		API: &APIDoc{Tag: tag, Response: org.ServicePoint{}}}, s.apiSiteSetActive(false))
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/sites/{id}/activate", Access: Permitted, Perm: write, Object: "site", Summary: "重新启用服务点",
		API: &APIDoc{Tag: tag, Response: org.ServicePoint{}}}, s.apiSiteSetActive(true))
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/sites/{id}/staff", Access: Permitted, Perm: org.PermStaffRead, Object: "site", Summary: "服务点在岗同工",
		API: &APIDoc{Tag: tag, Response: []org.SiteMember{}}}, s.apiSiteMembers)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/sites/{id}/history", Access: Permitted, Perm: read, Object: "site", Summary: "服务点变更记录",
		API: &APIDoc{Tag: tag, Response: []org.Change{}}}, s.apiSiteHistory)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/sites/{id}/contract-years", Access: Permitted, Perm: org.PermContractRead, Object: "site", Summary: "服务点的合同年",
		API: &APIDoc{Tag: tag, Response: []org.ContractYear{}}}, s.apiContractYears)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/sites/{id}/contract-years", Access: Permitted, Perm: write, Object: "site", Summary: "新增合同年",
		API: &APIDoc{Tag: tag, Request: org.ContractYearInput{}, Response: org.ContractYear{}}}, s.apiContractYearCreate)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/sites/{id}/contract-years/{cid}", Access: Permitted, Perm: write, Object: "site", Summary: "修改合同年",
		API: &APIDoc{Tag: tag, Request: org.ContractYearInput{}, Response: org.ContractYear{}}}, s.apiContractYearUpdate)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/sites/{id}/contract-years/{cid}", Access: Permitted, Perm: write, Object: "site", Summary: "删除合同年",
		API: &APIDoc{Tag: tag}}, s.apiContractYearDelete)
}

// Lists.

func siteFilterOf(r *http.Request) org.SiteFilter {
	v := r.URL.Query()
	return org.SiteFilter{Kind: v.Get("kind"), Status: v.Get("status"), TownID: queryID(r, "town_id"),
		PurchaserID: queryID(r, "purchaser_id")}
}

// refOptions returns the towns and purchasers of p's organization as choices.
func (s *Server) refOptions(r *http.Request) (towns, purchasers []Option, err error) {
	p := principalOf(r)
	all := app.ListQuery{Page: 1, Size: 0, Sort: "name"}
	ts, _, err := s.Org.ListTowns(r.Context(), p, all)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range ts {
		towns = append(towns, Option{Value: idString(t.ID), Label: t.Name})
	}
	ps, _, err := s.Org.ListPurchasers(r.Context(), p, all)
	if err != nil {
		return nil, nil, err
	}
	for _, pu := range ps {
		purchasers = append(purchasers, Option{Value: idString(pu.ID), Label: pu.Name})
	}
	return towns, purchasers, nil
}

type siteListData struct {
	List      ListView
	CanCreate bool
}

func (s *Server) siteList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	q := listQuery(r)
	rows, total, err := s.Org.ListSites(r.Context(), p, siteFilterOf(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	towns, purchasers, err := s.refOptions(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := ListDef[org.ServicePoint]{
		Sheet:  "服务点",
		Search: "编号、名称或地址",
		Empty:  "还没有服务点",
		Filters: []Filter{
			{Name: "kind", Label: "类型", Type: "select", Options: siteKindOptions()},
			{Name: "town_id", Label: "镇街", Type: "select", Options: towns},
			{Name: "purchaser_id", Label: "用人单位", Type: "select", Options: purchasers},
			{Name: "status", Label: "状态", Type: "select", Options: activeStatusOptions()},
		},
		Cols: []ListCol[org.ServicePoint]{
			{Key: "code", Label: "编号", Width: 12, Cell: func(st org.ServicePoint) Cell {
				return Cell{Text: st.Code, Href: "/sites/" + idString(st.ID)}
			}},
			{Key: "name", Label: "名称", Width: 32, Cell: func(st org.ServicePoint) Cell {
				return Cell{Text: st.Name, Href: "/sites/" + idString(st.ID), Sub: st.Address}
			}, Export: func(st org.ServicePoint) any { return st.Name }},
			{Key: "kind", Label: "类型", Width: 18, Cell: func(st org.ServicePoint) Cell {
				return Cell{Text: st.KindName, Tag: siteKindTags[st.Kind]}
			}},
			{Key: "town", Label: "镇街", Width: 12, Cell: func(st org.ServicePoint) Cell { return Cell{Text: st.TownName} }},
			{Label: "用人单位", Width: 24, Cell: func(st org.ServicePoint) Cell { return Cell{Text: st.PurchaserName} }},
			{Label: "电话", Width: 16, Cell: func(st org.ServicePoint) Cell { return Cell{Text: org.FormatPhone(st.Phone)} }},
			{Label: "在岗同工", Width: 10, Cell: func(st org.ServicePoint) Cell { return Cell{Text: strconv.Itoa(st.StaffCount)} },
				Export: func(st org.ServicePoint) any { return st.StaffCount }},
			{Label: "状态", Width: 8, Cell: func(st org.ServicePoint) Cell {
				return Cell{Text: org.ActiveStatusName(st.Status), Tag: activeStatusTag(st.Status)}
			}},
		},
	}
	if wantsExport(r) {
		// On screen the address shows under the name; the sheet gives it a column.
		def.Cols = slices.Insert(def.Cols, 5, ListCol[org.ServicePoint]{Label: "地址", Width: 30,
			Cell: func(st org.ServicePoint) Cell { return Cell{Text: st.Address} }})
	}
	pg := s.page(r, "服务点", Crumb{Label: "组织架构"}, Crumb{Label: "服务点"})
	serveList(s, w, r, pg, "sites/list", def, q, rows, total, func(lv ListView) any {
		return siteListData{List: lv, CanCreate: p.Scope(org.PermSiteWrite).Has(authz.Org)}
	})
}

// Forms.

type siteFormData struct {
	Action     string
	Cancel     string
	Towns      []Option
	Purchasers []Option
	Kinds      []Option
	Editing    bool
}

func siteInputOf(f *Form) org.SiteInput {
	return org.SiteInput{Code: f.Get("code"), Name: f.Get("name"), Kind: f.Get("kind"), TownID: f.Int64("town_id"),
		PurchaserID: f.Int64("purchaser_id"), Address: f.Get("address"), Phone: f.Get("phone"), Version: f.Int64("version")}
}

func siteFormOf(st *org.ServicePoint) *Form {
	v := map[string]string{"code": st.Code, "name": st.Name, "kind": st.Kind, "address": st.Address,
		"phone": org.FormatPhone(st.Phone), "version": strconv.FormatInt(st.Version, 10)}
	if st.TownID != 0 {
		v["town_id"] = idString(st.TownID)
	}
	if st.PurchaserID != 0 {
		v["purchaser_id"] = idString(st.PurchaserID)
	}
	return formOf(v)
}

func (s *Server) renderSiteForm(w http.ResponseWriter, r *http.Request, status int, f *Form, st *org.ServicePoint) {
	towns, purchasers, err := s.refOptions(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := siteFormData{Action: "/sites", Cancel: "/sites", Towns: towns, Purchasers: purchasers, Kinds: siteKindOptions()}
	title := "新建服务点"
	crumbs := []Crumb{{Label: "组织架构"}, {Label: "服务点", Href: "/sites"}}
	if st != nil {
		title = "编辑服务点"
		d.Editing = true
		d.Action = "/sites/" + idString(st.ID) + "/edit"
		d.Cancel = "/sites/" + idString(st.ID)
		crumbs = append(crumbs, Crumb{Label: st.Name, Href: d.Cancel})
	}
	pg := s.page(r, title, append(crumbs, Crumb{Label: title})...)
	pg.Active = "/sites"
	pg.Form = f
	pg.Data = d
	s.render(w, r, status, "sites/form", pg)
}

func (s *Server) siteNew(w http.ResponseWriter, r *http.Request) {
	s.renderSiteForm(w, r, http.StatusOK, formOf(map[string]string{"kind": org.SiteCentre}), nil)
}

func (s *Server) siteCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id, err := s.Org.CreateSite(r.Context(), principalOf(r), siteInputOf(f))
	if err != nil {
		s.formFailed(w, r, f, err, func(code int) { s.renderSiteForm(w, r, code, f, nil) })
		return
	}
	s.redirect(w, r, "/sites/"+idString(id), "服务点已创建")
}

// writableSiteOf loads the site of the {id} path value for an edit page:
// not found outside p's scope, forbidden when p may only read it.
func (s *Server) writableSiteOf(r *http.Request) (*org.ServicePoint, error) {
	id, err := pathRecordID(r, "id", "服务点")
	if err != nil {
		return nil, err
	}
	p := principalOf(r)
	st, err := s.Org.GetSite(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	if !org.CanWriteSite(p, st) {
		return nil, app.ErrForbidden()
	}
	return st, nil
}

func (s *Server) siteEdit(w http.ResponseWriter, r *http.Request) {
	st, err := s.writableSiteOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderSiteForm(w, r, http.StatusOK, siteFormOf(st), st)
}

func (s *Server) siteUpdate(w http.ResponseWriter, r *http.Request) {
	st, err := s.writableSiteOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	if err := s.Org.UpdateSite(r.Context(), principalOf(r), st.ID, siteInputOf(f)); err != nil {
		s.formFailed(w, r, f, err, func(code int) { s.renderSiteForm(w, r, code, f, st) })
		return
	}
	s.redirect(w, r, "/sites/"+idString(st.ID), "服务点已保存")
}

func (s *Server) siteSetActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathRecordID(r, "id", "服务点")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.Org.SetSiteActive(r.Context(), principalOf(r), id, active); err != nil {
			if c := app.ErrorCode(err); c == app.EConflict || c == app.EInvalid {
				// Show why on the service point's own page.
				s.renderSite(w, r, id, status(c), &Form{Message: app.ErrorMessage(err)})
				return
			}
			s.fail(w, r, err)
			return
		}
		msg := "服务点已停用"
		if active {
			msg = "服务点已重新启用"
		}
		s.redirect(w, r, "/sites/"+idString(id), msg)
	}
}

// Detail page.

type contractRow struct {
	org.ContractYear
	StateName string
	StateTag  string
	DaysLeft  int
}

type siteShowData struct {
	Site         *org.ServicePoint
	Phone        string
	CanWrite     bool
	CanContracts bool
	Contracts    []contractRow
	Total        app.Fen
	ShowMembers  bool
	Members      []siteMemberRow
	History      []org.Change
}

type siteMemberRow struct {
	org.SiteMember
	PositionName string
}

var contractStates = map[string][2]string{
	"upcoming": {"未开始", "blue"},
	"current":  {"执行中", "green"},
	"ending":   {"即将到期", "orange"},
	"ended":    {"已结束", "grey"},
}

func (s *Server) siteShow(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderSite(w, r, id, http.StatusOK, nil)
}

// renderSite shows a service point's page; notice, when set, explains on
// top why an action was refused.
func (s *Server) renderSite(w http.ResponseWriter, r *http.Request, id int64, code int, notice *Form) {
	ctx, p := r.Context(), principalOf(r)
	st, err := s.Org.GetSite(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := siteShowData{Site: st, Phone: org.FormatPhone(st.Phone), CanWrite: org.CanWriteSite(p, st),
		CanContracts: org.CanReadContracts(p, st)}
	if d.CanContracts {
		cys, err := s.Org.ListContractYears(ctx, p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		today := s.today()
		for _, c := range cys {
			state := contractStates[c.State(today)]
			d.Contracts = append(d.Contracts, contractRow{ContractYear: c, StateName: state[0], StateTag: state[1],
				DaysLeft: today.DaysUntil(c.End)})
		}
		d.Total = org.ContractTotal(cys)
	}
	if d.ShowMembers = org.CanReadSiteStaff(p, st); d.ShowMembers {
		members, err := s.Org.SiteMembers(ctx, p, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, m := range members {
			d.Members = append(d.Members, siteMemberRow{SiteMember: m, PositionName: sitePositionName(m.Position)})
		}
	}
	if d.History, err = s.Org.SiteHistory(ctx, p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, st.Name, Crumb{Label: "组织架构"}, Crumb{Label: "服务点", Href: "/sites"}, Crumb{Label: st.Name})
	pg.Active = "/sites"
	pg.Data = d
	if notice == nil {
		notice = &Form{}
	}
	pg.Form = notice
	s.render(w, r, code, "sites/show", pg)
}

// Contract years.

type contractYearFormData struct {
	Site   *org.ServicePoint
	Action string
	Title  string
}

// contractYearInputOf parses the form; parse errors and the rules that need
// no database are collected together so that the user sees all at once.
func contractYearInputOf(f *Form) (org.ContractYearInput, error) {
	var v app.Validation
	in := org.ContractYearInput{Label: f.Get("label"), Start: f.Date("start_date", &v), End: f.Date("end_date", &v),
		Note: f.Get("note")}
	if s := f.Get("amount"); s != "" {
		if a, err := app.ParseFen(s); err != nil {
			v.Add("amount_fen", app.ErrorMessage(err))
		} else {
			in.AmountFen = &a
		}
	}
	in.Check(&v)
	return in, v.Err()
}

// contractYearFields maps the service's field names to the form's.
var contractYearFields = map[string]string{"amount_fen": "amount"}

func (s *Server) renderContractYearForm(w http.ResponseWriter, r *http.Request, code int, f *Form, st *org.ServicePoint, cy *org.ContractYear) {
	d := contractYearFormData{Site: st, Action: "/sites/" + idString(st.ID) + "/contract-years", Title: "新增合同年"}
	if cy != nil {
		d.Action = "/sites/" + idString(st.ID) + "/contract-years/" + idString(cy.ID) + "/edit"
		d.Title = "编辑合同年「" + cy.Label + "」"
	}
	pg := s.page(r, d.Title, Crumb{Label: "组织架构"}, Crumb{Label: "服务点", Href: "/sites"},
		Crumb{Label: st.Name, Href: "/sites/" + idString(st.ID)}, Crumb{Label: d.Title})
	pg.Active = "/sites"
	pg.Form = f
	pg.Data = d
	s.render(w, r, code, "sites/contract_year", pg)
}

func (s *Server) contractYearNew(w http.ResponseWriter, r *http.Request) {
	st, err := s.writableSiteOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cys, err := s.Org.ListContractYears(r.Context(), principalOf(r), st.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Suggest the year that follows the latest one.
	v := map[string]string{}
	if len(cys) > 0 {
		start := cys[0].End.AddDays(1)
		v["start_date"] = start.String()
		v["end_date"] = start.AddMonths(12).AddDays(-1).String()
		v["label"] = strconv.Itoa(start.Year()) + "合同年"
		v["amount"] = cys[0].AmountFen.Plain(true)
	}
	s.renderContractYearForm(w, r, http.StatusOK, formOf(v), st, nil)
}

func (s *Server) contractYearCreate(w http.ResponseWriter, r *http.Request) {
	st, err := s.writableSiteOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	in, err := contractYearInputOf(f)
	if err == nil {
		_, err = s.Org.CreateContractYear(r.Context(), principalOf(r), st.ID, in)
	}
	if err != nil {
		s.formFailed(w, r, f, renameFields(err, contractYearFields), func(code int) {
			s.renderContractYearForm(w, r, code, f, st, nil)
		})
		return
	}
	s.redirect(w, r, "/sites/"+idString(st.ID)+"#contract-years", "合同年已添加")
}

func (s *Server) siteContractYear(r *http.Request) (*org.ServicePoint, *org.ContractYear, error) {
	st, err := s.writableSiteOf(r)
	if err != nil {
		return nil, nil, err
	}
	cid, err := pathRecordID(r, "cid", "合同年")
	if err != nil {
		return nil, nil, err
	}
	cy, err := s.Org.GetContractYear(r.Context(), principalOf(r), st.ID, cid)
	return st, cy, err
}

func (s *Server) contractYearEdit(w http.ResponseWriter, r *http.Request) {
	st, cy, err := s.siteContractYear(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(map[string]string{"label": cy.Label, "start_date": cy.Start.String(), "end_date": cy.End.String(),
		"amount": cy.AmountFen.Plain(true), "note": cy.Note})
	s.renderContractYearForm(w, r, http.StatusOK, f, st, cy)
}

func (s *Server) contractYearUpdate(w http.ResponseWriter, r *http.Request) {
	st, cy, err := s.siteContractYear(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	in, err := contractYearInputOf(f)
	if err == nil {
		err = s.Org.UpdateContractYear(r.Context(), principalOf(r), st.ID, cy.ID, in)
	}
	if err != nil {
		s.formFailed(w, r, f, renameFields(err, contractYearFields), func(code int) {
			s.renderContractYearForm(w, r, code, f, st, cy)
		})
		return
	}
	s.redirect(w, r, "/sites/"+idString(st.ID)+"#contract-years", "合同年已保存")
}

func (s *Server) contractYearDelete(w http.ResponseWriter, r *http.Request) {
	st, cy, err := s.siteContractYear(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Org.DeleteContractYear(r.Context(), principalOf(r), st.ID, cy.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/sites/"+idString(st.ID)+"#contract-years", "合同年「"+cy.Label+"」已删除")
}

// JSON API.

func (s *Server) apiSiteList(w http.ResponseWriter, r *http.Request) {
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := s.Org.ListSites(r.Context(), principalOf(r), siteFilterOf(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPagedItems(rows, total, q))
}

func (s *Server) apiSiteGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	if err == nil {
		s.apiSiteAnswer(w, r, id, http.StatusOK)
		return
	}
	s.writeError(w, r, err)
}

func (s *Server) apiSiteAnswer(w http.ResponseWriter, r *http.Request, id int64, code int) {
	st, err := s.Org.GetSite(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, code, st)
}

func (s *Server) apiSiteCreate(w http.ResponseWriter, r *http.Request) {
	var in org.SiteInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.Org.CreateSite(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiSiteAnswer(w, r, id, http.StatusCreated)
}

func (s *Server) apiSiteUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in org.SiteInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Org.UpdateSite(r.Context(), principalOf(r), id, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiSiteAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiSiteSetActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathRecordID(r, "id", "服务点")
		if err == nil {
			err = s.Org.SetSiteActive(r.Context(), principalOf(r), id, active)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.apiSiteAnswer(w, r, id, http.StatusOK)
	}
}

func (s *Server) apiSiteMembers(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	var ms []org.SiteMember
	if err == nil {
		ms, err = s.Org.SiteMembers(r.Context(), principalOf(r), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ms == nil {
		ms = []org.SiteMember{}
	}
	writeJSON(w, http.StatusOK, ms)
}

func (s *Server) apiSiteHistory(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	var h []org.Change
	if err == nil {
		h, err = s.Org.SiteHistory(r.Context(), principalOf(r), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) apiContractYears(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	var cys []org.ContractYear
	if err == nil {
		cys, err = s.Org.ListContractYears(r.Context(), principalOf(r), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cys)
}

func (s *Server) apiContractYearCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	var in org.ContractYearInput
	if err == nil {
		err = decodeJSON(r, &in)
	}
	var cid int64
	if err == nil {
		cid, err = s.Org.CreateContractYear(r.Context(), principalOf(r), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiContractYearAnswer(w, r, id, cid, http.StatusCreated)
}

func (s *Server) apiContractYearAnswer(w http.ResponseWriter, r *http.Request, siteID, id int64, code int) {
	cy, err := s.Org.GetContractYear(r.Context(), principalOf(r), siteID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, code, cy)
}

func (s *Server) apiContractYearUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	var cid int64
	if err == nil {
		cid, err = pathRecordID(r, "cid", "合同年")
	}
	var in org.ContractYearInput
	if err == nil {
		err = decodeJSON(r, &in)
	}
	if err == nil {
		err = s.Org.UpdateContractYear(r.Context(), principalOf(r), id, cid, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiContractYearAnswer(w, r, id, cid, http.StatusOK)
}

func (s *Server) apiContractYearDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "服务点")
	var cid int64
	if err == nil {
		cid, err = pathRecordID(r, "cid", "合同年")
	}
	if err == nil {
		err = s.Org.DeleteContractYear(r.Context(), principalOf(r), id, cid)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
