package groups

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/tally"
)

// Group statuses: planning until the first session is recorded, running
// until the group report is filed, then finished.
const (
	StatusPlanning = "planning"
	StatusRunning  = "running"
	StatusFinished = "finished"
	// StatusReportDue is a list filter, not a stored status: running groups
	// that have ended (all planned sessions held, or the planned end date
	// passed) and still lack their report.
	StatusReportDue = "report_due"
)

// GroupStatuses lists the stored statuses in display order.
var GroupStatuses = []string{StatusPlanning, StatusRunning, StatusFinished}

// GroupStatusName is the Chinese name of a group status.
func GroupStatusName(s string) string {
	switch s {
	case StatusPlanning:
		return "筹备中"
	case StatusRunning:
		return "进行中"
	case StatusFinished:
		return "已结束"
	case StatusReportDue:
		return "待交小组报告"
	}
	return s
}

// GroupKinds are the kinds of group (小组类型) in display order.
var GroupKinds = []string{"growth", "support", "education", "therapy", "interest", "mutual_aid", "social", "other"}

// GroupKindName is the Chinese name of a kind of group.
func GroupKindName(k string) string {
	switch k {
	case "growth":
		return "成长小组"
	case "support":
		return "支持小组"
	case "education":
		return "教育小组"
	case "therapy":
		return "治疗小组"
	case "interest":
		return "兴趣小组"
	case "mutual_aid":
		return "互助小组"
	case "social":
		return "康乐社交小组"
	case "other":
		return "其他"
	}
	return k
}

// ReportDays is how long after its last session a group's report is due.
const ReportDays = 14

// Group is a group (小组) with its plan and what it has done so far.
type Group struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	Kind            string    `json:"kind"`
	KindName        string    `json:"kind_name"`
	SiteID          int64     `json:"site_id"`
	SiteName        string    `json:"site_name"`
	ProjectID       int64     `json:"project_id,omitempty"`
	ProjectName     string    `json:"project_name,omitempty"`
	LeaderID        int64     `json:"leader_id"`
	LeaderName      string    `json:"leader_name"`
	CoLeaders       []Choice  `json:"co_leaders,omitempty"`
	Target          string    `json:"target"`
	Goals           string    `json:"goals"`
	Plan            string    `json:"plan"`
	TargetMembers   int       `json:"target_members"`
	PlannedSessions int       `json:"planned_sessions"`
	PlanStart       app.Date  `json:"plan_start"`
	PlanEnd         app.Date  `json:"plan_end"`
	Status          string    `json:"status"`
	StatusName      string    `json:"status_name"`
	Sessions        int       `json:"sessions"` // sessions held
	PersonTimes     int       `json:"person_times" doc:"参与人次：各节出席标记之和"`
	Members         int       `json:"members"` // members who have not left
	FirstSession    app.Date  `json:"first_session"`
	LastSession     app.Date  `json:"last_session"`
	ReportDue       bool      `json:"report_due"`     // ended without a report
	ReportDueOn     app.Date  `json:"report_due_on"`  // last session + ReportDays, when ended
	ReportOverdue   bool      `json:"report_overdue"` // past ReportDueOn
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	Version         int64     `json:"version"`
	OrgID           int64     `json:"-"`
}

func (g *Group) obj() authz.Obj {
	return authz.Obj{OrgID: g.OrgID, OwnerID: g.LeaderID, SiteIDs: []int64{g.SiteID}}
}

// Ended reports whether the group's sessions are over as of today: all
// planned sessions held, or the planned end date passed after at least one
// session.
func (g *Group) Ended(today app.Date) bool {
	if g.Sessions == 0 {
		return false
	}
	return g.Sessions >= g.PlannedSessions || (!g.PlanEnd.IsZero() && g.PlanEnd.Before(today))
}

// derive fills the fields computed from the stored ones.
func (g *Group) derive(today app.Date) {
	g.KindName = GroupKindName(g.Kind)
	g.StatusName = GroupStatusName(g.Status)
	if g.Status == StatusRunning && g.Ended(today) {
		g.ReportDue = true
		g.ReportDueOn = g.LastSession.AddDays(ReportDays)
		g.ReportOverdue = today.After(g.ReportDueOn)
	}
}

