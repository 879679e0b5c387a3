package cases_test

import (
	"reflect"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/cases"
	"shegong/internal/testenv"
)

func wantReminders(t *testing.T, when string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d reminders %q, want %d %q", when, len(got), got, len(want), want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Fatalf("%s: reminder %q does not contain %q (all %q)", when, got[i], want[i], got)
		}
	}
}

// TestFollowupReminders: fewer than two follow-ups with 7 days left in the
// month, and none for 15 days, each appear on the right day and go away
// when the follow-up is recorded; the supervisor sees the supervisee's
// cases falling behind.
func TestFollowupReminders(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		c := w.open(w.w1, w.sup, "陈伯") // opened 2026-03-02
		const rule, supRule = "case_followup", "case_supervisee_behind"
		w.at(2026, 3, 10)
		w.followup(w.w1, c, w.today())

		w.at(2026, 3, 23) // 8 days left, last follow-up 13 days ago
		wantReminders(t, "03-23", w.reminders(w.w1, rule))
		wantReminders(t, "03-23 supervisor", w.reminders(w.sup, supRule))
		w.at(2026, 3, 24) // 7 days left, one follow-up
		wantReminders(t, "03-24", w.reminders(w.w1, rule), "本月已跟进 1 次，至少 2 次，距月底还有 7 天")
		wantReminders(t, "03-24 supervisor", w.reminders(w.sup, supRule), "同工w1：1 个个案跟进不足")
		if got := w.reminders(w.w2, rule); len(got) != 0 {
			t.Fatalf("another worker reminded: %q", got)
		}
		w.followup(w.w1, c, w.today())
		wantReminders(t, "03-24 after the second", w.reminders(w.w1, rule))
		wantReminders(t, "03-24 supervisor after", w.reminders(w.sup, supRule))

		// None for 15 days: the last follow-up was on 03-24.
		w.at(2026, 4, 7)
		wantReminders(t, "04-07", w.reminders(w.w1, rule))
		w.at(2026, 4, 8)
		wantReminders(t, "04-08", w.reminders(w.w1, rule), "已 15 天没有跟进记录 | 逾期")
		wantReminders(t, "04-08 supervisor", w.reminders(w.sup, supRule), "其中 1 个已 15 天以上未跟进")
		w.followup(w.w1, c, w.today())
		wantReminders(t, "04-08 after", w.reminders(w.w1, rule))

		// The organization's rule: three per month, reminded 10 days ahead.
		_, err := w.svc.SaveSettings(e.Ctx, w.serviceHd.Principal(), cases.Settings{FollowupsPerMonth: 3,
			PostClosureMonths: 2, RemindDaysLeft: 10, IdleDays: 15})
		w.must(err)
		w.at(2026, 4, 20) // 10 days left, one follow-up in April
		wantReminders(t, "04-20 custom", w.reminders(w.w1, rule), "本月已跟进 1 次，至少 3 次，距月底还有 10 天")
	})
}

// TestPostClosureReminders: each post-closure month without a written
// record is reminded of, overdue once the month has passed, until the last
// record archives the case.
func TestPostClosureReminders(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		c := w.open(w.w1, w.sup, "林婆")
		w1 := w.w1.Principal()
		c, err := w.svc.RequestClosure(ctx, w1, c.ID, cases.ClosureInput{Reason: "goals_met", Summary: "目标已达成",
			Goals: []cases.AttainmentInput{{GoalID: c.Goals[0].ID, Attainment: "achieved"},
				{GoalID: c.Goals[1].ID, Attainment: "achieved"}}, Version: c.Version})
		w.must(err)
		const rule = "case_post_closure"
		wantReminders(t, "pending closure", w.reminders(w.w1, rule))
		w.decide(w.sup, w.w1, c.ID, approval.Approve, "同意") // closed 2026-03-02, months 03-02..04-01, 04-02..05-01
		wantReminders(t, "closed", w.reminders(w.w1, rule), "结案后第 1 个月（2026-03-02 至 2026-04-01）尚未记录跟进")
		post := func() {
			_, err := w.svc.AddPostClosure(ctx, w.w1.Principal(), c.ID, cases.FollowupInput{HeldOn: w.today(),
				Method: "phone", DurationMin: 15, Content: "电话回访"})
			w.must(err)
		}
		w.at(2026, 3, 20)
		post()
		wantReminders(t, "03-20 recorded", w.reminders(w.w1, rule))
		w.at(2026, 4, 2)
		wantReminders(t, "04-02", w.reminders(w.w1, rule), "结案后第 2 个月（2026-04-02 至 2026-05-01）尚未记录跟进，还有 29 天")
		w.at(2026, 5, 2)
		wantReminders(t, "05-02", w.reminders(w.w1, rule), "没有书面跟进记录，请尽快补记 | 逾期")
		post()
		wantReminders(t, "05-02 recorded", w.reminders(w.w1, rule))
		got, _ := w.svc.Get(ctx, w.w1.Principal(), c.ID)
		if got.State != cases.StateArchived {
			t.Fatalf("not archived: %s", got.State)
		}
	})
}

