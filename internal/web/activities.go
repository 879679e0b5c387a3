package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/groups"
	"shegong/internal/volunteers"
)

// maxPhotosPerUpload caps the files of one upload; each is at most 5 MB.
const maxPhotosPerUpload = 10

func (s *Server) activityRoutes() {
	rt := s.router
	read, write := groups.PermGroupRead, groups.PermGroupWrite
	const tag = "小组与活动"
	rt.Handle(Route{Method: "GET", Pattern: "/activities", Access: Permitted, Perm: read, Summary: "社区活动列表"}, s.activityList)
	rt.Handle(Route{Method: "GET", Pattern: "/activities/new", Access: Permitted, Perm: write, Summary: "登记社区活动页"}, s.activityNew)
	rt.Handle(Route{Method: "POST", Pattern: "/activities", Access: Permitted, Perm: write, Summary: "登记社区活动"}, s.activityCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/activities/{id}", Access: Permitted, Perm: read, Object: "activity", Summary: "社区活动详情"}, s.activityShow)
	rt.Handle(Route{Method: "GET", Pattern: "/activities/{id}/edit", Access: Permitted, Perm: write, Object: "activity", Summary: "修改社区活动页"}, s.activityEdit)
	rt.Handle(Route{Method: "POST", Pattern: "/activities/{id}/edit", Access: Permitted, Perm: write, Object: "activity", Summary: "修改社区活动"}, s.activityUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/activities/{id}/photos", Access: Permitted, Perm: write, Object: "activity", Summary: "上传活动照片"}, s.photoUpload)
	rt.Handle(Route{Method: "GET", Pattern: "/activities/{id}/photos/{pid}", Access: Permitted, Perm: read, Object: "activity", Summary: "查看活动照片"}, s.photoServe)
	rt.Handle(Route{Method: "POST", Pattern: "/activities/{id}/photos/{pid}/delete", Access: Permitted, Perm: write, Object: "activity", Summary: "删除活动照片"}, s.photoDelete)

	listParams := []Param{
		{Name: "site_id", Desc: "服务点", Type: "integer"}, {Name: "project_id", Desc: "项目", Type: "integer"},
		{Name: "lead_id", Desc: "负责社工（同工编号）", Type: "integer"},
		{Name: "kind", Desc: "类型：festival, publicity, interest_class, visit, lecture, volunteer, recreation, other", Type: "string"},
		{Name: "status", Desc: "状态：upcoming 未开展、no_report 待写报告、reported 已总结", Type: "string"},
		{Name: "from", Desc: "活动日期从", Type: "date"}, {Name: "to", Desc: "活动日期至", Type: "date"},
		{Name: "q", Desc: "搜索活动名称或地点", Type: "string"}, {Name: "page", Desc: "页码", Type: "integer"},
		{Name: "size", Desc: "每页条数（最多200）", Type: "integer"}, {Name: "sort", Desc: "排序：date, title, kind, site, lead, participants", Type: "string"},
		{Name: "dir", Desc: "asc 或 desc", Type: "string"},
	}
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/activities", Access: Permitted, Perm: read, Summary: "社区活动列表",
		API: &APIDoc{Tag: tag, Response: gaList[groups.Activity]{}, Query: listParams}}, s.apiActivityList)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/activities", Access: Permitted, Perm: write, Summary: "登记社区活动（有签到名单时参与人数按名单计）",
		API: &APIDoc{Tag: tag, Status: http.StatusCreated, Request: groups.ActivityInput{}, Response: groups.Activity{}}}, s.apiActivityCreate)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/activities/{id}", Access: Permitted, Perm: read, Object: "activity", Summary: "社区活动详情（签到名单、照片、时间线）",
		API: &APIDoc{Tag: tag, Response: groups.ActivityFile{}}}, s.apiActivityGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/activities/{id}", Access: Permitted, Perm: write, Object: "activity", Summary: "修改社区活动（需 version）",
		API: &APIDoc{Tag: tag, Request: groups.ActivityInput{}, Response: groups.Activity{}}}, s.apiActivityUpdate)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/activities/{id}/photos", Access: Permitted, Perm: write, Object: "activity", Summary: "上传活动照片（multipart/form-data，字段 photo，JPEG/PNG，每张不超过 5 MB）",
		API: &APIDoc{Tag: tag, Status: http.StatusCreated, Response: []groups.Photo{},
			Desc: "请求体为 multipart/form-data，照片放在字段 photo（可多张，每次最多 10 张）；类型按内容识别，只收 JPEG 和 PNG。返回该活动的全部照片。"}}, s.apiPhotoUpload)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/activities/{id}/photos/{pid}", Access: Permitted, Perm: read, Object: "activity", Summary: "下载活动照片（图片内容）",
		API: &APIDoc{Tag: tag, Status: http.StatusOK, Desc: "返回照片本身（image/jpeg 或 image/png），不是 JSON。"}}, s.photoServe)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/activities/{id}/photos/{pid}", Access: Permitted, Perm: write, Object: "activity", Summary: "删除活动照片",
		API: &APIDoc{Tag: tag}}, s.apiPhotoDelete)
}

