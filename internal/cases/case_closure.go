package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Closure statuses.
const (
	ClosurePending   = "pending"
	ClosureRejected  = "rejected"
	ClosureWithdrawn = "withdrawn"
	ClosureApproved  = "approved"
)

// ClosureStatusLabel is the Chinese name of a closure status.
func ClosureStatusLabel(s string) string {
	switch s {
	case ClosurePending:
		return "待督导审批"
	case ClosureRejected:
		return "督导驳回"
	case ClosureWithdrawn:
		return "已撤回"
	case ClosureApproved:
		return "已批准结案"
	}
	return s
}

// ClosureGoal is a goal's attainment as the closure rated it.
type ClosureGoal struct {
	GoalID          int64  `json:"goal_id"`
	Title           string `json:"title"`
	Attainment      string `json:"attainment"`
	AttainmentLabel string `json:"attainment_label"`
	Note            string `json:"note,omitempty"`
}

// Closure is a closure request (结案表) and its outcome.
type Closure struct {
	ID               int64         `json:"id"`
	Reason           string        `json:"reason"`
	ReasonLabel      string        `json:"reason_label"`
	ReasonNote       string        `json:"reason_note,omitempty"`
	Summary          string        `json:"summary"`
	Evaluation       string        `json:"evaluation,omitempty"`
	Status           string        `json:"status"`
	StatusLabel      string        `json:"status_label"`
	StatusTag        string        `json:"-"`
	ApprovalID       int64         `json:"approval_id,omitempty"`
	ReferralID       int64         `json:"referral_id,omitempty"`
	RequestedBy      string        `json:"requested_by"`
	RequestedAt      time.Time     `json:"requested_at"`
	DecidedAt        time.Time     `json:"decided_at,omitzero"`
	ClosedOn         app.Date      `json:"closed_on"`
	PostClosureUntil app.Date      `json:"post_closure_until"`
	Goals            []ClosureGoal `json:"goals"`
}

// AttainmentInput rates one goal at closure.
type AttainmentInput struct {
	GoalID     int64  `json:"goal_id"`
	Attainment string `json:"attainment" doc:"achieved 已达成, partly 部分达成, not_achieved 未达成"`
	Note       string `json:"note"`
}

// ClosureInput is the closure form.
type ClosureInput struct {
	Reason     string            `json:"reason" doc:"goals_met, client_request, referred, lost_contact, ineligible, other"`
	ReasonNote string            `json:"reason_note" doc:"原因为其他时必填"`
	Summary    string            `json:"summary" doc:"结案总结"`
	Evaluation string            `json:"evaluation" doc:"服务成效评估（前后测等），可不填"`
	Goals      []AttainmentInput `json:"goals"`
	Comment    string            `json:"comment" doc:"给督导的说明"`
	Version    int64             `json:"version"`
}

const (
	sqlInsertClosure = `INSERT INTO case_closures (org_id, case_id, reason, reason_note, summary, evaluation, approval_id,
		referral_id, requested_by, requested_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`
	sqlReviseClosure = `UPDATE case_closures SET reason = $3, reason_note = $4, summary = $5, evaluation = $6,
		status = 'pending', requested_by = $7, requested_at = $8, decided_at = NULL WHERE org_id = $1 AND id = $2`
	sqlRejectedClosure = `SELECT id FROM case_closures WHERE org_id = $1 AND case_id = $2 AND status = 'rejected'
		AND approval_id = $3`
	sqlClearClosureGoals = `DELETE FROM case_closure_goals WHERE org_id = $1 AND closure_id = $2`
	sqlInsertClosureGoal = `INSERT INTO case_closure_goals (org_id, closure_id, goal_id, attainment, note) VALUES ($1, $2, $3, $4, $5)`
	sqlLinkClosure       = `UPDATE case_closures SET approval_id = $3 WHERE org_id = $1 AND id = $2`
	sqlClosureByApproval = `SELECT id FROM case_closures WHERE org_id = $1 AND approval_id = $2 AND status = 'pending'`
	sqlSetClosureStatus  = `UPDATE case_closures SET status = $3, decided_at = $4 WHERE org_id = $1 AND id = $2`
	sqlApproveClosure    = `UPDATE case_closures SET status = 'approved', decided_at = $3, closed_on = $4, post_closure_until = $5 WHERE org_id = $1 AND id = $2`
	sqlApplyAttainment   = `UPDATE case_goals SET attainment = (SELECT cg.attainment FROM case_closure_goals cg WHERE cg.org_id = case_goals.org_id AND cg.closure_id = $3 AND cg.goal_id = case_goals.id), attainment_note = (SELECT cg.note FROM case_closure_goals cg WHERE cg.org_id = case_goals.org_id AND cg.closure_id = $3 AND cg.goal_id = case_goals.id), updated_at = $4 WHERE org_id = $1 AND case_id = $2 AND id IN (SELECT goal_id FROM case_closure_goals WHERE org_id = $1 AND closure_id = $3)`
	sqlClearAttainment   = `UPDATE case_goals SET attainment = '', attainment_note = '', updated_at = $3 WHERE org_id = $1 AND case_id = $2`
)

