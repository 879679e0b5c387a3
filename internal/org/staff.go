package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// StaffTerm is a coded choice with its Chinese name (titles, positions,
// certificate kinds).
type StaffTerm struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// StaffTitles are the titles a staff member can hold, in display order.
var StaffTitles = []StaffTerm{
	{"social_worker", "社工师"},
	{"assistant_social_worker", "助理社工师"},
	{"worker_assistant", "社工助理"},
	{"supervisor", "督导"},
	{"admin", "行政"},
	{"finance", "财务"},
	{"other", "其他"},
}

// StaffPositions are the positions of an assignment to a service point.
var StaffPositions = []StaffTerm{
	{"worker", "一线社工"},
	{"centre_head", "中心负责人"},
	{"supervisor", "督导"},
	{"assistant", "助理"},
	{"admin", "行政"},
	{"finance", "财务"},
}

// CertificateKinds are the qualification certificates recorded for staff.
var CertificateKinds = []StaffTerm{
	{"assistant_social_worker", "助理社会工作师"},
	{"social_worker", "社会工作师"},
	{"senior_social_worker", "高级社会工作师"},
	{"counsellor", "心理咨询师"},
	{"other", "其他"},
}

// Genders a staff record accepts.
var StaffGenders = []string{"男", "女"}

func termName(terms []StaffTerm, code string) string {
	for _, t := range terms {
		if t.Code == code {
			return t.Name
		}
	}
	if code == "" {
		return "未填写"
	}
	return code
}

func termCodes(terms []StaffTerm) []string {
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = t.Code
	}
	return out
}

// TitleName, PositionName and CertificateKindName give the Chinese names.
func TitleName(code string) string           { return termName(StaffTitles, code) }
func PositionName(code string) string        { return termName(StaffPositions, code) }
func CertificateKindName(code string) string { return termName(CertificateKinds, code) }

// Staff is a staff member (同工). Phone is masked (PhoneMasked) in lists and
// for readers who are neither staff administrators nor the person.
type Staff struct {
	ID             int64         `json:"id"`
	EmployeeNo     string        `json:"employee_no"`
	Name           string        `json:"name"`
	Gender         string        `json:"gender"`
	Title          string        `json:"title"`
	TitleName      string        `json:"title_name"`
	Phone          string        `json:"phone"`
	PhoneMasked    bool          `json:"phone_masked"`
	Email          string        `json:"email"`
	DepartmentID   int64         `json:"department_id,omitempty"`
	DepartmentName string        `json:"department_name,omitempty"`
	HireDate       app.Date      `json:"hire_date"`
	LeaveDate      app.Date      `json:"leave_date"`
	Status         string        `json:"status"`
	UserID         int64         `json:"user_id,omitempty"`
	Username       string        `json:"username,omitempty"`
	UserStatus     string        `json:"user_status,omitempty"`
	SiteID         int64         `json:"site_id,omitempty"` // current assignment
	SiteName       string        `json:"site_name,omitempty"`
	Position       string        `json:"position,omitempty"`
	PositionName   string        `json:"position_name,omitempty"`
	SupervisorID   int64         `json:"supervisor_id,omitempty"` // current supervisor
	SupervisorName string        `json:"supervisor_name,omitempty"`
	Domains        []StaffDomain `json:"domains"`
	Version        int           `json:"version"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`

	// Filled by GetStaff only.
	Certificates []Certificate    `json:"certificates,omitempty"`
	Assignments  []Assignment     `json:"assignments,omitempty"` // newest first
	Supervisors  []SupervisorLink `json:"supervisors,omitempty"` // own supervisors, newest first
	Supervisees  []SupervisorLink `json:"supervisees,omitempty"` // current supervisees
}

// StaffDomain is a service domain (领域) a staff member works in.
type StaffDomain struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// StatusName is the Chinese name of the staff status.
func (st Staff) StatusName() string {
	if st.Status == "left" {
		return "已离职"
	}
	return "在职"
}

