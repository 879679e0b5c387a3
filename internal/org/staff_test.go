package org_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/org"
)

// now is 2026-03-02 09:00 in China.
var now = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func day(s string) app.Date {
	d, err := app.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// fx is a small organization to test against.
type fx struct {
	t   *testing.T
	d   *db.DB
	svc *org.Service
	ctx context.Context
	org int64
	n   int
}

func newFx(t *testing.T, d *db.DB, code string) *fx {
	f := &fx{t: t, d: d, svc: org.New(d, func() time.Time { return now }), ctx: context.Background()}
	f.org = f.id(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ($1, $2, 'agency', 'active', $3) RETURNING id`,
		code, code+"社工", now)
	return f
}

func (f *fx) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.d.W.QueryRow(q, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f *fx) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.d.W.Exec(q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fx) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.R.QueryRow(q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (f *fx) town(name string) int64 {
	return f.id(`INSERT INTO towns (org_id, name) VALUES ($1, $2) RETURNING id`, f.org, name)
}

func (f *fx) site(name string, town int64) int64 {
	f.n++
	var tid any
	if town != 0 {
		tid = town
	}
	return f.id(`INSERT INTO sites (org_id, code, name, kind, town_id, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'centre', $4, 'active', $5, $5) RETURNING id`, f.org, fmt.Sprintf("S%02d", f.n), name, tid, now)
}

func (f *fx) dept(name string) int64 {
	return f.id(`INSERT INTO departments (org_id, name, kind) VALUES ($1, $2, 'service') RETURNING id`, f.org, name)
}

func (f *fx) domain(name string) int64 {
	return f.id(`INSERT INTO domains (org_id, name) VALUES ($1, $2) RETURNING id`, f.org, name)
}

// user creates an account with roles; staffID links it to a staff record.
func (f *fx) user(username string, staffID int64, roles ...authz.Role) int64 {
	uid := f.id(`INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'x', FALSE, 'active', $4, $4) RETURNING id`, f.org, username, "用户"+username, now)
	for _, r := range roles {
		f.exec(`INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, $3)`, f.org, uid, string(r))
	}
	if staffID != 0 {
		f.exec(`UPDATE staff SET user_id = $3 WHERE org_id = $1 AND id = $2`, f.org, staffID, uid)
	}
	return uid
}

func (f *fx) principal(uid int64) *authz.Principal {
	f.t.Helper()
	p, err := authz.Load(f.ctx, f.d.R, uid, app.Today(now))
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// admin is an HR person with organization-wide staff rights.
func (f *fx) admin() *authz.Principal {
	return f.principal(f.user(fmt.Sprintf("hr%d", f.org), 0, authz.RoleHR, authz.RoleOrgAdmin))
}

// staff creates a staff member through the service.
func (f *fx) staff(p *authz.Principal, no, name, title string, site int64, mods ...func(*org.StaffInput)) int64 {
	f.t.Helper()
	in := org.StaffInput{EmployeeNo: no, Name: name, Gender: "女", Title: title, HireDate: day("2024-01-01"),
		SiteID: site, Position: "worker"}
	for _, m := range mods {
		m(&in)
	}
	id, err := f.svc.CreateStaff(f.ctx, p, in)
	if err != nil {
		f.t.Fatalf("create staff %s: %v", no, err)
	}
	return id
}


func wantField(t *testing.T, err error, field, contains string) {
	t.Helper()
	msg, ok := app.FieldErrors(err)[field]
	if !ok || !strings.Contains(msg, contains) {
		t.Fatalf("field %s: want %q, got %v (fields %v)", field, contains, err, app.FieldErrors(err))
	}
}

func TestStaffValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		site := f.site("北岸中心", 0)
		closed := f.site("旧中心", 0)
		f.exec(`UPDATE sites SET status = 'inactive' WHERE id = $1`, closed)
		good := func() org.StaffInput {
			return org.StaffInput{EmployeeNo: "HJ001", Name: "陈晓", Gender: "女", Title: "social_worker",
				Phone: "13800138000", Email: "chen@example.com", HireDate: day("2024-05-01"), SiteID: site, Position: "worker"}
		}
		cases := []struct {
			name, field, msg string
			mod              func(*org.StaffInput)
		}{
			{"no employee number", "employee_no", "工号不能为空", func(in *org.StaffInput) { in.EmployeeNo = " " }},
			{"bad employee number", "employee_no", "字母、数字", func(in *org.StaffInput) { in.EmployeeNo = "HJ 001" }},
			{"no name", "name", "姓名不能为空", func(in *org.StaffInput) { in.Name = "" }},
			{"long name", "name", "不能超过40个字", func(in *org.StaffInput) { in.Name = strings.Repeat("陈", 41) }},
			{"no gender", "gender", "请选择性别", func(in *org.StaffInput) { in.Gender = "" }},
			{"bad gender", "gender", "请选择有效的性别", func(in *org.StaffInput) { in.Gender = "X" }},
			{"no title", "title", "请选择职称", func(in *org.StaffInput) { in.Title = "" }},
			{"bad title", "title", "请选择有效的职称", func(in *org.StaffInput) { in.Title = "boss" }},
			{"invalid mobile", "phone", "手机号码格式不正确", func(in *org.StaffInput) { in.Phone = "12345" }},
			{"landline is not a mobile", "phone", "手机号码格式不正确", func(in *org.StaffInput) { in.Phone = "0769-83212345" }},
			{"bad email", "email", "邮箱格式不正确", func(in *org.StaffInput) { in.Email = "chen@" }},
			{"no hire date", "hire_date", "入职日期不能为空", func(in *org.StaffInput) { in.HireDate = app.Date{} }},
			{"bad position", "position", "请选择有效的岗位", func(in *org.StaffInput) { in.Position = "king" }},
			{"unknown department", "department_id", "所选部门不存在", func(in *org.StaffInput) { in.DepartmentID = 9999 }},
			{"unknown domain", "domain_ids", "所选服务领域不存在", func(in *org.StaffInput) { in.DomainIDs = []int64{9999} }},
			{"closed site", "site_id", "所选服务点不存在或已停用", func(in *org.StaffInput) { in.SiteID = closed }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := good()
				c.mod(&in)
				_, err := f.svc.CreateStaff(f.ctx, hr, in)
				wantCode(t, err, app.EInvalid)
				wantField(t, err, c.field, c.msg)
			})
		}
		if n := f.count(`SELECT COUNT(*) FROM staff WHERE org_id = $1`, f.org); n != 0 {
			t.Fatalf("invalid input wrote %d staff rows", n)
		}
		// Several bad fields are all reported at once.
		_, err := f.svc.CreateStaff(f.ctx, hr, org.StaffInput{Phone: "999"})
		for _, fld := range []string{"employee_no", "name", "gender", "title", "phone", "hire_date"} {
			wantField(t, err, fld, "")
		}

		// A good record: the phone is stored normalized, the first assignment starts on the hire date.
		in := good()
		in.Phone = "+86 138-0013-8000"
		id, err := f.svc.CreateStaff(f.ctx, hr, in)
		if err != nil {
			t.Fatal(err)
		}
		var phone string
		d.R.QueryRow(`SELECT phone FROM staff WHERE id = $1`, id).Scan(&phone)
		if phone != "13800138000" {
			t.Fatalf("phone stored as %q", phone)
		}
		st, err := f.svc.GetStaff(f.ctx, hr, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.SiteID != site || st.Position != "worker" || len(st.Assignments) != 1 || !st.Assignments[0].StartDate.Equal(day("2024-05-01")) {
			t.Fatalf("first assignment: %+v", st.Assignments)
		}

		// Duplicate employee number, on create and on update.
		in = good()
		in.Name = "另一人"
		_, err = f.svc.CreateStaff(f.ctx, hr, in)
		wantCode(t, err, app.EConflict)
		wantField(t, err, "employee_no", "工号 HJ001 已被使用")
		other := f.staff(hr, "HJ002", "李明", "worker_assistant", 0)
		o2, _ := f.svc.GetStaff(f.ctx, hr, other)
		up := org.StaffInput{EmployeeNo: "HJ001", Name: "李明", Gender: "男", Title: "worker_assistant",
			HireDate: day("2024-01-01"), Version: o2.Version}
		err = f.svc.UpdateStaff(f.ctx, hr, other, up)
		wantField(t, err, "employee_no", "已被使用")
		// The same number in another organization is fine.
		g := newFx(t, d, "other")
		g.staff(g.admin(), "HJ001", "王五", "social_worker", 0)

		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'staff.create'`, f.org); n != 2 {
			t.Fatalf("staff.create audited %d times", n)
		}
	})
}

