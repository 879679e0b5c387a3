package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
	"shegong/internal/tally"
)

// ServiceRecord is one volunteer's service at one activity on one day
// (志愿服务记录). Minutes are end − start − late − early: actual service,
// travel excluded.
type ServiceRecord struct {
	ID              int64      `json:"id"`
	VolunteerID     int64      `json:"volunteer_id"`
	VolunteerNo     string     `json:"volunteer_no"`
	VolunteerName   string     `json:"volunteer_name"`
	SiteID          int64      `json:"site_id"`
	SiteName        string     `json:"site_name"`
	TeamID          int64      `json:"team_id,omitempty"`
	TeamName        string     `json:"team_name"`
	ActivityID      int64      `json:"activity_id,omitempty"`
	ActivityName    string     `json:"activity_name"`
	Place           string     `json:"place"`
	Date            app.Date   `json:"service_date"`
	Start           string     `json:"start_time"`
	End             string     `json:"end_time"`
	LateMinutes     int        `json:"late_minutes"`
	EarlyMinutes    int        `json:"early_minutes"`
	Minutes         Minutes    `json:"minutes"`
	Content         string     `json:"content"`
	PeopleServed    int        `json:"people_served"`
	LeadName        string     `json:"lead_name"`
	LeadPhoneMasked string     `json:"lead_phone_masked"`
	leadPhone       string     // full; only the edit form and the i志愿 export use it
	RecorderID      int64      `json:"recorder_id"`
	RecorderName    string     `json:"recorder_name"`
	Note            string     `json:"note"`
	BatchID         int64      `json:"export_batch_id,omitempty"`
	ExportedAt      *time.Time `json:"exported_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Version         int        `json:"version"`
}

// LeadPhone is the full phone of the activity lead, for the edit form.
func (r *ServiceRecord) LeadPhone() string { return r.leadPhone }

// RecordInput creates or edits a service record. Times are "09:00"; the
// service point defaults to the volunteer's.
type RecordInput struct {
	VolunteerID  int64    `json:"volunteer_id" doc:"志愿者 id"`
	SiteID       int64    `json:"site_id" doc:"组织服务点 id，默认为志愿者所属服务点"`
	TeamID       int64    `json:"team_id" doc:"服务队 id"`
	ActivityID   int64    `json:"activity_id" doc:"小组与活动模块中的活动 id（可选）"`
	ActivityName string   `json:"activity_name" doc:"活动名称"`
	Place        string   `json:"place" doc:"服务地点"`
	Date         app.Date `json:"service_date" doc:"服务日期"`
	Start        string   `json:"start_time" doc:"开始时间，如 09:00"`
	End          string   `json:"end_time" doc:"结束时间，如 11:30"`
	LateMinutes  int      `json:"late_minutes" doc:"迟到分钟，从时长中扣除"`
	EarlyMinutes int      `json:"early_minutes" doc:"早退分钟，从时长中扣除"`
	Content      string   `json:"content" doc:"服务内容"`
	PeopleServed int      `json:"people_served" doc:"服务人数"`
	LeadName     string   `json:"lead_name" doc:"活动负责人"`
	LeadPhone    string   `json:"lead_phone" doc:"负责人电话"`
	Note         string   `json:"note" doc:"备注"`
	Version      int      `json:"version" doc:"修改时读到的版本号；0 表示不检查"`
}

var clockRE = regexp.MustCompile(`^(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?$`)

// ParseClock parses a time of day ("9:00", "09:00", "24:00") into minutes
// after midnight.
func ParseClock(s string) (int, bool) {
	m := clockRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	if mm > 59 || h > 24 || (h == 24 && mm != 0) {
		return 0, false
	}
	return h*60 + mm, true
}

// FormatClock formats minutes after midnight as 09:00.
func FormatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// times are the validated clock values of an input.
type times struct{ start, end, minutes int }

func (in *RecordInput) normalize(v *app.Validation, today app.Date) times {
	in.ActivityName = clean(in.ActivityName)
	in.Place = clean(in.Place)
	in.Content = clean(in.Content)
	in.LeadName = clean(in.LeadName)
	in.LeadPhone = clean(in.LeadPhone)
	in.Note = clean(in.Note)
	v.Chosen("volunteer_id", in.VolunteerID, "志愿者")
	if v.Required("activity_name", in.ActivityName, "活动名称") {
		v.MaxLen("activity_name", in.ActivityName, "活动名称", 100)
	}
	v.MaxLen("place", in.Place, "服务地点", 100)
	if in.Date.IsZero() {
		v.Add("service_date", "请填写服务日期")
	} else if in.Date.After(today) {
		v.Add("service_date", "服务日期不能晚于今天")
	}
	var t times
	var okS, okE bool
	if v.Required("start_time", in.Start, "开始时间") {
		if t.start, okS = ParseClock(in.Start); !okS || t.start >= 24*60 {
			okS = false
			v.Add("start_time", "开始时间格式应为 09:00")
		}
	}
	if v.Required("end_time", in.End, "结束时间") {
		if t.end, okE = ParseClock(in.End); !okE {
			v.Add("end_time", "结束时间格式应为 17:30")
		}
	}
	if in.LateMinutes < 0 {
		v.Add("late_minutes", "迟到分钟不能为负数")
	}
	if in.EarlyMinutes < 0 {
		v.Add("early_minutes", "早退分钟不能为负数")
	}
	if okS && okE {
		switch {
		case t.end <= t.start:
			v.Add("end_time", "结束时间应晚于开始时间（跨夜服务请分两天登记）")
		case in.LateMinutes >= 0 && in.EarlyMinutes >= 0 && in.LateMinutes+in.EarlyMinutes >= t.end-t.start:
			v.Add("late_minutes", "迟到和早退合计不能达到服务时段的长度")
		default:
			t.minutes = t.end - t.start - in.LateMinutes - in.EarlyMinutes
		}
	}
	if in.PeopleServed < 0 {
		v.Add("people_served", "服务人数不能为负数")
	}
	v.MaxLen("content", in.Content, "服务内容", 1000)
	v.MaxLen("lead_name", in.LeadName, "活动负责人", 40)
	if in.LeadPhone != "" {
		if err := pii.ValidatePhone(in.LeadPhone); err != nil {
			v.Add("lead_phone", err.Error())
		} else {
			in.LeadPhone = pii.NormalizePhone(in.LeadPhone)
		}
	}
	v.MaxLen("note", in.Note, "备注", 500)
	return t
}

const sqlRecordCols = `r.id, r.volunteer_id, v.volunteer_no, v.name, r.site_id, s.name, COALESCE(r.team_id, 0),
	COALESCE(t.name, ''), COALESCE(r.activity_id, 0), r.activity_name, r.place, r.service_date, r.start_min, r.end_min,
	r.late_min, r.early_min, r.minutes, r.content, r.people_served, r.lead_name, r.lead_phone, r.recorder_id,
	r.recorder_name, r.note, COALESCE(r.batch_id, 0), r.exported_at, r.created_at, r.updated_at, r.version`

const sqlRecordFrom = ` FROM volunteer_services r
	JOIN volunteers v ON v.org_id = r.org_id AND v.id = r.volunteer_id
	JOIN sites s ON s.org_id = r.org_id AND s.id = r.site_id
	LEFT JOIN volunteer_teams t ON t.org_id = r.org_id AND t.id = r.team_id`

func scanRecord(sc interface{ Scan(...any) error }) (ServiceRecord, error) {
	var r ServiceRecord
	var start, end int
	var exp sql.NullTime
	err := sc.Scan(&r.ID, &r.VolunteerID, &r.VolunteerNo, &r.VolunteerName, &r.SiteID, &r.SiteName, &r.TeamID,
		&r.TeamName, &r.ActivityID, &r.ActivityName, &r.Place, &r.Date, &start, &end, &r.LateMinutes, &r.EarlyMinutes,
		&r.Minutes, &r.Content, &r.PeopleServed, &r.LeadName, &r.leadPhone, &r.RecorderID, &r.RecorderName, &r.Note,
		&r.BatchID, &exp, &r.CreatedAt, &r.UpdatedAt, &r.Version)
	r.Start, r.End = FormatClock(start), FormatClock(end)
	if r.leadPhone != "" {
		r.LeadPhoneMasked = pii.MaskPhone(r.leadPhone)
	}
	if exp.Valid {
		t := exp.Time
		r.ExportedAt = &t
	}
	return r, err
}

// CreateRecord records a volunteer's service. It refuses a time range that
// overlaps another record of the same volunteer on that day.
func (s *Service) CreateRecord(ctx context.Context, p *authz.Principal, in RecordInput) (*ServiceRecord, error) {
	if !p.Can(PermWrite) {
		return nil, app.ErrForbidden()
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createRecord(ctx, tx, p, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetRecord(ctx, p, id)
}

const sqlInsertRecord = `INSERT INTO volunteer_services (org_id, volunteer_id, site_id, team_id, activity_id, activity_name,
	place, service_date, start_min, end_min, late_min, early_min, minutes, content, people_served, lead_name, lead_phone,
	recorder_id, recorder_name, note, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21) RETURNING id`

func (s *Service) createRecord(ctx context.Context, tx *sql.Tx, p *authz.Principal, in RecordInput) (int64, error) {
	var v app.Validation
	if err := linkActivity(ctx, tx, p.OrgID, &in, &v); err != nil {
		return 0, err
	}
	t := in.normalize(&v, s.today())
	vol, err := s.checkRecordRefs(ctx, tx, p, &in, &v)
	if err != nil {
		return 0, err
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if err := s.checkOverlap(ctx, tx, p.OrgID, in.VolunteerID, 0, in.Date, t); err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, sqlInsertRecord, p.OrgID, in.VolunteerID, in.SiteID, nullID(in.TeamID),
		nullID(in.ActivityID), in.ActivityName, in.Place, in.Date, t.start, t.end, in.LateMinutes, in.EarlyMinutes, t.minutes,
		in.Content, in.PeopleServed, in.LeadName, in.LeadPhone, p.UserID, p.DisplayName, in.Note, s.Now().UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("volunteers: insert service record: %w", err)
	}
	if err := tally.Created(ctx, tx, p.OrgID, tally.Service(id)); err != nil {
		return 0, err
	}
	return id, s.writeAudit(ctx, tx, p, "volunteer_service.create", "volunteer_service", id,
		fmt.Sprintf("%s %s %s–%s %s", vol.No, in.Date, FormatClock(t.start), FormatClock(t.end), in.ActivityName))
}

// checkRecordRefs checks the volunteer, service point and team of a record
// and fills the service point from the volunteer when none was chosen.
// A failing database is returned as an error, not as a field message.
func (s *Service) checkRecordRefs(ctx context.Context, q db.Querier, p *authz.Principal, in *RecordInput, v *app.Validation) (*Volunteer, error) {
	var vol *Volunteer
	if in.VolunteerID != 0 {
		var err error
		vol, err = s.load(ctx, q, p, PermRead, in.VolunteerID)
		switch {
		case app.ErrorCode(err) == app.ENotFound:
			v.Add("volunteer_id", "请选择有效的志愿者")
			vol = nil
		case err != nil:
			return nil, err
		}
	}
	if in.SiteID == 0 && vol != nil {
		in.SiteID = vol.SiteID
	}
	if vol != nil || in.SiteID != 0 {
		if _, err := checkSite(ctx, q, p, PermWrite, in.SiteID, "site_id", v); err != nil {
			return nil, err
		}
	}
	if in.TeamID != 0 {
		_, err := s.loadTeam(ctx, q, p, PermRead, in.TeamID)
		switch {
		case app.ErrorCode(err) == app.ENotFound:
			v.Add("team_id", "请选择有效的服务队")
		case err != nil:
			return nil, err
		}
	}
	if vol == nil {
		return &Volunteer{}, nil
	}
	return vol, nil
}

// checkOverlap locks the volunteer's row, so that two records of one
// person are checked one after the other, and refuses a time range that
// overlaps another record of the same day, naming it.
func (s *Service) checkOverlap(ctx context.Context, tx *sql.Tx, orgID, volunteerID, selfID int64, day app.Date, t times) error {
	if _, err := tx.ExecContext(ctx, `UPDATE volunteers SET version = version WHERE org_id = $1 AND id = $2`,
		orgID, volunteerID); err != nil {
		return fmt.Errorf("volunteers: lock volunteer: %w", err)
	}
	msg, err := s.findOverlap(ctx, tx, orgID, volunteerID, selfID, day, t)
	if err != nil || msg == "" {
		return err
	}
	return &app.Error{Code: app.EConflict, Message: msg, Fields: map[string]string{"start_time": msg}}
}

// findOverlap describes the first record of the volunteer that overlaps t
// on day, or returns "".
func (s *Service) findOverlap(ctx context.Context, q db.Querier, orgID, volunteerID, selfID int64, day app.Date, t times) (string, error) {
	var d app.Date
	var start, end int
	var name string
	err := q.QueryRowContext(ctx, `SELECT service_date, start_min, end_min, activity_name FROM volunteer_services
		WHERE org_id = $1 AND volunteer_id = $2 AND service_date = $3 AND id <> $4 AND start_min < $5 AND end_min > $6
		ORDER BY start_min LIMIT 1`, orgID, volunteerID, day, selfID, t.end, t.start).Scan(&d, &start, &end, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("volunteers: overlap check: %w", err)
	}
	return fmt.Sprintf("该志愿者在 %s %s–%s 已有服务记录（%s），时间不能重叠", d, FormatClock(start), FormatClock(end), name), nil
}

// GetRecord returns a service record in p's read scope.
func (s *Service) GetRecord(ctx context.Context, p *authz.Principal, id int64) (*ServiceRecord, error) {
	return s.loadRecord(ctx, s.DB.R, p, PermRead, id)
}

func (s *Service) loadRecord(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm, id int64) (*ServiceRecord, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, `SELECT `+sqlRecordCols+sqlRecordFrom+` WHERE r.org_id = $1 AND r.id = $2`, p.OrgID, id))
	if err != nil {
		return nil, notFound(err, "服务记录")
	}
	if !p.Scope(perm).Allows(siteObj(p.OrgID, r.SiteID)) {
		return nil, app.ErrNotFound("服务记录")
	}
	return &r, nil
}

func exportedError(r *ServiceRecord) error {
	return app.Errorf(app.EConflict, "该记录已于 %s 导出到i志愿（批次 %d），不能再修改或删除",
		r.ExportedAt.In(app.Local).Format("2006-01-02 15:04"), r.BatchID)
}

const sqlUpdateRecord = `UPDATE volunteer_services SET volunteer_id = $3, site_id = $4, team_id = $5, activity_id = $6,
	activity_name = $7, place = $8, service_date = $9, start_min = $10, end_min = $11, late_min = $12, early_min = $13,
	minutes = $14, content = $15, people_served = $16, lead_name = $17, lead_phone = $18, note = $19, updated_at = $20,
	version = version + 1 WHERE org_id = $1 AND id = $2 AND version = $21`

// UpdateRecord edits a service record not yet exported to i志愿.
func (s *Service) UpdateRecord(ctx context.Context, p *authz.Principal, id int64, in RecordInput) (*ServiceRecord, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.loadRecord(ctx, tx, p, PermWrite, id)
		if err != nil {
			return err
		}
		if cur.ExportedAt != nil {
			return exportedError(cur)
		}
		if in.Version != 0 && in.Version != cur.Version {
			return app.Errorf(app.EConflict, "该服务记录已被他人修改，请刷新后重新编辑")
		}
		var v app.Validation
		if err := linkActivity(ctx, tx, p.OrgID, &in, &v); err != nil {
			return err
		}
		t := in.normalize(&v, s.today())
		vol, err := s.checkRecordRefs(ctx, tx, p, &in, &v)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := s.checkOverlap(ctx, tx, p.OrgID, in.VolunteerID, id, in.Date, t); err != nil {
			return err
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Service(id))
		if err != nil {
			return err
		}
		// Guarded by the version read above (on PostgreSQL another edit may
		// commit in between).
		res, err := tx.ExecContext(ctx, sqlUpdateRecord, p.OrgID, id, in.VolunteerID, in.SiteID, nullID(in.TeamID),
			nullID(in.ActivityID), in.ActivityName, in.Place, in.Date, t.start, t.end, in.LateMinutes, in.EarlyMinutes,
			t.minutes, in.Content, in.PeopleServed, in.LeadName, in.LeadPhone, in.Note, s.Now().UTC(), cur.Version)
		if err != nil {
			return fmt.Errorf("volunteers: update service record: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("volunteers: update service record: %w", err)
		} else if n != 1 {
			return app.Errorf(app.EConflict, "该服务记录已被他人修改，请刷新后重新编辑")
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, p, "volunteer_service.update", "volunteer_service", id,
			fmt.Sprintf("%s %s %s–%s %s", vol.No, in.Date, FormatClock(t.start), FormatClock(t.end), in.ActivityName))
	})
	if err != nil {
		return nil, err
	}
	return s.GetRecord(ctx, p, id)
}

// DeleteRecord removes a service record not yet exported to i志愿.
func (s *Service) DeleteRecord(ctx context.Context, p *authz.Principal, id int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.loadRecord(ctx, tx, p, PermWrite, id)
		if err != nil {
			return err
		}
		if cur.ExportedAt != nil {
			return exportedError(cur)
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Service(id))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM volunteer_services WHERE org_id = $1 AND id = $2`, p.OrgID, id); err != nil {
			return fmt.Errorf("volunteers: delete service record: %w", err)
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, p, "volunteer_service.delete", "volunteer_service", id,
			fmt.Sprintf("%s %s %s–%s %s（%s）", cur.VolunteerNo, cur.Date, cur.Start, cur.End, cur.ActivityName, cur.Minutes.HM()))
	})
}

