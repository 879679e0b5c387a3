package web

import (
	"context"
	"net/http"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/org"
)

// Reference lists: towns (镇街) and domains (领域), which are just names,
// and purchasers (用人单位), which have a contact. Each has a list page with
// an inline form to add one, and an edit page.

// namedRow is a town or a domain as the shared name-list pages show it.
type namedRow struct {
	ID    int64
	Name  string
	Count int
}

// namedRef describes one name-only reference list.
type namedRef struct {
	What       string // 镇街, 领域
	Path       string // /towns
	Object     string // town
	CountLabel string // column of the count
	MaxLen     int
	Help       string
	Tabs       bool // show the 镇街 | 用人单位 tabs
	read       *authz.Perm
	write      *authz.Perm
	canWrite   func(*authz.Principal) bool
	list       func(ctx context.Context, p *authz.Principal, q app.ListQuery) ([]namedRow, int, error)
	get        func(ctx context.Context, p *authz.Principal, id int64) (namedRow, error)
	create     func(ctx context.Context, p *authz.Principal, in org.NameInput) (int64, error)
	rename     func(ctx context.Context, p *authz.Principal, id int64, in org.NameInput) error
}

func (s *Server) townRef() *namedRef {
	return &namedRef{What: "镇街", Path: "/towns", Object: "town", CountLabel: "服务点（启用）", MaxLen: 30, Tabs: true,
		Help: "服务点所在的镇或街道，例如 黄江镇", read: org.PermRefRead, write: org.PermSiteWrite, canWrite: org.CanWriteTowns,
		list: func(ctx context.Context, p *authz.Principal, q app.ListQuery) ([]namedRow, int, error) {
			ts, n, err := s.Org.ListTowns(ctx, p, q)
			out := make([]namedRow, len(ts))
			for i, t := range ts {
				out[i] = namedRow{t.ID, t.Name, t.Sites}
			}
			return out, n, err
		},
		get: func(ctx context.Context, p *authz.Principal, id int64) (namedRow, error) {
			t, err := s.Org.GetTown(ctx, p, id)
			if err != nil {
				return namedRow{}, err
			}
			return namedRow{t.ID, t.Name, t.Sites}, nil
		},
		create: s.Org.CreateTown, rename: s.Org.RenameTown}
}

func (s *Server) domainRef() *namedRef {
	return &namedRef{What: "领域", Path: "/domains", Object: "domain", CountLabel: "在职同工", MaxLen: 20,
		Help: "服务领域，例如 青少年、长者、残障、家庭、学校、社区", read: org.PermRefRead, write: org.PermDeptWrite,
		canWrite: org.CanWriteDomains,
		list: func(ctx context.Context, p *authz.Principal, q app.ListQuery) ([]namedRow, int, error) {
			ds, n, err := s.Org.ListDomains(ctx, p, q)
			out := make([]namedRow, len(ds))
			for i, d := range ds {
				out[i] = namedRow{d.ID, d.Name, d.Staff}
			}
			return out, n, err
		},
		get: func(ctx context.Context, p *authz.Principal, id int64) (namedRow, error) {
			d, err := s.Org.GetDomain(ctx, p, id)
			if err != nil {
				return namedRow{}, err
			}
			return namedRow{d.ID, d.Name, d.Staff}, nil
		},
		create: s.Org.CreateDomain, rename: s.Org.RenameDomain}
}

