package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Team is a volunteer team (志愿服务队) of a service point with its leader
// and contact channels.
type Team struct {
	ID            int64     `json:"id"`
	SiteID        int64     `json:"site_id"`
	SiteName      string    `json:"site_name"`
	Name          string    `json:"name"`
	LeaderID      int64     `json:"leader_id,omitempty"`
	LeaderName    string    `json:"leader_name"`
	QQGroup       string    `json:"qq_group"`
	PublicAccount string    `json:"public_account"`
	Note          string    `json:"note"`
	Status        string    `json:"status"`
	ProjectID     int64     `json:"project_id,omitempty"`
	ProjectName   string    `json:"project_name"`
	Members       int       `json:"member_count"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Member is one volunteer in a team.
type Member struct {
	VolunteerID int64    `json:"volunteer_id"`
	No          string   `json:"volunteer_no"`
	Name        string   `json:"name"`
	PhoneMasked string   `json:"phone_masked"`
	SiteName    string   `json:"site_name"`
	JoinedOn    app.Date `json:"joined_on"`
	Leader      bool     `json:"leader"`
}

// TeamInput creates or edits a team.
type TeamInput struct {
	SiteID        int64  `json:"site_id" doc:"所属服务点 id"`
	Name          string `json:"name" doc:"服务队名称"`
	LeaderID      int64  `json:"leader_id" doc:"队长（志愿者 id），会自动加入本队"`
	QQGroup       string `json:"qq_group" doc:"QQ群"`
	PublicAccount string `json:"public_account" doc:"公众号"`
	Note          string `json:"note" doc:"简介与备注"`
	Status        string `json:"status" doc:"状态：active（活跃）、inactive（停止）"`
	ProjectID     int64  `json:"project_id" doc:"所属项目 id（可不填）"`
}

func (in *TeamInput) normalize(v *app.Validation) {
	in.Name = clean(in.Name)
	in.QQGroup = clean(in.QQGroup)
	in.PublicAccount = clean(in.PublicAccount)
	in.Note = clean(in.Note)
	in.Status = clean(in.Status)
	if v.Required("name", in.Name, "服务队名称") {
		v.MaxLen("name", in.Name, "服务队名称", 60)
	}
	v.MaxLen("qq_group", in.QQGroup, "QQ群", 40)
	v.MaxLen("public_account", in.PublicAccount, "公众号", 60)
	v.MaxLen("note", in.Note, "备注", 500)
	if in.Status == "" {
		in.Status = "active"
	}
	v.OneOf("status", in.Status, "状态", "active", "inactive")
}

const sqlTeamCols = `t.id, t.site_id, s.name, t.name, COALESCE(t.leader_id, 0), COALESCE(l.name, ''), t.qq_group,
	t.public_account, t.note, t.status, t.created_at, t.updated_at, COALESCE(t.project_id, 0), COALESCE(pr.name, ''),
	(SELECT COUNT(*) FROM volunteer_team_members m WHERE m.org_id = t.org_id AND m.team_id = t.id)`

const sqlTeamFrom = ` FROM volunteer_teams t JOIN sites s ON s.org_id = t.org_id AND s.id = t.site_id
	LEFT JOIN volunteers l ON l.org_id = t.org_id AND l.id = t.leader_id
	LEFT JOIN projects pr ON pr.org_id = t.org_id AND pr.id = t.project_id`

func scanTeam(sc interface{ Scan(...any) error }) (Team, error) {
	var t Team
	err := sc.Scan(&t.ID, &t.SiteID, &t.SiteName, &t.Name, &t.LeaderID, &t.LeaderName, &t.QQGroup, &t.PublicAccount,
		&t.Note, &t.Status, &t.CreatedAt, &t.UpdatedAt, &t.ProjectID, &t.ProjectName, &t.Members)
	return t, err
}

// checkLeader validates that the leader is a volunteer p may read.
func (s *Service) checkLeader(ctx context.Context, q db.Querier, p *authz.Principal, id int64, v *app.Validation) {
	if id == 0 {
		return
	}
	if _, err := s.load(ctx, q, p, PermRead, id); err != nil {
		v.Add("leader_id", "请选择有效的队长")
	}
}

// checkProject validates that the project exists in p's organization.
func checkProject(ctx context.Context, q db.Querier, p *authz.Principal, id int64, v *app.Validation) {
	if id == 0 {
		return
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM projects WHERE org_id = $1 AND id = $2`, p.OrgID, id).Scan(&n)
	if err != nil || n == 0 {
		v.Add("project_id", "所选项目不存在")
	}
}

