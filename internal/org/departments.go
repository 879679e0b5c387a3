package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Kinds of department (SPEC O2).
const (
	DeptAdmin   = "admin"
	DeptService = "service"
	DeptFinance = "finance"
	DeptOther   = "other"
)

// DeptKindOrder lists the kinds of department in display order.
var DeptKindOrder = []string{DeptAdmin, DeptService, DeptFinance, DeptOther}

// DeptKindName is the Chinese name of a kind of department.
func DeptKindName(kind string) string {
	switch kind {
	case DeptAdmin:
		return "行政部"
	case DeptService:
		return "服务部"
	case DeptFinance:
		return "财务部"
	case DeptOther:
		return "其他"
	}
	return kind
}

// Dept is a department (行政部, 服务部, 财务部 …) with the duties of its
// middle managers (中层职责).
type Dept struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	KindName   string `json:"kind_name"`
	Duties     string `json:"duties"`
	Status     string `json:"status"`
	StaffCount int    `json:"staff_count"` // active staff in the department
	OrgID      int64  `json:"-"`
}

func (d *Dept) obj() authz.Obj { return authz.Obj{OrgID: d.OrgID, DeptID: d.ID} }

// DeptInput creates or edits a department.
type DeptInput struct {
	Name   string `json:"name"`
	Kind   string `json:"kind" doc:"类别：admin 行政部、service 服务部、finance 财务部、other 其他"`
	Duties string `json:"duties" doc:"中层职责，最多4000字"`
}

// DeptFilter narrows the department list.
type DeptFilter struct {
	Kind   string
	Status string
}

func (in *DeptInput) check(v *app.Validation) {
	in.Name = strings.TrimSpace(in.Name)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Duties = strings.TrimSpace(in.Duties)
	if v.Required("name", in.Name, "部门名称") {
		v.MaxLen("name", in.Name, "部门名称", 40)
	}
	if v.Required("kind", in.Kind, "部门类别") {
		v.OneOf("kind", in.Kind, "部门类别", DeptKindOrder...)
	}
	v.MaxLen("duties", in.Duties, "中层职责", 4000)
}

const (
	sqlDeptColumns = `d.id, d.org_id, d.name, d.kind, d.duties, d.status,
		(SELECT COUNT(*) FROM staff st WHERE st.org_id = d.org_id AND st.department_id = d.id AND st.status = 'active')`
	sqlInsertDept    = `INSERT INTO departments (org_id, name, kind, duties, status) VALUES ($1, $2, $3, $4, 'active') RETURNING id`
	sqlUpdateDept    = `UPDATE departments SET name = $3, kind = $4, duties = $5 WHERE org_id = $1 AND id = $2`
	sqlSetDeptStatus = `UPDATE departments SET status = $3 WHERE org_id = $1 AND id = $2`
	sqlDeptNameTaken = `SELECT COUNT(*) FROM departments WHERE org_id = $1 AND id <> $2 AND name = $3`
)

func scanDept(sc interface{ Scan(...any) error }, d *Dept) error {
	if err := sc.Scan(&d.ID, &d.OrgID, &d.Name, &d.Kind, &d.Duties, &d.Status, &d.StaffCount); err != nil {
		return err
	}
	d.KindName = DeptKindName(d.Kind)
	return nil
}

// ListDepartments lists the departments of p's organization. Sort keys:
// name, kind, staff.
func (s *Service) ListDepartments(ctx context.Context, p *authz.Principal, f DeptFilter, q app.ListQuery) ([]Dept, int, error) {
	sc := p.Scope(PermDeptRead)
	if !sc.Any() {
		return nil, 0, app.ErrForbidden()
	}
	var v app.Validation
	if f.Kind != "" {
		v.OneOf("kind", f.Kind, "部门类别", DeptKindOrder...)
	}
	if f.Status != "" {
		v.OneOf("status", f.Status, "状态", StatusActive, StatusInactive)
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var args app.Args
	where := "d.org_id = " + args.Add(p.OrgID) + " AND " + sc.SQL(authz.Cols{Org: "d.org_id", Dept: "d.id"}, args.Add)
	if f.Kind != "" {
		where += " AND d.kind = " + args.Add(f.Kind)
	}
	if f.Status != "" {
		where += " AND d.status = " + args.Add(f.Status)
	}
	if q.Q != "" {
		like := args.Add(db.Like(q.Q))
		op := " " + s.DB.ILike() + " "
		where += " AND (d.name" + op + like + ` ESCAPE '\' OR d.duties` + op + like + ` ESCAPE '\')`
	}
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM departments d WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("org: count departments: %w", err)
	}
	order := q.OrderBy(map[string]string{"name": "d.name", "kind": "d.kind", "staff": "7"}, "kind", "d.id")
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlDeptColumns+" FROM departments d WHERE "+where+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list departments: %w", err)
	}
	defer rows.Close()
	var out []Dept
	for rows.Next() {
		var d Dept
		if err := scanDept(rows, &d); err != nil {
			return nil, 0, err
		}
		out = append(out, d)
	}
	return out, total, rows.Err()
}

func (s *Service) getDept(ctx context.Context, q db.Querier, orgID, id int64) (*Dept, error) {
	var d Dept
	err := scanDept(q.QueryRowContext(ctx, "SELECT "+sqlDeptColumns+" FROM departments d WHERE d.org_id = $1 AND d.id = $2",
		orgID, id), &d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("部门")
	}
	if err != nil {
		return nil, fmt.Errorf("org: get department: %w", err)
	}
	return &d, nil
}

