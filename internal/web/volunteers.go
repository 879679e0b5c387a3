package web

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/export"
	"shegong/internal/volunteers"
)

// Volunteer pages (SPEC M4 V1–V3): the register, teams, service records,
// certificates, the i志愿 export, imports and reports. The JSON API is in
// volunteers_api.go.

func (s *Server) volunteerRoutes() {
	rt := s.router
	perms := map[string]*authz.Perm{"read": volunteers.PermRead, "write": volunteers.PermWrite,
		"reveal": volunteers.PermReveal, "config": volunteers.PermConfig}
	read := volunteers.PermRead
	h := func(method, pattern, perm, object, summary string, fn http.HandlerFunc) {
		rt.Handle(Route{Method: method, Pattern: pattern, Access: Permitted, Perm: perms[perm], Object: object, Summary: summary}, fn)
	}
	h("GET", "/volunteers", "read", "", "志愿者名册", s.volList)
	h("GET", "/volunteers/new", "write", "", "登记志愿者页", s.volNew)
	h("POST", "/volunteers", "write", "", "登记志愿者", s.volCreate)
	h("GET", "/volunteers/{id}", "read", "volunteer", "志愿者档案", s.volDetail)
	h("GET", "/volunteers/{id}/edit", "write", "volunteer", "修改志愿者页", s.volEdit)
	h("POST", "/volunteers/{id}", "write", "volunteer", "修改志愿者", s.volUpdate)
	h("POST", "/volunteers/{id}/reveal", "reveal", "volunteer", "查看志愿者完整证件号和电话", s.volReveal)
	h("POST", "/volunteers/{id}/commendations", "write", "volunteer", "登记表彰", s.volCommend)
	h("POST", "/volunteers/{id}/certificates", "write", "volunteer", "出具志愿服务记录证明", s.volIssueCertificate)
	h("GET", "/volunteers/import", "write", "", "导入志愿者页", s.volImportPage)
	h("POST", "/volunteers/import", "write", "", "导入志愿者", s.volImport)
	h("GET", "/volunteers/import/template", "write", "", "下载志愿者导入模板", s.volImportTemplate)
	h("GET", "/volunteer-certificates/{id}", "read", "volunteer_certificate", "志愿服务记录证明（打印）", s.volCertificate)

	h("GET", "/volunteer-teams", "read", "", "服务队列表", s.teamList)
	h("GET", "/volunteer-teams/new", "write", "", "新建服务队页", s.teamNew)
	h("POST", "/volunteer-teams", "write", "", "新建服务队", s.teamCreate)
	h("GET", "/volunteer-teams/{id}", "read", "volunteer_team", "服务队详情", s.teamDetail)
	h("GET", "/volunteer-teams/{id}/edit", "write", "volunteer_team", "修改服务队页", s.teamEdit)
	h("POST", "/volunteer-teams/{id}", "write", "volunteer_team", "修改服务队", s.teamUpdate)
	h("POST", "/volunteer-teams/{id}/members", "write", "volunteer_team", "加入队员", s.teamAddMember)
	h("POST", "/volunteer-teams/{id}/members/{vid}/remove", "write", "volunteer_team", "移出队员", s.teamRemoveMember)

	h("GET", "/volunteer-services", "read", "", "志愿服务记录", s.recList)
	h("GET", "/volunteer-services/new", "write", "", "登记服务记录页", s.recNew)
	h("POST", "/volunteer-services", "write", "", "登记服务记录", s.recCreate)
	h("GET", "/volunteer-services/{id}", "read", "volunteer_service", "服务记录详情", s.recDetail)
	h("GET", "/volunteer-services/{id}/edit", "write", "volunteer_service", "修改服务记录页", s.recEdit)
	h("POST", "/volunteer-services/{id}", "write", "volunteer_service", "修改服务记录", s.recUpdate)
	h("POST", "/volunteer-services/{id}/delete", "write", "volunteer_service", "删除服务记录", s.recDelete)
	h("GET", "/volunteer-services/import", "write", "", "导入服务时数页", s.recImportPage)
	h("POST", "/volunteer-services/import", "write", "", "导入服务时数", s.recImport)
	h("GET", "/volunteer-services/import/template", "write", "", "下载服务时数导入模板", s.recImportTemplate)

	h("GET", "/volunteer-managers", "read", "", "志愿者管理员", s.mgrPage)
	h("POST", "/volunteer-managers", "write", "", "设置志愿者管理员", s.mgrAdd)
	h("POST", "/volunteer-managers/remove", "write", "", "取消志愿者管理员", s.mgrRemove)
	h("GET", "/volunteer-stars", "read", "", "星级时数标准", s.starsPage)
	h("POST", "/volunteer-stars", "config", "", "设置星级时数标准", s.starsSet)
	h("GET", "/volunteer-reports/unregistered", "read", "", "未注册或登记不全的志愿者", s.volUnregistered)
	h("GET", "/volunteer-reports/idle", "read", "", "期间内无服务记录的队员", s.volIdle)

	h("GET", "/ivolunteer", "read", "", "i志愿导出", s.ivolPage)
	h("POST", "/ivolunteer/export", "reveal", "", "导出到i志愿（含完整证件号码）", s.ivolExport)
	h("GET", "/ivolunteer/batches/{id}", "reveal", "ivol_batch", "重新下载i志愿导出批次", s.ivolBatch)

	s.volunteerAPIRoutes()
	s.addNav("志愿者",
		NavItem{Label: "志愿者", Href: "/volunteers", Perm: read},
		NavItem{Label: "服务队", Href: "/volunteer-teams", Perm: read},
		NavItem{Label: "服务记录", Href: "/volunteer-services", Perm: read},
		NavItem{Label: "i志愿导出", Href: "/ivolunteer", Perm: read})
}

// volAction is a button on a page head.
type volAction struct {
	Label   string
	Href    string
	Primary bool
}

// volListPage is what the area's list pages render.
type volListPage struct {
	List    ListView
	Actions []volAction
	Note    string
	Figures []Figure
}

func volPathID(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(r.PathValue(name), 10, 64)
	return n
}

func volQueryID(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	return max(n, 0)
}

func volQueryDate(r *http.Request, name string) app.Date {
	d, _ := app.ParseDate(r.URL.Query().Get(name))
	return d
}

func volChoiceOptions(cs []volunteers.Choice) []Option {
	out := make([]Option, len(cs))
	for i, c := range cs {
		out[i] = Option{Value: c.Code, Label: c.Label}
	}
	return out
}

func volSiteOptions(sites []volunteers.SiteChoice) []Option {
	out := make([]Option, len(sites))
	for i, st := range sites {
		out[i] = Option{Value: idString(st.ID), Label: st.Name}
	}
	return out
}

func volStars(n int) string {
	if n == 0 {
		return "—"
	}
	return strings.Repeat("★", n)
}

// volHours is a spreadsheet number of hours with two decimals.
func volHours(m volunteers.Minutes) float64 { return math.Round(m.Hours()*100) / 100 }

func volStatusTag(status string) Cell {
	if status == "active" {
		return Cell{Text: "在册", Tag: "green"}
	}
	return Cell{Text: "退出", Tag: "grey"}
}

// volSiteObj is the scope facts of a record of one service point.
func volSiteObj(orgID, siteID int64) authz.Obj {
	return authz.Obj{OrgID: orgID, SiteIDs: []int64{siteID}}
}

// ---- Volunteers ----

