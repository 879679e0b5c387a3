package cases_test

import (
	"sort"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/cases"
	"shegong/internal/testenv"
)

func numbers(rows []cases.CaseRow) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Number)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// TestCaseScope: a worker sees their own cases only, a supervisor the
// supervisees', a centre head the centre's, the director the organization's
// and another organization nothing; a case out of scope is not found.
func TestCaseScope(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		c1 := w.intake(w.w1, w.client(w.w1, "甲", app.NewDate(1950, 1, 1))) // 2026-BA-0001
		c2 := w.intake(w.w2, w.client(w.w2, "乙", app.NewDate(1950, 1, 1))) // 2026-BA-0002
		c3 := w.intake(w.w3, w.client(w.w3, "丙", app.NewDate(1950, 1, 1))) // 2026-ZH-0001
		cx := w.intake(w.ow, w.client(w.ow, "丁", app.NewDate(1950, 1, 1)))
		if c3.Number != "2026-ZH-0001" {
			t.Fatalf("number at 振华: %s", c3.Number)
		}
		tests := []struct {
			who  *testenv.Person
			want string
		}{
			{w.w1, "2026-BA-0001"},
			{w.w2, "2026-BA-0002"},
			{w.sup, "2026-BA-0001,2026-BA-0002"},
			{w.head, "2026-BA-0001,2026-BA-0002"},
			{w.dir, "2026-BA-0001,2026-BA-0002,2026-ZH-0001"},
			{w.ow, cx.Number},
		}
		for _, tt := range tests {
			rows, total, err := w.svc.List(ctx, tt.who.Principal(), cases.CaseFilter{}, app.ListQuery{Page: 1, Size: 20})
			w.must(err)
			if got := numbers(rows); got != tt.want || total != len(rows) {
				t.Fatalf("%s sees %s (%d), want %s", tt.who.Username, got, total, tt.want)
			}
		}
		denied := []struct {
			who *testenv.Person
			id  int64
		}{{w.w1, c2.ID}, {w.w2, c1.ID}, {w.sup, c3.ID}, {w.head, c3.ID}, {w.ow, c1.ID}, {w.w1, cx.ID}, {w.eval, c1.ID}}
		for _, d := range denied {
			if _, err := w.svc.File(ctx, d.who.Principal(), d.id); app.ErrorCode(err) != app.ENotFound {
				t.Fatalf("%s reads case %d: %v", d.who.Username, d.id, err)
			}
			_, err := w.svc.AddFollowup(ctx, d.who.Principal(), d.id, cases.FollowupInput{})
			if app.ErrorCode(err) != app.ENotFound {
				t.Fatalf("%s writes case %d: %v", d.who.Username, d.id, err)
			}
		}
		// The director reads but does not write casework.
		if _, err := w.svc.File(ctx, w.dir.Principal(), c3.ID); err != nil {
			t.Fatal(err)
		}
		_, err := w.svc.SaveAssessment(ctx, w.dir.Principal(), c3.ID, cases.AssessmentInput{})
		wantCode(t, err, app.ENotFound)
		// Filters and search.
		rows, _, err := w.svc.List(ctx, w.dir.Principal(), cases.CaseFilter{SiteID: w.siteB}, app.ListQuery{Page: 1, Size: 20})
		w.must(err)
		if numbers(rows) != "2026-ZH-0001" {
			t.Fatalf("site filter: %s", numbers(rows))
		}
		rows, _, err = w.svc.List(ctx, w.dir.Principal(), cases.CaseFilter{}, app.ListQuery{Page: 1, Size: 20, Q: "乙"})
		w.must(err)
		if numbers(rows) != "2026-BA-0002" || rows[0].ClientName != "*" {
			t.Fatalf("search: %s %+v", numbers(rows), rows)
		}
	})
}