// RecordFilter selects service records.
type RecordFilter struct {
	app.ListQuery
	SiteID      int64
	VolunteerID int64
	TeamID      int64
	From, To    app.Date
	Exported    string // "yes" or "no"
}

var recordSort = map[string]string{
	"date":      "r.service_date",
	"volunteer": "v.volunteer_no",
	"activity":  "r.activity_name",
	"site":      "s.name",
	"minutes":   "r.minutes",
}

// Records lists the service records in p's scope, newest first by default,
// with the total and the sum of their minutes.
func (s *Service) Records(ctx context.Context, p *authz.Principal, f RecordFilter) ([]ServiceRecord, int, Minutes, error) {
	var out []ServiceRecord
	var total int
	var sum Minutes
	err := s.records(ctx, p, f, func(n int, m Minutes) error { total, sum = n, m; return nil },
		func(r ServiceRecord) error { out = append(out, r); return nil })
	if err != nil {
		return nil, 0, 0, err
	}
	return out, total, sum, nil
}

// RecordRows is Records read from the database cursor one record at a
// time, for exports of any size.
func (s *Service) RecordRows(ctx context.Context, p *authz.Principal, f RecordFilter) app.Rows[ServiceRecord] {
	return func(start func(int) error, yield func(ServiceRecord) error) error {
		var counted func(int, Minutes) error
		if start != nil {
			counted = func(n int, _ Minutes) error { return start(n) }
		}
		return s.records(ctx, p, f, counted, yield)
	}
}