// RequestClosure asks the supervisor's consent to close an open case (C6),
// with the reason, the summary and each goal's attainment. A rejected
// request is corrected and sent again.
func (s *CaseService) RequestClosure(ctx context.Context, p *authz.Principal, id int64, in ClosureInput) (*Case, error) {
	now := s.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		var v app.Validation
		if v.OneOf("reason", in.Reason, "结案原因", ClosureReasons...) {
			checkText(&v, "reason_note", "原因说明", &in.ReasonNote, in.Reason == "other", 500)
		}
		checkText(&v, "summary", "结案总结", &in.Summary, true, 5000)
		checkText(&v, "evaluation", "服务成效评估", &in.Evaluation, false, 5000)
		checkText(&v, "comment", "说明", &in.Comment, false, approval.MaxComment)
		goals, err := goalTitles(ctx, tx, c)
		if err != nil {
			return err
		}
		rated := map[int64]AttainmentInput{}
		for _, g := range in.Goals {
			if _, ok := goals[g.GoalID]; !ok {
				return fieldError("goals", "目标不属于该个案，请刷新页面后再试")
			}
			g.Note = trimmed(g.Note)
			rated[g.GoalID] = g
		}
		for gid, title := range goals {
			g, ok := rated[gid]
			field := fmt.Sprintf("attainment_%d", gid)
			if !ok || g.Attainment == "" {
				v.Add(field, "请评定目标「"+title+"」的达成情况")
				continue
			}
			v.OneOf(field, g.Attainment, "达成情况", Attainments...)
			v.MaxLen(fmt.Sprintf("attainment_note_%d", gid), g.Note, "说明", 500)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if c.Version != in.Version {
			return errStale
		}
		switch c.State {
		case StateOpen:
		case StatePendingClose:
			return app.Errorf(app.EConflict, "结案申请已提交，正在等待督导审批")
		default:
			return app.Errorf(app.EConflict, "个案%s，只有介入跟进中的个案可以申请结案", StateLabel(c.State))
		}
		live, err := liveApprovalOf(ctx, tx, c.orgID, c.ID, KindClose)
		if err != nil {
			return err
		}
		var cid int64
		if live != nil && live.Status == string(approval.Rejected) {
			if err := tx.QueryRowContext(ctx, sqlRejectedClosure, c.orgID, c.ID, live.ID).Scan(&cid); err != nil {
				return fmt.Errorf("cases: rejected closure: %w", err)
			}
			if _, err := tx.ExecContext(ctx, sqlReviseClosure, c.orgID, cid, in.Reason, in.ReasonNote, in.Summary,
				in.Evaluation, p.UserID, now.UTC()); err != nil {
				return fmt.Errorf("cases: revise closure: %w", err)
			}
			if _, err := tx.ExecContext(ctx, sqlClearClosureGoals, c.orgID, cid); err != nil {
				return fmt.Errorf("cases: clear closure goals: %w", err)
			}
		} else if live == nil {
			if err := tx.QueryRowContext(ctx, sqlInsertClosure, c.orgID, c.ID, in.Reason, in.ReasonNote, in.Summary,
				in.Evaluation, nil, nil, p.UserID, now.UTC(), ClosurePending).Scan(&cid); err != nil {
				return fmt.Errorf("cases: insert closure: %w", err)
			}
		}
		for gid := range goals {
			g := rated[gid]
			if _, err := tx.ExecContext(ctx, sqlInsertClosureGoal, c.orgID, cid, gid, g.Attainment, g.Note); err != nil {
				return fmt.Errorf("cases: insert closure goal: %w", err)
			}
		}
		a, err := s.request(ctx, tx, p, c, KindClose, in.Comment)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlLinkClosure, c.orgID, cid, a.ID); err != nil {
			return fmt.Errorf("cases: link closure: %w", err)
		}
		if err := bumpCase(ctx, tx, c, now, StatePendingClose, ""); err != nil {
			return err
		}
		return logNote(ctx, tx, c, now, p.UserID, p.Username, "closure_request",
			submitted("结案申请", a)+"："+ClosureReasonLabel(in.Reason), in.Comment)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// onCloseDecided closes the case when the supervisor consents, and returns
// it to the intervention when the request is rejected or withdrawn.
func (s *CaseService) onCloseDecided(ctx context.Context, tx *sql.Tx, a *approval.Approval) error {
	c, err := s.loadCase(ctx, tx, a.OrgID, a.SubjectID)
	if err != nil {
		return err
	}
	var cid int64
	err = tx.QueryRowContext(ctx, sqlClosureByApproval, a.OrgID, a.ID).Scan(&cid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cases: closure of approval: %w", err)
	}
	now, today := s.Now(), s.today()
	d := decider(ctx, tx, a)
	switch a.Status {
	case approval.Approved:
		if c.State != StatePendingClose {
			return app.Errorf(app.EConflict, "个案%s，不能结案", StateLabel(c.State))
		}
		return s.close(ctx, tx, c, cid, now, today, d, "督导同意结案")
	case approval.Rejected, approval.Withdrawn:
		st := ClosureRejected
		if a.Status == approval.Withdrawn {
			st = ClosureWithdrawn
		}
		if _, err := tx.ExecContext(ctx, sqlSetClosureStatus, a.OrgID, cid, st, now.UTC()); err != nil {
			return fmt.Errorf("cases: closure status: %w", err)
		}
		if c.State == StatePendingClose {
			if err := bumpCase(ctx, tx, c, now, StateOpen, ""); err != nil {
				return err
			}
		}
		if a.Status == approval.Withdrawn {
			return d.note(ctx, tx, c, now, "closure_withdrawn", "撤回结案申请")
		}
		return d.note(ctx, tx, c, now, "closure_rejected", "督导驳回结案申请，个案继续介入跟进")
	}
	return nil
}

// close carries out an approved closure: the goals take their attainment,
// and the case enters the post-closure follow-up, or the archive when the
// organization follows up for no months.
func (s *CaseService) close(ctx context.Context, tx *sql.Tx, c *Case, closureID int64, now time.Time, today app.Date,
	d actor, detail string) error {
	st, err := loadSettings(ctx, tx, c.orgID)
	if err != nil {
		return err
	}
	var until app.Date
	if st.PostClosureMonths > 0 {
		until = today.AddMonths(st.PostClosureMonths).AddDays(-1)
	}
	if _, err := tx.ExecContext(ctx, sqlApproveClosure, c.orgID, closureID, now.UTC(), today, until); err != nil {
		return fmt.Errorf("cases: approve closure: %w", err)
	}
	if _, err := tx.ExecContext(ctx, sqlApplyAttainment, c.orgID, c.ID, closureID, now.UTC()); err != nil {
		return fmt.Errorf("cases: apply attainment: %w", err)
	}
	if st.PostClosureMonths == 0 {
		if err := bumpCase(ctx, tx, c, now, StateArchived, ", closed_on = $6, post_closure_until = NULL, archived_on = $6",
			today); err != nil {
			return err
		}
		return d.note(ctx, tx, c, now, "close", detail+"，个案归档")
	}
	if err := bumpCase(ctx, tx, c, now, StatePostClosure, ", closed_on = $6, post_closure_until = $7, archived_on = NULL",
		today, until); err != nil {
		return err
	}
	return d.note(ctx, tx, c, now, "close", fmt.Sprintf("%s，结案后跟进至 %s", detail, until))
}

// ReopenInput reopens a closed case.
type ReopenInput struct {
	Reason  string `json:"reason"`
	Version int64  `json:"version"`
}

// Reopen takes a closed or archived case back into the intervention; the
// reason is logged and the earlier closure stays in the file (C6).
func (s *CaseService) Reopen(ctx context.Context, p *authz.Principal, id int64, in ReopenInput) (*Case, error) {
	now := s.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		var v app.Validation
		checkText(&v, "reason", "重开原因", &in.Reason, true, 500)
		if err := v.Err(); err != nil {
			return err
		}
		if c.Version != in.Version {
			return errStale
		}
		if c.State != StatePostClosure && c.State != StateArchived {
			return app.Errorf(app.EConflict, "个案%s，只有已结案或已归档的个案可以重开", StateLabel(c.State))
		}
		if err := bumpCase(ctx, tx, c, now, StateOpen,
			", closed_on = NULL, post_closure_until = NULL, archived_on = NULL"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlClearAttainment, c.orgID, c.ID, now.UTC()); err != nil {
			return fmt.Errorf("cases: clear attainment: %w", err)
		}
		return logEvent(ctx, tx, c, now, p.UserID, p.Username, "reopen", "重开个案："+in.Reason)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// RejectedClosure returns the case's closure request that the supervisor
// sent back, for the form that corrects it, or nil.
func (s *CaseService) RejectedClosure(ctx context.Context, p *authz.Principal, id int64) (*Closure, error) {
	c, err := s.caseFor(ctx, s.DB.R, p, PermCaseRead, id)
	if err != nil {
		return nil, err
	}
	live, err := liveApprovalOf(ctx, s.DB.R, c.orgID, c.ID, KindClose)
	if err != nil || live == nil {
		return nil, err
	}
	all, err := loadClosures(ctx, s.DB.R, c.orgID, c.ID)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Status == ClosureRejected && all[i].ApprovalID == live.ID {
			return &all[i], nil
		}
	}
	return nil, nil
}

const (
	sqlClosures = `SELECT cl.id, cl.reason, cl.reason_note, cl.summary, cl.evaluation, cl.status, COALESCE(cl.approval_id, 0),
		COALESCE(cl.referral_id, 0), u.display_name, cl.requested_at, cl.decided_at, cl.closed_on, cl.post_closure_until
		FROM case_closures cl JOIN users u ON u.org_id = cl.org_id AND u.id = cl.requested_by
		WHERE cl.org_id = $1 AND cl.case_id = $2 ORDER BY cl.id`
	sqlClosureGoals = `SELECT cg.closure_id, cg.goal_id, g.title, cg.attainment, cg.note FROM case_closure_goals cg
		JOIN case_goals g ON g.org_id = cg.org_id AND g.id = cg.goal_id
		JOIN case_closures cl ON cl.org_id = cg.org_id AND cl.id = cg.closure_id
		WHERE cg.org_id = $1 AND cl.case_id = $2 ORDER BY cg.closure_id, g.seq, g.id`
)

func loadClosures(ctx context.Context, q db.Querier, orgID, caseID int64) ([]Closure, error) {
	rows, err := q.QueryContext(ctx, sqlClosures, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: closures: %w", err)
	}
	out := []Closure{}
	index := map[int64]int{}
	for rows.Next() {
		var cl Closure
		var decided sql.NullTime
		if err := rows.Scan(&cl.ID, &cl.Reason, &cl.ReasonNote, &cl.Summary, &cl.Evaluation, &cl.Status, &cl.ApprovalID,
			&cl.ReferralID, &cl.RequestedBy, &cl.RequestedAt, &decided, &cl.ClosedOn, &cl.PostClosureUntil); err != nil {
			rows.Close()
			return nil, err
		}
		cl.DecidedAt = decided.Time
		cl.ReasonLabel = ClosureReasonLabel(cl.Reason)
		cl.StatusLabel = ClosureStatusLabel(cl.Status)
		cl.StatusTag = approvalTag(cl.Status)
		cl.Goals = []ClosureGoal{}
		index[cl.ID] = len(out)
		out = append(out, cl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, sqlClosureGoals, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: closure goals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid int64
		var g ClosureGoal
		if err := rows.Scan(&cid, &g.GoalID, &g.Title, &g.Attainment, &g.Note); err != nil {
			return nil, err
		}
		g.AttainmentLabel = AttainmentLabel(g.Attainment)
		if i, ok := index[cid]; ok {
			out[i].Goals = append(out[i].Goals, g)
		}
	}
	return out, rows.Err()
}
