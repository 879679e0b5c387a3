package cases_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/cases"
	"shegong/internal/reminder"
	"shegong/internal/testenv"
)

// TestKeptFollowupFigures: after random follow-ups added, edited and
// deleted over several cases and months, cases moved between workers and
// one closed, with the clock moving across month boundaries, the figures
// kept on each case equal a recount from the records; the home page
// figures, the reminders and the case list equal what the per-case counts
// over the records give; and migration 00023's backfill recounts them.
func TestKeptFollowupFigures(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		rng := rand.New(rand.NewPCG(20, 26))
		var all []*cases.Case
		for i, p := range []*testenv.Person{w.w1, w.w1, w.w1, w.w2, w.w2} {
			all = append(all, w.open(p, w.sup, fmt.Sprintf("个案%c", '甲'+rune(i))))
		}
		opened := all[0].OpenedOn
		day := w.today()
		set := func(d app.Date) {
			day = d
			e.Clock.Set(time.Date(d.Year(), d.Month(), d.Day(), 1, 0, 0, 0, time.UTC))
		}
		randomDay := func(from app.Date) app.Date {
			span := from.DaysUntil(day)
			back := rng.IntN(min(span, 45) + 1)
			return day.AddDays(-back)
		}
		serviceFollowups := func(caseID int64) []int64 {
			var ids []int64
			rows, err := e.Sys.DB.R.QueryContext(ctx, `SELECT id FROM case_followups WHERE org_id = $1 AND case_id = $2
				AND kind = 'service' ORDER BY id`, w.org.ID, caseID)
			w.must(err)
			defer rows.Close()
			for rows.Next() {
				var id int64
				w.must(rows.Scan(&id))
				ids = append(ids, id)
			}
			w.must(rows.Err())
			return ids
		}
		var closed bool
		seen := map[string]int{}
		for step := range 90 {
			set(day.AddDays(rng.IntN(5)))
			c := all[rng.IntN(len(all))]
			cur, err := w.svc.Get(ctx, w.dir.Principal(), c.ID)
			w.must(err)
			op := rng.IntN(20)
			switch {
			case op < 11 && cur.State == cases.StateOpen:
				owner := w.w1
				if cur.WorkerID == w.w2.StaffID {
					owner = w.w2
				}
				w.followup(owner, c, randomDay(opened))
				seen["add"]++
			case op < 15: // an edit moves a follow-up to another day
				if ids := serviceFollowups(c.ID); len(ids) > 0 {
					e.OwnerExec(`UPDATE case_followups SET held_on = $1 WHERE org_id = $2 AND id = $3`,
						randomDay(opened), w.org.ID, ids[rng.IntN(len(ids))])
					w.must(w.svc.RecountFollowups(ctx, w.org.ID, c.ID))
					seen["edit"]++
				}
			case op < 18: // a deletion
				if ids := serviceFollowups(c.ID); len(ids) > 0 {
					id := ids[rng.IntN(len(ids))]
					e.OwnerExec(`DELETE FROM case_goal_progress WHERE org_id = $1 AND followup_id = $2`, w.org.ID, id)
					e.OwnerExec(`DELETE FROM case_followups WHERE org_id = $1 AND id = $2`, w.org.ID, id)
					w.must(w.svc.RecountFollowups(ctx, w.org.ID, c.ID))
					seen["delete"]++
				}
			case op < 19 && cur.State == cases.StateOpen:
				to := w.w1
				if cur.WorkerID == w.w1.StaffID {
					to = w.w2
				}
				_, err := w.svc.Reassign(ctx, w.sup.Principal(), cases.ReassignInput{CaseIDs: []int64{c.ID},
					ToWorkerID: to.StaffID, Reason: "个案交接"})
				w.must(err)
				seen["reassign"]++
			}
			if step == 60 && !closed {
				// A case closed this month keeps its follow-ups in the
				// month's count.
				c := all[0]
				cur, err := w.svc.Get(ctx, w.dir.Principal(), c.ID)
				w.must(err)
				owner := w.w1
				if cur.WorkerID == w.w2.StaffID {
					owner = w.w2
				}
				cur, err = w.svc.RequestClosure(ctx, owner.Principal(), c.ID, cases.ClosureInput{Reason: "goals_met",
					Summary: "目标已达成", Goals: []cases.AttainmentInput{{GoalID: c.Goals[0].ID, Attainment: "achieved"},
						{GoalID: c.Goals[1].ID, Attainment: "achieved"}}, Version: cur.Version})
				w.must(err)
				w.decide(w.sup, owner, c.ID, approval.Approve, "同意结案")
				closed = true
			}
			checkKeptFigures(t, w, fmt.Sprintf("step %d, %s", step, day), seen)
		}
		if !closed || day.Month() == opened.Month() {
			t.Fatalf("the walk did not close a case or cross months: %s", day)
		}
		for _, k := range []string{"add", "edit", "delete", "reassign", "month followups", "behind", "case_followup",
			"case_supervisee_behind"} {
			if seen[k] == 0 {
				t.Errorf("the walk never saw %s: %v", k, seen)
			}
		}

		// Migration 00023's backfill recounts every case.
		e.OwnerExec(`UPDATE cases SET last_followup_on = NULL, last_followup_month_count = 99 WHERE 1 = 1`)
		e.OwnerExec(migrationBackfill(t, string(e.Sys.DB.Dialect)))
		checkKeptFigures(t, w, "after the migration's backfill", seen)
	})
}