func (s *Server) refDataRoutes() {
	rt := s.router
	tag := "组织架构"
	for _, ref := range []*namedRef{s.townRef(), s.domainRef()} {
		rt.Handle(Route{Method: "GET", Pattern: ref.Path, Access: Permitted, Perm: ref.read, Summary: ref.What + "列表"}, s.namedList(ref))
		rt.Handle(Route{Method: "POST", Pattern: ref.Path, Access: Permitted, Perm: ref.write, Summary: "新增" + ref.What}, s.namedCreate(ref))
		rt.Handle(Route{Method: "GET", Pattern: ref.Path + "/{id}/edit", Access: Permitted, Perm: ref.write, Object: ref.Object,
			Summary: ref.What + "改名页"}, s.namedEdit(ref))
		rt.Handle(Route{Method: "POST", Pattern: ref.Path + "/{id}/edit", Access: Permitted, Perm: ref.write, Object: ref.Object,
			Summary: ref.What + "改名"}, s.namedRename(ref))
	}
	rt.Handle(Route{Method: "GET", Pattern: "/purchasers", Access: Permitted, Perm: org.PermRefRead, Summary: "用人单位列表"}, s.purchaserList)
	rt.Handle(Route{Method: "POST", Pattern: "/purchasers", Access: Permitted, Perm: org.PermSiteWrite, Summary: "新增用人单位"}, s.purchaserCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/purchasers/{id}/edit", Access: Permitted, Perm: org.PermSiteWrite, Object: "purchaser",
		Summary: "编辑用人单位页"}, s.purchaserEdit)
	rt.Handle(Route{Method: "POST", Pattern: "/purchasers/{id}/edit", Access: Permitted, Perm: org.PermSiteWrite, Object: "purchaser",
		Summary: "保存用人单位"}, s.purchaserUpdate)

	// JSON API.
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/towns", Access: Permitted, Perm: org.PermRefRead, Summary: "镇街列表",
		API: &APIDoc{Tag: tag, Response: pagedItems[org.Town]{}, Query: listParams}}, s.apiTownList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/towns", Access: Permitted, Perm: org.PermSiteWrite, Summary: "新增镇街",
		API: &APIDoc{Tag: tag, Request: org.NameInput{}, Response: org.Town{}}}, s.apiTownCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/towns/{id}", Access: Permitted, Perm: org.PermRefRead, Object: "town", Summary: "镇街详情",
		API: &APIDoc{Tag: tag, Response: org.Town{}}}, s.apiTownGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/towns/{id}", Access: Permitted, Perm: org.PermSiteWrite, Object: "town", Summary: "镇街改名",
		API: &APIDoc{Tag: tag, Request: org.NameInput{}, Response: org.Town{}}}, s.apiTownUpdate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/purchasers", Access: Permitted, Perm: org.PermRefRead,
		Summary: "用人单位列表（无维护权限者电话打码）", API: &APIDoc{Tag: tag, Response: pagedItems[org.Purchaser]{}, Query: listParams}}, s.apiPurchaserList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/purchasers", Access: Permitted, Perm: org.PermSiteWrite, Summary: "新增用人单位",
		API: &APIDoc{Tag: tag, Request: org.PurchaserInput{}, Response: org.Purchaser{}}}, s.apiPurchaserCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/purchasers/{id}", Access: Permitted, Perm: org.PermRefRead, Object: "purchaser",
		Summary: "用人单位详情", API: &APIDoc{Tag: tag, Response: org.Purchaser{}}}, s.apiPurchaserGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/purchasers/{id}", Access: Permitted, Perm: org.PermSiteWrite, Object: "purchaser",
		Summary: "修改用人单位", API: &APIDoc{Tag: tag, Request: org.PurchaserInput{}, Response: org.Purchaser{}}}, s.apiPurchaserUpdate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/domains", Access: Permitted, Perm: org.PermRefRead, Summary: "领域列表",
		API: &APIDoc{Tag: tag, Response: pagedItems[org.Domain]{}, Query: listParams}}, s.apiDomainList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/domains", Access: Permitted, Perm: org.PermDeptWrite, Summary: "新增领域",
		API: &APIDoc{Tag: tag, Request: org.NameInput{}, Response: org.Domain{}}}, s.apiDomainCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/domains/{id}", Access: Permitted, Perm: org.PermRefRead, Object: "domain", Summary: "领域详情",
		API: &APIDoc{Tag: tag, Response: org.Domain{}}}, s.apiDomainGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/domains/{id}", Access: Permitted, Perm: org.PermDeptWrite, Object: "domain", Summary: "领域改名",
		API: &APIDoc{Tag: tag, Request: org.NameInput{}, Response: org.Domain{}}}, s.apiDomainUpdate)
}

type namedListData struct {
	Ref      *namedRef
	List     ListView
	CanWrite bool
}

