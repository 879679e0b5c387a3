package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/tally"
)

// Assignment is one period of a staff member at a service point (任职/派驻).
type Assignment struct {
	ID           int64    `json:"id"`
	StaffID      int64    `json:"staff_id"`
	SiteID       int64    `json:"site_id"`
	SiteName     string   `json:"site_name"`
	Position     string   `json:"position"`
	PositionName string   `json:"position_name"`
	StartDate    app.Date `json:"start_date"`
	EndDate      app.Date `json:"end_date"` // zero while open
	Note         string   `json:"note"`
	Current      bool     `json:"current"` // covers today
}

// AssignInput assigns or transfers a staff member to a service point.
type AssignInput struct {
	SiteID    int64    `json:"site_id"`
	Position  string   `json:"position"`
	StartDate app.Date `json:"start_date"`
	Note      string   `json:"note"`
}

// Validate checks the input without touching the database.
func (in AssignInput) Validate() error {
	var v app.Validation
	in.validate(&v)
	return v.Err()
}

func (in *AssignInput) validate(v *app.Validation) {
	in.Position = strings.TrimSpace(in.Position)
	in.Note = strings.TrimSpace(in.Note)
	v.Chosen("site_id", in.SiteID, "服务点")
	if in.Position == "" {
		v.Add("position", "请选择岗位")
	} else {
		v.OneOf("position", in.Position, "岗位", termCodes(StaffPositions)...)
	}
	if in.StartDate.IsZero() {
		v.Add("start_date", "开始日期不能为空")
	}
	v.MaxLen("note", in.Note, "备注", 200)
}

func fieldError(code app.Code, field, msg string) error {
	e := app.Errorf(code, "%s", msg)
	e.Fields = map[string]string{field: msg}
	return e
}

// AssignStaff puts a staff member at a service point from in.StartDate. A
// transfer ends the open assignment on the day before and starts the new one
// in the same transaction, so the history has no gap and no overlap.
func (s *Service) AssignStaff(ctx context.Context, p *authz.Principal, staffID int64, in AssignInput) (int64, error) {
	if !p.Scope(PermStaffWrite).Any() || p.IsPlatform() {
		return 0, app.ErrForbidden()
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.staffForWrite(ctx, tx, p, staffID)
		if err != nil {
			return err
		}
		var v app.Validation
		in.validate(&v)
		if err := v.Err(); err != nil {
			return err
		}
		if f.Status != "active" {
			return app.Errorf(app.EConflict, "%s 已离职，不能派驻", f.Name)
		}
		if !f.HireDate.IsZero() && in.StartDate.Before(f.HireDate) {
			return fieldError(app.EInvalid, "start_date", "开始日期不能早于入职日期 "+f.HireDate.String())
		}
		if err := checkActiveSite(ctx, tx, p.OrgID, in.SiteID, "site_id", &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		var (
			openID, openSite int64
			openPos          string
			openStart        app.Date
		)
		err = tx.QueryRowContext(ctx, `SELECT id, site_id, position, start_date FROM staff_assignments
			WHERE org_id = $1 AND staff_id = $2 AND end_date IS NULL`, p.OrgID, staffID).Scan(&openID, &openSite, &openPos, &openStart)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("org: open assignment: %w", err)
		}
		action, detail := "staff.assign", fmt.Sprintf("%s 派驻服务点 %d（%s）自 %s", f.Name, in.SiteID, PositionName(in.Position), in.StartDate)
		if openID != 0 {
			if openSite == in.SiteID && openPos == in.Position {
				return fieldError(app.EConflict, "site_id", "与当前任职的服务点和岗位相同，无需调动")
			}
			if !in.StartDate.After(openStart) {
				return fieldError(app.EInvalid, "start_date", "调动日期须晚于当前任职的开始日期 "+openStart.String())
			}
			if _, err := tx.ExecContext(ctx, `UPDATE staff_assignments SET end_date = $3 WHERE org_id = $1 AND id = $2`,
				p.OrgID, openID, in.StartDate.AddDays(-1)); err != nil {
				return fmt.Errorf("org: end assignment: %w", err)
			}
			action = "staff.transfer"
			detail = fmt.Sprintf("%s 由服务点 %d（%s）调至服务点 %d（%s），自 %s", f.Name, openSite, PositionName(openPos),
				in.SiteID, PositionName(in.Position), in.StartDate)
		} else {
			// A closed period may not overlap the new one.
			var overlap int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_assignments WHERE org_id = $1 AND staff_id = $2
				AND end_date >= $3`, p.OrgID, staffID, in.StartDate).Scan(&overlap); err != nil {
				return err
			}
			if overlap > 0 {
				return fieldError(app.EInvalid, "start_date", "开始日期与以往任职期间重叠，请选择更晚的日期")
			}
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO staff_assignments (org_id, staff_id, site_id, position, start_date, note)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, p.OrgID, staffID, in.SiteID, in.Position, in.StartDate, in.Note).Scan(&id)
		if db.IsUniqueViolation(err) {
			return app.Errorf(app.EConflict, "任职记录已被他人修改，请刷新页面后重试")
		}
		if err != nil {
			return fmt.Errorf("org: insert assignment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET updated_at = $3, version = version + 1 WHERE org_id = $1 AND id = $2`,
			p.OrgID, staffID, now); err != nil {
			return err
		}
		return staffAudit(ctx, tx, p, now, action, "staff", staffID, detail)
	})
	return id, err
}

