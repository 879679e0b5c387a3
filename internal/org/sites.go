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
	"shegong/internal/pii"
)

// Kinds of service point (SPEC O1).
const (
	SiteCentre  = "centre"
	SiteProject = "project"
	SitePost    = "post"
)

// SiteKindOrder lists the kinds in display order.
var SiteKindOrder = []string{SiteCentre, SiteProject, SitePost}

// SiteKindName is the Chinese name of a kind of service point.
func SiteKindName(kind string) string {
	switch kind {
	case SiteCentre:
		return "社区综合服务中心"
	case SiteProject:
		return "项目"
	case SitePost:
		return "岗位"
	}
	return kind
}

// Record statuses shared by service points and departments.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
)

// ActiveStatusName is the Chinese name of an active/inactive status.
func ActiveStatusName(status string) string {
	switch status {
	case StatusActive:
		return "启用"
	case StatusInactive:
		return "已停用"
	}
	return status
}

// ErrEditedElsewhere is the answer when a record changed since the editor
// loaded it (optimistic locking).
func ErrEditedElsewhere() *app.Error {
	return app.Errorf(app.EConflict, "该记录已被他人修改，请刷新后重试")
}

// ServicePoint is a service point (服务点): a community centre, a project or a post.
type ServicePoint struct {
	ID            int64     `json:"id"`
	Code          string    `json:"code"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind" doc:"类型：centre 社区综合服务中心、project 项目、post 岗位"`
	KindName      string    `json:"kind_name"`
	TownID        int64     `json:"town_id,omitempty"`
	TownName      string    `json:"town_name,omitempty"`
	PurchaserID   int64     `json:"purchaser_id,omitempty"`
	PurchaserName string    `json:"purchaser_name,omitempty"`
	Address       string    `json:"address"`
	Phone         string    `json:"phone" doc:"电话（已规范化，不含横线）"`
	Status        string    `json:"status" doc:"状态：active 启用、inactive 已停用"`
	StaffCount    int       `json:"staff_count" doc:"当前在岗同工人数"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Version       int64     `json:"version" doc:"版本号，修改时原样带回"`
	OrgID         int64     `json:"-"`
}

func (st *ServicePoint) obj() authz.Obj { return authz.Obj{OrgID: st.OrgID, SiteIDs: []int64{st.ID}} }

// SiteInput creates or edits a service point. Version is the version the
// editor loaded; an update with a stale version is refused.
type SiteInput struct {
	Code        string `json:"code" doc:"编号：字母、数字、横线或下划线，最多20字，机构内唯一"`
	Name        string `json:"name" doc:"名称，最多60字，机构内唯一"`
	Kind        string `json:"kind" doc:"类型：centre 社区综合服务中心、project 项目、post 岗位"`
	TownID      int64  `json:"town_id" doc:"镇街编号，0 表示不填"`
	PurchaserID int64  `json:"purchaser_id" doc:"用人单位编号，0 表示不填"`
	Address     string `json:"address"`
	Phone       string `json:"phone" doc:"手机或带区号的固话"`
	Version     int64  `json:"version,omitempty" doc:"修改时必填：读取时的版本号；他人已修改则返回 409"`
}

// SiteFilter narrows the service-point list.
type SiteFilter struct {
	Kind        string
	TownID      int64
	PurchaserID int64
	Status      string
}

var siteCodeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]*$`)

func (in *SiteInput) normalize() {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Address = strings.TrimSpace(in.Address)
	in.Phone = strings.TrimSpace(in.Phone)
}

func (in *SiteInput) check(v *app.Validation) {
	if v.Required("code", in.Code, "编号") && v.MaxLen("code", in.Code, "编号", 20) && !siteCodeRE.MatchString(in.Code) {
		v.Add("code", "编号只能由字母、数字、横线或下划线组成，例如 HJ-BA01")
	}
	if v.Required("name", in.Name, "名称") {
		v.MaxLen("name", in.Name, "名称", 60)
	}
	if v.Required("kind", in.Kind, "类型") {
		v.OneOf("kind", in.Kind, "服务点类型", SiteKindOrder...)
	}
	v.MaxLen("address", in.Address, "地址", 120)
	if in.Phone != "" {
		if err := pii.ValidatePhone(in.Phone); err != nil {
			v.Add("phone", err.Error())
		} else {
			in.Phone = pii.NormalizePhone(in.Phone)
		}
	}
	if in.TownID < 0 {
		v.Add("town_id", "请选择有效的镇街")
	}
	if in.PurchaserID < 0 {
		v.Add("purchaser_id", "请选择有效的用人单位")
	}
}

