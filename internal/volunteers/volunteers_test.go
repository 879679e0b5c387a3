package volunteers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/volunteers"
)

func TestRegisterMaskRevealAndDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		idNo := validID("44190019900515002")
		v, err := f.svc.Create(f.ctx, w, volunteers.VolunteerInput{SiteID: f.siteA, Name: "李小红", IDNumber: idNo,
			Phone: "139 1234 5678", Skills: "书法", Consent: true, ConsentOn: app.NewDate(2026, 3, 1), Address: "黄江镇北岸社区幸福路8号"})
		if err != nil {
			t.Fatal(err)
		}
		if v.No != "V2026-0001" || v.Gender != "女" || v.BirthMonth != "1990-05" {
			t.Fatalf("number and derived fields: %+v", v)
		}
		if v.IDNumberMasked == idNo || !strings.Contains(v.IDNumberMasked, "*") || v.PhoneMasked != "139****5678" ||
			strings.Contains(v.AddressMasked, "幸福路8号") {
			t.Fatalf("not masked: %q %q %q", v.IDNumberMasked, v.PhoneMasked, v.AddressMasked)
		}
		// Stored encrypted: the plain values are nowhere in the row.
		if n := f.count(`SELECT COUNT(*) FROM volunteers WHERE id_number_enc LIKE $1 OR phone_enc LIKE $2 OR address_enc LIKE $3`,
			"%"+idNo+"%", "%13912345678%", "%幸福路%"); n != 0 {
			t.Fatal("personal data stored in clear")
		}
		list, total, err := f.svc.List(f.ctx, w, volunteers.Filter{ListQuery: app.ListQuery{Page: 1, Size: 20}})
		if err != nil || total != 1 || list[0].PhoneMasked != "139****5678" {
			t.Fatalf("list: %v %d %+v", err, total, list)
		}
		// Exact search by full phone or ID number goes through the blind index.
		for _, q := range []string{"13912345678", idNo, "李小", "V2026-0001"} {
			if _, n, err := f.svc.List(f.ctx, w, volunteers.Filter{ListQuery: app.ListQuery{Page: 1, Size: 20, Q: q}}); err != nil || n != 1 {
				t.Fatalf("search %q: %v %d", q, err, n)
			}
		}
		rv, err := f.svc.Reveal(f.ctx, w, v.ID)
		if err != nil || rv.IDNumber != idNo || rv.Phone != "13912345678" || rv.Address != "黄江镇北岸社区幸福路8号" {
			t.Fatalf("reveal: %v %+v", err, rv)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.reveal' AND object_id = $1`, fmt.Sprint(v.ID)); n != 1 {
			t.Fatalf("reveal audited %d times", n)
		}
		// The evaluator reads but may not reveal.
		ev := f.user(f.org, authz.RoleEvaluator)
		if _, err := f.svc.Get(f.ctx, ev, v.ID); err != nil {
			t.Fatalf("evaluator read: %v", err)
		}
		if _, err := f.svc.Reveal(f.ctx, ev, v.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("evaluator reveal: %v", err)
		}

		// Same ID number or phone again: refused, naming the other volunteer.
		_, err = f.svc.Create(f.ctx, w, volunteers.VolunteerInput{SiteID: f.siteA, Name: "李红", IDNumber: strings.ToLower(idNo)})
		if app.ErrorCode(err) != app.EConflict || !strings.Contains(app.ErrorMessage(err), "V2026-0001") {
			t.Fatalf("duplicate id: %v", err)
		}
		_, err = f.svc.Create(f.ctx, w, volunteers.VolunteerInput{SiteID: f.siteA, Name: "李红", Phone: "13912345678"})
		if app.ErrorCode(err) != app.EConflict || app.FieldErrors(err)["phone"] == "" {
			t.Fatalf("duplicate phone: %v", err)
		}

		// Validation: every bad field is named.
		_, err = f.svc.Create(f.ctx, w, volunteers.VolunteerInput{SiteID: f.siteB, IDNumber: "441900199005150021",
			Phone: "12345", Employer: "某公司"})
		fields := app.FieldErrors(err)
		for _, k := range []string{"name", "id_number", "phone", "employer", "site_id"} {
			if fields[k] == "" {
				t.Errorf("no error for %s: %v", k, fields)
			}
		}
		if !strings.Contains(fields["employer"], "同意") || !strings.Contains(fields["site_id"], "无权") {
			t.Fatalf("messages: %v", fields)
		}

		// Withdrawing consent erases the optional fields.
		in := volunteers.VolunteerInput{SiteID: f.siteA, Name: "李小红", Skills: "书法", Version: 1}
		v2, err := f.svc.Update(f.ctx, w, v.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Consent || v2.AddressMasked != "" || v2.PhoneMasked != "139****5678" || v2.Version != 2 {
			t.Fatalf("after withdrawal: %+v", v2)
		}
		// A stale version is refused.
		if _, err := f.svc.Update(f.ctx, w, v.ID, in); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("stale update: %v", err)
		}
	})
}

func TestScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		wa := f.user(f.org, authz.RoleWorker, f.siteA)
		wb := f.user(f.org, authz.RoleWorker, f.siteB)
		dir := f.user(f.org, authz.RoleDirector)
		foreign := f.user(f.other, authz.RoleDirector)
		va := f.volunteer(wa, f.siteA, "甲", 1, true)
		f.volunteer(wb, f.siteB, "乙", 2, true)
		r := f.record(wa, va, "2026-03-01", "09:00", "10:00", "探访")
		if _, err := f.svc.Get(f.ctx, wb, va.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other site: %v", err)
		}
		if _, err := f.svc.GetRecord(f.ctx, wb, r.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other site record: %v", err)
		}
		if _, err := f.svc.Get(f.ctx, foreign, va.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other org: %v", err)
		}
		if _, err := f.svc.Get(f.ctx, dir, va.ID); err != nil {
			t.Fatalf("director: %v", err)
		}
		_, n, _ := f.svc.List(f.ctx, wa, volunteers.Filter{ListQuery: app.ListQuery{Page: 1, Size: 20}})
		_, nd, _ := f.svc.List(f.ctx, dir, volunteers.Filter{ListQuery: app.ListQuery{Page: 1, Size: 20}})
		_, nf, _ := f.svc.List(f.ctx, foreign, volunteers.Filter{ListQuery: app.ListQuery{Page: 1, Size: 20}})
		if n != 1 || nd != 2 || nf != 0 {
			t.Fatalf("list scope: worker %d director %d foreign %d", n, nd, nf)
		}
		ev := f.user(f.org, authz.RoleEvaluator)
		if _, err := f.svc.Create(f.ctx, ev, volunteers.VolunteerInput{SiteID: f.siteA, Name: "丙", Phone: "13900000009"}); app.ErrorCode(err) != app.EForbidden {
			t.Fatalf("evaluator create: %v", err)
		}
		// A worker cannot record at another service point, nor edit its records.
		in := f.recordInput(va, "2026-03-01", "11:00", "12:00", "探访")
		in.SiteID = f.siteB
		if _, err := f.svc.CreateRecord(f.ctx, wa, in); app.FieldErrors(err)["site_id"] == "" {
			t.Fatalf("record at other site: %v", err)
		}
		// Nor put a record under another service point's team.
		teamB, err := f.svc.CreateTeam(f.ctx, wb, volunteers.TeamInput{SiteID: f.siteB, Name: "乙队"})
		if err != nil {
			t.Fatal(err)
		}
		in = f.recordInput(va, "2026-03-01", "11:00", "12:00", "探访")
		in.TeamID = teamB.ID
		if _, err := f.svc.CreateRecord(f.ctx, wa, in); app.FieldErrors(err)["team_id"] == "" {
			t.Fatalf("record under other site's team: %v", err)
		}
		if err := f.svc.DeleteRecord(f.ctx, wb, r.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("delete other site's record: %v", err)
		}
	})
}

func TestOverlappingHoursRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		v := f.volunteer(w, f.siteA, "陈志愿", 1, true)
		other := f.volunteer(w, f.siteA, "周志愿", 2, true)
		first := f.record(w, v, "2026-03-01", "09:00", "11:00", "长者探访")
		if first.Minutes != 120 {
			t.Fatalf("minutes %d", first.Minutes)
		}
		want := "该志愿者在 2026-03-01 09:00–11:00 已有服务记录（长者探访），时间不能重叠"
		for _, c := range [][2]string{{"10:00", "12:00"}, {"08:00", "09:30"}, {"09:30", "10:00"}, {"08:00", "12:00"}} {
			_, err := f.svc.CreateRecord(f.ctx, w, f.recordInput(v, "2026-03-01", c[0], c[1], "社区义诊"))
			if app.ErrorCode(err) != app.EConflict || app.ErrorMessage(err) != want {
				t.Fatalf("%s–%s: %v", c[0], c[1], err)
			}
		}
		// Touching ranges, another day and another person are fine.
		f.record(w, v, "2026-03-01", "11:00", "12:15", "社区义诊")
		f.record(w, v, "2026-02-28", "09:00", "11:00", "社区义诊")
		f.record(w, other, "2026-03-01", "09:00", "11:00", "长者探访")
		// Late and early minutes are taken off the service time.
		in := f.recordInput(v, "2026-03-01", "14:00", "17:30", "垃圾分类宣传")
		in.LateMinutes, in.EarlyMinutes = 10, 5
		r, err := f.svc.CreateRecord(f.ctx, w, in)
		if err != nil || r.Minutes != 195 {
			t.Fatalf("late/early: %v %+v", err, r)
		}
		// Moving a record onto another is refused too; moving it within its own slot is not.
		mv := f.recordInput(v, "2026-03-01", "10:30", "11:30", "社区义诊")
		mv.Version = r.Version
		if _, err := f.svc.UpdateRecord(f.ctx, w, r.ID, mv); app.ErrorCode(err) != app.EConflict ||
			!strings.Contains(app.ErrorMessage(err), "09:00–11:00") {
			t.Fatalf("update into overlap: %v", err)
		}
		own := f.recordInput(v, "2026-03-01", "14:00", "17:00", "垃圾分类宣传")
		if _, err := f.svc.UpdateRecord(f.ctx, w, r.ID, own); err != nil {
			t.Fatalf("update own slot: %v", err)
		}
		// Bad times are explained.
		_, err = f.svc.CreateRecord(f.ctx, w, f.recordInput(v, "2026-03-03", "25:00", "10:00", "x"))
		if fe := app.FieldErrors(err); fe["start_time"] == "" || fe["service_date"] == "" {
			t.Fatalf("bad input: %v", fe)
		}
		_, err = f.svc.CreateRecord(f.ctx, w, f.recordInput(v, "2026-03-01", "18:00", "17:00", "x"))
		if app.FieldErrors(err)["end_time"] == "" {
			t.Fatalf("end before start: %v", err)
		}
		_, total, sum, err := f.svc.Records(f.ctx, w, volunteers.RecordFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}, VolunteerID: v.ID})
		if err != nil || total != 4 || sum != 120+75+120+180 {
			t.Fatalf("records: %v %d %d", err, total, sum)
		}
	})
}

