package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/cases"
	"shegong/internal/export"
)

// Client register pages and API (SPEC C1, C2, P10). Lists and the API carry
// masked values only; the full identity is shown by the reveal action, which
// the service audits.

func (s *Server) clientRoutes() {
	rt := s.router
	read, write := cases.PermClientRead, cases.PermClientWrite
	rt.Handle(Route{Method: "GET", Pattern: "/clients", Access: Permitted, Perm: read, Summary: "服务对象列表"}, s.clientList)
	rt.Handle(Route{Method: "GET", Pattern: "/clients/new", Access: Permitted, Perm: write, Summary: "登记服务对象页"}, s.clientNew)
	rt.Handle(Route{Method: "POST", Pattern: "/clients", Access: Permitted, Perm: write, Summary: "登记服务对象"}, s.clientCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/clients/{id}", Access: Permitted, Perm: read, Object: "client",
		Summary: "服务对象详情"}, s.clientDetail)
	rt.Handle(Route{Method: "GET", Pattern: "/clients/{id}/edit", Access: Permitted, Perm: write, Object: "client",
		Summary: "修改服务对象页"}, s.clientEdit)
	rt.Handle(Route{Method: "POST", Pattern: "/clients/{id}/edit", Access: Permitted, Perm: write, Object: "client",
		Summary: "修改服务对象"}, s.clientUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/clients/{id}/reveal", Access: Permitted, Perm: cases.PermClientReveal,
		Object: "client", Summary: "查看服务对象完整信息"}, s.clientReveal)
	rt.Handle(Route{Method: "GET", Pattern: "/clients/{id}/consents/new", Access: Permitted, Perm: write, Object: "client",
		Summary: "登记知情同意书页"}, s.consentNew)
	rt.Handle(Route{Method: "POST", Pattern: "/clients/{id}/consents", Access: Permitted, Perm: write, Object: "client",
		Summary: "登记知情同意书"}, s.consentCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/clients/{id}/consents/{cid}/file", Access: Permitted, Perm: read,
		Object: "client", Summary: "下载知情同意书扫描件"}, s.consentFile)
	rt.Handle(Route{Method: "GET", Pattern: "/clients/{id}/contact-checks/new", Access: Permitted, Perm: write,
		Object: "client", Summary: "记录联系核实页"}, s.contactCheckNew)
	rt.Handle(Route{Method: "POST", Pattern: "/clients/{id}/contact-checks", Access: Permitted, Perm: write,
		Object: "client", Summary: "记录联系核实"}, s.contactCheckCreate)

	imp := cases.PermClientImport
	rt.Handle(Route{Method: "GET", Pattern: "/clients/import", Access: Permitted, Perm: imp, Summary: "导入服务对象"}, s.clientImportPage)
	rt.Handle(Route{Method: "GET", Pattern: "/clients/import/template", Access: Permitted, Perm: imp,
		Summary: "下载服务对象导入模板"}, s.clientImportTemplate)
	rt.Handle(Route{Method: "POST", Pattern: "/clients/import", Access: Permitted, Perm: imp,
		Summary: "检查导入文件（试导入，不写入）"}, s.clientImportCheck)
	rt.Handle(Route{Method: "POST", Pattern: "/clients/import/confirm", Access: Permitted, Perm: imp,
		Summary: "确认导入服务对象"}, s.clientImportConfirm)

	cat := cases.PermClientCategories
	rt.Handle(Route{Method: "GET", Pattern: "/clients/categories", Access: Permitted, Perm: cat, Summary: "服务对象类别"}, s.categoriesPage)
	rt.Handle(Route{Method: "POST", Pattern: "/clients/categories", Access: Permitted, Perm: cat, Summary: "新增服务对象类别"}, s.categoryCreate)
	rt.Handle(Route{Method: "POST", Pattern: "/clients/categories/status", Access: Permitted, Perm: cat,
		Summary: "启用或停用服务对象类别"}, s.categoryStatus)

	tag := "服务对象"
	listQuery := []Param{
		{Name: "site_id", Desc: "服务点编号", Type: "integer"},
		{Name: "worker_id", Desc: "负责社工（同工编号）", Type: "integer"},
		{Name: "category_id", Desc: "类别编号", Type: "integer"},
		{Name: "contact", Desc: "联系有效性：unchecked、valid、wrong_number、unreachable、refused", Type: "string"},
		{Name: "status", Desc: "状态：active、inactive", Type: "string"},
		{Name: "q", Desc: "按姓名搜索", Type: "string"},
		{Name: "page", Desc: "页码", Type: "integer"},
		{Name: "size", Desc: "每页条数（最多 200）", Type: "integer"},
		{Name: "sort", Desc: "排序：code、name、age、contact、site、worker、created", Type: "string"},
		{Name: "dir", Desc: "asc 或 desc", Type: "string"},
	}
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/clients", Access: Permitted, Perm: read, Summary: "服务对象列表（脱敏）",
		API: &APIDoc{Tag: tag, Response: apiClientList{}, Query: listQuery}}, s.apiClientList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/clients", Access: Permitted, Perm: write, Summary: "登记服务对象",
		API: &APIDoc{Tag: tag, Request: cases.ClientInput{}, Response: cases.Client{}, Status: http.StatusCreated,
			Desc: "同一机构内身份证号码重复时返回 409；姓名和电话与已登记者相同时返回 409 并在 duplicates 中列出（脱敏），确认不是同一人后以 confirm_duplicate 为 true 重新提交"}}, s.apiClientCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/clients/{id}", Access: Permitted, Perm: read, Object: "client",
		Summary: "服务对象详情（脱敏，记入审计）", API: &APIDoc{Tag: tag, Response: cases.Client{}}}, s.apiClientGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/clients/{id}", Access: Permitted, Perm: write, Object: "client",
		Summary: "修改服务对象", API: &APIDoc{Tag: tag, Request: cases.ClientInput{}, Response: cases.Client{}}}, s.apiClientUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/clients/{id}/reveal", Access: Permitted, Perm: cases.PermClientReveal,
		Object: "client", Summary: "查看服务对象完整信息（记入审计）",
		API: &APIDoc{Tag: tag, Response: cases.ClientIdentity{}, Desc: "返回该服务对象完整的姓名、身份证号码、电话和地址；每次调用都写入审计日志"}}, s.apiClientReveal)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/clients/{id}/consents", Access: Permitted, Perm: read, Object: "client",
		Summary: "知情同意书列表", API: &APIDoc{Tag: tag, Response: []cases.Consent{}}}, s.apiConsents)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/clients/{id}/consents", Access: Permitted, Perm: write, Object: "client",
		Summary: "登记知情同意书（扫描件以Base64放在file.data）",
		API:     &APIDoc{Tag: tag, Request: cases.ConsentInput{}, Response: cases.Consent{}}}, s.apiConsentCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/clients/{id}/contact-checks", Access: Permitted, Perm: read,
		Object: "client", Summary: "联系核实记录", API: &APIDoc{Tag: tag, Response: []cases.ContactCheck{}}}, s.apiContactChecks)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/clients/{id}/contact-checks", Access: Permitted, Perm: write,
		Object: "client", Summary: "记录联系核实",
		API: &APIDoc{Tag: tag, Request: cases.ContactCheckInput{}, Response: cases.ContactCheck{}, Status: http.StatusCreated}}, s.apiContactCheckCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/client-categories", Access: Permitted, Perm: read,
		Summary: "服务对象类别", API: &APIDoc{Tag: tag, Response: []cases.Category{}}}, s.apiCategories)

	s.addNav("服务对象与个案",
		NavItem{Label: "服务对象", Href: "/clients", Perm: read, Agency: true},
		NavItem{Label: "导入服务对象", Href: "/clients/import", Perm: imp, Agency: true})
	s.addNav("系统设置", NavItem{Label: "服务对象类别", Href: "/clients/categories", Perm: cat, Agency: true})
}

