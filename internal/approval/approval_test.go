package approval_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/approval/approvaltest"
	"shegong/internal/approval/general"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

var ctx = context.Background()

type env struct {
	t     *testing.T
	d     *db.DB
	f     *approvaltest.Fixture
	clock *approvaltest.Clock
	ap    *approval.Service
	gen   *general.Service
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	clock := approvaltest.NewClock(time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC))
	f := approvaltest.Seed(t, d, app.NewDate(2026, 3, 9))
	ap := approval.New(d, clock.Now)
	return &env{t: t, d: d, f: f, clock: clock, ap: ap, gen: general.New(d, clock.Now, ap)}
}

// p is the principal of a user of organization A.
func (e *env) p(key string) *authz.Principal { return e.f.Principal(e.t, e.f.A, key) }

func (e *env) user(key string) int64 { return e.f.A.User(key) }

// submit files a general request for site by key, failing the test on error.
func (e *env) submit(key, site, amount string) *approval.Approval {
	e.t.Helper()
	r, err := e.gen.Submit(ctx, e.p(key), general.Input{SiteID: e.f.A.Sites[site], Title: "购买活动物资",
		Content: "三月社区长者活动所需物资", Amount: amount})
	if err != nil {
		e.t.Fatalf("submit by %s: %v", key, err)
	}
	return r.Approval
}

func (e *env) get(key string, id int64) *approval.Approval {
	e.t.Helper()
	a, err := e.ap.Get(ctx, e.p(key), id)
	if err != nil {
		e.t.Fatalf("get by %s: %v", key, err)
	}
	return a
}

func (e *env) decide(key string, a *approval.Approval, d approval.Decision, comment string) (*approval.Approval, error) {
	return e.ap.Decide(ctx, e.p(key), approval.DecideInput{ApprovalID: a.ID, Version: a.Version, Decision: d, Comment: comment})
}

func (e *env) mustDecide(key string, a *approval.Approval, d approval.Decision, comment string) *approval.Approval {
	e.t.Helper()
	out, err := e.decide(key, a, d, comment)
	if err != nil {
		e.t.Fatalf("%s decides %s: %v", key, d, err)
	}
	return out
}

func (e *env) todo(key string) []int64 {
	e.t.Helper()
	items, err := e.ap.Todo(ctx, e.p(key))
	if err != nil {
		e.t.Fatal(err)
	}
	n, err := e.ap.TodoCount(ctx, e.p(key))
	if err != nil {
		e.t.Fatal(err)
	}
	if n != len(items) {
		e.t.Fatalf("todo count of %s = %d, list has %d", key, n, len(items))
	}
	ids := []int64{}
	for _, it := range items {
		ids = append(ids, it.ApprovalID)
	}
	return ids
}

func wantCode(t *testing.T, err error, code app.Code, msg string) {
	t.Helper()
	if app.ErrorCode(err) != code {
		t.Fatalf("want %s error, got %v", code, err)
	}
	if msg != "" && !strings.Contains(app.ErrorMessage(err), msg) {
		t.Fatalf("want message containing %q, got %q", msg, app.ErrorMessage(err))
	}
}