func TestStarRatingByThresholds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		v := f.volunteer(w, f.siteA, "星级", 1, true)
		th, err := f.svc.Thresholds(f.ctx, f.org, app.NewDate(2026, 3, 2))
		if err != nil || len(th) != 5 || !th[0].Default {
			t.Fatalf("defaults: %v %+v", err, th)
		}
		want := []int64{100, 300, 600, 1000, 1500}
		for i, x := range th {
			if x.Stars != i+1 || x.MinHours != want[i] {
				t.Fatalf("default thresholds %+v", th)
			}
		}
		for _, c := range []struct {
			m     volunteers.Minutes
			stars int
		}{{0, 0}, {100*60 - 1, 0}, {100 * 60, 1}, {299 * 60, 1}, {300 * 60, 2}, {600 * 60, 3}, {1000 * 60, 4}, {1499*60 + 59, 4}, {1500 * 60, 5}, {9000 * 60, 5}} {
			if got := volunteers.StarsFor(c.m, th); got != c.stars {
				t.Errorf("%d minutes: %d stars, want %d", c.m, got, c.stars)
			}
		}
		// 100 hours of records, 10 h a day over 10 days: exactly 1★.
		for i := range 10 {
			f.record(w, v, app.NewDate(2026, 2, 10+i).String(), "08:00", "18:00", "大型活动")
		}
		got, _ := f.svc.Get(f.ctx, w, v.ID)
		if got.Minutes != 6000 || got.Stars != 1 {
			t.Fatalf("after 100 h: %d min, %d stars", got.Minutes, got.Stars)
		}
		// The organization lowers the thresholds from 2026-04-01: the old
		// ones hold until then, the new ones after.
		if err := f.svc.SetThresholds(f.ctx, w, volunteers.ThresholdInput{ValidFrom: app.NewDate(2026, 4, 1),
			Hours: [5]int64{50, 100, 200, 400, 800}}); app.ErrorCode(err) != app.EForbidden {
			t.Fatalf("worker sets thresholds: %v", err)
		}
		head := f.user(f.org, authz.RoleServiceHead)
		err = f.svc.SetThresholds(f.ctx, head, volunteers.ThresholdInput{ValidFrom: app.NewDate(2026, 4, 1), Hours: [5]int64{50, 40, 200, 400, 800}})
		if app.FieldErrors(err)["hours2"] == "" {
			t.Fatalf("non-increasing thresholds: %v", err)
		}
		if err := f.svc.SetThresholds(f.ctx, head, volunteers.ThresholdInput{ValidFrom: app.NewDate(2026, 4, 1),
			Hours: [5]int64{50, 100, 200, 400, 800}}); err != nil {
			t.Fatal(err)
		}
		march, _ := f.svc.Thresholds(f.ctx, f.org, app.NewDate(2026, 3, 31))
		april, _ := f.svc.Thresholds(f.ctx, f.org, app.NewDate(2026, 4, 1))
		if march[1].MinHours != 300 || april[1].MinHours != 100 || april[0].Default {
			t.Fatalf("effective dates: %+v / %+v", march, april)
		}
		// Another organization keeps the defaults.
		if oth, _ := f.svc.Thresholds(f.ctx, f.other, app.NewDate(2026, 5, 1)); oth[1].MinHours != 300 {
			t.Fatalf("other org: %+v", oth)
		}
		f.clock.Set(time.Date(2026, 4, 2, 1, 0, 0, 0, time.UTC))
		got, _ = f.svc.Get(f.ctx, w, v.ID)
		if got.Stars != 2 {
			t.Fatalf("stars under the new thresholds: %d", got.Stars)
		}
		list, _, _ := f.svc.List(f.ctx, w, volunteers.Filter{ListQuery: app.ListQuery{Page: 1, Size: 20}, MinStars: 2})
		if len(list) != 1 || list[0].Stars != 2 {
			t.Fatalf("star filter: %+v", list)
		}
		if next, need, ok := volunteers.NextStar(got.Minutes, april); !ok || next != 3 || need != 100*60 {
			t.Fatalf("next star: %d %d %v", next, need, ok)
		}
	})
}

