package groups

import (
	"bytes"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

func (w *world) activity(p *authz.Principal, in ActivityInput) int64 {
	w.t.Helper()
	if in.Title == "" {
		in.Title = "社区活动"
	}
	if in.Kind == "" {
		in.Kind = "festival"
	}
	if in.SiteID == 0 {
		in.SiteID = p.SiteIDs[0]
	}
	if in.LeadID == 0 {
		in.LeadID = p.StaffID
	}
	id, err := w.svc.CreateActivity(w.ctx, p, in)
	if err != nil {
		w.t.Fatalf("create activity: %v", err)
	}
	return id
}

func TestActivityValidationAndSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		_, err := w.svc.CreateActivity(w.ctx, w.workerA, ActivityInput{})
		for _, f := range []string{"title", "kind", "held_on", "site_id", "lead_id"} {
			wantField(t, err, f)
		}
		base := ActivityInput{Title: "元宵游园会", Kind: "festival", HeldOn: date("2026-03-01"), SiteID: w.siteA,
			LeadID: w.workerA.StaffID, Participants: 120, Posters: 4, Flyers: 300}
		cases := []struct {
			name  string
			edit  func(in *ActivityInput)
			field string
		}{
			{"negative participants", func(in *ActivityInput) { in.Participants = -5 }, "participants"},
			{"negative posters", func(in *ActivityInput) { in.Posters = -1 }, "posters"},
			{"negative flyers", func(in *ActivityInput) { in.Flyers = -1 }, "flyers"},
			{"end before start", func(in *ActivityInput) { in.StartTime, in.EndTime = "15:00", "14:00" }, "end_time"},
			{"bad time", func(in *ActivityInput) { in.StartTime = "3pm" }, "start_time"},
			{"unknown kind", func(in *ActivityInput) { in.Kind = "party" }, "kind"},
			{"report before it happens", func(in *ActivityInput) { in.HeldOn, in.Report = date("2026-04-01"), "很成功" }, "report"},
			{"another centre", func(in *ActivityInput) { in.SiteID = w.siteB }, "site_id"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := base
				c.edit(&in)
				_, err := w.svc.CreateActivity(w.ctx, w.workerA, in)
				wantField(t, err, c.field)
			})
		}
		// A sign-in list sets the participant count; the typed number is ignored.
		in := base
		in.SignIns = []string{"张三", " ", "李四", "王五"}
		in.StartTime, in.EndTime = "9:30", "11:00"
		id, err := w.svc.CreateActivity(w.ctx, w.workerA, in)
		if err != nil {
			t.Fatal(err)
		}
		af, err := w.svc.ActivityFile(w.ctx, w.workerA, id)
		if err != nil {
			t.Fatal(err)
		}
		a := af.Activity
		if a.Participants != 3 || !a.SignIn || len(af.SignIns) != 3 || a.StartTime != "09:30" || a.Status != ActivityNoReport {
			t.Fatalf("activity with sign-in: %+v %v", a, af.SignIns)
		}
		// The evaluator sees the list masked.
		ev, err := w.svc.ActivityFile(w.ctx, w.eval, id)
		if err != nil || ev.SignIns[0] != "张*" || ev.CanWrite {
			t.Fatalf("evaluator's view: %+v %v", ev, err)
		}
		_, err = w.svc.CreateActivity(w.ctx, w.eval, base)
		wantCode(t, err, app.EForbidden, "evaluator records an activity")
		// Edits need the loaded version; dropping the list goes back to the typed count.
		up := base
		up.Report = "参与踊跃"
		up.Version = a.Version
		if err := w.svc.UpdateActivity(w.ctx, w.workerA, id, up); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.UpdateActivity(w.ctx, w.workerA, id, up), app.EConflict, "stale activity edit")
		a, _ = w.svc.GetActivity(w.ctx, w.workerA, id)
		if a.Participants != 120 || a.SignIn || a.Status != ActivityReported {
			t.Fatalf("after edit: %+v", a)
		}
		// Scope: site B's worker does not see it; the other organization neither.
		if _, err := w.svc.GetActivity(w.ctx, w.workerB, id); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("worker B reads: %v", err)
		}
		if _, err := w.svc.GetActivity(w.ctx, w.foreign, id); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other organization reads: %v", err)
		}
		if w.countAudit("activity.create") != 1 || w.countAudit("activity.update") != 1 {
			t.Fatal("activity changes not audited")
		}
	})
}

func TestPhotoLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		id := w.activity(w.workerA, ActivityInput{HeldOn: date("2026-03-01")})
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)
		jpeg := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{1}, 100)...)
		pid, err := w.svc.AddPhoto(w.ctx, w.workerA, id, `C:\相机\现场 1.png`, png)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddPhoto(w.ctx, w.workerA, id, "b.jpg", jpeg); err != nil {
			t.Fatal(err)
		}
		bad := []struct {
			name string
			data []byte
		}{
			{"empty", nil},
			{"html named as a photo", []byte("<html><script>alert(1)</script></html>")},
			{"gif", []byte("GIF89a......")},
			{"too large", append(jpeg, make([]byte, MaxPhotoBytes)...)},
		}
		for _, b := range bad {
			_, err := w.svc.AddPhoto(w.ctx, w.workerA, id, "x.jpg", b.data)
			if app.FieldErrors(err)["photo"] == "" {
				t.Fatalf("%s accepted: %v", b.name, err)
			}
		}
		ph, err := w.svc.PhotoFile(w.ctx, w.workerA, id, pid)
		if err != nil || ph.ContentType != "image/png" || ph.Filename != "现场 1.png" || !bytes.Equal(ph.Data, png) {
			t.Fatalf("photo: %+v %v", ph, err)
		}
		if _, err := w.svc.PhotoFile(w.ctx, w.workerB, id, pid); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("worker B reads the photo: %v", err)
		}
		if _, err := w.svc.AddPhoto(w.ctx, w.eval, id, "a.png", png); app.ErrorCode(err) != app.EForbidden {
			t.Fatalf("evaluator uploads: %v", err)
		}
		for i := 2; i < MaxPhotos; i++ {
			if _, err := w.svc.AddPhoto(w.ctx, w.workerA, id, "p.png", png); err != nil {
				t.Fatal(err)
			}
		}
		_, err = w.svc.AddPhoto(w.ctx, w.workerA, id, "one-too-many.png", png)
		if !strings.Contains(app.ErrorMessage(err), "最多上传") {
			t.Fatalf("photo limit: %v", err)
		}
		if err := w.svc.DeletePhoto(w.ctx, w.workerA, id, pid); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.PhotoFile(w.ctx, w.workerA, id, pid); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("deleted photo still served: %v", err)
		}
	})
}

func TestCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		w.clk.setDay("2026-04-30")
		proj, err := w.svc.CreateProject(w.ctx, w.director, ProjectInput{Name: "义路童行", SiteID: w.siteA,
			StartDate: date("2026-01-01"), EndDate: date("2026-12-31"), Status: ProjectActive})
		if err != nil {
			t.Fatal(err)
		}
		// Site A: a project group opened in March (2 sessions, 3 person-times)
		// with a third session in April; a group without project opened in April.
		g1 := w.group(w.workerA, "童行成长小组", 3)
		g, _ := w.svc.GetGroup(w.ctx, w.workerA, g1)
		if err := w.svc.UpdateGroup(w.ctx, w.workerA, g1, GroupInput{Name: g.Name, Kind: g.Kind, SiteID: g.SiteID,
			LeaderID: g.LeaderID, ProjectID: proj, PlannedSessions: 3, Version: g.Version}); err != nil {
			t.Fatal(err)
		}
		a1, a2 := w.member(w.workerA, g1, "甲"), w.member(w.workerA, g1, "乙")
		w.session(w.workerA, g1, "2026-03-10", a1, a2)
		w.session(w.workerA, g1, "2026-03-17", a1)
		w.session(w.workerA, g1, "2026-04-07", a1, a2)
		g2 := w.group(w.workerA, "四月小组", 2)
		b1 := w.member(w.workerA, g2, "丙")
		w.session(w.workerA, g2, "2026-04-14", b1)
		// Site B: one group opened in March.
		g3 := w.group(w.workerB, "振华小组", 2)
		c1 := w.member(w.workerB, g3, "丁")
		w.session(w.workerB, g3, "2026-03-20", c1)
		// A group never held counts nowhere.
		w.group(w.workerA, "未开展小组", 2)

		w.activity(w.workerA, ActivityInput{HeldOn: date("2026-03-05"), ProjectID: proj, Kind: KindInterestClass, Participants: 20, Posters: 2, Flyers: 50})
		w.activity(w.workerA, ActivityInput{HeldOn: date("2026-04-05"), Participants: 100, Posters: 5, Flyers: 200})
		w.activity(w.workerB, ActivityInput{HeldOn: date("2026-03-25"), SignIns: []string{"甲", "乙", "丙"}, Posters: 1})
		w.activity(w.workerA, ActivityInput{HeldOn: date("2026-05-20"), Participants: 0}) // planned, after the period

		march := [2]app.Date{date("2026-03-01"), date("2026-03-31")}
		spring := [2]app.Date{date("2026-03-01"), date("2026-04-30")}
		org := CountFilter{OrgID: w.org}
		siteA := CountFilter{OrgID: w.org, SiteID: w.siteA}
		byProject := CountFilter{OrgID: w.org, ProjectID: proj}
		byWorkerB := CountFilter{OrgID: w.org, StaffID: w.workerB.StaffID}
		call := func(name string, f func() (int, error), want int) {
			t.Helper()
			got, err := f()
			if err != nil || got != want {
				t.Errorf("%s = %d (%v), want %d", name, got, err, want)
			}
		}
		q := d.R
		ctx := w.ctx
		call("groups opened in March", func() (int, error) { return GroupsOpened(ctx, q, org, march[0], march[1]) }, 2)
		call("groups opened in spring", func() (int, error) { return GroupsOpened(ctx, q, org, spring[0], spring[1]) }, 3)
		call("groups opened in spring at A", func() (int, error) { return GroupsOpened(ctx, q, siteA, spring[0], spring[1]) }, 2)
		call("groups opened under the project", func() (int, error) { return GroupsOpened(ctx, q, byProject, app.Date{}, app.Date{}) }, 1)
		call("sessions in March", func() (int, error) { return GroupSessions(ctx, q, org, march[0], march[1]) }, 3)
		call("sessions in spring at A", func() (int, error) { return GroupSessions(ctx, q, siteA, spring[0], spring[1]) }, 4)
		call("sessions of worker B", func() (int, error) { return GroupSessions(ctx, q, byWorkerB, spring[0], spring[1]) }, 1)
		call("person-times in March", func() (int, error) { return GroupPersonTimes(ctx, q, org, march[0], march[1]) }, 4)
		call("person-times in spring", func() (int, error) { return GroupPersonTimes(ctx, q, org, spring[0], spring[1]) }, 7)
		call("person-times of the project", func() (int, error) { return GroupPersonTimes(ctx, q, byProject, spring[0], spring[1]) }, 5)
		call("activities in March", func() (int, error) { return Activities(ctx, q, org, march[0], march[1]) }, 2)
		call("activities in spring at A", func() (int, error) { return Activities(ctx, q, siteA, spring[0], spring[1]) }, 2)
		call("interest classes", func() (int, error) { return InterestClasses(ctx, q, org, spring[0], spring[1]) }, 1)
		call("participants in spring", func() (int, error) { return ActivityParticipants(ctx, q, org, spring[0], spring[1]) }, 123)
		call("participants of worker B", func() (int, error) { return ActivityParticipants(ctx, q, byWorkerB, spring[0], spring[1]) }, 3)
		call("publicity in spring", func() (int, error) { return PublicityMaterials(ctx, q, org, spring[0], spring[1]) }, 258)
		call("publicity of the project", func() (int, error) { return PublicityMaterials(ctx, q, byProject, app.Date{}, app.Date{}) }, 52)
		call("nothing in another organization", func() (int, error) {
			return Activities(ctx, q, CountFilter{OrgID: w.other}, app.Date{}, app.Date{})
		}, 0)

		// The project page shows the same outputs to date.
		if _, err := w.svc.AddFund(ctx, w.director, proj, FundInput{Funder: "北岸社区公益金", Kind: "community_fund", Amount: 5000000}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddFund(ctx, w.director, proj, FundInput{Funder: "黄江镇专项资金", Kind: "special_fund", Amount: 3000050}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AddIncubated(ctx, w.director, proj, IncubatedInput{Name: "北岸社区艺术团", FoundedOn: date("2026-04-01"), Members: 25}); err != nil {
			t.Fatal(err)
		}
		pf, err := w.svc.ProjectFile(ctx, w.workerA, proj)
		if err != nil {
			t.Fatal(err)
		}
		o := pf.Outputs
		if o.Groups != 1 || o.GroupSessions != 3 || o.PersonTimes != 5 || o.Activities != 1 || o.InterestClasses != 1 ||
			o.Participants != 20 || o.Posters != 2 || o.Flyers != 50 || o.Incubated != 1 || o.Funding != 8000050 {
			t.Fatalf("project outputs: %+v", o)
		}
		if len(pf.Groups) != 1 || len(pf.Activities) != 1 || len(pf.Funds) != 2 || pf.Project.FundingTotal.String() != "¥80,000.50" {
			t.Fatalf("project page: %d groups, %d activities, %d funds, %s", len(pf.Groups), len(pf.Activities), len(pf.Funds), pf.Project.FundingTotal)
		}
	})
}