func assigneeIDs(st approval.Step) []int64 {
	var ids []int64
	for _, u := range st.Assignees {
		ids = append(ids, u.ID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...int64) []int64 { slices.Sort(ids); return ids }

func TestApproverResolution(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		e.ap.Register(approval.Workflow{Kind: "test.supervisor", Name: "督导审批测试",
			Steps: []approval.StepDef{{Name: "督导审批", Approver: approval.SupervisorOf()}}})
		e.ap.Register(approval.Workflow{Kind: "test.finance", Name: "中心财务测试",
			Steps: []approval.StepDef{{Name: "中心财务初审", Approver: approval.SiteRole(authz.RoleCentreFinance)}}})
		e.ap.Register(approval.Workflow{Kind: "test.accountant", Name: "会计测试",
			Steps: []approval.StepDef{{Name: "会计审核", Approver: approval.OrgRole(authz.RoleAccountant)}}})
		A := e.f.A
		tests := []struct {
			name      string
			submitter string
			kind      string
			site      string
			want      []int64 // assignees of the first step
			wantErr   string
		}{
			{"centre heads of the chosen site only", "w1", general.Kind, "北岸",
				sorted(A.User("headA"), A.User("headA2")), ""},
			{"another site has its own head", "w2", general.Kind, "新市", []int64{A.User("headB")}, ""},
			{"a head never approves own request", "headA", general.Kind, "北岸", []int64{A.User("headA2")}, ""},
			{"a site without a head falls back to the director", "w3", general.Kind, "振华", []int64{A.User("dir")}, ""},
			{"current supervisor, not a former one", "w1", "test.supervisor", "北岸", []int64{A.User("sup")}, ""},
			{"nobody supervises the director", "dir", "test.supervisor", "北岸", nil,
				"找不到该步骤的审批人：申请人的督导"},
			{"no finance clerk at the site", "w1", "test.finance", "北岸", nil,
				"找不到该步骤的审批人：中心财务（服务点：北岸）"},
			{"organization-wide role", "w1", "test.accountant", "", []int64{A.User("acc")}, ""},
			{"the only accountant cannot approve their own request", "acc", "test.accountant", "", nil,
				"（申请人本人不能审批自己的申请）"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var a *approval.Approval
				var err error
				if tt.kind == general.Kind {
					var r *general.Request
					r, err = e.gen.Submit(ctx, e.p(tt.submitter), general.Input{SiteID: A.Sites[tt.site], Title: "测试", Content: "内容"})
					if r != nil {
						a = r.Approval
					}
				} else {
					a, err = e.ap.Submit(ctx, e.p(tt.submitter), approval.SubmitInput{Kind: tt.kind, SubjectType: "test",
						SubjectID: int64(i + 1), Title: "测试申请", SiteID: A.Sites[tt.site]})
				}
				if tt.wantErr != "" {
					wantCode(t, err, app.EInvalid, tt.wantErr)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				a = e.get(tt.submitter, a.ID)
				if got := assigneeIDs(a.Steps[0]); !slices.Equal(got, tt.want) {
					t.Fatalf("assignees = %v, want %v", got, tt.want)
				}
				if a.Steps[0].Status != approval.StepPending || a.CurrentStep != 1 {
					t.Fatalf("first step not current: %+v", a.Steps[0])
				}
			})
		}
	})
}

func TestDirectorStepOnlyAboveThreshold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		tests := []struct {
			amount string
			want   approval.StepStatus
		}{
			{"", approval.StepSkipped},
			{"4999.99", approval.StepSkipped},
			{"5000", approval.StepSkipped},
			{"5000.01", approval.StepWaiting},
			{"120000", approval.StepWaiting},
		}
		for _, tt := range tests {
			t.Run("amount "+tt.amount, func(t *testing.T) {
				a := e.get("w1", e.submit("w1", "北岸", tt.amount).ID)
				if len(a.Steps) != 2 || a.Steps[1].Name != "总干事审批" || a.Steps[1].Status != tt.want {
					t.Fatalf("steps = %+v", a.Steps)
				}
				// Approving step 1 finishes the request exactly when the
				// director's step was skipped.
				a = e.mustDecide("headA", a, approval.Approve, "")
				if wantFinal := tt.want == approval.StepSkipped; (a.Status == approval.Approved) != wantFinal {
					t.Fatalf("after step 1: status %s, director step %s", a.Status, tt.want)
				}
			})
		}
	})
}

