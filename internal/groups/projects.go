package groups

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Project statuses.
const (
	ProjectPlanning = "planning"
	ProjectActive   = "active"
	ProjectClosed   = "closed"
)

// ProjectStatuses lists the statuses in display order.
var ProjectStatuses = []string{ProjectPlanning, ProjectActive, ProjectClosed}

// ProjectStatusName is the Chinese name of a project status.
func ProjectStatusName(s string) string {
	switch s {
	case ProjectPlanning:
		return "筹备中"
	case ProjectActive:
		return "实施中"
	case ProjectClosed:
		return "已结项"
	}
	return s
}

// Kinds of funding (资助类型).
var FundKinds = []string{"community_fund", "special_fund", "gov_purchase", "foundation", "other"}

// FundKindName is the Chinese name of a kind of funding.
func FundKindName(k string) string {
	switch k {
	case "community_fund":
		return "社区公益金"
	case "special_fund":
		return "专项资金"
	case "gov_purchase":
		return "政府购买"
	case "foundation":
		return "基金会"
	case "other":
		return "其他"
	}
	return k
}

// Project is a funded service project (项目).
type Project struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	SiteID       int64     `json:"site_id"`
	SiteName     string    `json:"site_name"`
	ManagerID    int64     `json:"manager_id,omitempty"`
	ManagerName  string    `json:"manager_name,omitempty"`
	StartDate    app.Date  `json:"start_date"`
	EndDate      app.Date  `json:"end_date"`
	Goals        string    `json:"goals"`
	Partners     string    `json:"partners"`
	Summary      string    `json:"summary"`
	Status       string    `json:"status"`
	StatusName   string    `json:"status_name"`
	FundingTotal app.Fen   `json:"funding_total_fen"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"`
	OrgID        int64     `json:"-"`
}

func (pr *Project) obj() authz.Obj {
	return authz.Obj{OrgID: pr.OrgID, OwnerID: pr.ManagerID, SiteIDs: []int64{pr.SiteID}}
}

// Fund is one funder's contribution to a project.
type Fund struct {
	ID       int64   `json:"id"`
	Funder   string  `json:"funder"`
	Kind     string  `json:"kind"`
	KindName string  `json:"kind_name"`
	Amount   app.Fen `json:"amount_fen"`
	Note     string  `json:"note"`
}

// FundInput adds a funder to a project; Amount is in fen.
type FundInput struct {
	Funder string  `json:"funder"`
	Kind   string  `json:"kind" doc:"community_fund 社区公益金、special_fund 专项资金、gov_purchase 政府购买、foundation 基金会、other 其他"`
	Amount app.Fen `json:"amount_fen" doc:"金额，单位：分"`
	Note   string  `json:"note"`
}

// Incubated is a social organization a project incubated (孵化的社会组织).
type Incubated struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	FoundedOn app.Date `json:"founded_on"`
	Members   int      `json:"members"`
	Note      string   `json:"note"`
}

// IncubatedInput registers an incubated organization.
type IncubatedInput struct {
	Name      string   `json:"name"`
	FoundedOn app.Date `json:"founded_on"`
	Members   int      `json:"members"`
	Note      string   `json:"note"`
}

// ProjectInput creates or edits a project. Version is the version the
// editor loaded; an update with a stale version is refused.
type ProjectInput struct {
	Name      string   `json:"name"`
	SiteID    int64    `json:"site_id"`
	ManagerID int64    `json:"manager_id"`
	StartDate app.Date `json:"start_date"`
	EndDate   app.Date `json:"end_date"`
	Goals     string   `json:"goals"`
	Partners  string   `json:"partners"`
	Summary   string   `json:"summary"`
	Status    string   `json:"status"`
	Version   int64    `json:"version,omitempty"`
}

// ProjectFilter narrows the project list.
type ProjectFilter struct {
	SiteID   int64
	Status   string
	From, To app.Date // projects whose period overlaps [From, To]
}

// Outputs are what a project has produced to date, counted from the records
// linked to it (groups, sessions, attendance, activities), never typed.
type Outputs struct {
	Groups          int     `json:"groups"`           // groups under the project
	GroupSessions   int     `json:"group_sessions"`   // their sessions held to date
	PersonTimes     int     `json:"person_times"`     // present marks at those sessions
	Activities      int     `json:"activities"`       // activities held to date
	InterestClasses int     `json:"interest_classes"` // of which interest classes (兴趣班)
	Participants    int     `json:"participants"`     // activity participants
	Posters         int     `json:"posters"`
	Flyers          int     `json:"flyers"`
	Incubated       int     `json:"incubated"` // incubated organizations
	Funding         app.Fen `json:"funding_fen"`
}