func TestProjects(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		_, err := w.svc.CreateProject(w.ctx, w.head, ProjectInput{})
		for _, f := range []string{"name", "site_id", "start_date", "end_date"} {
			wantField(t, err, f)
		}
		_, err = w.svc.CreateProject(w.ctx, w.head, ProjectInput{Name: "校园零欺凌", SiteID: w.siteA,
			StartDate: date("2026-06-01"), EndDate: date("2026-01-01"), Status: "open"})
		wantField(t, err, "end_date")
		wantField(t, err, "status")
		in := ProjectInput{Name: "校园零欺凌", SiteID: w.siteA, ManagerID: w.head.StaffID,
			StartDate: date("2026-01-01"), EndDate: date("2026-12-31"), Partners: "黄江中学"}
		id, err := w.svc.CreateProject(w.ctx, w.head, in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.CreateProject(w.ctx, w.director, in)
		wantCode(t, err, app.EConflict, "duplicate name")
		in.SiteID = w.siteB
		in.Name = "别的项目"
		_, err = w.svc.CreateProject(w.ctx, w.head, in)
		wantField(t, err, "site_id")
		// Funding: kind and amount are checked; totals are exact.
		_, err = w.svc.AddFund(w.ctx, w.head, id, FundInput{Funder: "", Kind: "lottery", Amount: -1})
		wantField(t, err, "funder")
		wantField(t, err, "kind")
		wantField(t, err, "amount")
		fid, err := w.svc.AddFund(w.ctx, w.head, id, FundInput{Funder: "东莞市慈善基金会", Kind: "foundation", Amount: 1234567})
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := w.svc.GetProject(w.ctx, w.head, id)
		if pr.FundingTotal != 1234567 || pr.Status != ProjectPlanning {
			t.Fatalf("project: %+v", pr)
		}
		// Scope: B's worker and the other organization do not see it; the
		// evaluator reads but cannot add funding.
		if _, err := w.svc.GetProject(w.ctx, w.workerB, id); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("worker B reads the project: %v", err)
		}
		if _, err := w.svc.GetProject(w.ctx, w.foreign, id); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other organization reads the project: %v", err)
		}
		if _, err := w.svc.GetProject(w.ctx, w.eval, id); err != nil {
			t.Fatalf("evaluator reads the project: %v", err)
		}
		_, err = w.svc.AddFund(w.ctx, w.eval, id, FundInput{Funder: "x", Kind: "other", Amount: 1})
		wantCode(t, err, app.EForbidden, "evaluator adds funding")
		if err := w.svc.DeleteFund(w.ctx, w.head, id, fid); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.DeleteFund(w.ctx, w.head, id, fid), app.ENotFound, "deleting twice")
		// Optimistic version on edits.
		up := ProjectInput{Name: "校园零欺凌", SiteID: w.siteA, StartDate: date("2026-01-01"), EndDate: date("2026-12-31"),
			Status: ProjectActive, Version: pr.Version}
		if err := w.svc.UpdateProject(w.ctx, w.head, id, up); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.UpdateProject(w.ctx, w.head, id, up), app.EConflict, "stale project edit")
		pf, err := w.svc.ProjectFile(w.ctx, w.head, id)
		if err != nil || len(pf.History) != 4 || pf.History[0].ActionName != "修改项目" {
			t.Fatalf("timeline: %+v %v", pf, err)
		}
	})
}
