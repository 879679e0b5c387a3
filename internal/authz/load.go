package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/db"
)

// Loading a principal runs on every request, so it is two queries: the user
// with organization and staff record, then roles, current service points and
// current supervisees together.
const (
	sqlLoadUser = `SELECT u.id, u.org_id, o.kind, o.name, u.username, u.display_name, u.must_change_password,
		COALESCE(st.id, 0), COALESCE(st.department_id, 0)
		FROM users u JOIN organizations o ON o.id = u.org_id
		LEFT JOIN staff st ON st.org_id = u.org_id AND st.user_id = u.id AND st.status = 'active'
		WHERE u.id = $1 AND u.status = 'active' AND o.status = 'active'`
	sqlLoadFacts = `SELECT 'r', role, 0 FROM user_roles WHERE org_id = $1 AND user_id = $2
		UNION ALL
		SELECT 's', '', site_id FROM staff_assignments
		WHERE org_id = $1 AND staff_id = $3 AND start_date <= $4 AND (end_date IS NULL OR end_date >= $4)
		UNION ALL
		SELECT 'v', '', supervisee_id FROM supervisor_links
		WHERE org_id = $1 AND supervisor_id = $3 AND start_date <= $4 AND (end_date IS NULL OR end_date >= $4)`
)

// Load builds the principal of an active user as of today.
func Load(ctx context.Context, q db.Querier, userID int64, today app.Date) (*Principal, error) {
	p := &Principal{}
	var dept int64
	err := q.QueryRowContext(ctx, sqlLoadUser, userID).Scan(&p.UserID, &p.OrgID, &p.OrgKind, &p.OrgName,
		&p.Username, &p.DisplayName, &p.MustChange, &p.StaffID, &dept)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.EUnauthorized, "账号不存在或已停用")
	}
	if err != nil {
		return nil, fmt.Errorf("authz: load user: %w", err)
	}
	if dept != 0 {
		p.DeptIDs = []int64{dept}
	}
	rows, err := q.QueryContext(ctx, sqlLoadFacts, p.OrgID, userID, p.StaffID, today)
	if err != nil {
		return nil, fmt.Errorf("authz: load roles and scope: %w", err)
	}
	defer rows.Close()
	seenSite, seenSupee := map[int64]bool{}, map[int64]bool{}
	for rows.Next() {
		var kind, role string
		var id int64
		if err := rows.Scan(&kind, &role, &id); err != nil {
			return nil, err
		}
		switch kind {
		case "r":
			p.Roles = append(p.Roles, Role(role))
		case "s":
			if !seenSite[id] {
				seenSite[id] = true
				p.SiteIDs = append(p.SiteIDs, id)
			}
		case "v":
			if !seenSupee[id] {
				seenSupee[id] = true
				p.Supervisees = append(p.Supervisees, id)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortIDs(p.SiteIDs)
	sortIDs(p.Supervisees)
	sortRoles(p.Roles)
	return p, nil
}