// TestReassign moves cases in bulk with a reason: the history stays, the new
// worker sees the whole file, the old one nothing; cases with a request in
// progress and targets outside the caller's scope are refused.
func TestReassign(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		a := w.open(w.w1, w.sup, "甲")
		w.followup(w.w1, a, w.today())
		b := w.intake(w.w1, w.client(w.w1, "乙", app.NewDate(1950, 1, 1)))
		_, err := w.svc.Reassign(ctx, w.w1.Principal(), cases.ReassignInput{CaseIDs: []int64{a.ID}, ToWorkerID: w.w2.StaffID,
			Reason: "离职"})
		wantCode(t, err, app.EForbidden)
		_, err = w.svc.Reassign(ctx, w.sup.Principal(), cases.ReassignInput{})
		if fe := app.FieldErrors(err); fe["case_ids"] == "" || fe["to_worker_id"] == "" || fe["reason"] == "" {
			t.Fatalf("empty reassignment: %v", err)
		}
		// w3 is not the supervisor's supervisee.
		_, err = w.svc.Reassign(ctx, w.sup.Principal(), cases.ReassignInput{CaseIDs: []int64{a.ID, b.ID},
			ToWorkerID: w.w3.StaffID, Reason: "离职"})
		if app.FieldErrors(err)["to_worker_id"] != "您不能把个案转给该社工" {
			t.Fatalf("target out of scope: %v", err)
		}
		n, err := w.svc.Reassign(ctx, w.sup.Principal(), cases.ReassignInput{CaseIDs: []int64{a.ID, b.ID, a.ID},
			ToWorkerID: w.w2.StaffID, Reason: "陈小明离职，个案交接"})
		w.must(err)
		if n != 2 {
			t.Fatalf("moved %d", n)
		}
		if _, err := w.svc.Get(ctx, w.w1.Principal(), a.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("old worker still sees it: %v", err)
		}
		f, err := w.svc.File(ctx, w.w2.Principal(), a.ID)
		w.must(err)
		if f.Case.WorkerID != w.w2.StaffID || len(f.Followups) != 1 || len(f.Approvals) != 1 ||
			len(f.Assignments) != 1 || f.Assignments[0].Reason != "陈小明离职，个案交接" {
			t.Fatalf("new worker's file: %+v", f.Assignments)
		}
		// A case with a request in progress stays until it is settled.
		b, _ = w.svc.Get(ctx, w.w2.Principal(), b.ID)
		w.consent(w.org.ID, b.ClientID, w.today(), cases.ConsentSelf)
		b = w.prepare(w.w2, b)
		_, err = w.svc.SubmitOpen(ctx, w.w2.Principal(), b.ID, cases.SubmitInput{Version: b.Version})
		w.must(err)
		_, err = w.svc.Reassign(ctx, w.head.Principal(), cases.ReassignInput{CaseIDs: []int64{a.ID, b.ID},
			ToWorkerID: w.w1.StaffID, Reason: "回岗"})
		wantCode(t, err, app.EConflict)
		if got, _ := w.svc.Get(ctx, w.w2.Principal(), a.ID); got == nil || got.WorkerID != w.w2.StaffID {
			t.Fatal("a partial bulk reassignment was kept")
		}
		w.decide(w.sup, w.w2, b.ID, approval.Approve, "")
		n, err = w.svc.Reassign(ctx, w.head.Principal(), cases.ReassignInput{CaseIDs: []int64{a.ID, b.ID},
			ToWorkerID: w.w1.StaffID, Reason: "回岗"})
		w.must(err)
		if n != 2 {
			t.Fatalf("moved %d", n)
		}
	})
}

// TestCaseSettings: only the organization's management changes the rules,
// within bounds, with the version the user saw.
func TestCaseSettings(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		st, err := w.svc.Settings(ctx, w.w1.Principal())
		w.must(err)
		if st != cases.DefaultSettings {
			t.Fatalf("defaults: %+v", st)
		}
		_, err = w.svc.SaveSettings(ctx, w.head.Principal(), st)
		wantCode(t, err, app.EForbidden)
		_, err = w.svc.SaveSettings(ctx, w.dir.Principal(), cases.Settings{FollowupsPerMonth: 40, IdleDays: 0})
		if fe := app.FieldErrors(err); fe["followups_per_month"] != "每月最少跟进次数应在 0 到 31 之间" || fe["idle_days"] == "" {
			t.Fatalf("bounds: %v", err)
		}
		st.FollowupsPerMonth, st.PostClosureMonths = 4, 3
		saved, err := w.svc.SaveSettings(ctx, w.dir.Principal(), st)
		w.must(err)
		if saved.FollowupsPerMonth != 4 || saved.PostClosureMonths != 3 || saved.Version != 2 {
			t.Fatalf("saved: %+v", saved)
		}
		_, err = w.svc.SaveSettings(ctx, w.dir.Principal(), st)
		wantCode(t, err, app.EConflict)
		other, err := w.svc.Settings(ctx, w.ow.Principal())
		w.must(err)
		if other != cases.DefaultSettings {
			t.Fatalf("another organization's rules changed: %+v", other)
		}
	})
}
