package groups

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/reminder"
)

func TestGroupValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		_, err := w.svc.CreateGroup(w.ctx, w.workerA, GroupInput{})
		for _, f := range []string{"name", "kind", "site_id", "leader_id", "planned_sessions"} {
			wantField(t, err, f)
		}
		base := GroupInput{Name: "青少年成长小组", Kind: "growth", SiteID: w.siteA, LeaderID: w.workerA.StaffID, PlannedSessions: 6}
		cases := []struct {
			name  string
			edit  func(in *GroupInput)
			field string
		}{
			{"unknown kind", func(in *GroupInput) { in.Kind = "chat" }, "kind"},
			{"plan ends before it starts", func(in *GroupInput) {
				in.PlanStart, in.PlanEnd = date("2026-04-01"), date("2026-03-01")
			}, "plan_end"},
			{"negative target", func(in *GroupInput) { in.TargetMembers = -1 }, "target_members"},
			{"name too long", func(in *GroupInput) { in.Name = strings.Repeat("组", 61) }, "name"},
			{"another service point", func(in *GroupInput) { in.SiteID = w.siteB }, "site_id"},
			{"site of another organization", func(in *GroupInput) { in.SiteID = w.siteX }, "site_id"},
			{"leader of another organization", func(in *GroupInput) { in.LeaderID = w.foreign.StaffID }, "leader_id"},
			{"unknown project", func(in *GroupInput) { in.ProjectID = 9999 }, "project_id"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := base
				c.edit(&in)
				_, err := w.svc.CreateGroup(w.ctx, w.workerA, in)
				wantField(t, err, c.field)
			})
		}
		// A worker records groups at their own centre, whoever leads them.
		if _, err := w.svc.CreateGroup(w.ctx, w.workerB, base); app.ErrorCode(err) != app.EInvalid {
			t.Fatalf("worker B created a group at site A: %v", err)
		}
		id, err := w.svc.CreateGroup(w.ctx, w.workerA, base)
		if err != nil {
			t.Fatal(err)
		}
		g, err := w.svc.GetGroup(w.ctx, w.workerA, id)
		if err != nil || g.Status != StatusPlanning || g.LeaderName != "王社工" || g.SiteName != "黄江镇北岸社区综合服务中心" {
			t.Fatalf("created group: %+v %v", g, err)
		}
		if w.countAudit("group.create") != 1 {
			t.Fatal("creation not audited")
		}
	})
}