// FormatPhone shows a normalized phone number readably: landlines get a
// dash after the area code (0769-83212345); mobiles stay as they are.
func FormatPhone(p string) string {
	if len(p) < 10 || p[0] != '0' {
		return p
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return p
		}
	}
	area := 4
	if p[1] == '1' || p[1] == '2' {
		area = 3
	}
	return p[:area] + "-" + p[area:]
}

// CanWriteSite reports whether p may edit st and its contract years.
func CanWriteSite(p *authz.Principal, st *ServicePoint) bool {
	return p.Scope(PermSiteWrite).Allows(st.obj())
}

// CanReadContracts reports whether p may see st's contract years.
func CanReadContracts(p *authz.Principal, st *ServicePoint) bool {
	return p.Scope(PermContractRead).Allows(st.obj())
}

const (
	sqlSiteColumns = `s.id, s.org_id, s.code, s.name, s.kind, COALESCE(s.town_id, 0), COALESCE(t.name, ''),
		COALESCE(s.purchaser_id, 0), COALESCE(pu.name, ''), s.address, s.phone, s.status,
		s.created_at, s.updated_at, s.version`
	sqlSiteFrom = ` FROM sites s
		LEFT JOIN towns t ON t.org_id = s.org_id AND t.id = s.town_id
		LEFT JOIN purchasers pu ON pu.org_id = s.org_id AND pu.id = s.purchaser_id`
	// sqlSiteStaffCount counts the staff assigned to s today; %s is the
	// placeholder of today's date.
	sqlSiteStaffCount = `(SELECT COUNT(DISTINCT sa.staff_id) FROM staff_assignments sa
		JOIN staff st ON st.org_id = sa.org_id AND st.id = sa.staff_id
		WHERE sa.org_id = s.org_id AND sa.site_id = s.id AND st.status = 'active'
		  AND sa.start_date <= %[1]s AND (sa.end_date IS NULL OR sa.end_date >= %[1]s))`
	sqlInsertSite = `INSERT INTO sites (org_id, code, name, kind, town_id, purchaser_id, address, phone, status,
		created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $9, 1) RETURNING id`
	sqlUpdateSite = `UPDATE sites SET code = $3, name = $4, kind = $5, town_id = $6, purchaser_id = $7,
		address = $8, phone = $9, updated_at = $10, version = version + 1
		WHERE org_id = $1 AND id = $2 AND version = $11`
	sqlSetSiteStatus = `UPDATE sites SET status = $3, updated_at = $4, version = version + 1
		WHERE org_id = $1 AND id = $2 AND version = $5`
	sqlSiteDuplicates = `SELECT code, name FROM sites WHERE org_id = $1 AND id <> $2 AND (code = $3 OR name = $4)`
	sqlTownExists     = `SELECT COUNT(*) FROM towns WHERE org_id = $1 AND id = $2`
	sqlPurchaserExist = `SELECT COUNT(*) FROM purchasers WHERE org_id = $1 AND id = $2`
)

func scanSite(sc interface{ Scan(...any) error }, st *ServicePoint, extra ...any) error {
	dest := []any{&st.ID, &st.OrgID, &st.Code, &st.Name, &st.Kind, &st.TownID, &st.TownName,
		&st.PurchaserID, &st.PurchaserName, &st.Address, &st.Phone, &st.Status,
		&st.CreatedAt, &st.UpdatedAt, &st.Version}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return err
	}
	st.KindName = SiteKindName(st.Kind)
	return nil
}