// recordWhere is the condition over volunteer_services r (joined with
// volunteers v when the search is used) selecting the records of f in p's
// scope.
func recordWhere(p *authz.Principal, f RecordFilter) (string, app.Args) {
	var args app.Args
	where := []string{p.Scope(PermRead).SQL(authz.Cols{Org: "r.org_id", Site: "r.site_id"}, args.Add)}
	if f.SiteID != 0 {
		where = append(where, "r.site_id = "+args.Add(f.SiteID))
	}
	if f.VolunteerID != 0 {
		where = append(where, "r.volunteer_id = "+args.Add(f.VolunteerID))
	}
	if f.TeamID != 0 {
		where = append(where, "r.team_id = "+args.Add(f.TeamID))
	}
	if !f.From.IsZero() {
		where = append(where, "r.service_date >= "+args.Add(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "r.service_date <= "+args.Add(f.To))
	}
	switch f.Exported {
	case "yes":
		where = append(where, "r.exported_at IS NOT NULL")
	case "no":
		where = append(where, "r.exported_at IS NULL")
	}
	if f.Q != "" {
		l := args.Add(db.Like(f.Q))
		where = append(where, "(r.activity_name LIKE "+l+` ESCAPE '\' OR v.name LIKE `+l+` ESCAPE '\' OR v.volunteer_no LIKE `+l+` ESCAPE '\')`)
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// countRecords is the number of records f selects in p's scope and the sum
// of their minutes, counted from the records.
func (s *Service) countRecords(ctx context.Context, p *authz.Principal, f RecordFilter) (int, Minutes, error) {
	w, args := recordWhere(p, f)
	var total int
	var sum Minutes
	// Every record has its volunteer and service point, so the total needs
	// the other tables only when the search reads the volunteer: without
	// the joins it is read from the records' own index.
	from := " FROM volunteer_services r"
	if f.Q != "" {
		from += " JOIN volunteers v ON v.org_id = r.org_id AND v.id = r.volunteer_id"
	}
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*), CAST(COALESCE(SUM(r.minutes), 0) AS BIGINT)"+from+w, args...).Scan(&total, &sum); err != nil {
		return 0, 0, fmt.Errorf("volunteers: count service records: %w", err)
	}
	return total, sum, nil
}

// totals is the number of records f selects in p's scope and the sum of
// their minutes. When f selects by service point and date only (no team,
// volunteer, export state or search), the whole calendar months of its
// period are read from the statistics counters (stats_month keeps, per
// month and service point, the person-times, i.e. the records, and their
// minutes, in the same transaction as the records: package tally) and
// only the days before its first or after its last whole month from the
// records. A page of the list then costs the same whatever the years its
// scope holds; otherwise (or for a period within one month) the records
// are counted.
func (s *Service) totals(ctx context.Context, p *authz.Principal, f RecordFilter) (int, Minutes, error) {
	if f.Q != "" || f.TeamID != 0 || f.VolunteerID != 0 || f.Exported != "" {
		return s.countRecords(ctx, p, f)
	}
	// The service points of p's scope as Scope.SQL reads them: nil for
	// the whole organization.
	sc := p.Scope(PermRead)
	var sites []int64
	switch {
	case sc.Has(authz.Platform) || !sc.Any():
		return s.countRecords(ctx, p, f)
	case sc.Has(authz.Org):
	case sc.Has(authz.Site) && len(p.SiteIDs) > 0:
		sites = p.SiteIDs
	default:
		return s.countRecords(ctx, p, f)
	}
	if f.SiteID != 0 {
		if sites != nil && !slices.Contains(sites, f.SiteID) {
			return 0, 0, nil
		}
		sites = []int64{f.SiteID}
	}
	// Whole months [mFrom, mTo]; a zero bound is open.
	var mFrom, mTo app.Date
	var edges []RecordFilter
	if !f.From.IsZero() {
		mFrom = f.From.MonthStart()
		if !mFrom.Equal(f.From) {
			mFrom = mFrom.AddMonths(1)
			e := f
			e.To = mFrom.AddDays(-1)
			if !f.To.IsZero() && f.To.Before(e.To) {
				e.To = f.To
			}
			edges = append(edges, e)
		}
	}
	if !f.To.IsZero() {
		mTo = f.To.MonthStart()
		if !f.To.Equal(f.To.MonthEnd()) {
			e := f
			e.From = mTo
			if !f.From.IsZero() && f.From.After(e.From) {
				e.From = f.From
			}
			edges = append(edges, e)
			mTo = mTo.AddMonths(-1)
		}
	}
	if !mFrom.IsZero() && !mTo.IsZero() && mTo.Before(mFrom) {
		// No whole month: the period lies within one or two months.
		return s.countRecords(ctx, p, f)
	}
	var args app.Args
	w := "org_id = " + args.Add(p.OrgID)
	if sites == nil {
		w += " AND site_id = 0"
	} else {
		ids := make([]string, len(sites))
		for i, id := range sites {
			ids[i] = strconv.FormatInt(id, 10)
		}
		w += " AND site_id IN (" + strings.Join(ids, ",") + ")"
	}
	if !mFrom.IsZero() {
		w += " AND month >= " + args.Add(mFrom)
	}
	if !mTo.IsZero() {
		w += " AND month <= " + args.Add(mTo)
	}
	var total int
	var sum Minutes
	if err := s.DB.R.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(volunteer_person_times), 0) AS BIGINT),
		CAST(COALESCE(SUM(volunteer_minutes), 0) AS BIGINT) FROM stats_month WHERE `+w, args...).Scan(&total, &sum); err != nil {
		return 0, 0, fmt.Errorf("volunteers: service record totals: %w", err)
	}
	for _, e := range edges {
		n, m, err := s.countRecords(ctx, p, e)
		if err != nil {
			return 0, 0, err
		}
		total, sum = total+n, sum+m
	}
	return total, sum, nil
}

func (s *Service) records(ctx context.Context, p *authz.Principal, f RecordFilter, start func(int, Minutes) error,
	yield func(ServiceRecord) error) error {
	w, args := recordWhere(p, f)
	if start != nil {
		total, sum, err := s.totals(ctx, p, f)
		if err != nil {
			return err
		}
		if err := start(total, sum); err != nil {
			return err
		}
	}
	if f.Sort == "" {
		f.Sort, f.Desc = "date", true
	}
	from := sqlRecordFrom
	if index := listIndex(p, f); index != "" && s.DB.Dialect == db.SQLite {
		from = strings.Replace(from, "FROM volunteer_services r", "FROM volunteer_services r INDEXED BY "+index, 1)
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlRecordCols+from+w+
		f.OrderBy(recordSort, "date", "r.start_min DESC, r.id DESC")+f.LimitOffset(), args...)
	if err != nil {
		return fmt.Errorf("volunteers: service records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if err := yield(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// listIndex names the index SQLite reads a page of the list in date order
// from, or "" to leave the choice to its planner. SQLite's sampled
// statistics put about a thousand records under an organization, so it
// took sorting all of them for cheap: for the organization's list it read
// all 1.5 million records of agency-large (about a second) and sorted them,
// and given the index in the list's order it walked that index for a
// service point's page too, reading each record to test its service point.
// The organization's page is read from the index in the list's order
// (migration 00024), a service point's from its (service point, date)
// index, each until the page is full.
func listIndex(p *authz.Principal, f RecordFilter) string {
	sc := p.Scope(PermRead)
	if f.Sort != "date" || f.VolunteerID != 0 || sc.Has(authz.Platform) || !(sc.Has(authz.Org) || sc.Has(authz.Site) && len(p.SiteIDs) > 0) {
		return "" // another order, one volunteer's records, or no organization condition
	}
	switch {
	case f.SiteID != 0 || (!sc.Has(authz.Org) && len(p.SiteIDs) == 1):
		return "volunteer_services_site_stats"
	case sc.Has(authz.Org):
		return "volunteer_services_newest"
	}
	return ""
}

// VolunteerChoice is a volunteer offered in a form's choice list.
type VolunteerChoice struct {
	ID       int64  `json:"id"`
	No       string `json:"volunteer_no"`
	Name     string `json:"name"`
	SiteName string `json:"site_name"`
}

// Choices lists the active volunteers p may read, for choice lists.
func (s *Service) Choices(ctx context.Context, p *authz.Principal) ([]VolunteerChoice, error) {
	var args app.Args
	where := p.Scope(PermRead).SQL(authz.Cols{Org: "v.org_id", Site: "v.site_id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT v.id, v.volunteer_no, v.name, s.name FROM volunteers v
		JOIN sites s ON s.org_id = v.org_id AND s.id = v.site_id
		WHERE v.status = 'active' AND `+where+` ORDER BY v.volunteer_no LIMIT 2000`, args...)
	if err != nil {
		return nil, fmt.Errorf("volunteers: choices: %w", err)
	}
	defer rows.Close()
	var out []VolunteerChoice
	for rows.Next() {
		var c VolunteerChoice
		if err := rows.Scan(&c.ID, &c.No, &c.Name, &c.SiteName); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// TeamChoices lists the active teams p may read, for choice lists.
func (s *Service) TeamChoices(ctx context.Context, p *authz.Principal) ([]TeamRef, error) {
	var args app.Args
	where := p.Scope(PermRead).SQL(authz.Cols{Org: "t.org_id", Site: "t.site_id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT t.id, t.name FROM volunteer_teams t WHERE t.status = 'active' AND `+
		where+` ORDER BY t.name, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("volunteers: team choices: %w", err)
	}
	defer rows.Close()
	var out []TeamRef
	for rows.Next() {
		var t TeamRef
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