// pathID parses the {id} (or another) path value; a bad one is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, app.ErrNotFound("记录")
	}
	return id, nil
}

func contactTag(status string) string {
	switch status {
	case cases.ContactValid:
		return "green"
	case cases.ContactWrongNumber:
		return "red"
	case cases.ContactUnreachable:
		return "orange"
	}
	return "grey"
}

func statusTag(status string) string {
	if status == cases.ClientInactive {
		return "grey"
	}
	return "green"
}

func choiceOptions(cs []cases.Choice) []Option {
	out := make([]Option, len(cs))
	for i, c := range cs {
		out[i] = Option{Value: idString(c.ID), Label: c.Name}
	}
	return out
}

func categoryOptions(cs []cases.Category) []Option {
	out := make([]Option, len(cs))
	for i, c := range cs {
		out[i] = Option{Value: idString(c.ID), Label: c.Name}
	}
	return out
}

func contactOptions(withUnchecked bool) []Option {
	var out []Option
	if withUnchecked {
		out = append(out, Option{cases.ContactUnchecked, cases.ContactLabel(cases.ContactUnchecked)})
	}
	for _, r := range cases.ContactResults {
		out = append(out, Option{r, cases.ContactLabel(r)})
	}
	return out
}

var clientStatusOptions = []Option{{cases.ClientActive, cases.ClientStatusLabel(cases.ClientActive)},
	{cases.ClientInactive, cases.ClientStatusLabel(cases.ClientInactive)}}

