package cases_test

import (
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/cases"
	"shegong/internal/testenv"
)

func rowOf(rows []cases.ReportRow, name string) cases.ReportRow {
	for _, r := range rows {
		if r.Name == name {
			return r
		}
	}
	return cases.ReportRow{Name: name + "（无）"}
}

// TestMonthlyReportAndArchiveCheck builds March and April from the records
// and checks every number of the monthly report and every gap the archive
// check finds.
func TestMonthlyReportAndArchiveCheck(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		// Four cases opened on 2026-03-02.
		a := w.open(w.w1, w.sup, "甲伯")
		b := w.open(w.w1, w.sup, "乙伯")
		c := w.open(w.w2, w.sup, "丙伯")
		d := w.open(w.w2, w.sup, "丁伯")
		e.Exec(`DELETE FROM client_consents WHERE client_id = $1`, d.ClientID)
		w.at(2026, 3, 5)
		w.followup(w.w1, a, w.today())
		w.followup(w.w2, c, w.today())
		w.at(2026, 3, 10)
		w.followup(w.w1, b, w.today())
		w.at(2026, 3, 12)
		w.followup(w.w1, a, w.today())
		w.at(2026, 3, 15)
		_, err := w.svc.Refer(ctx, w.w1.Principal(), a.ID, cases.ReferralInput{Kind: cases.ReferExternal,
			ToAgency: "镇社区卫生服务中心", ToContact: "李医生", ToPhone: "13800138000", Reason: "需要康复评估",
			Services: "上门康复评估", After: cases.AfterKeep})
		w.must(err)
		w.decide(w.sup, w.w1, a.ID, approval.Approve, "同意")
		w.at(2026, 3, 20)
		c, _ = w.svc.Get(ctx, w.w2.Principal(), c.ID)
		_, err = w.svc.RequestClosure(ctx, w.w2.Principal(), c.ID, cases.ClosureInput{Reason: "goals_met",
			Summary: "目标达成", Goals: []cases.AttainmentInput{{GoalID: c.Goals[0].ID, Attainment: "achieved"},
				{GoalID: c.Goals[1].ID, Attainment: "achieved"}}, Version: c.Version})
		w.must(err)
		w.decide(w.sup, w.w2, c.ID, approval.Approve, "同意结案")
		w.at(2026, 4, 1)
		_, err = w.svc.AddPostClosure(ctx, w.w2.Principal(), c.ID, cases.FollowupInput{HeldOn: w.today(),
			Method: "phone", DurationMin: 30, Content: "回访"})
		w.must(err)
		w.at(2026, 4, 3)
		w.followup(w.w1, a, w.today())
		w.at(2026, 4, 10)
		w.followup(w.w1, a, w.today())
		w.at(2026, 4, 30)

		march := cases.ReportFilter{Month: app.NewDate(2026, 3, 1)}
		rep, err := w.svc.Monthly(ctx, w.sup.Principal(), march)
		w.must(err)
		w1, w2 := rowOf(rep.Workers, "同工w1"), rowOf(rep.Workers, "同工w2")
		if rep.Month != "2026-03" || len(rep.Workers) != 2 ||
			w1.Opened != 2 || w1.Active != 2 || w1.Followups != 3 || w1.FollowupHours != "3.0" || w1.Referrals != 1 ||
			w1.Closed != 0 || w1.Behind != 0 ||
			w2.Opened != 2 || w2.Closed != 1 || w2.Followups != 1 || w2.Referrals != 0 {
			t.Fatalf("March by worker: %+v", rep.Workers)
		}
		if rep.Total.Opened != 4 || rep.Total.Closed != 1 || rep.Total.Followups != 4 || rep.Total.Referrals != 1 ||
			len(rep.Sites) != 1 || rep.Sites[0].Followups != 4 {
			t.Fatalf("March totals: %+v sites %+v", rep.Total, rep.Sites)
		}
		// A worker's own report has their row only; another organization
		// sees none of it; the evaluator sees the organization.
		own, err := w.svc.Monthly(ctx, w.w1.Principal(), march)
		w.must(err)
		if len(own.Workers) != 1 || own.Workers[0].Followups != 3 {
			t.Fatalf("worker's own report: %+v", own.Workers)
		}
		foreign, err := w.svc.Monthly(ctx, w.ow.Principal(), march)
		w.must(err)
		if foreign.Total.Opened != 0 || len(foreign.Workers) != 0 {
			t.Fatalf("other organization: %+v", foreign)
		}
		ev, err := w.svc.Monthly(ctx, w.eval.Principal(), march)
		w.must(err)
		if ev.Total.Opened != 4 {
			t.Fatalf("evaluator: %+v", ev.Total)
		}

		april := cases.ReportFilter{Month: app.NewDate(2026, 4, 15)}
		rep, err = w.svc.Monthly(ctx, w.head.Principal(), april)
		w.must(err)
		w1, w2 = rowOf(rep.Workers, "同工w1"), rowOf(rep.Workers, "同工w2")
		if w1.Active != 2 || w1.Followups != 2 || w1.Behind != 1 || w1.Opened != 0 ||
			w2.Active != 1 || w2.PostFollowups != 1 || w2.Behind != 1 || w2.Followups != 0 {
			t.Fatalf("April by worker: %+v", rep.Workers)
		}

		ac, err := w.svc.Archive(ctx, w.sup.Principal(), cases.ReportFilter{Month: app.NewDate(2026, 4, 1), GapsOnly: true})
		w.must(err)
		gaps := map[string]string{}
		for _, r := range ac.Rows {
			var labels []string
			for _, g := range r.Gaps {
				labels = append(labels, g.Label)
			}
			gaps[r.Number] = strings.Join(labels, "；")
		}
		if ac.Checked != 4 || ac.WithGaps != 2 || len(ac.Rows) != 2 ||
			gaps[b.Number] != "本月跟进 0 次，少于 2 次" ||
			gaps[d.Number] != "缺知情同意书：该服务对象尚未签署知情同意书；本月跟进 0 次，少于 2 次" {
			t.Fatalf("April archive check: %d checked, %d with gaps: %v", ac.Checked, ac.WithGaps, gaps)
		}
		// In May the second post-closure month of the closed case has passed
		// without a record.
		w.at(2026, 5, 25)
		ac, err = w.svc.Archive(ctx, w.w2.Principal(), cases.ReportFilter{Month: app.NewDate(2026, 5, 1)})
		w.must(err)
		for _, r := range ac.Rows {
			if r.Number == c.Number {
				if len(r.Gaps) != 1 || r.Gaps[0].Label != "结案后第 2 个月缺跟进记录" {
					t.Fatalf("closed case in May: %+v", r.Gaps)
				}
				return
			}
		}
		t.Fatalf("closed case missing from May's check: %+v", ac.Rows)
	})
}

// TestKeyFigures counts the home page figures for each scope.
func TestKeyFigures(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		a := w.open(w.w1, w.sup, "甲伯")
		w.open(w.w2, w.sup, "乙伯")
		w.at(2026, 3, 24)
		w.followup(w.w1, a, w.today())
		k, err := w.svc.Figures(e.Ctx, w.w1.Principal())
		w.must(err)
		if k.Open != 1 || k.MonthFollowups != 1 || k.Behind != 1 {
			t.Fatalf("worker figures: %+v", k)
		}
		k, err = w.svc.Figures(e.Ctx, w.sup.Principal())
		w.must(err)
		if k.Open != 2 || k.MonthFollowups != 1 || k.Behind != 2 {
			t.Fatalf("supervisor figures: %+v", k)
		}
		if k, _ := w.svc.Figures(e.Ctx, w.eval.Principal()); k != nil {
			t.Fatalf("evaluator has case figures: %+v", k)
		}
	})
}
