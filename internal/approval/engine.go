package approval

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// SubmitInput starts a request. The owning business area fills it from its
// own record.
type SubmitInput struct {
	Kind        string  // a registered workflow
	SubjectType string  // the owning record's type, e.g. "case"
	SubjectID   int64   // the owning record's id
	Title       string  // shown in to-do lists, e.g. "开案申请：个案 GA-2026-001"
	SiteID      int64   // service point the request belongs to, 0 if none
	AmountFen   app.Fen // money involved, 0 if none
	Comment     string  // the submitter's note
}

// Revision corrects a rejected request's facts when it is resubmitted.
type Revision struct {
	Title     string
	SiteID    int64
	AmountFen app.Fen
}

// facts are the parts of a request that conditions and rules read.
func (s *Service) checkFacts(ctx context.Context, q db.Querier, v *app.Validation, orgID int64, title string,
	siteID int64, amount app.Fen) (siteName string, err error) {
	if v.Required("title", title, "标题") {
		v.MaxLen("title", title, "标题", 200)
	}
	if amount < 0 {
		v.Add("amount", "金额不能为负数")
	}
	if siteID != 0 {
		siteName, err = activeSiteName(ctx, q, orgID, siteID)
		if err != nil {
			return "", err
		}
		if siteName == "" {
			v.Add("site_id", "请选择有效的服务点")
		}
	}
	return siteName, nil
}

const sqlActiveSite = `SELECT name FROM sites WHERE org_id = $1 AND id = $2 AND status = 'active'`

// activeSiteName returns the name of an active site of the organization, or
// "" when there is none.
func activeSiteName(ctx context.Context, q db.Querier, orgID, siteID int64) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, sqlActiveSite, orgID, siteID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("approval: load site: %w", err)
	}
	return name, nil
}

func checkComment(v *app.Validation, comment string) {
	v.MaxLen("comment", comment, "意见", MaxComment)
}

func agencyUser(p *authz.Principal) error {
	if p == nil || p.OrgID == 0 || p.IsPlatform() {
		return app.ErrForbidden()
	}
	return nil
}

// Submit starts a request in a transaction of its own.
func (s *Service) Submit(ctx context.Context, p *authz.Principal, in SubmitInput) (*Approval, error) {
	var a *Approval
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.SubmitTx(ctx, tx, p, in)
		return err
	})
	return a, err
}

const sqlInsertApproval = `INSERT INTO approvals (org_id, kind, subject_type, subject_id, title, submitter_id,
	submitter_staff_id, site_id, amount_fen, status, round, current_step, version, submitted_at, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 1, 0, 1, $10, $10, $10) RETURNING id`

// SubmitTx starts a request inside tx, for a business area that creates its
// record and submits it in one transaction. The first step's approvers are
// resolved now; every later applicable step is checked to resolve to someone,
// so a request never starts on a route that cannot finish.
func (s *Service) SubmitTx(ctx context.Context, tx *sql.Tx, p *authz.Principal, in SubmitInput) (*Approval, error) {
	if err := agencyUser(p); err != nil {
		return nil, err
	}
	w, ok := s.Workflow(in.Kind)
	if !ok {
		return nil, fmt.Errorf("approval: workflow %q is not registered", in.Kind)
	}
	if in.SubjectType == "" || in.SubjectID <= 0 {
		return nil, fmt.Errorf("approval: %s request needs a subject", in.Kind)
	}
	in.Title = strings.TrimSpace(in.Title)
	in.Comment = strings.TrimSpace(in.Comment)
	var v app.Validation
	siteName, err := s.checkFacts(ctx, tx, &v, p.OrgID, in.Title, in.SiteID, in.AmountFen)
	if err != nil {
		return nil, err
	}
	checkComment(&v, in.Comment)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	subj := Subject{OrgID: p.OrgID, Kind: w.Kind, Type: in.SubjectType, ID: in.SubjectID, Title: in.Title,
		SiteID: in.SiteID, SiteName: siteName, AmountFen: in.AmountFen, SubmitterID: p.UserID,
		SubmitterStaffID: p.StaffID}
	plan, err := s.planRound(ctx, tx, w, subj, s.today())
	if err != nil {
		return nil, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, sqlInsertApproval, p.OrgID, w.Kind, in.SubjectType, in.SubjectID, in.Title,
		p.UserID, nullID(p.StaffID), nullID(in.SiteID), int64(in.AmountFen), now.UTC()).Scan(&id)
	if db.IsUniqueViolation(err) {
		return nil, errLive
	}
	if err != nil {
		return nil, fmt.Errorf("approval: insert: %w", err)
	}
	if err := s.startRound(ctx, tx, p.OrgID, id, 1, plan, now); err != nil {
		return nil, err
	}
	if err := insertEvent(ctx, tx, p.OrgID, id, 1, 0, ActSubmit, p.UserID, 0, now, in.Comment); err != nil {
		return nil, err
	}
	a, err := s.load(ctx, tx, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, p, now, ActSubmit, a, describe(a, "提交", in.Comment)); err != nil {
		return nil, err
	}
	return a, nil
}