func guardianOptions() []Option {
	out := make([]Option, len(cases.GuardianRelations))
	for i, r := range cases.GuardianRelations {
		out[i] = Option{r, cases.GuardianRelationLabel(r)}
	}
	return out
}

func consentOptions() []Option {
	out := make([]Option, len(cases.ConsentRelationships))
	for i, r := range cases.ConsentRelationships {
		out[i] = Option{r, cases.ConsentRelationshipLabel(r)}
	}
	return out
}

// ---- list ----

func clientListDef(ch cases.ClientChoices) ListDef[cases.Client] {
	return ListDef[cases.Client]{
		Sheet:  "服务对象",
		Search: "姓名",
		Empty:  "没有符合条件的服务对象",
		Filters: []Filter{
			{Name: "site_id", Label: "服务点", Type: "select", Options: choiceOptions(ch.Sites)},
			{Name: "worker_id", Label: "负责社工", Type: "select", Options: choiceOptions(ch.Workers)},
			{Name: "category_id", Label: "类别", Type: "select", Options: categoryOptions(ch.Categories)},
			{Name: "contact", Label: "联系有效性", Type: "select", Options: contactOptions(true)},
			{Name: "status", Label: "状态", Type: "select", Options: clientStatusOptions},
		},
		Cols: []ListCol[cases.Client]{
			{Key: "code", Label: "编号", Width: 12, Cell: func(c cases.Client) Cell {
				return Cell{Text: c.Code, Href: "/clients/" + idString(c.ID)}
			}},
			{Key: "name", Label: "姓名", Width: 10, Cell: func(c cases.Client) Cell {
				return Cell{Text: c.NameMasked, Href: "/clients/" + idString(c.ID)}
			}},
			{Label: "性别", Width: 6, Cell: func(c cases.Client) Cell { return Cell{Text: c.Gender} }},
			{Key: "age", Label: "年龄", Width: 6, Cell: func(c cases.Client) Cell { return Cell{Text: strconv.Itoa(c.Age)} },
				Export: func(c cases.Client) any { return c.Age }},
			{Label: "身份证号码", Width: 22, Cell: func(c cases.Client) Cell { return Cell{Text: c.IDNumberMasked} }},
			{Label: "电话", Width: 16, Cell: func(c cases.Client) Cell { return Cell{Text: c.PhoneMasked, Sub: c.Phone2Masked} },
				Export: func(c cases.Client) any { return joinNonEmpty(c.PhoneMasked, c.Phone2Masked) }},
			{Label: "类别", Width: 20, Cell: func(c cases.Client) Cell {
				names := make([]string, len(c.Categories))
				for i, k := range c.Categories {
					names[i] = k.Name
				}
				return Cell{Text: joinNonEmpty(names...)}
			}},
			{Key: "contact", Label: "联系有效性", Width: 12, Cell: func(c cases.Client) Cell {
				return Cell{Text: c.ContactStatusLabel, Tag: contactTag(c.ContactStatus)}
			}},
			{Label: "最近核实", Width: 12, Cell: func(c cases.Client) Cell { return Cell{Text: c.ContactCheckedOn.String()} }},
			{Key: "worker", Label: "负责社工", Width: 10, Cell: func(c cases.Client) Cell { return Cell{Text: c.WorkerName} }},
			{Key: "site", Label: "服务点", Width: 20, Cell: func(c cases.Client) Cell { return Cell{Text: c.SiteName} }},
			{Label: "状态", Width: 8, Cell: func(c cases.Client) Cell { return Cell{Text: c.StatusLabel, Tag: statusTag(c.Status)} }},
		},
	}
}