// ListSites lists the service points in p's scope with the current staff
// count of each. Sort keys: code, name, kind, town.
func (s *Service) ListSites(ctx context.Context, p *authz.Principal, f SiteFilter, q app.ListQuery) ([]ServicePoint, int, error) {
	sc := p.Scope(PermSiteRead)
	if !sc.Any() {
		return nil, 0, app.ErrForbidden()
	}
	var v app.Validation
	if f.Kind != "" {
		v.OneOf("kind", f.Kind, "服务点类型", SiteKindOrder...)
	}
	if f.Status != "" {
		v.OneOf("status", f.Status, "状态", StatusActive, StatusInactive)
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	var args app.Args
	where := "s.org_id = " + args.Add(p.OrgID) + " AND " + sc.SQL(authz.Cols{Org: "s.org_id", Site: "s.id"}, args.Add)
	if f.Kind != "" {
		where += " AND s.kind = " + args.Add(f.Kind)
	}
	if f.TownID != 0 {
		where += " AND s.town_id = " + args.Add(f.TownID)
	}
	if f.PurchaserID != 0 {
		where += " AND s.purchaser_id = " + args.Add(f.PurchaserID)
	}
	if f.Status != "" {
		where += " AND s.status = " + args.Add(f.Status)
	}
	if q.Q != "" {
		like := args.Add(db.Like(q.Q))
		op := " " + s.DB.ILike() + " "
		where += " AND (s.code" + op + like + ` ESCAPE '\' OR s.name` + op + like + ` ESCAPE '\' OR s.address` + op + like + ` ESCAPE '\')`
	}
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM sites s WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("org: count sites: %w", err)
	}
	// Today's date goes last so that the count query above needs no unused parameter.
	today := args.Add(app.Today(s.Now()))
	order := q.OrderBy(map[string]string{"code": "s.code", "name": "s.name", "kind": "s.kind",
		"town": "COALESCE(t.name, '')"}, "code", "s.id")
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlSiteColumns+", "+fmt.Sprintf(sqlSiteStaffCount, today)+
		sqlSiteFrom+" WHERE "+where+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list sites: %w", err)
	}
	defer rows.Close()
	var out []ServicePoint
	for rows.Next() {
		var st ServicePoint
		if err := scanSite(rows, &st, &st.StaffCount); err != nil {
			return nil, 0, err
		}
		out = append(out, st)
	}
	return out, total, rows.Err()
}

// getSite reads one site of orgID without a scope check.
func (s *Service) getSite(ctx context.Context, q db.Querier, orgID, id int64) (*ServicePoint, error) {
	var args app.Args
	org, sid := args.Add(orgID), args.Add(id)
	today := args.Add(app.Today(s.Now()))
	var st ServicePoint
	err := scanSite(q.QueryRowContext(ctx, "SELECT "+sqlSiteColumns+", "+fmt.Sprintf(sqlSiteStaffCount, today)+
		sqlSiteFrom+" WHERE s.org_id = "+org+" AND s.id = "+sid, args...), &st, &st.StaffCount)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("服务点")
	}
	if err != nil {
		return nil, fmt.Errorf("org: get site: %w", err)
	}
	return &st, nil
}