// ProjectFile is a project with its funders, incubated organizations,
// outputs to date and the groups and activities under it that the reader
// may see.
type ProjectFile struct {
	Project    *Project    `json:"project"`
	Funds      []Fund      `json:"funds"`
	Incubated  []Incubated `json:"incubated"`
	Outputs    Outputs     `json:"outputs"`
	Groups     []Group     `json:"groups"`
	Activities []Activity  `json:"activities"`
	History    []Change    `json:"history"`
	CanWrite   bool        `json:"can_write"`
}

func (in *ProjectInput) normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Goals = strings.TrimSpace(in.Goals)
	in.Partners = strings.TrimSpace(in.Partners)
	in.Summary = strings.TrimSpace(in.Summary)
	in.Status = strings.TrimSpace(in.Status)
	if in.Status == "" {
		in.Status = ProjectPlanning
	}
}

func (in *ProjectInput) check(v *app.Validation) {
	if v.Required("name", in.Name, "项目名称") {
		v.MaxLen("name", in.Name, "项目名称", 60)
	}
	v.Chosen("site_id", in.SiteID, "主办服务点")
	if in.ManagerID < 0 {
		v.Add("manager_id", "请选择有效的项目负责人")
	}
	if in.StartDate.IsZero() {
		v.Add("start_date", "开始日期不能为空")
	}
	if in.EndDate.IsZero() {
		v.Add("end_date", "结束日期不能为空")
	}
	checkDate(v, "start_date", in.StartDate, "开始日期", app.Date{}, false)
	checkDate(v, "end_date", in.EndDate, "结束日期", app.Date{}, false)
	if !in.StartDate.IsZero() && !in.EndDate.IsZero() && in.EndDate.Before(in.StartDate) {
		v.Add("end_date", "结束日期不能早于开始日期")
	}
	v.MaxLen("goals", in.Goals, "项目目标", 2000)
	v.MaxLen("partners", in.Partners, "合作方", 500)
	v.MaxLen("summary", in.Summary, "项目简介", 2000)
	v.OneOf("status", in.Status, "项目状态", ProjectStatuses...)
}

// sqlProjectScope returns the condition restricting projects (alias pr)
// to what p may read.
func sqlProjectScope(p *authz.Principal, args *app.Args) string {
	return "pr.org_id = " + args.Add(p.OrgID) + " AND " +
		p.Scope(PermProjectRead).SQL(authz.Cols{Org: "pr.org_id", Site: "pr.site_id", Owner: "pr.manager_id"}, args.Add)
}

const (
	sqlProjectColumns = `pr.id, pr.org_id, pr.name, pr.site_id, si.name, COALESCE(pr.manager_id, 0), COALESCE(st.name, ''),
		pr.start_date, pr.end_date, pr.goals, pr.partners, pr.summary, pr.status,
		CAST((SELECT COALESCE(SUM(f.amount_fen), 0) FROM project_funds f WHERE f.org_id = pr.org_id AND f.project_id = pr.id) AS BIGINT),
		pr.created_at, pr.updated_at, pr.version`
	sqlProjectFrom = ` FROM projects pr
		JOIN sites si ON si.org_id = pr.org_id AND si.id = pr.site_id
		LEFT JOIN staff st ON st.org_id = pr.org_id AND st.id = pr.manager_id`
	sqlInsertProject = `INSERT INTO projects (org_id, name, site_id, manager_id, start_date, end_date, goals, partners,
		summary, status, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1) RETURNING id`
	sqlUpdateProject = `UPDATE projects SET name = $3, site_id = $4, manager_id = $5, start_date = $6, end_date = $7,
		goals = $8, partners = $9, summary = $10, status = $11, updated_at = $12, version = version + 1
		WHERE org_id = $1 AND id = $2 AND version = $13`
	sqlProjectNameTaken = `SELECT COUNT(*) FROM projects WHERE org_id = $1 AND name = $2 AND id <> $3`
)

