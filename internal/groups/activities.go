package groups

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/tally"
)

// ActivityKinds are the kinds of community activity in display order.
// Interest classes (兴趣班) are activities of kind "interest_class".
var ActivityKinds = []string{"festival", "publicity", "interest_class", "visit", "lecture", "volunteer", "recreation", "other"}

// KindInterestClass is the kind of an interest class.
const KindInterestClass = "interest_class"

// ActivityKindName is the Chinese name of a kind of activity.
func ActivityKindName(k string) string {
	switch k {
	case "festival":
		return "节日活动"
	case "publicity":
		return "社区宣传"
	case "interest_class":
		return "兴趣班"
	case "visit":
		return "探访"
	case "lecture":
		return "讲座"
	case "volunteer":
		return "义工活动"
	case "recreation":
		return "文体康乐"
	case "other":
		return "其他"
	}
	return k
}

// Activity statuses, derived from the date and the report.
const (
	ActivityUpcoming = "upcoming"  // not held yet
	ActivityNoReport = "no_report" // held, report not written
	ActivityReported = "reported"  // held, report written
)

// ActivityStatuses lists the derived statuses in display order.
var ActivityStatuses = []string{ActivityUpcoming, ActivityNoReport, ActivityReported}

// ActivityStatusName is the Chinese name of a derived activity status.
func ActivityStatusName(s string) string {
	switch s {
	case ActivityUpcoming:
		return "未开展"
	case ActivityNoReport:
		return "待写报告"
	case ActivityReported:
		return "已总结"
	}
	return s
}

// Limits of photos.
const (
	MaxPhotoBytes = 5 << 20 // one photo
	MaxPhotos     = 30      // per activity
	MaxSignIns    = 2000    // names on one sign-in list
)

// Activity is a community activity (社区活动).
type Activity struct {
	ID           int64     `json:"id"`
	Title        string    `json:"title"`
	Kind         string    `json:"kind"`
	KindName     string    `json:"kind_name"`
	HeldOn       app.Date  `json:"held_on"`
	StartTime    string    `json:"start_time"`
	EndTime      string    `json:"end_time"`
	Place        string    `json:"place"`
	SiteID       int64     `json:"site_id"`
	SiteName     string    `json:"site_name"`
	ProjectID    int64     `json:"project_id,omitempty"`
	ProjectName  string    `json:"project_name,omitempty"`
	LeadID       int64     `json:"lead_id"`
	LeadName     string    `json:"lead_name"`
	Target       string    `json:"target"`
	Content      string    `json:"content"`
	Participants int       `json:"participants"`
	SignIn       bool      `json:"signin"` // participants counted from the sign-in list
	Posters      int       `json:"posters"`
	Flyers       int       `json:"flyers"`
	Report       string    `json:"report"`
	Photos       int       `json:"photos"`
	Status       string    `json:"status"`
	StatusName   string    `json:"status_name"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"`
	OrgID        int64     `json:"-"`
}

func (a *Activity) obj() authz.Obj {
	return authz.Obj{OrgID: a.OrgID, OwnerID: a.LeadID, SiteIDs: []int64{a.SiteID}}
}

func (a *Activity) derive(today app.Date) {
	a.KindName = ActivityKindName(a.Kind)
	switch {
	case a.HeldOn.After(today):
		a.Status = ActivityUpcoming
	case a.Report == "":
		a.Status = ActivityNoReport
	default:
		a.Status = ActivityReported
	}
	a.StatusName = ActivityStatusName(a.Status)
}