// ProjectChoice is a project offered in the team form.
type ProjectChoice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ProjectChoices lists the projects of p's organization by name.
func (s *Service) ProjectChoices(ctx context.Context, p *authz.Principal) ([]ProjectChoice, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name FROM projects WHERE org_id = $1 ORDER BY name, id`, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("volunteers: project choices: %w", err)
	}
	defer rows.Close()
	var out []ProjectChoice
	for rows.Next() {
		var c ProjectChoice
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// TeamsOfProject lists the teams linked to a project of an organization,
// for the project page; the caller has already checked access to the project.
func TeamsOfProject(ctx context.Context, q db.Querier, orgID, projectID int64) ([]Team, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+sqlTeamCols+sqlTeamFrom+` WHERE t.org_id = $1 AND t.project_id = $2
		ORDER BY t.name, t.id`, orgID, projectID)
	if err != nil {
		return nil, fmt.Errorf("volunteers: teams of project: %w", err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreateTeam adds a team; its leader becomes a member.
func (s *Service) CreateTeam(ctx context.Context, p *authz.Principal, in TeamInput) (*Team, error) {
	if !p.Can(PermWrite) {
		return nil, app.ErrForbidden()
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var v app.Validation
		in.normalize(&v)
		if _, err := checkSite(ctx, tx, p, PermWrite, in.SiteID, "site_id", &v); err != nil {
			return err
		}
		s.checkLeader(ctx, tx, p, in.LeaderID, &v)
		checkProject(ctx, tx, p, in.ProjectID, &v)
		if err := v.Err(); err != nil {
			return err
		}
		now := s.Now().UTC()
		err := tx.QueryRowContext(ctx, `INSERT INTO volunteer_teams (org_id, site_id, name, leader_id, qq_group, public_account,
			note, status, created_at, updated_at, project_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id`,
			p.OrgID, in.SiteID, in.Name, nullID(in.LeaderID), in.QQGroup, in.PublicAccount, in.Note, in.Status, now,
			nullID(in.ProjectID)).Scan(&id)
		if err != nil {
			if db.IsUniqueViolation(err) {
				return conflictField("name", "服务队名称 %s 已存在", in.Name)
			}
			return fmt.Errorf("volunteers: insert team: %w", err)
		}
		if in.LeaderID != 0 {
			if err := s.addMember(ctx, tx, p.OrgID, id, in.LeaderID); err != nil {
				return err
			}
		}
		return s.writeAudit(ctx, tx, p, "volunteer_team.create", "volunteer_team", id, in.Name)
	})
	if err != nil {
		return nil, err
	}
	return s.GetTeam(ctx, p, id)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// UpdateTeam edits a team; a new leader becomes a member.
func (s *Service) UpdateTeam(ctx context.Context, p *authz.Principal, id int64, in TeamInput) (*Team, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.loadTeam(ctx, tx, p, PermWrite, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.normalize(&v)
		if in.SiteID != cur.SiteID {
			if _, err := checkSite(ctx, tx, p, PermWrite, in.SiteID, "site_id", &v); err != nil {
				return err
			}
		}
		if in.LeaderID != cur.LeaderID {
			s.checkLeader(ctx, tx, p, in.LeaderID, &v)
		}
		if in.ProjectID != cur.ProjectID {
			checkProject(ctx, tx, p, in.ProjectID, &v)
		}
		if err := v.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE volunteer_teams SET site_id = $3, name = $4, leader_id = $5, qq_group = $6,
			public_account = $7, note = $8, status = $9, updated_at = $10, project_id = $11 WHERE org_id = $1 AND id = $2`,
			p.OrgID, id, in.SiteID, in.Name, nullID(in.LeaderID), in.QQGroup, in.PublicAccount, in.Note, in.Status, s.Now().UTC(),
			nullID(in.ProjectID))
		if err != nil {
			if db.IsUniqueViolation(err) {
				return conflictField("name", "服务队名称 %s 已存在", in.Name)
			}
			return fmt.Errorf("volunteers: update team: %w", err)
		}
		if in.LeaderID != 0 {
			if err := s.addMember(ctx, tx, p.OrgID, id, in.LeaderID); err != nil {
				return err
			}
		}
		return s.writeAudit(ctx, tx, p, "volunteer_team.update", "volunteer_team", id, in.Name)
	})
	if err != nil {
		return nil, err
	}
	return s.GetTeam(ctx, p, id)
}