func TestAttendanceCountsPersonTimes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.clk.setDay("2026-03-20")
		g := w.group(w.workerA, "长者互助小组", 4)
		m1 := w.member(w.workerA, g, "张三丰")
		m2 := w.member(w.workerA, g, "李四")
		m3 := w.member(w.workerA, g, "王五")
		other := w.group(w.workerA, "另一个小组", 4)
		stranger := w.member(w.workerA, other, "赵六")

		s1 := w.session(w.workerA, g, "2026-03-02", m1, m2)
		w.session(w.workerA, g, "2026-03-09", m1, m2, m3)
		w.session(w.workerA, g, "2026-03-16", m3)

		gr, err := w.svc.GetGroup(w.ctx, w.workerA, g)
		if err != nil {
			t.Fatal(err)
		}
		if gr.Sessions != 3 || gr.PersonTimes != 6 || gr.Members != 3 || gr.Status != StatusRunning {
			t.Fatalf("after three sessions: sessions %d, person-times %d, members %d, status %s",
				gr.Sessions, gr.PersonTimes, gr.Members, gr.Status)
		}
		f := CountFilter{OrgID: w.org}
		if n, _ := GroupPersonTimes(w.ctx, d.R, f, date("2026-03-01"), date("2026-03-31")); n != 6 {
			t.Fatalf("GroupPersonTimes = %d, want 6", n)
		}
		// Each session lists every member, present or absent.
		list, err := w.svc.Sessions(w.ctx, w.workerA, g)
		if err != nil {
			t.Fatal(err)
		}
		if list[0].No != 1 || len(list[0].Present) != 2 || len(list[0].Absent) != 1 || list[2].No != 3 {
			t.Fatalf("sessions: %+v", list)
		}
		// Correcting attendance recounts: everyone came to the first session.
		if err := w.svc.SetAttendance(w.ctx, w.workerA, g, s1, []int64{m1, m2, m3}, list[0].Version); err != nil {
			t.Fatal(err)
		}
		if n, _ := GroupPersonTimes(w.ctx, d.R, f, date("2026-03-01"), date("2026-03-31")); n != 7 {
			t.Fatalf("after correction GroupPersonTimes = %d, want 7", n)
		}
		// The stale version is refused.
		err = w.svc.SetAttendance(w.ctx, w.workerA, g, s1, []int64{m1}, list[0].Version)
		wantCode(t, err, app.EConflict, "stale attendance")
		if !strings.Contains(app.ErrorMessage(err), "已被他人修改") {
			t.Fatalf("conflict message: %s", app.ErrorMessage(err))
		}
		// Someone from another group cannot be marked present.
		_, err = w.svc.CreateSession(w.ctx, w.workerA, g, SessionInput{HeldOn: date("2026-03-18"), Topic: "加一节", Present: []int64{m1, stranger}})
		wantField(t, err, "present")
		// Duplicate ids count once.
		s4, err := w.svc.CreateSession(w.ctx, w.workerA, g, SessionInput{HeldOn: date("2026-03-18"), Topic: "加一节",
			Present: []int64{m1, m1, m1}, Stage: "ending"})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := GroupPersonTimes(w.ctx, d.R, f, date("2026-03-18"), date("2026-03-18")); n != 1 {
			t.Fatalf("duplicate marks counted: %d", n)
		}
		// A session cannot be recorded in the future or without a topic.
		_, err = w.svc.CreateSession(w.ctx, w.workerA, g, SessionInput{HeldOn: date("2026-03-21"), Topic: "明天"})
		wantField(t, err, "held_on")
		_, err = w.svc.CreateSession(w.ctx, w.workerA, g, SessionInput{HeldOn: date("2026-03-19"), Stage: "done", StartTime: "25:00"})
		wantField(t, err, "topic")
		wantField(t, err, "stage")
		wantField(t, err, "start_time")

		// A member who attended leaves (their person-times stay); one who
		// never came is deleted.
		if del, err := w.svc.RemoveMember(w.ctx, w.workerA, g, m3); err != nil || del {
			t.Fatalf("remove attending member: deleted %v, %v", del, err)
		}
		m4 := w.member(w.workerA, g, "新组员")
		if del, err := w.svc.RemoveMember(w.ctx, w.workerA, g, m4); err != nil || !del {
			t.Fatalf("remove new member: deleted %v, %v", del, err)
		}
		gr, _ = w.svc.GetGroup(w.ctx, w.workerA, g)
		if gr.PersonTimes != 8 || gr.Members != 2 {
			t.Fatalf("after leaving: person-times %d members %d", gr.PersonTimes, gr.Members)
		}
		// The member who left is not on later sessions' lists.
		w.clk.setDay("2026-03-25")
		_, err = w.svc.CreateSession(w.ctx, w.workerA, g, SessionInput{HeldOn: date("2026-03-23"), Topic: "之后", Present: []int64{m3}})
		wantField(t, err, "present")
		// Editing a session keeps the count right.
		se, err := w.svc.Session(w.ctx, w.workerA, g, s4)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.svc.UpdateSession(w.ctx, w.workerA, g, s4, SessionInput{HeldOn: se.HeldOn, Topic: "结束与告别",
			Present: []int64{m1, m2}, Version: se.Version}); err != nil {
			t.Fatal(err)
		}
		if n, _ := GroupPersonTimes(w.ctx, d.R, f, app.Date{}, app.Date{}); n != 9 {
			t.Fatalf("after session edit: %d", n)
		}
		// Each session read alone is its entry in the list (number,
		// attendance and all); another group's session is not found.
		all, err := w.svc.Sessions(w.ctx, w.workerA, g)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range all {
			got, err := w.svc.Session(w.ctx, w.workerA, g, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("session %d alone:\n%+v\nin the list:\n%+v", want.ID, *got, want)
			}
		}
		if _, err := w.svc.Session(w.ctx, w.workerA, other, s4); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("another group's session: %v", err)
		}
		if w.countAudit("group.session.create") != 4 || w.countAudit("group.session.update") != 1 || w.countAudit("group.attendance") != 1 {
			t.Fatal("session changes not audited")
		}
	})
}

