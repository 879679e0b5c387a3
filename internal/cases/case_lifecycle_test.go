package cases_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/cases"
	"shegong/internal/testenv"
)

// TestCaseLifecycle walks one case through every stage with the services:
// intake, assessment, plan, the opening (blocked without consent, rejected
// with a comment, resubmitted, approved), follow-ups, an internal referral,
// closure, post-closure follow-ups, the archive and a reopening.
func TestCaseLifecycle(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		svc := w.svc
		w1 := w.w1.Principal()
		cl := w.client(w.w1, "陈阿婆", app.NewDate(1948, 2, 3))

		// Intake validation, then the intake itself with its number.
		_, err := svc.Create(ctx, w1, cases.IntakeInput{})
		wantCode(t, err, app.EInvalid)
		fields := app.FieldErrors(err)
		for _, f := range []string{"client_id", "intake_date", "source", "risk_level", "presenting_problem"} {
			if fields[f] == "" {
				t.Fatalf("no error for %s: %v", f, fields)
			}
		}
		_, err = svc.Create(ctx, w1, cases.IntakeInput{ClientID: cl, IntakeDate: w.today().AddDays(1), Source: "self",
			RiskLevel: "low", PresentingProblem: "x"})
		if app.FieldErrors(err)["intake_date"] != "接案日期不能晚于今天" {
			t.Fatalf("future intake: %v", err)
		}
		c := w.intake(w.w1, cl)
		if c.Number != "2026-BA-0001" || c.State != cases.StateIntake || c.WorkerID != w.w1.StaffID ||
			c.SiteID != w.siteA || c.ClientName != "陈*婆" {
			t.Fatalf("intake: %+v", c)
		}
		// A second case for the same client is refused while one is in progress.
		_, err = svc.Create(ctx, w1, cases.IntakeInput{ClientID: cl, IntakeDate: w.today(), Source: "self",
			RiskLevel: "low", PresentingProblem: "x"})
		if !strings.Contains(app.FieldErrors(err)["client_id"], "已有进行中的个案 2026-BA-0001") {
			t.Fatalf("second case: %v", err)
		}
		// Plan before assessment is refused; stale versions conflict.
		_, err = svc.SavePlan(ctx, w1, c.ID, cases.PlanInput{PlannedOn: w.today(), Strategy: "s",
			Goals: []cases.GoalInput{{Title: "g"}}, Version: c.Version})
		wantCode(t, err, app.EConflict, "请先完成预估，再制定服务计划")
		_, err = svc.SaveAssessment(ctx, w1, c.ID, cases.AssessmentInput{AssessedOn: w.today(), Assessment: "a",
			Needs: "n", RiskLevel: "high", Version: c.Version + 1})
		wantCode(t, err, app.EConflict)
		_, err = svc.SubmitOpen(ctx, w1, c.ID, cases.SubmitInput{Version: c.Version})
		wantCode(t, err, app.EConflict, "请先完成预估和服务计划，再提交开案申请")
		c = w.prepare(w.w1, c)
		if c.State != cases.StatePlanned || len(c.Goals) != 2 {
			t.Fatalf("prepared: %s %d goals", c.State, len(c.Goals))
		}

		// No opening without consent (C2).
		_, err = svc.SubmitOpen(ctx, w1, c.ID, cases.SubmitInput{Version: c.Version})
		wantCode(t, err, app.EConflict, "不能开案：该服务对象尚未签署知情同意书")
		w.consent(w.org.ID, cl, w.today(), cases.ConsentSelf)
		c, err = svc.SubmitOpen(ctx, w1, c.ID, cases.SubmitInput{Version: c.Version, Comment: "请督导审批"})
		w.must(err)
		if c.State != cases.StatePendingOpen {
			t.Fatalf("submitted: %s", c.State)
		}
		// The submitter cannot approve their own request; another worker
		// is not the approver; the supervisor rejects with a comment.
		a := w.pendingApproval(w.w1, c.ID)
		_, err = svc.Decide(ctx, w1, c.ID, cases.DecisionInput{ApprovalID: a.ID, Version: a.Version, Decision: "approve"})
		wantCode(t, err, app.EForbidden, "不能审批自己提交的申请")
		_, err = svc.Decide(ctx, w.w2.Principal(), c.ID, cases.DecisionInput{ApprovalID: a.ID, Version: a.Version,
			Decision: "approve"})
		wantCode(t, err, app.ENotFound)
		_, err = svc.Decide(ctx, w.sup.Principal(), c.ID, cases.DecisionInput{ApprovalID: a.ID, Version: a.Version,
			Decision: "reject"})
		if app.FieldErrors(err)["comment"] != "驳回时必须填写意见" {
			t.Fatalf("reject without comment: %v", err)
		}
		w.decide(w.sup, w.w1, c.ID, approval.Reject, "目标需要更具体，请补充衡量方式")
		c, err = svc.Get(ctx, w1, c.ID)
		w.must(err)
		if c.State != cases.StatePlanned {
			t.Fatalf("after rejection: %s", c.State)
		}
		f, err := svc.File(ctx, w1, c.ID)
		w.must(err)
		if !f.Can.Resubmit || f.Approvals[0].Status != "rejected" ||
			f.Approvals[0].History[1].Comment != "目标需要更具体，请补充衡量方式" {
			t.Fatalf("rejected file: %+v", f.Approvals)
		}
		c, err = svc.SavePlan(ctx, w1, c.ID, cases.PlanInput{PlannedOn: w.today(), Strategy: "每两周面谈",
			Goals: []cases.GoalInput{{ID: c.Goals[0].ID, Title: "情绪稳定", Measure: "GDS 量表下降 3 分"},
				{ID: c.Goals[1].ID, Title: "每周与子女联系一次", Measure: "联系记录"}}, Version: c.Version})
		w.must(err)
		c, err = svc.SubmitOpen(ctx, w1, c.ID, cases.SubmitInput{Version: c.Version, Comment: "已补充衡量方式"})
		w.must(err)
		e.Clock.Advance(time.Hour)
		w.decide(w.sup, w.w1, c.ID, approval.Approve, "同意开案")
		c, err = svc.Get(ctx, w1, c.ID)
		w.must(err)
		if c.State != cases.StateOpen || c.OpenedOn != w.today() {
			t.Fatalf("opened: %s %s", c.State, c.OpenedOn)
		}
		f, err = svc.File(ctx, w1, c.ID)
		w.must(err)
		if len(f.Approvals) != 1 || f.Approvals[0].Round != 2 || f.Approvals[0].Status != "approved" {
			t.Fatalf("approval history: %+v", f.Approvals)
		}

		// Follow-ups: progress on every goal is required.
		_, err = svc.AddFollowup(ctx, w1, c.ID, cases.FollowupInput{HeldOn: w.today(), Method: "phone",
			DurationMin: 20, Content: "电话了解近况"})
		if !strings.Contains(app.FieldErrors(err)[progressField(c.Goals[0].ID)], "情绪稳定") {
			t.Fatalf("progress missing: %v", err)
		}
		w.at(2026, 3, 5)
		w.followup(w.w1, c, w.today())
		w.at(2026, 3, 12)
		w.followup(w.w1, c, w.today())
		fus, err := svc.Followups(ctx, w1, c.ID)
		w.must(err)
		if len(fus) != 2 || len(fus[0].Progress) != 2 || fus[0].Progress[0].ProgressLabel != "有所进展" {
			t.Fatalf("follow-ups: %+v", fus)
		}

		// An internal referral to w2: approved, then accepted; the case and
		// its whole file move to w2, and w1 no longer sees it.
		w.at(2026, 3, 16)
		_, err = svc.Refer(ctx, w1, c.ID, cases.ReferralInput{Kind: cases.ReferInternal, ToStaffID: w.w1.StaffID,
			Reason: "r", Services: "s"})
		if app.FieldErrors(err)["to_staff_id"] != "接收社工不能是个案现在的负责社工" {
			t.Fatalf("refer to self: %v", err)
		}
		ref, err := svc.Refer(ctx, w1, c.ID, cases.ReferralInput{Kind: cases.ReferInternal, ToStaffID: w.w2.StaffID,
			Reason: "服务对象迁往李娜负责的片区", Services: "继续情绪支持与家庭联络"})
		w.must(err)
		if ref.LetterNo != "2026-BA-0001-Z1" || ref.Status != cases.ReferralPending {
			t.Fatalf("referral: %+v", ref)
		}
		w.decide(w.sup, w.w1, c.ID, approval.Approve, "同意转介")
		c, err = svc.Get(ctx, w1, c.ID)
		w.must(err)
		if c.State != cases.StateReferred {
			t.Fatalf("after referral approval: %s", c.State)
		}
		_, err = svc.AddFollowup(ctx, w1, c.ID, cases.FollowupInput{HeldOn: w.today(), Method: "phone",
			DurationMin: 20, Content: "x"})
		wantCode(t, err, app.EConflict)
		// Only the receiver answers.
		_, err = svc.RespondReferral(ctx, w1, c.ID, ref.ID, cases.RespondInput{Decision: "accept"})
		wantCode(t, err, app.EForbidden)
		w2 := w.w2.Principal()
		if _, err := svc.Get(ctx, w2, c.ID); err != nil {
			t.Fatalf("receiver cannot read the referred case: %v", err)
		}
		c, err = svc.RespondReferral(ctx, w2, c.ID, ref.ID, cases.RespondInput{Decision: "accept", Note: "已与服务对象见面"})
		w.must(err)
		if c.State != cases.StateOpen || c.WorkerID != w.w2.StaffID {
			t.Fatalf("accepted: %s worker %d", c.State, c.WorkerID)
		}
		if _, err := svc.Get(ctx, w.w1.Principal(), c.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("old worker still sees the case: %v", err)
		}
		f, err = svc.File(ctx, w2, c.ID)
		w.must(err)
		if len(f.Followups) != 2 || len(f.Assignments) != 1 || f.Assignments[0].KindLabel != "转介接收" ||
			f.Referrals[0].Status != cases.ReferralAccepted || f.Referrals[0].ApprovalComment != "同意转介" {
			t.Fatalf("receiver's file: %d follow-ups %+v %+v", len(f.Followups), f.Assignments, f.Referrals)
		}

		// Closure needs the supervisor's consent; nothing else closes it.
		w.at(2026, 3, 20)
		_, err = svc.RequestClosure(ctx, w2, c.ID, cases.ClosureInput{Reason: "goals_met", Summary: "目标达成",
			Version: c.Version})
		if len(app.FieldErrors(err)) != 2 {
			t.Fatalf("closure without attainment: %v", err)
		}
		c, err = svc.RequestClosure(ctx, w2, c.ID, cases.ClosureInput{Reason: "goals_met",
			Summary: "情绪稳定，与子女恢复每周联系", Goals: []cases.AttainmentInput{{GoalID: c.Goals[0].ID, Attainment: "achieved"},
				{GoalID: c.Goals[1].ID, Attainment: "partly", Note: "两周一次"}}, Version: c.Version})
		w.must(err)
		if c.State != cases.StatePendingClose {
			t.Fatalf("closure requested: %s", c.State)
		}
		_, err = svc.AddPostClosure(ctx, w2, c.ID, cases.FollowupInput{HeldOn: w.today(), Method: "phone",
			DurationMin: 10, Content: "x"})
		wantCode(t, err, app.EConflict)
		_, err = svc.AddFollowup(ctx, w2, c.ID, cases.FollowupInput{HeldOn: w.today(), Method: "phone",
			DurationMin: 10, Content: "x"})
		wantCode(t, err, app.EConflict)
		a = w.pendingApproval(w.w2, c.ID)
		_, err = svc.Decide(ctx, w2, c.ID, cases.DecisionInput{ApprovalID: a.ID, Version: a.Version, Decision: "approve"})
		wantCode(t, err, app.EForbidden)
		w.decide(w.sup, w.w2, c.ID, approval.Approve, "同意结案")
		c, err = svc.Get(ctx, w2, c.ID)
		w.must(err)
		if c.State != cases.StatePostClosure || c.ClosedOn != app.NewDate(2026, 3, 20) ||
			c.PostClosureUntil != app.NewDate(2026, 5, 19) || c.Goals[1].Attainment != "partly" {
			t.Fatalf("closed: %s %s %s %+v", c.State, c.ClosedOn, c.PostClosureUntil, c.Goals)
		}

		// Post-closure follow-ups: two records in the first month count
		// once; the second month's record archives the case.
		w.at(2026, 4, 1)
		post := cases.FollowupInput{HeldOn: w.today(), Method: "phone", DurationMin: 15, Content: "电话回访，情况稳定"}
		_, err = svc.AddPostClosure(ctx, w2, c.ID, post)
		w.must(err)
		w.at(2026, 4, 10)
		post.HeldOn = w.today()
		_, err = svc.AddPostClosure(ctx, w2, c.ID, post)
		w.must(err)
		c, _ = svc.Get(ctx, w2, c.ID)
		if c.State != cases.StatePostClosure {
			t.Fatalf("archived too early: %s", c.State)
		}
		w.at(2026, 4, 25)
		post.HeldOn = w.today()
		_, err = svc.AddPostClosure(ctx, w2, c.ID, post)
		w.must(err)
		c, _ = svc.Get(ctx, w2, c.ID)
		if c.State != cases.StateArchived || c.ArchivedOn != w.today() {
			t.Fatalf("not archived: %s %s", c.State, c.ArchivedOn)
		}

		// Reopening is possible and logged.
		_, err = svc.Reopen(ctx, w2, c.ID, cases.ReopenInput{Version: c.Version})
		if app.FieldErrors(err)["reason"] != "重开原因不能为空" {
			t.Fatalf("reopen without reason: %v", err)
		}
		c, err = svc.Reopen(ctx, w2, c.ID, cases.ReopenInput{Reason: "服务对象再次跌倒，家属求助", Version: c.Version})
		w.must(err)
		if c.State != cases.StateOpen || !c.ClosedOn.IsZero() || c.Goals[0].Attainment != "" {
			t.Fatalf("reopened: %+v", c)
		}
		f, err = svc.File(ctx, w2, c.ID)
		w.must(err)
		var lines []string
		for _, it := range f.Timeline {
			lines = append(lines, it.What+"｜"+it.Comment)
		}
		all := strings.Join(lines, "\n")
		// In the order things happened, with the approvers' comments.
		want := []string{"接案", "完成预估", "制定服务计划", "提交开案申请｜请督导审批",
			"督导驳回开案申请，退回计划阶段修改｜目标需要更具体，请补充衡量方式", "修改服务计划",
			"修改后重新提交开案申请｜已补充衡量方式", "督导同意开案，个案进入介入跟进阶段｜同意开案", "家访跟进",
			"提交转介申请：转介至 同工w2", "督导同意转介，等待接收社工确认｜同意转介", "接收转介", "提交结案申请：服务目标已达成",
			"督导同意结案，结案后跟进至 2026-05-19｜同意结案", "结案后跟进", "个案归档", "重开个案：服务对象再次跌倒，家属求助"}
		at := 0
		for _, wnt := range want {
			i := strings.Index(all[at:], wnt)
			if i < 0 {
				t.Fatalf("timeline lacks %q after position %d:\n%s", wnt, at, all)
			}
			at += i + len(wnt)
		}
		if len(f.Closures) != 1 || f.Closures[0].Status != cases.ClosureApproved || len(f.PostClosure) != 3 {
			t.Fatalf("closures %+v post %d", f.Closures, len(f.PostClosure))
		}
		// Every view of the file is audited.
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'case.view' AND object_id = $1`,
			idText(c.ID)); n < 4 {
			t.Fatalf("case views audited: %d", n)
		}
	})
}

func progressField(goalID int64) string { return "progress_" + idText(goalID) }

func idText(id int64) string { return strconv.FormatInt(id, 10) }

// TestOpeningRules: a client under 14 needs the guardian's consent, and a
// request a supervisor files for a supervisee's case goes to the centre
// head, since nobody approves their own request.
func TestOpeningRules(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		child := w.client(w.w1, "小明", app.NewDate(2014, 9, 1)) // 11 years old
		w.consent(w.org.ID, child, w.today(), cases.ConsentSelf)
		c := w.prepare(w.w1, w.intake(w.w1, child))
		_, err := w.svc.SubmitOpen(ctx, w.w1.Principal(), c.ID, cases.SubmitInput{Version: c.Version})
		wantCode(t, err, app.EConflict, "不能开案：未满14岁的服务对象须由监护人签署知情同意书")
		w.consent(w.org.ID, child, w.today(), cases.ConsentParent)

		// The supervisor submits for the supervisee: the approver is the
		// centre head, and the supervisor cannot decide it.
		c, err = w.svc.SubmitOpen(ctx, w.sup.Principal(), c.ID, cases.SubmitInput{Version: c.Version})
		w.must(err)
		a := w.pendingApproval(w.w1, c.ID)
		if len(a.Waiting) != 1 || a.Waiting[0] != "用户head" {
			t.Fatalf("approvers: %v", a.Waiting)
		}
		_, err = w.svc.Decide(ctx, w.sup.Principal(), c.ID, cases.DecisionInput{ApprovalID: a.ID, Version: a.Version,
			Decision: "approve"})
		wantCode(t, err, app.EForbidden, "不能审批自己提交的申请")
		w.decide(w.head, w.w1, c.ID, approval.Approve, "")
		c, err = w.svc.Get(ctx, w.w1.Principal(), c.ID)
		w.must(err)
		if c.State != cases.StateOpen {
			t.Fatalf("not opened: %s", c.State)
		}

		// A worker without a supervisor goes to the centre head of the
		// case's service point; 振华 has none, so the request cannot start.
		cl := w.client(w.w3, "吴伯", app.NewDate(1950, 1, 1))
		w.consent(w.org.ID, cl, w.today(), cases.ConsentSelf)
		c3 := w.prepare(w.w3, w.intake(w.w3, cl))
		_, err = w.svc.SubmitOpen(ctx, w.w3.Principal(), c3.ID, cases.SubmitInput{Version: c3.Version})
		wantCode(t, err, app.EInvalid)
		if c3, _ = w.svc.Get(ctx, w.w3.Principal(), c3.ID); c3.State != cases.StatePlanned {
			t.Fatalf("state after refused submission: %s", c3.State)
		}

		// A consent withdrawn before the decision blocks the opening at
		// the decision too.
		cl2 := w.client(w.w2, "李伯", app.NewDate(1950, 1, 1))
		w.consent(w.org.ID, cl2, w.today(), cases.ConsentSelf)
		c2 := w.prepare(w.w2, w.intake(w.w2, cl2))
		c2, err = w.svc.SubmitOpen(ctx, w.w2.Principal(), c2.ID, cases.SubmitInput{Version: c2.Version})
		w.must(err)
		e.Exec(`DELETE FROM client_consents WHERE client_id = $1`, cl2)
		a = w.pendingApproval(w.w2, c2.ID)
		_, err = w.svc.Decide(ctx, w.sup.Principal(), c2.ID, cases.DecisionInput{ApprovalID: a.ID, Version: a.Version,
			Decision: "approve"})
		wantCode(t, err, app.EConflict, "不能开案：该服务对象尚未签署知情同意书")
		if c2, _ = w.svc.Get(ctx, w.w2.Principal(), c2.ID); c2.State != cases.StatePendingOpen {
			t.Fatalf("state after refused approval: %s", c2.State)
		}
	})
}

// TestExternalReferralCloses: an external referral chosen to close the case
// closes it with the supervisor's approval of the referral.
func TestExternalReferralCloses(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newCaseWorld(t, e)
		ctx := e.Ctx
		c := w.open(w.w1, w.sup, "黄姨")
		w1 := w.w1.Principal()
		_, err := w.svc.Refer(ctx, w1, c.ID, cases.ReferralInput{Kind: cases.ReferExternal, ToAgency: "镇心理援助中心",
			ToContact: "周老师", ToPhone: "123", Reason: "r", Services: "s", After: cases.AfterClose})
		fe := app.FieldErrors(err)
		if fe["to_phone"] == "" || fe["closure_summary"] != "服务总结不能为空" {
			t.Fatalf("external referral checks: %v", fe)
		}
		ref, err := w.svc.Refer(ctx, w1, c.ID, cases.ReferralInput{Kind: cases.ReferExternal, ToAgency: "镇心理援助中心",
			ToContact: "周老师", ToPhone: "0769-83212345", Reason: "需要专业心理治疗", Services: "心理评估与治疗",
			After: cases.AfterClose, ClosureSummary: "已完成情绪支持，转介专业机构继续"})
		w.must(err)
		// Rejected, corrected and resent under the same letter number.
		w.decide(w.sup, w.w1, c.ID, approval.Reject, "请写明对方机构的服务时间")
		ref2, err := w.svc.Refer(ctx, w1, c.ID, cases.ReferralInput{Kind: cases.ReferExternal, ToAgency: "镇心理援助中心",
			ToContact: "周老师", ToPhone: "0769-83212345", Reason: "需要专业心理治疗（对方周二、周四接案）",
			Services: "心理评估与治疗", After: cases.AfterClose, ClosureSummary: "已完成情绪支持，转介专业机构继续"})
		w.must(err)
		if ref2.ID != ref.ID || ref2.LetterNo != ref.LetterNo || ref2.Status != cases.ReferralPending {
			t.Fatalf("resent referral: %+v vs %+v", ref2, ref)
		}
		w.decide(w.sup, w.w1, c.ID, approval.Approve, "同意转介并结案")
		c, err = w.svc.Get(ctx, w1, c.ID)
		w.must(err)
		if c.State != cases.StatePostClosure || c.ClosedOn != w.today() {
			t.Fatalf("external referral close: %s", c.State)
		}
		l, err := w.svc.ReferralLetter(ctx, w1, c.ID, ref.ID)
		w.must(err)
		letter := l.Referral
		if l.ClientName != "黄姨" || !l.Revealed || l.OrgName != "绿叶社工" {
			t.Fatalf("letter for the worker: %s %v %s", l.ClientName, l.Revealed, l.OrgName)
		}
		if l, err := w.svc.ReferralLetter(ctx, w.serviceHd.Principal(), c.ID, ref.ID); err != nil || l.Revealed || l.ClientName != "黄*" {
			t.Fatalf("letter for the service head reveals: %v", err)
		}
		if letter.Status != cases.ReferralDone || letter.ApprovalComment != "同意转介并结案" || letter.ToPhone != "0769-83212345" {
			t.Fatalf("letter: %+v", letter)
		}
	})
}
