package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/db"
)

const (
	sqlLoadUser = `SELECT u.id, u.org_id, o.kind, o.name, u.username, u.display_name, u.must_change_password
		FROM users u JOIN organizations o ON o.id = u.org_id
		WHERE u.id = $1 AND u.status = 'active' AND o.status = 'active'`
	sqlLoadRoles = `SELECT role FROM user_roles WHERE org_id = $1 AND user_id = $2 ORDER BY role`
	sqlLoadStaff = `SELECT id, COALESCE(department_id, 0) FROM staff
		WHERE org_id = $1 AND user_id = $2 AND status = 'active'`
	sqlLoadSites = `SELECT DISTINCT site_id FROM staff_assignments
		WHERE org_id = $1 AND staff_id = $2 AND start_date <= $3 AND (end_date IS NULL OR end_date >= $3)
		ORDER BY site_id`
	sqlLoadSupervisees = `SELECT DISTINCT supervisee_id FROM supervisor_links
		WHERE org_id = $1 AND supervisor_id = $2 AND start_date <= $3 AND (end_date IS NULL OR end_date >= $3)
		ORDER BY supervisee_id`
)

// Load builds the principal of an active user as of today.
func Load(ctx context.Context, q db.Querier, userID int64, today app.Date) (*Principal, error) {
	p := &Principal{}
	err := q.QueryRowContext(ctx, sqlLoadUser, userID).Scan(&p.UserID, &p.OrgID, &p.OrgKind, &p.OrgName,
		&p.Username, &p.DisplayName, &p.MustChange)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.EUnauthorized, "账号不存在或已停用")
	}
	if err != nil {
		return nil, fmt.Errorf("authz: load user: %w", err)
	}
	rows, err := q.QueryContext(ctx, sqlLoadRoles, p.OrgID, userID)
	if err != nil {
		return nil, fmt.Errorf("authz: load roles: %w", err)
	}
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return nil, err
		}
		p.Roles = append(p.Roles, r)
	}
	rows.Close()
	var dept int64
	err = q.QueryRowContext(ctx, sqlLoadStaff, p.OrgID, userID).Scan(&p.StaffID, &dept)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("authz: load staff: %w", err)
	}
	if dept != 0 {
		p.DeptIDs = []int64{dept}
	}
	if p.StaffID == 0 {
		return p, nil
	}
	if p.SiteIDs, err = ids(ctx, q, sqlLoadSites, p.OrgID, p.StaffID, today); err != nil {
		return nil, fmt.Errorf("authz: load sites: %w", err)
	}
	if p.Supervisees, err = ids(ctx, q, sqlLoadSupervisees, p.OrgID, p.StaffID, today); err != nil {
		return nil, fmt.Errorf("authz: load supervisees: %w", err)
	}
	return p, nil
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