// DomainNames joins the domain names with "、".
func (st Staff) DomainNames() string {
	names := make([]string, len(st.Domains))
	for i, d := range st.Domains {
		names[i] = d.Name
	}
	return strings.Join(names, "、")
}

// HasDomain reports whether the staff member works in domain id.
func (st Staff) HasDomain(id int64) bool {
	return slices.ContainsFunc(st.Domains, func(d StaffDomain) bool { return d.ID == id })
}

// StaffInput creates or edits a staff record. SiteID and Position give the
// first assignment on creation (from the hire date) and are ignored by
// UpdateStaff; Version is the version the editor read.
type StaffInput struct {
	EmployeeNo   string   `json:"employee_no"`
	Name         string   `json:"name"`
	Gender       string   `json:"gender"`
	Title        string   `json:"title"`
	Phone        string   `json:"phone"`
	Email        string   `json:"email"`
	DepartmentID int64    `json:"department_id"`
	HireDate     app.Date `json:"hire_date"`
	DomainIDs    []int64  `json:"domain_ids"`
	SiteID       int64    `json:"site_id,omitempty"`
	Position     string   `json:"position,omitempty"`
	Version      int      `json:"version,omitempty"`
}

var employeeNoRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,20}$`)

func (in *StaffInput) normalize() {
	in.EmployeeNo = strings.TrimSpace(in.EmployeeNo)
	in.Name = strings.TrimSpace(in.Name)
	in.Gender = strings.TrimSpace(in.Gender)
	in.Title = strings.TrimSpace(in.Title)
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	if in.Phone != "" {
		in.Phone = pii.NormalizePhone(in.Phone)
	}
	in.Position = strings.TrimSpace(in.Position)
	ids := slices.Clone(in.DomainIDs)
	slices.Sort(ids)
	in.DomainIDs = slices.Compact(ids)
}

func (in *StaffInput) validate(v *app.Validation, create bool) {
	if v.Required("employee_no", in.EmployeeNo, "工号") && !employeeNoRE.MatchString(in.EmployeeNo) {
		v.Add("employee_no", "工号只能由字母、数字、横线或下划线组成，最多20位")
	}
	if v.Required("name", in.Name, "姓名") {
		v.MaxLen("name", in.Name, "姓名", 40)
	}
	if in.Gender == "" {
		v.Add("gender", "请选择性别")
	} else {
		v.OneOf("gender", in.Gender, "性别", StaffGenders...)
	}
	if in.Title == "" {
		v.Add("title", "请选择职称")
	} else {
		v.OneOf("title", in.Title, "职称", termCodes(StaffTitles)...)
	}
	if in.Phone != "" {
		if err := pii.ValidateMobile(in.Phone); err != nil {
			v.Add("phone", err.Error())
		}
	}
	if in.Email != "" && v.MaxLen("email", in.Email, "邮箱", 100) {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || !strings.Contains(in.Email, ".") {
			v.Add("email", "邮箱格式不正确，例如 name@example.com")
		}
	}
	if in.HireDate.IsZero() {
		v.Add("hire_date", "入职日期不能为空")
	}
	for _, id := range in.DomainIDs {
		if id <= 0 {
			v.Add("domain_ids", "请选择有效的服务领域")
			break
		}
	}
	if create && in.SiteID != 0 {
		if in.Position == "" {
			v.Add("position", "请选择岗位")
		} else {
			v.OneOf("position", in.Position, "岗位", termCodes(StaffPositions)...)
		}
	}
}

// Validate checks the input without touching the database, so a form with
// unreadable fields can still show every other problem at once.
func (in StaffInput) Validate(create bool) error {
	in.normalize()
	var v app.Validation
	in.validate(&v, create)
	return v.Err()
}

// StaffFilter narrows the staff list.
type StaffFilter struct {
	SiteID       int64  // current assignment at the service point
	DepartmentID int64  //
	Title        string //
	DomainID     int64  //
	Status       string // active, left or "" for both
}

// The current assignment and supervisor as of a date ($T), joined once.
const sqlStaffFrom = ` FROM staff st
	LEFT JOIN departments d ON d.org_id = st.org_id AND d.id = st.department_id
	LEFT JOIN users u ON u.org_id = st.org_id AND u.id = st.user_id
	LEFT JOIN staff_assignments ca ON ca.org_id = st.org_id AND ca.staff_id = st.id
		AND ca.start_date <= $T AND (ca.end_date IS NULL OR ca.end_date >= $T)
	LEFT JOIN sites cs ON cs.org_id = ca.org_id AND cs.id = ca.site_id
	LEFT JOIN supervisor_links cl ON cl.org_id = st.org_id AND cl.supervisee_id = st.id
		AND cl.start_date <= $T AND (cl.end_date IS NULL OR cl.end_date >= $T)
	LEFT JOIN staff sup ON sup.org_id = cl.org_id AND sup.id = cl.supervisor_id`

const sqlStaffCols = `SELECT st.id, st.org_id, st.employee_no, st.name, st.gender, st.title, st.phone, st.email,
	COALESCE(st.department_id, 0), COALESCE(d.name, ''), st.hire_date, st.leave_date, st.status,
	COALESCE(st.user_id, 0), COALESCE(u.username, ''), COALESCE(u.status, ''),
	COALESCE(ca.site_id, 0), COALESCE(cs.name, ''), COALESCE(ca.position, ''),
	COALESCE(cl.supervisor_id, 0), COALESCE(sup.name, ''),
	st.version, st.created_at, st.updated_at`

func scanStaff(sc interface{ Scan(...any) error }, st *Staff, orgID *int64) error {
	err := sc.Scan(&st.ID, orgID, &st.EmployeeNo, &st.Name, &st.Gender, &st.Title, &st.Phone, &st.Email,
		&st.DepartmentID, &st.DepartmentName, &st.HireDate, &st.LeaveDate, &st.Status,
		&st.UserID, &st.Username, &st.UserStatus, &st.SiteID, &st.SiteName, &st.Position,
		&st.SupervisorID, &st.SupervisorName, &st.Version, &st.CreatedAt, &st.UpdatedAt)
	if err != nil {
		return err
	}
	st.TitleName = TitleName(st.Title)
	if st.Position != "" {
		st.PositionName = PositionName(st.Position)
	}
	st.Domains = []StaffDomain{}
	return nil
}

// staffIDList renders ids as a comma-separated list of integers for IN (…).
func staffIDList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// staffScopeSQL restricts staff rows (alias st) to what sc allows: the whole
// organization, one's own record, supervisees, staff currently assigned to
// one's service points, or one's department. today is bound as $T.
func staffScopeSQL(sc authz.Scope, args *app.Args) string {
	p := sc.Principal()
	if p == nil || !sc.Any() || p.IsPlatform() {
		return "1 = 0"
	}
	org := "st.org_id = " + args.Add(p.OrgID)
	if sc.Has(authz.Org) {
		return org
	}
	var or []string
	var ids []int64
	if p.StaffID != 0 {
		ids = append(ids, p.StaffID)
	}
	if sc.Has(authz.Supervised) {
		ids = append(ids, p.Supervisees...)
	}
	if len(ids) > 0 {
		or = append(or, "st.id IN ("+staffIDList(ids)+")")
	}
	if sc.Has(authz.Site) && len(p.SiteIDs) > 0 {
		or = append(or, `EXISTS (SELECT 1 FROM staff_assignments sa WHERE sa.org_id = st.org_id AND sa.staff_id = st.id
			AND sa.site_id IN (`+staffIDList(p.SiteIDs)+`) AND sa.start_date <= $T AND (sa.end_date IS NULL OR sa.end_date >= $T))`)
	}
	if sc.Has(authz.Department) && len(p.DeptIDs) > 0 {
		or = append(or, "st.department_id IN ("+staffIDList(p.DeptIDs)+")")
	}
	if len(or) == 0 {
		return "1 = 0"
	}
	return org + " AND (" + strings.Join(or, " OR ") + ")"
}

// bindToday replaces the $T marker with a placeholder bound to today.
func bindToday(query string, args *app.Args, today app.Date) string {
	if !strings.Contains(query, "$T") {
		return query
	}
	return strings.ReplaceAll(query, "$T", args.Add(today))
}

var staffSorts = map[string]string{
	"no": "st.employee_no", "name": "st.name", "title": "st.title", "hire": "st.hire_date",
	"site": "cs.name", "dept": "d.name", "status": "st.status",
}

// ListStaff lists the staff members in p's scope. Phones are always masked
// in lists.
func (s *Service) ListStaff(ctx context.Context, p *authz.Principal, f StaffFilter, q app.ListQuery) ([]Staff, int, error) {
	sc := p.Scope(PermStaffRead)
	if !sc.Any() || p.IsPlatform() {
		return nil, 0, app.ErrForbidden()
	}
	var args app.Args
	where := staffScopeSQL(sc, &args)
	if f.SiteID != 0 {
		where += " AND ca.site_id = " + args.Add(f.SiteID)
	}
	if f.DepartmentID != 0 {
		where += " AND st.department_id = " + args.Add(f.DepartmentID)
	}
	if f.Title != "" {
		where += " AND st.title = " + args.Add(f.Title)
	}
	if f.DomainID != 0 {
		where += " AND EXISTS (SELECT 1 FROM staff_domains sd WHERE sd.org_id = st.org_id AND sd.staff_id = st.id AND sd.domain_id = " +
			args.Add(f.DomainID) + ")"
	}
	if f.Status != "" {
		where += " AND st.status = " + args.Add(f.Status)
	}
	if q.Q != "" {
		like := args.Add(db.Like(q.Q))
		op := s.DB.ILike()
		where += " AND (st.name " + op + " " + like + ` ESCAPE '\' OR st.employee_no ` + op + " " + like +
			` ESCAPE '\' OR st.email ` + op + " " + like + ` ESCAPE '\')`
	}
	today := app.Today(s.Now())
	from := bindToday(sqlStaffFrom+" WHERE "+where, &args, today)
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*)"+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("org: count staff: %w", err)
	}
	order := q.OrderBy(staffSorts, "no", "st.id")
	rows, err := s.DB.R.QueryContext(ctx, sqlStaffCols+from+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list staff: %w", err)
	}
	defer rows.Close()
	var out []Staff
	for rows.Next() {
		var st Staff
		var orgID int64
		if err := scanStaff(rows, &st, &orgID); err != nil {
			return nil, 0, err
		}
		st.maskPhone()
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.loadStaffDomains(ctx, p.OrgID, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func (st *Staff) maskPhone() {
	if st.Phone != "" {
		st.Phone = pii.MaskPhone(st.Phone)
		st.PhoneMasked = true
	}
}

func (s *Service) loadStaffDomains(ctx context.Context, orgID int64, list []Staff) error {
	if len(list) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(list))
	ids := make([]int64, len(list))
	for i, st := range list {
		idx[st.ID] = i
		ids[i] = st.ID
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT sd.staff_id, dm.id, dm.name FROM staff_domains sd
		JOIN domains dm ON dm.org_id = sd.org_id AND dm.id = sd.domain_id
		WHERE sd.org_id = $1 AND sd.staff_id IN (`+staffIDList(ids)+`) ORDER BY dm.name`, orgID)
	if err != nil {
		return fmt.Errorf("org: staff domains: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid int64
		var d StaffDomain
		if err := rows.Scan(&sid, &d.ID, &d.Name); err != nil {
			return err
		}
		list[idx[sid]].Domains = append(list[idx[sid]].Domains, d)
	}
	return rows.Err()
}

// staffFacts is what scope checks and writes need to know about a record.
type staffFacts struct {
	ID       int64
	OrgID    int64
	Name     string
	Status   string
	DeptID   int64
	UserID   int64
	HireDate app.Date
	Version  int
	SiteIDs  []int64 // current assignments
}

func (f *staffFacts) obj() authz.Obj {
	return authz.Obj{OrgID: f.OrgID, OwnerID: f.ID, SiteIDs: f.SiteIDs, DeptID: f.DeptID}
}

// loadStaffFacts reads a staff record of orgID; another organization's
// record is simply not found.
func loadStaffFacts(ctx context.Context, q db.Querier, orgID, id int64, today app.Date) (*staffFacts, error) {
	f := &staffFacts{}
	err := q.QueryRowContext(ctx, `SELECT id, org_id, name, status, COALESCE(department_id, 0), COALESCE(user_id, 0),
		hire_date, version FROM staff WHERE org_id = $1 AND id = $2`, orgID, id).
		Scan(&f.ID, &f.OrgID, &f.Name, &f.Status, &f.DeptID, &f.UserID, &f.HireDate, &f.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("同工")
	}
	if err != nil {
		return nil, fmt.Errorf("org: load staff: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT site_id FROM staff_assignments WHERE org_id = $1 AND staff_id = $2
		AND start_date <= $3 AND (end_date IS NULL OR end_date >= $3)`, orgID, id, today)
	if err != nil {
		return nil, fmt.Errorf("org: load staff sites: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid int64
		if err := rows.Scan(&sid); err != nil {
			return nil, err
		}
		f.SiteIDs = append(f.SiteIDs, sid)
	}
	return f, rows.Err()
}

// staffForWrite loads a record p may change under PermStaffWrite.
func (s *Service) staffForWrite(ctx context.Context, tx *sql.Tx, p *authz.Principal, id int64) (*staffFacts, error) {
	sc := p.Scope(PermStaffWrite)
	if !sc.Any() || p.IsPlatform() {
		return nil, app.ErrForbidden()
	}
	f, err := loadStaffFacts(ctx, tx, p.OrgID, id, app.Today(s.Now()))
	if err != nil {
		return nil, err
	}
	if !sc.Allows(f.obj()) {
		return nil, app.ErrNotFound("同工")
	}
	return f, nil
}

// staffAudit writes one audit row for a change made by p.
func staffAudit(ctx context.Context, tx *sql.Tx, p *authz.Principal, now time.Time, action, objType string, objID int64, detail string) error {
	return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
		Action: action, ObjectType: objType, ObjectID: strconv.FormatInt(objID, 10), Detail: detail})
}