// serveRefList renders a reference list page with its inline form (code is
// 200, or the error status when the inline form was rejected), or its export.
func serveRefList[T any](s *Server, w http.ResponseWriter, r *http.Request, code int, pg *Page, tmpl string,
	def ListDef[T], q app.ListQuery, rows []T, total int, data func(ListView) any) {
	if wantsExport(r) {
		exportList(s, w, r, def, rows)
		return
	}
	pg.Data = data(buildList(r, def, q, rows, total))
	s.render(w, r, code, tmpl, pg)
}

func (s *Server) renderNamedList(w http.ResponseWriter, r *http.Request, ref *namedRef, code int, f *Form) {
	p := principalOf(r)
	q := listQuery(r)
	rows, total, err := ref.list(r.Context(), p, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	canWrite := ref.canWrite(p)
	def := ListDef[namedRow]{Sheet: ref.What, Search: ref.What + "名称", Empty: "还没有" + ref.What,
		Cols: []ListCol[namedRow]{
			{Key: "name", Label: ref.What, Width: 24, Cell: func(n namedRow) Cell { return Cell{Text: n.Name} }},
			{Key: "count", Label: ref.CountLabel, Width: 14, Cell: func(n namedRow) Cell { return Cell{Text: strconv.Itoa(n.Count)} },
				Export: func(n namedRow) any { return n.Count }},
		}}
	// The sort key of the count differs per list.
	if ref.Object == "town" {
		def.Cols[1].Key = "sites"
	} else {
		def.Cols[1].Key = "staff"
	}
	if canWrite && !wantsExport(r) {
		def.Cols = append(def.Cols, ListCol[namedRow]{Label: "操作", Cell: func(n namedRow) Cell {
			return Cell{Text: "改名", Href: ref.Path + "/" + idString(n.ID) + "/edit"}
		}})
	}
	title := ref.What
	if ref.Tabs {
		title = "镇街与用人单位"
	}
	pg := s.page(r, title, Crumb{Label: "组织架构"}, Crumb{Label: ref.What})
	if f == nil {
		f = &Form{Values: map[string][]string{}}
	}
	pg.Form = f
	serveRefList(s, w, r, code, pg, "refdata/names", def, q, rows, total, func(lv ListView) any {
		return namedListData{Ref: ref, List: lv, CanWrite: canWrite}
	})
}

func (s *Server) namedList(ref *namedRef) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.renderNamedList(w, r, ref, http.StatusOK, nil) }
}

func (s *Server) namedCreate(ref *namedRef) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := newForm(r)
		if _, err := ref.create(r.Context(), principalOf(r), org.NameInput{Name: f.Get("name")}); err != nil {
			s.formFailed(w, r, f, err, func(code int) { s.renderNamedList(w, r, ref, code, f) })
			return
		}
		s.redirect(w, r, ref.Path, ref.What+"「"+f.Get("name")+"」已添加")
	}
}

type renameData struct {
	Ref    *namedRef
	Row    namedRow
	Action string
}

func (s *Server) renderRename(w http.ResponseWriter, r *http.Request, ref *namedRef, code int, f *Form, row namedRow) {
	title := ref.What + "改名"
	pg := s.page(r, title, Crumb{Label: "组织架构"}, Crumb{Label: ref.What, Href: ref.Path}, Crumb{Label: row.Name}, Crumb{Label: "改名"})
	pg.Active = ref.Path
	pg.Form = f
	pg.Data = renameData{Ref: ref, Row: row, Action: ref.Path + "/" + idString(row.ID) + "/edit"}
	s.render(w, r, code, "refdata/rename", pg)
}

func (s *Server) namedRow(r *http.Request, ref *namedRef) (namedRow, error) {
	id, err := pathRecordID(r, "id", ref.What)
	if err != nil {
		return namedRow{}, err
	}
	return ref.get(r.Context(), principalOf(r), id)
}

func (s *Server) namedEdit(ref *namedRef) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		row, err := s.namedRow(r, ref)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.renderRename(w, r, ref, http.StatusOK, formOf(map[string]string{"name": row.Name}), row)
	}
}