// EndAssignment ends the open assignment with end as its last day, without
// a new one (for example when someone moves to head-office work).
func (s *Service) EndAssignment(ctx context.Context, p *authz.Principal, staffID int64, end app.Date) error {
	if !p.Scope(PermStaffWrite).Any() || p.IsPlatform() {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.staffForWrite(ctx, tx, p, staffID)
		if err != nil {
			return err
		}
		if end.IsZero() {
			return fieldError(app.EInvalid, "end_date", "结束日期不能为空")
		}
		var openID int64
		var start app.Date
		err = tx.QueryRowContext(ctx, `SELECT id, start_date FROM staff_assignments WHERE org_id = $1 AND staff_id = $2
			AND end_date IS NULL`, p.OrgID, staffID).Scan(&openID, &start)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.EConflict, "%s 当前没有派驻的服务点", f.Name)
		}
		if err != nil {
			return err
		}
		if end.Before(start) {
			return fieldError(app.EInvalid, "end_date", "结束日期不能早于开始日期 "+start.String())
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_assignments SET end_date = $3 WHERE org_id = $1 AND id = $2`,
			p.OrgID, openID, end); err != nil {
			return err
		}
		return staffAudit(ctx, tx, p, now, "staff.assignment_end", "staff", staffID, f.Name+" 结束派驻，最后一天 "+end.String())
	})
}

func (s *Service) staffAssignments(ctx context.Context, orgID, staffID int64, today app.Date) ([]Assignment, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT a.id, a.staff_id, a.site_id, s.name, a.position, a.start_date, a.end_date, a.note
		FROM staff_assignments a JOIN sites s ON s.org_id = a.org_id AND s.id = a.site_id
		WHERE a.org_id = $1 AND a.staff_id = $2 ORDER BY a.start_date DESC, a.id DESC`, orgID, staffID)
	if err != nil {
		return nil, fmt.Errorf("org: assignments: %w", err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		var a Assignment
		if err := rows.Scan(&a.ID, &a.StaffID, &a.SiteID, &a.SiteName, &a.Position, &a.StartDate, &a.EndDate, &a.Note); err != nil {
			return nil, err
		}
		a.PositionName = PositionName(a.Position)
		a.Current = !a.StartDate.After(today) && (a.EndDate.IsZero() || !a.EndDate.Before(today))
		out = append(out, a)
	}
	return out, rows.Err()
}

// SupervisorLink is one period of supervision (督导关系).
type SupervisorLink struct {
	ID             int64    `json:"id"`
	SupervisorID   int64    `json:"supervisor_id"`
	SupervisorName string   `json:"supervisor_name"`
	SuperviseeID   int64    `json:"supervisee_id"`
	SuperviseeName string   `json:"supervisee_name"`
	StartDate      app.Date `json:"start_date"`
	EndDate        app.Date `json:"end_date"`
	Current        bool     `json:"current"`
}

// SupervisorInput names a staff member's supervisor from a date.
type SupervisorInput struct {
	SupervisorID int64    `json:"supervisor_id"`
	StartDate    app.Date `json:"start_date"`
}

// Validate checks the input without touching the database.
func (in SupervisorInput) Validate(superviseeID int64) error {
	var v app.Validation
	in.validate(&v, superviseeID)
	return v.Err()
}