// CanSeeStaffPhone reports whether p may see the full phone number of staff
// member id: staff administrators and the person themself.
func CanSeeStaffPhone(p *authz.Principal, orgID, id int64) bool {
	if p == nil || p.IsPlatform() || p.OrgID != orgID {
		return false
	}
	if p.StaffID != 0 && p.StaffID == id {
		return true
	}
	return p.Scope(PermStaffWrite).Allows(authz.Obj{OrgID: orgID, OwnerID: id})
}

// GetStaff returns one staff record in p's scope with its certificates,
// assignment history, supervisors and current supervisees.
func (s *Service) GetStaff(ctx context.Context, p *authz.Principal, id int64) (*Staff, error) {
	sc := p.Scope(PermStaffRead)
	if !sc.Any() || p.IsPlatform() {
		return nil, app.ErrForbidden()
	}
	today := app.Today(s.Now())
	f, err := loadStaffFacts(ctx, s.DB.R, p.OrgID, id, today)
	if err != nil {
		return nil, err
	}
	if !sc.Allows(f.obj()) {
		return nil, app.ErrNotFound("同工")
	}
	var args app.Args
	q := bindToday(sqlStaffCols+sqlStaffFrom+" WHERE st.org_id = "+args.Add(p.OrgID)+" AND st.id = "+args.Add(id), &args, today)
	var st Staff
	var orgID int64
	if err := scanStaff(s.DB.R.QueryRowContext(ctx, q, args...), &st, &orgID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.ErrNotFound("同工")
		}
		return nil, fmt.Errorf("org: get staff: %w", err)
	}
	if !CanSeeStaffPhone(p, orgID, st.ID) {
		st.maskPhone()
	}
	list := []Staff{st}
	if err := s.loadStaffDomains(ctx, p.OrgID, list); err != nil {
		return nil, err
	}
	st = list[0]
	if st.Certificates, err = s.staffCertificates(ctx, p.OrgID, id); err != nil {
		return nil, err
	}
	if st.Assignments, err = s.staffAssignments(ctx, p.OrgID, id, today); err != nil {
		return nil, err
	}
	if st.Supervisors, err = s.supervisorLinks(ctx, p.OrgID, "l.supervisee_id = $2", id, today, false); err != nil {
		return nil, err
	}
	if st.Supervisees, err = s.supervisorLinks(ctx, p.OrgID, "l.supervisor_id = $2", id, today, true); err != nil {
		return nil, err
	}
	return &st, nil
}

