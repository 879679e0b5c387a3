package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// caseSupervisor is the approver rule of every case request: the users whose
// staff member currently supervises the case's worker. It follows the case,
// not the submitter, so a request filed by a supervisor for a supervisee's
// case still goes to the case worker's supervision line.
type caseSupervisor struct{}

const sqlCaseSupervisors = `SELECT DISTINCT u.id FROM cases c
	JOIN supervisor_links l ON l.org_id = c.org_id AND l.supervisee_id = c.worker_id
	JOIN staff st ON st.org_id = l.org_id AND st.id = l.supervisor_id
	JOIN users u ON u.org_id = st.org_id AND u.id = st.user_id
	WHERE c.org_id = $1 AND c.id = $2 AND l.start_date <= $3 AND (l.end_date IS NULL OR l.end_date >= $3)
	AND st.status = 'active' AND u.status = 'active'
	ORDER BY u.id`

func (caseSupervisor) Resolve(ctx context.Context, q db.Querier, s approval.Subject, on app.Date) ([]int64, error) {
	if s.Type != SubjectType {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, sqlCaseSupervisors, s.OrgID, s.ID, on)
	if err != nil {
		return nil, fmt.Errorf("cases: resolve supervisors: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (caseSupervisor) Describe(approval.Subject) string { return "个案社工的督导" }

// approverRule is the supervisor of the case worker, or the centre head of
// the case's service point when the worker has no supervisor (or the
// supervisor filed the request).
func approverRule() approval.Rule {
	return approval.FirstOf(caseSupervisor{}, approval.SiteRole(authz.RoleCentreHead))
}

// KindName is the Chinese name of a case workflow.
func KindName(kind string) string {
	switch kind {
	case KindOpen:
		return "开案申请"
	case KindReferral:
		return "转介申请"
	case KindClose:
		return "结案申请"
	}
	return kind
}

func (s *CaseService) registerWorkflows() {
	step := func() []approval.StepDef {
		return []approval.StepDef{{Name: "督导审批", Approver: approverRule()}}
	}
	s.Approvals.Register(approval.Workflow{Kind: KindOpen, Name: "个案开案申请", Steps: step(), OnDecided: s.onOpenDecided})
	s.Approvals.Register(approval.Workflow{Kind: KindReferral, Name: "个案转介申请", Steps: step(), OnDecided: s.onReferralDecided})
	s.Approvals.Register(approval.Workflow{Kind: KindClose, Name: "个案结案申请", Steps: step(), OnDecided: s.onCloseDecided})
}

const sqlLiveApproval = `SELECT id, status, version, submitter_id FROM approvals
	WHERE org_id = $1 AND kind = $2 AND subject_type = 'case' AND subject_id = $3 AND status IN ('pending', 'rejected')`

type liveApproval struct {
	ID, Version, SubmitterID int64
	Status                   string
}

// liveApprovalOf returns the case's pending or rejected request of kind.
func liveApprovalOf(ctx context.Context, q db.Querier, orgID, caseID int64, kind string) (*liveApproval, error) {
	var a liveApproval
	err := q.QueryRowContext(ctx, sqlLiveApproval, orgID, kind, caseID).Scan(&a.ID, &a.Status, &a.Version, &a.SubmitterID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cases: live approval: %w", err)
	}
	return &a, nil
}

// request starts the case's request of kind, or sends a rejected one round
// again with the corrected facts; the history of earlier rounds stays.
func (s *CaseService) request(ctx context.Context, tx *sql.Tx, p *authz.Principal, c *Case, kind, comment string) (*approval.Approval, error) {
	title := KindName(kind) + "：个案 " + c.Title()
	live, err := liveApprovalOf(ctx, tx, c.orgID, c.ID, kind)
	if err != nil {
		return nil, err
	}
	if live == nil {
		return s.Approvals.SubmitTx(ctx, tx, p, approval.SubmitInput{Kind: kind, SubjectType: SubjectType,
			SubjectID: c.ID, Title: title, SiteID: c.SiteID, Comment: comment})
	}
	if live.Status == string(approval.Pending) {
		return nil, app.Errorf(app.EConflict, "该个案已有审批中的%s", KindName(kind))
	}
	if live.SubmitterID != p.UserID {
		return nil, app.Errorf(app.EConflict, "被驳回的%s由其他同工提交，须由其本人重新提交或撤回", KindName(kind))
	}
	return s.Approvals.ResubmitTx(ctx, tx, p, approval.ResubmitInput{ApprovalID: live.ID, Version: live.Version,
		Comment: comment, Revision: &approval.Revision{Title: title, SiteID: c.SiteID}})
}

// SubmitInput sends a case for opening.
type SubmitInput struct {
	Version int64  `json:"version"`
	Comment string `json:"comment"`
}

// SubmitOpen asks the worker's supervisor to approve the opening (C3). The
// intake, assessment and plan must be done and the client's informed
// consent valid (C2; a client under 14 needs the guardian's).
func (s *CaseService) SubmitOpen(ctx context.Context, p *authz.Principal, id int64, in SubmitInput) (*Case, error) {
	var v app.Validation
	checkText(&v, "comment", "说明", &in.Comment, false, approval.MaxComment)
	now := s.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if c.Version != in.Version {
			return errStale
		}
		switch c.State {
		case StateIntake, StateAssessment:
			return app.Errorf(app.EConflict, "请先完成预估和服务计划，再提交开案申请")
		case StatePlanned:
		case StatePendingOpen:
			return app.Errorf(app.EConflict, "开案申请已提交，正在等待督导审批")
		default:
			return app.Errorf(app.EConflict, "个案已开案")
		}
		var goals int
		if err := tx.QueryRowContext(ctx, sqlCountGoalsOf, c.orgID, c.ID).Scan(&goals); err != nil {
			return fmt.Errorf("cases: count goals: %w", err)
		}
		if goals == 0 {
			return app.Errorf(app.EConflict, "服务计划至少需要一个目标")
		}
		if err := s.checkConsent(ctx, tx, c); err != nil {
			return err
		}
		a, err := s.request(ctx, tx, p, c, KindOpen, in.Comment)
		if err != nil {
			return err
		}
		if err := bumpCase(ctx, tx, c, now, StatePendingOpen, ""); err != nil {
			return err
		}
		return logNote(ctx, tx, c, now, p.UserID, p.Username, "open_submit", submitted("开案申请", a), in.Comment)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// submitted names a submission or a resubmission in the case history.
func submitted(what string, a *approval.Approval) string {
	if a.Round > 1 {
		return "修改后重新提交" + what
	}
	return "提交" + what
}

// checkConsent refuses when the client's consent does not allow opening.
func (s *CaseService) checkConsent(ctx context.Context, q db.Querier, c *Case) error {
	ok, reason, err := s.Consent.HasValidConsent(ctx, q, c.orgID, c.ClientID, s.today())
	if err != nil {
		return err
	}
	if !ok {
		return app.Errorf(app.EConflict, "不能开案：%s", reason)
	}
	return nil
}

// DecisionInput is an approver's decision on one of the case's requests.
type DecisionInput struct {
	ApprovalID int64  `json:"approval_id"`
	Version    int64  `json:"version" doc:"审批申请的版本号"`
	Decision   string `json:"decision" doc:"approve 同意，reject 驳回"`
	Comment    string `json:"comment" doc:"审批意见；驳回时必填"`
}

const sqlApprovalOfCase = `SELECT kind FROM approvals WHERE org_id = $1 AND id = $2 AND subject_type = 'case' AND subject_id = $3`

// approvalOfCase checks that an approval is one of the case's requests.
func approvalOfCase(ctx context.Context, q db.Querier, c *Case, approvalID int64) error {
	var kind string
	err := q.QueryRowContext(ctx, sqlApprovalOfCase, c.orgID, approvalID, c.ID).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && KindName(kind) == kind) {
		return app.ErrNotFound("审批申请")
	}
	if err != nil {
		return fmt.Errorf("cases: approval of case: %w", err)
	}
	return nil
}

// Decide records the supervisor's decision on a request of the case; the
// approval engine refuses self-approval and anyone who is not the approver,
// and the request's outcome changes the case in the same transaction.
func (s *CaseService) Decide(ctx context.Context, p *authz.Principal, id int64, in DecisionInput) (*Case, error) {
	c, err := s.caseFor(ctx, s.DB.R, p, PermCaseRead, id)
	if err != nil {
		return nil, err
	}
	var v app.Validation
	in.Comment = strings.TrimSpace(in.Comment)
	if v.OneOf("decision", in.Decision, "审批结果", string(approval.Approve), string(approval.Reject)) &&
		in.Decision == string(approval.Reject) && in.Comment == "" {
		v.Add("comment", "驳回时必须填写意见")
	}
	v.MaxLen("comment", in.Comment, "审批意见", approval.MaxComment)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := approvalOfCase(ctx, s.DB.R, c, in.ApprovalID); err != nil {
		return nil, err
	}
	if _, err := s.Approvals.Decide(ctx, p, approval.DecideInput{ApprovalID: in.ApprovalID, Version: in.Version,
		Decision: approval.Decision(in.Decision), Comment: in.Comment}); err != nil {
		return nil, err
	}
	return s.afterDecision(ctx, p, id)
}

// afterDecision returns the case to the caller, who may no longer see it
// (e.g. a referral accepted away from their scope): then nil.
func (s *CaseService) afterDecision(ctx context.Context, p *authz.Principal, id int64) (*Case, error) {
	c, err := s.Get(ctx, p, id)
	if app.ErrorCode(err) == app.ENotFound {
		return nil, nil
	}
	return c, err
}

// WithdrawInput takes back one of the case's requests.
type WithdrawInput struct {
	ApprovalID int64  `json:"approval_id"`
	Version    int64  `json:"version" doc:"审批申请的版本号"`
	Comment    string `json:"comment"`
}

// Withdraw takes back a pending or rejected request of the case; only its
// submitter may, and the case returns to where it was before the request.
func (s *CaseService) Withdraw(ctx context.Context, p *authz.Principal, id int64, in WithdrawInput) (*Case, error) {
	c, err := s.caseFor(ctx, s.DB.R, p, PermCaseWrite, id)
	if err != nil {
		return nil, err
	}
	var v app.Validation
	v.Chosen("approval_id", in.ApprovalID, "要撤回的申请")
	checkText(&v, "comment", "说明", &in.Comment, false, approval.MaxComment)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := approvalOfCase(ctx, s.DB.R, c, in.ApprovalID); err != nil {
		return nil, err
	}
	if _, err := s.Approvals.Withdraw(ctx, p, in.ApprovalID, in.Version, in.Comment); err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

const sqlLastActor = `SELECT e.user_id, u.username, e.comment FROM approval_events e
	JOIN users u ON u.org_id = e.org_id AND u.id = e.user_id
	WHERE e.org_id = $1 AND e.approval_id = $2 ORDER BY e.id DESC LIMIT 1`

// actor is whoever gave a request its outcome, and their comment.
type actor struct {
	id            int64
	name, comment string
}

// decider reads who gave the request its outcome, for the case history.
func decider(ctx context.Context, q db.Querier, a *approval.Approval) actor {
	var d actor
	if err := q.QueryRowContext(ctx, sqlLastActor, a.OrgID, a.ID).Scan(&d.id, &d.name, &d.comment); err != nil {
		return actor{}
	}
	return d
}

// note logs a line of a request's outcome in the case history.
func (d actor) note(ctx context.Context, tx *sql.Tx, c *Case, at time.Time, kind, detail string) error {
	return logNote(ctx, tx, c, at, d.id, d.name, kind, detail, d.comment)
}

// onOpenDecided opens an approved case, or sends a rejected or withdrawn
// one back to its plan for correction.
func (s *CaseService) onOpenDecided(ctx context.Context, tx *sql.Tx, a *approval.Approval) error {
	c, err := s.loadCase(ctx, tx, a.OrgID, a.SubjectID)
	if err != nil {
		return err
	}
	now, today := s.Now(), s.today()
	d := decider(ctx, tx, a)
	switch a.Status {
	case approval.Approved:
		if c.State != StatePendingOpen {
			return app.Errorf(app.EConflict, "个案%s，不能开案", StateLabel(c.State))
		}
		// The consent is checked again: it must still hold on the day the
		// case opens.
		if err := s.checkConsent(ctx, tx, c); err != nil {
			return err
		}
		if err := bumpCase(ctx, tx, c, now, StateOpen, ", opened_on = $6", today); err != nil {
			return err
		}
		return d.note(ctx, tx, c, now, "open", "督导同意开案，个案进入介入跟进阶段")
	case approval.Rejected, approval.Withdrawn:
		if c.State == StatePendingOpen {
			if err := bumpCase(ctx, tx, c, now, StatePlanned, ""); err != nil {
				return err
			}
		}
		if a.Status == approval.Withdrawn {
			return d.note(ctx, tx, c, now, "open_withdrawn", "撤回开案申请")
		}
		return d.note(ctx, tx, c, now, "open_rejected", "督导驳回开案申请，退回计划阶段修改")
	}
	return nil
}