// GroupInput creates or edits a group plan. Version is the version the
// editor loaded; an update with a stale version is refused.
type GroupInput struct {
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`
	SiteID          int64    `json:"site_id"`
	ProjectID       int64    `json:"project_id"`
	LeaderID        int64    `json:"leader_id"`
	CoLeaderIDs     []int64  `json:"co_leader_ids" doc:"协助带领者（同工编号），最多 5 人"`
	Target          string   `json:"target"`
	Goals           string   `json:"goals"`
	Plan            string   `json:"plan"`
	TargetMembers   int      `json:"target_members"`
	PlannedSessions int      `json:"planned_sessions" doc:"计划节数，至少 1"`
	PlanStart       app.Date `json:"plan_start"`
	PlanEnd         app.Date `json:"plan_end" doc:"计划结束日期；过了此日期且已开展过节次，即须提交小组报告"`
	Version         int64    `json:"version,omitempty" doc:"修改时必填：读取到的版本号"`
}

// GroupFilter narrows the group list.
type GroupFilter struct {
	SiteID    int64
	ProjectID int64
	LeaderID  int64
	Status    string   // a stored status or StatusReportDue
	From, To  app.Date // groups whose sessions (or plan) overlap [From, To]
}

func (in *GroupInput) normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Target = strings.TrimSpace(in.Target)
	in.Goals = strings.TrimSpace(in.Goals)
	in.Plan = strings.TrimSpace(in.Plan)
	var co []int64
	for _, id := range in.CoLeaderIDs {
		if id != in.LeaderID && !slices.Contains(co, id) {
			co = append(co, id)
		}
	}
	in.CoLeaderIDs = co
}

func (in *GroupInput) check(v *app.Validation) {
	if v.Required("name", in.Name, "小组名称") {
		v.MaxLen("name", in.Name, "小组名称", 60)
	}
	if v.Required("kind", in.Kind, "小组类型") {
		v.OneOf("kind", in.Kind, "小组类型", GroupKinds...)
	}
	v.Chosen("site_id", in.SiteID, "服务点")
	v.Chosen("leader_id", in.LeaderID, "带领社工")
	if in.ProjectID < 0 {
		v.Add("project_id", "请选择有效的项目")
	}
	if len(in.CoLeaderIDs) > 5 {
		v.Add("co_leader_ids", "协助带领者最多 5 人")
	}
	v.MaxLen("target", in.Target, "招募对象", 200)
	v.MaxLen("goals", in.Goals, "小组目标", 2000)
	v.MaxLen("plan", in.Plan, "小组计划", 4000)
	checkCount(v, "target_members", in.TargetMembers, "计划人数", 500)
	if in.PlannedSessions <= 0 {
		v.Add("planned_sessions", "计划节数至少为 1")
	} else {
		checkCount(v, "planned_sessions", in.PlannedSessions, "计划节数", 200)
	}
	checkDate(v, "plan_start", in.PlanStart, "计划开始日期", app.Date{}, false)
	checkDate(v, "plan_end", in.PlanEnd, "计划结束日期", app.Date{}, false)
	if !in.PlanStart.IsZero() && !in.PlanEnd.IsZero() && in.PlanEnd.Before(in.PlanStart) {
		v.Add("plan_end", "计划结束日期不能早于开始日期")
	}
}

// checkGroupScope refuses a site/leader combination outside p's write
// scope, as a field error on the service point. An edit that keeps both is
// not checked again (a leader who moved on still records for their group).
func checkGroupScope(p *authz.Principal, in *GroupInput, old *Group, v *app.Validation) {
	if v.Has("site_id") || v.Has("leader_id") {
		return
	}
	if old != nil && old.SiteID == in.SiteID && old.LeaderID == in.LeaderID {
		return
	}
	if !mayPlace(p, PermGroupWrite, in.SiteID, in.LeaderID) {
		v.Add("site_id", "您只能为自己所在的服务点登记小组")
	}
}

// Subqueries over one group g.
const (
	sqlGroupSessions = `(SELECT COUNT(*) FROM group_sessions s WHERE s.org_id = g.org_id AND s.group_id = g.id)`
	sqlGroupFirst    = `(SELECT MIN(s.held_on) FROM group_sessions s WHERE s.org_id = g.org_id AND s.group_id = g.id)`
	sqlGroupLast     = `(SELECT MAX(s.held_on) FROM group_sessions s WHERE s.org_id = g.org_id AND s.group_id = g.id)`
	sqlGroupPresent  = `(SELECT COUNT(*) FROM group_attendance a JOIN group_sessions s ON s.org_id = a.org_id AND s.id = a.session_id
		WHERE s.org_id = g.org_id AND s.group_id = g.id AND a.present)`
	sqlGroupMembers = `(SELECT COUNT(*) FROM group_members m WHERE m.org_id = g.org_id AND m.group_id = g.id AND m.left_on IS NULL)`

	sqlGroupColumns = `g.id, g.org_id, g.name, g.kind, g.site_id, si.name, COALESCE(g.project_id, 0), COALESCE(pr.name, ''),
		g.leader_id, st.name, g.target, g.goals, g.plan, g.target_members, g.planned_sessions, g.plan_start, g.plan_end,
		g.status, g.created_at, g.updated_at, g.version, ` +
		sqlGroupSessions + ", " + sqlGroupPresent + ", " + sqlGroupMembers + ", " + sqlGroupFirst + ", " + sqlGroupLast
	sqlGroupFrom = ` FROM groups g
		JOIN sites si ON si.org_id = g.org_id AND si.id = g.site_id
		JOIN staff st ON st.org_id = g.org_id AND st.id = g.leader_id
		LEFT JOIN projects pr ON pr.org_id = g.org_id AND pr.id = g.project_id`

	sqlInsertGroup = `INSERT INTO groups (org_id, name, kind, site_id, project_id, leader_id, target, goals, plan,
		target_members, planned_sessions, plan_start, plan_end, status, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'planning', $14, $14, 1) RETURNING id`
	sqlUpdateGroup = `UPDATE groups SET name = $3, kind = $4, site_id = $5, project_id = $6, leader_id = $7, target = $8,
		goals = $9, plan = $10, target_members = $11, planned_sessions = $12, plan_start = $13, plan_end = $14,
		updated_at = $15, version = version + 1
		WHERE org_id = $1 AND id = $2 AND version = $16`
	sqlGroupCoLeaders = `SELECT st.id, st.name FROM group_leaders gl JOIN staff st ON st.org_id = gl.org_id AND st.id = gl.staff_id
		WHERE gl.org_id = $1 AND gl.group_id = $2 ORDER BY st.name, st.id`
)

// sqlReportDue is the condition for a running group that has ended
// without its report; %[1]s is today's placeholder.
const sqlReportDue = `(g.status = 'running' AND (` + sqlGroupSessions + ` >= g.planned_sessions
	OR (g.plan_end IS NOT NULL AND g.plan_end < %[1]s AND ` + sqlGroupSessions + ` > 0)))`

func scanGroup(sc scanner, g *Group) error {
	return sc.Scan(&g.ID, &g.OrgID, &g.Name, &g.Kind, &g.SiteID, &g.SiteName, &g.ProjectID, &g.ProjectName,
		&g.LeaderID, &g.LeaderName, &g.Target, &g.Goals, &g.Plan, &g.TargetMembers, &g.PlannedSessions,
		&g.PlanStart, &g.PlanEnd, &g.Status, &g.CreatedAt, &g.UpdatedAt, &g.Version,
		&g.Sessions, &g.PersonTimes, &g.Members, &g.FirstSession, &g.LastSession)
}

// groupScope returns the condition restricting groups (alias g) to what p
// may read.
func groupScope(p *authz.Principal, args *app.Args) string {
	return "g.org_id = " + args.Add(p.OrgID) + " AND " +
		p.Scope(PermGroupRead).SQL(authz.Cols{Org: "g.org_id", Site: "g.site_id", Owner: "g.leader_id"}, args.Add)
}

// ListGroups lists the groups in p's scope. Sort keys: name, site, leader,
// start, status, sessions, person_times.
func (s *Service) ListGroups(ctx context.Context, p *authz.Principal, f GroupFilter, q app.ListQuery) ([]Group, int, error) {
	return app.Collect(s.GroupRows(ctx, p, f, q))
}

// GroupRows is ListGroups read from the database cursor one row at a
// time, for exports of any size.
func (s *Service) GroupRows(ctx context.Context, p *authz.Principal, f GroupFilter, q app.ListQuery) app.Rows[Group] {
	return func(start func(int) error, yield func(Group) error) error {
		return s.groupRows(ctx, p, f, q, start, yield)
	}
}

func (s *Service) groupRows(ctx context.Context, p *authz.Principal, f GroupFilter, q app.ListQuery,
	start func(int) error, yield func(Group) error) error {
	if !p.Can(PermGroupRead) {
		return app.ErrForbidden()
	}
	var v app.Validation
	if f.Status != "" {
		v.OneOf("status", f.Status, "小组状态", append(slices.Clone(GroupStatuses), StatusReportDue)...)
	}
	if err := v.Err(); err != nil {
		return err
	}
	today := app.Today(s.Now())
	var args app.Args
	where := groupScope(p, &args)
	if f.SiteID != 0 {
		where += " AND g.site_id = " + args.Add(f.SiteID)
	}
	if f.ProjectID != 0 {
		where += " AND g.project_id = " + args.Add(f.ProjectID)
	}
	if f.LeaderID != 0 {
		where += " AND g.leader_id = " + args.Add(f.LeaderID)
	}
	switch f.Status {
	case "":
	case StatusReportDue:
		where += " AND " + fmt.Sprintf(sqlReportDue, args.Add(today))
	default:
		where += " AND g.status = " + args.Add(f.Status)
	}
	// A group belongs to a period when its sessions, or else its plan, overlap it.
	if !f.From.IsZero() {
		where += " AND COALESCE(" + sqlGroupLast + ", g.plan_end, g.plan_start) >= " + args.Add(f.From)
	}
	if !f.To.IsZero() {
		where += " AND COALESCE(" + sqlGroupFirst + ", g.plan_start) <= " + args.Add(f.To)
	}
	if q.Q != "" {
		like := args.Add(db.Like(q.Q))
		op := " " + s.DB.ILike() + " "
		where += " AND (g.name" + op + like + ` ESCAPE '\' OR g.target` + op + like + ` ESCAPE '\')`
	}
	if start != nil {
		var total int
		if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM groups g WHERE "+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("groups: count groups: %w", err)
		}
		if err := start(total); err != nil {
			return err
		}
	}
	order := q.OrderBy(map[string]string{"name": "g.name", "site": "si.name", "leader": "st.name",
		"start": "COALESCE(" + sqlGroupFirst + ", g.plan_start)", "status": "g.status",
		"sessions": sqlGroupSessions, "person_times": sqlGroupPresent}, "start", "g.id")
	if q.Sort == "" {
		order = " ORDER BY g.created_at DESC, g.id DESC"
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlGroupColumns+sqlGroupFrom+" WHERE "+where+order+q.LimitOffset(), args...)
	if err != nil {
		return fmt.Errorf("groups: list groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g Group
		if err := scanGroup(rows, &g); err != nil {
			return err
		}
		g.derive(today)
		if err := yield(g); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Service) getGroup(ctx context.Context, q db.Querier, orgID, id int64) (*Group, error) {
	var g Group
	err := scanGroup(q.QueryRowContext(ctx, "SELECT "+sqlGroupColumns+sqlGroupFrom+" WHERE g.org_id = $1 AND g.id = $2", orgID, id), &g)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("小组")
	}
	if err != nil {
		return nil, fmt.Errorf("groups: get group: %w", err)
	}
	g.derive(app.Today(s.Now()))
	if g.CoLeaders, err = choices(ctx, q, sqlGroupCoLeaders, orgID, id); err != nil {
		return nil, fmt.Errorf("groups: co-leaders: %w", err)
	}
	return &g, nil
}