func (s *Server) namedRename(ref *namedRef) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		row, err := s.namedRow(r, ref)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f := newForm(r)
		if err := ref.rename(r.Context(), principalOf(r), row.ID, org.NameInput{Name: f.Get("name")}); err != nil {
			s.formFailed(w, r, f, err, func(code int) { s.renderRename(w, r, ref, code, f, row) })
			return
		}
		s.redirect(w, r, ref.Path, ref.What+"已改名为「"+f.Get("name")+"」")
	}
}

// Purchasers.

type purchaserListData struct {
	List     ListView
	CanWrite bool
}

func (s *Server) renderPurchaserList(w http.ResponseWriter, r *http.Request, code int, f *Form) {
	p := principalOf(r)
	q := listQuery(r)
	rows, total, err := s.Org.ListPurchasers(r.Context(), p, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	canWrite := org.CanWriteTowns(p)
	def := ListDef[org.Purchaser]{Sheet: "用人单位", Search: "单位名称或联系人", Empty: "还没有用人单位",
		Cols: []ListCol[org.Purchaser]{
			{Key: "name", Label: "用人单位", Width: 30, Cell: func(pu org.Purchaser) Cell { return Cell{Text: pu.Name} }},
			{Key: "contact", Label: "联系人", Width: 12, Cell: func(pu org.Purchaser) Cell { return Cell{Text: pu.Contact} }},
			{Label: "联系电话", Width: 16, Cell: func(pu org.Purchaser) Cell { return Cell{Text: pu.Phone} }},
			{Key: "sites", Label: "服务点（启用）", Width: 14, Cell: func(pu org.Purchaser) Cell { return Cell{Text: strconv.Itoa(pu.Sites)} },
				Export: func(pu org.Purchaser) any { return pu.Sites }},
		}}
	if canWrite && !wantsExport(r) {
		def.Cols = append(def.Cols, ListCol[org.Purchaser]{Label: "操作", Cell: func(pu org.Purchaser) Cell {
			return Cell{Text: "编辑", Href: "/purchasers/" + idString(pu.ID) + "/edit"}
		}})
	}
	pg := s.page(r, "镇街与用人单位", Crumb{Label: "组织架构"}, Crumb{Label: "用人单位"})
	pg.Active = "/towns"
	if f == nil {
		f = &Form{Values: map[string][]string{}}
	}
	pg.Form = f
	serveRefList(s, w, r, code, pg, "refdata/purchasers", def, q, rows, total, func(lv ListView) any {
		return purchaserListData{List: lv, CanWrite: canWrite}
	})
}

func (s *Server) purchaserList(w http.ResponseWriter, r *http.Request) {
	s.renderPurchaserList(w, r, http.StatusOK, nil)
}

func purchaserInputOf(f *Form) org.PurchaserInput {
	return org.PurchaserInput{Name: f.Get("name"), Contact: f.Get("contact"), Phone: f.Get("phone")}
}

func (s *Server) purchaserCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	if _, err := s.Org.CreatePurchaser(r.Context(), principalOf(r), purchaserInputOf(f)); err != nil {
		s.formFailed(w, r, f, err, func(code int) { s.renderPurchaserList(w, r, code, f) })
		return
	}
	s.redirect(w, r, "/purchasers", "用人单位「"+f.Get("name")+"」已添加")
}

type purchaserEditData struct {
	Purchaser *org.Purchaser
	Action    string
}

func (s *Server) renderPurchaserEdit(w http.ResponseWriter, r *http.Request, code int, f *Form, pu *org.Purchaser) {
	pg := s.page(r, "编辑用人单位", Crumb{Label: "组织架构"}, Crumb{Label: "用人单位", Href: "/purchasers"},
		Crumb{Label: pu.Name}, Crumb{Label: "编辑"})
	pg.Active = "/towns"
	pg.Form = f
	pg.Data = purchaserEditData{Purchaser: pu, Action: "/purchasers/" + idString(pu.ID) + "/edit"}
	s.render(w, r, code, "refdata/purchaser_edit", pg)
}