func (s *Service) loadTeam(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm, id int64) (*Team, error) {
	t, err := scanTeam(q.QueryRowContext(ctx, `SELECT `+sqlTeamCols+sqlTeamFrom+` WHERE t.org_id = $1 AND t.id = $2`, p.OrgID, id))
	if err != nil {
		return nil, notFound(err, "服务队")
	}
	if !p.Scope(perm).Allows(siteObj(p.OrgID, t.SiteID)) {
		return nil, app.ErrNotFound("服务队")
	}
	return &t, nil
}

// GetTeam returns a team in p's read scope.
func (s *Service) GetTeam(ctx context.Context, p *authz.Principal, id int64) (*Team, error) {
	return s.loadTeam(ctx, s.DB.R, p, PermRead, id)
}

// Members lists a team's members, the leader first.
func (s *Service) Members(ctx context.Context, p *authz.Principal, teamID int64) ([]Member, error) {
	t, err := s.loadTeam(ctx, s.DB.R, p, PermRead, teamID)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT v.id, v.volunteer_no, v.name, v.phone_mask, s.name, m.joined_on
		FROM volunteer_team_members m JOIN volunteers v ON v.org_id = m.org_id AND v.id = m.volunteer_id
		JOIN sites s ON s.org_id = v.org_id AND s.id = v.site_id
		WHERE m.org_id = $1 AND m.team_id = $2 ORDER BY v.volunteer_no`, p.OrgID, teamID)
	if err != nil {
		return nil, fmt.Errorf("volunteers: members: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.VolunteerID, &m.No, &m.Name, &m.PhoneMasked, &m.SiteName, &m.JoinedOn); err != nil {
			return nil, err
		}
		m.Leader = m.VolunteerID == t.LeaderID
		if m.Leader {
			out = append([]Member{m}, out...)
		} else {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}

func (s *Service) addMember(ctx context.Context, tx *sql.Tx, orgID, teamID, volunteerID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO volunteer_team_members (org_id, team_id, volunteer_id, joined_on)
		VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, team_id, volunteer_id) DO NOTHING`, orgID, teamID, volunteerID, s.today())
	if err != nil {
		return fmt.Errorf("volunteers: add member: %w", err)
	}
	return nil
}