func activityStatusTag(a groups.Activity) Cell {
	switch a.Status {
	case groups.ActivityReported:
		return Cell{Text: a.StatusName, Tag: "green"}
	case groups.ActivityNoReport:
		return Cell{Text: a.StatusName, Tag: "orange"}
	}
	return Cell{Text: a.StatusName, Tag: "grey"}
}

func activityFilterOf(v url.Values) (groups.ActivityFilter, error) {
	q := gaQuery{v: v}
	f := groups.ActivityFilter{SiteID: q.id("site_id"), ProjectID: q.id("project_id"), LeadID: q.id("lead_id"),
		Kind: strings.TrimSpace(v.Get("kind")), Status: strings.TrimSpace(v.Get("status")),
		From: q.date("from"), To: q.date("to")}
	return f, q.val.Err()
}

func activityListDef(c gaChoices) ListDef[groups.Activity] {
	return ListDef[groups.Activity]{
		Sheet:  "社区活动",
		Search: "活动名称或地点",
		Empty:  "没有符合条件的活动",
		Filters: []Filter{
			{Name: "site_id", Label: "服务点", Type: "select", Options: c.Sites},
			{Name: "project_id", Label: "项目", Type: "select", Options: c.Projects},
			{Name: "lead_id", Label: "负责社工", Type: "select", Options: c.Staff},
			{Name: "kind", Label: "类型", Type: "select", Options: gaCodes(groups.ActivityKinds, groups.ActivityKindName)},
			{Name: "status", Label: "状态", Type: "select", Options: gaCodes(groups.ActivityStatuses, groups.ActivityStatusName)},
			{Name: "from", Label: "日期从", Type: "date"},
			{Name: "to", Label: "日期至", Type: "date"},
		},
		Cols: []ListCol[groups.Activity]{
			{Key: "date", Label: "日期", Width: 12, Cell: func(a groups.Activity) Cell {
				c := Cell{Text: a.HeldOn.String()}
				if a.StartTime != "" {
					c.Sub = strings.TrimSuffix(a.StartTime+"–"+a.EndTime, "–")
				}
				return c
			}},
			{Key: "title", Label: "活动名称", Width: 28, Cell: func(a groups.Activity) Cell {
				return Cell{Text: a.Title, Href: fmt.Sprintf("/activities/%d", a.ID), Sub: a.Place}
			}},
			{Key: "kind", Label: "类型", Width: 10, Cell: func(a groups.Activity) Cell { return Cell{Text: a.KindName} }},
			{Key: "site", Label: "服务点", Width: 26, Cell: func(a groups.Activity) Cell { return Cell{Text: a.SiteName} }},
			{Key: "lead", Label: "负责社工", Width: 10, Cell: func(a groups.Activity) Cell { return Cell{Text: a.LeadName} }},
			{Label: "项目", Width: 16, Cell: func(a groups.Activity) Cell { return Cell{Text: a.ProjectName} }},
			{Key: "participants", Label: "参与人数", Width: 10, Cell: func(a groups.Activity) Cell {
				c := Cell{Text: groupDigits(a.Participants)}
				if a.SignIn {
					c.Sub = "按签到名单"
				}
				return c
			}, Export: func(a groups.Activity) any { return a.Participants }},
			{Label: "海报", Width: 8, Cell: func(a groups.Activity) Cell { return Cell{Text: groupDigits(a.Posters)} },
				Export: func(a groups.Activity) any { return a.Posters }},
			{Label: "单张", Width: 8, Cell: func(a groups.Activity) Cell { return Cell{Text: groupDigits(a.Flyers)} },
				Export: func(a groups.Activity) any { return a.Flyers }},
			{Label: "状态", Width: 10, Cell: activityStatusTag},
		},
	}
}