// ActivityInput records or edits an activity. When SignIns is not empty the
// participant count is the number of names and Participants is ignored.
// Version is the version the editor loaded, for edits.
type ActivityInput struct {
	Title        string   `json:"title"`
	Kind         string   `json:"kind" doc:"festival 节日活动、publicity 社区宣传、interest_class 兴趣班、visit 探访、lecture 讲座、volunteer 义工活动、recreation 文体康乐、other 其他"`
	HeldOn       app.Date `json:"held_on"`
	StartTime    string   `json:"start_time"`
	EndTime      string   `json:"end_time"`
	Place        string   `json:"place"`
	SiteID       int64    `json:"site_id"`
	ProjectID    int64    `json:"project_id"`
	LeadID       int64    `json:"lead_id"`
	Target       string   `json:"target"`
	Content      string   `json:"content"`
	Participants int      `json:"participants" doc:"参与人数（≥0）；有签到名单时忽略，按名单人数计"`
	SignIns      []string `json:"signins" doc:"签到名单（姓名）"`
	Posters      int      `json:"posters"`
	Flyers       int      `json:"flyers"`
	Report       string   `json:"report"`
	Version      int64    `json:"version,omitempty"`
}

// ActivityFilter narrows the activity list.
type ActivityFilter struct {
	SiteID    int64
	ProjectID int64
	LeadID    int64
	Kind      string
	Status    string
	From, To  app.Date
}

// Photo describes one photo of an activity report.
type Photo struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// PhotoData is a photo with its bytes, for serving.
type PhotoData struct {
	Photo
	Data []byte
}

// ActivityFile is the activity page.
type ActivityFile struct {
	Activity *Activity `json:"activity"`
	SignIns  []string  `json:"signins"`
	Photos   []Photo   `json:"photos"`
	History  []Change  `json:"history"`
	CanWrite bool      `json:"can_write"`
	Masked   bool      `json:"masked"` // sign-in names shown masked
}