var errLive = app.Errorf(app.EConflict, "该事项已有未完成的审批，请在原申请上处理")

// plannedStep is one step of a round about to start.
type plannedStep struct {
	seq      int
	name     string
	approver string
	applies  bool
	users    []int64
}

// planRound evaluates the conditions and resolves every applicable step, so
// that a route which cannot finish is refused before it starts.
func (s *Service) planRound(ctx context.Context, q db.Querier, w *Workflow, subj Subject, on app.Date) ([]plannedStep, error) {
	plan := make([]plannedStep, len(w.Steps))
	found := false
	for i, d := range w.Steps {
		ps := plannedStep{seq: i + 1, name: d.Name, approver: d.Approver.Describe(subj),
			applies: d.When == nil || d.When(subj)}
		if ps.applies {
			users, err := resolve(ctx, q, d, subj, on)
			if err != nil {
				return nil, err
			}
			ps.users = users
			found = true
		}
		plan[i] = ps
	}
	if !found {
		return nil, fmt.Errorf("approval: workflow %s has no step for this request", w.Kind)
	}
	return plan, nil
}

// resolve returns the users who decide step d, never the submitter; nobody
// is an error the submitter (or the approver of the step before) can act on.
func resolve(ctx context.Context, q db.Querier, d StepDef, subj Subject, on app.Date) ([]int64, error) {
	ids, err := d.Approver.Resolve(ctx, q, subj, on)
	if err != nil {
		return nil, err
	}
	users := withoutUser(ids, subj.SubmitterID)
	if len(users) == 0 {
		msg := "找不到该步骤的审批人：" + d.Approver.Describe(subj)
		if len(ids) > 0 {
			msg += "（申请人本人不能审批自己的申请）"
		}
		return nil, app.Errorf(app.EInvalid, "%s。请联系机构管理员检查人员的角色与服务点分配", msg)
	}
	return users, nil
}

const (
	sqlInsertStep = `INSERT INTO approval_steps (org_id, approval_id, round, seq, name, approver, status, started_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
	sqlInsertAssignee = `INSERT INTO approval_step_assignees (org_id, step_id, approval_id, user_id) VALUES ($1, $2, $3, $4)`
	sqlSetCurrentStep = `UPDATE approvals SET current_step = $3 WHERE org_id = $1 AND id = $2`
)

// startRound writes the steps of a round: the first applicable one becomes
// current with its approvers, later ones wait, the rest are skipped.
func (s *Service) startRound(ctx context.Context, tx *sql.Tx, orgID, approvalID int64, round int, plan []plannedStep, now time.Time) error {
	current := 0
	for _, ps := range plan {
		status, started := StepSkipped, any(nil)
		switch {
		case ps.applies && current == 0:
			status, started, current = StepPending, now.UTC(), ps.seq
		case ps.applies:
			status = StepWaiting
		}
		var stepID int64
		if err := tx.QueryRowContext(ctx, sqlInsertStep, orgID, approvalID, round, ps.seq, ps.name, ps.approver,
			string(status), started).Scan(&stepID); err != nil {
			return fmt.Errorf("approval: insert step: %w", err)
		}
		if status == StepPending {
			if err := insertAssignees(ctx, tx, orgID, stepID, approvalID, ps.users); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, sqlSetCurrentStep, orgID, approvalID, current); err != nil {
		return fmt.Errorf("approval: set current step: %w", err)
	}
	return nil
}

func insertAssignees(ctx context.Context, tx *sql.Tx, orgID, stepID, approvalID int64, users []int64) error {
	for _, u := range users {
		if _, err := tx.ExecContext(ctx, sqlInsertAssignee, orgID, stepID, approvalID, u); err != nil {
			return fmt.Errorf("approval: insert assignee: %w", err)
		}
	}
	return nil
}

const sqlInsertEvent = `INSERT INTO approval_events (org_id, approval_id, round, step_id, action, user_id, acting_for, at, comment)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

func insertEvent(ctx context.Context, tx *sql.Tx, orgID, approvalID int64, round int, stepID int64, act Action,
	userID, actingFor int64, now time.Time, comment string) error {
	if _, err := tx.ExecContext(ctx, sqlInsertEvent, orgID, approvalID, round, nullID(stepID), string(act), userID,
		nullID(actingFor), now.UTC(), comment); err != nil {
		return fmt.Errorf("approval: insert event: %w", err)
	}
	return nil
}

func (s *Service) audit(ctx context.Context, tx *sql.Tx, p *authz.Principal, now time.Time, act Action, a *Approval, detail string) error {
	return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
		Action: "approval." + string(act), ObjectType: "approval", ObjectID: strconv.FormatInt(a.ID, 10),
		Detail: detail})
}