func TestUpdateStaffVersionAndDomains(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		youth, elder := f.domain("青少年"), f.domain("长者")
		dept := f.dept("服务部")
		id := f.staff(hr, "HJ001", "陈晓", "social_worker", 0, func(in *org.StaffInput) { in.DomainIDs = []int64{youth} })
		st, _ := f.svc.GetStaff(f.ctx, hr, id)
		if st.DomainNames() != "青少年" || st.Version != 1 {
			t.Fatalf("created: %+v", st)
		}
		in := org.StaffInput{EmployeeNo: "HJ001", Name: "陈晓", Gender: "女", Title: "supervisor", Phone: "139 0000 1111",
			DepartmentID: dept, HireDate: day("2024-01-01"), DomainIDs: []int64{elder, youth, elder}, Version: 1}
		if err := f.svc.UpdateStaff(f.ctx, hr, id, in); err != nil {
			t.Fatal(err)
		}
		st, _ = f.svc.GetStaff(f.ctx, hr, id)
		if st.Title != "supervisor" || st.TitleName != "督导" || st.DepartmentName != "服务部" || len(st.Domains) != 2 ||
			st.Phone != "13900001111" || st.Version != 2 {
			t.Fatalf("updated: %+v", st)
		}
		// Saving again with the old version is refused: someone else changed it.
		in.Name = "陈小"
		err := f.svc.UpdateStaff(f.ctx, hr, id, in)
		wantCode(t, err, app.EConflict)
		st, _ = f.svc.GetStaff(f.ctx, hr, id)
		if st.Name != "陈晓" {
			t.Fatal("stale update was written")
		}
		var detail string
		d.R.QueryRow(`SELECT detail FROM audit_log WHERE org_id = $1 AND action = 'staff.update'`, f.org).Scan(&detail)
		if !strings.Contains(detail, "职称 社工师→督导") || !strings.Contains(detail, "手机") || strings.Contains(detail, "13900001111") {
			t.Fatalf("audit detail: %q", detail)
		}
	})
}

func TestTransferKeepsHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		a, b := f.site("北岸中心", 0), f.site("新市中心", 0)
		id := f.staff(hr, "HJ001", "陈晓", "social_worker", a, func(in *org.StaffInput) { in.HireDate = day("2025-01-01") })

		// Bad transfers change nothing.
		_, err := f.svc.AssignStaff(f.ctx, hr, id, org.AssignInput{SiteID: b, Position: "worker", StartDate: day("2025-01-01")})
		wantField(t, err, "start_date", "须晚于当前任职的开始日期 2025-01-01")
		_, err = f.svc.AssignStaff(f.ctx, hr, id, org.AssignInput{SiteID: a, Position: "worker", StartDate: day("2026-02-01")})
		wantField(t, err, "site_id", "无需调动")
		_, err = f.svc.AssignStaff(f.ctx, hr, id, org.AssignInput{SiteID: b, Position: "", StartDate: app.Date{}})
		wantField(t, err, "position", "请选择岗位")
		wantField(t, err, "start_date", "开始日期不能为空")
		_, err = f.svc.AssignStaff(f.ctx, hr, id, org.AssignInput{SiteID: b, Position: "worker", StartDate: day("2024-06-01")})
		wantCode(t, err, app.EInvalid)

		// Transfer to B from 2026-02-16 as centre head.
		if _, err := f.svc.AssignStaff(f.ctx, hr, id, org.AssignInput{SiteID: b, Position: "centre_head", StartDate: day("2026-02-16"), Note: "调任"}); err != nil {
			t.Fatal(err)
		}
		st, _ := f.svc.GetStaff(f.ctx, hr, id)
		if len(st.Assignments) != 2 {
			t.Fatalf("history: %+v", st.Assignments)
		}
		cur, old := st.Assignments[0], st.Assignments[1]
		if cur.SiteID != b || !cur.EndDate.IsZero() || !cur.Current || cur.PositionName != "中心负责人" {
			t.Fatalf("current: %+v", cur)
		}
		if old.SiteID != a || !old.EndDate.Equal(day("2026-02-15")) || old.Current {
			t.Fatalf("old: %+v", old)
		}
		if st.SiteID != b || st.SiteName != "新市中心" {
			t.Fatalf("current site on record: %d %s", st.SiteID, st.SiteName)
		}
		// A transfer that starts next month leaves today's assignment current.
		if _, err := f.svc.AssignStaff(f.ctx, hr, id, org.AssignInput{SiteID: a, Position: "worker", StartDate: day("2026-04-01")}); err != nil {
			t.Fatal(err)
		}
		st, _ = f.svc.GetStaff(f.ctx, hr, id)
		if len(st.Assignments) != 3 || st.SiteID != b || st.Assignments[1].EndDate.String() != "2026-03-31" {
			t.Fatalf("scheduled transfer: %+v", st.Assignments)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'staff.transfer'`, f.org); n != 2 {
			t.Fatalf("transfers audited: %d", n)
		}

		// Ending the assignment, then a new one may not overlap the past.
		other := f.staff(hr, "HJ002", "李明", "social_worker", a, func(in *org.StaffInput) { in.HireDate = day("2025-01-01") })
		if err := f.svc.EndAssignment(f.ctx, hr, other, day("2025-12-31")); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AssignStaff(f.ctx, hr, other, org.AssignInput{SiteID: b, Position: "worker", StartDate: day("2025-06-01")})
		wantField(t, err, "start_date", "重叠")
		if _, err := f.svc.AssignStaff(f.ctx, hr, other, org.AssignInput{SiteID: b, Position: "worker", StartDate: day("2026-01-01")}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSupervisorLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		w := f.staff(hr, "HJ001", "陈晓", "social_worker", 0)
		s1 := f.staff(hr, "HJ010", "周督导", "supervisor", 0)
		s2 := f.staff(hr, "HJ011", "吴督导", "supervisor", 0)
		gone := f.staff(hr, "HJ012", "郑离职", "supervisor", 0)
		if err := f.svc.SetStaffStatus(f.ctx, hr, gone, org.StatusInput{Status: "left", LeaveDate: day("2026-01-31")}); err != nil {
			t.Fatal(err)
		}
		g := newFx(t, d, "other")
		foreign := g.staff(g.admin(), "X1", "外机构", "supervisor", 0)

		err := f.svc.SetSupervisor(f.ctx, hr, w, org.SupervisorInput{SupervisorID: w, StartDate: day("2026-01-01")})
		wantField(t, err, "supervisor_id", "不能指定本人")
		err = f.svc.SetSupervisor(f.ctx, hr, w, org.SupervisorInput{SupervisorID: gone, StartDate: day("2026-01-01")})
		wantField(t, err, "supervisor_id", "在职同工")
		err = f.svc.SetSupervisor(f.ctx, hr, w, org.SupervisorInput{SupervisorID: foreign, StartDate: day("2026-01-01")})
		wantField(t, err, "supervisor_id", "在职同工")
		err = f.svc.SetSupervisor(f.ctx, hr, w, org.SupervisorInput{})
		wantField(t, err, "supervisor_id", "请选择督导")
		wantField(t, err, "start_date", "不能为空")

		if err := f.svc.SetSupervisor(f.ctx, hr, w, org.SupervisorInput{SupervisorID: s1, StartDate: day("2025-06-01")}); err != nil {
			t.Fatal(err)
		}
		err = f.svc.SetSupervisor(f.ctx, hr, w, org.SupervisorInput{SupervisorID: s1, StartDate: day("2026-01-01")})
		wantField(t, err, "supervisor_id", "已是当前督导")
		err = f.svc.SetSupervisor(f.ctx, hr, w, org.SupervisorInput{SupervisorID: s2, StartDate: day("2025-06-01")})
		wantField(t, err, "start_date", "须晚于")
		// Replace s1 by s2 from 2026-02-01.
		if err := f.svc.SetSupervisor(f.ctx, hr, w, org.SupervisorInput{SupervisorID: s2, StartDate: day("2026-02-01")}); err != nil {
			t.Fatal(err)
		}
		st, _ := f.svc.GetStaff(f.ctx, hr, w)
		if st.SupervisorID != s2 || st.SupervisorName != "吴督导" || len(st.Supervisors) != 2 {
			t.Fatalf("supervisors: %d %+v", st.SupervisorID, st.Supervisors)
		}
		if old := st.Supervisors[1]; old.SupervisorID != s1 || old.EndDate.String() != "2026-01-31" || old.Current {
			t.Fatalf("previous link: %+v", old)
		}
		sup2, _ := f.svc.GetStaff(f.ctx, hr, s2)
		if len(sup2.Supervisees) != 1 || sup2.Supervisees[0].SuperviseeName != "陈晓" {
			t.Fatalf("supervisees of s2: %+v", sup2.Supervisees)
		}
		sup1, _ := f.svc.GetStaff(f.ctx, hr, s1)
		if len(sup1.Supervisees) != 0 {
			t.Fatalf("s1 still has supervisees: %+v", sup1.Supervisees)
		}
		// Leaving ends the supervisor's links on the leave date.
		if err := f.svc.SetStaffStatus(f.ctx, hr, s2, org.StatusInput{Status: "left", LeaveDate: day("2026-02-28")}); err != nil {
			t.Fatal(err)
		}
		st, _ = f.svc.GetStaff(f.ctx, hr, w)
		if st.SupervisorID != 0 || st.Supervisors[0].EndDate.String() != "2026-02-28" {
			t.Fatalf("after supervisor left: %d %+v", st.SupervisorID, st.Supervisors)
		}
		if err := f.svc.EndSupervision(f.ctx, hr, w, day("2026-03-01")); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("end without open link: %v", err)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'staff.supervisor'`, f.org); n != 2 {
			t.Fatalf("supervisor changes audited: %d", n)
		}
	})
}