func (in *ActivityInput) normalize() {
	in.Title = strings.TrimSpace(in.Title)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Place = strings.TrimSpace(in.Place)
	in.Target = strings.TrimSpace(in.Target)
	in.Content = strings.TrimSpace(in.Content)
	in.Report = strings.TrimSpace(in.Report)
	var names []string
	for _, n := range in.SignIns {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	in.SignIns = names
	if len(names) > 0 {
		in.Participants = len(names)
	}
}

func (in *ActivityInput) check(v *app.Validation, today app.Date) {
	if v.Required("title", in.Title, "活动名称") {
		v.MaxLen("title", in.Title, "活动名称", 60)
	}
	if v.Required("kind", in.Kind, "活动类型") {
		v.OneOf("kind", in.Kind, "活动类型", ActivityKinds...)
	}
	if in.HeldOn.IsZero() {
		v.Add("held_on", "活动日期不能为空")
	}
	checkDate(v, "held_on", in.HeldOn, "活动日期", today, false)
	checkTimes(v, &in.StartTime, &in.EndTime)
	v.MaxLen("place", in.Place, "地点", 60)
	v.Chosen("site_id", in.SiteID, "服务点")
	v.Chosen("lead_id", in.LeadID, "负责社工")
	if in.ProjectID < 0 {
		v.Add("project_id", "请选择有效的项目")
	}
	v.MaxLen("target", in.Target, "服务对象", 200)
	v.MaxLen("content", in.Content, "活动内容", 4000)
	checkCount(v, "participants", in.Participants, "参与人数", 100000)
	if len(in.SignIns) > MaxSignIns {
		v.Add("signins", fmt.Sprintf("签到名单最多 %d 人，人数更多时请直接填写参与人数", MaxSignIns))
	}
	for _, n := range in.SignIns {
		if !v.MaxLen("signins", n, "签到名单中的姓名", 30) {
			break
		}
	}
	checkCount(v, "posters", in.Posters, "海报数量", 100000)
	checkCount(v, "flyers", in.Flyers, "单张数量", 1000000)
	v.MaxLen("report", in.Report, "活动报告", 8000)
	if in.Report != "" && !in.HeldOn.IsZero() && in.HeldOn.After(today) {
		v.Add("report", "活动尚未开展，不能填写活动报告")
	}
	if len(in.SignIns) > 0 && !in.HeldOn.IsZero() && in.HeldOn.After(today) {
		v.Add("signins", "活动尚未开展，不能登记签到名单")
	}
}

// checkActivityScope refuses a site/lead combination outside p's write
// scope; an edit that keeps both is not checked again.
func checkActivityScope(p *authz.Principal, in *ActivityInput, old *Activity, v *app.Validation) {
	if v.Has("site_id") || v.Has("lead_id") {
		return
	}
	if old != nil && old.SiteID == in.SiteID && old.LeadID == in.LeadID {
		return
	}
	if !mayPlace(p, PermGroupWrite, in.SiteID, in.LeadID) {
		v.Add("site_id", "您只能为自己所在的服务点登记活动")
	}
}

const (
	sqlActivityColumns = `a.id, a.org_id, a.title, a.kind, a.held_on, a.start_time, a.end_time, a.place, a.site_id, si.name,
		COALESCE(a.project_id, 0), COALESCE(pr.name, ''), a.lead_id, st.name, a.target, a.content, a.participants, a.signin,
		a.posters, a.flyers, a.report,
		(SELECT COUNT(*) FROM activity_photos ph WHERE ph.org_id = a.org_id AND ph.activity_id = a.id),
		a.created_at, a.updated_at, a.version`
	sqlActivityFrom = ` FROM activities a
		JOIN sites si ON si.org_id = a.org_id AND si.id = a.site_id
		JOIN staff st ON st.org_id = a.org_id AND st.id = a.lead_id
		LEFT JOIN projects pr ON pr.org_id = a.org_id AND pr.id = a.project_id`
	sqlInsertActivity = `INSERT INTO activities (org_id, title, kind, held_on, start_time, end_time, place, site_id, project_id,
		lead_id, target, content, participants, signin, posters, flyers, report, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, 1) RETURNING id`
	sqlUpdateActivity = `UPDATE activities SET title = $3, kind = $4, held_on = $5, start_time = $6, end_time = $7, place = $8,
		site_id = $9, project_id = $10, lead_id = $11, target = $12, content = $13, participants = $14, signin = $15,
		posters = $16, flyers = $17, report = $18, updated_at = $19, version = version + 1
		WHERE org_id = $1 AND id = $2 AND version = $20`
)

func scanActivity(sc scanner, a *Activity) error {
	return sc.Scan(&a.ID, &a.OrgID, &a.Title, &a.Kind, &a.HeldOn, &a.StartTime, &a.EndTime, &a.Place, &a.SiteID,
		&a.SiteName, &a.ProjectID, &a.ProjectName, &a.LeadID, &a.LeadName, &a.Target, &a.Content, &a.Participants,
		&a.SignIn, &a.Posters, &a.Flyers, &a.Report, &a.Photos, &a.CreatedAt, &a.UpdatedAt, &a.Version)
}

// ListActivities lists the activities in p's scope. Sort keys: date,
// title, kind, site, lead, participants.
func (s *Service) ListActivities(ctx context.Context, p *authz.Principal, f ActivityFilter, q app.ListQuery) ([]Activity, int, error) {
	return app.Collect(s.ActivityRows(ctx, p, f, q))
}

// ActivityRows is ListActivities read from the database cursor one row
// at a time, for exports of any size.
func (s *Service) ActivityRows(ctx context.Context, p *authz.Principal, f ActivityFilter, q app.ListQuery) app.Rows[Activity] {
	return func(start func(int) error, yield func(Activity) error) error {
		return s.activityRows(ctx, p, f, q, start, yield)
	}
}

func (s *Service) activityRows(ctx context.Context, p *authz.Principal, f ActivityFilter, q app.ListQuery,
	start func(int) error, yield func(Activity) error) error {
	if !p.Can(PermGroupRead) {
		return app.ErrForbidden()
	}
	var v app.Validation
	if f.Kind != "" {
		v.OneOf("kind", f.Kind, "活动类型", ActivityKinds...)
	}
	if f.Status != "" {
		v.OneOf("status", f.Status, "活动状态", ActivityStatuses...)
	}
	if err := v.Err(); err != nil {
		return err
	}
	today := app.Today(s.Now())
	var args app.Args
	where := "a.org_id = " + args.Add(p.OrgID) + " AND " +
		p.Scope(PermGroupRead).SQL(authz.Cols{Org: "a.org_id", Site: "a.site_id", Owner: "a.lead_id"}, args.Add)
	if f.SiteID != 0 {
		where += " AND a.site_id = " + args.Add(f.SiteID)
	}
	if f.ProjectID != 0 {
		where += " AND a.project_id = " + args.Add(f.ProjectID)
	}
	if f.LeadID != 0 {
		where += " AND a.lead_id = " + args.Add(f.LeadID)
	}
	if f.Kind != "" {
		where += " AND a.kind = " + args.Add(f.Kind)
	}
	switch f.Status {
	case ActivityUpcoming:
		where += " AND a.held_on > " + args.Add(today)
	case ActivityNoReport:
		where += " AND a.held_on <= " + args.Add(today) + " AND a.report = ''"
	case ActivityReported:
		where += " AND a.held_on <= " + args.Add(today) + " AND a.report <> ''"
	}
	if !f.From.IsZero() {
		where += " AND a.held_on >= " + args.Add(f.From)
	}
	if !f.To.IsZero() {
		where += " AND a.held_on <= " + args.Add(f.To)
	}
	if q.Q != "" {
		like := args.Add(db.Like(q.Q))
		op := " " + s.DB.ILike() + " "
		where += " AND (a.title" + op + like + ` ESCAPE '\' OR a.place` + op + like + ` ESCAPE '\')`
	}
	if start != nil {
		var total int
		if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM activities a WHERE "+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("groups: count activities: %w", err)
		}
		if err := start(total); err != nil {
			return err
		}
	}
	order := q.OrderBy(map[string]string{"date": "a.held_on", "title": "a.title", "kind": "a.kind", "site": "si.name",
		"lead": "st.name", "participants": "a.participants"}, "date", "a.id")
	if q.Sort == "" {
		order = " ORDER BY a.held_on DESC, a.id DESC"
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlActivityColumns+sqlActivityFrom+" WHERE "+where+order+q.LimitOffset(), args...)
	if err != nil {
		return fmt.Errorf("groups: list activities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Activity
		if err := scanActivity(rows, &a); err != nil {
			return err
		}
		a.derive(today)
		if err := yield(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Service) getActivity(ctx context.Context, q db.Querier, orgID, id int64) (*Activity, error) {
	var a Activity
	err := scanActivity(q.QueryRowContext(ctx, "SELECT "+sqlActivityColumns+sqlActivityFrom+" WHERE a.org_id = $1 AND a.id = $2", orgID, id), &a)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("活动")
	}
	if err != nil {
		return nil, fmt.Errorf("groups: get activity: %w", err)
	}
	a.derive(app.Today(s.Now()))
	return &a, nil
}

// GetActivity returns one activity in p's scope.
func (s *Service) GetActivity(ctx context.Context, p *authz.Principal, id int64) (*Activity, error) {
	a, err := s.getActivity(ctx, s.DB.R, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(PermGroupRead).Allows(a.obj()) {
		return nil, app.ErrNotFound("活动")
	}
	return a, nil
}

// CanWriteActivity reports whether p may record for a.
func CanWriteActivity(p *authz.Principal, a *Activity) bool {
	return p.Scope(PermGroupWrite).Allows(a.obj())
}

func (s *Service) writableActivity(ctx context.Context, tx *sql.Tx, p *authz.Principal, id int64) (*Activity, error) {
	if !p.Can(PermGroupWrite) {
		return nil, app.ErrForbidden()
	}
	a, err := s.getActivity(ctx, tx, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !CanWriteActivity(p, a) {
		if p.Scope(PermGroupRead).Allows(a.obj()) {
			return nil, app.ErrForbidden()
		}
		return nil, app.ErrNotFound("活动")
	}
	return a, nil
}

func (s *Service) signIns(ctx context.Context, q db.Querier, orgID, id int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM activity_signins WHERE org_id = $1 AND activity_id = $2 ORDER BY position, id`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("groups: list sign-ins: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *Service) photos(ctx context.Context, orgID, id int64) ([]Photo, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ph.id, ph.filename, ph.content_type, ph.size, u.display_name, ph.uploaded_at
		FROM activity_photos ph JOIN users u ON u.org_id = ph.org_id AND u.id = ph.uploaded_by
		WHERE ph.org_id = $1 AND ph.activity_id = $2 ORDER BY ph.id`, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("groups: list photos: %w", err)
	}
	defer rows.Close()
	out := []Photo{}
	for rows.Next() {
		var ph Photo
		if err := rows.Scan(&ph.ID, &ph.Filename, &ph.ContentType, &ph.Size, &ph.UploadedBy, &ph.UploadedAt); err != nil {
			return nil, err
		}
		out = append(out, ph)
	}
	return out, rows.Err()
}

// ActivityFile returns the activity page for p.
func (s *Service) ActivityFile(ctx context.Context, p *authz.Principal, id int64) (*ActivityFile, error) {
	a, err := s.GetActivity(ctx, p, id)
	if err != nil {
		return nil, err
	}
	af := &ActivityFile{Activity: a, CanWrite: CanWriteActivity(p, a)}
	af.Masked = !af.CanWrite
	if af.SignIns, err = s.signIns(ctx, s.DB.R, p.OrgID, id); err != nil {
		return nil, err
	}
	for i := range af.SignIns {
		af.SignIns[i] = maskIf(af.Masked, af.SignIns[i])
	}
	if af.Photos, err = s.photos(ctx, p.OrgID, id); err != nil {
		return nil, err
	}
	if af.History, err = s.history(ctx, p.OrgID, "activity", id); err != nil {
		return nil, err
	}
	return af, nil
}

func setSignIns(ctx context.Context, tx *sql.Tx, orgID, id int64, names []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM activity_signins WHERE org_id = $1 AND activity_id = $2`, orgID, id); err != nil {
		return fmt.Errorf("groups: clear sign-ins: %w", err)
	}
	for i, n := range names {
		if _, err := tx.ExecContext(ctx, `INSERT INTO activity_signins (org_id, activity_id, position, name) VALUES ($1, $2, $3, $4)`,
			orgID, id, i+1, n); err != nil {
			return fmt.Errorf("groups: add sign-in: %w", err)
		}
	}
	return nil
}

func checkActivityRefs(ctx context.Context, tx *sql.Tx, orgID int64, in *ActivityInput, old *Activity, v *app.Validation) error {
	rc := refCheck{ctx: ctx, q: tx, org: orgID, v: v}
	if old == nil || old.SiteID != in.SiteID {
		rc.site("site_id", in.SiteID)
	}
	if old == nil || old.LeadID != in.LeadID {
		rc.staff("lead_id", in.LeadID)
	}
	if old == nil || old.ProjectID != in.ProjectID {
		rc.project("project_id", in.ProjectID)
	}
	return rc.err
}

// CreateActivity records a community activity in p's organization.
func (s *Service) CreateActivity(ctx context.Context, p *authz.Principal, in ActivityInput) (int64, error) {
	if !p.Can(PermGroupWrite) {
		return 0, app.ErrForbidden()
	}
	in.normalize()
	today := app.Today(s.Now())
	var v app.Validation
	in.check(&v, today)
	checkActivityScope(p, &in, nil, &v)
	if err := v.Err(); err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := checkActivityRefs(ctx, tx, p.OrgID, &in, nil, &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, sqlInsertActivity, p.OrgID, in.Title, in.Kind, in.HeldOn, in.StartTime, in.EndTime,
			in.Place, in.SiteID, nullID(in.ProjectID), in.LeadID, in.Target, in.Content, in.Participants, len(in.SignIns) > 0,
			in.Posters, in.Flyers, in.Report, now).Scan(&id); err != nil {
			return fmt.Errorf("groups: insert activity: %w", err)
		}
		if err := setSignIns(ctx, tx, p.OrgID, id, in.SignIns); err != nil {
			return err
		}
		tr.Add(tally.Activity(id))
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		return audit.Write(ctx, tx, entry(p, now, "activity.create", "activity", id,
			fmt.Sprintf("%s「%s」（%s），参与 %d 人，海报 %d 张，单张 %d 张", in.HeldOn, in.Title,
				ActivityKindName(in.Kind), in.Participants, in.Posters, in.Flyers)))
	})
	return id, err
}

// UpdateActivity edits an activity. in.Version must be the version the
// editor loaded; when someone saved in between, the update is refused.
func (s *Service) UpdateActivity(ctx context.Context, p *authz.Principal, id int64, in ActivityInput) error {
	in.normalize()
	today := app.Today(s.Now())
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.writableActivity(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.check(&v, today)
		checkActivityScope(p, &in, old, &v)
		if in.Version <= 0 {
			v.Add("version", "缺少版本号，请先读取记录再修改")
		}
		if err := checkActivityRefs(ctx, tx, p.OrgID, &in, old, &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if old.Version != in.Version {
			return ErrEditedElsewhere()
		}
		oldNames, err := s.signIns(ctx, tx, p.OrgID, id)
		if err != nil {
			return err
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Activity(id))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, sqlUpdateActivity, p.OrgID, id, in.Title, in.Kind, in.HeldOn, in.StartTime, in.EndTime,
			in.Place, in.SiteID, nullID(in.ProjectID), in.LeadID, in.Target, in.Content, in.Participants, len(in.SignIns) > 0,
			in.Posters, in.Flyers, in.Report, now, in.Version)
		if err != nil {
			return fmt.Errorf("groups: update activity: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrEditedElsewhere()
		}
		if err := setSignIns(ctx, tx, p.OrgID, id, in.SignIns); err != nil {
			return err
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		n, err := names(ctx, tx, p.OrgID, in.SiteID, in.LeadID)
		if err != nil {
			return err
		}
		var project string
		if in.ProjectID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT name FROM projects WHERE org_id = $1 AND id = $2`, p.OrgID, in.ProjectID).Scan(&project); err != nil {
				return fmt.Errorf("groups: project name: %w", err)
			}
		}
		var d changes
		d.Add("名称", old.Title, in.Title)
		d.Add("类型", old.KindName, ActivityKindName(in.Kind))
		d.Add("日期", old.HeldOn.String(), in.HeldOn.String())
		d.Add("时间", old.StartTime+"-"+old.EndTime, in.StartTime+"-"+in.EndTime)
		d.Add("地点", old.Place, in.Place)
		d.Add("服务点", old.SiteName, n.site)
		d.Add("项目", old.ProjectName, project)
		d.Add("负责社工", old.LeadName, n.staff)
		d.Add("参与人数", fmt.Sprint(old.Participants), fmt.Sprint(in.Participants))
		d.Note("签到名单", !slices.Equal(oldNames, in.SignIns))
		d.Add("海报", fmt.Sprint(old.Posters), fmt.Sprint(in.Posters))
		d.Add("单张", fmt.Sprint(old.Flyers), fmt.Sprint(in.Flyers))
		d.Note("服务对象", old.Target != in.Target)
		d.Note("活动内容", old.Content != in.Content)
		d.Note("活动报告", old.Report != in.Report)
		return audit.Write(ctx, tx, entry(p, now, "activity.update", "activity", id, d.String()))
	})
}