// GetSite returns one service point in p's scope; anything else, including
// another organization's service point, is not found.
func (s *Service) GetSite(ctx context.Context, p *authz.Principal, id int64) (*ServicePoint, error) {
	if p == nil {
		return nil, app.ErrNotFound("服务点")
	}
	st, err := s.getSite(ctx, s.DB.R, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(PermSiteRead).Allows(st.obj()) {
		return nil, app.ErrNotFound("服务点")
	}
	return st, nil
}

// checkSiteRefs validates that the chosen town and purchaser belong to orgID.
func checkSiteRefs(ctx context.Context, tx *sql.Tx, orgID int64, in *SiteInput, v *app.Validation) error {
	for _, ref := range []struct {
		id         int64
		query, fld string
		msg        string
	}{
		{in.TownID, sqlTownExists, "town_id", "所选镇街不存在，请重新选择"},
		{in.PurchaserID, sqlPurchaserExist, "purchaser_id", "所选用人单位不存在，请重新选择"},
	} {
		if ref.id == 0 {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, ref.query, orgID, ref.id).Scan(&n); err != nil {
			return fmt.Errorf("org: check site reference: %w", err)
		}
		if n == 0 {
			v.Add(ref.fld, ref.msg)
		}
	}
	return nil
}

// siteDuplicates reports a conflict when another site of orgID has the same
// code or name.
func siteDuplicates(ctx context.Context, tx *sql.Tx, orgID, id int64, in *SiteInput) error {
	rows, err := tx.QueryContext(ctx, sqlSiteDuplicates, orgID, id, in.Code, in.Name)
	if err != nil {
		return fmt.Errorf("org: check site duplicates: %w", err)
	}
	defer rows.Close()
	fields := map[string]string{}
	for rows.Next() {
		var code, name string
		if err := rows.Scan(&code, &name); err != nil {
			return err
		}
		if code == in.Code {
			fields["code"] = "编号 " + in.Code + " 已被其他服务点使用"
		}
		if name == in.Name {
			fields["name"] = "名称「" + in.Name + "」已被其他服务点使用"
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return conflictOn(fields)
}

// conflictOn builds an EConflict error that points at fields, or nil.
func conflictOn(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	e := &app.Error{Code: app.EConflict, Fields: fields, Message: "名称或编号与已有记录重复"}
	if len(fields) == 1 {
		for _, m := range fields {
			e.Message = m
		}
	}
	return e
}

// uniqueField maps a unique violation that slipped past the pre-check (a
// concurrent insert) to the field it concerns.
func uniqueField(err error, msgs map[string]string) error {
	s := err.Error()
	for col, msg := range msgs {
		if strings.Contains(s, col) {
			return conflictOn(map[string]string{col: msg})
		}
	}
	return app.Errorf(app.EConflict, "与已有记录重复，请检查后重试")
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateSite adds a service point to p's organization.
func (s *Service) CreateSite(ctx context.Context, p *authz.Principal, in SiteInput) (int64, error) {
	if !p.Scope(PermSiteWrite).Has(authz.Org) {
		return 0, app.ErrForbidden()
	}
	in.normalize()
	var v app.Validation
	in.check(&v)
	if err := v.Err(); err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := checkSiteRefs(ctx, tx, p.OrgID, &in, &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := siteDuplicates(ctx, tx, p.OrgID, 0, &in); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, sqlInsertSite, p.OrgID, in.Code, in.Name, in.Kind, nullID(in.TownID),
			nullID(in.PurchaserID), in.Address, in.Phone, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return uniqueField(err, map[string]string{"code": "编号 " + in.Code + " 已被其他服务点使用",
				"name": "名称「" + in.Name + "」已被其他服务点使用"})
		}
		if err != nil {
			return fmt.Errorf("org: insert site: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "site.create", ObjectType: "site", ObjectID: strconv.FormatInt(id, 10),
			Detail: in.Code + " " + in.Name + "（" + SiteKindName(in.Kind) + "）"})
	})
	return id, err
}

// UpdateSite edits a service point. in.Version must be the version the
// editor loaded; when someone saved in between, the update is refused.
func (s *Service) UpdateSite(ctx context.Context, p *authz.Principal, id int64, in SiteInput) error {
	if !p.Can(PermSiteWrite) {
		return app.ErrForbidden()
	}
	in.normalize()
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// The record is checked first: one outside p's scope is not found,
		// whatever the input.
		old, err := s.writableSite(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.check(&v)
		if in.Version <= 0 {
			v.Add("version", "缺少版本号，请先读取记录再修改")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if old.Version != in.Version {
			return ErrEditedElsewhere()
		}
		if err := checkSiteRefs(ctx, tx, p.OrgID, &in, &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := siteDuplicates(ctx, tx, p.OrgID, id, &in); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, sqlUpdateSite, p.OrgID, id, in.Code, in.Name, in.Kind, nullID(in.TownID),
			nullID(in.PurchaserID), in.Address, in.Phone, now, in.Version)
		if db.IsUniqueViolation(err) {
			return uniqueField(err, map[string]string{"code": "编号 " + in.Code + " 已被其他服务点使用",
				"name": "名称「" + in.Name + "」已被其他服务点使用"})
		}
		if err != nil {
			return fmt.Errorf("org: update site: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrEditedElsewhere()
		}
		names, err := refNames(ctx, tx, p.OrgID, in.TownID, in.PurchaserID)
		if err != nil {
			return err
		}
		var d changes
		d.Add("编号", old.Code, in.Code)
		d.Add("名称", old.Name, in.Name)
		d.Add("类型", SiteKindName(old.Kind), SiteKindName(in.Kind))
		d.Add("镇街", old.TownName, names[0])
		d.Add("用人单位", old.PurchaserName, names[1])
		d.Add("地址", old.Address, in.Address)
		d.Add("电话", FormatPhone(old.Phone), FormatPhone(in.Phone))
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "site.update", ObjectType: "site", ObjectID: strconv.FormatInt(id, 10), Detail: d.String()})
	})
}

func refNames(ctx context.Context, tx *sql.Tx, orgID, townID, purchaserID int64) ([2]string, error) {
	var out [2]string
	if townID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT name FROM towns WHERE org_id = $1 AND id = $2`, orgID, townID).Scan(&out[0]); err != nil {
			return out, fmt.Errorf("org: town name: %w", err)
		}
	}
	if purchaserID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT name FROM purchasers WHERE org_id = $1 AND id = $2`, orgID, purchaserID).Scan(&out[1]); err != nil {
			return out, fmt.Errorf("org: purchaser name: %w", err)
		}
	}
	return out, nil
}