func TestLeaveAndReturn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		a := f.site("北岸中心", 0)
		id := f.staff(hr, "HJ001", "陈晓", "social_worker", a, func(in *org.StaffInput) { in.HireDate = day("2025-01-01") })
		err := f.svc.SetStaffStatus(f.ctx, hr, id, org.StatusInput{Status: "left"})
		wantField(t, err, "leave_date", "不能为空")
		err = f.svc.SetStaffStatus(f.ctx, hr, id, org.StatusInput{Status: "left", LeaveDate: day("2024-12-31")})
		wantField(t, err, "leave_date", "不能早于入职日期")
		if err := f.svc.SetStaffStatus(f.ctx, hr, id, org.StatusInput{Status: "left", LeaveDate: day("2026-02-27")}); err != nil {
			t.Fatal(err)
		}
		st, _ := f.svc.GetStaff(f.ctx, hr, id)
		if st.Status != "left" || st.StatusName() != "已离职" || st.SiteID != 0 || st.Assignments[0].EndDate.String() != "2026-02-27" {
			t.Fatalf("left: %+v", st)
		}
		_, err = f.svc.AssignStaff(f.ctx, hr, id, org.AssignInput{SiteID: a, Position: "worker", StartDate: day("2026-03-01")})
		wantCode(t, err, app.EConflict)
		wantCode(t, f.svc.SetStaffStatus(f.ctx, hr, id, org.StatusInput{Status: "left", LeaveDate: day("2026-02-28")}), app.EConflict)
		if err := f.svc.SetStaffStatus(f.ctx, hr, id, org.StatusInput{Status: "active"}); err != nil {
			t.Fatal(err)
		}
		st, _ = f.svc.GetStaff(f.ctx, hr, id)
		if st.Status != "active" || !st.LeaveDate.IsZero() {
			t.Fatalf("returned: %+v", st)
		}
	})
}

