package approval

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Rule chooses the users who decide a step, by role and by relation to the
// request. It is resolved when the step becomes current, so it follows
// transfers, new supervisors and role changes up to that moment.
type Rule interface {
	// Resolve returns the ids of the active users who may decide, as of on.
	Resolve(ctx context.Context, q db.Querier, s Subject, on app.Date) ([]int64, error)
	// Describe names the approvers in Chinese, e.g. "中心负责人（服务点：北岸）".
	Describe(s Subject) string
}

const sqlSupervisorsOf = `SELECT DISTINCT u.id FROM supervisor_links l
	JOIN staff st ON st.org_id = l.org_id AND st.id = l.supervisor_id
	JOIN users u ON u.org_id = st.org_id AND u.id = st.user_id
	WHERE l.org_id = $1 AND l.supervisee_id = $2
	AND l.start_date <= $3 AND (l.end_date IS NULL OR l.end_date >= $3)
	AND st.status = 'active' AND u.status = 'active'
	ORDER BY u.id`

// SupervisorOf is the users whose staff member currently supervises the
// submitter's staff member (supervisor_links).
func SupervisorOf() Rule { return supervisorOf{} }

type supervisorOf struct{}

func (supervisorOf) Resolve(ctx context.Context, q db.Querier, s Subject, on app.Date) ([]int64, error) {
	if s.SubmitterStaffID == 0 {
		return nil, nil
	}
	return userIDs(ctx, q, sqlSupervisorsOf, s.OrgID, s.SubmitterStaffID, on)
}

func (supervisorOf) Describe(Subject) string { return "申请人的督导" }

const sqlSiteRole = `SELECT DISTINCT u.id FROM user_roles r
	JOIN users u ON u.org_id = r.org_id AND u.id = r.user_id
	JOIN staff st ON st.org_id = u.org_id AND st.user_id = u.id
	JOIN staff_assignments sa ON sa.org_id = st.org_id AND sa.staff_id = st.id
	WHERE r.org_id = $1 AND r.role = $2 AND sa.site_id = $3
	AND sa.start_date <= $4 AND (sa.end_date IS NULL OR sa.end_date >= $4)
	AND st.status = 'active' AND u.status = 'active'
	ORDER BY u.id`

// SiteRole is the users holding role who are currently assigned to the
// request's service point, e.g. the centre head or the centre's finance clerk.
func SiteRole(role authz.Role) Rule { return siteRole{role} }

type siteRole struct{ role authz.Role }

func (r siteRole) Resolve(ctx context.Context, q db.Querier, s Subject, on app.Date) ([]int64, error) {
	if s.SiteID == 0 {
		return nil, nil
	}
	return userIDs(ctx, q, sqlSiteRole, s.OrgID, string(r.role), s.SiteID, on)
}

func (r siteRole) Describe(s Subject) string {
	if s.SiteID == 0 {
		return authz.RoleName(r.role) + "（未指定服务点）"
	}
	return fmt.Sprintf("%s（服务点：%s）", authz.RoleName(r.role), s.SiteName)
}

const sqlOrgRole = `SELECT DISTINCT u.id FROM user_roles r
	JOIN users u ON u.org_id = r.org_id AND u.id = r.user_id
	WHERE r.org_id = $1 AND r.role = $2 AND u.status = 'active'
	ORDER BY u.id`

// OrgRole is every active user of the organization holding role, e.g. the
// director or the accountant. Department heads are roles of this kind
// (authz.RoleFinanceHead…), so they need no rule of their own.
func OrgRole(role authz.Role) Rule { return orgRole{role} }

type orgRole struct{ role authz.Role }

func (r orgRole) Resolve(ctx context.Context, q db.Querier, s Subject, _ app.Date) ([]int64, error) {
	return userIDs(ctx, q, sqlOrgRole, s.OrgID, string(r.role))
}

func (r orgRole) Describe(Subject) string { return authz.RoleName(r.role) }

// FirstOf is the first rule that yields someone other than the submitter, for
// escalation: the centre head, or the director when the submitter is the
// centre head.
func FirstOf(rules ...Rule) Rule { return firstOf(rules) }

type firstOf []Rule

func (f firstOf) Resolve(ctx context.Context, q db.Querier, s Subject, on app.Date) ([]int64, error) {
	for _, r := range f {
		ids, err := r.Resolve(ctx, q, s, on)
		if err != nil {
			return nil, err
		}
		if len(withoutUser(ids, s.SubmitterID)) > 0 {
			return ids, nil
		}
	}
	return nil, nil
}

func (f firstOf) Describe(s Subject) string {
	names := make([]string, len(f))
	for i, r := range f {
		names[i] = r.Describe(s)
	}
	return strings.Join(names, "或")
}

func withoutUser(ids []int64, user int64) []int64 {
	return slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id == user })
}

func userIDs(ctx context.Context, q db.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("approval: resolve approvers: %w", err)
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