// writableSite reads a site inside tx for a change by p: a site p cannot
// even see is not found; one p sees but may not change is forbidden.
func (s *Service) writableSite(ctx context.Context, tx *sql.Tx, p *authz.Principal, id int64) (*ServicePoint, error) {
	st, err := s.getSite(ctx, tx, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if !p.Scope(PermSiteRead).Allows(st.obj()) && !p.Scope(PermSiteWrite).Allows(st.obj()) {
		return nil, app.ErrNotFound("服务点")
	}
	if !CanWriteSite(p, st) {
		return nil, app.ErrForbidden()
	}
	return st, nil
}

// SetSiteActive deactivates or reactivates a service point. A service point
// that still has staff assigned cannot be deactivated: they must be
// transferred first, so nobody is left working at a closed point. Setting
// the status it already has changes nothing.
func (s *Service) SetSiteActive(ctx context.Context, p *authz.Principal, id int64, active bool) error {
	if !p.Can(PermSiteWrite) {
		return app.ErrForbidden()
	}
	status, action := StatusInactive, "site.deactivate"
	if active {
		status, action = StatusActive, "site.activate"
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		st, err := s.writableSite(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if st.Status == status {
			return nil
		}
		if !active && st.StaffCount > 0 {
			return app.Errorf(app.EConflict, "该服务点仍有 %d 名在岗同工，请先办理调岗后再停用", st.StaffCount)
		}
		// The version read above guards the change: on PostgreSQL a
		// concurrent edit or assignment may commit in between.
		res, err := tx.ExecContext(ctx, sqlSetSiteStatus, p.OrgID, id, status, now, st.Version)
		if err != nil {
			return fmt.Errorf("org: set site status: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("org: set site status: %w", err)
		} else if n != 1 {
			return ErrEditedElsewhere()
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: action, ObjectType: "site", ObjectID: strconv.FormatInt(id, 10), Detail: st.Code + " " + st.Name})
	})
}

// SiteMember is a staff member currently assigned to a service point.
type SiteMember struct {
	StaffID    int64    `json:"staff_id"`
	EmployeeNo string   `json:"employee_no"`
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	Position   string   `json:"position" doc:"岗位代码，如 centre_head、worker"`
	Since      app.Date `json:"since"`
}

const sqlSiteMembers = `SELECT st.id, st.employee_no, st.name, st.title, sa.position, sa.start_date
	FROM staff_assignments sa JOIN staff st ON st.org_id = sa.org_id AND st.id = sa.staff_id
	WHERE sa.org_id = %s AND sa.site_id = %s AND st.status = 'active'
	  AND sa.start_date <= %s AND (sa.end_date IS NULL OR sa.end_date >= %[3]s) AND %s
	ORDER BY sa.position, st.employee_no`

// CanReadSiteStaff reports whether p may list the staff of st: the
// staff-record scope must cover the service point (a centre head's own
// centre, or the organization); seeing only one's own record is not enough.
func CanReadSiteStaff(p *authz.Principal, st *ServicePoint) bool {
	return p.Scope(PermStaffRead).Allows(st.obj())
}

// SiteMembers lists the staff currently at a service point.
func (s *Service) SiteMembers(ctx context.Context, p *authz.Principal, siteID int64) ([]SiteMember, error) {
	st, err := s.GetSite(ctx, p, siteID)
	if err != nil {
		return nil, err
	}
	if !CanReadSiteStaff(p, st) {
		return nil, app.ErrForbidden()
	}
	sc := p.Scope(PermStaffRead)
	var args app.Args
	org, site, today := args.Add(p.OrgID), args.Add(siteID), args.Add(app.Today(s.Now()))
	where := sc.SQL(authz.Cols{Org: "sa.org_id", Owner: "st.id", Site: "sa.site_id", Dept: "st.department_id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, fmt.Sprintf(sqlSiteMembers, org, site, today, where), args...)
	if err != nil {
		return nil, fmt.Errorf("org: site members: %w", err)
	}
	defer rows.Close()
	out := []SiteMember{}
	for rows.Next() {
		var m SiteMember
		if err := rows.Scan(&m.StaffID, &m.EmployeeNo, &m.Name, &m.Title, &m.Position, &m.Since); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SiteHistory is the change timeline of a service point, newest first,
// including its contract years.
func (s *Service) SiteHistory(ctx context.Context, p *authz.Principal, siteID int64) ([]Change, error) {
	if _, err := s.GetSite(ctx, p, siteID); err != nil {
		return nil, err
	}
	return s.history(ctx, p.OrgID, "site", siteID)
}
