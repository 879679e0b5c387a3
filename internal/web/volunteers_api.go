package web

import (
	"context"
	"io"
	"net/http"
	"strconv"

	"shegong/internal/authz"
	"shegong/internal/export"
	"shegong/internal/volunteers"
)

// JSON API of the volunteer area; it calls the same service as the pages.
// ID numbers and phones are always masked except in the reveal and export
// answers, which are audited.

// volAPIList is a page of a list.
type volAPIList[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func volAPIPage[T any](items []T, total int) volAPIList[T] {
	if items == nil {
		items = []T{}
	}
	return volAPIList[T]{Items: items, Total: total}
}

// volAPIVolunteer is one volunteer with the records that belong to it.
type volAPIVolunteer struct {
	*volunteers.Volunteer
	Commendations []volunteers.Commendation `json:"commendations"`
	Certificates  []volunteers.Certificate  `json:"certificates"`
}

// volAPIRecords is a page of service records with the sum of their minutes.
type volAPIRecords struct {
	Items   []volunteers.ServiceRecord `json:"items"`
	Total   int                        `json:"total"`
	Minutes volunteers.Minutes         `json:"minutes"`
}

// volAPITeam is a team with its members.
type volAPITeam struct {
	*volunteers.Team
	MemberList []volunteers.Member `json:"members"`
}

type volAPIMembers struct {
	VolunteerIDs []int64 `json:"volunteer_ids"`
}

type volAPIManager struct {
	SiteID  int64 `json:"site_id"`
	StaffID int64 `json:"staff_id"`
}

type volAPIExport struct {
	Batch   volunteers.Batch `json:"batch"`
	Columns []string         `json:"columns"`
	Rows    [][]any          `json:"rows"`
}

type volAPIIvol struct {
	Pending *volunteers.Pending `json:"pending"`
	Batches []volunteers.Batch  `json:"batches"`
	Total   int                 `json:"total_batches"`
}

var volListParams = []Param{
	{Name: "page", Desc: "页码，从1开始", Type: "integer"}, {Name: "size", Desc: "每页条数（最多200）", Type: "integer"},
	{Name: "sort", Desc: "排序字段", Type: "string"}, {Name: "dir", Desc: "asc 或 desc", Type: "string"},
	{Name: "q", Desc: "搜索", Type: "string"}, {Name: "site", Desc: "服务点 id", Type: "integer"},
}

func (s *Server) volunteerAPIRoutes() {
	rt := s.router
	const tag = "志愿者"
	api := func(method, pattern string, perm *authz.Perm, object, summary string, doc *APIDoc, fn http.HandlerFunc) {
		doc.Tag = tag
		rt.Handle(Route{Method: method, Pattern: pattern, Access: Permitted, Perm: perm, Object: object, Summary: summary, API: doc}, fn)
	}
	read, write, reveal := volunteers.PermRead, volunteers.PermWrite, volunteers.PermReveal
	api("GET", "/api/v1/volunteers", read, "", "志愿者名册（证件号和电话已遮盖）",
		&APIDoc{Response: volAPIList[volunteers.Volunteer]{}, Query: append(volListParams,
			Param{Name: "status", Desc: "active 或 inactive", Type: "string"}, Param{Name: "team", Desc: "服务队 id", Type: "integer"},
			Param{Name: "registered", Desc: "yes：已注册i志愿；no：未注册", Type: "string"},
			Param{Name: "stars", Desc: "最低星级", Type: "integer"})}, s.apiVolList)
	api("POST", "/api/v1/volunteers", write, "", "登记志愿者",
		&APIDoc{Request: volunteers.VolunteerInput{}, Response: volunteers.Volunteer{}, Status: http.StatusCreated}, s.apiVolCreate)
	api("GET", "/api/v1/volunteers/{id}", read, "volunteer", "志愿者档案（含表彰与服务证明）",
		&APIDoc{Response: volAPIVolunteer{}}, s.apiVolGet)
	api("PUT", "/api/v1/volunteers/{id}", write, "volunteer", "修改志愿者（证件号、电话、住址留空表示不变）",
		&APIDoc{Request: volunteers.VolunteerInput{}, Response: volunteers.Volunteer{}}, s.apiVolUpdate)
	api("POST", "/api/v1/volunteers/{id}/reveal", reveal, "volunteer", "查看完整证件号、电话和住址（记入审计）",
		&APIDoc{Response: volunteers.Revealed{}}, s.apiVolReveal)
	api("POST", "/api/v1/volunteers/{id}/commendations", write, "volunteer", "登记表彰",
		&APIDoc{Request: volunteers.CommendationInput{}, Response: []volunteers.Commendation{}, Status: http.StatusCreated}, s.apiVolCommend)
	api("POST", "/api/v1/volunteers/{id}/certificates", write, "volunteer", "出具志愿服务记录证明",
		&APIDoc{Request: volunteers.CertificateInput{}, Response: volunteers.Certificate{}, Status: http.StatusCreated}, s.apiVolCertify)
	api("GET", "/api/v1/volunteers/certificates/{id}", read, "volunteer_certificate", "志愿服务记录证明（证件号已遮盖）",
		&APIDoc{Response: volunteers.Certificate{}}, s.apiVolCertificate)
	api("POST", "/api/v1/volunteers/import", write, "", "从Excel导入志愿者（请求体为 .xlsx 文件；dry_run=1 只检查）",
		&APIDoc{Response: volunteers.ImportResult{}, Query: []Param{{Name: "dry_run", Desc: "1：只检查不导入", Type: "integer"}}}, s.apiVolImport)

	api("GET", "/api/v1/volunteers/teams", read, "", "服务队列表",
		&APIDoc{Response: volAPIList[volunteers.Team]{}, Query: volListParams}, s.apiTeamList)
	api("POST", "/api/v1/volunteers/teams", write, "", "新建服务队",
		&APIDoc{Request: volunteers.TeamInput{}, Response: volAPITeam{}, Status: http.StatusCreated}, s.apiTeamCreate)
	api("GET", "/api/v1/volunteers/teams/{id}", read, "volunteer_team", "服务队详情与队员",
		&APIDoc{Response: volAPITeam{}}, s.apiTeamGet)
	api("PUT", "/api/v1/volunteers/teams/{id}", write, "volunteer_team", "修改服务队",
		&APIDoc{Request: volunteers.TeamInput{}, Response: volAPITeam{}}, s.apiTeamUpdate)
	api("POST", "/api/v1/volunteers/teams/{id}/members", write, "volunteer_team", "加入队员",
		&APIDoc{Request: volAPIMembers{}, Response: volAPITeam{}}, s.apiTeamAdd)
	api("DELETE", "/api/v1/volunteers/teams/{id}/members/{vid}", write, "volunteer_team", "移出队员",
		&APIDoc{}, s.apiTeamRemove)

	api("GET", "/api/v1/volunteers/services", read, "", "志愿服务记录",
		&APIDoc{Response: volAPIRecords{}, Query: append(volListParams,
			Param{Name: "volunteer", Desc: "志愿者 id", Type: "integer"}, Param{Name: "team", Desc: "服务队 id", Type: "integer"},
			Param{Name: "from", Desc: "服务日期起", Type: "date"}, Param{Name: "to", Desc: "服务日期止", Type: "date"},
			Param{Name: "exported", Desc: "yes：已导出i志愿；no：未导出", Type: "string"})}, s.apiRecList)
	api("POST", "/api/v1/volunteers/services", write, "", "登记服务记录（同一志愿者时段不能重叠）",
		&APIDoc{Request: volunteers.RecordInput{}, Response: volunteers.ServiceRecord{}, Status: http.StatusCreated}, s.apiRecCreate)
	api("GET", "/api/v1/volunteers/services/{id}", read, "volunteer_service", "服务记录详情",
		&APIDoc{Response: volunteers.ServiceRecord{}}, s.apiRecGet)
	api("PUT", "/api/v1/volunteers/services/{id}", write, "volunteer_service", "修改服务记录（已导出的不能改）",
		&APIDoc{Request: volunteers.RecordInput{}, Response: volunteers.ServiceRecord{}}, s.apiRecUpdate)
	api("DELETE", "/api/v1/volunteers/services/{id}", write, "volunteer_service", "删除服务记录（已导出的不能删）",
		&APIDoc{}, s.apiRecDelete)
	api("POST", "/api/v1/volunteers/services/import", write, "", "从Excel导入服务时数（请求体为 .xlsx 文件；dry_run=1 只检查）",
		&APIDoc{Response: volunteers.ImportResult{}, Query: []Param{{Name: "dry_run", Desc: "1：只检查不导入", Type: "integer"}}}, s.apiRecImport)

	api("GET", "/api/v1/volunteers/managers", read, "", "各服务点志愿者管理员",
		&APIDoc{Response: []volunteers.Manager{}, Query: []Param{{Name: "site", Desc: "服务点 id", Type: "integer"}}}, s.apiMgrList)
	api("POST", "/api/v1/volunteers/managers", write, "", "设置志愿者管理员",
		&APIDoc{Request: volAPIManager{}, Response: []volunteers.Manager{}, Status: http.StatusCreated}, s.apiMgrAdd)
	api("DELETE", "/api/v1/volunteers/managers/{site}/{staff}", write, "", "取消志愿者管理员",
		&APIDoc{Path: []Param{{Name: "site", Desc: "服务点 id", Type: "integer"}, {Name: "staff", Desc: "同工 id", Type: "integer"}}}, s.apiMgrRemove)
	api("GET", "/api/v1/volunteers/stars", read, "", "当前有效的星级时数标准",
		&APIDoc{Response: []volunteers.Threshold{}, Query: []Param{{Name: "date", Desc: "按此日期有效的标准，默认今天", Type: "date"}}}, s.apiStars)
	api("PUT", "/api/v1/volunteers/stars", volunteers.PermConfig, "", "设置星级时数标准（自生效日期起）",
		&APIDoc{Request: volunteers.ThresholdInput{}, Response: []volunteers.Threshold{}}, s.apiStarsSet)
	api("GET", "/api/v1/volunteers/reports/unregistered", read, "", "未注册或登记不全的志愿者",
		&APIDoc{Response: volAPIList[volunteers.Volunteer]{}, Query: volListParams}, s.apiVolUnregistered)
	api("GET", "/api/v1/volunteers/reports/idle", read, "", "期间内无服务记录的队员",
		&APIDoc{Response: volAPIList[volunteers.IdleMember]{}, Query: append(volListParams,
			Param{Name: "from", Desc: "期间起，默认本月1日", Type: "date"}, Param{Name: "to", Desc: "期间止，默认今天", Type: "date"})}, s.apiVolIdle)
	api("GET", "/api/v1/volunteers/ivol", read, "", "i志愿待导出记录与导出批次",
		&APIDoc{Response: volAPIIvol{}}, s.apiIvol)
	api("POST", "/api/v1/volunteers/ivol/export", reveal, "", "导出到i志愿并标记为已导出（含完整证件号码，记入审计）",
		&APIDoc{Request: volunteers.ExportInput{}, Response: volAPIExport{}, Status: http.StatusCreated}, s.apiIvolExport)
}

func (s *Server) apiVolList(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	stars, _ := strconv.Atoi(qv.Get("stars"))
	rows, total, err := s.Volunteers.List(r.Context(), principalOf(r), volunteers.Filter{ListQuery: listQuery(r),
		SiteID: volQueryID(r, "site"), Status: qv.Get("status"), TeamID: volQueryID(r, "team"),
		Registered: qv.Get("registered"), MinStars: stars})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, volAPIPage(rows, total))
}

