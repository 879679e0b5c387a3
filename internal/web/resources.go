package web

import (
	"net/http"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/export"
	"shegong/internal/resources"
)

// Resource linking and purchaser communication pages (SPEC M4 R1, R2) and
// their JSON API.

func (s *Server) resourceRoutes() {
	rt := s.router
	read, write := resources.PermRead, resources.PermWrite
	h := func(method, pattern string, perm *authz.Perm, object, summary string, fn http.HandlerFunc) {
		rt.Handle(Route{Method: method, Pattern: pattern, Access: Permitted, Perm: perm, Object: object, Summary: summary}, fn)
	}
	h("GET", "/resources", read, "", "资源库", s.resList)
	h("GET", "/resources/new", write, "", "登记资源链接页", s.resNew)
	h("POST", "/resources", write, "", "登记资源链接", s.resCreate)
	h("GET", "/resources/status", read, "", "各服务点月度资源链接与沟通情况", s.resStatus)
	h("POST", "/resources/none", write, "", "报告本月无资源链接", s.resNone)
	h("GET", "/resources/{id}", read, "resource", "资源链接详情", s.resDetail)
	h("GET", "/resources/{id}/edit", write, "resource", "修改资源链接页", s.resEdit)
	h("POST", "/resources/{id}", write, "resource", "修改资源链接", s.resUpdate)
	h("POST", "/resources/{id}/delete", write, "resource", "删除资源链接", s.resDelete)
	h("GET", "/purchaser-comms", read, "", "用人单位沟通记录", s.commList)
	h("GET", "/purchaser-comms/new", write, "", "记录用人单位沟通页", s.commNew)
	h("POST", "/purchaser-comms", write, "", "记录用人单位沟通", s.commCreate)
	h("GET", "/purchaser-comms/{id}", read, "purchaser_comm", "沟通记录详情", s.commDetail)
	h("GET", "/purchaser-comms/{id}/edit", write, "purchaser_comm", "修改沟通记录页", s.commEdit)
	h("POST", "/purchaser-comms/{id}", write, "purchaser_comm", "修改沟通记录", s.commUpdate)
	h("POST", "/purchaser-comms/{id}/delete", write, "purchaser_comm", "删除沟通记录", s.commDelete)

	const tag = "资源"
	api := func(method, pattern string, perm *authz.Perm, object, summary string, doc *APIDoc, fn http.HandlerFunc) {
		doc.Tag = tag
		rt.Handle(Route{Method: method, Pattern: pattern, Access: Permitted, Perm: perm, Object: object, Summary: summary, API: doc}, fn)
	}
	linkParams := []Param{{Name: "page", Desc: "页码", Type: "integer"}, {Name: "size", Desc: "每页条数", Type: "integer"},
		{Name: "q", Desc: "搜索提供方、内容、受益对象", Type: "string"}, {Name: "site", Desc: "服务点 id", Type: "integer"},
		{Name: "kind", Desc: "money/goods/venue/people/professional", Type: "string"},
		{Name: "from", Desc: "起始月份 2026-01", Type: "string"}, {Name: "to", Desc: "截止月份 2026-03", Type: "string"}}
	api("GET", "/api/v1/resources", read, "", "资源库检索", &APIDoc{Response: resAPILinks{}, Query: linkParams}, s.apiResList)
	api("POST", "/api/v1/resources", write, "", "登记资源链接",
		&APIDoc{Request: resources.LinkInput{}, Response: resources.Link{}, Status: http.StatusCreated}, s.apiResCreate)
	api("GET", "/api/v1/resources/status", read, "", "各服务点月度资源链接与沟通情况",
		&APIDoc{Response: resAPIStatus{}, Query: []Param{{Name: "month", Desc: "月份 2026-03，默认本月", Type: "string"}}}, s.apiResStatus)
	api("POST", "/api/v1/resources/none", write, "", "报告某月无资源链接",
		&APIDoc{Request: resAPINone{}, Response: resAPIStatus{}, Status: http.StatusCreated}, s.apiResNone)
	api("GET", "/api/v1/resources/{id}", read, "resource", "资源链接详情", &APIDoc{Response: resources.Link{}}, s.apiResGet)
	api("PUT", "/api/v1/resources/{id}", write, "resource", "修改资源链接",
		&APIDoc{Request: resources.LinkInput{}, Response: resources.Link{}}, s.apiResUpdate)
	api("DELETE", "/api/v1/resources/{id}", write, "resource", "删除资源链接", &APIDoc{}, s.apiResDelete)
	api("GET", "/api/v1/resources/comms", read, "", "用人单位沟通记录",
		&APIDoc{Response: volAPIList[resources.Comm]{}, Query: []Param{{Name: "site", Desc: "服务点 id", Type: "integer"},
			{Name: "method", Desc: "visit/phone/wechat/meeting/letter", Type: "string"}, {Name: "from", Desc: "日期起", Type: "date"},
			{Name: "to", Desc: "日期止", Type: "date"}, {Name: "follow_up", Desc: "1：只看需跟进", Type: "integer"}}}, s.apiCommList)
	api("POST", "/api/v1/resources/comms", write, "", "记录用人单位沟通",
		&APIDoc{Request: resources.CommInput{}, Response: resources.Comm{}, Status: http.StatusCreated}, s.apiCommCreate)
	api("GET", "/api/v1/resources/comms/{id}", read, "purchaser_comm", "沟通记录详情", &APIDoc{Response: resources.Comm{}}, s.apiCommGet)
	api("PUT", "/api/v1/resources/comms/{id}", write, "purchaser_comm", "修改沟通记录",
		&APIDoc{Request: resources.CommInput{}, Response: resources.Comm{}}, s.apiCommUpdate)
	api("DELETE", "/api/v1/resources/comms/{id}", write, "purchaser_comm", "删除沟通记录", &APIDoc{}, s.apiCommDelete)

	s.addNav("小组与活动",
		NavItem{Label: "资源链接", Href: "/resources", Perm: read},
		NavItem{Label: "用人单位沟通", Href: "/purchaser-comms", Perm: read})
}