func (s *Server) volList(w http.ResponseWriter, r *http.Request) {
	p, ctx, qv := principalOf(r), r.Context(), r.URL.Query()
	q := listQuery(r)
	stars, _ := strconv.Atoi(qv.Get("stars"))
	f := volunteers.Filter{ListQuery: q, SiteID: volQueryID(r, "site"), Status: qv.Get("status"), TeamID: volQueryID(r, "team"),
		Registered: qv.Get("registered"), MinStars: stars}
	sites, err := s.Volunteers.Sites(ctx, p, volunteers.PermRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	teams, err := s.Volunteers.TeamChoices(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var teamOpts []Option
	for _, t := range teams {
		teamOpts = append(teamOpts, Option{Value: idString(t.ID), Label: t.Name})
	}
	def := ListDef[volunteers.Volunteer]{
		Sheet:  "志愿者名册",
		Search: "姓名、编号、i志愿编号或完整手机号/证件号",
		Filters: []Filter{
			{Name: "site", Label: "服务点", Type: "select", Options: volSiteOptions(sites)},
			{Name: "team", Label: "服务队", Type: "select", Options: teamOpts},
			{Name: "status", Label: "状态", Type: "select", Options: volChoiceOptions(volunteers.Statuses)},
			{Name: "registered", Label: "i志愿注册", Type: "select", Options: []Option{{"yes", "已注册"}, {"no", "未注册"}}},
			{Name: "stars", Label: "星级", Type: "select", Options: []Option{{"1", "一星及以上"}, {"2", "二星及以上"},
				{"3", "三星及以上"}, {"4", "四星及以上"}, {"5", "五星"}}},
		},
		Cols: []ListCol[volunteers.Volunteer]{
			{Key: "no", Label: "编号", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.No, Href: "/volunteers/" + idString(v.ID)} }, Width: 12},
			{Key: "name", Label: "姓名", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.Name} }},
			{Label: "性别", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.Gender} }},
			{Label: "手机号码", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.PhoneMasked} }, Width: 14},
			{Label: "证件号码", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.IDNumberMasked} }, Width: 22},
			{Key: "site", Label: "服务点", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.SiteName} }, Width: 24},
			{Label: "i志愿编号", Cell: func(v volunteers.Volunteer) Cell {
				if v.IvolID == "" {
					return Cell{Text: "未注册", Tag: "orange"}
				}
				return Cell{Text: v.IvolID}
			}, Export: func(v volunteers.Volunteer) any { return v.IvolID }},
			{Key: "hours", Label: "累计时数", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.Minutes.String()} },
				Export: func(v volunteers.Volunteer) any { return volHours(v.Minutes) }},
			{Label: "星级", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: volStars(v.Stars)} },
				Export: func(v volunteers.Volunteer) any { return v.Stars }},
			{Key: "joined", Label: "登记日期", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.JoinedOn.String()} }},
			{Label: "状态", Cell: func(v volunteers.Volunteer) Cell { return volStatusTag(v.Status) }},
		},
		Empty: "没有符合条件的志愿者",
	}
	pg := s.page(r, "志愿者名册", Crumb{Label: "志愿者"}, Crumb{Label: "志愿者名册"})
	actions := []volAction{{Label: "注册与登记检查", Href: "/volunteer-reports/unregistered"},
		{Label: "星级标准", Href: "/volunteer-stars"}, {Label: "志愿者管理员", Href: "/volunteer-managers"}}
	if p.Can(volunteers.PermWrite) {
		actions = append(actions, volAction{Label: "从Excel导入", Href: "/volunteers/import"},
			volAction{Label: "登记志愿者", Href: "/volunteers/new", Primary: true})
	}
	serveListRows(s, w, r, pg, "volunteers/list", def, q, s.Volunteers.Rows(ctx, p, f), func(lv ListView) any {
		return volListPage{List: lv, Actions: actions, Note: "证件号码和手机号码只显示部分；累计时数按全部服务记录的分钟数计算，星级按当前有效的时数标准。"}
	})
}

// volFormPage is what the volunteer form renders.
type volFormPage struct {
	ID                               int64
	Sites, IDTypes, Statuses, Gender []Option
	Current                          *volunteers.Volunteer
}

func (s *Server) volRenderForm(w http.ResponseWriter, r *http.Request, f *Form, cur *volunteers.Volunteer, code int) {
	sites, err := s.Volunteers.Sites(r.Context(), principalOf(r), volunteers.PermWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title := "登记志愿者"
	crumbs := []Crumb{{Label: "志愿者"}, {Label: "志愿者名册", Href: "/volunteers"}}
	d := volFormPage{Sites: volSiteOptions(sites), IDTypes: volChoiceOptions(volunteers.IDTypes),
		Statuses: volChoiceOptions(volunteers.Statuses), Gender: []Option{{"男", "男"}, {"女", "女"}}, Current: cur}
	if cur != nil {
		title = "修改志愿者 " + cur.No
		d.ID = cur.ID
		crumbs = append(crumbs, Crumb{Label: cur.Name, Href: "/volunteers/" + idString(cur.ID)})
		// A service point the editor cannot write to stays selectable as it is.
		found := false
		for _, o := range d.Sites {
			found = found || o.Value == idString(cur.SiteID)
		}
		if !found {
			d.Sites = append(d.Sites, Option{Value: idString(cur.SiteID), Label: cur.SiteName})
		}
	}
	pg := s.page(r, title, append(crumbs, Crumb{Label: title})...)
	pg.Form, pg.Data = f, d
	s.render(w, r, code, "volunteers/form", pg)
}

func (s *Server) volNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	vals := map[string]string{"joined_on": s.today().String(), "status": "active", "id_type": volunteers.IDResident}
	if len(p.SiteIDs) > 0 {
		vals["site_id"] = idString(p.SiteIDs[0])
	}
	s.volRenderForm(w, r, formOf(vals), nil, http.StatusOK)
}

// volInput reads the volunteer form; malformed dates are field errors.
func volInput(f *Form) (volunteers.VolunteerInput, error) {
	var v app.Validation
	in := volunteers.VolunteerInput{SiteID: f.Int64("site_id"), Name: f.Get("name"), Gender: f.Get("gender"),
		BirthMonth: f.Get("birth_month"), IDType: f.Get("id_type"), IDNumber: f.Get("id_number"), Phone: f.Get("phone"),
		Skills: f.Get("skills"), IvolID: f.Get("ivol_id"), JoinedOn: f.Date("joined_on", &v), Status: f.Get("status"),
		Consent: f.Checked("consent"), ConsentOn: f.Date("consent_on", &v), Address: f.Get("address"),
		Employer: f.Get("employer"), Education: f.Get("education"), Note: f.Get("note")}
	in.Version, _ = strconv.Atoi(f.Get("version"))
	return in, v.Err()
}