func joinNonEmpty(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += "、"
		}
		out += p
	}
	return out
}

func clientFilterOf(r *http.Request) cases.ClientFilter {
	v := r.URL.Query()
	id := func(k string) int64 { n, _ := strconv.ParseInt(v.Get(k), 10, 64); return n }
	f := cases.ClientFilter{SiteID: id("site_id"), WorkerID: id("worker_id"), CategoryID: id("category_id"),
		Contact: v.Get("contact"), Status: v.Get("status")}
	return f
}

type clientListData struct {
	List      ListView
	CanWrite  bool
	CanImport bool
}

func (s *Server) clientList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	ch, err := s.Clients.Choices(r.Context(), p, cases.PermClientRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := clientListDef(ch)
	q := listQuery(r)
	pg := s.page(r, "服务对象", Crumb{Label: "服务对象与个案"}, Crumb{Label: "服务对象"})
	rows := s.Clients.Rows(r.Context(), p, clientFilterOf(r), q)
	if wantsExport(r) {
		// The export's columns are all among cases.ClientExportFields.
		rows = s.Clients.ExportRows(r.Context(), p, clientFilterOf(r), q)
	}
	serveListRows(s, w, r, pg, "clients/list", def, q, rows, func(lv ListView) any {
		return clientListData{List: lv, CanWrite: p.Can(cases.PermClientWrite), CanImport: p.Can(cases.PermClientImport)}
	})
}

// ---- create and edit ----

type clientFormData struct {
	Action     string
	Edit       *cases.ClientEdit
	Sites      []Option
	Workers    []Option
	Towns      []Option
	Categories []Option
	Genders    []Option
	Guardians  []Option
	Statuses   []Option
	Clearable  []Option
	Duplicates []cases.DuplicateMatch
}

func (s *Server) clientFormPage(w http.ResponseWriter, r *http.Request, status int, f *Form, edit *cases.ClientEdit, dups []cases.DuplicateMatch) {
	p := principalOf(r)
	ch, err := s.Clients.Choices(r.Context(), p, cases.PermClientWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := clientFormData{Action: "/clients", Edit: edit, Sites: choiceOptions(ch.Sites),
		Workers: choiceOptions(ch.Workers), Towns: choiceOptions(ch.Towns), Categories: categoryOptions(ch.Categories),
		Genders: genderOptions, Guardians: guardianOptions(), Statuses: clientStatusOptions, Duplicates: dups}
	title := "登记服务对象"
	crumbs := []Crumb{{Label: "服务对象与个案"}, {Label: "服务对象", Href: "/clients"}}
	if edit != nil {
		title = "修改服务对象"
		d.Action = "/clients/" + idString(edit.ID) + "/edit"
		// The form keeps offering what the client already has, even if it is
		// outside today's choices (a withdrawn category, a worker moved away).
		d.Sites = withOption(d.Sites, edit.SiteID, edit.SiteName)
		d.Workers = withOption(d.Workers, edit.WorkerID, edit.WorkerName)
		for _, c := range edit.Categories {
			d.Categories = withOption(d.Categories, c.ID, c.Name)
		}
		for _, c := range []struct{ field, label, masked string }{
			{"id_number", "身份证号码", edit.IDNumberMasked}, {"phone", "电话", edit.PhoneMasked},
			{"phone2", "备用电话", edit.Phone2Masked}, {"address", "地址", edit.AddressMasked},
			{"guardian_phone", "监护人电话", edit.GuardianPhoneMasked}} {
			if c.masked != "" {
				d.Clearable = append(d.Clearable, Option{c.field, c.label + "（" + c.masked + "）"})
			}
		}
		crumbs = append(crumbs, Crumb{Label: edit.NameMasked, Href: "/clients/" + idString(edit.ID)})
	}
	crumbs = append(crumbs, Crumb{Label: title})
	pg := s.page(r, title, crumbs...)
	pg.Form = f
	pg.Data = d
	s.render(w, r, status, "clients/form", pg)
}

func withOption(opts []Option, id int64, label string) []Option {
	v := idString(id)
	for _, o := range opts {
		if o.Value == v {
			return opts
		}
	}
	return append(opts, Option{Value: v, Label: label})
}

func (s *Server) clientNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	f := &Form{Values: map[string][]string{}}
	if p.StaffID != 0 {
		f.Values.Set("worker_id", idString(p.StaffID))
	}
	if len(p.SiteIDs) > 0 {
		f.Values.Set("site_id", idString(p.SiteIDs[0]))
	}
	s.clientFormPage(w, r, http.StatusOK, f, nil, nil)
}

