package org

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/auth"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// User is an account as the admin pages show it.
type User struct {
	ID          int64        `json:"id"`
	OrgID       int64        `json:"org_id"`
	Username    string       `json:"username"`
	DisplayName string       `json:"display_name"`
	Status      string       `json:"status"`
	MustChange  bool         `json:"must_change_password"`
	Roles       []authz.Role `json:"roles"`
	StaffID     int64        `json:"staff_id,omitempty"`
	StaffName   string       `json:"staff_name,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
}

// UserInput creates or edits an account.
type UserInput struct {
	Username    string       `json:"username"`
	DisplayName string       `json:"display_name"`
	Password    string       `json:"password,omitempty"` // initial password; generated when blank
	Roles       []authz.Role `json:"roles"`
	StaffID     int64        `json:"staff_id,omitempty"` // link to a staff record
}

var usernameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]{2,31}$`)

func (in *UserInput) normalize() {
	in.Username = strings.TrimSpace(in.Username)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
}

func validateRoles(v *app.Validation, roles []authz.Role, platform bool) {
	if len(roles) == 0 {
		v.Add("roles", "请至少选择一个角色")
		return
	}
	for _, r := range roles {
		if !authz.ValidRole(r) {
			v.Add("roles", "角色无效："+string(r))
			return
		}
		if (r == authz.RolePlatformOperator) != platform {
			v.Add("roles", "角色「"+authz.RoleName(r)+"」不能用于此机构")
			return
		}
	}
}

// GeneratePassword returns a random initial password that is easy to read
// out (no 0/O, 1/l).
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

const (
	sqlInsertUser = `INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) RETURNING id`
	sqlInsertRole = `INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, $3)`
	sqlLinkStaff  = `UPDATE staff SET user_id = $3, updated_at = $4 WHERE org_id = $1 AND id = $2 AND user_id IS NULL`
)

// CreateUser adds an account to p's organization. The password is the
// initial one, to be changed at first sign-in; it is generated when blank
// and returned so the admin can hand it over.
func (s *Service) CreateUser(ctx context.Context, p *authz.Principal, in UserInput) (int64, string, error) {
	if !p.Scope(PermUserAdmin).Has(authz.Org) {
		return 0, "", app.ErrForbidden()
	}
	var id int64
	var pw string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, pw, err = s.createUser(ctx, tx, p, p.OrgID, false, in, true)
		return err
	})
	return id, pw, err
}

// createUser inserts an account in orgID; actor is audited.
func (s *Service) createUser(ctx context.Context, tx *sql.Tx, actor *authz.Principal, orgID int64, platform bool, in UserInput, mustChange bool) (int64, string, error) {
	in.normalize()
	var v app.Validation
	if v.Required("username", in.Username, "用户名") && !usernameRE.MatchString(in.Username) {
		v.Add("username", "用户名须以字母开头，由3–32位字母、数字、下划线、点或横线组成")
	}
	if v.Required("display_name", in.DisplayName, "姓名") {
		v.MaxLen("display_name", in.DisplayName, "姓名", 40)
	}
	validateRoles(&v, in.Roles, platform)
	if in.Password == "" {
		in.Password = GeneratePassword()
	} else if _, err := auth.CheckNewPassword(ctx, tx, &v, "password", orgID, 0, in.Username, in.Password); err != nil {
		return 0, "", err
	}
	if err := v.Err(); err != nil {
		return 0, "", err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return 0, "", err
	}
	now := s.Now().UTC()
	var id int64
	if err := tx.QueryRowContext(ctx, sqlInsertUser, orgID, in.Username, in.DisplayName, hash, mustChange, now).Scan(&id); err != nil {
		if db.IsUniqueViolation(err) {
			e := app.Errorf(app.EConflict, "用户名 %s 已被使用", in.Username)
			e.Fields = map[string]string{"username": e.Message}
			return 0, "", e
		}
		return 0, "", fmt.Errorf("org: insert user: %w", err)
	}
	if err := auth.RecordPassword(ctx, tx, orgID, id, hash, now); err != nil {
		return 0, "", err
	}
	roles := slices.Clone(in.Roles)
	slices.Sort(roles)
	roles = slices.Compact(roles)
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, sqlInsertRole, orgID, id, string(r)); err != nil {
			return 0, "", fmt.Errorf("org: insert role: %w", err)
		}
	}
	if in.StaffID != 0 {
		res, err := tx.ExecContext(ctx, sqlLinkStaff, orgID, in.StaffID, id, now)
		if err != nil {
			return 0, "", fmt.Errorf("org: link staff: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			e := app.Errorf(app.EInvalid, "所选同工不存在或已有账号")
			e.Fields = map[string]string{"staff_id": e.Message}
			return 0, "", e
		}
	}
	e := audit.Entry{OrgID: orgID, At: now, Action: "user.create", ObjectType: "user",
		ObjectID: strconv.FormatInt(id, 10), Detail: in.Username + " " + joinRoles(roles)}
	if actor != nil {
		e.UserID, e.Username = actor.UserID, actor.Username
		if actor.OrgID != orgID {
			e.Detail += "（由平台创建）"
		}
	}
	if err := audit.Write(ctx, tx, e); err != nil {
		return 0, "", err
	}
	return id, in.Password, nil
}