func resSiteOptions(sites []resources.SiteChoice) []Option {
	out := make([]Option, len(sites))
	for i, st := range sites {
		out[i] = Option{Value: idString(st.ID), Label: st.Name}
	}
	return out
}

func resChoiceOptions(cs []resources.Choice) []Option {
	out := make([]Option, len(cs))
	for i, c := range cs {
		out[i] = Option{Value: c.Code, Label: c.Label}
	}
	return out
}

func resSiteObj(orgID, siteID int64) authz.Obj {
	return authz.Obj{OrgID: orgID, SiteIDs: []int64{siteID}}
}

// ---- Resource links ----

func (s *Server) resList(w http.ResponseWriter, r *http.Request) {
	p, ctx, qv := principalOf(r), r.Context(), r.URL.Query()
	q := listQuery(r)
	rows, tot, err := s.Resources.Links(ctx, p, resources.LinkFilter{ListQuery: q, SiteID: volQueryID(r, "site"),
		Kind: qv.Get("kind"), From: qv.Get("from"), To: qv.Get("to")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Resources.Sites(ctx, p, resources.PermRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := ListDef[resources.Link]{
		Sheet: "资源库", Search: "提供方、资源内容、受益对象",
		Filters: []Filter{
			{Name: "site", Label: "服务点", Type: "select", Options: resSiteOptions(sites)},
			{Name: "kind", Label: "资源类型", Type: "select", Options: resChoiceOptions(resources.Kinds)},
			{Name: "from", Label: "月份从", Type: "month"},
			{Name: "to", Label: "至", Type: "month"},
		},
		Cols: []ListCol[resources.Link]{
			{Key: "month", Label: "月份", Cell: func(l resources.Link) Cell { return Cell{Text: l.Month, Href: "/resources/" + idString(l.ID)} }},
			{Key: "site", Label: "服务点", Cell: func(l resources.Link) Cell { return Cell{Text: l.SiteName} }, Width: 24},
			{Key: "provider", Label: "提供方", Cell: func(l resources.Link) Cell { return Cell{Text: l.Provider, Sub: l.Contact} }, Width: 24,
				Export: func(l resources.Link) any { return l.Provider }},
			{Key: "kind", Label: "类型", Cell: func(l resources.Link) Cell { return Cell{Text: l.KindLabel(), Tag: "blue"} }},
			{Label: "资源内容", Cell: func(l resources.Link) Cell { return Cell{Text: l.Description} }, Width: 30},
			{Key: "value", Label: "估算价值", Cell: func(l resources.Link) Cell { return Cell{Text: l.Value.String()} }, Width: 14,
				Export: func(l resources.Link) any { return export.Money(l.Value) }},
			{Key: "beneficiaries", Label: "受益人数", Cell: func(l resources.Link) Cell {
				return Cell{Text: groupDigits(l.Beneficiaries), Sub: l.BeneficiariesNote}
			}, Export: func(l resources.Link) any { return l.Beneficiaries }},
			{Label: "受益对象", Cell: func(l resources.Link) Cell { return Cell{Text: l.BeneficiariesNote} }},
			{Label: "登记人", Cell: func(l resources.Link) Cell { return Cell{Text: l.RecorderName} }},
		},
		Empty: "资源库中没有符合条件的资源",
	}
	pg := s.page(r, "资源库", Crumb{Label: "小组与活动"}, Crumb{Label: "资源链接"})
	actions := []volAction{{Label: "月度登记情况", Href: "/resources/status"}}
	if p.Can(resources.PermWrite) {
		actions = append(actions, volAction{Label: "登记资源链接", Href: "/resources/new", Primary: true})
	}
	figs := []Figure{{Label: "资源条数", Value: groupDigits(tot.Count)}, {Label: "估算价值合计", Value: tot.Value.String()},
		{Label: "受益人数合计", Value: groupDigits(tot.Beneficiaries)}}
	serveList(s, w, r, pg, "resources/list", def, q, rows, tot.Count, func(lv ListView) any {
		return volListPage{List: lv, Actions: actions, Figures: figs,
			Note: "各服务点每月登记链接到的资金、物资、场地、人力和专业服务，汇成机构资源库；上月的资源链接须在本月5日前登记，没有资源的月份也须报告。"}
	})
}

type resForm struct {
	ID    int64
	Sites []Option
	Kinds []Option
}

func (s *Server) resRenderForm(w http.ResponseWriter, r *http.Request, f *Form, cur *resources.Link, code int) {
	sites, err := s.Resources.Sites(r.Context(), principalOf(r), resources.PermWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := resForm{Sites: resSiteOptions(sites), Kinds: resChoiceOptions(resources.Kinds)}
	title := "登记资源链接"
	crumbs := []Crumb{{Label: "小组与活动"}, {Label: "资源链接", Href: "/resources"}}
	if cur != nil {
		d.ID = cur.ID
		title = "修改资源链接"
		crumbs = append(crumbs, Crumb{Label: cur.Provider, Href: "/resources/" + idString(cur.ID)})
	}
	pg := s.page(r, title, append(crumbs, Crumb{Label: title})...)
	pg.Form, pg.Data = f, d
	s.render(w, r, code, "resources/form", pg)
}

func (s *Server) resNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	month := r.URL.Query().Get("month")
	if month == "" {
		month = resources.MonthLabel(s.today().MonthStart())
	}
	vals := map[string]string{"month": month, "site_id": r.URL.Query().Get("site_id")}
	if vals["site_id"] == "" && len(p.SiteIDs) > 0 {
		vals["site_id"] = idString(p.SiteIDs[0])
	}
	s.resRenderForm(w, r, formOf(vals), nil, http.StatusOK)
}

func resInput(f *Form) (resources.LinkInput, error) {
	var v app.Validation
	in := resources.LinkInput{SiteID: f.Int64("site_id"), Month: f.Get("month"), Provider: f.Get("provider"), Kind: f.Get("kind"),
		Description: f.Get("description"), Value: f.Fen("value", &v), BeneficiariesNote: f.Get("beneficiaries_note"),
		Contact: f.Get("contact"), Note: f.Get("note")}
	if sv := f.Get("beneficiaries"); sv != "" {
		n, err := strconv.Atoi(sv)
		if err != nil {
			v.Add("beneficiaries", "受益人数应为整数")
		}
		in.Beneficiaries = n
	}
	return in, v.Err()
}

func (s *Server) resCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	in, err := resInput(f)
	var l *resources.Link
	if err == nil {
		l, err = s.Resources.CreateLink(r.Context(), principalOf(r), in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.resRenderForm(w, r, f, nil, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/resources/"+idString(l.ID), "已登记资源链接")
}

func (s *Server) resWritable(r *http.Request, id int64) (*resources.Link, error) {
	p := principalOf(r)
	l, err := s.Resources.GetLink(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(resources.PermWrite).Allows(resSiteObj(p.OrgID, l.SiteID)) {
		return nil, app.ErrNotFound("资源链接")
	}
	return l, nil
}

func (s *Server) resEdit(w http.ResponseWriter, r *http.Request) {
	l, err := s.resWritable(r, volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(map[string]string{"site_id": idString(l.SiteID), "month": l.Month, "provider": l.Provider, "kind": l.Kind,
		"description": l.Description, "value": l.Value.Plain(false), "beneficiaries": strconv.Itoa(l.Beneficiaries),
		"beneficiaries_note": l.BeneficiariesNote, "contact": l.Contact, "note": l.Note})
	s.resRenderForm(w, r, f, l, http.StatusOK)
}

func (s *Server) resUpdate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id := volPathID(r, "id")
	cur, err := s.resWritable(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := resInput(f)
	if err == nil {
		_, err = s.Resources.UpdateLink(r.Context(), principalOf(r), id, in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.resRenderForm(w, r, f, cur, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/resources/"+idString(id), "已保存")
}

func (s *Server) resDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.Resources.DeleteLink(r.Context(), principalOf(r), volPathID(r, "id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/resources", "已删除资源链接")
}

type resDetail struct {
	L        *resources.Link
	CanWrite bool
}

func (s *Server) resDetail(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	l, err := s.Resources.GetLink(r.Context(), p, volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "资源链接", Crumb{Label: "小组与活动"}, Crumb{Label: "资源链接", Href: "/resources"}, Crumb{Label: l.Provider})
	pg.Data = resDetail{L: l, CanWrite: p.Scope(resources.PermWrite).Allows(resSiteObj(p.OrgID, l.SiteID))}
	s.render(w, r, http.StatusOK, "resources/detail", pg)
}

type resStatusData struct {
	Month     string
	MonthName string
	Prev      string
	Next      string
	Rows      []resources.MonthRow
	CanWrite  bool
	Form      *Form
}

func (s *Server) resStatusRender(w http.ResponseWriter, r *http.Request, month string, f *Form, code int) {
	p := principalOf(r)
	m, rows, err := s.Resources.MonthStatus(r.Context(), p, month)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := resStatusData{Month: resources.MonthLabel(m), MonthName: resources.MonthName(m), Prev: resources.MonthLabel(m.AddMonths(-1)),
		Rows: rows, CanWrite: p.Can(resources.PermWrite), Form: f}
	if next := m.AddMonths(1); !next.After(s.today()) {
		d.Next = resources.MonthLabel(next)
	}
	if d.Form == nil {
		d.Form = formOf(nil)
	}
	pg := s.page(r, "月度资源链接与沟通情况", Crumb{Label: "小组与活动"}, Crumb{Label: "资源链接", Href: "/resources"}, Crumb{Label: "月度登记情况"})
	pg.Data = d
	s.render(w, r, code, "resources/status", pg)
}

func (s *Server) resStatus(w http.ResponseWriter, r *http.Request) {
	s.resStatusRender(w, r, r.URL.Query().Get("month"), nil, http.StatusOK)
}

func (s *Server) resNone(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	month := f.Get("month")
	if err := s.Resources.ReportNone(r.Context(), principalOf(r), f.Int64("site_id"), month, f.Get("note")); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.resStatusRender(w, r, month, f, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/resources/status?month="+month, "已报告本月无资源链接")
}

// ---- Purchaser communication ----

func (s *Server) commList(w http.ResponseWriter, r *http.Request) {
	p, ctx, qv := principalOf(r), r.Context(), r.URL.Query()
	q := listQuery(r)
	rows, total, err := s.Resources.Comms(ctx, p, resources.CommFilter{ListQuery: q, SiteID: volQueryID(r, "site"),
		Method: qv.Get("method"), From: volQueryDate(r, "from"), To: volQueryDate(r, "to"), FollowUp: qv.Get("follow_up") == "1"})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Resources.Sites(ctx, p, resources.PermRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := ListDef[resources.Comm]{
		Sheet: "用人单位沟通记录", Search: "联系人、沟通内容",
		Filters: []Filter{
			{Name: "site", Label: "服务点", Type: "select", Options: resSiteOptions(sites)},
			{Name: "method", Label: "沟通方式", Type: "select", Options: resChoiceOptions(resources.Methods)},
			{Name: "from", Label: "日期从", Type: "date"},
			{Name: "to", Label: "至", Type: "date"},
			{Name: "follow_up", Label: "需跟进", Type: "select", Options: []Option{{"1", "只看需跟进"}}},
		},
		Cols: []ListCol[resources.Comm]{
			{Key: "date", Label: "日期", Cell: func(c resources.Comm) Cell {
				return Cell{Text: c.Date.String(), Href: "/purchaser-comms/" + idString(c.ID)}
			}},
			{Key: "site", Label: "服务点", Cell: func(c resources.Comm) Cell { return Cell{Text: c.SiteName} }, Width: 24},
			{Key: "contact", Label: "用人单位联系人", Cell: func(c resources.Comm) Cell { return Cell{Text: c.Contact} }, Width: 18},
			{Key: "method", Label: "方式", Cell: func(c resources.Comm) Cell { return Cell{Text: c.MethodLabel()} }},
			{Label: "沟通内容", Cell: func(c resources.Comm) Cell { return Cell{Text: clipRunes(c.Content, 60)} },
				Export: func(c resources.Comm) any { return c.Content }, Width: 40},
			{Label: "需跟进", Cell: func(c resources.Comm) Cell {
				if c.FollowUp {
					return Cell{Text: "需跟进", Tag: "orange", Sub: clipRunes(c.FollowUpNote, 40)}
				}
				return Cell{Text: "—"}
			}, Export: func(c resources.Comm) any { return c.FollowUpNote }},
			{Label: "记录人", Cell: func(c resources.Comm) Cell { return Cell{Text: c.RecorderName} }},
		},
		Empty: "没有符合条件的沟通记录",
	}
	pg := s.page(r, "用人单位沟通", Crumb{Label: "小组与活动"}, Crumb{Label: "用人单位沟通"})
	actions := []volAction{{Label: "月度登记情况", Href: "/resources/status"}}
	if p.Can(resources.PermWrite) {
		actions = append(actions, volAction{Label: "记录沟通", Href: "/purchaser-comms/new", Primary: true})
	}
	serveList(s, w, r, pg, "resources/list", def, q, rows, total, func(lv ListView) any {
		return volListPage{List: lv, Actions: actions,
			Note: "各服务点每月至少与用人单位沟通一次并记录；当月25日仍无记录会提醒中心负责人和行政部，月底后逾期。"}
	})
}

type resCommForm struct {
	ID      int64
	Sites   []Option
	Methods []Option
}

func (s *Server) commRenderForm(w http.ResponseWriter, r *http.Request, f *Form, cur *resources.Comm, code int) {
	sites, err := s.Resources.Sites(r.Context(), principalOf(r), resources.PermWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := resCommForm{Sites: resSiteOptions(sites), Methods: resChoiceOptions(resources.Methods)}
	title := "记录用人单位沟通"
	crumbs := []Crumb{{Label: "小组与活动"}, {Label: "用人单位沟通", Href: "/purchaser-comms"}}
	if cur != nil {
		d.ID = cur.ID
		title = "修改沟通记录"
		crumbs = append(crumbs, Crumb{Label: cur.Date.String() + " " + cur.SiteName, Href: "/purchaser-comms/" + idString(cur.ID)})
	}
	pg := s.page(r, title, append(crumbs, Crumb{Label: title})...)
	pg.Form, pg.Data = f, d
	s.render(w, r, code, "resources/comm_form", pg)
}

func (s *Server) commNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	vals := map[string]string{"comm_date": s.today().String(), "site_id": r.URL.Query().Get("site_id")}
	if vals["site_id"] == "" && len(p.SiteIDs) > 0 {
		vals["site_id"] = idString(p.SiteIDs[0])
	}
	s.commRenderForm(w, r, formOf(vals), nil, http.StatusOK)
}

func resCommInput(f *Form) (resources.CommInput, error) {
	var v app.Validation
	in := resources.CommInput{SiteID: f.Int64("site_id"), Date: f.Date("comm_date", &v), Contact: f.Get("contact"),
		Method: f.Get("method"), Content: f.Get("content"), FollowUp: f.Checked("follow_up"), FollowUpNote: f.Get("follow_up_note")}
	return in, v.Err()
}

func (s *Server) commCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	in, err := resCommInput(f)
	var c *resources.Comm
	if err == nil {
		c, err = s.Resources.CreateComm(r.Context(), principalOf(r), in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.commRenderForm(w, r, f, nil, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/purchaser-comms/"+idString(c.ID), "已记录沟通")
}

func (s *Server) commWritable(r *http.Request, id int64) (*resources.Comm, error) {
	p := principalOf(r)
	c, err := s.Resources.GetComm(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(resources.PermWrite).Allows(resSiteObj(p.OrgID, c.SiteID)) {
		return nil, app.ErrNotFound("沟通记录")
	}
	return c, nil
}

func (s *Server) commEdit(w http.ResponseWriter, r *http.Request) {
	c, err := s.commWritable(r, volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vals := map[string]string{"site_id": idString(c.SiteID), "comm_date": c.Date.String(), "contact": c.Contact,
		"method": c.Method, "content": c.Content, "follow_up_note": c.FollowUpNote}
	if c.FollowUp {
		vals["follow_up"] = "1"
	}
	s.commRenderForm(w, r, formOf(vals), c, http.StatusOK)
}

func (s *Server) commUpdate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id := volPathID(r, "id")
	cur, err := s.commWritable(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := resCommInput(f)
	if err == nil {
		_, err = s.Resources.UpdateComm(r.Context(), principalOf(r), id, in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.commRenderForm(w, r, f, cur, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/purchaser-comms/"+idString(id), "已保存")
}

func (s *Server) commDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.Resources.DeleteComm(r.Context(), principalOf(r), volPathID(r, "id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/purchaser-comms", "已删除沟通记录")
}

type resCommDetail struct {
	C        *resources.Comm
	CanWrite bool
}

func (s *Server) commDetail(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	c, err := s.Resources.GetComm(r.Context(), p, volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "沟通记录", Crumb{Label: "小组与活动"}, Crumb{Label: "用人单位沟通", Href: "/purchaser-comms"},
		Crumb{Label: c.Date.String() + " " + c.SiteName})
	pg.Data = resCommDetail{C: c, CanWrite: p.Scope(resources.PermWrite).Allows(resSiteObj(p.OrgID, c.SiteID))}
	s.render(w, r, http.StatusOK, "resources/comm", pg)
}

// ---- JSON API ----

type resAPILinks struct {
	Items  []resources.Link     `json:"items"`
	Totals resources.LinkTotals `json:"totals"`
}

type resAPIStatus struct {
	Month string               `json:"month"`
	Rows  []resources.MonthRow `json:"rows"`
}

type resAPINone struct {
	SiteID int64  `json:"site_id"`
	Month  string `json:"month"`
	Note   string `json:"note"`
}

func (s *Server) apiResList(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	rows, tot, err := s.Resources.Links(r.Context(), principalOf(r), resources.LinkFilter{ListQuery: listQuery(r),
		SiteID: volQueryID(r, "site"), Kind: qv.Get("kind"), From: qv.Get("from"), To: qv.Get("to")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rows == nil {
		rows = []resources.Link{}
	}
	writeJSON(w, http.StatusOK, resAPILinks{Items: rows, Totals: tot})
}

func (s *Server) apiResCreate(w http.ResponseWriter, r *http.Request) {
	var in resources.LinkInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.Resources.CreateLink(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) apiResGet(w http.ResponseWriter, r *http.Request) {
	l, err := s.Resources.GetLink(r.Context(), principalOf(r), volPathID(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) apiResUpdate(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if _, err := s.resWritable(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in resources.LinkInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := s.Resources.UpdateLink(r.Context(), principalOf(r), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) apiResDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.Resources.DeleteLink(r.Context(), principalOf(r), volPathID(r, "id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiResStatus(w http.ResponseWriter, r *http.Request) {
	m, rows, err := s.Resources.MonthStatus(r.Context(), principalOf(r), r.URL.Query().Get("month"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rows == nil {
		rows = []resources.MonthRow{}
	}
	writeJSON(w, http.StatusOK, resAPIStatus{Month: resources.MonthLabel(m), Rows: rows})
}

func (s *Server) apiResNone(w http.ResponseWriter, r *http.Request) {
	var in resAPINone
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Resources.ReportNone(r.Context(), principalOf(r), in.SiteID, in.Month, in.Note); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, rows, err := s.Resources.MonthStatus(r.Context(), principalOf(r), in.Month)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, resAPIStatus{Month: resources.MonthLabel(m), Rows: rows})
}

func (s *Server) apiCommList(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	rows, total, err := s.Resources.Comms(r.Context(), principalOf(r), resources.CommFilter{ListQuery: listQuery(r),
		SiteID: volQueryID(r, "site"), Method: qv.Get("method"), From: volQueryDate(r, "from"), To: volQueryDate(r, "to"),
		FollowUp: qv.Get("follow_up") == "1"})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, volAPIPage(rows, total))
}

func (s *Server) apiCommCreate(w http.ResponseWriter, r *http.Request) {
	var in resources.CommInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Resources.CreateComm(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiCommGet(w http.ResponseWriter, r *http.Request) {
	c, err := s.Resources.GetComm(r.Context(), principalOf(r), volPathID(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiCommUpdate(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if _, err := s.commWritable(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in resources.CommInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Resources.UpdateComm(r.Context(), principalOf(r), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiCommDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.Resources.DeleteComm(r.Context(), principalOf(r), volPathID(r, "id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