func TestApprovePath(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		var hooked []approval.Status
		e.ap.Register(approval.Workflow{Kind: "test.hook", Name: "回调测试",
			Steps: []approval.StepDef{{Name: "督导审批", Approver: approval.SupervisorOf()}},
			OnDecided: func(ctx context.Context, tx *sql.Tx, a *approval.Approval) error {
				// The hook runs inside the deciding transaction: it sees the
				// outcome before it is committed.
				var st string
				if err := tx.QueryRowContext(ctx, `SELECT status FROM approvals WHERE org_id = $1 AND id = $2`,
					a.OrgID, a.ID).Scan(&st); err != nil {
					return err
				}
				hooked = append(hooked, approval.Status(st))
				if a.Title == "失败" {
					return errors.New("owner refused")
				}
				return nil
			}})

		a := e.submit("w1", "北岸", "6000")
		if a.Status != approval.Pending || a.Round != 1 || a.CurrentStep != 1 || a.Version != 1 {
			t.Fatalf("submitted: %+v", a)
		}
		if a.KindName != "通用事项申请" || a.SiteName != "北岸" || a.AmountFen != 600000 {
			t.Fatalf("facts: %+v", a)
		}
		if got := e.todo("dir"); len(got) != 0 {
			t.Fatalf("director's to-do before step 2: %v", got)
		}
		e.clock.Set(e.clock.Now().Add(2 * time.Hour))
		a = e.mustDecide("headA", a, approval.Approve, "同意，注意控制预算")
		if a.Status != approval.Pending || a.CurrentStep != 2 || a.CurrentStepName != "总干事审批" || a.Version != 2 {
			t.Fatalf("after step 1: %+v", a)
		}
		if got := e.todo("headA"); len(got) != 0 {
			t.Fatalf("headA's to-do after deciding: %v", got)
		}
		if got := e.todo("dir"); !slices.Equal(got, []int64{a.ID}) {
			t.Fatalf("director's to-do: %v", got)
		}
		a = e.mustDecide("dir", a, approval.Approve, "")
		if a.Status != approval.Approved || a.CurrentStep != 0 || a.DecidedAt.IsZero() {
			t.Fatalf("after step 2: %+v", a)
		}
		full := e.get("w1", a.ID)
		if full.Steps[0].DecidedBy.ID != e.user("headA") || full.Steps[0].Comment != "同意，注意控制预算" ||
			full.Steps[1].DecidedBy.ID != e.user("dir") || full.Steps[1].Status != approval.StepApproved {
			t.Fatalf("steps: %+v", full.Steps)
		}
		acts := []approval.Action{}
		for _, ev := range full.Events {
			acts = append(acts, ev.Action)
		}
		if !slices.Equal(acts, []approval.Action{approval.ActSubmit, approval.ActApprove, approval.ActApprove}) {
			t.Fatalf("events: %v", acts)
		}
		if full.Can.Withdraw || full.Can.Resubmit || full.Can.Decide {
			t.Fatalf("actions on a finished request: %+v", full.Can)
		}
		// A decided request cannot be decided again.
		_, err := e.decide("dir", full, approval.Approve, "")
		wantCode(t, err, app.EConflict, "该申请已被他人处理")

		// The owner's hook runs once, on the outcome, in the same transaction.
		h, err := e.ap.Submit(ctx, e.p("w1"), approval.SubmitInput{Kind: "test.hook", SubjectType: "test", SubjectID: 1,
			Title: "开案申请"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hooked) != 0 {
			t.Fatalf("hook ran on submit: %v", hooked)
		}
		e.mustDecide("sup", h, approval.Approve, "")
		if !slices.Equal(hooked, []approval.Status{approval.Approved}) {
			t.Fatalf("hook calls: %v", hooked)
		}
		// A failing hook undoes the decision.
		h, err = e.ap.Submit(ctx, e.p("w1"), approval.SubmitInput{Kind: "test.hook", SubjectType: "test", SubjectID: 2,
			Title: "失败"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.decide("sup", h, approval.Reject, "材料不全"); err == nil {
			t.Fatal("decision committed although the hook failed")
		}
		if h = e.get("w1", h.ID); h.Status != approval.Pending || h.Version != 1 || len(h.Events) != 1 {
			t.Fatalf("after failed hook: %+v", h)
		}

		// Every state change left an audit row and the chain is intact.
		var n int
		if err := d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND object_type = 'approval'`,
			e.f.A.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		// general: submit and two approvals; hook: two submits and one
		// approval; the undone decision left nothing.
		if n != 6 {
			t.Fatalf("approval audit rows = %d, want 6", n)
		}
		assertAuditClean(t, d)
	})
}

func assertAuditClean(t *testing.T, d *db.DB) {
	t.Helper()
	res, err := audit.Verify(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 0 || res.Rows == 0 {
		t.Fatalf("audit verify: rows=%d problems=%v", res.Rows, res.Problems)
	}
}

func countAudit(t *testing.T, d *db.DB, orgID int64, action string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = $2`, orgID, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRejectResubmitApprove(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		a := e.submit("w1", "北岸", "8000")

		_, err := e.decide("headA", a, approval.Reject, "  ")
		wantCode(t, err, app.EInvalid, "驳回时必须填写意见")
		if app.FieldErrors(err)["comment"] == "" {
			t.Fatalf("no field error on comment: %v", app.FieldErrors(err))
		}
		_, err = e.decide("headA", a, approval.Reject, strings.Repeat("长", approval.MaxComment+1))
		wantCode(t, err, app.EInvalid, "意见不能超过500个字")
		_, err = e.decide("headA", a, "maybe", "")
		wantCode(t, err, app.EInvalid, "")

		a = e.mustDecide("headA", a, approval.Reject, "金额过高，请拆分或说明理由")
		if a.Status != approval.Rejected || a.CurrentStep != 0 {
			t.Fatalf("rejected: %+v", a)
		}
		full := e.get("w1", a.ID)
		if full.Steps[0].Status != approval.StepRejected || full.Steps[1].Status != approval.StepCancelled {
			t.Fatalf("round 1 steps: %+v", full.Steps)
		}
		if !full.Can.Resubmit || !full.Can.Withdraw {
			t.Fatalf("submitter's actions after rejection: %+v", full.Can)
		}
		if got := e.todo("headA"); len(got) != 0 {
			t.Fatalf("to-do after rejection: %v", got)
		}
		// Only the submitter resubmits, and only on the current version.
		_, err = e.ap.Resubmit(ctx, e.p("headA"), approval.ResubmitInput{ApprovalID: a.ID, Version: a.Version})
		wantCode(t, err, app.EForbidden, "只有申请人")
		_, err = e.ap.Resubmit(ctx, e.p("w1"), approval.ResubmitInput{ApprovalID: a.ID, Version: a.Version - 1})
		wantCode(t, err, app.EConflict, "")

		// The corrected amount no longer needs the director.
		r, err := e.gen.Resubmit(ctx, e.p("w1"), a.ID, a.Version, general.Input{SiteID: e.f.A.Sites["北岸"],
			Title: "购买活动物资（拆分后）", Content: "只购买本月所需", Amount: "3000", Comment: "已按意见拆分"})
		if err != nil {
			t.Fatal(err)
		}
		a = r.Approval
		if a.Status != approval.Pending || a.Round != 2 || a.CurrentStep != 1 || a.AmountFen != 300000 ||
			a.Title != "购买活动物资（拆分后）" || r.Content != "只购买本月所需" {
			t.Fatalf("resubmitted: %+v %+v", a, r)
		}
		if got := e.todo("headA2"); !slices.Equal(got, []int64{a.ID}) {
			t.Fatalf("headA2's to-do in round 2: %v", got)
		}
		a = e.mustDecide("headA2", a, approval.Approve, "同意")
		if a.Status != approval.Approved {
			t.Fatalf("round 2: %+v", a)
		}

		full = e.get("w1", a.ID)
		type row struct {
			round  int
			seq    int
			status approval.StepStatus
		}
		var got []row
		for _, st := range full.Steps {
			got = append(got, row{st.Round, st.Seq, st.Status})
		}
		want := []row{{1, 1, approval.StepRejected}, {1, 2, approval.StepCancelled},
			{2, 1, approval.StepApproved}, {2, 2, approval.StepSkipped}}
		if !slices.Equal(got, want) {
			t.Fatalf("history of steps = %v, want %v", got, want)
		}
		if full.Steps[0].Comment != "金额过高，请拆分或说明理由" {
			t.Fatalf("round 1 comment lost: %q", full.Steps[0].Comment)
		}
		var evs []string
		for _, ev := range full.Events {
			evs = append(evs, fmt.Sprintf("%d:%s:%s", ev.Round, ev.Action, ev.Comment))
		}
		wantEvs := []string{"1:submit:", "1:reject:金额过高，请拆分或说明理由", "2:resubmit:已按意见拆分", "2:approve:同意"}
		if !slices.Equal(evs, wantEvs) {
			t.Fatalf("events = %v, want %v", evs, wantEvs)
		}
		if n := countAudit(t, d, e.f.A.ID, "approval.resubmit"); n != 1 {
			t.Fatalf("resubmit audit rows = %d", n)
		}
		assertAuditClean(t, d)
	})
}

func TestNoSelfApproval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		// headA files for the own centre: the other head decides.
		a := e.submit("headA", "北岸", "")
		_, err := e.decide("headA", a, approval.Approve, "")
		wantCode(t, err, app.EForbidden, "不能审批自己提交的申请")
		if got := e.todo("headA"); len(got) != 0 {
			t.Fatalf("own request in own to-do: %v", got)
		}
		// Not as a stand-in either.
		if _, err := e.ap.Delegate(ctx, e.p("headA2"), approval.DelegationInput{ToUserID: e.user("headA"),
			Start: app.NewDate(2026, 3, 1), End: app.NewDate(2026, 3, 31), Reason: "外出培训"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.decide("headA", a, approval.Approve, "")
		wantCode(t, err, app.EForbidden, "不能审批自己提交的申请")
		if got := e.todo("headA"); len(got) != 0 {
			t.Fatalf("own request in to-do as stand-in: %v", got)
		}
		// Not through another role: the director's own large request needs
		// a director other than the submitter, and there is none.
		_, err = e.gen.Submit(ctx, e.p("dir"), general.Input{SiteID: e.f.A.Sites["新市"], Title: "采购电脑",
			Content: "行政部电脑更新", Amount: "9000"})
		wantCode(t, err, app.EInvalid, "找不到该步骤的审批人：总干事（申请人本人不能审批自己的申请）")
		// Add a deputy who also holds the director role; now it routes there.
		e.f.Exec(t, `INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, 'director')`, e.f.A.ID, e.user("acc"))
		r, err := e.gen.Submit(ctx, e.p("dir"), general.Input{SiteID: e.f.A.Sites["新市"], Title: "采购电脑",
			Content: "行政部电脑更新", Amount: "9000"})
		if err != nil {
			t.Fatal(err)
		}
		b := e.mustDecide("headB", r.Approval, approval.Approve, "")
		full := e.get("dir", b.ID)
		if got := assigneeIDs(full.Steps[1]); !slices.Equal(got, []int64{e.user("acc")}) {
			t.Fatalf("director step assignees = %v", got)
		}
		_, err = e.decide("dir", b, approval.Approve, "")
		wantCode(t, err, app.EForbidden, "不能审批自己提交的申请")
	})
}

func TestOnlyAssigneesDecide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		a := e.submit("w1", "北岸", "")
		tests := []struct {
			who  string
			code app.Code // "" for success
		}{
			{"headB", app.ENotFound},   // another centre's head does not even see it
			{"w2", app.ENotFound},      // a colleague
			{"eval", app.ENotFound},    // read-only evaluator
			{"oldhead", app.ENotFound}, // assignment at 北岸 has ended
			{"sup", app.EForbidden},    // the supervisor sees it but is not on the route
			{"dir", app.EForbidden},    // the director sees everything but step 1 is not theirs
			{"w1", app.EForbidden},     // the submitter
			{"headA2", ""},             // an assignee
			{"headA", app.EConflict},   // the other assignee, too late
			{"headA2", app.EConflict},  // cannot decide twice
			{"headB", app.ENotFound},   // still hidden after the decision
		}
		for i, tt := range tests {
			t.Run(fmt.Sprintf("%02d-%s", i, tt.who), func(t *testing.T) {
				_, err := e.decide(tt.who, a, approval.Approve, "")
				if tt.code == "" {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				wantCode(t, err, tt.code, "")
			})
		}
		// Someone who may not see the request learns nothing from bad input
		// either: not whether the version is current, nor what is invalid.
		b := e.submit("w1", "北岸", "")
		_, err := e.ap.Decide(ctx, e.p("headB"), approval.DecideInput{ApprovalID: b.ID, Version: 99, Decision: "maybe"})
		wantCode(t, err, app.ENotFound, "")
		_, err = e.ap.Decide(ctx, e.p("headB"), approval.DecideInput{ApprovalID: b.ID, Version: b.Version, Decision: approval.Reject})
		wantCode(t, err, app.ENotFound, "")
		_, err = e.ap.Withdraw(ctx, e.p("headB"), b.ID, b.Version, strings.Repeat("长", approval.MaxComment+1))
		wantCode(t, err, app.ENotFound, "")
		_, err = e.gen.Resubmit(ctx, e.p("headB"), b.ID, b.Version, general.Input{})
		wantCode(t, err, app.ENotFound, "")
	})
}