// describe is the audit detail of a state change.
func describe(a *Approval, what, comment string) string {
	d := fmt.Sprintf("%s「%s」第%d轮：%s", a.KindName, a.Title, a.Round, what)
	if comment != "" {
		d += "；意见：" + comment
	}
	return d
}

// DecideInput is an approver's decision on the current step.
type DecideInput struct {
	ApprovalID int64
	Version    int64 // the version the approver saw; a stale one is a conflict
	Decision   Decision
	Comment    string
}

const (
	sqlBump = `UPDATE approvals SET version = version + 1, updated_at = $4
		WHERE org_id = $1 AND id = $2 AND version = $3 AND status = 'pending'`
	sqlCurrentStep = `SELECT id, seq, name FROM approval_steps
		WHERE org_id = $1 AND approval_id = $2 AND round = $3 AND status = 'pending'`
	sqlDecideStep = `UPDATE approval_steps SET status = $3, decided_by = $4, acting_for = $5, decided_at = $6, comment = $7
		WHERE org_id = $1 AND id = $2 AND status = 'pending'`
	sqlNextStep = `SELECT id, seq FROM approval_steps
		WHERE org_id = $1 AND approval_id = $2 AND round = $3 AND status = 'waiting' ORDER BY seq LIMIT 1`
	sqlActivateStep = `UPDATE approval_steps SET status = 'pending', started_at = $3, approver = $4
		WHERE org_id = $1 AND id = $2`
	sqlCancelSteps = `UPDATE approval_steps SET status = 'cancelled'
		WHERE org_id = $1 AND approval_id = $2 AND round = $3 AND status IN ('waiting', 'pending')`
	sqlFinish = `UPDATE approvals SET status = $3, current_step = 0, decided_at = $4, updated_at = $4
		WHERE org_id = $1 AND id = $2`
)