func (s *Server) volCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	in, err := volInput(f)
	var v *volunteers.Volunteer
	if err == nil {
		v, err = s.Volunteers.Create(r.Context(), principalOf(r), in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.volRenderForm(w, r, f, nil, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteers/"+idString(v.ID), "已登记志愿者 "+v.No)
}

func volFormValues(v *volunteers.Volunteer) map[string]string {
	m := map[string]string{"site_id": idString(v.SiteID), "name": v.Name, "gender": v.Gender, "birth_month": v.BirthMonth,
		"id_type": v.IDType, "skills": v.Skills, "ivol_id": v.IvolID, "joined_on": v.JoinedOn.String(), "status": v.Status,
		"consent_on": v.ConsentOn.String(), "employer": v.Employer, "education": v.Education, "note": v.Note,
		"version": strconv.Itoa(v.Version)}
	if v.Consent {
		m["consent"] = "1"
	}
	return m
}

func (s *Server) volEdit(w http.ResponseWriter, r *http.Request) {
	v, err := s.Volunteers.Get(r.Context(), principalOf(r), volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.volCanWrite(r, v); err != nil {
		s.fail(w, r, err)
		return
	}
	s.volRenderForm(w, r, formOf(volFormValues(v)), v, http.StatusOK)
}

// volCanWrite turns a volunteer readable but not writable into not-found.
func (s *Server) volCanWrite(r *http.Request, v *volunteers.Volunteer) error {
	p := principalOf(r)
	if !p.Scope(volunteers.PermWrite).Allows(volSiteObj(p.OrgID, v.SiteID)) {
		return app.ErrNotFound("志愿者")
	}
	return nil
}

func (s *Server) volUpdate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	p, id := principalOf(r), volPathID(r, "id")
	in, perr := volInput(f)
	var v *volunteers.Volunteer
	var err error
	if perr == nil {
		v, err = s.Volunteers.Update(r.Context(), p, id, in)
	} else {
		// Check access before showing the form's own errors.
		if _, err = s.volLoadWritable(r, id); err == nil {
			err = perr
		}
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		cur, gerr := s.Volunteers.Get(r.Context(), p, id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.volRenderForm(w, r, f, cur, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteers/"+idString(v.ID), "已保存")
}

func (s *Server) volLoadWritable(r *http.Request, id int64) (*volunteers.Volunteer, error) {
	v, err := s.Volunteers.Get(r.Context(), principalOf(r), id)
	if err != nil {
		return nil, err
	}
	return v, s.volCanWrite(r, v)
}

// volDetailPage is the volunteer's record page.
type volDetailPage struct {
	V             *volunteers.Volunteer
	IDTypeLabel   string
	Revealed      *volunteers.Revealed
	Records       []volunteers.ServiceRecord
	RecordTotal   int
	Commendations []volunteers.Commendation
	Certificates  []volunteers.Certificate
	NextStars     int
	NextNeed      volunteers.Minutes
	HasNext       bool
	CanWrite      bool
	CanReveal     bool
	CommendForm   *Form
	CertForm      *Form
}

func (s *Server) volRenderDetail(w http.ResponseWriter, r *http.Request, id int64, d volDetailPage, code int) {
	p, ctx := principalOf(r), r.Context()
	v, err := s.Volunteers.Get(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.V = v
	d.IDTypeLabel = volunteers.Label(volunteers.IDTypes, v.IDType)
	d.Records, d.RecordTotal, _, err = s.Volunteers.Records(ctx, p, volunteers.RecordFilter{
		ListQuery: app.ListQuery{Page: 1, Size: 10}, VolunteerID: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Commendations, err = s.Volunteers.Commendations(ctx, p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Certificates, err = s.Volunteers.Certificates(ctx, p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	th, err := s.Volunteers.Thresholds(ctx, p.OrgID, s.today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.NextStars, d.NextNeed, d.HasNext = volunteers.NextStar(v.Minutes, th)
	d.CanWrite = p.Scope(volunteers.PermWrite).Allows(volSiteObj(p.OrgID, v.SiteID))
	d.CanReveal = p.Scope(volunteers.PermReveal).Allows(volSiteObj(p.OrgID, v.SiteID))
	if d.CommendForm == nil {
		d.CommendForm = formOf(map[string]string{"awarded_on": s.today().String(), "issuer": p.OrgName})
	}
	if d.CertForm == nil {
		d.CertForm = formOf(nil)
	}
	pg := s.page(r, v.Name+" · "+v.No, Crumb{Label: "志愿者"}, Crumb{Label: "志愿者名册", Href: "/volunteers"}, Crumb{Label: v.Name})
	pg.Data = d
	s.render(w, r, code, "volunteers/detail", pg)
}

func (s *Server) volDetail(w http.ResponseWriter, r *http.Request) {
	s.volRenderDetail(w, r, volPathID(r, "id"), volDetailPage{}, http.StatusOK)
}

func (s *Server) volReveal(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	rv, err := s.Volunteers.Reveal(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.volRenderDetail(w, r, id, volDetailPage{Revealed: rv}, http.StatusOK)
}

func (s *Server) volCommend(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id := volPathID(r, "id")
	var v app.Validation
	in := volunteers.CommendationInput{AwardedOn: f.Date("awarded_on", &v), Title: f.Get("title"), Issuer: f.Get("issuer"), Note: f.Get("note")}
	_, err := s.Volunteers.AddCommendation(r.Context(), principalOf(r), id, in)
	if err == nil && !v.OK() {
		err = v.Err()
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.volRenderDetail(w, r, id, volDetailPage{CommendForm: f}, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteers/"+idString(id)+"#commendations", "已登记表彰")
}

func (s *Server) volIssueCertificate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id := volPathID(r, "id")
	var v app.Validation
	in := volunteers.CertificateInput{PeriodFrom: f.Date("period_from", &v), PeriodTo: f.Date("period_to", &v), Content: f.Get("content")}
	var cid int64
	var err error
	if v.OK() {
		cid, err = s.Volunteers.IssueCertificate(r.Context(), principalOf(r), id, in)
	} else if _, err = s.volLoadWritable(r, id); err == nil {
		err = v.Err()
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.volRenderDetail(w, r, id, volDetailPage{CertForm: f}, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteer-certificates/"+idString(cid), "已出具服务证明")
}

type volCertData struct {
	C         *volunteers.Certificate
	Full      bool
	CanReveal bool
}

func (s *Server) volCertificate(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	full := r.URL.Query().Get("full") == "1"
	c, err := s.Volunteers.Certificate(r.Context(), p, volPathID(r, "id"), full)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "志愿服务记录证明 "+c.Number, Crumb{Label: "志愿者"}, Crumb{Label: "志愿者名册", Href: "/volunteers"},
		Crumb{Label: c.VolunteerName, Href: "/volunteers/" + idString(c.VolunteerID)}, Crumb{Label: "服务证明"})
	pg.Data = volCertData{C: c, Full: full, CanReveal: p.Scope(volunteers.PermReveal).Allows(volSiteObj(p.OrgID, c.SiteID))}
	s.render(w, r, http.StatusOK, "volunteers/certificate", pg)
}

// ---- Imports ----

// volImportPage is the upload page of an import, with its result.
type volImportPage struct {
	Title    string
	Action   string
	Template string
	Back     string
	Columns  []volunteers.Column
	Result   *volunteers.ImportResult
	Message  string
}

func (s *Server) volRenderImport(w http.ResponseWriter, r *http.Request, d volImportPage, code int) {
	pg := s.page(r, d.Title, Crumb{Label: "志愿者"}, Crumb{Label: d.Title})
	pg.Data = d
	s.render(w, r, code, "volunteers/import", pg)
}

var volImportDef = volImportPage{Title: "从Excel导入志愿者", Action: "/volunteers/import", Template: "/volunteers/import/template",
	Back: "/volunteers", Columns: volunteers.VolunteerColumns}

var recImportDef = volImportPage{Title: "从Excel导入服务时数", Action: "/volunteer-services/import",
	Template: "/volunteer-services/import/template", Back: "/volunteer-services", Columns: volunteers.RecordColumns}

func (s *Server) volImportPage(w http.ResponseWriter, r *http.Request) {
	s.volRenderImport(w, r, volImportDef, http.StatusOK)
}

func (s *Server) recImportPage(w http.ResponseWriter, r *http.Request) {
	s.volRenderImport(w, r, recImportDef, http.StatusOK)
}

func (s *Server) volImport(w http.ResponseWriter, r *http.Request) {
	s.volRunImport(w, r, volImportDef, s.Volunteers.ImportVolunteers)
}

func (s *Server) recImport(w http.ResponseWriter, r *http.Request) {
	s.volRunImport(w, r, recImportDef, s.Volunteers.ImportRecords)
}

// volRunImport reads the uploaded file and shows the dry run or import result.
func (s *Server) volRunImport(w http.ResponseWriter, r *http.Request, d volImportPage,
	run func(ctx context.Context, p *authz.Principal, rd io.Reader, dryRun bool) (*volunteers.ImportResult, error)) {
	r.Body = http.MaxBytesReader(w, r.Body, export.DefaultMaxBytes+1<<20)
	if err := r.ParseMultipartForm(export.DefaultMaxBytes + 1<<20); err != nil {
		d.Message = "请选择要导入的Excel文件（.xlsx）"
		s.volRenderImport(w, r, d, http.StatusUnprocessableEntity)
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		d.Message = "请选择要导入的Excel文件（.xlsx）"
		s.volRenderImport(w, r, d, http.StatusUnprocessableEntity)
		return
	}
	defer file.Close()
	res, err := run(r.Context(), principalOf(r), file, r.FormValue("dry_run") == "1")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Result = res
	code := http.StatusOK
	if !res.OK() {
		code = http.StatusUnprocessableEntity
	}
	if res.OK() && !res.DryRun {
		s.setFlash(w, fmt.Sprintf("已导入 %d 行", res.Imported))
	}
	s.volRenderImport(w, r, d, code)
}

func (s *Server) volImportTemplate(w http.ResponseWriter, r *http.Request) {
	s.volWriteTemplate(w, r, "志愿者导入模板.xlsx", volunteers.VolunteerColumns)
}

func (s *Server) recImportTemplate(w http.ResponseWriter, r *http.Request) {
	s.volWriteTemplate(w, r, "服务时数导入模板.xlsx", volunteers.RecordColumns)
}

func (s *Server) volWriteTemplate(w http.ResponseWriter, r *http.Request, name string, cols []volunteers.Column) {
	w.Header().Set("Content-Type", export.ContentTypeXLSX)
	w.Header().Set("Content-Disposition", export.ContentDisposition(name))
	if err := export.WriteXLSX(w, "导入", volunteers.TemplateColumns(cols), export.Slice([][]any(nil), func(r []any) []any { return r })); err != nil {
		s.Log.Error("template", "err", err)
	}
}

// ---- Teams ----

func (s *Server) teamList(w http.ResponseWriter, r *http.Request) {
	p, ctx := principalOf(r), r.Context()
	q := listQuery(r)
	rows, total, err := s.Volunteers.Teams(ctx, p, volunteers.TeamFilter{ListQuery: q, SiteID: volQueryID(r, "site"),
		Status: r.URL.Query().Get("status")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Volunteers.Sites(ctx, p, volunteers.PermRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := ListDef[volunteers.Team]{
		Sheet: "志愿服务队", Search: "队名、QQ群或公众号",
		Filters: []Filter{{Name: "site", Label: "服务点", Type: "select", Options: volSiteOptions(sites)},
			{Name: "status", Label: "状态", Type: "select", Options: []Option{{"active", "活跃"}, {"inactive", "停止"}}}},
		Cols: []ListCol[volunteers.Team]{
			{Key: "name", Label: "服务队", Cell: func(t volunteers.Team) Cell { return Cell{Text: t.Name, Href: "/volunteer-teams/" + idString(t.ID)} }, Width: 24},
			{Key: "site", Label: "服务点", Cell: func(t volunteers.Team) Cell { return Cell{Text: t.SiteName} }, Width: 24},
			{Label: "队长", Cell: func(t volunteers.Team) Cell { return Cell{Text: t.LeaderName} }},
			{Key: "members", Label: "队员数", Cell: func(t volunteers.Team) Cell { return Cell{Text: strconv.Itoa(t.Members)} },
				Export: func(t volunteers.Team) any { return t.Members }},
			{Label: "QQ群", Cell: func(t volunteers.Team) Cell { return Cell{Text: t.QQGroup} }},
			{Label: "公众号", Cell: func(t volunteers.Team) Cell { return Cell{Text: t.PublicAccount} }},
			{Label: "状态", Cell: func(t volunteers.Team) Cell {
				if t.Status == "active" {
					return Cell{Text: "活跃", Tag: "green"}
				}
				return Cell{Text: "停止", Tag: "grey"}
			}},
		},
		Empty: "还没有服务队",
	}
	pg := s.page(r, "志愿服务队", Crumb{Label: "志愿者"}, Crumb{Label: "服务队"})
	var actions []volAction
	if p.Can(volunteers.PermWrite) {
		actions = append(actions, volAction{Label: "新建服务队", Href: "/volunteer-teams/new", Primary: true})
	}
	serveList(s, w, r, pg, "volunteers/list", def, q, rows, total, func(lv ListView) any {
		return volListPage{List: lv, Actions: actions, Note: "各服务点的志愿服务队及其QQ群、公众号，便于内部资源共享。"}
	})
}

type volTeamForm struct {
	ID             int64
	Sites, Leaders []Option
	Statuses       []Option
	Projects       []Option
}

func (s *Server) teamRenderForm(w http.ResponseWriter, r *http.Request, f *Form, cur *volunteers.Team, code int) {
	p, ctx := principalOf(r), r.Context()
	sites, err := s.Volunteers.Sites(ctx, p, volunteers.PermWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vols, err := s.Volunteers.Choices(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	projects, err := s.Volunteers.ProjectChoices(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := volTeamForm{Sites: volSiteOptions(sites), Statuses: []Option{{"active", "活跃"}, {"inactive", "停止"}}}
	for _, pr := range projects {
		d.Projects = append(d.Projects, Option{Value: idString(pr.ID), Label: pr.Name})
	}
	for _, v := range vols {
		d.Leaders = append(d.Leaders, Option{Value: idString(v.ID), Label: v.No + " " + v.Name + "（" + v.SiteName + "）"})
	}
	title := "新建服务队"
	crumbs := []Crumb{{Label: "志愿者"}, {Label: "服务队", Href: "/volunteer-teams"}}
	if cur != nil {
		d.ID = cur.ID
		title = "修改服务队"
		crumbs = append(crumbs, Crumb{Label: cur.Name, Href: "/volunteer-teams/" + idString(cur.ID)})
	}
	pg := s.page(r, title, append(crumbs, Crumb{Label: title})...)
	pg.Form, pg.Data = f, d
	s.render(w, r, code, "volunteers/team_form", pg)
}

func (s *Server) teamNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	vals := map[string]string{"status": "active"}
	if len(p.SiteIDs) > 0 {
		vals["site_id"] = idString(p.SiteIDs[0])
	}
	s.teamRenderForm(w, r, formOf(vals), nil, http.StatusOK)
}

func volTeamInput(f *Form) volunteers.TeamInput {
	return volunteers.TeamInput{SiteID: f.Int64("site_id"), Name: f.Get("name"), LeaderID: f.Int64("leader_id"),
		QQGroup: f.Get("qq_group"), PublicAccount: f.Get("public_account"), Note: f.Get("note"), Status: f.Get("status"),
		ProjectID: f.Int64("project_id")}
}

func (s *Server) teamCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	t, err := s.Volunteers.CreateTeam(r.Context(), principalOf(r), volTeamInput(f))
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.teamRenderForm(w, r, f, nil, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteer-teams/"+idString(t.ID), "已新建服务队")
}

func (s *Server) teamWritable(r *http.Request, id int64) (*volunteers.Team, error) {
	p := principalOf(r)
	t, err := s.Volunteers.GetTeam(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(volunteers.PermWrite).Allows(volSiteObj(p.OrgID, t.SiteID)) {
		return nil, app.ErrNotFound("服务队")
	}
	return t, nil
}

func (s *Server) teamEdit(w http.ResponseWriter, r *http.Request) {
	t, err := s.teamWritable(r, volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(map[string]string{"site_id": idString(t.SiteID), "name": t.Name, "qq_group": t.QQGroup,
		"public_account": t.PublicAccount, "note": t.Note, "status": t.Status})
	if t.LeaderID != 0 {
		f.Values.Set("leader_id", idString(t.LeaderID))
	}
	if t.ProjectID != 0 {
		f.Values.Set("project_id", idString(t.ProjectID))
	}
	s.teamRenderForm(w, r, f, t, http.StatusOK)
}

func (s *Server) teamUpdate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id := volPathID(r, "id")
	t, err := s.Volunteers.UpdateTeam(r.Context(), principalOf(r), id, volTeamInput(f))
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		cur, gerr := s.Volunteers.GetTeam(r.Context(), principalOf(r), id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.teamRenderForm(w, r, f, cur, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteer-teams/"+idString(t.ID), "已保存")
}

type volTeamDetail struct {
	T        *volunteers.Team
	Members  []volunteers.Member
	Choices  []Option
	CanWrite bool
	Form     *Form
}

func (s *Server) teamRenderDetail(w http.ResponseWriter, r *http.Request, id int64, f *Form, code int) {
	p, ctx := principalOf(r), r.Context()
	t, err := s.Volunteers.GetTeam(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ms, err := s.Volunteers.Members(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := volTeamDetail{T: t, Members: ms, CanWrite: p.Scope(volunteers.PermWrite).Allows(volSiteObj(p.OrgID, t.SiteID)), Form: f}
	if d.Form == nil {
		d.Form = formOf(nil)
	}
	if d.CanWrite {
		in := map[int64]bool{}
		for _, m := range ms {
			in[m.VolunteerID] = true
		}
		vols, err := s.Volunteers.Choices(ctx, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, v := range vols {
			if !in[v.ID] {
				d.Choices = append(d.Choices, Option{Value: idString(v.ID), Label: v.No + " " + v.Name + "（" + v.SiteName + "）"})
			}
		}
	}
	pg := s.page(r, t.Name, Crumb{Label: "志愿者"}, Crumb{Label: "服务队", Href: "/volunteer-teams"}, Crumb{Label: t.Name})
	pg.Data = d
	s.render(w, r, code, "volunteers/team", pg)
}

func (s *Server) teamDetail(w http.ResponseWriter, r *http.Request) {
	s.teamRenderDetail(w, r, volPathID(r, "id"), nil, http.StatusOK)
}

func (s *Server) teamAddMember(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id := volPathID(r, "id")
	if err := s.Volunteers.AddMembers(r.Context(), principalOf(r), id, f.Int64s("volunteer_ids")); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.teamRenderDetail(w, r, id, f, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteer-teams/"+idString(id), "已加入服务队")
}

func (s *Server) teamRemoveMember(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if err := s.Volunteers.RemoveMember(r.Context(), principalOf(r), id, volPathID(r, "vid")); err != nil {
		if app.ErrorCode(err) == app.EConflict {
			f := formOf(nil)
			f.SetError(err)
			s.teamRenderDetail(w, r, id, f, http.StatusConflict)
			return
		}
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/volunteer-teams/"+idString(id), "已移出服务队")
}

// ---- Service records ----

func (s *Server) recList(w http.ResponseWriter, r *http.Request) {
	p, ctx, qv := principalOf(r), r.Context(), r.URL.Query()
	q := listQuery(r)
	f := volunteers.RecordFilter{ListQuery: q, SiteID: volQueryID(r, "site"), TeamID: volQueryID(r, "team"),
		VolunteerID: volQueryID(r, "volunteer"), From: volQueryDate(r, "from"), To: volQueryDate(r, "to"), Exported: qv.Get("exported")}
	// The page reads its rows now; the export streams them at the end.
	var rows []volunteers.ServiceRecord
	var total int
	var sum volunteers.Minutes
	if !wantsExport(r) {
		var err error
		if rows, total, sum, err = s.Volunteers.Records(ctx, p, f); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	sites, err := s.Volunteers.Sites(ctx, p, volunteers.PermRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	teams, err := s.Volunteers.TeamChoices(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var teamOpts []Option
	for _, t := range teams {
		teamOpts = append(teamOpts, Option{Value: idString(t.ID), Label: t.Name})
	}
	def := ListDef[volunteers.ServiceRecord]{
		Sheet: "志愿服务记录", Search: "活动名称、志愿者姓名或编号",
		Filters: []Filter{
			{Name: "site", Label: "服务点", Type: "select", Options: volSiteOptions(sites)},
			{Name: "team", Label: "服务队", Type: "select", Options: teamOpts},
			{Name: "from", Label: "服务日期从", Type: "date"},
			{Name: "to", Label: "至", Type: "date"},
			{Name: "exported", Label: "i志愿导出", Type: "select", Options: []Option{{"no", "未导出"}, {"yes", "已导出"}}},
		},
		Cols: []ListCol[volunteers.ServiceRecord]{
			{Key: "date", Label: "服务日期", Cell: func(x volunteers.ServiceRecord) Cell {
				return Cell{Text: x.Date.String(), Href: "/volunteer-services/" + idString(x.ID)}
			}, Export: func(x volunteers.ServiceRecord) any { return x.Date.String() }},
			{Label: "时段", Cell: func(x volunteers.ServiceRecord) Cell { return Cell{Text: x.Start + "–" + x.End} }},
			{Key: "volunteer", Label: "志愿者", Cell: func(x volunteers.ServiceRecord) Cell {
				return Cell{Text: x.VolunteerName, Href: "/volunteers/" + idString(x.VolunteerID), Sub: x.VolunteerNo}
			}, Export: func(x volunteers.ServiceRecord) any { return x.VolunteerNo + " " + x.VolunteerName }},
			{Key: "activity", Label: "活动", Cell: func(x volunteers.ServiceRecord) Cell { return Cell{Text: x.ActivityName} }, Width: 28},
			{Key: "site", Label: "服务点", Cell: func(x volunteers.ServiceRecord) Cell { return Cell{Text: x.SiteName} }, Width: 24},
			{Label: "服务队", Cell: func(x volunteers.ServiceRecord) Cell { return Cell{Text: x.TeamName} }},
			{Key: "minutes", Label: "时长", Cell: func(x volunteers.ServiceRecord) Cell { return Cell{Text: x.Minutes.HM()} },
				Export: func(x volunteers.ServiceRecord) any { return volHours(x.Minutes) }},
			{Label: "服务人数", Cell: func(x volunteers.ServiceRecord) Cell { return Cell{Text: strconv.Itoa(x.PeopleServed)} },
				Export: func(x volunteers.ServiceRecord) any { return x.PeopleServed }},
			{Label: "记录人", Cell: func(x volunteers.ServiceRecord) Cell { return Cell{Text: x.RecorderName} }},
			{Label: "i志愿", Cell: func(x volunteers.ServiceRecord) Cell {
				if x.ExportedAt != nil {
					return Cell{Text: "已导出", Tag: "green"}
				}
				return Cell{Text: "未导出", Tag: "orange"}
			}},
		},
		Empty: "没有符合条件的服务记录",
	}
	pg := s.page(r, "志愿服务记录", Crumb{Label: "志愿者"}, Crumb{Label: "服务记录"})
	var actions []volAction
	actions = append(actions, volAction{Label: "无服务记录的队员", Href: "/volunteer-reports/idle"})
	if p.Can(volunteers.PermWrite) {
		actions = append(actions, volAction{Label: "从Excel导入", Href: "/volunteer-services/import"},
			volAction{Label: "登记服务记录", Href: "/volunteer-services/new", Primary: true})
	}
	if wantsExport(r) {
		exportRows(s, w, r, def, s.Volunteers.RecordRows(ctx, p, f))
		return
	}
	figs := []Figure{{Label: "服务人次", Value: groupDigits(total)}, {Label: "服务时数（小时）", Value: sum.String()}}
	serveList(s, w, r, pg, "volunteers/list", def, q, rows, total, func(lv ListView) any {
		return volListPage{List: lv, Actions: actions, Figures: figs,
			Note: "时长 = 结束 − 开始 − 迟到 − 早退，只计实际服务时间，不含路途时间。同一志愿者的服务时段不能重叠。"}
	})
}

type volRecForm struct {
	ID                       int64
	Volunteers, Sites, Teams []Option
	Exported                 bool
	Activity                 *volunteers.ActivityRef // the linked community activity, if any
}

func (s *Server) recRenderForm(w http.ResponseWriter, r *http.Request, f *Form, cur *volunteers.ServiceRecord, code int) {
	p, ctx := principalOf(r), r.Context()
	vols, err := s.Volunteers.Choices(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Volunteers.Sites(ctx, p, volunteers.PermWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	teams, err := s.Volunteers.TeamChoices(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := volRecForm{Sites: volSiteOptions(sites)}
	if id := f.Int64("activity_id"); id != 0 {
		// An activity of another organization or a stale id simply shows
		// no title; saving reports it on the field.
		if a, err := s.Volunteers.Activity(ctx, p, id); err == nil {
			d.Activity = a
		} else if app.ErrorCode(err) != app.ENotFound {
			s.fail(w, r, err)
			return
		}
	}
	for _, v := range vols {
		d.Volunteers = append(d.Volunteers, Option{Value: idString(v.ID), Label: v.No + " " + v.Name + "（" + v.SiteName + "）"})
	}
	for _, t := range teams {
		d.Teams = append(d.Teams, Option{Value: idString(t.ID), Label: t.Name})
	}
	title := "登记服务记录"
	crumbs := []Crumb{{Label: "志愿者"}, {Label: "服务记录", Href: "/volunteer-services"}}
	if cur != nil {
		d.ID = cur.ID
		title = "修改服务记录"
		crumbs = append(crumbs, Crumb{Label: cur.Date.String() + " " + cur.VolunteerName, Href: "/volunteer-services/" + idString(cur.ID)})
	}
	pg := s.page(r, title, append(crumbs, Crumb{Label: title})...)
	pg.Form, pg.Data = f, d
	s.render(w, r, code, "volunteers/service_form", pg)
}

func (s *Server) recNew(w http.ResponseWriter, r *http.Request) {
	p, qv := principalOf(r), r.URL.Query()
	day := qv.Get("service_date")
	if day == "" {
		day = s.today().String()
	}
	vals := map[string]string{"service_date": day, "lead_name": p.DisplayName,
		"volunteer_id": qv.Get("volunteer_id"), "activity_name": qv.Get("activity_name"), "activity_id": qv.Get("activity_id"),
		"team_id": qv.Get("team_id")}
	s.recRenderForm(w, r, formOf(vals), nil, http.StatusOK)
}

func volRecInput(f *Form) (volunteers.RecordInput, error) {
	var v app.Validation
	num := func(name, label string) int {
		sv := f.Get(name)
		if sv == "" {
			return 0
		}
		n, err := strconv.Atoi(sv)
		if err != nil {
			v.Add(name, label+"应为整数")
		}
		return n
	}
	in := volunteers.RecordInput{VolunteerID: f.Int64("volunteer_id"), SiteID: f.Int64("site_id"), TeamID: f.Int64("team_id"),
		ActivityID: f.Int64("activity_id"), ActivityName: f.Get("activity_name"), Place: f.Get("place"),
		Date: f.Date("service_date", &v), Start: f.Get("start_time"), End: f.Get("end_time"),
		LateMinutes: num("late_minutes", "迟到分钟"), EarlyMinutes: num("early_minutes", "早退分钟"),
		Content: f.Get("content"), PeopleServed: num("people_served", "服务人数"), LeadName: f.Get("lead_name"),
		LeadPhone: f.Get("lead_phone"), Note: f.Get("note")}
	in.Version, _ = strconv.Atoi(f.Get("version"))
	return in, v.Err()
}

func (s *Server) recCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	in, err := volRecInput(f)
	var rec *volunteers.ServiceRecord
	if err == nil {
		rec, err = s.Volunteers.CreateRecord(r.Context(), principalOf(r), in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.recRenderForm(w, r, f, nil, http.StatusUnprocessableEntity)
		return
	}
	next := "/volunteer-services/" + idString(rec.ID)
	if f.Get("again") == "1" {
		// Keep the activity for the next volunteer of the same activity.
		v := url.Values{"activity_name": {rec.ActivityName}}
		if rec.TeamID != 0 {
			v.Set("team_id", idString(rec.TeamID))
		}
		if rec.ActivityID != 0 {
			v.Set("activity_id", idString(rec.ActivityID))
		}
		next = "/volunteer-services/new?" + v.Encode()
	}
	s.redirect(w, r, next, fmt.Sprintf("已登记 %s %s 的服务记录（%s）", rec.VolunteerName, rec.Date, rec.Minutes.HM()))
}

func (s *Server) recWritable(r *http.Request, id int64) (*volunteers.ServiceRecord, error) {
	p := principalOf(r)
	rec, err := s.Volunteers.GetRecord(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(volunteers.PermWrite).Allows(volSiteObj(p.OrgID, rec.SiteID)) {
		return nil, app.ErrNotFound("服务记录")
	}
	return rec, nil
}

func volRecFormValues(x *volunteers.ServiceRecord) map[string]string {
	m := map[string]string{"volunteer_id": idString(x.VolunteerID), "site_id": idString(x.SiteID),
		"activity_name": x.ActivityName, "place": x.Place, "service_date": x.Date.String(), "start_time": x.Start,
		"end_time": x.End, "late_minutes": strconv.Itoa(x.LateMinutes), "early_minutes": strconv.Itoa(x.EarlyMinutes),
		"content": x.Content, "people_served": strconv.Itoa(x.PeopleServed), "lead_name": x.LeadName,
		"lead_phone": x.LeadPhone(), "note": x.Note, "version": strconv.Itoa(x.Version)}
	if x.TeamID != 0 {
		m["team_id"] = idString(x.TeamID)
	}
	if x.ActivityID != 0 {
		m["activity_id"] = idString(x.ActivityID)
	}
	return m
}

func (s *Server) recEdit(w http.ResponseWriter, r *http.Request) {
	rec, err := s.recWritable(r, volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(volRecFormValues(rec))
	if rec.ExportedAt != nil {
		f.Message = "该记录已导出到i志愿，不能再修改"
	}
	s.recRenderForm(w, r, f, rec, http.StatusOK)
}

func (s *Server) recUpdate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	id := volPathID(r, "id")
	in, perr := volRecInput(f)
	var rec *volunteers.ServiceRecord
	var err error
	if perr == nil {
		rec, err = s.Volunteers.UpdateRecord(r.Context(), principalOf(r), id, in)
	} else if _, err = s.recWritable(r, id); err == nil {
		err = perr
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		cur, gerr := s.Volunteers.GetRecord(r.Context(), principalOf(r), id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.recRenderForm(w, r, f, cur, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteer-services/"+idString(rec.ID), "已保存")
}

type volRecDetail struct {
	R        *volunteers.ServiceRecord
	CanWrite bool
}

func (s *Server) recDetail(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	rec, err := s.Volunteers.GetRecord(r.Context(), p, volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "服务记录", Crumb{Label: "志愿者"}, Crumb{Label: "服务记录", Href: "/volunteer-services"},
		Crumb{Label: rec.Date.String() + " " + rec.VolunteerName})
	pg.Data = volRecDetail{R: rec, CanWrite: rec.ExportedAt == nil && p.Scope(volunteers.PermWrite).Allows(volSiteObj(p.OrgID, rec.SiteID))}
	s.render(w, r, http.StatusOK, "volunteers/service", pg)
}

func (s *Server) recDelete(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	rec, err := s.Volunteers.GetRecord(r.Context(), principalOf(r), id)
	if err == nil {
		err = s.Volunteers.DeleteRecord(r.Context(), principalOf(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/volunteers/"+idString(rec.VolunteerID), "已删除服务记录")
}

// ---- Managers, stars, reports ----

type volMgrData struct {
	Managers []volunteers.Manager
	Sites    []Option
	Staff    []Option
	CanWrite bool
}

func (s *Server) mgrRender(w http.ResponseWriter, r *http.Request, f *Form, code int) {
	p, ctx := principalOf(r), r.Context()
	ms, err := s.Volunteers.Managers(ctx, p, volQueryID(r, "site"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := volMgrData{Managers: ms, CanWrite: p.Can(volunteers.PermWrite)}
	if d.CanWrite {
		sites, err := s.Volunteers.Sites(ctx, p, volunteers.PermWrite)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Sites = volSiteOptions(sites)
		staff, err := s.Volunteers.ManagerChoices(ctx, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, c := range staff {
			d.Staff = append(d.Staff, Option{Value: idString(c.ID), Label: c.Name + "（" + c.SiteName + "）"})
		}
	}
	pg := s.page(r, "志愿者管理员", Crumb{Label: "志愿者"}, Crumb{Label: "志愿者名册", Href: "/volunteers"}, Crumb{Label: "志愿者管理员"})
	pg.Form, pg.Data = f, d
	s.render(w, r, code, "volunteers/managers", pg)
}

func (s *Server) mgrPage(w http.ResponseWriter, r *http.Request) {
	s.mgrRender(w, r, formOf(nil), http.StatusOK)
}

func (s *Server) mgrAdd(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	if err := s.Volunteers.AddManager(r.Context(), principalOf(r), f.Int64("site_id"), f.Int64("staff_id")); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.mgrRender(w, r, f, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteer-managers", "已设置志愿者管理员")
}

func (s *Server) mgrRemove(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	if err := s.Volunteers.RemoveManager(r.Context(), principalOf(r), f.Int64("site_id"), f.Int64("staff_id")); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.mgrRender(w, r, f, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteer-managers", "已取消志愿者管理员")
}

type volStarsData struct {
	Current   []volunteers.Threshold
	History   []volunteers.Threshold
	CanConfig bool
}

func (s *Server) starsRender(w http.ResponseWriter, r *http.Request, f *Form, code int) {
	p, ctx := principalOf(r), r.Context()
	cur, err := s.Volunteers.Thresholds(ctx, p.OrgID, s.today())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hist, err := s.Volunteers.ThresholdHistory(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if f == nil {
		vals := map[string]string{"valid_from": s.today().String()}
		for _, t := range cur {
			vals[fmt.Sprintf("hours%d", t.Stars)] = strconv.FormatInt(t.MinHours, 10)
		}
		f = formOf(vals)
	}
	pg := s.page(r, "星级时数标准", Crumb{Label: "志愿者"}, Crumb{Label: "志愿者名册", Href: "/volunteers"}, Crumb{Label: "星级标准"})
	pg.Form = f
	pg.Data = volStarsData{Current: cur, History: hist, CanConfig: p.Scope(volunteers.PermConfig).Has(authz.Org)}
	s.render(w, r, code, "volunteers/stars", pg)
}

func (s *Server) starsPage(w http.ResponseWriter, r *http.Request) {
	s.starsRender(w, r, nil, http.StatusOK)
}

func (s *Server) starsSet(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var v app.Validation
	in := volunteers.ThresholdInput{ValidFrom: f.Date("valid_from", &v)}
	for i := range in.Hours {
		name := fmt.Sprintf("hours%d", i+1)
		if sv := f.Get(name); sv != "" {
			n, err := strconv.ParseInt(sv, 10, 64)
			if err != nil {
				v.Add(name, "请填写整数小时")
			}
			in.Hours[i] = n
		}
	}
	err := v.Err()
	if err == nil {
		err = s.Volunteers.SetThresholds(r.Context(), principalOf(r), in)
	}
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.starsRender(w, r, f, http.StatusUnprocessableEntity)
		return
	}
	s.redirect(w, r, "/volunteer-stars", "已保存星级时数标准")
}

func (s *Server) volUnregistered(w http.ResponseWriter, r *http.Request) {
	p, ctx := principalOf(r), r.Context()
	q := listQuery(r)
	rows, total, err := s.Volunteers.Unregistered(ctx, p, volunteers.ReportFilter{ListQuery: q, SiteID: volQueryID(r, "site")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Volunteers.Sites(ctx, p, volunteers.PermRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := ListDef[volunteers.Volunteer]{
		Sheet: "未注册或登记不全的志愿者", Search: "姓名或编号",
		Filters: []Filter{{Name: "site", Label: "服务点", Type: "select", Options: volSiteOptions(sites)}},
		Cols: []ListCol[volunteers.Volunteer]{
			{Key: "no", Label: "编号", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.No, Href: "/volunteers/" + idString(v.ID)} }},
			{Key: "name", Label: "姓名", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.Name} }},
			{Key: "site", Label: "服务点", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.SiteName} }},
			{Label: "手机号码", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.PhoneMasked} }},
			{Label: "缺少", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: strings.Join(v.Missing(), "、"), Tag: "orange"} },
				Export: func(v volunteers.Volunteer) any { return strings.Join(v.Missing(), "、") }},
			{Label: "累计时数", Cell: func(v volunteers.Volunteer) Cell { return Cell{Text: v.Minutes.String()} },
				Export: func(v volunteers.Volunteer) any { return volHours(v.Minutes) }},
			{Label: "注册信息导出", Cell: func(v volunteers.Volunteer) Cell {
				if v.RegExportedAt != nil {
					return Cell{Text: "已导出，待填i志愿编号", Tag: "blue"}
				}
				return Cell{Text: "未导出", Tag: "grey"}
			}},
		},
		Empty: "所有在册志愿者均已在i志愿注册且登记完整",
	}
	pg := s.page(r, "未注册或登记不全的志愿者", Crumb{Label: "志愿者"}, Crumb{Label: "志愿者名册", Href: "/volunteers"}, Crumb{Label: "注册与登记检查"})
	actions := []volAction{{Label: "期间内无服务记录的队员", Href: "/volunteer-reports/idle"}, {Label: "i志愿导出", Href: "/ivolunteer"}}
	serveList(s, w, r, pg, "volunteers/list", def, q, rows, total, func(lv ListView) any {
		return volListPage{List: lv, Actions: actions,
			Note: "“有义工无注册”：在册志愿者没有i志愿编号，或缺少姓名、性别、出生年月、证件号码、服务技能、联系方式等登记信息。"}
	})
}

func (s *Server) volIdle(w http.ResponseWriter, r *http.Request) {
	p, ctx := principalOf(r), r.Context()
	q := listQuery(r)
	f := volunteers.ReportFilter{ListQuery: q, SiteID: volQueryID(r, "site"), From: volQueryDate(r, "from"), To: volQueryDate(r, "to")}
	rows, total, err := s.Volunteers.Idle(ctx, p, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.DefaultPeriod(s.today())
	sites, err := s.Volunteers.Sites(ctx, p, volunteers.PermRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := ListDef[volunteers.IdleMember]{
		Sheet: "期间内无服务记录的队员", Search: "姓名或编号",
		Filters: []Filter{{Name: "site", Label: "服务点", Type: "select", Options: volSiteOptions(sites)},
			{Name: "from", Label: "期间从", Type: "date"}, {Name: "to", Label: "至", Type: "date"}},
		Cols: []ListCol[volunteers.IdleMember]{
			{Key: "no", Label: "编号", Cell: func(m volunteers.IdleMember) Cell {
				return Cell{Text: m.No, Href: "/volunteers/" + idString(m.VolunteerID)}
			}},
			{Key: "name", Label: "姓名", Cell: func(m volunteers.IdleMember) Cell { return Cell{Text: m.Name} }},
			{Key: "site", Label: "服务点", Cell: func(m volunteers.IdleMember) Cell { return Cell{Text: m.SiteName} }},
			{Label: "服务队", Cell: func(m volunteers.IdleMember) Cell { return Cell{Text: m.Teams} }},
			{Label: "手机号码", Cell: func(m volunteers.IdleMember) Cell { return Cell{Text: m.PhoneMasked} }},
			{Label: "最近一次服务", Cell: func(m volunteers.IdleMember) Cell {
				if m.LastService.IsZero() {
					return Cell{Text: "从无记录", Tag: "red"}
				}
				return Cell{Text: m.LastService.String()}
			}, Export: func(m volunteers.IdleMember) any { return m.LastService.String() }},
		},
		Empty: "期间内所有服务队队员都有服务记录",
	}
	pg := s.page(r, "期间内无服务记录的队员", Crumb{Label: "志愿者"}, Crumb{Label: "服务记录", Href: "/volunteer-services"}, Crumb{Label: "无服务记录的队员"})
	var actions []volAction
	if p.Can(volunteers.PermWrite) {
		actions = append(actions, volAction{Label: "登记服务记录", Href: "/volunteer-services/new", Primary: true})
	}
	serveList(s, w, r, pg, "volunteers/list", def, q, rows, total, func(lv ListView) any {
		return volListPage{List: lv, Actions: actions,
			Note: fmt.Sprintf("“有服务无记录”：%s 至 %s 期间，服务队在册队员中没有任何服务记录的人。请核实是否有服务未登记。", f.From, f.To)}
	})
}

// ---- i志愿 export ----

type volIvolData struct {
	Pending    *volunteers.Pending
	Activities []Option
	Batches    ListView
	CanExport  bool
	Form       *Form
}

func (s *Server) ivolRender(w http.ResponseWriter, r *http.Request, f *Form, code int) {
	p, ctx := principalOf(r), r.Context()
	pend, err := s.Volunteers.Pending(ctx, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := listQuery(r)
	batches, total, err := s.Volunteers.Batches(ctx, p, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	canExport := p.Can(volunteers.PermReveal)
	def := ListDef[volunteers.Batch]{
		Sheet: "i志愿导出批次",
		Cols: []ListCol[volunteers.Batch]{
			{Label: "批次", Cell: func(b volunteers.Batch) Cell {
				c := Cell{Text: "#" + idString(b.ID)}
				if canExport {
					c.Href = "/ivolunteer/batches/" + idString(b.ID)
				}
				return c
			}, Export: func(b volunteers.Batch) any { return b.ID }},
			{Label: "内容", Cell: func(b volunteers.Batch) Cell { return Cell{Text: b.KindLabel(), Sub: b.ActivityName} },
				Export: func(b volunteers.Batch) any { return b.KindLabel() + " " + b.ActivityName }},
			{Label: "条数", Cell: func(b volunteers.Batch) Cell { return Cell{Text: strconv.Itoa(b.Records)} },
				Export: func(b volunteers.Batch) any { return b.Records }},
			{Label: "导出人", Cell: func(b volunteers.Batch) Cell { return Cell{Text: b.CreatorName} }},
			{Label: "导出时间", Cell: func(b volunteers.Batch) Cell { return Cell{Text: b.CreatedAt.In(app.Local).Format("2006-01-02 15:04")} }},
		},
		Empty: "还没有导出过",
	}
	if wantsExport(r) {
		exportList(s, w, r, def, batches)
		return
	}
	if f == nil {
		f = formOf(map[string]string{"kind": volunteers.KindHours})
	}
	d := volIvolData{Pending: pend, Batches: buildList(r, def, q, batches, total), CanExport: canExport, Form: f}
	for _, a := range pend.ActivityNames() {
		d.Activities = append(d.Activities, Option{Value: a, Label: a})
	}
	pg := s.page(r, "i志愿导出", Crumb{Label: "志愿者"}, Crumb{Label: "i志愿导出"})
	pg.Data = d
	s.render(w, r, code, "volunteers/ivol", pg)
}

func (s *Server) ivolPage(w http.ResponseWriter, r *http.Request) {
	s.ivolRender(w, r, nil, http.StatusOK)
}

func (s *Server) ivolExport(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	file, err := s.Volunteers.Export(r.Context(), principalOf(r), volunteers.ExportInput{Kind: f.Get("kind"), ActivityName: f.Get("activity_name")})
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.ivolRender(w, r, f, http.StatusUnprocessableEntity)
		return
	}
	s.volWriteExportFile(w, file)
}

func (s *Server) ivolBatch(w http.ResponseWriter, r *http.Request) {
	file, err := s.Volunteers.BatchFile(r.Context(), principalOf(r), volPathID(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.volWriteExportFile(w, file)
}

func (s *Server) volWriteExportFile(w http.ResponseWriter, file *volunteers.ExportFile) {
	w.Header().Set("Content-Type", export.ContentTypeXLSX)
	w.Header().Set("Content-Disposition", export.ContentDisposition(file.Name()))
	w.Header().Set("Cache-Control", "no-store")
	if err := export.WriteXLSX(w, "i志愿", file.Cols, file.Source()); err != nil {
		s.Log.Error("ivol export", "err", err, "batch", file.Batch.ID)
	}
}