func TestDelegation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		day := func(n int) time.Time { return time.Date(2026, 3, n, 10, 0, 0, 0, time.UTC) }

		// Validation.
		bad := []struct {
			name  string
			in    approval.DelegationInput
			field string
			msg   string
		}{
			{"no stand-in", approval.DelegationInput{Start: app.NewDate(2026, 3, 10), End: app.NewDate(2026, 3, 15), Reason: "休假"},
				"to_user_id", "请选择代理人"},
			{"self", approval.DelegationInput{ToUserID: e.user("headB"), Start: app.NewDate(2026, 3, 10),
				End: app.NewDate(2026, 3, 15), Reason: "休假"}, "to_user_id", "不能委托给自己"},
			{"other organization", approval.DelegationInput{ToUserID: e.f.B.User("ohead"), Start: app.NewDate(2026, 3, 10),
				End: app.NewDate(2026, 3, 15), Reason: "休假"}, "to_user_id", "请选择有效的代理人"},
			{"disabled user", approval.DelegationInput{ToUserID: e.user("gone"), Start: app.NewDate(2026, 3, 10),
				End: app.NewDate(2026, 3, 15), Reason: "休假"}, "to_user_id", "请选择有效的代理人"},
			{"ends before start", approval.DelegationInput{ToUserID: e.user("acc"), Start: app.NewDate(2026, 3, 15),
				End: app.NewDate(2026, 3, 10), Reason: "休假"}, "end", "结束日期不能早于开始日期"},
			{"in the past", approval.DelegationInput{ToUserID: e.user("acc"), Start: app.NewDate(2026, 2, 1),
				End: app.NewDate(2026, 2, 5), Reason: "休假"}, "end", "结束日期不能早于今天"},
			{"too long", approval.DelegationInput{ToUserID: e.user("acc"), Start: app.NewDate(2026, 3, 10),
				End: app.NewDate(2027, 3, 11), Reason: "休假"}, "end", "委托期限不能超过一年"},
			{"no reason", approval.DelegationInput{ToUserID: e.user("acc"), Start: app.NewDate(2026, 3, 10),
				End: app.NewDate(2026, 3, 15)}, "reason", "委托事由不能为空"},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.ap.Delegate(ctx, e.p("headB"), tt.in)
				wantCode(t, err, app.EInvalid, "")
				if got := app.FieldErrors(err)[tt.field]; got != tt.msg {
					t.Fatalf("field %s: %q, want %q (all: %v)", tt.field, got, tt.msg, app.FieldErrors(err))
				}
			})
		}

		dl, err := e.ap.Delegate(ctx, e.p("headB"), approval.DelegationInput{ToUserID: e.user("acc"),
			Start: app.NewDate(2026, 3, 10), End: app.NewDate(2026, 3, 15), Reason: "外出参加督导培训"})
		if err != nil {
			t.Fatal(err)
		}
		if dl.State != "upcoming" {
			t.Fatalf("state: %s", dl.State)
		}
		_, err = e.ap.Delegate(ctx, e.p("headB"), approval.DelegationInput{ToUserID: e.user("dir"),
			Start: app.NewDate(2026, 3, 15), End: app.NewDate(2026, 3, 20), Reason: "休假"})
		wantCode(t, err, app.EConflict, "该时段已有委托")

		a := e.submit("w2", "新市", "")
		steps := []struct {
			at      time.Time
			canAct  bool
			wantErr app.Code
		}{
			{day(9), false, app.ENotFound},  // before the range
			{day(10), true, ""},             // first day
			{day(15), true, ""},             // last day
			{day(16), false, app.ENotFound}, // after the range
		}
		for _, st := range steps {
			t.Run("on "+st.at.Format("01-02"), func(t *testing.T) {
				e.clock.Set(st.at)
				todo, err := e.ap.Todo(ctx, e.p("acc"))
				if err != nil {
					t.Fatal(err)
				}
				if st.canAct != (len(todo) == 1) {
					t.Fatalf("stand-in's to-do: %+v", todo)
				}
				if st.canAct {
					if todo[0].ActingFor == nil || todo[0].ActingFor.ID != e.user("headB") {
						t.Fatalf("to-do item not marked as acting for headB: %+v", todo[0])
					}
					g := e.get("acc", a.ID)
					if !g.Can.Decide || g.Can.ActingFor == nil || g.Can.ActingFor.Name != "黄新市" {
						t.Fatalf("actions: %+v", g.Can)
					}
					return
				}
				_, err = e.decide("acc", a, approval.Approve, "")
				wantCode(t, err, st.wantErr, "")
			})
		}

		// Within the range, the stand-in decides and the record says for whom.
		e.clock.Set(day(12))
		a = e.mustDecide("acc", a, approval.Approve, "代为同意")
		full := e.get("w2", a.ID)
		st := full.Steps[0]
		if st.DecidedBy.ID != e.user("acc") || st.ActingFor == nil || st.ActingFor.ID != e.user("headB") {
			t.Fatalf("step: %+v", st)
		}
		last := full.Events[len(full.Events)-1]
		if last.ActingFor == nil || last.ActingFor.ID != e.user("headB") || last.User.ID != e.user("acc") {
			t.Fatalf("event: %+v", last)
		}
		// The stand-in keeps seeing what they decided.
		if _, err := e.ap.Get(ctx, e.p("acc"), a.ID); err != nil {
			t.Fatal(err)
		}

		// After cancelling, the stand-in can no longer act.
		b := e.submit("w2", "新市", "")
		if got := e.todo("acc"); !slices.Equal(got, []int64{b.ID}) {
			t.Fatalf("stand-in's to-do: %v", got)
		}
		wantCode(t, e.ap.CancelDelegation(ctx, e.p("acc"), dl.ID), app.EForbidden, "只有委托人")
		wantCode(t, e.ap.CancelDelegation(ctx, e.p("w1"), dl.ID), app.ENotFound, "")
		if err := e.ap.CancelDelegation(ctx, e.p("headB"), dl.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.ap.CancelDelegation(ctx, e.p("headB"), dl.ID), app.EConflict, "已取消")
		if got := e.todo("acc"); len(got) != 0 {
			t.Fatalf("to-do after cancel: %v", got)
		}
		_, err = e.decide("acc", b, approval.Approve, "")
		wantCode(t, err, app.ENotFound, "")

		given, received, err := e.ap.Delegations(ctx, e.p("headB"))
		if err != nil || len(given) != 1 || len(received) != 0 || given[0].State != "cancelled" {
			t.Fatalf("delegations: %v %+v %+v", err, given, received)
		}
		_, received, _ = e.ap.Delegations(ctx, e.p("acc"))
		if len(received) != 1 || received[0].From.Name != "黄新市" {
			t.Fatalf("received: %+v", received)
		}
		if countAudit(t, d, e.f.A.ID, "approval.delegate") != 1 || countAudit(t, d, e.f.A.ID, "approval.delegation_cancel") != 1 {
			t.Fatal("delegation audit rows missing")
		}
		assertAuditClean(t, d)
	})
}