func (in SupervisorInput) validate(v *app.Validation, superviseeID int64) {
	if v.Chosen("supervisor_id", in.SupervisorID, "督导") && in.SupervisorID == superviseeID {
		v.Add("supervisor_id", "不能指定本人为自己的督导")
	}
	if in.StartDate.IsZero() {
		v.Add("start_date", "开始日期不能为空")
	}
}

// SetSupervisor makes in.SupervisorID the supervisor of superviseeID from
// in.StartDate. The previous link ends the day before; history is kept.
func (s *Service) SetSupervisor(ctx context.Context, p *authz.Principal, superviseeID int64, in SupervisorInput) error {
	if !p.Scope(PermStaffWrite).Any() || p.IsPlatform() {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.staffForWrite(ctx, tx, p, superviseeID)
		if err != nil {
			return err
		}
		var v app.Validation
		in.validate(&v, superviseeID)
		if err := v.Err(); err != nil {
			return err
		}
		if f.Status != "active" {
			return app.Errorf(app.EConflict, "%s 已离职，不能指定督导", f.Name)
		}
		var supName string
		err = tx.QueryRowContext(ctx, `SELECT name FROM staff WHERE org_id = $1 AND id = $2 AND status = 'active'`,
			p.OrgID, in.SupervisorID).Scan(&supName)
		if errors.Is(err, sql.ErrNoRows) {
			return fieldError(app.EInvalid, "supervisor_id", "督导须为本机构的在职同工")
		}
		if err != nil {
			return err
		}
		var (
			openID, openSup int64
			openStart       app.Date
		)
		err = tx.QueryRowContext(ctx, `SELECT id, supervisor_id, start_date FROM supervisor_links
			WHERE org_id = $1 AND supervisee_id = $2 AND end_date IS NULL`, p.OrgID, superviseeID).Scan(&openID, &openSup, &openStart)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("org: open supervisor link: %w", err)
		}
		detail := fmt.Sprintf("%s 的督导：%s，自 %s", f.Name, supName, in.StartDate)
		if openID != 0 {
			if openSup == in.SupervisorID {
				return fieldError(app.EConflict, "supervisor_id", supName+" 已是当前督导")
			}
			if !in.StartDate.After(openStart) {
				return fieldError(app.EInvalid, "start_date", "开始日期须晚于当前督导关系的开始日期 "+openStart.String())
			}
			if _, err := tx.ExecContext(ctx, `UPDATE supervisor_links SET end_date = $3 WHERE org_id = $1 AND id = $2`,
				p.OrgID, openID, in.StartDate.AddDays(-1)); err != nil {
				return fmt.Errorf("org: end supervisor link: %w", err)
			}
			detail += fmt.Sprintf("（接替同工 %d）", openSup)
		} else {
			var overlap int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM supervisor_links WHERE org_id = $1 AND supervisee_id = $2
				AND end_date >= $3`, p.OrgID, superviseeID, in.StartDate).Scan(&overlap); err != nil {
				return err
			}
			if overlap > 0 {
				return fieldError(app.EInvalid, "start_date", "开始日期与以往督导关系重叠，请选择更晚的日期")
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO supervisor_links (org_id, supervisor_id, supervisee_id, start_date)
			VALUES ($1, $2, $3, $4)`, p.OrgID, in.SupervisorID, superviseeID, in.StartDate)
		if db.IsUniqueViolation(err) {
			return app.Errorf(app.EConflict, "督导关系已被他人修改，请刷新页面后重试")
		}
		if err != nil {
			return fmt.Errorf("org: insert supervisor link: %w", err)
		}
		return staffAudit(ctx, tx, p, now, "staff.supervisor", "staff", superviseeID, detail)
	})
}