func scanProject(sc scanner, pr *Project) error {
	err := sc.Scan(&pr.ID, &pr.OrgID, &pr.Name, &pr.SiteID, &pr.SiteName, &pr.ManagerID, &pr.ManagerName,
		&pr.StartDate, &pr.EndDate, &pr.Goals, &pr.Partners, &pr.Summary, &pr.Status, &pr.FundingTotal,
		&pr.CreatedAt, &pr.UpdatedAt, &pr.Version)
	pr.StatusName = ProjectStatusName(pr.Status)
	return err
}

// ListProjects lists the projects in p's scope. Sort keys: name, site,
// start, end, status, funding.
func (s *Service) ListProjects(ctx context.Context, p *authz.Principal, f ProjectFilter, q app.ListQuery) ([]Project, int, error) {
	if !p.Can(PermProjectRead) {
		return nil, 0, app.ErrForbidden()
	}
	var v app.Validation
	if f.Status != "" {
		v.OneOf("status", f.Status, "项目状态", ProjectStatuses...)
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var args app.Args
	where := sqlProjectScope(p, &args)
	if f.SiteID != 0 {
		where += " AND pr.site_id = " + args.Add(f.SiteID)
	}
	if f.Status != "" {
		where += " AND pr.status = " + args.Add(f.Status)
	}
	if !f.From.IsZero() {
		where += " AND pr.end_date >= " + args.Add(f.From)
	}
	if !f.To.IsZero() {
		where += " AND pr.start_date <= " + args.Add(f.To)
	}
	if q.Q != "" {
		like := args.Add(db.Like(q.Q))
		op := " " + s.DB.ILike() + " "
		where += " AND (pr.name" + op + like + ` ESCAPE '\' OR pr.partners` + op + like + ` ESCAPE '\')`
	}
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM projects pr WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("groups: count projects: %w", err)
	}
	order := q.OrderBy(map[string]string{"name": "pr.name", "site": "si.name", "start": "pr.start_date",
		"end": "pr.end_date", "status": "pr.status", "funding": "14"}, "start", "pr.id")
	if q.Sort == "" {
		order = " ORDER BY pr.start_date DESC, pr.id DESC"
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlProjectColumns+sqlProjectFrom+" WHERE "+where+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("groups: list projects: %w", err)
	}
	defer rows.Close()
	var out []Project
	for rows.Next() {
		var pr Project
		if err := scanProject(rows, &pr); err != nil {
			return nil, 0, err
		}
		out = append(out, pr)
	}
	return out, total, rows.Err()
}

func (s *Service) getProject(ctx context.Context, q db.Querier, orgID, id int64) (*Project, error) {
	var pr Project
	err := scanProject(q.QueryRowContext(ctx, "SELECT "+sqlProjectColumns+sqlProjectFrom+
		" WHERE pr.org_id = $1 AND pr.id = $2", orgID, id), &pr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("项目")
	}
	if err != nil {
		return nil, fmt.Errorf("groups: get project: %w", err)
	}
	return &pr, nil
}