// cleanFilename keeps the last path element of an uploaded file's name,
// without control characters, at most 100 characters.
func cleanFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(strings.TrimSpace(name))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '/' {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 100 {
		name = string(r[len(r)-100:])
	}
	if name == "" || name == "." {
		name = "照片"
	}
	return name
}

// photoFilename is the cleaned upload name with the extension of the
// sniffed type, so that a saved photo never opens as something else (a PNG
// uploaded as "x.html" is kept as "x.png").
func photoFilename(name, contentType string) string {
	name = cleanFilename(name)
	ext := ".jpg"
	if contentType == "image/png" {
		ext = ".png"
	}
	base := strings.TrimSuffix(name, path.Ext(name))
	if base == "" {
		base = "照片"
	}
	return base + ext
}

// AddPhoto attaches a photo to an activity report. Only JPEG and PNG images
// of at most MaxPhotoBytes are accepted; the type is sniffed from the bytes,
// never taken from the upload's claims.
func (s *Service) AddPhoto(ctx context.Context, p *authz.Principal, activityID int64, filename string, data []byte) (int64, error) {
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableActivity(ctx, tx, p, activityID); err != nil {
			return err
		}
		var v app.Validation
		ct := http.DetectContentType(data)
		switch {
		case len(data) == 0:
			v.Add("photo", "请选择要上传的照片")
		case len(data) > MaxPhotoBytes:
			v.Add("photo", "每张照片不能超过 5 MB")
		case ct != "image/jpeg" && ct != "image/png":
			v.Add("photo", "只能上传 JPEG 或 PNG 格式的照片")
		}
		if err := v.Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM activity_photos WHERE org_id = $1 AND activity_id = $2`,
			p.OrgID, activityID).Scan(&n); err != nil {
			return fmt.Errorf("groups: count photos: %w", err)
		}
		if n >= MaxPhotos {
			v.Add("photo", fmt.Sprintf("每个活动最多上传 %d 张照片", MaxPhotos))
			return v.Err()
		}
		name := photoFilename(filename, ct)
		if err := tx.QueryRowContext(ctx, `INSERT INTO activity_photos (org_id, activity_id, filename, content_type, size, data,
			uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, p.OrgID, activityID, name, ct,
			len(data), data, p.UserID, now).Scan(&id); err != nil {
			return fmt.Errorf("groups: insert photo: %w", err)
		}
		return audit.Write(ctx, tx, entry(p, now, "activity.photo.add", "activity", activityID,
			fmt.Sprintf("%s（%d KB）", name, (len(data)+1023)/1024)))
	})
	return id, err
}