// checkStaffRefs verifies, inside tx, that the department, domains and (on
// creation) service point exist in the organization and are in use.
func checkStaffRefs(ctx context.Context, tx *sql.Tx, orgID int64, in *StaffInput, create bool) error {
	var v app.Validation
	if in.DepartmentID != 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM departments WHERE org_id = $1 AND id = $2 AND status = 'active'`,
			orgID, in.DepartmentID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			v.Add("department_id", "所选部门不存在或已停用")
		}
	}
	if len(in.DomainIDs) > 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM domains WHERE org_id = $1 AND id IN (`+staffIDList(in.DomainIDs)+`)`,
			orgID).Scan(&n); err != nil {
			return err
		}
		if n != len(in.DomainIDs) {
			v.Add("domain_ids", "所选服务领域不存在")
		}
	}
	if create && in.SiteID != 0 {
		if err := checkActiveSite(ctx, tx, orgID, in.SiteID, "site_id", &v); err != nil {
			return err
		}
	}
	return v.Err()
}

func checkActiveSite(ctx context.Context, tx *sql.Tx, orgID, siteID int64, field string, v *app.Validation) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sites WHERE org_id = $1 AND id = $2 AND status = 'active'`,
		orgID, siteID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		v.Add(field, "所选服务点不存在或已停用")
	}
	return nil
}

func employeeNoTaken(no string) error {
	e := app.Errorf(app.EConflict, "工号 %s 已被使用", no)
	e.Fields = map[string]string{"employee_no": e.Message}
	return e
}

func replaceStaffDomains(ctx context.Context, tx *sql.Tx, orgID, staffID int64, ids []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM staff_domains WHERE org_id = $1 AND staff_id = $2`, orgID, staffID); err != nil {
		return fmt.Errorf("org: clear staff domains: %w", err)
	}
	for _, d := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_domains (org_id, staff_id, domain_id) VALUES ($1, $2, $3)`,
			orgID, staffID, d); err != nil {
			return fmt.Errorf("org: add staff domain: %w", err)
		}
	}
	return nil
}

// CreateStaff adds a staff member, with a first assignment when a service
// point is given (starting on the hire date).
func (s *Service) CreateStaff(ctx context.Context, p *authz.Principal, in StaffInput) (int64, error) {
	sc := p.Scope(PermStaffWrite)
	if !sc.Any() || p.IsPlatform() {
		return 0, app.ErrForbidden()
	}
	in.normalize()
	var v app.Validation
	in.validate(&v, true)
	if err := v.Err(); err != nil {
		return 0, err
	}
	var sites []int64
	if in.SiteID != 0 {
		sites = []int64{in.SiteID}
	}
	if !sc.Allows(authz.Obj{OrgID: p.OrgID, SiteIDs: sites, DeptID: in.DepartmentID}) {
		return 0, app.ErrForbidden()
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := checkStaffRefs(ctx, tx, p.OrgID, &in, true); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO staff (org_id, employee_no, name, gender, title, phone, email,
			department_id, hire_date, status, created_at, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $10, 1) RETURNING id`,
			p.OrgID, in.EmployeeNo, in.Name, in.Gender, in.Title, in.Phone, in.Email, nullID(in.DepartmentID),
			in.HireDate, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return employeeNoTaken(in.EmployeeNo)
		}
		if err != nil {
			return fmt.Errorf("org: insert staff: %w", err)
		}
		if err := replaceStaffDomains(ctx, tx, p.OrgID, id, in.DomainIDs); err != nil {
			return err
		}
		detail := in.EmployeeNo + " " + in.Name + " " + TitleName(in.Title)
		if in.SiteID != 0 {
			var aid int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO staff_assignments (org_id, staff_id, site_id, position, start_date)
				VALUES ($1, $2, $3, $4, $5) RETURNING id`, p.OrgID, id, in.SiteID, in.Position, in.HireDate).Scan(&aid); err != nil {
				return fmt.Errorf("org: insert first assignment: %w", err)
			}
			detail += fmt.Sprintf("，派驻服务点 %d（%s）自 %s", in.SiteID, PositionName(in.Position), in.HireDate)
		}
		return staffAudit(ctx, tx, p, now, "staff.create", "staff", id, detail)
	})
	return id, err
}

// UpdateStaff edits a staff record. in.Version must be the version that was
// read; a record changed meanwhile is a conflict, never silently overwritten.
func (s *Service) UpdateStaff(ctx context.Context, p *authz.Principal, id int64, in StaffInput) error {
	if !p.Scope(PermStaffWrite).Any() || p.IsPlatform() {
		return app.ErrForbidden()
	}
	in.normalize()
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// The record is found (and in scope) before the input is judged.
		f, err := s.staffForWrite(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.validate(&v, false)
		if err := v.Err(); err != nil {
			return err
		}
		var old StaffInput
		var dept sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT employee_no, name, gender, title, phone, email, department_id, hire_date
			FROM staff WHERE org_id = $1 AND id = $2`, p.OrgID, id).Scan(&old.EmployeeNo, &old.Name, &old.Gender,
			&old.Title, &old.Phone, &old.Email, &dept, &old.HireDate); err != nil {
			return fmt.Errorf("org: read staff: %w", err)
		}
		old.DepartmentID = dept.Int64
		if in.Version != f.Version {
			return app.Errorf(app.EConflict, "该同工档案已被他人修改，请刷新页面后重新编辑")
		}
		if err := checkStaffRefs(ctx, tx, p.OrgID, &in, false); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE staff SET employee_no = $3, name = $4, gender = $5, title = $6, phone = $7,
			email = $8, department_id = $9, hire_date = $10, updated_at = $11, version = version + 1
			WHERE org_id = $1 AND id = $2 AND version = $12`,
			p.OrgID, id, in.EmployeeNo, in.Name, in.Gender, in.Title, in.Phone, in.Email, nullID(in.DepartmentID),
			in.HireDate, now, in.Version)
		if db.IsUniqueViolation(err) {
			return employeeNoTaken(in.EmployeeNo)
		}
		if err != nil {
			return fmt.Errorf("org: update staff: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.EConflict, "该同工档案已被他人修改，请刷新页面后重新编辑")
		}
		if err := replaceStaffDomains(ctx, tx, p.OrgID, id, in.DomainIDs); err != nil {
			return err
		}
		return staffAudit(ctx, tx, p, now, "staff.update", "staff", id, in.EmployeeNo+" "+in.Name+" 修改："+staffChanges(old, in))
	})
}

// staffChanges names the changed fields; personal values are not copied
// into the audit log.
func staffChanges(a, b StaffInput) string {
	var ch []string
	add := func(changed bool, label string) {
		if changed {
			ch = append(ch, label)
		}
	}
	add(a.EmployeeNo != b.EmployeeNo, "工号")
	add(a.Name != b.Name, "姓名")
	add(a.Gender != b.Gender, "性别")
	if a.Title != b.Title {
		ch = append(ch, "职称 "+TitleName(a.Title)+"→"+TitleName(b.Title))
	}
	add(a.Phone != b.Phone, "手机")
	add(a.Email != b.Email, "邮箱")
	add(a.DepartmentID != b.DepartmentID, "部门")
	add(!a.HireDate.Equal(b.HireDate), "入职日期")
	if len(ch) == 0 {
		return "服务领域或无变化"
	}
	return strings.Join(ch, "、")
}

// StatusInput changes a staff member's status: "left" with the last working
// day, or back to "active".
type StatusInput struct {
	Status    string   `json:"status"`
	LeaveDate app.Date `json:"leave_date"`
	Version   int      `json:"version,omitempty"` // checked when not 0
}

// SetStaffStatus records a resignation (离职) or a return. Leaving ends the
// open assignment and supervisor links on the leave date, keeping history.
func (s *Service) SetStaffStatus(ctx context.Context, p *authz.Principal, id int64, in StatusInput) error {
	if !p.Scope(PermStaffWrite).Any() || p.IsPlatform() {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.staffForWrite(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var v app.Validation
		v.OneOf("status", in.Status, "状态", "active", "left")
		if in.Status == "left" && in.LeaveDate.IsZero() {
			v.Add("leave_date", "离职日期不能为空")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if in.Version != 0 && in.Version != f.Version {
			return app.Errorf(app.EConflict, "该同工档案已被他人修改，请刷新页面后重试")
		}
		if in.Status == f.Status {
			if in.Status == "left" {
				return app.Errorf(app.EConflict, "%s 已是离职状态", f.Name)
			}
			return app.Errorf(app.EConflict, "%s 已是在职状态", f.Name)
		}
		if in.Status == "active" {
			// Guarded by the version read above: on PostgreSQL another
			// change may commit in between.
			res, err := tx.ExecContext(ctx, `UPDATE staff SET status = 'active', leave_date = NULL, updated_at = $3,
				version = version + 1 WHERE org_id = $1 AND id = $2 AND version = $4`, p.OrgID, id, now, f.Version)
			if err != nil {
				return fmt.Errorf("org: reinstate staff: %w", err)
			}
			if err := staffStale(res); err != nil {
				return err
			}
			return staffAudit(ctx, tx, p, now, "staff.reinstate", "staff", id, f.Name+" 恢复在职")
		}
		if !f.HireDate.IsZero() && in.LeaveDate.Before(f.HireDate) {
			return leaveDateError("离职日期不能早于入职日期 " + f.HireDate.String())
		}
		// Open rows that start after the leave date cannot be ended on it.
		var later int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM staff_assignments WHERE org_id = $1 AND staff_id = $2 AND end_date IS NULL AND start_date > $3) +
			(SELECT COUNT(*) FROM supervisor_links WHERE org_id = $1 AND (supervisee_id = $2 OR supervisor_id = $2)
				AND end_date IS NULL AND start_date > $3)`, p.OrgID, id, in.LeaveDate).Scan(&later); err != nil {
			return err
		}
		if later > 0 {
			return leaveDateError("离职日期早于当前任职或督导关系的开始日期，请先核对任职记录")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_assignments SET end_date = $3
			WHERE org_id = $1 AND staff_id = $2 AND end_date IS NULL`, p.OrgID, id, in.LeaveDate); err != nil {
			return fmt.Errorf("org: end assignment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supervisor_links SET end_date = $3
			WHERE org_id = $1 AND (supervisee_id = $2 OR supervisor_id = $2) AND end_date IS NULL`, p.OrgID, id, in.LeaveDate); err != nil {
			return fmt.Errorf("org: end supervision: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE staff SET status = 'left', leave_date = $3, updated_at = $4,
			version = version + 1 WHERE org_id = $1 AND id = $2 AND version = $5`, p.OrgID, id, in.LeaveDate, now, f.Version)
		if err != nil {
			return fmt.Errorf("org: staff leaves: %w", err)
		}
		if err := staffStale(res); err != nil {
			return err
		}
		return staffAudit(ctx, tx, p, now, "staff.leave", "staff", id, f.Name+" 离职，最后工作日 "+in.LeaveDate.String())
	})
}

// staffStale turns a version-guarded staff update that matched no row into
// the conflict the editor sees.
func staffStale(res sql.Result) error {
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("org: update staff: %w", err)
	} else if n != 1 {
		return app.Errorf(app.EConflict, "该同工档案已被他人修改，请刷新页面后重试")
	}
	return nil
}

func leaveDateError(msg string) error {
	e := app.Errorf(app.EInvalid, "%s", msg)
	e.Fields = map[string]string{"leave_date": msg}
	return e
}