// Decide records an approver's decision on the current step. The approver
// must be one of the step's assignees or an active stand-in of one, and never
// the submitter. When two approvers decide at once exactly one wins; the other
// gets a conflict.
func (s *Service) Decide(ctx context.Context, p *authz.Principal, in DecideInput) (*Approval, error) {
	if err := agencyUser(p); err != nil {
		return nil, err
	}
	in.Comment = strings.TrimSpace(in.Comment)
	var v app.Validation
	if v.OneOf("decision", string(in.Decision), "审批结果", string(Approve), string(Reject)) &&
		in.Decision == Reject && in.Comment == "" {
		v.Add("comment", "驳回时必须填写意见")
	}
	checkComment(&v, in.Comment)
	now, today := s.Now(), s.today()
	var out *Approval
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.load(ctx, tx, p.OrgID, in.ApprovalID)
		if err != nil {
			return err
		}
		if a.Version != in.Version || a.Status != Pending {
			return s.hiddenOr(ctx, tx, p, a, today, errConflict)
		}
		if a.SubmitterID == p.UserID {
			return errSelf
		}
		// The guarded bump comes before anything else is read or written: a
		// concurrent decision on the same version waits here and then finds
		// nothing to update, and what follows reads a request nobody else
		// can change until this transaction ends. A refusal below rolls the
		// bump back.
		if err := bump(ctx, tx, a, now); err != nil {
			return s.hiddenOr(ctx, tx, p, a, today, err)
		}
		var stepID int64
		var seq int
		var stepName string
		if err := tx.QueryRowContext(ctx, sqlCurrentStep, a.OrgID, a.ID, a.Round).Scan(&stepID, &seq, &stepName); err != nil {
			return fmt.Errorf("approval: current step of %d: %w", a.ID, err)
		}
		may, actingFor, err := authority(ctx, tx, a.OrgID, stepID, p.UserID, today)
		if err != nil {
			return err
		}
		if !may {
			return s.hiddenOr(ctx, tx, p, a, today, app.Errorf(app.EForbidden, "您不是当前步骤的审批人"))
		}
		// Input is judged only for someone entitled to decide, so that the
		// answer never tells others more than "not found".
		if err := v.Err(); err != nil {
			return err
		}
		status, act := StepApproved, ActApprove
		if in.Decision == Reject {
			status, act = StepRejected, ActReject
		}
		if _, err := tx.ExecContext(ctx, sqlDecideStep, a.OrgID, stepID, string(status), p.UserID, nullID(actingFor),
			now.UTC(), in.Comment); err != nil {
			return fmt.Errorf("approval: decide step: %w", err)
		}
		if err := insertEvent(ctx, tx, a.OrgID, a.ID, a.Round, stepID, act, p.UserID, actingFor, now, in.Comment); err != nil {
			return err
		}
		final := Rejected
		if in.Decision == Approve {
			advanced, err := s.advance(ctx, tx, a, now, today)
			if err != nil {
				return err
			}
			if advanced {
				final = Pending
			} else {
				final = Approved
			}
		}
		if final != Pending {
			if err := s.finish(ctx, tx, a, final, now); err != nil {
				return err
			}
		}
		what := act.Name()
		if actingFor != 0 {
			what += "（代" + userName(ctx, tx, a.OrgID, actingFor) + "审批）"
		}
		detail := describe(a, stepName+" "+what, in.Comment)
		if out, err = s.load(ctx, tx, a.OrgID, a.ID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, p, now, act, out, detail); err != nil {
			return err
		}
		if final != Pending {
			return s.onDecided(ctx, tx, out)
		}
		return nil
	})
	return out, err
}

var errSelf = app.Errorf(app.EForbidden, "不能审批自己提交的申请")

func bump(ctx context.Context, tx *sql.Tx, a *Approval, now time.Time) error {
	res, err := tx.ExecContext(ctx, sqlBump, a.OrgID, a.ID, a.Version, now.UTC())
	if err != nil {
		return fmt.Errorf("approval: bump version: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("approval: bump version: %w", err)
	} else if n != 1 {
		return errConflict
	}
	return nil
}

// advance makes the next waiting step of the round current, resolving its
// approvers now. It reports false when no step is left.
func (s *Service) advance(ctx context.Context, tx *sql.Tx, a *Approval, now time.Time, today app.Date) (bool, error) {
	var stepID int64
	var seq int
	err := tx.QueryRowContext(ctx, sqlNextStep, a.OrgID, a.ID, a.Round).Scan(&stepID, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("approval: next step: %w", err)
	}
	w, ok := s.Workflow(a.Kind)
	if !ok || seq < 1 || seq > len(w.Steps) {
		return false, fmt.Errorf("approval: request %d: workflow %q has no step %d", a.ID, a.Kind, seq)
	}
	def := w.Steps[seq-1]
	subj := a.subject()
	users, err := resolve(ctx, tx, def, subj, today)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, sqlActivateStep, a.OrgID, stepID, now.UTC(), def.Approver.Describe(subj)); err != nil {
		return false, fmt.Errorf("approval: activate step: %w", err)
	}
	if err := insertAssignees(ctx, tx, a.OrgID, stepID, a.ID, users); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, sqlSetCurrentStep, a.OrgID, a.ID, seq); err != nil {
		return false, fmt.Errorf("approval: set current step: %w", err)
	}
	return true, nil
}

// finish gives the request its outcome and closes the round's open steps.
func (s *Service) finish(ctx context.Context, tx *sql.Tx, a *Approval, st Status, now time.Time) error {
	if _, err := tx.ExecContext(ctx, sqlCancelSteps, a.OrgID, a.ID, a.Round); err != nil {
		return fmt.Errorf("approval: cancel steps: %w", err)
	}
	if _, err := tx.ExecContext(ctx, sqlFinish, a.OrgID, a.ID, string(st), now.UTC()); err != nil {
		return fmt.Errorf("approval: finish: %w", err)
	}
	return nil
}