// PhotoFile returns a photo of an activity in p's scope.
func (s *Service) PhotoFile(ctx context.Context, p *authz.Principal, activityID, photoID int64) (*PhotoData, error) {
	if _, err := s.GetActivity(ctx, p, activityID); err != nil {
		return nil, err
	}
	var ph PhotoData
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, filename, content_type, size, data, uploaded_at FROM activity_photos
		WHERE org_id = $1 AND activity_id = $2 AND id = $3`, p.OrgID, activityID, photoID).Scan(&ph.ID, &ph.Filename,
		&ph.ContentType, &ph.Size, &ph.Data, &ph.UploadedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("照片")
	}
	if err != nil {
		return nil, fmt.Errorf("groups: get photo: %w", err)
	}
	return &ph, nil
}

// DeletePhoto removes a photo from an activity report.
func (s *Service) DeletePhoto(ctx context.Context, p *authz.Principal, activityID, photoID int64) error {
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableActivity(ctx, tx, p, activityID); err != nil {
			return err
		}
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM activity_photos WHERE org_id = $1 AND activity_id = $2 AND id = $3
			RETURNING filename`, p.OrgID, activityID, photoID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("照片")
		}
		if err != nil {
			return fmt.Errorf("groups: delete photo: %w", err)
		}
		return audit.Write(ctx, tx, entry(p, now, "activity.photo.delete", "activity", activityID, name))
	})
}