// GetGroup returns one group in p's scope; anything else is not found.
func (s *Service) GetGroup(ctx context.Context, p *authz.Principal, id int64) (*Group, error) {
	g, err := s.getGroup(ctx, s.DB.R, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(PermGroupRead).Allows(g.obj()) {
		return nil, app.ErrNotFound("小组")
	}
	return g, nil
}

// CanWriteGroup reports whether p may record for g.
func CanWriteGroup(p *authz.Principal, g *Group) bool {
	return p.Scope(PermGroupWrite).Allows(g.obj())
}

// writableGroup reads a group inside tx for a change by p: a group p cannot
// see is not found; one p sees but may not change is forbidden.
func (s *Service) writableGroup(ctx context.Context, tx *sql.Tx, p *authz.Principal, id int64) (*Group, error) {
	if !p.Can(PermGroupWrite) {
		return nil, app.ErrForbidden()
	}
	g, err := s.getGroup(ctx, tx, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !CanWriteGroup(p, g) {
		if p.Scope(PermGroupRead).Allows(g.obj()) {
			return nil, app.ErrForbidden()
		}
		return nil, app.ErrNotFound("小组")
	}
	return g, nil
}

// GroupFile is the group page: the plan, members, sessions with their
// attendance, the report and the timeline.
type GroupFile struct {
	Group    *Group    `json:"group"`
	Members  []Member  `json:"members"`
	Sessions []Session `json:"sessions"`
	Report   *Report   `json:"report"`
	History  []Change  `json:"history"`
	CanWrite bool      `json:"can_write"`
	// Masked says member names are shown masked (read-only viewers).
	Masked bool `json:"masked"`
}

// GroupFile returns the group page for p.
func (s *Service) GroupFile(ctx context.Context, p *authz.Principal, id int64) (*GroupFile, error) {
	g, err := s.GetGroup(ctx, p, id)
	if err != nil {
		return nil, err
	}
	gf := &GroupFile{Group: g, CanWrite: CanWriteGroup(p, g)}
	gf.Masked = !gf.CanWrite
	if gf.Members, err = s.members(ctx, s.DB.R, p.OrgID, id, gf.Masked); err != nil {
		return nil, err
	}
	if gf.Sessions, err = s.sessions(ctx, s.DB.R, p.OrgID, id); err != nil {
		return nil, err
	}
	if gf.Report, err = s.report(ctx, s.DB.R, p.OrgID, id); err != nil {
		return nil, err
	}
	if gf.History, err = s.history(ctx, p.OrgID, "group", id); err != nil {
		return nil, err
	}
	return gf, nil
}

func checkGroupRefs(ctx context.Context, tx *sql.Tx, orgID int64, in *GroupInput, old *Group, v *app.Validation) error {
	rc := refCheck{ctx: ctx, q: tx, org: orgID, v: v}
	if old == nil || old.SiteID != in.SiteID {
		rc.site("site_id", in.SiteID)
	}
	if old == nil || old.LeaderID != in.LeaderID {
		rc.staff("leader_id", in.LeaderID)
	}
	if old == nil || old.ProjectID != in.ProjectID {
		rc.project("project_id", in.ProjectID)
	}
	for _, id := range in.CoLeaderIDs {
		if old != nil && slices.ContainsFunc(old.CoLeaders, func(c Choice) bool { return c.ID == id }) {
			continue
		}
		rc.staff("co_leader_ids", id)
	}
	return rc.err
}

func setCoLeaders(ctx context.Context, tx *sql.Tx, orgID, groupID int64, ids []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM group_leaders WHERE org_id = $1 AND group_id = $2`, orgID, groupID); err != nil {
		return fmt.Errorf("groups: clear co-leaders: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_leaders (org_id, group_id, staff_id) VALUES ($1, $2, $3)`,
			orgID, groupID, id); err != nil {
			return fmt.Errorf("groups: add co-leader: %w", err)
		}
	}
	return nil
}

