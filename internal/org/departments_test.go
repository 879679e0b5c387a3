package org_test

import (
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/org"
)

func TestDepartments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleAdminHead)
		_, err := f.svc.CreateDepartment(f.ctx, admin, org.DeptInput{Name: strings.Repeat("部", 41), Kind: "hr"})
		wantFields(t, err, app.EInvalid, map[string]string{"name": "部门名称不能超过40个字", "kind": "请选择有效的部门类别"})
		_, err = f.svc.CreateDepartment(f.ctx, admin, org.DeptInput{})
		wantFields(t, err, app.EInvalid, map[string]string{"name": "部门名称不能为空", "kind": "部门类别不能为空"})

		svc, err := f.svc.CreateDepartment(f.ctx, admin, org.DeptInput{Name: "服务部", Kind: "service",
			Duties: "统筹各服务点专业服务与督导；每月检查个案档案"})
		if err != nil {
			t.Fatal(err)
		}
		adm, err := f.svc.CreateDepartment(f.ctx, admin, org.DeptInput{Name: "行政部", Kind: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.CreateDepartment(f.ctx, admin, org.DeptInput{Name: "服务部", Kind: "other"})
		wantFields(t, err, app.EConflict, map[string]string{"name": "部门「服务部」已存在"})
		err = f.svc.UpdateDepartment(f.ctx, admin, adm, org.DeptInput{Name: "服务部", Kind: "admin"})
		wantFields(t, err, app.EConflict, map[string]string{"name": "部门「服务部」已存在"})

		// A worker reads but may not change departments.
		worker := f.as(authz.RoleWorker)
		rows, total, err := f.svc.ListDepartments(f.ctx, worker, org.DeptFilter{}, app.ListQuery{Page: 1, Size: 20})
		if err != nil || total != 2 || rows[0].Name != "行政部" || rows[0].KindName != "行政部" {
			t.Fatalf("list %v %d %+v", err, total, rows)
		}
		_, err = f.svc.CreateDepartment(f.ctx, worker, org.DeptInput{Name: "财务部", Kind: "finance"})
		wantCode(t, err, app.EForbidden)
		wantCode(t, f.svc.SetDepartmentActive(f.ctx, worker, svc, false), app.EForbidden)

		if err := f.svc.UpdateDepartment(f.ctx, admin, svc, org.DeptInput{Name: "服务部", Kind: "service",
			Duties: "统筹专业服务"}); err != nil {
			t.Fatal(err)
		}
		// With a staff member in it, the department cannot be deactivated.
		sid := f.id(`INSERT INTO staff (org_id, employee_no, name, status, department_id, created_at, updated_at)
			VALUES ($1, 'E01', '周主任', 'active', $2, $3, $3) RETURNING id`, f.orgID, svc, siteClock)
		err = f.svc.SetDepartmentActive(f.ctx, admin, svc, false)
		wantCode(t, err, app.EConflict)
		members, err := f.svc.DepartmentMembers(f.ctx, f.as(authz.RoleDirector), svc)
		if err != nil || len(members) != 1 || members[0].StaffID != sid {
			t.Fatalf("members %v %v", members, err)
		}
		if err := f.svc.SetDepartmentActive(f.ctx, admin, adm, false); err != nil {
			t.Fatal(err)
		}
		rows, _, err = f.svc.ListDepartments(f.ctx, admin, org.DeptFilter{Status: "inactive"}, app.ListQuery{Page: 1, Size: 20})
		if err != nil || len(rows) != 1 || rows[0].ID != adm {
			t.Fatalf("inactive filter %v %+v", err, rows)
		}
		rows, _, err = f.svc.ListDepartments(f.ctx, admin, org.DeptFilter{}, app.ListQuery{Page: 1, Size: 20, Q: "督导"})
		if err != nil || len(rows) != 0 {
			t.Fatalf("duties were changed, search should miss: %+v", rows)
		}
		dep, err := f.svc.GetDepartment(f.ctx, admin, svc)
		if err != nil || dep.Duties != "统筹专业服务" || dep.StaffCount != 1 {
			t.Fatalf("get %v %+v", err, dep)
		}
		h, err := f.svc.DepartmentHistory(f.ctx, admin, svc)
		if err != nil || len(h) != 2 || h[0].Action != "dept.update" || h[0].Detail != "中层职责已修改" {
			t.Fatalf("history %v %+v", err, h)
		}
		g := f.another("qingshan")
		_, err = g.svc.GetDepartment(f.ctx, g.as(authz.RoleDirector), svc)
		wantCode(t, err, app.ENotFound)
		err = g.svc.UpdateDepartment(f.ctx, g.as(authz.RoleDirector), svc, org.DeptInput{Name: "x", Kind: "other"})
		wantCode(t, err, app.ENotFound)
	})
}