func TestCertificates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		id := f.staff(hr, "HJ001", "陈晓", "social_worker", 0)
		_, err := f.svc.AddCertificate(f.ctx, hr, id, org.CertificateInput{Kind: "wizard"})
		wantField(t, err, "kind", "证书类别")
		_, err = f.svc.AddCertificate(f.ctx, hr, id, org.CertificateInput{Kind: "social_worker", IssuedOn: day("2024-06-01"), ExpiresOn: day("2024-01-01")})
		wantField(t, err, "expires_on", "不能早于发证日期")
		cid, err := f.svc.AddCertificate(f.ctx, hr, id, org.CertificateInput{Kind: "social_worker", Number: "SW2024-0001", IssuedOn: day("2024-06-01")})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.svc.GetStaff(f.ctx, hr, id)
		if len(st.Certificates) != 1 || st.Certificates[0].KindName != "社会工作师" || st.Certificates[0].Number != "SW2024-0001" {
			t.Fatalf("certificates: %+v", st.Certificates)
		}
		wantCode(t, f.svc.RemoveCertificate(f.ctx, hr, id, cid+100), app.ENotFound)
		if err := f.svc.RemoveCertificate(f.ctx, hr, id, cid); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action LIKE 'staff.certificate_%'`, f.org); n != 2 {
			t.Fatalf("certificate changes audited: %d", n)
		}
	})
}

func TestStaffScopeAndMasking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		north, xinshi := f.site("北岸中心", 0), f.site("新市中心", 0)
		svcDept := f.dept("服务部")
		phone := func(p string) func(*org.StaffInput) { return func(in *org.StaffInput) { in.Phone = p } }
		worker := f.staff(hr, "HJ001", "陈晓", "social_worker", north, phone("13800000001"))
		peer := f.staff(hr, "HJ002", "李明", "social_worker", north, phone("13800000002"))
		far := f.staff(hr, "HJ003", "黄华", "social_worker", xinshi, phone("13800000003"))
		sup := f.staff(hr, "HJ010", "周督导", "supervisor", xinshi, phone("13800000010"))
		head := f.staff(hr, "HJ020", "何主任", "social_worker", north, func(in *org.StaffInput) { in.Position = "centre_head" })
		dh := f.staff(hr, "HJ030", "服务部长", "other", 0, func(in *org.StaffInput) { in.DepartmentID = svcDept })
		f.exec(`UPDATE staff SET department_id = $2 WHERE id = $1`, far, svcDept)
		if err := f.svc.SetSupervisor(f.ctx, hr, worker, org.SupervisorInput{SupervisorID: sup, StartDate: day("2026-01-01")}); err != nil {
			t.Fatal(err)
		}
		pw := f.principal(f.user("chen", worker, authz.RoleWorker))
		ps := f.principal(f.user("zhou", sup, authz.RoleSupervisor))
		ph := f.principal(f.user("he", head, authz.RoleCentreHead))
		pd := f.principal(f.user("fwb", dh, authz.RoleServiceHead))

		names := func(p *authz.Principal) string {
			t.Helper()
			list, total, err := f.svc.ListStaff(f.ctx, p, org.StaffFilter{}, app.ListQuery{Page: 1, Size: 50})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, st := range list {
				out = append(out, st.Name)
				if st.Phone != "" && (!st.PhoneMasked || !strings.Contains(st.Phone, "****")) {
					t.Fatalf("list shows an unmasked phone: %q", st.Phone)
				}
			}
			if total != len(list) {
				t.Fatalf("total %d, rows %d", total, len(list))
			}
			return strings.Join(out, ",")
		}
		if got := names(pw); got != "陈晓" {
			t.Fatalf("worker sees %s", got)
		}
		if got := names(ps); got != "陈晓,周督导" {
			t.Fatalf("supervisor sees %s", got)
		}
		if got := names(ph); got != "陈晓,李明,何主任" {
			t.Fatalf("centre head sees %s", got)
		}
		if got := names(pd); got != "黄华,服务部长" {
			t.Fatalf("service head sees %s", got)
		}
		if got := names(hr); got != "陈晓,李明,黄华,周督导,何主任,服务部长" {
			t.Fatalf("HR sees %s", got)
		}

		// Records outside the scope are not found, never forbidden.
		for _, c := range []struct {
			p  *authz.Principal
			id int64
		}{{pw, peer}, {ps, peer}, {ph, far}, {pd, worker}} {
			_, err := f.svc.GetStaff(f.ctx, c.p, c.id)
			wantCode(t, err, app.ENotFound)
		}
		g := newFx(t, d, "other")
		gadmin := g.admin()
		_, err := f.svc.GetStaff(f.ctx, gadmin, worker)
		wantCode(t, err, app.ENotFound)
		list, _, _ := f.svc.ListStaff(f.ctx, gadmin, org.StaffFilter{}, app.ListQuery{Page: 1, Size: 50})
		if len(list) != 0 {
			t.Fatalf("other organization lists %d staff", len(list))
		}
		wantCode(t, f.svc.UpdateStaff(f.ctx, gadmin, worker, org.StaffInput{EmployeeNo: "X", Name: "X", Gender: "男",
			Title: "other", HireDate: day("2024-01-01"), Version: 1}), app.ENotFound)

		// Full phone: the person themself and staff administrators; others see it masked.
		get := func(p *authz.Principal, id int64) *org.Staff {
			t.Helper()
			st, err := f.svc.GetStaff(f.ctx, p, id)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		if st := get(pw, worker); st.Phone != "13800000001" || st.PhoneMasked {
			t.Fatalf("own phone: %q", st.Phone)
		}
		if st := get(hr, worker); st.Phone != "13800000001" {
			t.Fatalf("HR sees %q", st.Phone)
		}
		if st := get(ps, worker); st.Phone != "138****0001" || !st.PhoneMasked {
			t.Fatalf("supervisor sees %q", st.Phone)
		}
		if st := get(ph, peer); st.Phone != "138****0002" {
			t.Fatalf("centre head sees %q", st.Phone)
		}

		// Readers cannot write.
		_, err = f.svc.CreateStaff(f.ctx, ph, org.StaffInput{})
		wantCode(t, err, app.EForbidden)
		_, err = f.svc.AssignStaff(f.ctx, ps, worker, org.AssignInput{SiteID: north, Position: "worker", StartDate: day("2026-03-01")})
		wantCode(t, err, app.EForbidden)

		// Filters.
		list, _, _ = f.svc.ListStaff(f.ctx, hr, org.StaffFilter{SiteID: xinshi}, app.ListQuery{Page: 1, Size: 50})
		if len(list) != 2 {
			t.Fatalf("site filter: %d", len(list))
		}
		list, _, _ = f.svc.ListStaff(f.ctx, hr, org.StaffFilter{Title: "supervisor"}, app.ListQuery{Page: 1, Size: 50})
		if len(list) != 1 || list[0].Name != "周督导" {
			t.Fatalf("title filter: %+v", list)
		}
		list, _, _ = f.svc.ListStaff(f.ctx, hr, org.StaffFilter{}, app.ListQuery{Page: 1, Size: 50, Q: "hj00"})
		if len(list) != 3 {
			t.Fatalf("search: %d", len(list))
		}
	})
}

func TestPlatformSeesNoStaff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		f.staff(hr, "HJ001", "陈晓", "social_worker", f.site("北岸中心", 0), func(in *org.StaffInput) { in.Phone = "13800000001" })
		var uid int64
		d.W.QueryRow(`INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
			VALUES (1, 'platform', '平台', 'x', FALSE, 'active', $1, $1) RETURNING id`, now).Scan(&uid)
		d.W.Exec(`INSERT INTO user_roles (org_id, user_id, role) VALUES (1, $1, 'platform_operator')`, uid)
		pp := f.principal(uid)
		_, _, err := f.svc.ListStaff(f.ctx, pp, org.StaffFilter{}, app.ListQuery{Page: 1, Size: 50})
		wantCode(t, err, app.EForbidden)
		_, err = f.svc.GetStaff(f.ctx, pp, 1)
		wantCode(t, err, app.EForbidden)
		_, err = f.svc.StaffDistribution(f.ctx, pp, app.Date{})
		wantCode(t, err, app.EForbidden)
		_, _, err = f.svc.ListUsers(f.ctx, pp, org.UserFilter{}, app.ListQuery{Page: 1, Size: 50})
		wantCode(t, err, app.EForbidden)
		orgs, err := f.svc.ListOrganizations(f.ctx, pp)
		if err != nil || len(orgs) != 1 || orgs[0].Staff != 1 || orgs[0].Sites != 1 {
			t.Fatalf("organizations: %+v %v", orgs, err)
		}
	})
}

func TestStaffDistribution(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		hr := f.admin()
		hj, qs := f.town("黄江镇"), f.town("企石镇")
		north, xinshi, zhenhua := f.site("北岸中心", hj), f.site("新市中心", hj), f.site("振华中心", qs)
		project := f.site("松湖项目", 0)
		youth, elder := f.domain("青少年"), f.domain("长者")
		doms := func(ids ...int64) func(*org.StaffInput) { return func(in *org.StaffInput) { in.DomainIDs = ids } }
		f.staff(hr, "A1", "甲", "social_worker", north, doms(youth))
		f.staff(hr, "A2", "乙", "assistant_social_worker", north, doms(youth, elder))
		moved := f.staff(hr, "A3", "丙", "worker_assistant", north)
		f.staff(hr, "B1", "丁", "social_worker", xinshi, doms(elder))
		f.staff(hr, "C1", "戊", "supervisor", zhenhua)
		f.staff(hr, "H1", "己", "finance", 0) // head office, no service point
		left := f.staff(hr, "C2", "庚", "social_worker", zhenhua)
		f.staff(hr, "N1", "辛", "social_worker", project, func(in *org.StaffInput) { in.HireDate = day("2026-06-01") }) // not yet hired
		if _, err := f.svc.AssignStaff(f.ctx, hr, moved, org.AssignInput{SiteID: zhenhua, Position: "worker", StartDate: day("2026-02-01")}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetStaffStatus(f.ctx, hr, left, org.StatusInput{Status: "left", LeaveDate: day("2026-01-31")}); err != nil {
			t.Fatal(err)
		}

		dist, err := f.svc.StaffDistribution(f.ctx, hr, app.Date{})
		if err != nil {
			t.Fatal(err)
		}
		if !dist.Date.Equal(day("2026-03-02")) || dist.Total != 6 || dist.Unassigned != 1 {
			t.Fatalf("today: date %s total %d unassigned %d", dist.Date, dist.Total, dist.Unassigned)
		}
		counts := func(hs []org.HeadCount) string {
			var out []string
			for _, h := range hs {
				out = append(out, fmt.Sprintf("%s=%d", h.Name, h.Count))
			}
			return strings.Join(out, ",")
		}
		if got := counts(dist.BySite); got != "北岸中心=2,新市中心=1,振华中心=2,松湖项目=0" {
			t.Fatalf("by site: %s", got)
		}
		if got := counts(dist.ByTown); got != "黄江镇=3,企石镇=2,未设置镇街=0" {
			t.Fatalf("by town: %s", got)
		}
		if got := counts(dist.ByTitle); got != "社工师=2,助理社工师=1,社工助理=1,督导=1,行政=0,财务=1,其他=0" {
			t.Fatalf("by title: %s", got)
		}
		if got := counts(dist.ByDomain); got != "长者=2,青少年=2" && got != "青少年=2,长者=2" {
			t.Fatalf("by domain: %s", got)
		}
		if dist.NoDomain != 3 {
			t.Fatalf("no domain: %d", dist.NoDomain)
		}
		// Cross table: 振华 has one supervisor and one 社工助理.
		for _, row := range dist.Cross {
			if row.Site == "振华中心" && (row.Counts[2] != 1 || row.Counts[3] != 1 || row.Total != 2) {
				t.Fatalf("振华 row: %+v", row)
			}
		}
		sum := 0
		for _, n := range dist.TitleTotals {
			sum += n
		}
		if sum != dist.Total {
			t.Fatalf("title totals %d ≠ total %d", sum, dist.Total)
		}

		// On 2026-01-15 丙 was still at 北岸 and 庚 had not left.
		past, err := f.svc.StaffDistribution(f.ctx, hr, day("2026-01-15"))
		if err != nil {
			t.Fatal(err)
		}
		if got := counts(past.BySite); got != "北岸中心=3,新市中心=1,振华中心=2,松湖项目=0" || past.Total != 7 {
			t.Fatalf("2026-01-15: %s total %d", got, past.Total)
		}

		// A centre head sees the own centre only, and no unassigned staff.
		headID := f.staff(hr, "Z1", "何主任", "social_worker", zhenhua, func(in *org.StaffInput) { in.Position = "centre_head" })
		ph := f.principal(f.user("he", headID, authz.RoleCentreHead))
		mine, err := f.svc.StaffDistribution(f.ctx, ph, app.Date{})
		if err != nil {
			t.Fatal(err)
		}
		if got := counts(mine.BySite); got != "振华中心=3" || mine.Total != 3 || mine.Unassigned != 0 || mine.ScopeName != "本服务点" {
			t.Fatalf("centre head: %s total %d", got, mine.Total)
		}
		// Titles outside the list (older or imported records) get their own column.
		f.exec(`UPDATE staff SET title = '社会工作师' WHERE org_id = $1 AND employee_no = 'B1'`, f.org)
		f.exec(`UPDATE staff SET title = '' WHERE org_id = $1 AND employee_no = 'H1'`, f.org)
		mixed, err := f.svc.StaffDistribution(f.ctx, hr, app.Date{})
		if err != nil {
			t.Fatal(err)
		}
		if got := counts(mixed.ByTitle); got != "社工师=2,助理社工师=1,社工助理=1,督导=1,行政=0,财务=0,其他=0,社会工作师=1,未填写=1" {
			t.Fatalf("titles outside the list: %s", got)
		}
		// A worker has no access to the report.
		pw := f.principal(f.user("w", moved, authz.RoleWorker))
		_, err = f.svc.StaffDistribution(f.ctx, pw, app.Date{})
		wantCode(t, err, app.EForbidden)
	})
}

func TestLinkStaffUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFx(t, d, "lvye")
		admin := f.admin()
		id := f.staff(admin, "HJ001", "陈晓", "social_worker", 0)
		other := f.staff(admin, "HJ002", "李明", "social_worker", 0)
		uid, _, err := f.svc.CreateUser(f.ctx, admin, org.UserInput{Username: "chenxiao", DisplayName: "陈晓",
			Roles: []authz.Role{authz.RoleWorker}})
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, f.svc.LinkStaffUser(f.ctx, admin, id, 0), "user_id", "请选择账号")
		if err := f.svc.LinkStaffUser(f.ctx, admin, id, uid); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.svc.LinkStaffUser(f.ctx, admin, id, uid), app.EConflict)
		wantField(t, f.svc.LinkStaffUser(f.ctx, admin, other, uid), "user_id", "已关联其他同工")
		st, _ := f.svc.GetStaff(f.ctx, admin, id)
		if st.UserID != uid || st.Username != "chenxiao" {
			t.Fatalf("linked: %+v", st)
		}
		// The account's principal now carries the staff id.
		if p := f.principal(uid); p.StaffID != id {
			t.Fatalf("principal staff id %d", p.StaffID)
		}
		if err := f.svc.UnlinkStaffUser(f.ctx, admin, id); err != nil {
			t.Fatal(err)
		}
		if p := f.principal(uid); p.StaffID != 0 {
			t.Fatal("still linked")
		}
		// Only account administrators link accounts.
		hrOnly := f.principal(f.user("hronly", 0, authz.RoleHR))
		wantCode(t, f.svc.LinkStaffUser(f.ctx, hrOnly, id, uid), app.EForbidden)
	})
}