func joinRoles(rs []authz.Role) string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r))
	}
	return strings.Join(out, ",")
}

// SetRoles replaces an account's roles. Nobody changes their own roles.
func (s *Service) SetRoles(ctx context.Context, p *authz.Principal, userID int64, roles []authz.Role) error {
	if !p.Scope(PermUserAdmin).Has(authz.Org) {
		return app.ErrForbidden()
	}
	if userID == p.UserID {
		return app.Errorf(app.EForbidden, "不能修改自己的角色")
	}
	// The account must exist in the caller's organization before its input
	// is judged, so another organization's account is simply not found.
	var username string
	err := s.DB.R.QueryRowContext(ctx, `SELECT username FROM users WHERE org_id = $1 AND id = $2`, p.OrgID, userID).Scan(&username)
	if errors.Is(err, sql.ErrNoRows) {
		return app.ErrNotFound("账号")
	}
	if err != nil {
		return err
	}
	var v app.Validation
	validateRoles(&v, roles, false)
	if err := v.Err(); err != nil {
		return err
	}
	now := s.Now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE org_id = $1 AND user_id = $2`, p.OrgID, userID); err != nil {
			return err
		}
		rs := slices.Clone(roles)
		slices.Sort(rs)
		rs = slices.Compact(rs)
		for _, r := range rs {
			if _, err := tx.ExecContext(ctx, sqlInsertRole, p.OrgID, userID, string(r)); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "user.roles", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10),
			Detail: username + " → " + joinRoles(rs)})
	})
}

// ResetPassword sets a new random initial password that must be changed at
// the next sign-in, ends the account's sessions and returns the password.
func (s *Service) ResetPassword(ctx context.Context, p *authz.Principal, userID int64) (string, error) {
	if !p.Scope(PermUserAdmin).Has(authz.Org) {
		return "", app.ErrForbidden()
	}
	if userID == p.UserID {
		return "", app.Errorf(app.EForbidden, "请在「修改密码」中修改自己的密码")
	}
	pw := GeneratePassword()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return "", err
	}
	now := s.Now().UTC()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $3, must_change_password = TRUE, updated_at = $4
			WHERE org_id = $1 AND id = $2`, p.OrgID, userID, hash, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.ErrNotFound("账号")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2
			AND revoked_at IS NULL`, p.OrgID, userID, now); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "user.password_reset", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10)})
	})
	return pw, err
}

// SetUserActive enables or disables an account; disabling ends its sessions.
func (s *Service) SetUserActive(ctx context.Context, p *authz.Principal, userID int64, active bool) error {
	if !p.Scope(PermUserAdmin).Has(authz.Org) {
		return app.ErrForbidden()
	}
	if userID == p.UserID {
		return app.Errorf(app.EForbidden, "不能停用自己的账号")
	}
	status, action := "disabled", "user.disable"
	if active {
		status, action = "active", "user.enable"
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET status = $3, updated_at = $4 WHERE org_id = $1 AND id = $2`,
			p.OrgID, userID, status, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.ErrNotFound("账号")
		}
		if !active {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2
				AND revoked_at IS NULL`, p.OrgID, userID, now); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: action, ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10)})
	})
}

// UserFilter filters the account list.
type UserFilter struct {
	Role   authz.Role
	Status string
}

// ListUsers lists the accounts of p's organization.
func (s *Service) ListUsers(ctx context.Context, p *authz.Principal, f UserFilter, q app.ListQuery) ([]User, int, error) {
	if !p.Scope(PermUserAdmin).Has(authz.Org) {
		return nil, 0, app.ErrForbidden()
	}
	var args app.Args
	where := "u.org_id = " + args.Add(p.OrgID)
	if f.Status != "" {
		where += " AND u.status = " + args.Add(f.Status)
	}
	if f.Role != "" {
		where += " AND EXISTS (SELECT 1 FROM user_roles r WHERE r.org_id = u.org_id AND r.user_id = u.id AND r.role = " + args.Add(string(f.Role)) + ")"
	}
	if q.Q != "" {
		like := args.Add(db.Like(q.Q))
		where += " AND (u.username LIKE " + like + ` ESCAPE '\' OR u.display_name LIKE ` + like + ` ESCAPE '\')`
	}
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM users u WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("org: count users: %w", err)
	}
	order := q.OrderBy(map[string]string{"username": "u.username", "name": "u.display_name", "created": "u.created_at"}, "username", "u.id")
	rows, err := s.DB.R.QueryContext(ctx, `SELECT u.id, u.org_id, u.username, u.display_name, u.status, u.must_change_password,
		u.created_at, COALESCE(st.id, 0), COALESCE(st.name, '')
		FROM users u LEFT JOIN staff st ON st.org_id = u.org_id AND st.user_id = u.id
		WHERE `+where+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.OrgID, &u.Username, &u.DisplayName, &u.Status, &u.MustChange, &u.CreatedAt,
			&u.StaffID, &u.StaffName); err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.loadRoles(ctx, p.OrgID, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func (s *Service) loadRoles(ctx context.Context, orgID int64, users []User) error {
	if len(users) == 0 {
		return nil
	}
	idx := map[int64]int{}
	ids := make([]string, len(users))
	for i, u := range users {
		idx[u.ID] = i
		ids[i] = strconv.FormatInt(u.ID, 10)
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT user_id, role FROM user_roles WHERE org_id = $1 AND user_id IN (`+
		strings.Join(ids, ",")+`) ORDER BY role`, orgID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r authz.Role
		if err := rows.Scan(&id, &r); err != nil {
			return err
		}
		users[idx[id]].Roles = append(users[idx[id]].Roles, r)
	}
	return rows.Err()
}

// GetUser returns one account of p's organization.
func (s *Service) GetUser(ctx context.Context, p *authz.Principal, id int64) (*User, error) {
	if !p.Scope(PermUserAdmin).Has(authz.Org) {
		return nil, app.ErrForbidden()
	}
	var u User
	err := s.DB.R.QueryRowContext(ctx, `SELECT u.id, u.org_id, u.username, u.display_name, u.status, u.must_change_password,
		u.created_at, COALESCE(st.id, 0), COALESCE(st.name, '')
		FROM users u LEFT JOIN staff st ON st.org_id = u.org_id AND st.user_id = u.id
		WHERE u.org_id = $1 AND u.id = $2`, p.OrgID, id).Scan(&u.ID, &u.OrgID, &u.Username, &u.DisplayName, &u.Status,
		&u.MustChange, &u.CreatedAt, &u.StaffID, &u.StaffName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("账号")
	}
	if err != nil {
		return nil, err
	}
	us := []User{u}
	if err := s.loadRoles(ctx, p.OrgID, us); err != nil {
		return nil, err
	}
	return &us[0], nil
}