func (s *Server) apiVolCreate(w http.ResponseWriter, r *http.Request) {
	var in volunteers.VolunteerInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.Volunteers.Create(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) apiVolGet(w http.ResponseWriter, r *http.Request) {
	p, ctx, id := principalOf(r), r.Context(), volPathID(r, "id")
	v, err := s.Volunteers.Get(ctx, p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := volAPIVolunteer{Volunteer: v}
	if out.Commendations, err = s.Volunteers.Commendations(ctx, p, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if out.Certificates, err = s.Volunteers.Certificates(ctx, p, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if out.Commendations == nil {
		out.Commendations = []volunteers.Commendation{}
	}
	if out.Certificates == nil {
		out.Certificates = []volunteers.Certificate{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiVolUpdate(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if _, err := s.volLoadWritable(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in volunteers.VolunteerInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.Volunteers.Update(r.Context(), principalOf(r), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiVolReveal(w http.ResponseWriter, r *http.Request) {
	rv, err := s.Volunteers.Reveal(r.Context(), principalOf(r), volPathID(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rv)
}

func (s *Server) apiVolCommend(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if _, err := s.volLoadWritable(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in volunteers.CommendationInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.Volunteers.AddCommendation(r.Context(), principalOf(r), id, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.Volunteers.Commendations(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, list)
}

func (s *Server) apiVolCertify(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if _, err := s.volLoadWritable(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in volunteers.CertificateInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	cid, err := s.Volunteers.IssueCertificate(r.Context(), principalOf(r), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Volunteers.Certificate(r.Context(), principalOf(r), cid, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiVolCertificate(w http.ResponseWriter, r *http.Request) {
	c, err := s.Volunteers.Certificate(r.Context(), principalOf(r), volPathID(r, "id"), false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// volAPIImport runs an import on the request body (an .xlsx file).
func (s *Server) volAPIImport(w http.ResponseWriter, r *http.Request,
	run func(ctx context.Context, p *authz.Principal, rd io.Reader, dryRun bool) (*volunteers.ImportResult, error)) {
	r.Body = http.MaxBytesReader(w, r.Body, export.DefaultMaxBytes+1)
	res, err := run(r.Context(), principalOf(r), r.Body, r.URL.Query().Get("dry_run") == "1")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if res.Errors == nil {
		res.Errors = []volunteers.RowError{}
	}
	code := http.StatusOK
	if !res.OK() {
		code = http.StatusUnprocessableEntity
	}
	writeJSON(w, code, res)
}

func (s *Server) apiVolImport(w http.ResponseWriter, r *http.Request) {
	s.volAPIImport(w, r, s.Volunteers.ImportVolunteers)
}

func (s *Server) apiRecImport(w http.ResponseWriter, r *http.Request) {
	s.volAPIImport(w, r, s.Volunteers.ImportRecords)
}

func (s *Server) apiTeamList(w http.ResponseWriter, r *http.Request) {
	rows, total, err := s.Volunteers.Teams(r.Context(), principalOf(r), volunteers.TeamFilter{ListQuery: listQuery(r),
		SiteID: volQueryID(r, "site"), Status: r.URL.Query().Get("status")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, volAPIPage(rows, total))
}

func (s *Server) apiTeamOut(w http.ResponseWriter, r *http.Request, id int64, code int) {
	t, err := s.Volunteers.GetTeam(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ms, err := s.Volunteers.Members(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ms == nil {
		ms = []volunteers.Member{}
	}
	writeJSON(w, code, volAPITeam{Team: t, MemberList: ms})
}

func (s *Server) apiTeamCreate(w http.ResponseWriter, r *http.Request) {
	var in volunteers.TeamInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.Volunteers.CreateTeam(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiTeamOut(w, r, t.ID, http.StatusCreated)
}

func (s *Server) apiTeamGet(w http.ResponseWriter, r *http.Request) {
	s.apiTeamOut(w, r, volPathID(r, "id"), http.StatusOK)
}

func (s *Server) apiTeamUpdate(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if _, err := s.teamWritable(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in volunteers.TeamInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.Volunteers.UpdateTeam(r.Context(), principalOf(r), id, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiTeamOut(w, r, id, http.StatusOK)
}

func (s *Server) apiTeamAdd(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if _, err := s.teamWritable(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in volAPIMembers
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Volunteers.AddMembers(r.Context(), principalOf(r), id, in.VolunteerIDs); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiTeamOut(w, r, id, http.StatusOK)
}

func (s *Server) apiTeamRemove(w http.ResponseWriter, r *http.Request) {
	if err := s.Volunteers.RemoveMember(r.Context(), principalOf(r), volPathID(r, "id"), volPathID(r, "vid")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiRecList(w http.ResponseWriter, r *http.Request) {
	rows, total, sum, err := s.Volunteers.Records(r.Context(), principalOf(r), volunteers.RecordFilter{ListQuery: listQuery(r),
		SiteID: volQueryID(r, "site"), TeamID: volQueryID(r, "team"), VolunteerID: volQueryID(r, "volunteer"),
		From: volQueryDate(r, "from"), To: volQueryDate(r, "to"), Exported: r.URL.Query().Get("exported")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rows == nil {
		rows = []volunteers.ServiceRecord{}
	}
	writeJSON(w, http.StatusOK, volAPIRecords{Items: rows, Total: total, Minutes: sum})
}

func (s *Server) apiRecCreate(w http.ResponseWriter, r *http.Request) {
	var in volunteers.RecordInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, err := s.Volunteers.CreateRecord(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

func (s *Server) apiRecGet(w http.ResponseWriter, r *http.Request) {
	rec, err := s.Volunteers.GetRecord(r.Context(), principalOf(r), volPathID(r, "id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) apiRecUpdate(w http.ResponseWriter, r *http.Request) {
	id := volPathID(r, "id")
	if _, err := s.recWritable(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in volunteers.RecordInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, err := s.Volunteers.UpdateRecord(r.Context(), principalOf(r), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) apiRecDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.Volunteers.DeleteRecord(r.Context(), principalOf(r), volPathID(r, "id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiMgrList(w http.ResponseWriter, r *http.Request) {
	ms, err := s.Volunteers.Managers(r.Context(), principalOf(r), volQueryID(r, "site"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ms == nil {
		ms = []volunteers.Manager{}
	}
	writeJSON(w, http.StatusOK, ms)
}

func (s *Server) apiMgrAdd(w http.ResponseWriter, r *http.Request) {
	var in volAPIManager
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Volunteers.AddManager(r.Context(), principalOf(r), in.SiteID, in.StaffID); err != nil {
		s.writeError(w, r, err)
		return
	}
	ms, err := s.Volunteers.Managers(r.Context(), principalOf(r), in.SiteID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ms)
}

func (s *Server) apiMgrRemove(w http.ResponseWriter, r *http.Request) {
	if err := s.Volunteers.RemoveManager(r.Context(), principalOf(r), volPathID(r, "site"), volPathID(r, "staff")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiStars(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	day := volQueryDate(r, "date")
	if day.IsZero() {
		day = s.today()
	}
	th, err := s.Volunteers.Thresholds(r.Context(), p.OrgID, day)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, th)
}

func (s *Server) apiStarsSet(w http.ResponseWriter, r *http.Request) {
	var in volunteers.ThresholdInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r)
	if err := s.Volunteers.SetThresholds(r.Context(), p, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	th, err := s.Volunteers.Thresholds(r.Context(), p.OrgID, in.ValidFrom)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, th)
}

func (s *Server) apiVolUnregistered(w http.ResponseWriter, r *http.Request) {
	rows, total, err := s.Volunteers.Unregistered(r.Context(), principalOf(r), volunteers.ReportFilter{ListQuery: listQuery(r),
		SiteID: volQueryID(r, "site")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, volAPIPage(rows, total))
}

func (s *Server) apiVolIdle(w http.ResponseWriter, r *http.Request) {
	rows, total, err := s.Volunteers.Idle(r.Context(), principalOf(r), volunteers.ReportFilter{ListQuery: listQuery(r),
		SiteID: volQueryID(r, "site"), From: volQueryDate(r, "from"), To: volQueryDate(r, "to")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, volAPIPage(rows, total))
}

func (s *Server) apiIvol(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	pend, err := s.Volunteers.Pending(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	batches, total, err := s.Volunteers.Batches(r.Context(), p, listQuery(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if pend.Activities == nil {
		pend.Activities = []volunteers.PendingActivity{}
	}
	if batches == nil {
		batches = []volunteers.Batch{}
	}
	writeJSON(w, http.StatusOK, volAPIIvol{Pending: pend, Batches: batches, Total: total})
}

func (s *Server) apiIvolExport(w http.ResponseWriter, r *http.Request) {
	var in volunteers.ExportInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	file, err := s.Volunteers.Export(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := volAPIExport{Batch: file.Batch, Rows: file.Rows}
	for _, c := range file.Cols {
		out.Columns = append(out.Columns, c.Header)
	}
	writeJSON(w, http.StatusCreated, out)
}