// EndSupervision ends a staff member's open supervisor link with end as its
// last day.
func (s *Service) EndSupervision(ctx context.Context, p *authz.Principal, superviseeID int64, end app.Date) error {
	if !p.Scope(PermStaffWrite).Any() || p.IsPlatform() {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.staffForWrite(ctx, tx, p, superviseeID)
		if err != nil {
			return err
		}
		if end.IsZero() {
			return fieldError(app.EInvalid, "end_date", "结束日期不能为空")
		}
		var openID int64
		var start app.Date
		err = tx.QueryRowContext(ctx, `SELECT id, start_date FROM supervisor_links WHERE org_id = $1 AND supervisee_id = $2
			AND end_date IS NULL`, p.OrgID, superviseeID).Scan(&openID, &start)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.EConflict, "%s 当前没有督导", f.Name)
		}
		if err != nil {
			return err
		}
		if end.Before(start) {
			return fieldError(app.EInvalid, "end_date", "结束日期不能早于开始日期 "+start.String())
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supervisor_links SET end_date = $3 WHERE org_id = $1 AND id = $2`,
			p.OrgID, openID, end); err != nil {
			return err
		}
		return staffAudit(ctx, tx, p, now, "staff.supervisor_end", "staff", superviseeID, f.Name+" 的督导关系结束于 "+end.String())
	})
}

// supervisorLinks lists links matching cond ($2 is the staff id); current
// restricts to links that cover today.
func (s *Service) supervisorLinks(ctx context.Context, orgID int64, cond string, staffID int64, today app.Date, current bool) ([]SupervisorLink, error) {
	q := `SELECT l.id, l.supervisor_id, a.name, l.supervisee_id, b.name, l.start_date, l.end_date
		FROM supervisor_links l
		JOIN staff a ON a.org_id = l.org_id AND a.id = l.supervisor_id
		JOIN staff b ON b.org_id = l.org_id AND b.id = l.supervisee_id
		WHERE l.org_id = $1 AND ` + cond
	args := []any{orgID, staffID}
	if current {
		q += ` AND l.start_date <= $3 AND (l.end_date IS NULL OR l.end_date >= $3) ORDER BY b.employee_no`
		args = append(args, today)
	} else {
		q += ` ORDER BY l.start_date DESC, l.id DESC`
	}
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("org: supervisor links: %w", err)
	}
	defer rows.Close()
	var out []SupervisorLink
	for rows.Next() {
		var l SupervisorLink
		if err := rows.Scan(&l.ID, &l.SupervisorID, &l.SupervisorName, &l.SuperviseeID, &l.SuperviseeName, &l.StartDate, &l.EndDate); err != nil {
			return nil, err
		}
		l.Current = !l.StartDate.After(today) && (l.EndDate.IsZero() || !l.EndDate.Before(today))
		out = append(out, l)
	}
	return out, rows.Err()
}

// Certificate is a qualification certificate of a staff member.
type Certificate struct {
	ID        int64    `json:"id"`
	Kind      string   `json:"kind"`
	KindName  string   `json:"kind_name"`
	Number    string   `json:"number"`
	IssuedOn  app.Date `json:"issued_on"`
	ExpiresOn app.Date `json:"expires_on"`
}

// CertificateInput adds a certificate.
type CertificateInput struct {
	Kind      string   `json:"kind"`
	Number    string   `json:"number"`
	IssuedOn  app.Date `json:"issued_on"`
	ExpiresOn app.Date `json:"expires_on"`
}

// Validate checks the input without touching the database.
func (in CertificateInput) Validate() error {
	var v app.Validation
	in.validate(&v)
	return v.Err()
}

func (in *CertificateInput) validate(v *app.Validation) {
	in.Kind = strings.TrimSpace(in.Kind)
	in.Number = strings.TrimSpace(in.Number)
	if in.Kind == "" {
		v.Add("kind", "请选择证书类别")
	} else {
		v.OneOf("kind", in.Kind, "证书类别", termCodes(CertificateKinds)...)
	}
	v.MaxLen("number", in.Number, "证书编号", 50)
	if !in.IssuedOn.IsZero() && !in.ExpiresOn.IsZero() && in.ExpiresOn.Before(in.IssuedOn) {
		v.Add("expires_on", "有效期至不能早于发证日期")
	}
}

// AddCertificate records a qualification certificate.
func (s *Service) AddCertificate(ctx context.Context, p *authz.Principal, staffID int64, in CertificateInput) (int64, error) {
	if !p.Scope(PermStaffWrite).Any() || p.IsPlatform() {
		return 0, app.ErrForbidden()
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.staffForWrite(ctx, tx, p, staffID)
		if err != nil {
			return err
		}
		var v app.Validation
		in.validate(&v)
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO staff_certificates (org_id, staff_id, kind, number, issued_on, expires_on)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, p.OrgID, staffID, in.Kind, in.Number, in.IssuedOn, in.ExpiresOn).Scan(&id); err != nil {
			return fmt.Errorf("org: insert certificate: %w", err)
		}
		return staffAudit(ctx, tx, p, now, "staff.certificate_add", "staff", staffID,
			f.Name+" 新增证书："+CertificateKindName(in.Kind)+" "+in.Number)
	})
	return id, err
}

// RemoveCertificate deletes a certificate recorded by mistake.
func (s *Service) RemoveCertificate(ctx context.Context, p *authz.Principal, staffID, certID int64) error {
	if !p.Scope(PermStaffWrite).Any() || p.IsPlatform() {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.staffForWrite(ctx, tx, p, staffID)
		if err != nil {
			return err
		}
		var kind, number string
		err = tx.QueryRowContext(ctx, `DELETE FROM staff_certificates WHERE org_id = $1 AND staff_id = $2 AND id = $3
			RETURNING kind, number`, p.OrgID, staffID, certID).Scan(&kind, &number)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("证书")
		}
		if err != nil {
			return fmt.Errorf("org: delete certificate: %w", err)
		}
		return staffAudit(ctx, tx, p, now, "staff.certificate_remove", "staff", staffID,
			f.Name+" 删除证书："+CertificateKindName(kind)+" "+number)
	})
}

func (s *Service) staffCertificates(ctx context.Context, orgID, staffID int64) ([]Certificate, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, kind, number, issued_on, expires_on FROM staff_certificates
		WHERE org_id = $1 AND staff_id = $2 ORDER BY issued_on DESC, id DESC`, orgID, staffID)
	if err != nil {
		return nil, fmt.Errorf("org: certificates: %w", err)
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		var c Certificate
		if err := rows.Scan(&c.ID, &c.Kind, &c.Number, &c.IssuedOn, &c.ExpiresOn); err != nil {
			return nil, err
		}
		c.KindName = CertificateKindName(c.Kind)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LinkStaffUser links an existing account of the organization to a staff
// member, so that the account's scope follows the person's assignments.
// Account administrators only.
func (s *Service) LinkStaffUser(ctx context.Context, p *authz.Principal, staffID, userID int64) error {
	if !p.Scope(PermUserAdmin).Has(authz.Org) || p.IsPlatform() {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := loadStaffFacts(ctx, tx, p.OrgID, staffID, app.Today(s.Now()))
		if err != nil {
			return err
		}
		if userID <= 0 {
			return fieldError(app.EInvalid, "user_id", "请选择账号")
		}
		if f.UserID != 0 {
			return app.Errorf(app.EConflict, "%s 已关联账号", f.Name)
		}
		var username string
		err = tx.QueryRowContext(ctx, `SELECT u.username FROM users u WHERE u.org_id = $1 AND u.id = $2
			AND NOT EXISTS (SELECT 1 FROM staff st WHERE st.org_id = u.org_id AND st.user_id = u.id)`, p.OrgID, userID).Scan(&username)
		if errors.Is(err, sql.ErrNoRows) {
			return fieldError(app.EInvalid, "user_id", "所选账号不存在或已关联其他同工")
		}
		if err != nil {
			return err
		}
		// Volunteer service counts by the worker of the recorder's account.
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Recorder(userID))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE staff SET user_id = $3, updated_at = $4, version = version + 1
			WHERE org_id = $1 AND id = $2`, p.OrgID, staffID, userID, now)
		if db.IsUniqueViolation(err) {
			return fieldError(app.EConflict, "user_id", "所选账号已关联其他同工")
		}
		if err != nil {
			return fmt.Errorf("org: link account: %w", err)
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		return staffAudit(ctx, tx, p, now, "staff.link_user", "staff", staffID, f.Name+" 关联账号 "+username)
	})
}

// UnlinkStaffUser removes the link between a staff member and an account;
// the account itself stays as it is.
func (s *Service) UnlinkStaffUser(ctx context.Context, p *authz.Principal, staffID int64) error {
	if !p.Scope(PermUserAdmin).Has(authz.Org) || p.IsPlatform() {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := loadStaffFacts(ctx, tx, p.OrgID, staffID, app.Today(s.Now()))
		if err != nil {
			return err
		}
		if f.UserID == 0 {
			return app.Errorf(app.EConflict, "%s 没有关联账号", f.Name)
		}
		if f.UserID == p.UserID {
			return app.Errorf(app.EConflict, "不能解除自己账号的关联，请由其他管理员办理")
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Recorder(f.UserID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff SET user_id = NULL, updated_at = $3, version = version + 1
			WHERE org_id = $1 AND id = $2`, p.OrgID, staffID, now); err != nil {
			return fmt.Errorf("org: unlink account: %w", err)
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		return staffAudit(ctx, tx, p, now, "staff.unlink_user", "staff", staffID, fmt.Sprintf("%s 解除关联账号 %d", f.Name, f.UserID))
	})
}