func reminders(t *testing.T, w *world, p *authz.Principal) []reminder.Item {
	t.Helper()
	items, err := GroupReportRule{}.Items(w.ctx, w.d.R, p, app.Today(w.clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestGroupReportReminder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		g := w.group(w.workerA, "亲子沟通小组", 2)
		m := w.member(w.workerA, g, "何女士")
		w.session(w.workerA, g, "2026-03-02", m)
		if n := len(reminders(t, w, w.workerA)); n != 0 {
			t.Fatalf("reminder before the last session: %d", n)
		}
		// Filing the report needs every field it asks for.
		_, err := w.svc.FileReport(w.ctx, w.workerA, g, ReportInput{})
		wantField(t, err, "summary")
		wantField(t, err, "report_date")

		w.clk.setDay("2026-03-09")
		w.session(w.workerA, g, "2026-03-09", m)
		items := reminders(t, w, w.workerA)
		if len(items) != 1 || items[0].Overdue || items[0].Due != date("2026-03-23") ||
			!strings.Contains(items[0].Title, "亲子沟通小组") || items[0].Href != fmt.Sprintf("/groups/%d/report", g) {
			t.Fatalf("leader reminder: %+v", items)
		}
		if len(reminders(t, w, w.head)) != 1 {
			t.Fatal("centre head of the site is not reminded")
		}
		if len(reminders(t, w, w.workerB)) != 0 {
			t.Fatal("worker of another site reminded")
		}
		// The archive check and the list see it too.
		missing, err := MissingReports(w.ctx, d.R, w.org, w.siteA, 0, app.Today(w.clk.Now()))
		if err != nil || len(missing) != 1 || missing[0].GroupID != g {
			t.Fatalf("missing reports: %+v %v", missing, err)
		}
		due, n, err := w.svc.ListGroups(w.ctx, w.head, GroupFilter{Status: StatusReportDue}, app.ListQuery{Page: 1, Size: 20})
		if err != nil || n != 1 || !due[0].ReportDue {
			t.Fatalf("report-due list: %d %v", n, err)
		}
		// 14 days after the last session it is overdue.
		w.clk.setDay("2026-03-24")
		items = reminders(t, w, w.workerA)
		if len(items) != 1 || !items[0].Overdue || !strings.Contains(items[0].Detail, "逾期") {
			t.Fatalf("overdue reminder: %+v", items)
		}
		// A report dated before the last session is refused.
		_, err = w.svc.FileReport(w.ctx, w.workerA, g, ReportInput{ReportDate: date("2026-03-08"), Summary: "总结"})
		wantField(t, err, "report_date")
		created, err := w.svc.FileReport(w.ctx, w.workerA, g, ReportInput{ReportDate: date("2026-03-24"),
			Summary: "两节完成，组员沟通技巧提升", GoalAttainment: "基本达成"})
		if err != nil || !created {
			t.Fatalf("file report: %v", err)
		}
		if n := len(reminders(t, w, w.workerA)) + len(reminders(t, w, w.head)); n != 0 {
			t.Fatalf("reminder after the report: %d", n)
		}
		gr, _ := w.svc.GetGroup(w.ctx, w.workerA, g)
		if gr.Status != StatusFinished || gr.ReportDue {
			t.Fatalf("group after report: %s due=%v", gr.Status, gr.ReportDue)
		}
		// A finished group takes no more sessions; the report is edited with its version.
		_, err = w.svc.CreateSession(w.ctx, w.workerA, g, SessionInput{HeldOn: date("2026-03-24"), Topic: "追加"})
		wantCode(t, err, app.EConflict, "session after report")
		r, err := w.svc.GetReport(w.ctx, w.workerA, g)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.FileReport(w.ctx, w.workerA, g, ReportInput{ReportDate: r.ReportDate, Summary: "修改后的总结"})
		wantField(t, err, "version")
		if _, err := w.svc.FileReport(w.ctx, w.workerA, g, ReportInput{ReportDate: r.ReportDate, Summary: "修改后的总结", Version: r.Version}); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.FileReport(w.ctx, w.workerA, g, ReportInput{ReportDate: r.ReportDate, Summary: "再改", Version: r.Version})
		wantCode(t, err, app.EConflict, "stale report")

		// A group whose planned end passed has ended even with sessions left.
		g2 := w.group(w.workerA, "周末兴趣小组", 10)
		w.svc.UpdateGroup(w.ctx, w.workerA, g2, GroupInput{Name: "周末兴趣小组", Kind: "interest", SiteID: w.siteA,
			LeaderID: w.workerA.StaffID, PlannedSessions: 10, PlanEnd: date("2026-03-27"), Version: 1})
		w.session(w.workerA, g2, "2026-03-21")
		if len(reminders(t, w, w.workerA)) != 0 {
			t.Fatal("group reminded before its planned end")
		}
		w.clk.setDay("2026-03-28")
		if items := reminders(t, w, w.workerA); len(items) != 1 || items[0].Due != date("2026-04-04") {
			t.Fatalf("planned end reminder: %+v", items)
		}
	})
}

func TestScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		gA := w.group(w.workerA, "北岸小组", 4)
		gB := w.group(w.workerB, "振华小组", 4)
		q := app.ListQuery{Page: 1, Size: 20}

		if _, err := w.svc.GetGroup(w.ctx, w.workerA, gB); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("worker A reads site B's group: %v", err)
		}
		if _, err := w.svc.AddMember(w.ctx, w.workerA, gB, MemberInput{Name: "某人"}); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("worker A writes site B's group: %v", err)
		}
		list, n, err := w.svc.ListGroups(w.ctx, w.workerA, GroupFilter{}, q)
		if err != nil || n != 1 || list[0].ID != gA {
			t.Fatalf("worker A's list: %d %v", n, err)
		}
		if _, n, _ := w.svc.ListGroups(w.ctx, w.director, GroupFilter{}, q); n != 2 {
			t.Fatalf("director sees %d groups", n)
		}
		if _, err := w.svc.GetGroup(w.ctx, w.foreign, gA); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other organization reads the group: %v", err)
		}
		if _, n, _ := w.svc.ListGroups(w.ctx, w.foreign, GroupFilter{}, q); n != 0 {
			t.Fatalf("other organization lists %d groups", n)
		}
		// The evaluator reads everything, masked, and changes nothing.
		m := w.member(w.workerA, gA, "欧阳娜娜")
		gf, err := w.svc.GroupFile(w.ctx, w.eval, gA)
		if err != nil || gf.CanWrite || !gf.Masked || gf.Members[0].Name != "欧**娜" {
			t.Fatalf("evaluator's group page: %+v %v", gf, err)
		}
		_, err = w.svc.CreateGroup(w.ctx, w.eval, GroupInput{Name: "x", Kind: "growth", SiteID: w.siteA, LeaderID: w.eval.StaffID, PlannedSessions: 1})
		wantCode(t, err, app.EForbidden, "evaluator creates")
		_, err = w.svc.CreateSession(w.ctx, w.eval, gA, SessionInput{HeldOn: date("2026-03-02"), Topic: "x", Present: []int64{m}})
		wantCode(t, err, app.EForbidden, "evaluator records a session")
		// The centre head edits the centre's group, not the other centre's.
		g, _ := w.svc.GetGroup(w.ctx, w.head, gA)
		in := GroupInput{Name: "北岸成长小组", Kind: "growth", SiteID: w.siteA, LeaderID: g.LeaderID, PlannedSessions: 6, Version: g.Version}
		if err := w.svc.UpdateGroup(w.ctx, w.head, gA, in); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.UpdateGroup(w.ctx, w.head, gA, in), app.EConflict, "stale group edit")
		in.Version = 1
		wantCode(t, w.svc.UpdateGroup(w.ctx, w.head, gB, in), app.ENotFound, "head edits other centre")
		// Moving the group to a site outside the editor's scope is refused.
		g, _ = w.svc.GetGroup(w.ctx, w.head, gA)
		in.Version, in.SiteID = g.Version, w.siteB
		wantField(t, w.svc.UpdateGroup(w.ctx, w.head, gA, in), "site_id")
	})
}