func TestConcurrentDecisions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		heads := []*authz.Principal{e.p("headA"), e.p("headA2")}
		for round := range 5 {
			a := e.submit("w1", "北岸", "")
			decisions := []approval.Decision{approval.Approve, approval.Reject}
			if round%2 == 1 {
				decisions[0], decisions[1] = decisions[1], decisions[0]
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = e.ap.Decide(ctx, heads[i], approval.DecideInput{ApprovalID: a.ID, Version: a.Version,
						Decision: decisions[i], Comment: "并发处理"})
				}()
			}
			close(start)
			wg.Wait()
			var ok, conflict int
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case app.ErrorCode(err) == app.EConflict && app.ErrorMessage(err) == "该申请已被他人处理，请刷新后查看":
					conflict++
				default:
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			if ok != 1 || conflict != 1 {
				t.Fatalf("round %d: %d succeeded, %d conflicted", round, ok, conflict)
			}
			full := e.get("w1", a.ID)
			if len(full.Events) != 2 || full.Version != 2 || full.Steps[0].DecidedBy == nil {
				t.Fatalf("round %d: %d events, version %d, step %+v", round, len(full.Events), full.Version, full.Steps[0])
			}
			if full.Status == approval.Rejected {
				// Clear the live request so that the next round may start.
				if _, err := e.ap.Withdraw(ctx, e.p("w1"), a.ID, full.Version, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		assertAuditClean(t, d)
	})
}

