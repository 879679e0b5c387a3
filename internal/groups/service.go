package groups

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// Service is the groups, activities and projects service. HTML and JSON
// handlers both call it.
type Service struct {
	DB  *db.DB
	Now func() time.Time
}

// New returns the service.
func New(d *db.DB, now func() time.Time) *Service { return &Service{DB: d, Now: now} }

// ErrEditedElsewhere is the answer when a record changed since the editor
// loaded it (optimistic locking).
func ErrEditedElsewhere() *app.Error {
	return app.Errorf(app.EConflict, "该记录已被他人修改，请刷新后重试")
}

// Choice is one option of a select: a service point, a staff member, a project.
type Choice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Choices are the options the group, activity and project forms offer p.
type Choices struct {
	Sites    []Choice `json:"sites"`    // service points p may record for
	Staff    []Choice `json:"staff"`    // active staff of the organization
	Projects []Choice `json:"projects"` // projects p may see
}

const (
	sqlActiveSites = `SELECT id, name FROM sites WHERE org_id = $1 AND status = 'active' ORDER BY name, id`
	sqlActiveStaff = `SELECT id, name FROM staff WHERE org_id = $1 AND status = 'active' ORDER BY name, id`
)

// FormChoices returns the options for p's forms under the write permission
// perm (PermGroupWrite for groups and activities, PermProjectWrite for projects).
func (s *Service) FormChoices(ctx context.Context, p *authz.Principal, perm *authz.Perm) (Choices, error) {
	var c Choices
	if p == nil {
		return c, app.ErrForbidden()
	}
	sc := p.Scope(perm)
	sites, err := choices(ctx, s.DB.R, sqlActiveSites, p.OrgID)
	if err != nil {
		return c, fmt.Errorf("groups: site choices: %w", err)
	}
	for _, st := range sites {
		// Site-scoped writers record for their own service points; the
		// organization-wide ones for any.
		if sc.Has(authz.Org) || containsID(p.SiteIDs, st.ID) {
			c.Sites = append(c.Sites, st)
		}
	}
	if c.Staff, err = choices(ctx, s.DB.R, sqlActiveStaff, p.OrgID); err != nil {
		return c, fmt.Errorf("groups: staff choices: %w", err)
	}
	var args app.Args
	where := sqlProjectScope(p, &args)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT pr.id, pr.name FROM projects pr WHERE `+where+
		` AND pr.status <> 'closed' ORDER BY pr.name, pr.id`, args...)
	if err != nil {
		return c, fmt.Errorf("groups: project choices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch Choice
		if err := rows.Scan(&ch.ID, &ch.Name); err != nil {
			return c, err
		}
		c.Projects = append(c.Projects, ch)
	}
	return c, rows.Err()
}

// AllSites lists the active service points of p's organization, for filters.
func (s *Service) AllSites(ctx context.Context, p *authz.Principal) ([]Choice, error) {
	return choices(ctx, s.DB.R, sqlActiveSites, p.OrgID)
}

func choices(ctx context.Context, q db.Querier, query string, args ...any) ([]Choice, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Choice
	for rows.Next() {
		var c Choice
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// mayPlace reports whether p may place a new record (or move one) at site
// with owner as its leading worker under perm: organization-wide writers
// anywhere; site writers at their own service points; supervisors for their
// supervisees.
func mayPlace(p *authz.Principal, perm *authz.Perm, site, owner int64) bool {
	sc := p.Scope(perm)
	switch {
	case sc.Has(authz.Org):
		return true
	case sc.Has(authz.Site) && containsID(p.SiteIDs, site):
		return true
	case sc.Has(authz.Supervised) && owner != 0 && containsID(p.Supervisees, owner):
		return true
	}
	return false
}

// refCheck checks that the chosen service point, staff and project belong to
// orgID and are usable; each problem becomes a field error in v.
type refCheck struct {
	ctx context.Context
	q   db.Querier
	org int64
	v   *app.Validation
	err error
}

func (r *refCheck) exists(field, query string, id int64, msg string) {
	if r.err != nil || id == 0 || r.v.Has(field) {
		return
	}
	var n int
	if err := r.q.QueryRowContext(r.ctx, query, r.org, id).Scan(&n); err != nil {
		r.err = fmt.Errorf("groups: check %s: %w", field, err)
		return
	}
	if n == 0 {
		r.v.Add(field, msg)
	}
}

func (r *refCheck) site(field string, id int64) {
	r.exists(field, `SELECT COUNT(*) FROM sites WHERE org_id = $1 AND id = $2 AND status = 'active'`, id,
		"所选服务点不存在或已停用，请重新选择")
}

func (r *refCheck) staff(field string, id int64) {
	r.exists(field, `SELECT COUNT(*) FROM staff WHERE org_id = $1 AND id = $2 AND status = 'active'`, id,
		"所选同工不存在或已离职，请重新选择")
}

func (r *refCheck) project(field string, id int64) {
	r.exists(field, `SELECT COUNT(*) FROM projects WHERE org_id = $1 AND id = $2`, id,
		"所选项目不存在，请重新选择")
}

// entry builds the audit entry of a change by p.
func entry(p *authz.Principal, now time.Time, action, objectType string, id int64, detail string) audit.Entry {
	return audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username, Action: action,
		ObjectType: objectType, ObjectID: strconv.FormatInt(id, 10), Detail: detail}
}

// actionNames names the audited actions of this area for timelines.
var actionNames = map[string]string{
	"group.create":          "新建小组",
	"group.update":          "修改小组计划",
	"group.member.add":      "新增组员",
	"group.member.remove":   "删除组员",
	"group.member.leave":    "组员退出",
	"group.session.create":  "记录节次",
	"group.session.update":  "修改节次",
	"group.session.delete":  "删除节次",
	"group.attendance":      "登记出席",
	"group.report.file":     "提交小组报告",
	"group.report.update":   "修改小组报告",
	"activity.create":       "登记社区活动",
	"activity.update":       "修改社区活动",
	"activity.photo.add":    "上传活动照片",
	"activity.photo.delete": "删除活动照片",
	"project.create":        "新建项目",
	"project.update":        "修改项目",
	"project.fund.add":      "新增资助",
	"project.fund.delete":   "删除资助",
	"project.org.add":       "登记孵化组织",
	"project.org.delete":    "删除孵化组织",
}

// Change is one entry of a record's timeline.
type Change = audit.Change

// changes is the audit detail of an edit.
type changes = audit.Diff

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullDate(d app.Date) any {
	if d.IsZero() {
		return nil
	}
	return d
}

var clockRE = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

// checkTimes validates optional 24-hour start and end times (09:30) and
// normalizes them to two-digit hours.
func checkTimes(v *app.Validation, start, end *string) {
	for _, f := range []struct {
		name string
		val  *string
	}{{"start_time", start}, {"end_time", end}} {
		*f.val = strings.TrimSpace(*f.val)
		if *f.val == "" {
			continue
		}
		if !clockRE.MatchString(*f.val) {
			v.Add(f.name, "时间格式应为 24 小时制，例如 14:30")
			continue
		}
		if len(*f.val) == 4 {
			*f.val = "0" + *f.val
		}
	}
	if *start != "" && *end != "" && !v.Has("start_time") && !v.Has("end_time") && *end <= *start {
		v.Add("end_time", "结束时间应晚于开始时间")
	}
}

// checkCount validates a non-negative count with an upper bound.
func checkCount(v *app.Validation, field string, n int, label string, limit int) {
	if n < 0 {
		v.Add(field, label+"不能为负数")
	} else if n > limit {
		v.Add(field, label+"不能超过"+strconv.Itoa(limit))
	}
}

// checkDate validates a record date against today: not in the future when
// noFuture, and not absurdly old.
func checkDate(v *app.Validation, field string, d app.Date, label string, today app.Date, noFuture bool) {
	if d.IsZero() {
		return
	}
	if d.Year() < 2000 || d.Year() > 2100 {
		v.Add(field, label+"不在合理范围内")
		return
	}
	if noFuture && d.After(today) {
		v.Add(field, label+"不能晚于今天")
	}
}

// maskIf masks a person's name for readers who may not record for the
// record (evaluators and other read-only viewers).
func maskIf(mask bool, name string) string {
	if mask {
		return pii.MaskName(name)
	}
	return name
}

// scanner is what a *sql.Row and *sql.Rows share.
type scanner interface{ Scan(...any) error }

// history reads the timeline of one record of orgID.
func (s *Service) history(ctx context.Context, orgID int64, objectType string, id int64) ([]Change, error) {
	return audit.History(ctx, s.DB, orgID, objectType, strconv.FormatInt(id, 10), actionNames)
}
