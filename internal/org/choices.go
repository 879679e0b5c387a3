package org

import (
	"context"
	"fmt"

	"shegong/internal/authz"
)

// The option lists below feed the select boxes of the staff and account
// forms. They return names only (no personal data) for the caller's own
// organization; a platform principal gets nothing.

const (
	sqlSiteOptions    = `SELECT id, name FROM sites WHERE org_id = $1 AND status = 'active' ORDER BY code, name`
	sqlDeptOptions    = `SELECT id, name FROM departments WHERE org_id = $1 AND status = 'active' ORDER BY name`
	sqlDomainOpts     = `SELECT id, name FROM domains WHERE org_id = $1 ORDER BY name`
	sqlStaffNoAccount = `SELECT id, employee_no || ' ' || name FROM staff
		WHERE org_id = $1 AND status = 'active' AND user_id IS NULL ORDER BY employee_no`
	sqlActiveStaff = `SELECT id, employee_no || ' ' || name FROM staff
		WHERE org_id = $1 AND status = 'active' ORDER BY employee_no`
	sqlUnlinkedUsers = `SELECT u.id, u.username || ' ' || u.display_name FROM users u
		WHERE u.org_id = $1 AND u.status = 'active'
		  AND NOT EXISTS (SELECT 1 FROM staff st WHERE st.org_id = u.org_id AND st.user_id = u.id)
		ORDER BY u.username`
)

// SiteOptions lists the active service points of p's organization.
func (s *Service) SiteOptions(ctx context.Context, p *authz.Principal) ([]struct {
	ID   int64
	Name string
}, error) {
	return s.options(ctx, p, sqlSiteOptions)
}

// DepartmentOptions lists the active departments of p's organization.
func (s *Service) DepartmentOptions(ctx context.Context, p *authz.Principal) ([]struct {
	ID   int64
	Name string
}, error) {
	return s.options(ctx, p, sqlDeptOptions)
}

// DomainOptions lists the service domains (领域) of p's organization.
func (s *Service) DomainOptions(ctx context.Context, p *authz.Principal) ([]struct {
	ID   int64
	Name string
}, error) {
	return s.options(ctx, p, sqlDomainOpts)
}

// StaffWithoutAccountOptions lists active staff members who have no account
// yet, for linking a new account. Only account administrators may ask.
func (s *Service) StaffWithoutAccountOptions(ctx context.Context, p *authz.Principal) ([]struct {
	ID   int64
	Name string
}, error) {
	if !p.Scope(PermUserAdmin).Has(authz.Org) {
		return nil, nil
	}
	return s.options(ctx, p, sqlStaffNoAccount)
}

// ActiveStaffOptions lists the active staff members of p's organization
// (employee number and name), for choosing a supervisor. Only those who
// maintain staff records may ask.
func (s *Service) ActiveStaffOptions(ctx context.Context, p *authz.Principal) ([]struct {
	ID   int64
	Name string
}, error) {
	if !p.Can(PermStaffWrite) {
		return nil, nil
	}
	return s.options(ctx, p, sqlActiveStaff)
}

// UnlinkedUserOptions lists active accounts not yet linked to a staff
// member. Only account administrators may ask.
func (s *Service) UnlinkedUserOptions(ctx context.Context, p *authz.Principal) ([]struct {
	ID   int64
	Name string
}, error) {
	if !p.Scope(PermUserAdmin).Has(authz.Org) {
		return nil, nil
	}
	return s.options(ctx, p, sqlUnlinkedUsers)
}

func (s *Service) options(ctx context.Context, p *authz.Principal, query string) ([]struct {
	ID   int64
	Name string
}, error) {
	if p == nil || p.IsPlatform() {
		return nil, nil
	}
	rows, err := s.DB.R.QueryContext(ctx, query, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("org: options: %w", err)
	}
	defer rows.Close()
	var out []struct {
		ID   int64
		Name string
	}
	for rows.Next() {
		var o struct {
			ID   int64
			Name string
		}
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