func TestTownsPurchasersDomains(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleOrgAdmin)
		worker := f.as(authz.RoleWorker)

		hj, err := f.svc.CreateTown(f.ctx, admin, org.NameInput{Name: " 黄江镇 "})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.CreateTown(f.ctx, admin, org.NameInput{Name: "黄江镇"})
		wantFields(t, err, app.EConflict, map[string]string{"name": "镇街「黄江镇」已存在"})
		_, err = f.svc.CreateTown(f.ctx, admin, org.NameInput{Name: ""})
		wantFields(t, err, app.EInvalid, map[string]string{"name": "镇街名称不能为空"})
		_, err = f.svc.CreateTown(f.ctx, worker, org.NameInput{Name: "企石镇"})
		wantCode(t, err, app.EForbidden)
		qs, _ := f.svc.CreateTown(f.ctx, admin, org.NameInput{Name: "企石镇"})
		wantFields(t, f.svc.RenameTown(f.ctx, admin, qs, org.NameInput{Name: "黄江镇"}), app.EConflict,
			map[string]string{"name": "镇街「黄江镇」已存在"})
		if err := f.svc.RenameTown(f.ctx, admin, hj, org.NameInput{Name: "黄江镇人民政府"}); err != nil {
			t.Fatal(err)
		}
		f.site(admin, "BA", "北岸中心", "centre")
		towns, total, err := f.svc.ListTowns(f.ctx, worker, app.ListQuery{Page: 1, Size: 20})
		if err != nil || total != 2 || towns[0].Name+towns[1].Name != "企石镇黄江镇人民政府" && towns[1].Name+towns[0].Name != "企石镇黄江镇人民政府" {
			t.Fatalf("towns %v %+v", err, towns)
		}
		g := f.another("qingshan")
		wantCode(t, g.svc.RenameTown(f.ctx, g.as(authz.RoleOrgAdmin), hj, org.NameInput{Name: "x"}), app.ENotFound)
		_, err = g.svc.GetTown(f.ctx, g.as(authz.RoleOrgAdmin), hj)
		wantCode(t, err, app.ENotFound)

		_, err = f.svc.CreatePurchaser(f.ctx, admin, org.PurchaserInput{Name: "黄江镇社会事务局", Phone: "8363"})
		wantFields(t, err, app.EInvalid, map[string]string{"phone": "电话号码格式不正确，应为11位手机号码或带区号的固定电话（如0769-83212345）"})
		pid, err := f.svc.CreatePurchaser(f.ctx, admin, org.PurchaserInput{Name: "黄江镇社会事务局", Contact: "李科长", Phone: "138 0013 8000"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.CreatePurchaser(f.ctx, admin, org.PurchaserInput{Name: "黄江镇社会事务局"})
		wantFields(t, err, app.EConflict, map[string]string{"name": "用人单位「黄江镇社会事务局」已存在"})
		// Phones are masked for those who may not maintain purchasers.
		list, _, err := f.svc.ListPurchasers(f.ctx, worker, app.ListQuery{Page: 1, Size: 20})
		if err != nil || len(list) != 1 || list[0].Phone != "138****8000" || !list[0].PhoneMasked {
			t.Fatalf("worker sees %v %+v", err, list)
		}
		list, _, _ = f.svc.ListPurchasers(f.ctx, admin, app.ListQuery{Page: 1, Size: 20})
		if list[0].Phone != "13800138000" || list[0].PhoneMasked {
			t.Fatalf("admin sees %+v", list)
		}
		pu, err := f.svc.GetPurchaser(f.ctx, worker, pid)
		if err != nil || pu.Phone != "138****8000" {
			t.Fatalf("worker get %v %+v", err, pu)
		}
		if err := f.svc.UpdatePurchaser(f.ctx, admin, pid, org.PurchaserInput{Name: "黄江镇社会事务局", Contact: "张科长",
			Phone: "0769-83631234"}); err != nil {
			t.Fatal(err)
		}
		pu, _ = f.svc.GetPurchaser(f.ctx, admin, pid)
		if pu.Phone != "0769-83631234" || pu.Contact != "张科长" {
			t.Fatalf("updated %+v", pu)
		}
		var detail string
		f.d.R.QueryRow(`SELECT detail FROM audit_log WHERE org_id = $1 AND action = 'purchaser.update'`, f.orgID).Scan(&detail)
		if detail != "联系人已修改；联系电话已修改" || strings.Contains(detail, "8363") {
			t.Fatalf("purchaser audit detail %q", detail)
		}

		for _, n := range []string{"青少年", "长者", "残障", "家庭", "学校", "社区"} {
			if _, err := f.svc.CreateDomain(f.ctx, admin, org.NameInput{Name: n}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = f.svc.CreateDomain(f.ctx, admin, org.NameInput{Name: "长者"})
		wantFields(t, err, app.EConflict, map[string]string{"name": "领域「长者」已存在"})
		_, err = f.svc.CreateDomain(f.ctx, worker, org.NameInput{Name: "妇女"})
		wantCode(t, err, app.EForbidden)
		doms, total, err := f.svc.ListDomains(f.ctx, worker, app.ListQuery{Page: 1, Size: 20, Q: "青"})
		if err != nil || total != 1 || doms[0].Name != "青少年" {
			t.Fatalf("domains %v %+v", err, doms)
		}
		if err := f.svc.RenameDomain(f.ctx, admin, doms[0].ID, org.NameInput{Name: "青少年服务"}); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action IN ('town.create', 'town.rename',
			'purchaser.create', 'purchaser.update', 'domain.create', 'domain.rename')`, f.orgID); n != 2+1+1+1+6+1 {
			t.Fatalf("%d reference audit rows", n)
		}
	})
}