// CreateGroup records a group plan in p's organization.
func (s *Service) CreateGroup(ctx context.Context, p *authz.Principal, in GroupInput) (int64, error) {
	if !p.Can(PermGroupWrite) {
		return 0, app.ErrForbidden()
	}
	in.normalize()
	var v app.Validation
	in.check(&v)
	checkGroupScope(p, &in, nil, &v)
	if err := v.Err(); err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := checkGroupRefs(ctx, tx, p.OrgID, &in, nil, &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, sqlInsertGroup, p.OrgID, in.Name, in.Kind, in.SiteID, nullID(in.ProjectID),
			in.LeaderID, in.Target, in.Goals, in.Plan, in.TargetMembers, in.PlannedSessions,
			nullDate(in.PlanStart), nullDate(in.PlanEnd), now).Scan(&id); err != nil {
			return fmt.Errorf("groups: insert group: %w", err)
		}
		if err := setCoLeaders(ctx, tx, p.OrgID, id, in.CoLeaderIDs); err != nil {
			return err
		}
		n, err := names(ctx, tx, p.OrgID, in.SiteID, in.LeaderID)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, entry(p, now, "group.create", "group", id,
			fmt.Sprintf("%s（%s，%s，带领：%s，计划 %d 节）", in.Name, GroupKindName(in.Kind), n.site, n.staff, in.PlannedSessions)))
	})
	return id, err
}