// clientInputOf reads the client form; malformed dates go into v.
func clientInputOf(f *Form, v *app.Validation) cases.ClientInput {
	return cases.ClientInput{Name: f.Get("name"), Gender: f.Get("gender"), BirthDate: f.Date("birth_date", v),
		IDNumber: f.Get("id_number"), Phone: f.Get("phone"), Phone2: f.Get("phone2"), Address: f.Get("address"),
		TownID: f.Int64("town_id"), Community: f.Get("community"), CategoryIDs: f.Int64s("category_ids"),
		GuardianName: f.Get("guardian_name"), GuardianRelation: f.Get("guardian_relation"),
		GuardianPhone: f.Get("guardian_phone"), WorkerID: f.Int64("worker_id"), SiteID: f.Int64("site_id"),
		Status: f.Get("status"), Note: f.Get("note"), Version: f.Int64("version"),
		ConfirmDuplicate: f.Checked("confirm_duplicate"), Clear: f.All("clear")}
}

// clientFormError shows the form again with the messages, the user's input
// and, for a possible duplicate, the masked matches to confirm against.
func (s *Server) clientFormError(w http.ResponseWriter, r *http.Request, f *Form, edit *cases.ClientEdit, err error) {
	var de *cases.DuplicateError
	var dups []cases.DuplicateMatch
	if errors.As(err, &de) {
		dups = de.Matches
	}
	if !f.SetError(err) {
		s.fail(w, r, err)
		return
	}
	s.clientFormPage(w, r, formStatus(err), f, edit, dups)
}

func (s *Server) clientCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var v app.Validation
	in := clientInputOf(f, &v)
	var c *cases.Client
	var err error
	if v.OK() {
		c, err = s.Clients.Create(r.Context(), principalOf(r), in)
	}
	if err = withParseErrors(&v, err); err != nil {
		s.clientFormError(w, r, f, nil, err)
		return
	}
	s.redirect(w, r, "/clients/"+idString(c.ID), "已登记服务对象 "+c.Code)
}

func (s *Server) clientEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ed, err := s.Clients.ForEdit(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(map[string]string{"name": ed.Name, "gender": ed.Gender, "birth_date": ed.BirthDate.String(),
		"town_id": optID(ed.TownID), "community": ed.Community, "guardian_name": ed.GuardianName,
		"guardian_relation": ed.GuardianRelation, "worker_id": idString(ed.WorkerID), "site_id": idString(ed.SiteID),
		"status": ed.Status, "note": ed.Note, "version": strconv.FormatInt(ed.Version, 10)})
	for _, c := range ed.CategoryIDs {
		f.Values.Add("category_ids", idString(c))
	}
	s.clientFormPage(w, r, http.StatusOK, f, ed, nil)
}

func optID(id int64) string {
	if id == 0 {
		return ""
	}
	return idString(id)
}