func (s *Server) purchaserOf(r *http.Request) (*org.Purchaser, error) {
	id, err := pathRecordID(r, "id", "用人单位")
	if err != nil {
		return nil, err
	}
	return s.Org.GetPurchaser(r.Context(), principalOf(r), id)
}

func (s *Server) purchaserEdit(w http.ResponseWriter, r *http.Request) {
	pu, err := s.purchaserOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderPurchaserEdit(w, r, http.StatusOK, formOf(map[string]string{"name": pu.Name, "contact": pu.Contact,
		"phone": pu.Phone}), pu)
}

func (s *Server) purchaserUpdate(w http.ResponseWriter, r *http.Request) {
	pu, err := s.purchaserOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	if err := s.Org.UpdatePurchaser(r.Context(), principalOf(r), pu.ID, purchaserInputOf(f)); err != nil {
		s.formFailed(w, r, f, err, func(code int) { s.renderPurchaserEdit(w, r, code, f, pu) })
		return
	}
	s.redirect(w, r, "/purchasers", "用人单位已保存")
}

// JSON API of the reference lists.

func (s *Server) apiTownList(w http.ResponseWriter, r *http.Request) {
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := s.Org.ListTowns(r.Context(), principalOf(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPagedItems(rows, total, q))
}

func (s *Server) apiTownAnswer(w http.ResponseWriter, r *http.Request, id int64, code int) {
	t, err := s.Org.GetTown(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, code, t)
}

func (s *Server) apiTownGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "镇街")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiTownAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiTownCreate(w http.ResponseWriter, r *http.Request) {
	var in org.NameInput
	err := decodeJSON(r, &in)
	var id int64
	if err == nil {
		id, err = s.Org.CreateTown(r.Context(), principalOf(r), in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiTownAnswer(w, r, id, http.StatusCreated)
}

func (s *Server) apiTownUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "镇街")
	var in org.NameInput
	if err == nil {
		err = decodeJSON(r, &in)
	}
	if err == nil {
		err = s.Org.RenameTown(r.Context(), principalOf(r), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiTownAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiDomainList(w http.ResponseWriter, r *http.Request) {
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := s.Org.ListDomains(r.Context(), principalOf(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPagedItems(rows, total, q))
}

func (s *Server) apiDomainAnswer(w http.ResponseWriter, r *http.Request, id int64, code int) {
	d, err := s.Org.GetDomain(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, code, d)
}

func (s *Server) apiDomainGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "领域")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiDomainAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiDomainCreate(w http.ResponseWriter, r *http.Request) {
	var in org.NameInput
	err := decodeJSON(r, &in)
	var id int64
	if err == nil {
		id, err = s.Org.CreateDomain(r.Context(), principalOf(r), in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiDomainAnswer(w, r, id, http.StatusCreated)
}

func (s *Server) apiDomainUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "领域")
	var in org.NameInput
	if err == nil {
		err = decodeJSON(r, &in)
	}
	if err == nil {
		err = s.Org.RenameDomain(r.Context(), principalOf(r), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiDomainAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiPurchaserList(w http.ResponseWriter, r *http.Request) {
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := s.Org.ListPurchasers(r.Context(), principalOf(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPagedItems(rows, total, q))
}

func (s *Server) apiPurchaserAnswer(w http.ResponseWriter, r *http.Request, id int64, code int) {
	pu, err := s.Org.GetPurchaser(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, code, pu)
}

func (s *Server) apiPurchaserGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "用人单位")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiPurchaserAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiPurchaserCreate(w http.ResponseWriter, r *http.Request) {
	var in org.PurchaserInput
	err := decodeJSON(r, &in)
	var id int64
	if err == nil {
		id, err = s.Org.CreatePurchaser(r.Context(), principalOf(r), in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiPurchaserAnswer(w, r, id, http.StatusCreated)
}

func (s *Server) apiPurchaserUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathRecordID(r, "id", "用人单位")
	var in org.PurchaserInput
	if err == nil {
		err = decodeJSON(r, &in)
	}
	if err == nil {
		err = s.Org.UpdatePurchaser(r.Context(), principalOf(r), id, in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiPurchaserAnswer(w, r, id, http.StatusOK)
}
