package org_test

import (
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/org"
)

func TestSiteValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleOrgAdmin)
		other := f.another("qingshan")
		foreignTown, err := other.svc.CreateTown(f.ctx, other.as(authz.RoleOrgAdmin), org.NameInput{Name: "企石镇"})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			in   org.SiteInput
			want map[string]string
		}{
			{"blank", org.SiteInput{}, map[string]string{"code": "编号不能为空", "name": "名称不能为空", "kind": "类型不能为空"}},
			{"bad code and kind", org.SiteInput{Code: "北岸 01", Name: "北岸中心", Kind: "school"},
				map[string]string{"code": "编号只能由字母、数字、横线或下划线组成，例如 HJ-BA01", "kind": "请选择有效的服务点类型"}},
			{"too long", org.SiteInput{Code: strings.Repeat("A", 21), Name: strings.Repeat("中", 61), Kind: "centre",
				Address: strings.Repeat("路", 121)},
				map[string]string{"code": "编号不能超过20个字", "name": "名称不能超过60个字", "address": "地址不能超过120个字"}},
			{"bad phone", org.SiteInput{Code: "BA01", Name: "北岸中心", Kind: "centre", Phone: "12345"},
				map[string]string{"phone": "电话号码格式不正确，应为11位手机号码或带区号的固定电话（如0769-83212345）"}},
			{"town of another organization", org.SiteInput{Code: "BA01", Name: "北岸中心", Kind: "centre", TownID: foreignTown},
				map[string]string{"town_id": "所选镇街不存在，请重新选择"}},
			{"unknown purchaser", org.SiteInput{Code: "BA01", Name: "北岸中心", Kind: "centre", PurchaserID: 99999},
				map[string]string{"purchaser_id": "所选用人单位不存在，请重新选择"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.CreateSite(f.ctx, admin, c.in)
				wantFields(t, err, app.EInvalid, c.want)
			})
		}
		if n := f.count(`SELECT COUNT(*) FROM sites WHERE org_id = $1`, f.orgID); n != 0 {
			t.Fatalf("invalid input wrote %d sites", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1`, f.orgID); n != 0 {
			t.Fatalf("invalid input wrote %d audit rows", n)
		}
	})
}

func TestSiteCreateAndUniqueness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleOrgAdmin)
		town, err := f.svc.CreateTown(f.ctx, admin, org.NameInput{Name: "黄江镇"})
		if err != nil {
			t.Fatal(err)
		}
		buyer, err := f.svc.CreatePurchaser(f.ctx, admin, org.PurchaserInput{Name: "黄江镇社会事务局", Contact: "李科长", Phone: "0769-83631234"})
		if err != nil {
			t.Fatal(err)
		}
		id, err := f.svc.CreateSite(f.ctx, admin, org.SiteInput{Code: " hj-ba01 ", Name: "黄江镇北岸社区综合服务中心", Kind: "centre",
			TownID: town, PurchaserID: buyer, Address: "黄江镇北岸社区文化路1号", Phone: "0769 8363 0001"})
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.svc.GetSite(f.ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Code != "HJ-BA01" || st.TownName != "黄江镇" || st.PurchaserName != "黄江镇社会事务局" || st.Phone != "076983630001" ||
			st.Status != "active" || st.Version != 1 || st.KindName != "社区综合服务中心" {
			t.Fatalf("created site: %+v", st)
		}
		if org.FormatPhone(st.Phone) != "0769-83630001" {
			t.Fatalf("formatted phone %s", org.FormatPhone(st.Phone))
		}

		_, err = f.svc.CreateSite(f.ctx, admin, org.SiteInput{Code: "HJ-BA01", Name: "另一个中心", Kind: "centre"})
		wantFields(t, err, app.EConflict, map[string]string{"code": "编号 HJ-BA01 已被其他服务点使用"})
		_, err = f.svc.CreateSite(f.ctx, admin, org.SiteInput{Code: "HJ-XS01", Name: "黄江镇北岸社区综合服务中心", Kind: "centre"})
		wantFields(t, err, app.EConflict, map[string]string{"name": "名称「黄江镇北岸社区综合服务中心」已被其他服务点使用"})
		_, err = f.svc.CreateSite(f.ctx, admin, org.SiteInput{Code: "hj-ba01", Name: "黄江镇北岸社区综合服务中心", Kind: "post"})
		wantFields(t, err, app.EConflict, map[string]string{"code": "编号 HJ-BA01 已被其他服务点使用",
			"name": "名称「黄江镇北岸社区综合服务中心」已被其他服务点使用"})

		// Editing another site onto the same code is a conflict too.
		xs := f.site(admin, "HJ-XS01", "黄江镇新市社区综合服务中心", "centre")
		_, err = f.svc.GetSite(f.ctx, admin, xs)
		if err != nil {
			t.Fatal(err)
		}
		err = f.svc.UpdateSite(f.ctx, admin, xs, org.SiteInput{Code: "HJ-BA01", Name: "黄江镇新市社区综合服务中心", Kind: "centre", Version: 1})
		wantFields(t, err, app.EConflict, map[string]string{"code": "编号 HJ-BA01 已被其他服务点使用"})

		// Another organization may use the same code and name.
		g := f.another("qingshan")
		g.site(g.as(authz.RoleDirector), "HJ-BA01", "黄江镇北岸社区综合服务中心", "centre")
	})
}

func TestSiteScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleOrgAdmin)
		north := f.site(admin, "BA", "黄江镇北岸社区综合服务中心", "centre")
		xinshi := f.site(admin, "XS", "黄江镇新市社区综合服务中心", "centre")
		songhu := f.site(admin, "SH", "松湖之家社会化服务项目", "project")
		g := f.another("qingshan")
		foreign := g.site(g.as(authz.RoleDirector), "BA", "外机构服务点", "centre")

		list := func(p *authz.Principal) []int64 {
			t.Helper()
			rows, total, err := f.svc.ListSites(f.ctx, p, org.SiteFilter{}, app.ListQuery{Page: 1, Size: 20})
			if err != nil {
				t.Fatal(err)
			}
			if total != len(rows) {
				t.Fatalf("total %d, rows %d", total, len(rows))
			}
			var ids []int64
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
			return ids
		}
		director := f.as(authz.RoleDirector)
		if got := list(director); len(got) != 3 {
			t.Fatalf("director sees %v", got)
		}
		if got := list(f.as(authz.RoleEvaluator)); len(got) != 3 {
			t.Fatalf("evaluator sees %v", got)
		}
		head := f.as(authz.RoleCentreHead, north)
		worker := f.as(authz.RoleWorker, xinshi)
		if got := list(head); len(got) != 1 || got[0] != north {
			t.Fatalf("centre head sees %v", got)
		}
		if got := list(worker); len(got) != 1 || got[0] != xinshi {
			t.Fatalf("worker sees %v", got)
		}
		if got := list(f.as(authz.RoleWorker)); len(got) != 0 {
			t.Fatalf("worker without a site sees %v", got)
		}
		if _, err := f.svc.GetSite(f.ctx, head, north); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			p  *authz.Principal
			id int64
		}{{head, xinshi}, {head, songhu}, {worker, north}, {director, foreign}, {director, 424242}} {
			_, err := f.svc.GetSite(f.ctx, c.p, c.id)
			wantCode(t, err, app.ENotFound)
		}
		// Changing: a worker may not create; a centre head sees but may not
		// edit the own centre; another organization's site does not exist.
		_, err := f.svc.CreateSite(f.ctx, worker, org.SiteInput{Code: "X", Name: "X", Kind: "post"})
		wantCode(t, err, app.EForbidden)
		err = f.svc.UpdateSite(f.ctx, head, north, org.SiteInput{Code: "BA", Name: "改名", Kind: "centre", Version: 1})
		wantCode(t, err, app.EForbidden)
		err = f.svc.UpdateSite(f.ctx, director, foreign, org.SiteInput{Code: "BA", Name: "改名", Kind: "centre", Version: 1})
		wantCode(t, err, app.ENotFound)
		wantCode(t, f.svc.SetSiteActive(f.ctx, director, foreign, false), app.ENotFound)
		// Even bad input about another organization's site says only "not found".
		wantCode(t, f.svc.UpdateSite(f.ctx, director, foreign, org.SiteInput{}), app.ENotFound)
		_, err = f.svc.CreateContractYear(f.ctx, director, foreign, org.ContractYearInput{})
		wantCode(t, err, app.ENotFound)
		// The platform operator sees no agency's service points.
		platform := &authz.Principal{UserID: 1, OrgID: 1, OrgKind: "platform", Roles: []authz.Role{authz.RolePlatformOperator}}
		_, _, err = f.svc.ListSites(f.ctx, platform, org.SiteFilter{}, app.ListQuery{Page: 1, Size: 20})
		wantCode(t, err, app.EForbidden)
	})
}

func TestListSitesFiltersAndSort(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleOrgAdmin)
		hj, _ := f.svc.CreateTown(f.ctx, admin, org.NameInput{Name: "黄江镇"})
		qs, _ := f.svc.CreateTown(f.ctx, admin, org.NameInput{Name: "企石镇"})
		mk := func(code, name, kind string, town int64) int64 {
			id, err := f.svc.CreateSite(f.ctx, admin, org.SiteInput{Code: code, Name: name, Kind: kind, TownID: town,
				Address: name + "路"})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		mk("A1", "黄江镇北岸社区综合服务中心", "centre", hj)
		mk("A2", "黄江镇新市社区综合服务中心", "centre", hj)
		zh := mk("B1", "企石镇振华社区综合服务中心", "centre", qs)
		mk("B2", "企石镇宝石社区综合服务中心", "centre", qs)
		mk("C1", "松湖之家社会化服务项目", "project", 0)
		mk("D1", "学校社工岗", "post", qs)
		if err := f.svc.SetSiteActive(f.ctx, admin, zh, false); err != nil {
			t.Fatal(err)
		}
		codes := func(fl org.SiteFilter, q app.ListQuery) string {
			t.Helper()
			if q.Page == 0 {
				q.Page, q.Size = 1, 20
			}
			rows, _, err := f.svc.ListSites(f.ctx, admin, fl, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				out = append(out, r.Code)
			}
			return strings.Join(out, ",")
		}
		for _, c := range []struct {
			name string
			f    org.SiteFilter
			q    app.ListQuery
			want string
		}{
			{"all by code", org.SiteFilter{}, app.ListQuery{}, "A1,A2,B1,B2,C1,D1"},
			{"kind", org.SiteFilter{Kind: "centre"}, app.ListQuery{}, "A1,A2,B1,B2"},
			{"town", org.SiteFilter{TownID: qs}, app.ListQuery{}, "B1,B2,D1"},
			{"status", org.SiteFilter{Status: "inactive"}, app.ListQuery{}, "B1"},
			{"search name", org.SiteFilter{}, app.ListQuery{Q: "宝石"}, "B2"},
			{"search code lower case", org.SiteFilter{}, app.ListQuery{Q: "d1"}, "D1"},
			{"search is literal", org.SiteFilter{}, app.ListQuery{Q: "%"}, ""},
			{"sort by kind desc", org.SiteFilter{}, app.ListQuery{Sort: "kind", Desc: true}, "C1,D1,A1,A2,B1,B2"},
			{"unknown sort falls back", org.SiteFilter{}, app.ListQuery{Sort: "code; DROP TABLE sites"}, "A1,A2,B1,B2,C1,D1"},
			{"paging", org.SiteFilter{}, app.ListQuery{Page: 2, Size: 4}, "C1,D1"},
		} {
			if got := codes(c.f, c.q); got != c.want {
				t.Errorf("%s: %s, want %s", c.name, got, c.want)
			}
		}
		_, _, err := f.svc.ListSites(f.ctx, admin, org.SiteFilter{Kind: "school"}, app.ListQuery{Page: 1, Size: 20})
		wantFields(t, err, app.EInvalid, map[string]string{"kind": "请选择有效的服务点类型"})
	})
}

func TestSiteOptimisticConflict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		a, b := f.as(authz.RoleOrgAdmin), f.as(authz.RoleDirector)
		id := f.site(a, "BA", "北岸中心", "centre")
		// Both editors load version 1; the first save wins.
		stA, _ := f.svc.GetSite(f.ctx, a, id)
		stB, _ := f.svc.GetSite(f.ctx, b, id)
		if err := f.svc.UpdateSite(f.ctx, a, id, org.SiteInput{Code: "BA", Name: "北岸社区综合服务中心", Kind: "centre", Version: stA.Version}); err != nil {
			t.Fatal(err)
		}
		err := f.svc.UpdateSite(f.ctx, b, id, org.SiteInput{Code: "BA", Name: "北岸中心（旧）", Kind: "centre", Version: stB.Version})
		wantCode(t, err, app.EConflict)
		if app.ErrorMessage(err) != "该记录已被他人修改，请刷新后重试" {
			t.Fatalf("message %q", app.ErrorMessage(err))
		}
		st, _ := f.svc.GetSite(f.ctx, a, id)
		if st.Name != "北岸社区综合服务中心" || st.Version != 2 {
			t.Fatalf("after conflict: %+v", st)
		}
		// A missing version is a validation error, not a silent overwrite.
		err = f.svc.UpdateSite(f.ctx, a, id, org.SiteInput{Code: "BA", Name: "x", Kind: "centre"})
		wantFields(t, err, app.EInvalid, map[string]string{"version": "缺少版本号，请先读取记录再修改"})
		// Deactivation also moves the version on.
		if err := f.svc.SetSiteActive(f.ctx, a, id, false); err != nil {
			t.Fatal(err)
		}
		err = f.svc.UpdateSite(f.ctx, a, id, org.SiteInput{Code: "BA", Name: "x", Kind: "centre", Version: 2})
		wantCode(t, err, app.EConflict)
	})
}

func TestSiteAuditAndHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleOrgAdmin)
		id := f.site(admin, "BA", "北岸中心", "centre")
		if err := f.svc.UpdateSite(f.ctx, admin, id, org.SiteInput{Code: "BA", Name: "北岸社区综合服务中心", Kind: "centre",
			Phone: "13800138000", Version: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateContractYear(f.ctx, admin, id, org.ContractYearInput{Label: "2026合同年",
			Start: date("2026-04-01"), End: date("2027-03-31"), AmountFen: fen(123456789)}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSiteActive(f.ctx, admin, id, false); err != nil {
			t.Fatal(err)
		}
		// Setting the same status again changes and audits nothing.
		if err := f.svc.SetSiteActive(f.ctx, admin, id, false); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetSiteActive(f.ctx, admin, id, true); err != nil {
			t.Fatal(err)
		}
		h, err := f.svc.SiteHistory(f.ctx, f.as(authz.RoleCentreHead, id), id)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, c := range h {
			actions = append(actions, c.Action)
		}
		if got := strings.Join(actions, " "); got != "site.activate site.deactivate contract_year.create site.update site.create" {
			t.Fatalf("history %s", got)
		}
		if h[3].ActionName != "修改服务点" || h[3].Detail != "名称：北岸中心 → 北岸社区综合服务中心；电话：（空） → 13800138000" ||
			h[3].Username != "org_admin" {
			t.Fatalf("update entry %+v", h[3])
		}
		if h[2].Detail != "2026合同年：2026-04-01 至 2027-03-31，金额 ¥1,234,567.89" {
			t.Fatalf("contract entry %q", h[2].Detail)
		}
		res, err := audit.Verify(f.ctx, d)
		if err != nil || len(res.Problems) > 0 {
			t.Fatalf("audit chain: %v %v", err, res.Problems)
		}
		_, err = f.svc.SiteHistory(f.ctx, f.as(authz.RoleWorker), id)
		wantCode(t, err, app.ENotFound)
	})
}

func TestSiteDeactivateNeedsNoStaffAndMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleOrgAdmin)
		north := f.site(admin, "BA", "北岸中心", "centre")
		other := f.site(admin, "XS", "新市中心", "centre")
		headID := f.staffAt(north, "E01", "陈主任", "centre_head")
		workerID := f.staffAt(north, "E02", "王社工", "worker")
		f.staffAt(other, "E03", "李社工", "worker")

		err := f.svc.SetSiteActive(f.ctx, admin, north, false)
		wantCode(t, err, app.EConflict)
		if !strings.Contains(app.ErrorMessage(err), "仍有 2 名在岗同工") {
			t.Fatalf("message %q", app.ErrorMessage(err))
		}
		st, _ := f.svc.GetSite(f.ctx, admin, north)
		if st.StaffCount != 2 || st.Status != "active" {
			t.Fatalf("site %+v", st)
		}
		// Members: the director and the centre head see both; a worker and an
		// evaluator, whose staff scope does not cover the centre, may not list them.
		names := func(p *authz.Principal) string {
			t.Helper()
			ms, err := f.svc.SiteMembers(f.ctx, p, north)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range ms {
				out = append(out, m.Name+"/"+m.Position)
			}
			return strings.Join(out, ",")
		}
		if got := names(f.as(authz.RoleDirector)); got != "陈主任/centre_head,王社工/worker" {
			t.Fatalf("director: %s", got)
		}
		if got := names(f.as(authz.RoleCentreHead, north)); got != "陈主任/centre_head,王社工/worker" {
			t.Fatalf("head: %s", got)
		}
		w := f.as(authz.RoleWorker, north)
		w.StaffID = workerID
		_, err = f.svc.SiteMembers(f.ctx, w, north)
		wantCode(t, err, app.EForbidden)
		_, err = f.svc.SiteMembers(f.ctx, f.as(authz.RoleEvaluator), north)
		wantCode(t, err, app.EForbidden)
		_, err = f.svc.SiteMembers(f.ctx, f.as(authz.RoleCentreHead, other), north)
		wantCode(t, err, app.ENotFound)
		// After both transfer out, the centre can close.
		f.exec(`UPDATE staff_assignments SET end_date = $2 WHERE org_id = $1 AND site_id = $3`, f.orgID,
			app.Today(siteClock).AddDays(-1), north)
		_ = headID
		if err := f.svc.SetSiteActive(f.ctx, admin, north, false); err != nil {
			t.Fatal(err)
		}
	})
}
