package resources_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/reminder"
	"shegong/internal/resources"
)

type fixture struct {
	t          *testing.T
	d          *db.DB
	ctx        context.Context
	now        time.Time
	svc        *resources.Service
	org, other int64
	n          int
}

// Sites are created on 2026-01-15, so they existed through February.
var created = time.Date(2026, 1, 15, 2, 0, 0, 0, time.UTC)

func setup(t *testing.T, d *db.DB) *fixture {
	f := &fixture{t: t, d: d, ctx: context.Background(), now: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}
	f.svc = resources.New(d, func() time.Time { return f.now })
	f.org = f.id(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ('lvye', '绿叶社工', 'agency', 'active', $1) RETURNING id`, created)
	f.other = f.id(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ('other', '别家', 'agency', 'active', $1) RETURNING id`, created)
	return f
}

func (f *fixture) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.d.W.QueryRow(q, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f *fixture) site(org int64, name string, at time.Time) int64 {
	f.n++
	return f.id(`INSERT INTO sites (org_id, code, name, kind, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'centre', 'active', $4, $4) RETURNING id`, org, fmt.Sprintf("S%d", f.n), name, at)
}

func (f *fixture) user(org int64, role authz.Role, sites ...int64) *authz.Principal {
	f.t.Helper()
	f.n++
	name := fmt.Sprintf("u%d", f.n)
	uid := f.id(`INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'x', FALSE, 'active', $4, $4) RETURNING id`, org, name, "用户"+name, created)
	if _, err := f.d.W.Exec(`INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, $3)`, org, uid, string(role)); err != nil {
		f.t.Fatal(err)
	}
	sid := f.id(`INSERT INTO staff (org_id, employee_no, name, status, user_id, created_at, updated_at)
		VALUES ($1, $2, $3, 'active', $4, $5, $5) RETURNING id`, org, "E"+name, "同工"+name, uid, created)
	for _, s := range sites {
		if _, err := f.d.W.Exec(`INSERT INTO staff_assignments (org_id, staff_id, site_id, position, start_date)
			VALUES ($1, $2, $3, 'worker', '2025-01-01')`, org, sid, s); err != nil {
			f.t.Fatal(err)
		}
	}
	p, err := authz.Load(f.ctx, f.d.R, uid, app.NewDate(2026, 3, 2))
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func TestResourceLinksAndLibrary(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a := f.site(f.org, "北岸中心", created)
		b := f.site(f.org, "振华中心", created)
		wa := f.user(f.org, authz.RoleWorker, a)
		wb := f.user(f.org, authz.RoleWorker, b)
		admin := f.user(f.org, authz.RoleAdminHead)
		ev := f.user(f.org, authz.RoleEvaluator)
		foreign := f.user(f.other, authz.RoleDirector)

		l, err := f.svc.CreateLink(f.ctx, wa, resources.LinkInput{SiteID: a, Month: "2026-02", Provider: "北岸社区公益金",
			Kind: "money", Description: "义路童行项目资助", Value: 1500000, Beneficiaries: 120, BeneficiariesNote: "社区青少年"})
		if err != nil {
			t.Fatal(err)
		}
		if l.Month != "2026-02" || l.Value.String() != "¥15,000.00" || l.KindLabel() != "资金" {
			t.Fatalf("link: %+v", l)
		}
		f.svc.CreateLink(f.ctx, wa, resources.LinkInput{SiteID: a, Month: "2026年3月", Provider: "黄江医院", Kind: "professional",
			Description: "义诊", Value: 200000, Beneficiaries: 60})
		f.svc.CreateLink(f.ctx, wb, resources.LinkInput{SiteID: b, Month: "2026-01", Provider: "企石镇文化站", Kind: "venue",
			Description: "借用场地", Value: 50000})

		_, err = f.svc.CreateLink(f.ctx, wa, resources.LinkInput{SiteID: b, Month: "2026-04", Kind: "gold", Value: -1})
		fe := app.FieldErrors(err)
		for _, k := range []string{"site_id", "month", "provider", "kind", "value_fen"} {
			if fe[k] == "" {
				t.Errorf("no error for %s: %v", k, fe)
			}
		}
		if _, err := f.svc.CreateLink(f.ctx, ev, resources.LinkInput{}); app.ErrorCode(err) != app.EForbidden {
			t.Fatalf("evaluator write: %v", err)
		}

		all := resources.LinkFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}}
		for _, c := range []struct {
			p     *authz.Principal
			f     resources.LinkFilter
			count int
			value app.Fen
		}{
			{wa, all, 2, 1700000},
			{wb, all, 1, 50000},
			{admin, all, 3, 1750000},
			{ev, all, 3, 1750000},
			{foreign, all, 0, 0},
			{admin, resources.LinkFilter{ListQuery: app.ListQuery{Page: 1, Size: 20, Q: "义诊"}}, 1, 200000},
			{admin, resources.LinkFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}, Kind: "venue"}, 1, 50000},
			{admin, resources.LinkFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}, From: "2026-02", To: "2026-03"}, 2, 1700000},
			{admin, resources.LinkFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}, SiteID: b}, 1, 50000},
		} {
			rows, tot, err := f.svc.Links(f.ctx, c.p, c.f)
			if err != nil || tot.Count != c.count || tot.Value != c.value || len(rows) != c.count {
				t.Errorf("search %+v: %v %+v", c.f, err, tot)
			}
		}
		rows, _, _ := f.svc.Links(f.ctx, admin, all)
		if rows[0].Month != "2026-03" || rows[2].Month != "2026-01" {
			t.Fatalf("newest month first: %+v", rows)
		}
		if _, err := f.svc.GetLink(f.ctx, wb, l.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other site: %v", err)
		}
		if _, err := f.svc.GetLink(f.ctx, foreign, l.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other org: %v", err)
		}
		if err := f.svc.DeleteLink(f.ctx, wb, l.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other site delete: %v", err)
		}
		up, err := f.svc.UpdateLink(f.ctx, admin, l.ID, resources.LinkInput{SiteID: a, Month: "2026-02", Provider: "北岸社区公益金",
			Kind: "money", Value: 1600000})
		if err != nil || up.Value != 1600000 {
			t.Fatalf("update: %v %+v", err, up)
		}

		// Nothing linked in a month is reported once, and refused when links exist.
		if err := f.svc.ReportNone(f.ctx, wb, b, "2026-02", "本月未链接到资源"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ReportNone(f.ctx, wa, a, "2026-02", ""); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("nil report with links: %v", err)
		}
		month, st, err := f.svc.MonthStatus(f.ctx, admin, "2026-02")
		if err != nil || resources.MonthLabel(month) != "2026-02" || len(st) != 2 {
			t.Fatalf("status: %v %+v", err, st)
		}
		for _, r := range st {
			if !r.Done() || (r.SiteID == b && !r.NoneReported) || (r.SiteID == a && (r.Links != 1 || r.Value != 1600000)) {
				t.Fatalf("status row %+v", r)
			}
		}
		if err := f.svc.DeleteLink(f.ctx, wa, l.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.id(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'resource.%'`); n != 6 {
			t.Fatalf("audited %d", n)
		}
	})
}

func TestPurchaserComms(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a := f.site(f.org, "北岸中心", created)
		b := f.site(f.org, "振华中心", created)
		head := f.user(f.org, authz.RoleCentreHead, a)
		admin := f.user(f.org, authz.RoleAdminHead)
		c, err := f.svc.CreateComm(f.ctx, head, resources.CommInput{SiteID: a, Date: app.NewDate(2026, 3, 1), Contact: "社区居委陈主任",
			Method: "visit", Content: "汇报2月服务情况", FollowUp: true, FollowUpNote: "3月底前提交季度计划"})
		if err != nil || c.MethodLabel() != "面谈" || !c.FollowUp {
			t.Fatalf("comm: %v %+v", err, c)
		}
		_, err = f.svc.CreateComm(f.ctx, head, resources.CommInput{SiteID: b, Date: app.NewDate(2026, 3, 9), Method: "fax", FollowUp: true})
		fe := app.FieldErrors(err)
		for _, k := range []string{"site_id", "comm_date", "contact", "method", "content", "follow_up_note"} {
			if fe[k] == "" {
				t.Errorf("no error for %s: %v", k, fe)
			}
		}
		f.svc.CreateComm(f.ctx, admin, resources.CommInput{SiteID: b, Date: app.NewDate(2026, 2, 20), Contact: "镇社工办",
			Method: "phone", Content: "沟通拨款进度"})
		list, n, err := f.svc.Comms(f.ctx, head, resources.CommFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}})
		if err != nil || n != 1 || list[0].ID != c.ID {
			t.Fatalf("head's comms: %v %d", err, n)
		}
		_, n, _ = f.svc.Comms(f.ctx, admin, resources.CommFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}, FollowUp: true})
		if n != 1 {
			t.Fatalf("follow-ups: %d", n)
		}
		_, n, _ = f.svc.Comms(f.ctx, admin, resources.CommFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}, Method: "phone",
			From: app.NewDate(2026, 2, 1), To: app.NewDate(2026, 2, 28)})
		if n != 1 {
			t.Fatalf("filtered: %d", n)
		}
		up, err := f.svc.UpdateComm(f.ctx, head, c.ID, resources.CommInput{SiteID: a, Date: app.NewDate(2026, 3, 1), Contact: "陈主任",
			Method: "meeting", Content: "季度例会"})
		if err != nil || up.Method != "meeting" || up.FollowUp {
			t.Fatalf("update: %v %+v", err, up)
		}
		if err := f.svc.DeleteComm(f.ctx, head, list[0].ID); err != nil {
			t.Fatal(err)
		}
	})
}

// items runs a rule for p on a day.
func items(t *testing.T, f *fixture, r reminder.Rule, p *authz.Principal, day app.Date) []reminder.Item {
	t.Helper()
	out, err := r.Items(f.ctx, f.d.R, p, day)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func titles(its []reminder.Item) string {
	var s []string
	for _, it := range its {
		tag := ""
		if it.Overdue {
			tag = "!"
		}
		s = append(s, tag+it.Title)
	}
	// Names sort differently under each database's collation.
	sort.Strings(s)
	return strings.Join(s, "|")
}

// set is the expected titles in the order titles gives them.
func set(xs ...string) string {
	sort.Strings(xs)
	return strings.Join(xs, "|")
}

func TestMonthlyReminders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		a := f.site(f.org, "北岸中心", created)
		b := f.site(f.org, "振华中心", created)
		f.site(f.org, "新开中心", time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)) // opened in March
		f.site(f.other, "别家中心", created)
		head := f.user(f.org, authz.RoleCentreHead, a)
		admin := f.user(f.org, authz.RoleAdminHead)
		worker := f.user(f.org, authz.RoleWorker, a)
		links, comms := resources.LinkRule{}, resources.CommRule{}

		// Resource links of February: nothing shown up to 5 March, overdue from the 6th.
		if got := titles(items(t, f, links, admin, app.NewDate(2026, 3, 5))); got != "" {
			t.Fatalf("on the 5th: %s", got)
		}
		got := titles(items(t, f, links, admin, app.NewDate(2026, 3, 6)))
		if got != set("!北岸中心 · 2026年2月资源链接", "!振华中心 · 2026年2月资源链接") {
			t.Fatalf("on the 6th, admin: %s", got)
		}
		if got := titles(items(t, f, links, head, app.NewDate(2026, 3, 6))); got != "!北岸中心 · 2026年2月资源链接" {
			t.Fatalf("centre head sees own centre only: %s", got)
		}
		if got := items(t, f, links, worker, app.NewDate(2026, 3, 6)); len(got) != 0 {
			t.Fatalf("worker is not reminded: %+v", got)
		}
		// A link for February clears North; a nil report clears Zhenhua.
		wa := f.user(f.org, authz.RoleWorker, a)
		f.now = time.Date(2026, 3, 6, 1, 0, 0, 0, time.UTC)
		if _, err := f.svc.CreateLink(f.ctx, wa, resources.LinkInput{SiteID: a, Month: "2026-02", Provider: "爱心商家", Kind: "goods", Value: 30000}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.ReportNone(f.ctx, admin, b, "2026-02", ""); err != nil {
			t.Fatal(err)
		}
		if got := titles(items(t, f, links, admin, app.NewDate(2026, 3, 31))); got != "" {
			t.Fatalf("after registering: %s", got)
		}
		// April: March is now the month asked for; the centre opened in March counts too.
		if got := titles(items(t, f, links, admin, app.NewDate(2026, 4, 5))); got != "" {
			t.Fatalf("5 April: %s", got)
		}
		if got := titles(items(t, f, links, admin, app.NewDate(2026, 4, 6))); got != set("!北岸中心 · 2026年3月资源链接", "!新开中心 · 2026年3月资源链接", "!振华中心 · 2026年3月资源链接") {
			t.Fatalf("6 April: %s", got)
		}

		// Purchaser communication: due from the 25th, overdue once the month ends.
		f.svc.CreateComm(f.ctx, admin, resources.CommInput{SiteID: a, Date: app.NewDate(2026, 2, 10), Contact: "陈主任", Method: "phone", Content: "二月沟通"})
		// On 2 March: February's gap at Zhenhua is overdue; nothing due yet for March.
		if got := titles(items(t, f, comms, admin, app.NewDate(2026, 3, 2))); got != "!振华中心 · 2026年2月用人单位沟通" {
			t.Fatalf("2 March: %s", got)
		}
		if got := titles(items(t, f, comms, admin, app.NewDate(2026, 3, 24))); got != "!振华中心 · 2026年2月用人单位沟通" {
			t.Fatalf("24 March: %s", got)
		}
		got = titles(items(t, f, comms, admin, app.NewDate(2026, 3, 25)))
		if got != set("!振华中心 · 2026年2月用人单位沟通", "北岸中心 · 2026年3月用人单位沟通", "新开中心 · 2026年3月用人单位沟通", "振华中心 · 2026年3月用人单位沟通") {
			t.Fatalf("25 March: %s", got)
		}
		f.now = time.Date(2026, 3, 26, 1, 0, 0, 0, time.UTC)
		f.svc.CreateComm(f.ctx, admin, resources.CommInput{SiteID: a, Date: app.NewDate(2026, 3, 26), Contact: "陈主任", Method: "wechat", Content: "三月沟通"})
		f.svc.CreateComm(f.ctx, admin, resources.CommInput{SiteID: b, Date: app.NewDate(2026, 2, 27), Contact: "镇社工办", Method: "letter", Content: "补记二月"})
		got = titles(items(t, f, comms, admin, app.NewDate(2026, 3, 31)))
		if got != set("新开中心 · 2026年3月用人单位沟通", "振华中心 · 2026年3月用人单位沟通") {
			t.Fatalf("31 March: %s", got)
		}
		// 1 April: March has ended without a record at two centres: overdue.
		its := items(t, f, comms, admin, app.NewDate(2026, 4, 1))
		if titles(its) != set("!新开中心 · 2026年3月用人单位沟通", "!振华中心 · 2026年3月用人单位沟通") || its[0].Due.String() != "2026-03-31" {
			t.Fatalf("1 April: %s", titles(its))
		}
		if got := titles(items(t, f, comms, head, app.NewDate(2026, 4, 1))); got != "" {
			t.Fatalf("centre head of North on 1 April: %s", got)
		}
		// 1 May: April had none anywhere.
		if got := titles(items(t, f, comms, head, app.NewDate(2026, 5, 1))); got != "!北岸中心 · 2026年4月用人单位沟通" {
			t.Fatalf("1 May: %s", got)
		}
	})
}