func (s *Server) clientUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalOf(r)
	f := newForm(r)
	var v app.Validation
	in := clientInputOf(f, &v)
	var c *cases.Client
	if v.OK() {
		c, err = s.Clients.Update(r.Context(), p, id, in)
	}
	if err = withParseErrors(&v, err); err != nil {
		if code := app.ErrorCode(err); code != app.EInvalid && code != app.EConflict {
			s.fail(w, r, err)
			return
		}
		// The form needs the current record for its masked hints; a read
		// failure here means the client is out of reach.
		ed, rerr := s.Clients.ForEdit(r.Context(), p, id)
		if rerr != nil {
			s.fail(w, r, rerr)
			return
		}
		s.clientFormError(w, r, f, ed, err)
		return
	}
	s.redirect(w, r, "/clients/"+idString(c.ID), "已保存")
}

// ---- detail and reveal ----

type clientDetailData struct {
	C          *cases.Client
	Revealed   *cases.ClientIdentity
	Consents   []cases.Consent
	Checks     []cases.ContactCheck
	ContactTag string
	StatusTag  string
	CanWrite   bool
	CanReveal  bool
}

func (s *Server) clientDetail(w http.ResponseWriter, r *http.Request) {
	s.renderClient(w, r, nil)
}

func (s *Server) clientReveal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rv, err := s.Clients.Reveal(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderClient(w, r, rv)
}

func (s *Server) renderClient(w http.ResponseWriter, r *http.Request, rv *cases.ClientIdentity) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principalOf(r)
	ctx := r.Context()
	c, err := s.Clients.Get(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := clientDetailData{C: c, Revealed: rv, ContactTag: contactTag(c.ContactStatus), StatusTag: statusTag(c.Status),
		CanWrite: s.Clients.Allows(p, cases.PermClientWrite, c), CanReveal: s.Clients.Allows(p, cases.PermClientReveal, c)}
	if d.Consents, err = s.Clients.Consents(ctx, p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Checks, err = s.Clients.ContactChecks(ctx, p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	title := c.NameMasked
	if rv != nil {
		title = rv.Name
	}
	pg := s.page(r, "服务对象 "+c.Code, Crumb{Label: "服务对象与个案"}, Crumb{Label: "服务对象", Href: "/clients"}, Crumb{Label: title})
	pg.Data = d
	s.render(w, r, http.StatusOK, "clients/detail", pg)
}

// ---- consent records ----

type clientSubData struct {
	C            *cases.Client
	Options      []Option
	MaxSizeLabel string
}

func (s *Server) clientSubPage(w http.ResponseWriter, r *http.Request, status int, f *Form, tmpl, title string, opts []Option) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Clients.Head(r.Context(), principalOf(r), cases.PermClientWrite, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, title, Crumb{Label: "服务对象与个案"}, Crumb{Label: "服务对象", Href: "/clients"},
		Crumb{Label: c.NameMasked, Href: "/clients/" + idString(c.ID)}, Crumb{Label: title})
	pg.Form = f
	pg.Data = clientSubData{C: c, Options: opts, MaxSizeLabel: "5MB"}
	s.render(w, r, status, tmpl, pg)
}

func (s *Server) consentNew(w http.ResponseWriter, r *http.Request) {
	f := formOf(map[string]string{"signed_on": s.today().String()})
	s.clientSubPage(w, r, http.StatusOK, f, "clients/consent", "登记知情同意书", consentOptions())
}

// uploadLimit bounds a form post carrying one scan.
const uploadLimit = cases.MaxAttachmentSize + 1<<20

func (s *Server) consentCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var v app.Validation
	in := cases.ConsentInput{}
	r.Body = http.MaxBytesReader(w, r.Body, uploadLimit)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			v.Add("file", "文件不能超过5MB")
		} else {
			v.Add("file", "上传内容无法读取，请重新选择文件")
		}
	}
	f := newForm(r)
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["file"]; len(fh) > 0 && fh[0].Size > 0 {
			file, err := fh[0].Open()
			if err != nil {
				s.fail(w, r, err)
				return
			}
			data, err := io.ReadAll(file)
			file.Close()
			if err != nil {
				s.fail(w, r, err)
				return
			}
			in.File = &cases.Upload{Filename: fh[0].Filename, Data: data}
		}
	}
	in.SignedOn = f.Date("signed_on", &v)
	in.SignerName, in.Relationship, in.SharingScope = f.Get("signer_name"), f.Get("relationship"), f.Get("sharing_scope")
	if v.OK() {
		_, err = s.Clients.AddConsent(r.Context(), principalOf(r), id, in)
	}
	if err = withParseErrors(&v, err); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.clientSubPage(w, r, http.StatusUnprocessableEntity, f, "clients/consent", "登记知情同意书", consentOptions())
		return
	}
	s.redirect(w, r, "/clients/"+idString(id), "已登记知情同意书")
}

