package general_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/approval/approvaltest"
	"shegong/internal/approval/general"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

func TestSubmitValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := approvaltest.NewClock(time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC))
		f := approvaltest.Seed(t, d, app.NewDate(2026, 3, 9))
		ap := approval.New(d, clock.Now)
		svc := general.New(d, clock.Now, ap)
		w1 := f.Principal(t, f.A, "w1")
		site := f.A.Sites["北岸"]
		long := strings.Repeat("字", 101)
		tests := []struct {
			name   string
			in     general.Input
			fields map[string]string
		}{
			{"empty", general.Input{}, map[string]string{"site_id": "请选择服务点", "title": "标题不能为空",
				"content": "申请内容不能为空"}},
			{"bad amount", general.Input{SiteID: site, Title: "t", Content: "c", Amount: "12.345"},
				map[string]string{"amount": "金额格式不正确，例如 1234.56"}},
			{"negative amount", general.Input{SiteID: site, Title: "t", Content: "c", Amount: "-5"},
				map[string]string{"amount": "金额不能为负数"}},
			{"long title", general.Input{SiteID: site, Title: long, Content: "c"},
				map[string]string{"title": "标题不能超过100个字"}},
			{"unknown site", general.Input{SiteID: 999999, Title: "t", Content: "c"},
				map[string]string{"site_id": "请选择有效的服务点"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.Submit(ctx, w1, tt.in)
				if app.ErrorCode(err) != app.EInvalid {
					t.Fatalf("want invalid, got %v", err)
				}
				got := app.FieldErrors(err)
				for k, v := range tt.fields {
					if got[k] != v {
						t.Fatalf("field %s = %q, want %q (all %v)", k, got[k], v, got)
					}
				}
			})
		}
		// Evaluators are read-only.
		if _, err := svc.Submit(ctx, f.Principal(t, f.A, "eval"), general.Input{SiteID: site, Title: "t", Content: "c"}); app.ErrorCode(err) != app.EForbidden {
			t.Fatalf("evaluator submitted: %v", err)
		}

		r, err := svc.Submit(ctx, w1, general.Input{SiteID: site, Title: " 活动场地租用 ", Content: "租用社区礼堂半天",
			Amount: "¥1,200.50"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Title != "活动场地租用" || r.AmountFen != 120050 || r.SiteName != "北岸" || r.Approval.SubjectID != r.ID ||
			r.Approval.SubjectType != general.SubjectType {
			t.Fatalf("request: %+v", r)
		}
		// Nothing is left behind when the route cannot be resolved.
		var before int
		d.R.QueryRow(`SELECT COUNT(*) FROM general_requests`).Scan(&before)
		f.Exec(t, `DELETE FROM user_roles WHERE org_id = $1 AND role = 'director'`, f.A.ID)
		_, err = svc.Submit(ctx, f.Principal(t, f.A, "w3"), general.Input{SiteID: f.A.Sites["振华"], Title: "t", Content: "c"})
		if app.ErrorCode(err) != app.EInvalid || app.ErrorMessage(err) !=
			"找不到该步骤的审批人：中心负责人（服务点：振华）或总干事。请联系机构管理员检查人员的角色与服务点分配" {
			t.Fatalf("unresolvable route: %v", err)
		}
		var after int
		d.R.QueryRow(`SELECT COUNT(*) FROM general_requests`).Scan(&after)
		if after != before {
			t.Fatalf("general_requests grew from %d to %d on a failed submit", before, after)
		}
	})
}

func TestResubmitReroutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := approvaltest.NewClock(time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC))
		f := approvaltest.Seed(t, d, app.NewDate(2026, 3, 9))
		ap := approval.New(d, clock.Now)
		svc := general.New(d, clock.Now, ap)
		w1 := f.Principal(t, f.A, "w1")
		r, err := svc.Submit(ctx, w1, general.Input{SiteID: f.A.Sites["北岸"], Title: "联合活动", Content: "与新市合办"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := ap.Decide(ctx, f.Principal(t, f.A, "headA"), approval.DecideInput{ApprovalID: r.ApprovalID,
			Version: r.Approval.Version, Decision: approval.Reject, Comment: "应由新市中心申请"})
		if err != nil {
			t.Fatal(err)
		}
		r, err = svc.Resubmit(ctx, w1, a.ID, a.Version, general.Input{SiteID: f.A.Sites["新市"], Title: "联合活动",
			Content: "与新市合办，由新市主办"})
		if err != nil {
			t.Fatal(err)
		}
		if r.SiteName != "新市" || r.Approval.SiteName != "新市" || r.Approval.Round != 2 {
			t.Fatalf("resubmitted: %+v", r)
		}
		todo, err := ap.Todo(ctx, f.Principal(t, f.A, "headB"))
		if err != nil || len(todo) != 1 || todo[0].ApprovalID != r.ApprovalID {
			t.Fatalf("new site's head to-do: %v %+v", err, todo)
		}
		if todo, _ := ap.Todo(ctx, f.Principal(t, f.A, "headA")); len(todo) != 0 {
			t.Fatalf("old site's head still has it: %+v", todo)
		}
		// A request of another workflow is not a general request.
		ap.Register(approval.Workflow{Kind: "test.other", Name: "其他",
			Steps: []approval.StepDef{{Name: "督导审批", Approver: approval.SupervisorOf()}}})
		o, err := ap.Submit(ctx, w1, approval.SubmitInput{Kind: "test.other", SubjectType: "test", SubjectID: 1, Title: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Get(ctx, w1, o.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other workflow read as general: %v", err)
		}
	})
}
