package load

import (
	"context"
	"database/sql"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/db"
)

// user is one signed-in account of the run and what it may read and write.
type user struct {
	Username string
	UserID   int64
	StaffID  int64
	SiteID   int64
	Cookie   string

	CaseID int64   // a case of theirs to open
	Open   []cases // open cases with their goals, for follow-ups
	Group  int64   // a group they lead, to read
	Groups []group // running groups they lead, for sessions
	Vols   []int64 // volunteers of their service point, for service hours
}

type cases struct {
	ID    int64
	Goals []int64
}

type group struct {
	ID      int64
	Members []int64
}

// plan picks the accounts of the run from the database: the supervisors
// with the most supervisees (a fifth of the sessions) and the workers with
// the most live cases, with the records they act on.
func plan(ctx context.Context, d *db.DB, orgID int64, n int, today app.Date) ([]*user, error) {
	supervisors := max(1, n/5)
	var users []*user
	add := func(query string, limit int, args ...any) error {
		rows, err := d.R.QueryContext(ctx, query, append(args, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u := &user{}
			if err := rows.Scan(&u.Username, &u.UserID, &u.StaffID, &u.SiteID); err != nil {
				return err
			}
			dup := false
			for _, o := range users {
				dup = dup || o.UserID == u.UserID
			}
			if !dup {
				users = append(users, u)
			}
		}
		return rows.Err()
	}
	const site = `COALESCE((SELECT MIN(a.site_id) FROM staff_assignments a WHERE a.org_id = s.org_id AND a.staff_id = s.id
		AND a.start_date <= $2 AND (a.end_date IS NULL OR a.end_date >= $2)), 0)`
	if err := add(`SELECT u.username, u.id, s.id, `+site+` FROM supervisor_links l
		JOIN staff s ON s.org_id = l.org_id AND s.id = l.supervisor_id
		JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id AND u.status = 'active' AND NOT u.must_change_password
		WHERE l.org_id = $1 AND l.start_date <= $2 AND (l.end_date IS NULL OR l.end_date >= $2)
		GROUP BY u.username, u.id, s.id, s.org_id ORDER BY COUNT(*) DESC, u.id LIMIT $3`, supervisors, orgID, today); err != nil {
		return nil, fmt.Errorf("load: supervisors: %w", err)
	}
	if err := add(`SELECT u.username, u.id, s.id, `+site+` FROM staff s
		JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id AND u.status = 'active' AND NOT u.must_change_password
		JOIN user_roles r ON r.org_id = u.org_id AND r.user_id = u.id AND r.role = 'worker'
		WHERE s.org_id = $1 AND s.status = 'active'
		ORDER BY (SELECT COUNT(*) FROM cases c WHERE c.org_id = s.org_id AND c.worker_id = s.id AND c.state = 'open') DESC, u.id LIMIT $3`,
		n, orgID, today); err != nil {
		return nil, fmt.Errorf("load: workers: %w", err)
	}
	if len(users) > n {
		users = users[:n]
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("load: the organization has no active supervisor or worker accounts")
	}
	for _, u := range users {
		if err := u.records(ctx, d.R, orgID, today); err != nil {
			return nil, err
		}
	}
	return users, nil
}

func ids(ctx context.Context, q db.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// records finds what u reads and writes: up to 20 open cases with goals,
// up to 5 running groups with members, up to 50 volunteers of their site.
func (u *user) records(ctx context.Context, q *sql.DB, orgID int64, today app.Date) error {
	open, err := ids(ctx, q, `SELECT c.id FROM cases c WHERE c.org_id = $1 AND c.worker_id = $2 AND c.state = 'open'
		AND c.opened_on <= $3 ORDER BY c.id LIMIT 20`, orgID, u.StaffID, today)
	if err != nil {
		return fmt.Errorf("load: cases of %s: %w", u.Username, err)
	}
	for _, id := range open {
		goals, err := ids(ctx, q, `SELECT id FROM case_goals WHERE org_id = $1 AND case_id = $2 ORDER BY seq, id`, orgID, id)
		if err != nil {
			return fmt.Errorf("load: goals: %w", err)
		}
		u.Open = append(u.Open, cases{ID: id, Goals: goals})
	}
	any, err := ids(ctx, q, `SELECT c.id FROM cases c WHERE c.org_id = $1 AND c.worker_id = $2 ORDER BY c.state = 'open' DESC, c.id LIMIT 1`,
		orgID, u.StaffID)
	if err != nil {
		return err
	}
	if len(any) > 0 {
		u.CaseID = any[0]
	}
	groups, err := ids(ctx, q, `SELECT g.id FROM groups g WHERE g.org_id = $1 AND g.leader_id = $2 AND g.status <> 'finished'
		AND EXISTS (SELECT 1 FROM group_members m WHERE m.org_id = g.org_id AND m.group_id = g.id AND m.left_on IS NULL)
		ORDER BY g.id DESC LIMIT 5`, orgID, u.StaffID)
	if err != nil {
		return fmt.Errorf("load: groups of %s: %w", u.Username, err)
	}
	for _, id := range groups {
		members, err := ids(ctx, q, `SELECT id FROM group_members WHERE org_id = $1 AND group_id = $2 AND left_on IS NULL
			AND joined_on <= $3 ORDER BY id`, orgID, id, today)
		if err != nil {
			return err
		}
		if len(members) > 0 {
			u.Groups = append(u.Groups, group{ID: id, Members: members})
		}
	}
	led, err := ids(ctx, q, `SELECT g.id FROM groups g WHERE g.org_id = $1 AND g.leader_id = $2 ORDER BY g.id DESC LIMIT 1`, orgID, u.StaffID)
	if err != nil {
		return err
	}
	if len(led) > 0 {
		u.Group = led[0]
	}
	if u.SiteID != 0 {
		if u.Vols, err = ids(ctx, q, `SELECT id FROM volunteers WHERE org_id = $1 AND site_id = $2 AND status = 'active' ORDER BY id LIMIT 50`,
			orgID, u.SiteID); err != nil {
			return fmt.Errorf("load: volunteers: %w", err)
		}
	}
	return nil
}