func (s *Server) activityList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	c, err := s.gaChoices(r, groups.PermGroupRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := activityFilterOf(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := listQuery(r)
	pg := s.page(r, "社区活动", Crumb{Label: "小组与活动"}, Crumb{Label: "社区活动"})
	serveListRows(s, w, r, pg, "activities/list", activityListDef(c), q, s.Groups.ActivityRows(r.Context(), p, f, q), func(lv ListView) any {
		return gaListData{List: lv, CanWrite: p.Can(groups.PermGroupWrite)}
	})
}

type activityFormData struct {
	gaChoices
	Kinds []Option
	ID    int64
}

func activityFormValues(a *groups.Activity, signIns []string) *Form {
	return formOf(map[string]string{
		"title": a.Title, "kind": a.Kind, "held_on": a.HeldOn.String(), "start_time": a.StartTime, "end_time": a.EndTime,
		"place": a.Place, "site_id": gaItoa(a.SiteID), "project_id": gaItoa(a.ProjectID), "lead_id": gaItoa(a.LeadID),
		"target": a.Target, "content": a.Content, "participants": strconv.Itoa(a.Participants),
		"signins": strings.Join(signIns, "\n"), "posters": strconv.Itoa(a.Posters), "flyers": strconv.Itoa(a.Flyers),
		"report": a.Report, "version": strconv.FormatInt(a.Version, 10),
	})
}

// splitNames reads a sign-in list typed one name per line (commas and the
// Chinese enumeration comma also separate names).
func splitNames(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == '，' || r == '、' })
}

func activityInputOf(f *Form, v *app.Validation) groups.ActivityInput {
	return groups.ActivityInput{
		Title: f.Get("title"), Kind: f.Get("kind"), HeldOn: f.Date("held_on", v), StartTime: f.Get("start_time"),
		EndTime: f.Get("end_time"), Place: f.Get("place"), SiteID: f.Int64("site_id"), ProjectID: f.Int64("project_id"),
		LeadID: f.Int64("lead_id"), Target: f.Get("target"), Content: f.Get("content"),
		Participants: gaInt(f, "participants", "参与人数", v), SignIns: splitNames(f.Values.Get("signins")),
		Posters: gaInt(f, "posters", "海报数量", v), Flyers: gaInt(f, "flyers", "单张数量", v),
		Report: f.Get("report"), Version: f.Int64("version"),
	}
}

func (s *Server) renderActivityForm(w http.ResponseWriter, r *http.Request, status int, f *Form, id int64, title string) {
	c, err := s.gaChoices(r, groups.PermGroupWrite)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	crumbs := []Crumb{{Label: "小组与活动"}, {Label: "社区活动", Href: "/activities"}}
	if id != 0 {
		crumbs = append(crumbs, Crumb{Label: f.Get("title"), Href: fmt.Sprintf("/activities/%d", id)})
	}
	crumbs = append(crumbs, Crumb{Label: title})
	s.gaFormPage(w, r, status, "activities/form", s.page(r, title, crumbs...), f,
		activityFormData{gaChoices: c, Kinds: gaCodes(groups.ActivityKinds, groups.ActivityKindName), ID: id})
}