func (s *Service) onDecided(ctx context.Context, tx *sql.Tx, a *Approval) error {
	w, ok := s.Workflow(a.Kind)
	if !ok || w.OnDecided == nil {
		return nil
	}
	return w.OnDecided(ctx, tx, a)
}

func (a *Approval) subject() Subject {
	return Subject{OrgID: a.OrgID, Kind: a.Kind, Type: a.SubjectType, ID: a.SubjectID, Title: a.Title,
		SiteID: a.SiteID, SiteName: a.SiteName, AmountFen: a.AmountFen, SubmitterID: a.SubmitterID,
		SubmitterStaffID: a.SubmitterStaffID}
}

const (
	sqlIsAssignee = `SELECT COUNT(*) FROM approval_step_assignees WHERE org_id = $1 AND step_id = $2 AND user_id = $3`
	sqlDelegator  = `SELECT MIN(sa.user_id) FROM approval_step_assignees sa
		JOIN approval_delegations d ON d.org_id = sa.org_id AND d.from_user_id = sa.user_id
		WHERE sa.org_id = $1 AND sa.step_id = $2 AND d.to_user_id = $3
		AND d.start_date <= $4 AND d.end_date >= $4 AND d.cancelled_at IS NULL`
)

// authority reports whether user may decide the step: as an assignee, or as
// the stand-in of one on the given day (actingFor names whom).
func authority(ctx context.Context, q db.Querier, orgID, stepID, userID int64, on app.Date) (may bool, actingFor int64, err error) {
	var n int
	if err := q.QueryRowContext(ctx, sqlIsAssignee, orgID, stepID, userID).Scan(&n); err != nil {
		return false, 0, fmt.Errorf("approval: check assignee: %w", err)
	}
	if n > 0 {
		return true, 0, nil
	}
	var from sql.NullInt64
	if err := q.QueryRowContext(ctx, sqlDelegator, orgID, stepID, userID, on).Scan(&from); err != nil {
		return false, 0, fmt.Errorf("approval: check delegation: %w", err)
	}
	if from.Valid {
		return true, from.Int64, nil
	}
	return false, 0, nil
}

// ResubmitInput starts a new round after a rejection.
type ResubmitInput struct {
	ApprovalID int64
	Version    int64
	Comment    string
	// Revision, when set, replaces the title, service point and amount with
	// the corrected ones; conditions and approvers follow the new facts.
	Revision *Revision
}

const sqlResubmit = `UPDATE approvals SET round = round + 1, status = 'pending', current_step = 0, version = version + 1,
	title = $4, site_id = $5, amount_fen = $6, submitted_at = $7, decided_at = NULL, updated_at = $7
	WHERE org_id = $1 AND id = $2 AND version = $3 AND status = 'rejected'`

// Resubmit sends a rejected request round again, in a transaction of its own.
func (s *Service) Resubmit(ctx context.Context, p *authz.Principal, in ResubmitInput) (*Approval, error) {
	var a *Approval
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.ResubmitTx(ctx, tx, p, in)
		return err
	})
	return a, err
}