func TestOtherOrganization(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		a := e.submit("w1", "北岸", "9000")
		for _, key := range []string{"odir", "ohead", "ow"} {
			p := e.f.Principal(t, e.f.B, key)
			_, err := e.ap.Get(ctx, p, a.ID)
			wantCode(t, err, app.ENotFound, "审批申请不存在或无权访问")
			_, err = e.ap.Decide(ctx, p, approval.DecideInput{ApprovalID: a.ID, Version: a.Version, Decision: approval.Approve})
			wantCode(t, err, app.ENotFound, "")
			_, err = e.ap.Withdraw(ctx, p, a.ID, a.Version, "")
			wantCode(t, err, app.ENotFound, "")
			_, err = e.ap.Resubmit(ctx, p, approval.ResubmitInput{ApprovalID: a.ID, Version: a.Version})
			wantCode(t, err, app.ENotFound, "")
			if todo, _ := e.ap.Todo(ctx, p); len(todo) != 0 {
				t.Fatalf("%s sees %v", key, todo)
			}
			if mine, n, _ := e.ap.Mine(ctx, p, approval.MineFilter{}, app.ListQuery{Page: 1, Size: 20}); len(mine) != 0 || n != 0 {
				t.Fatalf("%s's own list: %v", key, mine)
			}
			_, err = e.gen.Get(ctx, p, a.ID)
			wantCode(t, err, app.ENotFound, "")
		}
		// Another organization's service point cannot be chosen, nor its
		// users as stand-ins.
		_, err := e.gen.Submit(ctx, e.p("w1"), general.Input{SiteID: e.f.B.Sites["外机构"], Title: "测试", Content: "内容"})
		wantCode(t, err, app.EInvalid, "请选择有效的服务点")
		// The other organization's director routes only its own requests.
		r, err := e.gen.Submit(ctx, e.f.Principal(t, e.f.B, "ow"), general.Input{SiteID: e.f.B.Sites["外机构"],
			Title: "外机构申请", Content: "内容", Amount: "6000"})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.todo("dir"); len(got) != 0 {
			t.Fatalf("director sees another organization's request: %v", got)
		}
		if _, err := e.ap.Get(ctx, e.p("dir"), r.ApprovalID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("director reads another organization's request: %v", err)
		}
	})
}