// TestApprovalReminders: a request waiting for the supervisor, a rejected
// one for its submitter and a referral for its receiver appear and go away.
func TestApprovalReminders(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		const rule = "case_approval"
		cl := w.client(w.w1, "郑叔", app.NewDate(1960, 1, 1))
		w.consent(w.org.ID, cl, w.today(), cases.ConsentSelf)
		c := w.prepare(w.w1, w.intake(w.w1, cl))
		wantReminders(t, "before", w.reminders(w.sup, rule))
		c, err := w.svc.SubmitOpen(ctx, w.w1.Principal(), c.ID, cases.SubmitInput{Version: c.Version})
		w.must(err)
		// A fresh request is on the supervisor's to-do list; after three
		// days' wait it becomes an overdue reminder too.
		wantReminders(t, "submitted", w.reminders(w.sup, rule))
		wantReminders(t, "submitted, worker", w.reminders(w.w1, rule))
		w.at(2026, 3, 5)
		wantReminders(t, "3 days", w.reminders(w.sup, rule))
		w.at(2026, 3, 6)
		wantReminders(t, "4 days", w.reminders(w.sup, rule), "开案申请：个案 2026-BA-0001（郑*） | 开案申请等待您审批已 4 天，请尽快处理 | 逾期")
		w.decide(w.sup, w.w1, c.ID, approval.Reject, "请补充家庭情况")
		wantReminders(t, "rejected, supervisor", w.reminders(w.sup, rule))
		wantReminders(t, "rejected, worker", w.reminders(w.w1, rule), "开案申请被督导驳回")
		c, _ = w.svc.Get(ctx, w.w1.Principal(), c.ID)
		_, err = w.svc.SubmitOpen(ctx, w.w1.Principal(), c.ID, cases.SubmitInput{Version: c.Version})
		w.must(err)
		wantReminders(t, "resubmitted, worker", w.reminders(w.w1, rule))
		wantReminders(t, "resubmitted, supervisor", w.reminders(w.sup, rule))
		w.at(2026, 3, 10)
		wantReminders(t, "resubmitted 4 days ago", w.reminders(w.sup, rule), "已 4 天")
		w.decide(w.sup, w.w1, c.ID, approval.Approve, "")
		wantReminders(t, "approved", w.reminders(w.sup, rule))

		c, _ = w.svc.Get(ctx, w.w1.Principal(), c.ID)
		_, err = w.svc.Refer(ctx, w.w1.Principal(), c.ID, cases.ReferralInput{Kind: cases.ReferInternal,
			ToStaffID: w.w2.StaffID, Reason: "换片区", Services: "跟进"})
		w.must(err)
		w.decide(w.sup, w.w1, c.ID, approval.Approve, "")
		wantReminders(t, "to receive", w.reminders(w.w2, rule), "同工w1转介给您的个案")
		f, err := w.svc.File(ctx, w.w2.Principal(), c.ID)
		w.must(err)
		if f.Can.Respond == nil {
			t.Fatal("receiver may not respond")
		}
		_, err = w.svc.RespondReferral(ctx, w.w2.Principal(), c.ID, f.Can.Respond.ID, cases.RespondInput{Decision: "decline"})
		if app.FieldErrors(err)["note"] != "说明不能为空" {
			t.Fatalf("decline without reason: %v", err)
		}
		seen, err := w.svc.RespondReferral(ctx, w.w2.Principal(), c.ID, f.Can.Respond.ID,
			cases.RespondInput{Decision: "decline", Note: "本月个案已满"})
		w.must(err)
		if seen != nil {
			t.Fatalf("the declining receiver still sees the case: %+v", seen)
		}
		wantReminders(t, "declined", w.reminders(w.w2, rule))
		c, _ = w.svc.Get(ctx, w.w1.Principal(), c.ID)
		if c.State != cases.StateOpen || c.WorkerID != w.w1.StaffID {
			t.Fatalf("after decline: %s %d", c.State, c.WorkerID)
		}
	})
}

func TestPostClosureWindows(t *testing.T) {
	d := app.NewDate
	closed := d(2026, 3, 20)
	tests := []struct {
		name    string
		records []app.Date
		done    []bool
		late    []bool
	}{
		{"none", nil, []bool{false, false}, []bool{false, false}},
		{"one each month", []app.Date{d(2026, 3, 25), d(2026, 4, 25)}, []bool{true, true}, []bool{false, false}},
		{"two in the first month count once", []app.Date{d(2026, 3, 21), d(2026, 4, 1)}, []bool{true, false},
			[]bool{false, false}},
		{"a late record completes a missed month", []app.Date{d(2026, 4, 25), d(2026, 5, 30)}, []bool{true, true},
			[]bool{true, true}},
		{"out of order", []app.Date{d(2026, 5, 1), d(2026, 3, 20)}, []bool{true, true}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := cases.PostClosureWindows(closed, 2, tt.records)
			var done, late []bool
			for _, w := range ws {
				done, late = append(done, w.Done), append(late, w.Late)
			}
			if !reflect.DeepEqual(done, tt.done) || !reflect.DeepEqual(late, tt.late) {
				t.Fatalf("done %v late %v, want %v %v", done, late, tt.done, tt.late)
			}
			if ws[1].Start != d(2026, 4, 20) || ws[1].End != d(2026, 5, 19) {
				t.Fatalf("second month %s..%s", ws[1].Start, ws[1].End)
			}
			if cases.PostClosureDone(closed, 2, tt.records) != (tt.done[0] && tt.done[1]) {
				t.Fatal("PostClosureDone disagrees")
			}
		})
	}
}