func (s *Server) activityNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	f := formOf(map[string]string{"lead_id": gaItoa(p.StaffID), "held_on": s.today().String(),
		"participants": "0", "posters": "0", "flyers": "0"})
	if len(p.SiteIDs) == 1 {
		f.Values.Set("site_id", gaItoa(p.SiteIDs[0]))
	}
	s.renderActivityForm(w, r, http.StatusOK, f, 0, "登记社区活动")
}

func (s *Server) activityCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	var v app.Validation
	in := activityInputOf(f, &v)
	var id int64
	err := gaCall(&v, func() (err error) { id, err = s.Groups.CreateActivity(r.Context(), principalOf(r), in); return })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderActivityForm(w, r, st, f, 0, "登记社区活动") })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/activities/%d", id), "活动已登记")
}

func (s *Server) activityFileFor(r *http.Request) (*groups.ActivityFile, error) {
	id, err := gaID(r, "id")
	if err != nil {
		return nil, err
	}
	return s.Groups.ActivityFile(r.Context(), principalOf(r), id)
}

func (s *Server) activityEdit(w http.ResponseWriter, r *http.Request) {
	af, err := s.activityFileFor(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !af.CanWrite {
		s.fail(w, r, app.ErrForbidden())
		return
	}
	s.renderActivityForm(w, r, http.StatusOK, activityFormValues(af.Activity, af.SignIns), af.Activity.ID, "修改社区活动")
}

func (s *Server) activityUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := newForm(r)
	var v app.Validation
	in := activityInputOf(f, &v)
	err = gaCall(&v, func() error { return s.Groups.UpdateActivity(r.Context(), principalOf(r), id, in) })
	if err != nil {
		s.gaFormError(w, r, err, f, func(st int) { s.renderActivityForm(w, r, st, f, id, "修改社区活动") })
		return
	}
	s.redirect(w, r, fmt.Sprintf("/activities/%d", id), "活动已保存")
}

type activityShowData struct {
	*groups.ActivityFile
	Status       Cell
	MaxPerUpload int
	Volunteers   *volunteers.ActivityRoster
	CanRecord    bool   // may record volunteer service for this activity
	RecordHref   string // the service record form pre-filled with the activity
}

func (s *Server) renderActivityShow(w http.ResponseWriter, r *http.Request, status int, id int64, f *Form) {
	af, err := s.Groups.ActivityFile(r.Context(), principalOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a := af.Activity
	pg := s.page(r, a.Title, Crumb{Label: "小组与活动"}, Crumb{Label: "社区活动", Href: "/activities"}, Crumb{Label: a.Title})
	if f == nil {
		f = &Form{Values: url.Values{}}
	}
	pg.Form = f
	p := principalOf(r)
	roster, err := s.Volunteers.ActivityRoster(r.Context(), p, a.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	site := authz.Obj{OrgID: p.OrgID, SiteIDs: []int64{a.SiteID}}
	pre := url.Values{"activity_id": {idString(a.ID)}, "activity_name": {a.Title}, "service_date": {a.HeldOn.String()}}
	pg.Data = activityShowData{ActivityFile: af, Status: activityStatusTag(*a), MaxPerUpload: maxPhotosPerUpload,
		Volunteers: roster, CanRecord: a.Status != groups.ActivityUpcoming && p.Scope(volunteers.PermWrite).Allows(site),
		RecordHref: "/volunteer-services/new?" + pre.Encode()}
	s.render(w, r, status, "activities/show", pg)
}

func (s *Server) activityShow(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderActivityShow(w, r, http.StatusOK, id, nil)
}

// uploadPhotos stores each file of the multipart field "photo" in turn and
// stops at the first refusal. A body that is not multipart reaches the
// service as an empty upload, so that access is decided before the input.
func (s *Server) uploadPhotos(w http.ResponseWriter, r *http.Request, id int64) (int, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxPhotosPerUpload*groups.MaxPhotoBytes+1<<20)
	p := principalOf(r)
	err := r.ParseMultipartForm(8 << 20)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return 0, gaPhotoError(fmt.Sprintf("上传内容过大：每次最多上传 %d 张，每张不超过 5 MB", maxPhotosPerUpload))
	}
	var files []*multipart.FileHeader
	if err == nil && r.MultipartForm != nil {
		files = r.MultipartForm.File["photo"]
		defer r.MultipartForm.RemoveAll()
	}
	if len(files) == 0 {
		_, err := s.Groups.AddPhoto(r.Context(), p, id, "", nil)
		return 0, err
	}
	if len(files) > maxPhotosPerUpload {
		return 0, gaPhotoError(fmt.Sprintf("每次最多上传 %d 张照片", maxPhotosPerUpload))
	}
	for i, fl := range files {
		data, err := readUpload(fl, groups.MaxPhotoBytes+1)
		if err != nil {
			return i, err
		}
		if _, err := s.Groups.AddPhoto(r.Context(), p, id, fl.Filename, data); err != nil {
			if app.ErrorCode(err) == app.EInvalid && len(files) > 1 {
				return i, gaPhotoError(fmt.Sprintf("第 %d 张（%s）：%s", i+1, fl.Filename, app.ErrorMessage(err)))
			}
			return i, err
		}
	}
	return len(files), nil
}

