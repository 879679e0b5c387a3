package org_test

import (
	"strconv"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/org"
)

func TestContractYearRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newStructFix(t, d, "lvye")
		admin := f.as(authz.RoleOrgAdmin)
		north := f.site(admin, "BA", "北岸中心", "centre")
		other := f.site(admin, "XS", "新市中心", "centre")
		cy := func(label, start, end string, amount int64) org.ContractYearInput {
			return org.ContractYearInput{Label: label, Start: date(start), End: date(end), AmountFen: fen(amount)}
		}
		first, err := f.svc.CreateContractYear(f.ctx, admin, north, cy("2025合同年", "2025-04-01", "2026-03-31", 100000000))
		if err != nil {
			t.Fatal(err)
		}

		bad := []struct {
			name string
			in   org.ContractYearInput
			want map[string]string
			code app.Code
		}{
			{"blank", org.ContractYearInput{}, map[string]string{"label": "合同年名称不能为空", "start_date": "开始日期不能为空",
				"end_date": "结束日期不能为空", "amount_fen": "合同金额不能为空"}, app.EInvalid},
			{"end before start", cy("2026合同年", "2026-04-01", "2026-03-31", 1), map[string]string{"end_date": "结束日期不能早于开始日期"}, app.EInvalid},
			{"negative amount", cy("2026合同年", "2026-04-01", "2027-03-31", -1), map[string]string{"amount_fen": "合同金额不能为负数"}, app.EInvalid},
			{"overlap at the end", cy("2026合同年", "2026-03-31", "2027-03-30", 1),
				map[string]string{"start_date": "与已有合同年「2025合同年」（2025-04-01 至 2026-03-31）时间重叠，同一服务点的合同年不能重叠"}, app.EConflict},
			{"overlap inside", cy("补充", "2025-06-01", "2025-06-30", 1),
				map[string]string{"start_date": "与已有合同年「2025合同年」（2025-04-01 至 2026-03-31）时间重叠，同一服务点的合同年不能重叠"}, app.EConflict},
			{"overlap around", cy("补充", "2025-01-01", "2026-12-31", 1),
				map[string]string{"start_date": "与已有合同年「2025合同年」（2025-04-01 至 2026-03-31）时间重叠，同一服务点的合同年不能重叠"}, app.EConflict},
			{"same label", cy("2025合同年", "2026-04-01", "2027-03-31", 1), map[string]string{"label": "该服务点已有名为「2025合同年」的合同年"}, app.EConflict},
		}
		for _, c := range bad {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.CreateContractYear(f.ctx, admin, north, c.in)
				wantFields(t, err, c.code, c.want)
			})
		}
		// The next day starts the next contract year; another site's periods do not matter.
		second, err := f.svc.CreateContractYear(f.ctx, admin, north, cy("2026合同年", "2026-04-01", "2027-03-31", 123456789))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateContractYear(f.ctx, admin, other, cy("2025合同年", "2025-04-01", "2026-03-31", 5)); err != nil {
			t.Fatal(err)
		}
		// Editing may not move a contract year onto another.
		err = f.svc.UpdateContractYear(f.ctx, admin, north, second, cy("2026合同年", "2026-03-01", "2027-03-31", 1))
		wantCode(t, err, app.EConflict)
		// Editing keeps its own period without clashing with itself.
		if err := f.svc.UpdateContractYear(f.ctx, admin, north, second, org.ContractYearInput{Label: "2026合同年",
			Start: date("2026-04-01"), End: date("2027-03-31"), AmountFen: fen(120000000), Note: "含督导费"}); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.ListContractYears(f.ctx, admin, north)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != second || list[1].ID != first || list[0].AmountFen != 120000000 || list[0].Note != "含督导费" {
			t.Fatalf("list %+v", list)
		}
		if org.ContractTotal(list) != 220000000 || org.ContractTotal(list).String() != "¥2,200,000.00" {
			t.Fatalf("total %s", org.ContractTotal(list))
		}
		today := app.Today(siteClock) // 2026-03-02
		if list[1].State(today) != "ending" || list[0].State(today) != "upcoming" {
			t.Fatalf("states %s %s", list[1].State(today), list[0].State(today))
		}

		// Scope: a worker may not see contract years, a centre head only the own centre's.
		_, err = f.svc.ListContractYears(f.ctx, f.as(authz.RoleWorker, north), north)
		wantCode(t, err, app.EForbidden)
		if _, err := f.svc.ListContractYears(f.ctx, f.as(authz.RoleCentreHead, north), north); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ListContractYears(f.ctx, f.as(authz.RoleCentreHead, other), north)
		wantCode(t, err, app.ENotFound)
		_, err = f.svc.CreateContractYear(f.ctx, f.as(authz.RoleCentreHead, north), north, cy("2027合同年", "2027-04-01", "2028-03-31", 1))
		wantCode(t, err, app.EForbidden)
		g := f.another("qingshan")
		_, err = g.svc.CreateContractYear(f.ctx, g.as(authz.RoleDirector), north, cy("2027合同年", "2027-04-01", "2028-03-31", 1))
		wantCode(t, err, app.ENotFound)
		err = g.svc.DeleteContractYear(f.ctx, g.as(authz.RoleDirector), north, first)
		wantCode(t, err, app.ENotFound)
		// A contract year of one site is not reachable through another.
		err = f.svc.DeleteContractYear(f.ctx, admin, other, first)
		wantCode(t, err, app.ENotFound)

		if err := f.svc.DeleteContractYear(f.ctx, admin, north, first); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM contract_years WHERE org_id = $1 AND site_id = $2`, f.orgID, north); n != 1 {
			t.Fatalf("%d contract years left", n)
		}
		var actions []string
		rows, err := d.R.Query(`SELECT action FROM audit_log WHERE org_id = $1 AND object_type = 'site' AND object_id = $2 ORDER BY seq`,
			f.orgID, strconv.FormatInt(north, 10))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a string
			rows.Scan(&a)
			actions = append(actions, a)
		}
		rows.Close()
		if got := strings.Join(actions, " "); got != "site.create contract_year.create contract_year.create contract_year.update contract_year.delete" {
			t.Fatalf("audit %s", got)
		}
	})
}