// AddMembers puts volunteers (by id) into a team.
func (s *Service) AddMembers(ctx context.Context, p *authz.Principal, teamID int64, volunteerIDs []int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		t, err := s.loadTeam(ctx, tx, p, PermWrite, teamID)
		if err != nil {
			return err
		}
		if len(volunteerIDs) == 0 {
			return invalidField("volunteer_ids", "请选择要加入的志愿者")
		}
		var nos []string
		for _, vid := range volunteerIDs {
			v, err := s.load(ctx, tx, p, PermRead, vid)
			if err != nil {
				return invalidField("volunteer_ids", "所选志愿者不存在或无权访问")
			}
			if err := s.addMember(ctx, tx, p.OrgID, teamID, vid); err != nil {
				return err
			}
			nos = append(nos, v.No)
		}
		return s.writeAudit(ctx, tx, p, "volunteer_team.members.add", "volunteer_team", teamID,
			t.Name+" 加入 "+strings.Join(nos, "、"))
	})
}

// RemoveMember takes a volunteer out of a team; the leader cannot leave
// before another leader is named.
func (s *Service) RemoveMember(ctx context.Context, p *authz.Principal, teamID, volunteerID int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		t, err := s.loadTeam(ctx, tx, p, PermWrite, teamID)
		if err != nil {
			return err
		}
		if t.LeaderID == volunteerID {
			return app.Errorf(app.EConflict, "该志愿者是队长，请先更换队长再移出")
		}
		var no string
		err = tx.QueryRowContext(ctx, `SELECT v.volunteer_no FROM volunteer_team_members m
			JOIN volunteers v ON v.org_id = m.org_id AND v.id = m.volunteer_id
			WHERE m.org_id = $1 AND m.team_id = $2 AND m.volunteer_id = $3`, p.OrgID, teamID, volunteerID).Scan(&no)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("队员")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM volunteer_team_members WHERE org_id = $1 AND team_id = $2 AND volunteer_id = $3`,
			p.OrgID, teamID, volunteerID); err != nil {
			return fmt.Errorf("volunteers: remove member: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "volunteer_team.members.remove", "volunteer_team", teamID, t.Name+" 移出 "+no)
	})
}

// TeamFilter selects teams for the list.
type TeamFilter struct {
	app.ListQuery
	SiteID int64
	Status string
}

var teamSort = map[string]string{"name": "t.name", "site": "s.name", "members": "member_count"}

// Teams lists the teams in p's scope.
func (s *Service) Teams(ctx context.Context, p *authz.Principal, f TeamFilter) ([]Team, int, error) {
	var args app.Args
	where := []string{p.Scope(PermRead).SQL(authz.Cols{Org: "t.org_id", Site: "t.site_id"}, args.Add)}
	if f.SiteID != 0 {
		where = append(where, "t.site_id = "+args.Add(f.SiteID))
	}
	if f.Status != "" {
		where = append(where, "t.status = "+args.Add(f.Status))
	}
	if f.Q != "" {
		l := args.Add(db.Like(f.Q))
		where = append(where, "(t.name LIKE "+l+` ESCAPE '\' OR t.qq_group LIKE `+l+` ESCAPE '\' OR t.public_account LIKE `+l+` ESCAPE '\')`)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*)"+sqlTeamFrom+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("volunteers: count teams: %w", err)
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlTeamCols+" AS member_count"+sqlTeamFrom+w+
		f.OrderBy(teamSort, "name", "t.id")+f.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("volunteers: teams: %w", err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// Manager is a staff member who manages volunteers at a service point.
type Manager struct {
	SiteID    int64    `json:"site_id"`
	SiteName  string   `json:"site_name"`
	StaffID   int64    `json:"staff_id"`
	StaffName string   `json:"staff_name"`
	Since     app.Date `json:"since"`
}

// Managers lists the volunteer managers of the service points in p's scope.
func (s *Service) Managers(ctx context.Context, p *authz.Principal, siteID int64) ([]Manager, error) {
	var args app.Args
	where := p.Scope(PermRead).SQL(authz.Cols{Org: "m.org_id", Site: "m.site_id"}, args.Add)
	if siteID != 0 {
		where += " AND m.site_id = " + args.Add(siteID)
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT m.site_id, s.name, m.staff_id, st.name, m.since
		FROM volunteer_managers m JOIN sites s ON s.org_id = m.org_id AND s.id = m.site_id
		JOIN staff st ON st.org_id = m.org_id AND st.id = m.staff_id
		WHERE `+where+` ORDER BY s.name, st.name, m.staff_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("volunteers: managers: %w", err)
	}
	defer rows.Close()
	var out []Manager
	for rows.Next() {
		var m Manager
		if err := rows.Scan(&m.SiteID, &m.SiteName, &m.StaffID, &m.StaffName, &m.Since); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// StaffChoice is a staff member offered as a volunteer manager.
type StaffChoice struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	SiteName string `json:"site_name"`
}

// ManagerChoices lists active staff currently assigned to the service
// points where p may name managers.
func (s *Service) ManagerChoices(ctx context.Context, p *authz.Principal) ([]StaffChoice, error) {
	var args app.Args
	today := args.Add(s.today())
	where := p.Scope(PermWrite).SQL(authz.Cols{Org: "a.org_id", Site: "a.site_id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT DISTINCT st.id, st.name, s.name FROM staff_assignments a
		JOIN staff st ON st.org_id = a.org_id AND st.id = a.staff_id
		JOIN sites s ON s.org_id = a.org_id AND s.id = a.site_id
		WHERE st.status = 'active' AND a.start_date <= `+today+` AND (a.end_date IS NULL OR a.end_date >= `+today+`)
		AND `+where+` ORDER BY s.name, st.name, st.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("volunteers: manager choices: %w", err)
	}
	defer rows.Close()
	var out []StaffChoice
	for rows.Next() {
		var c StaffChoice
		if err := rows.Scan(&c.ID, &c.Name, &c.SiteName); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddManager names a staff member volunteer manager of a service point.
func (s *Service) AddManager(ctx context.Context, p *authz.Principal, siteID, staffID int64) error {
	if !p.Can(PermWrite) {
		return app.ErrForbidden()
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var v app.Validation
		site, err := checkSite(ctx, tx, p, PermWrite, siteID, "site_id", &v)
		if err != nil {
			return err
		}
		var name string
		if v.Chosen("staff_id", staffID, "同工") {
			err := tx.QueryRowContext(ctx, `SELECT name FROM staff WHERE org_id = $1 AND id = $2 AND status = 'active'`,
				p.OrgID, staffID).Scan(&name)
			if err != nil {
				v.Add("staff_id", "请选择有效的同工")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO volunteer_managers (org_id, site_id, staff_id, since) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id, site_id, staff_id) DO NOTHING`, p.OrgID, siteID, staffID, s.today())
		if err != nil {
			return fmt.Errorf("volunteers: add manager: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflictField("staff_id", "%s 已是%s的志愿者管理员", name, site)
		}
		return s.writeAudit(ctx, tx, p, "volunteer_manager.add", "site", siteID, site+" 志愿者管理员 "+name)
	})
}

// RemoveManager ends a staff member's role as volunteer manager.
func (s *Service) RemoveManager(ctx context.Context, p *authz.Principal, siteID, staffID int64) error {
	if !p.Can(PermWrite) {
		return app.ErrForbidden()
	}
	if siteID == 0 || staffID == 0 {
		return app.Errorf(app.EInvalid, "请选择要移除的志愿者管理员")
	}
	if !p.Scope(PermWrite).Allows(siteObj(p.OrgID, siteID)) {
		return app.ErrNotFound("志愿者管理员")
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM volunteer_managers WHERE org_id = $1 AND site_id = $2 AND staff_id = $3`,
			p.OrgID, siteID, staffID)
		if err != nil {
			return fmt.Errorf("volunteers: remove manager: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.ErrNotFound("志愿者管理员")
		}
		return s.writeAudit(ctx, tx, p, "volunteer_manager.remove", "site", siteID, fmt.Sprintf("同工 %d", staffID))
	})
}