// GetProject returns one project in p's scope.
func (s *Service) GetProject(ctx context.Context, p *authz.Principal, id int64) (*Project, error) {
	pr, err := s.getProject(ctx, s.DB.R, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(PermProjectRead).Allows(pr.obj()) {
		return nil, app.ErrNotFound("项目")
	}
	return pr, nil
}

// CanWriteProject reports whether p may change pr.
func CanWriteProject(p *authz.Principal, pr *Project) bool {
	return p.Scope(PermProjectWrite).Allows(pr.obj())
}

// writableProject reads a project inside tx for a change by p: a project p
// cannot see is not found; one p sees but may not change is forbidden.
func (s *Service) writableProject(ctx context.Context, tx *sql.Tx, p *authz.Principal, id int64) (*Project, error) {
	pr, err := s.getProject(ctx, tx, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !CanWriteProject(p, pr) {
		if p.Scope(PermProjectRead).Allows(pr.obj()) {
			return nil, app.ErrForbidden()
		}
		return nil, app.ErrNotFound("项目")
	}
	return pr, nil
}

// ProjectFile returns the project page: the project, its funders and
// incubated organizations, outputs to date, and the groups and activities
// under it that p may see.
func (s *Service) ProjectFile(ctx context.Context, p *authz.Principal, id int64) (*ProjectFile, error) {
	pr, err := s.GetProject(ctx, p, id)
	if err != nil {
		return nil, err
	}
	pf := &ProjectFile{Project: pr, CanWrite: CanWriteProject(p, pr)}
	if pf.Funds, err = s.funds(ctx, p.OrgID, id); err != nil {
		return nil, err
	}
	if pf.Incubated, err = s.incubated(ctx, p.OrgID, id); err != nil {
		return nil, err
	}
	if pf.Outputs, err = s.outputs(ctx, pr, app.Today(s.Now())); err != nil {
		return nil, err
	}
	if p.Can(PermGroupRead) {
		all := app.ListQuery{Page: 1, Size: 200, Sort: "start", Desc: true}
		if pf.Groups, _, err = s.ListGroups(ctx, p, GroupFilter{ProjectID: id}, all); err != nil {
			return nil, err
		}
		if pf.Activities, _, err = s.ListActivities(ctx, p, ActivityFilter{ProjectID: id}, app.ListQuery{Page: 1, Size: 200, Sort: "date", Desc: true}); err != nil {
			return nil, err
		}
	}
	if pf.History, err = s.history(ctx, p.OrgID, "project", id); err != nil {
		return nil, err
	}
	return pf, nil
}

// outputs counts what the project produced up to today.
func (s *Service) outputs(ctx context.Context, pr *Project, today app.Date) (Outputs, error) {
	var o Outputs
	f := CountFilter{OrgID: pr.OrgID, ProjectID: pr.ID}
	q := s.DB.R
	var err error
	if o.Groups, err = GroupsOpened(ctx, q, f, app.Date{}, today); err != nil {
		return o, err
	}
	if o.GroupSessions, err = GroupSessions(ctx, q, f, app.Date{}, today); err != nil {
		return o, err
	}
	if o.PersonTimes, err = GroupPersonTimes(ctx, q, f, app.Date{}, today); err != nil {
		return o, err
	}
	if o.Activities, err = Activities(ctx, q, f, app.Date{}, today); err != nil {
		return o, err
	}
	if o.InterestClasses, err = InterestClasses(ctx, q, f, app.Date{}, today); err != nil {
		return o, err
	}
	if o.Participants, err = ActivityParticipants(ctx, q, f, app.Date{}, today); err != nil {
		return o, err
	}
	if o.Posters, o.Flyers, err = Publicity(ctx, q, f, app.Date{}, today); err != nil {
		return o, err
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_incubated WHERE org_id = $1 AND project_id = $2`,
		pr.OrgID, pr.ID).Scan(&o.Incubated); err != nil {
		return o, fmt.Errorf("groups: count incubated: %w", err)
	}
	o.Funding = pr.FundingTotal
	return o, nil
}

// checkProjectScope refuses a site/manager combination outside p's write
// scope; an edit that keeps both is not checked again.
func checkProjectScope(p *authz.Principal, in *ProjectInput, old *Project, v *app.Validation) {
	if v.Has("site_id") || v.Has("manager_id") {
		return
	}
	if old != nil && old.SiteID == in.SiteID && old.ManagerID == in.ManagerID {
		return
	}
	if !mayPlace(p, PermProjectWrite, in.SiteID, in.ManagerID) {
		v.Add("site_id", "您只能为自己所在的服务点登记项目")
	}
}

// CreateProject adds a project to p's organization.
func (s *Service) CreateProject(ctx context.Context, p *authz.Principal, in ProjectInput) (int64, error) {
	if !p.Can(PermProjectWrite) {
		return 0, app.ErrForbidden()
	}
	in.normalize()
	var v app.Validation
	in.check(&v)
	checkProjectScope(p, &in, nil, &v)
	if err := v.Err(); err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		rc := refCheck{ctx: ctx, q: tx, org: p.OrgID, v: &v}
		rc.site("site_id", in.SiteID)
		rc.staff("manager_id", in.ManagerID)
		if rc.err != nil {
			return rc.err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := projectNameFree(ctx, tx, p.OrgID, 0, in.Name); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, sqlInsertProject, p.OrgID, in.Name, in.SiteID, nullID(in.ManagerID),
			in.StartDate, in.EndDate, in.Goals, in.Partners, in.Summary, in.Status, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return projectNameConflict(in.Name)
		}
		if err != nil {
			return fmt.Errorf("groups: insert project: %w", err)
		}
		return audit.Write(ctx, tx, entry(p, now, "project.create", "project", id,
			fmt.Sprintf("%s（%s 至 %s）", in.Name, in.StartDate, in.EndDate)))
	})
	return id, err
}

func projectNameConflict(name string) error {
	return &app.Error{Code: app.EConflict, Message: "项目名称「" + name + "」已存在",
		Fields: map[string]string{"name": "项目名称「" + name + "」已存在"}}
}

func projectNameFree(ctx context.Context, tx *sql.Tx, orgID, id int64, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, sqlProjectNameTaken, orgID, name, id).Scan(&n); err != nil {
		return fmt.Errorf("groups: check project name: %w", err)
	}
	if n > 0 {
		return projectNameConflict(name)
	}
	return nil
}

// UpdateProject edits a project. in.Version must be the version the editor
// loaded; when someone saved in between, the update is refused.
func (s *Service) UpdateProject(ctx context.Context, p *authz.Principal, id int64, in ProjectInput) error {
	if !p.Can(PermProjectWrite) {
		return app.ErrForbidden()
	}
	in.normalize()
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.writableProject(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.check(&v)
		checkProjectScope(p, &in, old, &v)
		if in.Version <= 0 {
			v.Add("version", "缺少版本号，请先读取记录再修改")
		}
		rc := refCheck{ctx: ctx, q: tx, org: p.OrgID, v: &v}
		if in.SiteID != old.SiteID {
			rc.site("site_id", in.SiteID)
		}
		if in.ManagerID != old.ManagerID {
			rc.staff("manager_id", in.ManagerID)
		}
		if rc.err != nil {
			return rc.err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if old.Version != in.Version {
			return ErrEditedElsewhere()
		}
		if err := projectNameFree(ctx, tx, p.OrgID, id, in.Name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, sqlUpdateProject, p.OrgID, id, in.Name, in.SiteID, nullID(in.ManagerID),
			in.StartDate, in.EndDate, in.Goals, in.Partners, in.Summary, in.Status, now, in.Version)
		if db.IsUniqueViolation(err) {
			return projectNameConflict(in.Name)
		}
		if err != nil {
			return fmt.Errorf("groups: update project: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrEditedElsewhere()
		}
		names, err := names(ctx, tx, p.OrgID, in.SiteID, in.ManagerID)
		if err != nil {
			return err
		}
		var d changes
		d.Add("名称", old.Name, in.Name)
		d.Add("主办服务点", old.SiteName, names.site)
		d.Add("项目负责人", old.ManagerName, names.staff)
		d.Add("开始日期", old.StartDate.String(), in.StartDate.String())
		d.Add("结束日期", old.EndDate.String(), in.EndDate.String())
		d.Add("状态", old.StatusName, ProjectStatusName(in.Status))
		d.Note("项目目标", old.Goals != in.Goals)
		d.Note("合作方", old.Partners != in.Partners)
		d.Note("项目简介", old.Summary != in.Summary)
		return audit.Write(ctx, tx, entry(p, now, "project.update", "project", id, d.String()))
	})
}

type refNames struct{ site, staff string }

func names(ctx context.Context, q db.Querier, orgID, siteID, staffID int64) (refNames, error) {
	var n refNames
	if siteID != 0 {
		if err := q.QueryRowContext(ctx, `SELECT name FROM sites WHERE org_id = $1 AND id = $2`, orgID, siteID).Scan(&n.site); err != nil {
			return n, fmt.Errorf("groups: site name: %w", err)
		}
	}
	if staffID != 0 {
		if err := q.QueryRowContext(ctx, `SELECT name FROM staff WHERE org_id = $1 AND id = $2`, orgID, staffID).Scan(&n.staff); err != nil {
			return n, fmt.Errorf("groups: staff name: %w", err)
		}
	}
	return n, nil
}

func (s *Service) funds(ctx context.Context, orgID, projectID int64) ([]Fund, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, funder, kind, amount_fen, note FROM project_funds
		WHERE org_id = $1 AND project_id = $2 ORDER BY id`, orgID, projectID)
	if err != nil {
		return nil, fmt.Errorf("groups: list funds: %w", err)
	}
	defer rows.Close()
	out := []Fund{}
	for rows.Next() {
		var f Fund
		if err := rows.Scan(&f.ID, &f.Funder, &f.Kind, &f.Amount, &f.Note); err != nil {
			return nil, err
		}
		f.KindName = FundKindName(f.Kind)
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *Service) incubated(ctx context.Context, orgID, projectID int64) ([]Incubated, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, founded_on, members, note FROM project_incubated
		WHERE org_id = $1 AND project_id = $2 ORDER BY id`, orgID, projectID)
	if err != nil {
		return nil, fmt.Errorf("groups: list incubated: %w", err)
	}
	defer rows.Close()
	out := []Incubated{}
	for rows.Next() {
		var o Incubated
		if err := rows.Scan(&o.ID, &o.Name, &o.FoundedOn, &o.Members, &o.Note); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// AddFund records a funder's contribution to a project.
func (s *Service) AddFund(ctx context.Context, p *authz.Principal, projectID int64, in FundInput) (int64, error) {
	if !p.Can(PermProjectWrite) {
		return 0, app.ErrForbidden()
	}
	in.Funder = strings.TrimSpace(in.Funder)
	in.Note = strings.TrimSpace(in.Note)
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableProject(ctx, tx, p, projectID); err != nil {
			return err
		}
		var v app.Validation
		if v.Required("funder", in.Funder, "资助方") {
			v.MaxLen("funder", in.Funder, "资助方", 60)
		}
		if v.Required("kind", in.Kind, "资助类型") {
			v.OneOf("kind", in.Kind, "资助类型", FundKinds...)
		}
		if in.Amount <= 0 {
			v.Add("amount", "资助金额应大于 0")
		} else if in.Amount > 100_000_000_00 {
			v.Add("amount", "资助金额过大，请核对")
		}
		v.MaxLen("note", in.Note, "备注", 200)
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_funds (org_id, project_id, funder, kind, amount_fen, note, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, p.OrgID, projectID, in.Funder, in.Kind, in.Amount, in.Note, now).Scan(&id); err != nil {
			return fmt.Errorf("groups: insert fund: %w", err)
		}
		return audit.Write(ctx, tx, entry(p, now, "project.fund.add", "project", projectID,
			fmt.Sprintf("%s（%s）%s", in.Funder, FundKindName(in.Kind), in.Amount)))
	})
	return id, err
}

// DeleteFund removes a funding row entered by mistake.
func (s *Service) DeleteFund(ctx context.Context, p *authz.Principal, projectID, fundID int64) error {
	if !p.Can(PermProjectWrite) {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableProject(ctx, tx, p, projectID); err != nil {
			return err
		}
		var funder string
		var amount app.Fen
		err := tx.QueryRowContext(ctx, `DELETE FROM project_funds WHERE org_id = $1 AND project_id = $2 AND id = $3
			RETURNING funder, amount_fen`, p.OrgID, projectID, fundID).Scan(&funder, &amount)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("资助记录")
		}
		if err != nil {
			return fmt.Errorf("groups: delete fund: %w", err)
		}
		return audit.Write(ctx, tx, entry(p, now, "project.fund.delete", "project", projectID, funder+" "+amount.String()))
	})
}

// AddIncubated registers an organization the project incubated.
func (s *Service) AddIncubated(ctx context.Context, p *authz.Principal, projectID int64, in IncubatedInput) (int64, error) {
	if !p.Can(PermProjectWrite) {
		return 0, app.ErrForbidden()
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Note = strings.TrimSpace(in.Note)
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableProject(ctx, tx, p, projectID); err != nil {
			return err
		}
		var v app.Validation
		if v.Required("name", in.Name, "组织名称") {
			v.MaxLen("name", in.Name, "组织名称", 60)
		}
		checkDate(&v, "founded_on", in.FoundedOn, "成立日期", app.Today(s.Now()), true)
		checkCount(&v, "members", in.Members, "成员人数", 100000)
		v.MaxLen("note", in.Note, "备注", 500)
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_incubated (org_id, project_id, name, founded_on, members, note, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, p.OrgID, projectID, in.Name, nullDate(in.FoundedOn),
			in.Members, in.Note, now).Scan(&id); err != nil {
			return fmt.Errorf("groups: insert incubated: %w", err)
		}
		return audit.Write(ctx, tx, entry(p, now, "project.org.add", "project", projectID, in.Name))
	})
	return id, err
}

// DeleteIncubated removes an incubated organization entered by mistake.
func (s *Service) DeleteIncubated(ctx context.Context, p *authz.Principal, projectID, orgRowID int64) error {
	if !p.Can(PermProjectWrite) {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableProject(ctx, tx, p, projectID); err != nil {
			return err
		}
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM project_incubated WHERE org_id = $1 AND project_id = $2 AND id = $3
			RETURNING name`, p.OrgID, projectID, orgRowID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("孵化组织")
		}
		if err != nil {
			return fmt.Errorf("groups: delete incubated: %w", err)
		}
		return audit.Write(ctx, tx, entry(p, now, "project.org.delete", "project", projectID, name))
	})
}