func (s *Server) consentFile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cid, err := pathID(r, "cid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Clients.ConsentFile(r.Context(), principalOf(r), id, cid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	// Always a download with the sniffed type, never rendered by the browser.
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Disposition", export.ContentDisposition(a.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	w.WriteHeader(http.StatusOK)
	w.Write(a.Data)
}

// ---- contact checks ----

func (s *Server) contactCheckNew(w http.ResponseWriter, r *http.Request) {
	f := formOf(map[string]string{"checked_on": s.today().String()})
	s.clientSubPage(w, r, http.StatusOK, f, "clients/contact", "记录联系核实", contactOptions(false))
}

func (s *Server) contactCheckCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := cases.ContactCheckInput{CheckedOn: f.Date("checked_on", &v), Result: f.Get("result"), Note: f.Get("note")}
	if v.OK() {
		_, err = s.Clients.AddContactCheck(r.Context(), principalOf(r), id, in)
	}
	if err = withParseErrors(&v, err); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.clientSubPage(w, r, http.StatusUnprocessableEntity, f, "clients/contact", "记录联系核实", contactOptions(false))
		return
	}
	s.redirect(w, r, "/clients/"+idString(id), "已记录联系核实："+cases.ContactLabel(in.Result))
}

// ---- import ----

type clientImportData struct {
	Preview *cases.ImportPreview
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, status int, f *Form, pv *cases.ImportPreview) {
	pg := s.page(r, "导入服务对象", Crumb{Label: "服务对象与个案"}, Crumb{Label: "服务对象", Href: "/clients"}, Crumb{Label: "导入"})
	pg.Form = f
	pg.Data = clientImportData{Preview: pv}
	s.render(w, r, status, "clients/import", pg)
}

func (s *Server) clientImportPage(w http.ResponseWriter, r *http.Request) {
	s.renderImport(w, r, http.StatusOK, &Form{Values: map[string][]string{}}, nil)
}

func (s *Server) clientImportTemplate(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", export.ContentTypeXLSX)
	w.Header().Set("Content-Disposition", export.ContentDisposition("服务对象导入模板.xlsx"))
	w.Header().Set("Cache-Control", "no-store")
	if err := s.Clients.ImportTemplate(w); err != nil {
		s.Log.Error("import template", "err", err)
	}
}

// importLimit bounds an uploaded import file (the reader's own limit plus
// the form around it).
const importLimit = export.DefaultMaxBytes + 1<<20