func TestMinutesFormatting(t *testing.T) {
	for _, c := range []struct {
		m      volunteers.Minutes
		hours  string
		hm     string
		approx float64
	}{{0, "0", "0小时", 0}, {90, "1.5", "1小时30分", 1.5}, {100, "1.67", "1小时40分", 100.0 / 60}, {120, "2", "2小时", 2},
		{45, "0.75", "45分钟", 0.75}, {192300, "3205", "3205小时", 3205}, {1, "0.02", "1分钟", 1.0 / 60}} {
		if c.m.String() != c.hours || c.m.HM() != c.hm || c.m.Hours() != c.approx {
			t.Errorf("%d: %q %q %v", c.m, c.m.String(), c.m.HM(), c.m.Hours())
		}
	}
	for s, want := range map[string]int{"9:00": 540, "09:30": 570, "24:00": 1440, "8:05:00": 485, "０9:00": -1, "9:60": -1, "25:00": -1} {
		got, ok := volunteers.ParseClock(s)
		if (want < 0 && ok) || (want >= 0 && (!ok || got != want)) {
			t.Errorf("ParseClock(%q) = %d %v", s, got, ok)
		}
	}
}

func TestCommendationsAndCertificateNumbersGapFree(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		idNo := validID("44190019880101001")
		v, err := f.svc.Create(f.ctx, w, volunteers.VolunteerInput{SiteID: f.siteA, Name: "证明人", IDNumber: idNo, Phone: "13700000001"})
		if err != nil {
			t.Fatal(err)
		}
		idle := f.volunteer(w, f.siteA, "无记录", 2, false)
		f.record(w, v, "2026-01-10", "09:00", "12:00", "长者探访")
		f.record(w, v, "2026-02-10", "14:00", "16:30", "义路童行兴趣班")
		if _, err := f.svc.AddCommendation(f.ctx, w, v.ID, volunteers.CommendationInput{AwardedOn: app.NewDate(2026, 2, 1),
			Title: "优秀志愿者", Issuer: "黄江镇团委"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddCommendation(f.ctx, w, v.ID, volunteers.CommendationInput{}); len(app.FieldErrors(err)) != 3 {
			t.Fatalf("empty commendation: %v", err)
		}
		var numbers []string
		for i := range 3 {
			in := volunteers.CertificateInput{}
			if i == 1 {
				in.PeriodFrom, in.PeriodTo = app.NewDate(2026, 2, 1), app.NewDate(2026, 2, 28)
			}
			id, err := f.svc.IssueCertificate(f.ctx, w, v.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			// A failed issue in between takes no number.
			if _, err := f.svc.IssueCertificate(f.ctx, w, idle.ID, volunteers.CertificateInput{}); app.ErrorCode(err) != app.EInvalid {
				t.Fatalf("certificate without records: %v", err)
			}
			c, err := f.svc.Certificate(f.ctx, w, id, false)
			if err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, c.Number)
			if i == 0 && (c.Minutes != 330 || c.Services != 2 || c.IDNumber != "" || !strings.Contains(c.IDNumberMasked, "*") ||
				!strings.Contains(c.Content, "长者探访") || c.Issuer != "绿叶社工" || c.PeriodFrom.String() != "2026-01-10") {
				t.Fatalf("certificate: %+v", c)
			}
			if i == 1 && c.Minutes != 150 {
				t.Fatalf("period certificate: %+v", c)
			}
		}
		want := []string{"绿叶证字2026第0001号", "绿叶证字2026第0002号", "绿叶证字2026第0003号"}
		if strings.Join(numbers, ",") != strings.Join(want, ",") {
			t.Fatalf("numbers %v", numbers)
		}
		// Full ID only for holders of reveal, and audited.
		list, _ := f.svc.Certificates(f.ctx, w, v.ID)
		full, err := f.svc.Certificate(f.ctx, w, list[0].ID, true)
		if err != nil || full.IDNumber != idNo {
			t.Fatalf("full certificate: %v %+v", err, full)
		}
		ev := f.user(f.org, authz.RoleEvaluator)
		if _, err := f.svc.Certificate(f.ctx, ev, list[0].ID, true); app.ErrorCode(err) != app.EForbidden {
			t.Fatalf("evaluator full certificate: %v", err)
		}
		// A new year starts again at 0001; another organization has its own series.
		f.clock.Set(time.Date(2027, 1, 5, 1, 0, 0, 0, time.UTC))
		id, _ := f.svc.IssueCertificate(f.ctx, w, v.ID, volunteers.CertificateInput{})
		c, _ := f.svc.Certificate(f.ctx, w, id, false)
		if c.Number != "绿叶证字2027第0001号" {
			t.Fatalf("new year: %s", c.Number)
		}
		if n := f.count(`SELECT COUNT(*) FROM volunteer_certificates WHERE org_id = $1`, f.org); n != 4 {
			t.Fatalf("%d certificates", n)
		}
	})
}