// migrationBackfill is the UPDATE of cases in migration 00023.
func migrationBackfill(t *testing.T, dialect string) string {
	t.Helper()
	b, err := os.ReadFile("../db/migrations/" + dialect + "/00023_case_followup_figures.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(b), "-- +goose Down")
	for _, st := range strings.Split(up, ";\n") {
		if st = strings.TrimSpace(st); strings.HasPrefix(st, "UPDATE cases") {
			return st
		}
	}
	t.Fatal("migration 00023 has no UPDATE of cases")
	return ""
}

// checkKeptFigures compares what reads the kept figures with the recount
// from the records.
func checkKeptFigures(t *testing.T, w *caseWorld, when string, seen map[string]int) {
	t.Helper()
	e, ctx := w.e, w.e.Ctx
	today := w.today()
	ms, me := today.MonthStart(), today.MonthEnd()
	type facts struct {
		last  app.Date
		n     int // in the last follow-up's month
		month int // this month
	}
	want := map[int64]*facts{}
	rows, err := e.Sys.DB.R.QueryContext(ctx, `SELECT id FROM cases WHERE org_id = $1`, w.org.ID)
	w.must(err)
	for rows.Next() {
		var id int64
		w.must(rows.Scan(&id))
		want[id] = &facts{}
	}
	rows.Close()
	rows, err = e.Sys.DB.R.QueryContext(ctx, `SELECT case_id, held_on FROM case_followups
		WHERE org_id = $1 AND kind = 'service'`, w.org.ID)
	w.must(err)
	var held []struct {
		id int64
		on app.Date
	}
	for rows.Next() {
		var id int64
		var on app.Date
		w.must(rows.Scan(&id, &on))
		held = append(held, struct {
			id int64
			on app.Date
		}{id, on})
		if f := want[id]; on.After(f.last) {
			f.last = on
		}
		if !on.Before(ms) && !on.After(me) {
			want[id].month++
		}
	}
	rows.Close()
	for _, h := range held {
		if f := want[h.id]; h.on.MonthStart() == f.last.MonthStart() {
			f.n++
		}
	}
	rows, err = e.Sys.DB.R.QueryContext(ctx, `SELECT id, last_followup_on, last_followup_month_count FROM cases
		WHERE org_id = $1`, w.org.ID)
	w.must(err)
	for rows.Next() {
		var id int64
		var last app.Date
		var n int
		w.must(rows.Scan(&id, &last, &n))
		if f := want[id]; last != f.last || n != f.n {
			t.Fatalf("%s: case %d keeps %s and %d, the records give %s and %d", when, id, last, n, f.last, f.n)
		}
	}
	rows.Close()

	for _, p := range []*testenv.Person{w.w1, w.w2, w.w3, w.sup, w.head, w.dir} {
		pr := p.Principal()
		got, err := w.svc.Figures(ctx, pr)
		w.must(err)
		exp, err := w.svc.RecordsFigures(ctx, pr)
		w.must(err)
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("%s: %s's figures %+v, the records give %+v", when, p.Username, got, exp)
		}
		if got.MonthFollowups > 0 {
			seen["month followups"]++
		}
		if got.Behind > 0 {
			seen["behind"]++
		}
		for _, r := range []struct{ kept, records reminder.Rule }{
			{cases.FollowupRule{}, cases.RecordsFollowupRule()},
			{cases.SuperviseeRule{}, cases.RecordsSuperviseeRule()},
		} {
			got, err := r.kept.Items(ctx, e.Sys.DB.R, pr, today)
			w.must(err)
			exp, err := r.records.Items(ctx, e.Sys.DB.R, pr, today)
			w.must(err)
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("%s: %s's %s reminders %+v, the records give %+v", when, p.Username, r.kept.Name(), got, exp)
			}
			if len(got) > 0 {
				seen[r.kept.Name()]++
			}
		}
		if p == w.w3 {
			continue
		}
		list, _, err := w.svc.List(ctx, pr, cases.CaseFilter{}, app.ListQuery{Sort: "followups", Desc: true})
		w.must(err)
		var behind []int64
		for i, row := range list {
			f := want[row.ID]
			if row.FollowupsThisMonth != f.month || row.LastFollowupOn != f.last {
				t.Fatalf("%s: %s's list shows case %d with %d and %s, the records give %d and %s", when, p.Username,
					row.ID, row.FollowupsThisMonth, row.LastFollowupOn, f.month, f.last)
			}
			if i > 0 && (list[i-1].FollowupsThisMonth < row.FollowupsThisMonth ||
				list[i-1].FollowupsThisMonth == row.FollowupsThisMonth && list[i-1].ID > row.ID) {
				t.Fatalf("%s: list not sorted by this month's follow-ups: %+v", when, list)
			}
			if row.Behind {
				behind = append(behind, row.ID)
			}
		}
		only, _, err := w.svc.List(ctx, pr, cases.CaseFilter{Behind: true}, app.ListQuery{})
		w.must(err)
		var ids []int64
		for _, row := range only {
			ids = append(ids, row.ID)
		}
		slices.Sort(ids)
		slices.Sort(behind)
		if !slices.Equal(ids, behind) {
			t.Fatalf("%s: %s's behind filter keeps %v, the rows marked behind are %v", when, p.Username, ids, behind)
		}
	}
}