// GetDepartment returns one department of p's organization.
func (s *Service) GetDepartment(ctx context.Context, p *authz.Principal, id int64) (*Dept, error) {
	if p == nil {
		return nil, app.ErrNotFound("部门")
	}
	d, err := s.getDept(ctx, s.DB.R, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(PermDeptRead).Allows(d.obj()) {
		return nil, app.ErrNotFound("部门")
	}
	return d, nil
}

// CanWriteDept reports whether p may edit departments.
func CanWriteDept(p *authz.Principal) bool { return p.Scope(PermDeptWrite).Has(authz.Org) }

func deptNameTaken(ctx context.Context, tx *sql.Tx, orgID, id int64, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, sqlDeptNameTaken, orgID, id, name).Scan(&n); err != nil {
		return fmt.Errorf("org: check department name: %w", err)
	}
	if n > 0 {
		return conflictOn(map[string]string{"name": "部门「" + name + "」已存在"})
	}
	return nil
}

// CreateDepartment adds a department.
func (s *Service) CreateDepartment(ctx context.Context, p *authz.Principal, in DeptInput) (int64, error) {
	if !CanWriteDept(p) {
		return 0, app.ErrForbidden()
	}
	var v app.Validation
	in.check(&v)
	if err := v.Err(); err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := deptNameTaken(ctx, tx, p.OrgID, 0, in.Name); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, sqlInsertDept, p.OrgID, in.Name, in.Kind, in.Duties).Scan(&id)
		if db.IsUniqueViolation(err) {
			return conflictOn(map[string]string{"name": "部门「" + in.Name + "」已存在"})
		}
		if err != nil {
			return fmt.Errorf("org: insert department: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "dept.create", ObjectType: "dept", ObjectID: strconv.FormatInt(id, 10),
			Detail: in.Name + "（" + DeptKindName(in.Kind) + "）"})
	})
	return id, err
}

// UpdateDepartment edits a department's name, kind and duties.
func (s *Service) UpdateDepartment(ctx context.Context, p *authz.Principal, id int64, in DeptInput) error {
	if !CanWriteDept(p) {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.getDept(ctx, tx, p.OrgID, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.check(&v)
		if err := v.Err(); err != nil {
			return err
		}
		if err := deptNameTaken(ctx, tx, p.OrgID, id, in.Name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, sqlUpdateDept, p.OrgID, id, in.Name, in.Kind, in.Duties)
		if db.IsUniqueViolation(err) {
			return conflictOn(map[string]string{"name": "部门「" + in.Name + "」已存在"})
		}
		if err != nil {
			return fmt.Errorf("org: update department: %w", err)
		}
		var d changes
		d.Add("名称", old.Name, in.Name)
		d.Add("类别", DeptKindName(old.Kind), DeptKindName(in.Kind))
		d.Note("中层职责", old.Duties != in.Duties)
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "dept.update", ObjectType: "dept", ObjectID: strconv.FormatInt(id, 10), Detail: d.String()})
	})
}

// SetDepartmentActive deactivates or reactivates a department. A department
// that still has active staff cannot be deactivated.
func (s *Service) SetDepartmentActive(ctx context.Context, p *authz.Principal, id int64, active bool) error {
	if !CanWriteDept(p) {
		return app.ErrForbidden()
	}
	status, action := StatusInactive, "dept.deactivate"
	if active {
		status, action = StatusActive, "dept.activate"
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		d, err := s.getDept(ctx, tx, p.OrgID, id)
		if err != nil {
			return err
		}
		if d.Status == status {
			return nil
		}
		if !active && d.StaffCount > 0 {
			return app.Errorf(app.EConflict, "该部门仍有 %d 名在职同工，请先调整他们的部门后再停用", d.StaffCount)
		}
		if _, err := tx.ExecContext(ctx, sqlSetDeptStatus, p.OrgID, id, status); err != nil {
			return fmt.Errorf("org: set department status: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: action, ObjectType: "dept", ObjectID: strconv.FormatInt(id, 10), Detail: d.Name})
	})
}

// DeptMember is an active staff member of a department.
type DeptMember struct {
	StaffID    int64  `json:"staff_id"`
	EmployeeNo string `json:"employee_no"`
	Name       string `json:"name"`
	Title      string `json:"title"`
}

// DepartmentMembers lists the department's active staff that p may see
// under the staff-record permission; nil when p may not read staff records.
func (s *Service) DepartmentMembers(ctx context.Context, p *authz.Principal, id int64) ([]DeptMember, error) {
	if _, err := s.GetDepartment(ctx, p, id); err != nil {
		return nil, err
	}
	sc := p.Scope(PermStaffRead)
	if !sc.Any() {
		return nil, nil
	}
	var args app.Args
	org, dept := args.Add(p.OrgID), args.Add(id)
	where := sc.SQL(authz.Cols{Org: "st.org_id", Owner: "st.id", Dept: "st.department_id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT st.id, st.employee_no, st.name, st.title FROM staff st
		WHERE st.org_id = `+org+` AND st.department_id = `+dept+` AND st.status = 'active' AND `+where+
		` ORDER BY st.employee_no`, args...)
	if err != nil {
		return nil, fmt.Errorf("org: department members: %w", err)
	}
	defer rows.Close()
	out := []DeptMember{}
	for rows.Next() {
		var m DeptMember
		if err := rows.Scan(&m.StaffID, &m.EmployeeNo, &m.Name, &m.Title); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// DepartmentHistory is the change timeline of a department, newest first.
func (s *Service) DepartmentHistory(ctx context.Context, p *authz.Principal, id int64) ([]Change, error) {
	if _, err := s.GetDepartment(ctx, p, id); err != nil {
		return nil, err
	}
	return s.history(ctx, p.OrgID, "dept", id)
}
