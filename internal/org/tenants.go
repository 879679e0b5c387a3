package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Organization is a tenant with aggregate counts only: the platform
// operator never sees an organization's people.
type Organization struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	Sites     int       `json:"sites"`
	Staff     int       `json:"staff"`
	Users     int       `json:"users"`
}

// OrgInput creates an organization with its first administrator.
type OrgInput struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	AdminUsername string `json:"admin_username"`
	AdminName     string `json:"admin_name"`
	AdminPassword string `json:"admin_password,omitempty"`
}

var orgCodeRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// CreateOrganization adds a tenant and its organization administrator. Only
// platform operators may; the admin's initial password is returned.
func (s *Service) CreateOrganization(ctx context.Context, p *authz.Principal, in OrgInput) (int64, string, error) {
	if !p.Scope(PermPlatformOrgs).Has(authz.Platform) {
		return 0, "", app.ErrForbidden()
	}
	var id int64
	var pw string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, pw, err = s.createOrganization(ctx, tx, p, in)
		return err
	})
	return id, pw, err
}

func (s *Service) createOrganization(ctx context.Context, tx *sql.Tx, p *authz.Principal, in OrgInput) (int64, string, error) {
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	var v app.Validation
	if v.Required("code", in.Code, "机构代码") && !orgCodeRE.MatchString(in.Code) {
		v.Add("code", "机构代码须以小写字母开头，由2–32位小写字母、数字或横线组成")
	}
	if v.Required("name", in.Name, "机构名称") {
		v.MaxLen("name", in.Name, "机构名称", 80)
	}
	v.Required("admin_username", in.AdminUsername, "管理员用户名")
	v.Required("admin_name", in.AdminName, "管理员姓名")
	if err := v.Err(); err != nil {
		return 0, "", err
	}
	now := s.Now().UTC()
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO organizations (code, name, kind, status, created_at)
		VALUES ($1, $2, 'agency', 'active', $3) RETURNING id`, in.Code, in.Name, now).Scan(&id)
	if err != nil {
		if db.IsUniqueViolation(err) {
			e := app.Errorf(app.EConflict, "机构代码 %s 已存在", in.Code)
			e.Fields = map[string]string{"code": e.Message}
			return 0, "", e
		}
		return 0, "", fmt.Errorf("org: insert organization: %w", err)
	}
	_, pw, err := s.createUser(ctx, tx, p, id, false, UserInput{Username: in.AdminUsername, DisplayName: in.AdminName,
		Password: in.AdminPassword, Roles: []authz.Role{authz.RoleOrgAdmin}}, true)
	if err != nil {
		var ae *app.Error
		if errors.As(err, &ae) && ae.Fields != nil {
			// Point the messages at the organization form's field names.
			f := map[string]string{}
			for k, m := range ae.Fields {
				switch k {
				case "username":
					k = "admin_username"
				case "display_name":
					k = "admin_name"
				case "password":
					k = "admin_password"
				}
				f[k] = m
			}
			ae.Fields = f
		}
		return 0, "", err
	}
	e := audit.Entry{OrgID: id, At: now, Action: "org.create", ObjectType: "organization",
		ObjectID: strconv.FormatInt(id, 10), Detail: in.Code + " " + in.Name}
	if p != nil {
		e.UserID, e.Username = p.UserID, p.Username
		pe := e
		pe.OrgID = p.OrgID
		if err := audit.Write(ctx, tx, pe); err != nil {
			return 0, "", err
		}
	}
	if err := audit.Write(ctx, tx, e); err != nil {
		return 0, "", err
	}
	return id, pw, nil
}

// ListOrganizations lists tenants with aggregate counts, for the platform.
func (s *Service) ListOrganizations(ctx context.Context, p *authz.Principal) ([]Organization, error) {
	if !p.Scope(PermPlatformOrgs).Has(authz.Platform) {
		return nil, app.ErrForbidden()
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT o.id, o.code, o.name, o.status, o.created_at,
		(SELECT COUNT(*) FROM sites s WHERE s.org_id = o.id AND s.status = 'active'),
		(SELECT COUNT(*) FROM staff st WHERE st.org_id = o.id AND st.status = 'active'),
		(SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.status = 'active')
		FROM organizations o WHERE o.kind = 'agency' ORDER BY o.code`)
	if err != nil {
		return nil, fmt.Errorf("org: list organizations: %w", err)
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		var o Organization
		if err := rows.Scan(&o.ID, &o.Code, &o.Name, &o.Status, &o.CreatedAt, &o.Sites, &o.Staff, &o.Users); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// BootstrapPlatform creates the first platform operator when there is none.
// It returns the username and initial password when it created one.
func (s *Service) BootstrapPlatform(ctx context.Context, username string) (string, string, error) {
	var n int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_roles WHERE org_id = 1 AND role = $1`,
		string(authz.RolePlatformOperator)).Scan(&n); err != nil {
		return "", "", err
	}
	if n > 0 {
		return "", "", nil
	}
	var pw string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// Instances starting together on an empty database all get here:
		// the platform organization's row serializes them, and the first
		// creates the operator while the others find it made.
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET status = status WHERE id = 1`); err != nil {
			return fmt.Errorf("org: lock platform: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_roles WHERE org_id = 1 AND role = $1`,
			string(authz.RolePlatformOperator)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		var err error
		_, pw, err = s.createUser(ctx, tx, nil, 1, true, UserInput{Username: username, DisplayName: "平台管理员",
			Roles: []authz.Role{authz.RolePlatformOperator}}, true)
		return err
	})
	if err != nil || pw == "" {
		return "", "", err
	}
	return username, pw, nil
}

// CreateOrganizationTx is used by the demo loader to create a tenant inside
// its own transaction (p may be nil for the system itself).
func (s *Service) CreateOrganizationTx(ctx context.Context, tx *sql.Tx, in OrgInput) (int64, string, error) {
	return s.createOrganization(ctx, tx, nil, in)
}

// CreateUserTx adds an account inside tx (for the demo loader and imports).
func (s *Service) CreateUserTx(ctx context.Context, tx *sql.Tx, orgID int64, in UserInput, mustChange bool) (int64, string, error) {
	return s.createUser(ctx, tx, nil, orgID, false, in, mustChange)
}