func TestTodoAndMine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		r1 := e.submit("w1", "北岸", "")
		e.clock.Set(e.clock.Now().Add(time.Minute))
		r2 := e.submit("w2", "新市", "6000")
		e.clock.Set(e.clock.Now().Add(time.Minute))
		r3 := e.submit("w3", "振华", "")
		e.clock.Set(e.clock.Now().Add(time.Minute))
		r4 := e.submit("headA", "北岸", "")

		want := map[string][]int64{
			"headA":   {r1.ID},
			"headA2":  {r1.ID, r4.ID},
			"headB":   {r2.ID},
			"dir":     {r3.ID},
			"oldhead": {},
			"w1":      {},
			"sup":     {},
			"eval":    {},
		}
		for key, ids := range want {
			t.Run(key, func(t *testing.T) {
				if got := e.todo(key); !slices.Equal(got, ids) {
					t.Fatalf("to-do of %s = %v, want %v", key, got, ids)
				}
			})
		}
		items, _ := e.ap.Todo(ctx, e.p("headB"))
		if it := items[0]; it.Title != "购买活动物资" || it.SubmitterName != "李娜" || it.SiteName != "新市" ||
			it.StepName != "中心负责人审批" || it.AmountFen != 600000 || it.KindName != "通用事项申请" || it.ActingFor != nil {
			t.Fatalf("to-do item: %+v", it)
		}

		e.mustDecide("headB", r2, approval.Approve, "")
		if got := e.todo("dir"); !slices.Equal(got, []int64{r3.ID, r2.ID}) {
			t.Fatalf("director's to-do after step 1 of r2: %v", got)
		}
		if got := e.todo("headB"); len(got) != 0 {
			t.Fatalf("headB's to-do after deciding: %v", got)
		}
		// Withdrawing takes the request off every list.
		_, err := e.ap.Withdraw(ctx, e.p("headA"), r1.ID, r1.Version, "")
		wantCode(t, err, app.EForbidden, "只有申请人可以撤回申请")
		w, err := e.ap.Withdraw(ctx, e.p("w1"), r1.ID, r1.Version, "不需要了")
		if err != nil {
			t.Fatal(err)
		}
		if w.Status != approval.Withdrawn {
			t.Fatalf("withdrawn: %+v", w)
		}
		_, err = e.ap.Withdraw(ctx, e.p("w1"), r1.ID, w.Version, "")
		wantCode(t, err, app.EConflict, "该申请已撤回，不能撤回")
		if got := e.todo("headA"); len(got) != 0 {
			t.Fatalf("to-do after withdrawal: %v", got)
		}
		if full := e.get("w1", r1.ID); full.Steps[0].Status != approval.StepCancelled {
			t.Fatalf("steps after withdrawal: %+v", full.Steps)
		}
		if got := e.todo("headA2"); !slices.Equal(got, []int64{r4.ID}) {
			t.Fatalf("headA2's to-do after withdrawal: %v", got)
		}

		mine, total, err := e.ap.Mine(ctx, e.p("w1"), approval.MineFilter{}, app.ListQuery{Page: 1, Size: 20})
		if err != nil || total != 1 || len(mine) != 1 || mine[0].Status != approval.Withdrawn {
			t.Fatalf("mine: %v %d %+v", err, total, mine)
		}
		e.submit("w1", "北岸", "")
		mine, total, _ = e.ap.Mine(ctx, e.p("w1"), approval.MineFilter{Status: approval.Pending}, app.ListQuery{Page: 1, Size: 20})
		if total != 1 || len(mine) != 1 || mine[0].CurrentStepName != "中心负责人审批" {
			t.Fatalf("pending mine: %d %+v", total, mine)
		}
		// One live request per subject: the same subject cannot be submitted twice.
		_, err = e.ap.Submit(ctx, e.p("w1"), approval.SubmitInput{Kind: general.Kind, SubjectType: general.SubjectType,
			SubjectID: r2.SubjectID, Title: "重复", SiteID: e.f.A.Sites["北岸"]})
		wantCode(t, err, app.EConflict, "该事项已有未完成的审批")
		assertAuditClean(t, d)
	})
}

func TestStaleVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		a := e.submit("w1", "北岸", "9000")
		b := e.mustDecide("headA", a, approval.Approve, "")
		// The director acting on the version of step 1 is told to refresh.
		_, err := e.decide("dir", a, approval.Approve, "")
		wantCode(t, err, app.EConflict, "请刷新后查看")
		e.mustDecide("dir", b, approval.Approve, "")
	})
}