func (s *Server) clientImportCheck(w http.ResponseWriter, r *http.Request) {
	f := &Form{Values: map[string][]string{}}
	r.Body = http.MaxBytesReader(w, r.Body, importLimit)
	var pv *cases.ImportPreview
	var err error
	if perr := r.ParseMultipartForm(1 << 20); perr != nil {
		msg := "请选择要导入的Excel文件"
		var mb *http.MaxBytesError
		if errors.As(perr, &mb) {
			msg = "文件过大（不能超过10MB）"
		}
		err = &app.Error{Code: app.EInvalid, Message: msg, Fields: map[string]string{"file": msg}}
	} else if fh := r.MultipartForm.File["file"]; len(fh) == 0 {
		err = &app.Error{Code: app.EInvalid, Message: "请选择要导入的Excel文件", Fields: map[string]string{"file": "请选择要导入的Excel文件"}}
	} else {
		file, oerr := fh[0].Open()
		if oerr != nil {
			s.fail(w, r, oerr)
			return
		}
		pv, err = s.Clients.ImportCheck(r.Context(), principalOf(r), fh[0].Filename, file)
		file.Close()
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderImport(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	status := http.StatusOK
	if !pv.Clean() {
		status = http.StatusUnprocessableEntity
	}
	s.renderImport(w, r, status, f, pv)
}

func (s *Server) clientImportConfirm(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	pv, err := s.Clients.ImportConfirm(r.Context(), principalOf(r), f.Get("token"))
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderImport(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	if !pv.Clean() {
		f.Message = "数据在检查后发生了变化，未导入任何记录，请修改后重新上传"
		s.renderImport(w, r, http.StatusUnprocessableEntity, f, pv)
		return
	}
	s.redirect(w, r, "/clients", fmt.Sprintf("已导入 %d 名服务对象", pv.Imported))
}

// ---- categories ----

func (s *Server) renderCategories(w http.ResponseWriter, r *http.Request, status int, f *Form) {
	list, err := s.Clients.Categories(r.Context(), principalOf(r).OrgID, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "服务对象类别", Crumb{Label: "系统设置"}, Crumb{Label: "服务对象类别"})
	pg.Form = f
	pg.Data = list
	s.render(w, r, status, "clients/categories", pg)
}

func (s *Server) categoriesPage(w http.ResponseWriter, r *http.Request) {
	s.renderCategories(w, r, http.StatusOK, &Form{Values: map[string][]string{}})
}

func (s *Server) categoryCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	c, err := s.Clients.AddCategory(r.Context(), principalOf(r), f.Get("name"))
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderCategories(w, r, formStatus(err), f)
		return
	}
	s.redirect(w, r, "/clients/categories", "已新增类别 "+c.Name)
}

func (s *Server) categoryStatus(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	active := f.Get("active") == "1"
	if err := s.Clients.SetCategoryActive(r.Context(), principalOf(r), f.Int64("category_id"), active); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderCategories(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	msg := "已停用类别"
	if active {
		msg = "已启用类别"
	}
	s.redirect(w, r, "/clients/categories", msg)
}

// ---- JSON API ----

type apiClientList struct {
	Items []cases.Client `json:"items"`
	Total int            `json:"total"`
	Page  int            `json:"page"`
	Size  int            `json:"size"`
}

// apiDuplicate is the 409 answer that lists possible duplicates; send the
// request again with confirm_duplicate true to register anyway.
type apiDuplicate struct {
	apiError
	Duplicates []cases.DuplicateMatch `json:"duplicates"`
}

func (s *Server) apiClientError(w http.ResponseWriter, r *http.Request, err error) {
	var de *cases.DuplicateError
	if errors.As(err, &de) {
		writeJSON(w, http.StatusConflict, apiDuplicate{apiError: apiError{Code: app.EConflict, Message: de.Err.Message,
			Fields: de.Err.Fields}, Duplicates: de.Matches})
		return
	}
	s.writeError(w, r, err)
}

func (s *Server) apiClientList(w http.ResponseWriter, r *http.Request) {
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := s.Clients.List(r.Context(), principalOf(r), clientFilterOf(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rows == nil {
		rows = []cases.Client{}
	}
	writeJSON(w, http.StatusOK, apiClientList{Items: rows, Total: total, Page: q.Page, Size: q.Size})
}

func (s *Server) apiClientCreate(w http.ResponseWriter, r *http.Request) {
	var in cases.ClientInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Clients.Create(r.Context(), principalOf(r), in)
	if err != nil {
		s.apiClientError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiClientGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Clients.Get(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiClientUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in cases.ClientInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Clients.Update(r.Context(), principalOf(r), id, in)
	if err != nil {
		s.apiClientError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiClientReveal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rv, err := s.Clients.Reveal(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rv)
}

func (s *Server) apiConsents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.Clients.Consents(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiConsentCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in cases.ConsentInput
	r.Body = http.MaxBytesReader(w, r.Body, 2*cases.MaxAttachmentSize)
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Clients.AddConsent(r.Context(), principalOf(r), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiContactChecks(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.Clients.ContactChecks(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiContactCheckCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in cases.ContactCheckInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Clients.AddContactCheck(r.Context(), principalOf(r), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiCategories(w http.ResponseWriter, r *http.Request) {
	list, err := s.Clients.Categories(r.Context(), principalOf(r).OrgID, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}