// UpdateGroup edits a group plan. in.Version must be the version the editor
// loaded; when someone saved in between, the update is refused.
func (s *Service) UpdateGroup(ctx context.Context, p *authz.Principal, id int64, in GroupInput) error {
	in.normalize()
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.writableGroup(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.check(&v)
		checkGroupScope(p, &in, old, &v)
		if in.Version <= 0 {
			v.Add("version", "缺少版本号，请先读取记录再修改")
		}
		if err := checkGroupRefs(ctx, tx, p.OrgID, &in, old, &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if old.Version != in.Version {
			return ErrEditedElsewhere()
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Group(id))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, sqlUpdateGroup, p.OrgID, id, in.Name, in.Kind, in.SiteID, nullID(in.ProjectID),
			in.LeaderID, in.Target, in.Goals, in.Plan, in.TargetMembers, in.PlannedSessions,
			nullDate(in.PlanStart), nullDate(in.PlanEnd), now, in.Version)
		if err != nil {
			return fmt.Errorf("groups: update group: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrEditedElsewhere()
		}
		if err := setCoLeaders(ctx, tx, p.OrgID, id, in.CoLeaderIDs); err != nil {
			return err
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		n, err := names(ctx, tx, p.OrgID, in.SiteID, in.LeaderID)
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
		d.Add("名称", old.Name, in.Name)
		d.Add("类型", old.KindName, GroupKindName(in.Kind))
		d.Add("服务点", old.SiteName, n.site)
		d.Add("项目", old.ProjectName, project)
		d.Add("带领社工", old.LeaderName, n.staff)
		d.Add("计划人数", fmt.Sprint(old.TargetMembers), fmt.Sprint(in.TargetMembers))
		d.Add("计划节数", fmt.Sprint(old.PlannedSessions), fmt.Sprint(in.PlannedSessions))
		d.Add("计划开始", old.PlanStart.String(), in.PlanStart.String())
		d.Add("计划结束", old.PlanEnd.String(), in.PlanEnd.String())
		oldCo := make([]int64, 0, len(old.CoLeaders))
		for _, c := range old.CoLeaders {
			oldCo = append(oldCo, c.ID)
		}
		slices.Sort(oldCo)
		newCo := slices.Clone(in.CoLeaderIDs)
		slices.Sort(newCo)
		d.Note("协助带领者", !slices.Equal(oldCo, newCo))
		d.Note("招募对象", old.Target != in.Target)
		d.Note("小组目标", old.Goals != in.Goals)
		d.Note("小组计划", old.Plan != in.Plan)
		return audit.Write(ctx, tx, entry(p, now, "group.update", "group", id, d.String()))
	})
}