// readUpload reads at most limit bytes of an uploaded file; a file longer
// than the service accepts is cut at limit, which the service refuses.
func readUpload(fh *multipart.FileHeader, limit int64) ([]byte, error) {
	rd, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("web: open upload: %w", err)
	}
	defer rd.Close()
	return io.ReadAll(io.LimitReader(rd, limit))
}

func gaPhotoError(msg string) error {
	e := app.Errorf(app.EInvalid, "%s", msg)
	e.Fields = map[string]string{"photo": msg}
	return e
}

func (s *Server) photoUpload(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.uploadPhotos(w, r, id)
	if err != nil {
		f := &Form{Values: url.Values{}}
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		if n > 0 {
			f.Message = fmt.Sprintf("已上传 %d 张；%s", n, f.Message)
		}
		s.renderActivityShow(w, r, http.StatusUnprocessableEntity, id, f)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/activities/%d#photos", id), fmt.Sprintf("已上传 %d 张照片", n))
}

// photoServe sends a photo after the permission check. Its type was sniffed
// at upload and only JPEG and PNG were kept; it is never served as a page.
func (s *Server) photoServe(w http.ResponseWriter, r *http.Request) {
	id, pid, err := gaTwoIDs(r, "pid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ph, err := s.Groups.PhotoFile(r.Context(), principalOf(r), id, pid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ph.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(ph.Data)))
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": ph.Filename}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	w.WriteHeader(http.StatusOK)
	w.Write(ph.Data)
}

func (s *Server) photoDelete(w http.ResponseWriter, r *http.Request) {
	id, pid, err := gaTwoIDs(r, "pid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Groups.DeletePhoto(r.Context(), principalOf(r), id, pid); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/activities/%d#photos", id), "照片已删除")
}

// --- activities: JSON API ---

func (s *Server) apiActivityList(w http.ResponseWriter, r *http.Request) {
	apiList(s, w, r, activityFilterOf, s.Groups.ListActivities)
}

func (s *Server) apiActivityCreate(w http.ResponseWriter, r *http.Request) {
	apiCreate(s, w, r, s.Groups.CreateActivity, s.Groups.GetActivity)
}

func (s *Server) apiActivityGet(w http.ResponseWriter, r *http.Request) {
	af, err := s.activityFileFor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, af)
}

func (s *Server) apiActivityUpdate(w http.ResponseWriter, r *http.Request) {
	apiUpdate(s, w, r, s.Groups.UpdateActivity, s.Groups.GetActivity)
}

func (s *Server) apiPhotoUpload(w http.ResponseWriter, r *http.Request) {
	id, err := gaID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.uploadPhotos(w, r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	af, err := s.Groups.ActivityFile(r.Context(), principalOf(r), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, af.Photos)
}

func (s *Server) apiPhotoDelete(w http.ResponseWriter, r *http.Request) {
	id, pid, err := gaTwoIDs(r, "pid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Groups.DeletePhoto(r.Context(), principalOf(r), id, pid); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