// TestKeptFollowupFiguresConcurrent: follow-ups added to one case at the
// same time by two writers leave the case's figures equal to a recount
// (on PostgreSQL each recount waits for the other write to commit).
func TestKeptFollowupFiguresConcurrent(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		c := w.open(w.w1, w.sup, "陈伯")
		in := cases.FollowupInput{HeldOn: w.today(), Method: "phone", DurationMin: 30, Content: "电话跟进"}
		for _, g := range c.Goals {
			in.Progress = append(in.Progress, cases.ProgressInput{GoalID: g.ID, Progress: "some"})
		}
		const writers, each = 4, 8
		errs := make(chan error, writers*each)
		done := make(chan struct{})
		for range writers {
			go func() {
				defer func() { done <- struct{}{} }()
				for range each {
					_, err := w.svc.AddFollowup(e.Ctx, w.w1.Principal(), c.ID, in)
					errs <- err
				}
			}()
		}
		for range writers {
			<-done
		}
		close(errs)
		for err := range errs {
			w.must(err)
		}
		var last app.Date
		var n int
		if err := e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT last_followup_on, last_followup_month_count FROM cases
			WHERE org_id = $1 AND id = $2`, w.org.ID, c.ID).Scan(&last, &n); err != nil {
			t.Fatal(err)
		}
		if last != w.today() || n != writers*each {
			t.Fatalf("the case keeps %s and %d, want %s and %d", last, n, w.today(), writers*each)
		}
	})
}