func TestTeamsAndManagers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		head := f.user(f.org, authz.RoleCentreHead, f.siteA)
		a := f.volunteer(head, f.siteA, "队长", 1, true)
		b := f.volunteer(head, f.siteA, "队员", 2, true)
		team, err := f.svc.CreateTeam(f.ctx, head, volunteers.TeamInput{SiteID: f.siteA, Name: "义工导师队", LeaderID: a.ID,
			QQGroup: "123456789", PublicAccount: "北岸社工"})
		if err != nil || team.Members != 1 || team.LeaderName != "队长" {
			t.Fatalf("team: %v %+v", err, team)
		}
		if _, err := f.svc.CreateTeam(f.ctx, head, volunteers.TeamInput{SiteID: f.siteA, Name: "义工导师队"}); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("duplicate team: %v", err)
		}
		if err := f.svc.AddMembers(f.ctx, head, team.ID, []int64{b.ID}); err != nil {
			t.Fatal(err)
		}
		ms, _ := f.svc.Members(f.ctx, head, team.ID)
		if len(ms) != 2 || !ms[0].Leader || ms[1].PhoneMasked != "139****0002" {
			t.Fatalf("members: %+v", ms)
		}
		if err := f.svc.RemoveMember(f.ctx, head, team.ID, a.ID); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("remove leader: %v", err)
		}
		if err := f.svc.RemoveMember(f.ctx, head, team.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := f.svc.Get(f.ctx, head, a.ID)
		if len(got.Teams) != 1 || got.Teams[0].Name != "义工导师队" {
			t.Fatalf("volunteer's teams: %+v", got.Teams)
		}
		choices, _ := f.svc.ManagerChoices(f.ctx, head)
		if len(choices) != 1 {
			t.Fatalf("manager choices: %+v", choices)
		}
		if err := f.svc.AddManager(f.ctx, head, f.siteA, choices[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AddManager(f.ctx, head, f.siteA, choices[0].ID); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("manager twice: %v", err)
		}
		if err := f.svc.AddManager(f.ctx, head, f.siteB, choices[0].ID); app.FieldErrors(err)["site_id"] == "" {
			t.Fatalf("manager at other site: %v", err)
		}
		ms2, _ := f.svc.Managers(f.ctx, head, 0)
		if len(ms2) != 1 || ms2[0].SiteName != "北岸中心" {
			t.Fatalf("managers: %+v", ms2)
		}
		if err := f.svc.RemoveManager(f.ctx, head, f.siteA, choices[0].ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReportsAndStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleServiceHead)
		full := f.volunteer(w, f.siteA, "完整", 1, true)
		f.exec(`UPDATE volunteers SET id_number_enc = 'x', id_number_mask = 'x' WHERE id = $1`, full.ID)
		noIvol := f.volunteer(w, f.siteA, "未注册", 2, false)
		inB := f.volunteer(w, f.siteB, "乙点", 3, true)
		team, _ := f.svc.CreateTeam(f.ctx, w, volunteers.TeamInput{SiteID: f.siteA, Name: "探访队"})
		teamB, _ := f.svc.CreateTeam(f.ctx, w, volunteers.TeamInput{SiteID: f.siteB, Name: "环保队"})
		f.svc.AddMembers(f.ctx, w, team.ID, []int64{full.ID, noIvol.ID})
		f.svc.AddMembers(f.ctx, w, teamB.ID, []int64{inB.ID})

		un, total, err := f.svc.Unregistered(f.ctx, w, volunteers.ReportFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}})
		if err != nil || total != 2 {
			t.Fatalf("unregistered: %v %d %+v", err, total, un)
		}
		for _, v := range un {
			if v.ID == full.ID {
				t.Fatal("complete registration reported")
			}
			if v.ID == noIvol.ID && !strings.Contains(strings.Join(v.Missing(), ","), "i志愿编号") {
				t.Fatalf("missing: %v", v.Missing())
			}
		}

		in := f.recordInput(full, "2026-02-20", "09:00", "11:30", "长者探访")
		in.TeamID = team.ID
		if _, err := f.svc.CreateRecord(f.ctx, w, in); err != nil {
			t.Fatal(err)
		}
		in = f.recordInput(full, "2026-03-01", "09:00", "10:00", "长者探访")
		in.TeamID = team.ID
		f.svc.CreateRecord(f.ctx, w, in)
		f.record(w, inB, "2026-03-01", "14:00", "14:20", "环保宣传")

		idle, n, err := f.svc.Idle(f.ctx, w, volunteers.ReportFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}})
		if err != nil || n != 1 || idle[0].VolunteerID != noIvol.ID || idle[0].Teams != "探访队" {
			t.Fatalf("idle in March: %v %d %+v", err, n, idle)
		}
		idle, n, _ = f.svc.Idle(f.ctx, w, volunteers.ReportFilter{ListQuery: app.ListQuery{Page: 1, Size: 20},
			From: app.NewDate(2026, 2, 1), To: app.NewDate(2026, 2, 28)})
		if n != 2 || idle[0].VolunteerID != noIvol.ID || !idle[0].LastService.IsZero() || idle[1].VolunteerID != inB.ID ||
			idle[1].LastService.String() != "2026-03-01" {
			t.Fatalf("idle in February: %d %+v", n, idle)
		}

		all, none := app.Date{}, app.Date{}
		pt, _ := volunteers.VolunteerPersonTimes(f.ctx, d.R, f.org, 0, all, none)
		hrs, _ := volunteers.VolunteerHours(f.ctx, d.R, f.org, 0, all, none)
		dv, _ := volunteers.DistinctVolunteers(f.ctx, d.R, f.org, 0, all, none)
		if pt != 3 || hrs != 150+60+20 || dv != 2 {
			t.Fatalf("totals: %d %d %d", pt, hrs, dv)
		}
		march := app.NewDate(2026, 3, 1)
		pt, _ = volunteers.VolunteerPersonTimes(f.ctx, d.R, f.org, f.siteA, march, march.MonthEnd())
		hrs, _ = volunteers.VolunteerHours(f.ctx, d.R, f.org, f.siteA, march, march.MonthEnd())
		if pt != 1 || hrs != 60 {
			t.Fatalf("site A in March: %d %d", pt, hrs)
		}
		if n, _ := volunteers.VolunteerPersonTimes(f.ctx, d.R, f.other, 0, all, none); n != 0 {
			t.Fatal("other organization counted")
		}
		byTeam, err := volunteers.HoursByTeam(f.ctx, d.R, f.org, 0, all, none)
		if err != nil || len(byTeam) != 2 || byTeam[0].TeamName != "探访队" || byTeam[0].Minutes != 210 || byTeam[0].PersonTimes != 2 ||
			byTeam[0].Volunteers != 1 || byTeam[1].TeamID != 0 || byTeam[1].Minutes != 20 {
			t.Fatalf("by team: %v %+v", err, byTeam)
		}
	})
}