// ResubmitTx starts a new round of a rejected request inside tx; the earlier
// rounds stay in the history. Only the submitter may resubmit.
func (s *Service) ResubmitTx(ctx context.Context, tx *sql.Tx, p *authz.Principal, in ResubmitInput) (*Approval, error) {
	if err := agencyUser(p); err != nil {
		return nil, err
	}
	now, today := s.Now(), s.today()
	a, err := s.load(ctx, tx, p.OrgID, in.ApprovalID)
	if err != nil {
		return nil, err
	}
	if a.SubmitterID != p.UserID {
		if err := s.hiddenOr(ctx, tx, p, a, today, app.Errorf(app.EForbidden, "只有申请人可以重新提交")); err != nil {
			return nil, err
		}
	}
	if a.Version != in.Version {
		return nil, errConflict
	}
	if a.Status != Rejected {
		return nil, app.Errorf(app.EConflict, "只有被驳回的申请可以重新提交")
	}
	in.Comment = strings.TrimSpace(in.Comment)
	var v app.Validation
	subj := a.subject()
	if r := in.Revision; r != nil {
		subj.Title = strings.TrimSpace(r.Title)
		subj.SiteID, subj.AmountFen = r.SiteID, r.AmountFen
		if subj.SiteName, err = s.checkFacts(ctx, tx, &v, a.OrgID, subj.Title, subj.SiteID, subj.AmountFen); err != nil {
			return nil, err
		}
	}
	checkComment(&v, in.Comment)
	if err := v.Err(); err != nil {
		return nil, err
	}
	w, ok := s.Workflow(a.Kind)
	if !ok {
		return nil, fmt.Errorf("approval: workflow %q is not registered", a.Kind)
	}
	plan, err := s.planRound(ctx, tx, w, subj, today)
	if err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, sqlResubmit, a.OrgID, a.ID, a.Version, subj.Title, nullID(subj.SiteID),
		int64(subj.AmountFen), now.UTC())
	if db.IsUniqueViolation(err) {
		return nil, errLive
	}
	if err != nil {
		return nil, fmt.Errorf("approval: resubmit: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errConflict
	}
	round := a.Round + 1
	if err := s.startRound(ctx, tx, a.OrgID, a.ID, round, plan, now); err != nil {
		return nil, err
	}
	if err := insertEvent(ctx, tx, a.OrgID, a.ID, round, 0, ActResubmit, p.UserID, 0, now, in.Comment); err != nil {
		return nil, err
	}
	out, err := s.load(ctx, tx, a.OrgID, a.ID)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, p, now, ActResubmit, out, describe(out, "重新提交", in.Comment)); err != nil {
		return nil, err
	}
	return out, nil
}

// hiddenOr returns not found when p may not see a, else err.
func (s *Service) hiddenOr(ctx context.Context, q db.Querier, p *authz.Principal, a *Approval, today app.Date, err error) error {
	visible, verr := s.canView(ctx, q, p, a, today)
	if verr != nil {
		return verr
	}
	if !visible {
		return errNotFound
	}
	return err
}

const sqlWithdraw = `UPDATE approvals SET status = 'withdrawn', current_step = 0, version = version + 1,
	decided_at = $4, updated_at = $4
	WHERE org_id = $1 AND id = $2 AND version = $3 AND status IN ('pending', 'rejected')`

// Withdraw ends a pending or rejected request at its submitter's wish.
func (s *Service) Withdraw(ctx context.Context, p *authz.Principal, approvalID, version int64, comment string) (*Approval, error) {
	if err := agencyUser(p); err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	now, today := s.Now(), s.today()
	var out *Approval
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.load(ctx, tx, p.OrgID, approvalID)
		if err != nil {
			return err
		}
		if a.SubmitterID != p.UserID {
			return s.hiddenOr(ctx, tx, p, a, today, app.Errorf(app.EForbidden, "只有申请人可以撤回申请"))
		}
		if a.Version != version {
			return errConflict
		}
		if a.Status != Pending && a.Status != Rejected {
			return app.Errorf(app.EConflict, "该申请%s，不能撤回", a.Status.Name())
		}
		var v app.Validation
		checkComment(&v, comment)
		if err := v.Err(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, sqlWithdraw, a.OrgID, a.ID, a.Version, now.UTC())
		if err != nil {
			return fmt.Errorf("approval: withdraw: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errConflict
		}
		// The history line of a pending request points at the step it was
		// waiting on.
		var stepID int64
		if a.Status == Pending {
			var seq int
			var name string
			if err := tx.QueryRowContext(ctx, sqlCurrentStep, a.OrgID, a.ID, a.Round).Scan(&stepID, &seq, &name); err != nil {
				return fmt.Errorf("approval: current step of %d: %w", a.ID, err)
			}
		}
		if _, err := tx.ExecContext(ctx, sqlCancelSteps, a.OrgID, a.ID, a.Round); err != nil {
			return fmt.Errorf("approval: cancel steps: %w", err)
		}
		if err := insertEvent(ctx, tx, a.OrgID, a.ID, a.Round, stepID, ActWithdraw, p.UserID, 0, now, comment); err != nil {
			return err
		}
		if out, err = s.load(ctx, tx, a.OrgID, a.ID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, p, now, ActWithdraw, out, describe(out, "撤回", comment)); err != nil {
			return err
		}
		return s.onDecided(ctx, tx, out)
	})
	return out, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
