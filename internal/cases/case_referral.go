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
	"shegong/internal/pii"
)

// Referral kinds.
const (
	ReferInternal = "internal" // to a colleague of the organization
	ReferExternal = "external" // to an outside agency
)

// What happens to the case after an external referral.
const (
	AfterKeep  = "keep"  // the worker keeps following the case up
	AfterClose = "close" // the case is closed with the referral
)

// Referral statuses.
const (
	ReferralPending   = "pending"
	ReferralRejected  = "rejected"
	ReferralWithdrawn = "withdrawn"
	ReferralAwaiting  = "awaiting" // approved, waiting for the receiving colleague
	ReferralAccepted  = "accepted"
	ReferralDeclined  = "declined"
	ReferralDone      = "done" // approved external referral
)

// ReferralStatusLabel is the Chinese name of a referral status.
func ReferralStatusLabel(s string) string {
	switch s {
	case ReferralPending:
		return "待督导审批"
	case ReferralRejected:
		return "督导驳回"
	case ReferralWithdrawn:
		return "已撤回"
	case ReferralAwaiting:
		return "待接收"
	case ReferralAccepted:
		return "已接收"
	case ReferralDeclined:
		return "接收方拒绝"
	case ReferralDone:
		return "已转介"
	}
	return s
}

// ReferralStatusTag is the colour of a referral status.
func ReferralStatusTag(s string) string {
	switch s {
	case ReferralPending, ReferralAwaiting:
		return "orange"
	case ReferralRejected, ReferralDeclined:
		return "red"
	case ReferralAccepted, ReferralDone:
		return "green"
	}
	return "grey"
}

// Referral is a referral letter (转介书) and what became of it.
type Referral struct {
	ID              int64     `json:"id"`
	Seq             int       `json:"seq"`
	LetterNo        string    `json:"letter_no"`
	Kind            string    `json:"kind"`
	KindLabel       string    `json:"kind_label"`
	ToStaffID       int64     `json:"to_staff_id,omitempty"`
	ToStaffName     string    `json:"to_staff_name,omitempty"`
	ToAgency        string    `json:"to_agency,omitempty"`
	ToContact       string    `json:"to_contact"`
	ToPhone         string    `json:"to_phone"`
	Reason          string    `json:"reason"`
	Services        string    `json:"services"`
	After           string    `json:"after"`
	AfterLabel      string    `json:"after_label"`
	ClosureSummary  string    `json:"closure_summary,omitempty"`
	Status          string    `json:"status"`
	StatusLabel     string    `json:"status_label"`
	StatusTag       string    `json:"-"`
	ApprovalID      int64     `json:"approval_id,omitempty"`
	FromWorkerID    int64     `json:"from_worker_id"`
	FromWorkerName  string    `json:"from_worker_name"`
	RequestedBy     string    `json:"requested_by"`
	RequestedAt     time.Time `json:"requested_at"`
	DecidedAt       time.Time `json:"decided_at,omitzero"`
	RespondedBy     string    `json:"responded_by,omitempty"`
	RespondedAt     time.Time `json:"responded_at,omitzero"`
	ResponseNote    string    `json:"response_note,omitempty"`
	ApproverName    string    `json:"approver_name,omitempty"`
	ApprovalComment string    `json:"approval_comment,omitempty"`
}

// Receiver names whom the case is referred to.
func (r *Referral) Receiver() string {
	if r.Kind == ReferInternal {
		return r.ToStaffName + "（本机构）"
	}
	return r.ToAgency
}

func (r *Referral) fill(caseNumber string) {
	r.LetterNo = fmt.Sprintf("%s-Z%d", caseNumber, r.Seq)
	r.StatusLabel = ReferralStatusLabel(r.Status)
	r.StatusTag = ReferralStatusTag(r.Status)
	if r.Kind == ReferInternal {
		r.KindLabel = "机构内转介（转给其他社工）"
		r.AfterLabel = "接收社工接手个案"
	} else {
		r.KindLabel = "转介至外部机构"
		r.AfterLabel = "本机构继续跟进"
		if r.After == AfterClose {
			r.AfterLabel = "转介后结案"
		}
	}
}

// ReferralInput is the referral form.
type ReferralInput struct {
	Kind           string `json:"kind" doc:"internal 机构内转介, external 转介至外部机构"`
	ToStaffID      int64  `json:"to_staff_id" doc:"机构内转介：接收社工（同工编号）"`
	ToAgency       string `json:"to_agency" doc:"外部转介：接收机构名称"`
	ToContact      string `json:"to_contact" doc:"接收方联系人"`
	ToPhone        string `json:"to_phone" doc:"接收方联系电话"`
	Reason         string `json:"reason"`
	Services       string `json:"services" doc:"需要接收方提供的服务"`
	After          string `json:"after" doc:"外部转介后：keep 本机构继续跟进, close 转介后结案"`
	ClosureSummary string `json:"closure_summary" doc:"转介后结案时的服务总结"`
	Comment        string `json:"comment" doc:"给督导的说明"`
}

func (s *CaseService) checkReferral(ctx context.Context, q db.Querier, c *Case, v *app.Validation, in *ReferralInput) error {
	if !v.OneOf("kind", in.Kind, "转介类型", ReferInternal, ReferExternal) {
		return nil
	}
	checkText(v, "to_contact", "接收方联系人", &in.ToContact, in.Kind == ReferExternal, 50)
	in.ToPhone = trimmed(in.ToPhone)
	if in.ToPhone != "" || in.Kind == ReferExternal {
		if err := pii.ValidatePhone(in.ToPhone); err != nil {
			v.Add("to_phone", "请填写有效的联系电话（手机或带区号的固定电话）")
		}
		v.MaxLen("to_phone", in.ToPhone, "联系电话", 30)
	}
	checkText(v, "reason", "转介原因", &in.Reason, true, 2000)
	checkText(v, "services", "需要提供的服务", &in.Services, true, 2000)
	checkText(v, "comment", "说明", &in.Comment, false, approval.MaxComment)
	if in.Kind == ReferInternal {
		in.ToAgency, in.After, in.ClosureSummary = "", AfterKeep, ""
		if v.Chosen("to_staff_id", in.ToStaffID, "接收社工") {
			var name string
			err := q.QueryRowContext(ctx, sqlStaffActive, c.orgID, in.ToStaffID).Scan(&name)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				v.Add("to_staff_id", "请选择本机构在职的社工")
			case err != nil:
				return fmt.Errorf("cases: load receiver: %w", err)
			case in.ToStaffID == c.WorkerID:
				v.Add("to_staff_id", "接收社工不能是个案现在的负责社工")
			}
		}
		return nil
	}
	in.ToStaffID = 0
	checkText(v, "to_agency", "接收机构", &in.ToAgency, true, 100)
	if v.OneOf("after", in.After, "转介后安排", AfterKeep, AfterClose) && in.After == AfterClose {
		checkText(v, "closure_summary", "服务总结", &in.ClosureSummary, true, 5000)
	} else {
		in.ClosureSummary = ""
	}
	return nil
}

const (
	sqlNextReferralSeq = `SELECT COALESCE(MAX(seq), 0) + 1 FROM case_referrals WHERE org_id = $1 AND case_id = $2`
	sqlInsertReferral  = `INSERT INTO case_referrals (org_id, case_id, seq, kind, to_staff_id, to_agency, to_contact, to_phone,
		reason, services, after_referral, closure_summary, status, from_worker_id, requested_by, requested_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $14, $15) RETURNING id`
	sqlRejectedReferral = `SELECT id FROM case_referrals WHERE org_id = $1 AND case_id = $2 AND status = 'rejected'
		AND approval_id = $3`
	sqlReviseReferral = `UPDATE case_referrals SET kind = $3, to_staff_id = $4, to_agency = $5, to_contact = $6, to_phone = $7,
		reason = $8, services = $9, after_referral = $10, closure_summary = $11, status = 'pending', requested_by = $12,
		requested_at = $13, decided_at = NULL WHERE org_id = $1 AND id = $2`
	sqlLinkReferral = `UPDATE case_referrals SET approval_id = $3 WHERE org_id = $1 AND id = $2`
)

// Refer asks the supervisor to approve a referral of an open case (C5): to
// a colleague, who then accepts or declines it, or to an outside agency,
// after which the case goes on or is closed as chosen. A rejected referral
// is corrected and sent again with the same letter number.
func (s *CaseService) Refer(ctx context.Context, p *authz.Principal, id int64, in ReferralInput) (*Referral, error) {
	now := s.Now()
	var rid int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		var v app.Validation
		if err := s.checkReferral(ctx, tx, c, &v, &in); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if c.State != StateOpen {
			return app.Errorf(app.EConflict, "个案%s，只有介入跟进中的个案可以转介", StateLabel(c.State))
		}
		live, err := liveApprovalOf(ctx, tx, c.orgID, c.ID, KindReferral)
		if err != nil {
			return err
		}
		if live != nil && live.Status == string(approval.Rejected) {
			err := tx.QueryRowContext(ctx, sqlRejectedReferral, c.orgID, c.ID, live.ID).Scan(&rid)
			if err != nil {
				return fmt.Errorf("cases: rejected referral: %w", err)
			}
			if _, err := tx.ExecContext(ctx, sqlReviseReferral, c.orgID, rid, in.Kind, optionalID(in.ToStaffID),
				in.ToAgency, in.ToContact, in.ToPhone, in.Reason, in.Services, in.After, in.ClosureSummary, p.UserID,
				now.UTC()); err != nil {
				return fmt.Errorf("cases: revise referral: %w", err)
			}
		} else if live == nil {
			var seq int
			if err := tx.QueryRowContext(ctx, sqlNextReferralSeq, c.orgID, c.ID).Scan(&seq); err != nil {
				return fmt.Errorf("cases: referral seq: %w", err)
			}
			if err := tx.QueryRowContext(ctx, sqlInsertReferral, c.orgID, c.ID, seq, in.Kind, optionalID(in.ToStaffID),
				in.ToAgency, in.ToContact, in.ToPhone, in.Reason, in.Services, in.After, in.ClosureSummary, c.WorkerID,
				p.UserID, now.UTC()).Scan(&rid); err != nil {
				return fmt.Errorf("cases: insert referral: %w", err)
			}
		}
		a, err := s.request(ctx, tx, p, c, KindReferral, in.Comment)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlLinkReferral, c.orgID, rid, a.ID); err != nil {
			return fmt.Errorf("cases: link referral: %w", err)
		}
		to := in.ToAgency
		if in.Kind == ReferInternal {
			_ = tx.QueryRowContext(ctx, sqlStaffActive, c.orgID, in.ToStaffID).Scan(&to)
		}
		return logNote(ctx, tx, c, now, p.UserID, p.Username, "referral", submitted("转介申请", a)+"：转介至 "+to, in.Comment)
	})
	if err != nil {
		return nil, err
	}
	_, r, err := s.Referral(ctx, p, id, rid)
	return r, err
}

const sqlReferralByApproval = `SELECT id, kind, after_referral, closure_summary, to_staff_id FROM case_referrals
	WHERE org_id = $1 AND approval_id = $2 AND status = 'pending'`

// onReferralDecided carries out an approved referral: an internal one waits
// for its receiver, an external one is done and, when so chosen, closes the
// case (the supervisor's approval of the referral is the consent to close).
func (s *CaseService) onReferralDecided(ctx context.Context, tx *sql.Tx, a *approval.Approval) error {
	c, err := s.loadCase(ctx, tx, a.OrgID, a.SubjectID)
	if err != nil {
		return err
	}
	var rid int64
	var kind, after, summary string
	var to sql.NullInt64
	err = tx.QueryRowContext(ctx, sqlReferralByApproval, a.OrgID, a.ID).Scan(&rid, &kind, &after, &summary, &to)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cases: referral of approval: %w", err)
	}
	now, today := s.Now(), s.today()
	d := decider(ctx, tx, a)
	setStatus := func(st string) error {
		_, err := tx.ExecContext(ctx, `UPDATE case_referrals SET status = $3, decided_at = $4 WHERE org_id = $1 AND id = $2`,
			a.OrgID, rid, st, now.UTC())
		if err != nil {
			return fmt.Errorf("cases: referral status: %w", err)
		}
		return nil
	}
	switch a.Status {
	case approval.Rejected:
		if err := setStatus(ReferralRejected); err != nil {
			return err
		}
		return d.note(ctx, tx, c, now, "referral_rejected", "督导驳回转介申请")
	case approval.Withdrawn:
		if err := setStatus(ReferralWithdrawn); err != nil {
			return err
		}
		return d.note(ctx, tx, c, now, "referral_withdrawn", "撤回转介申请")
	case approval.Approved:
	default:
		return nil
	}
	if c.State != StateOpen {
		return app.Errorf(app.EConflict, "个案%s，不能转介", StateLabel(c.State))
	}
	if kind == ReferInternal {
		if err := setStatus(ReferralAwaiting); err != nil {
			return err
		}
		if err := bumpCase(ctx, tx, c, now, StateReferred, ""); err != nil {
			return err
		}
		return d.note(ctx, tx, c, now, "referral_approved", "督导同意转介，等待接收社工确认")
	}
	if err := setStatus(ReferralDone); err != nil {
		return err
	}
	if after != AfterClose {
		return d.note(ctx, tx, c, now, "referral_approved", "督导同意转介，已转介至外部机构，本机构继续跟进")
	}
	var cid int64
	if err := tx.QueryRowContext(ctx, sqlInsertClosure, a.OrgID, c.ID, "referred", "", summary, "", a.ID, rid,
		a.SubmitterID, now.UTC(), ClosurePending).Scan(&cid); err != nil {
		return fmt.Errorf("cases: closure by referral: %w", err)
	}
	return s.close(ctx, tx, c, cid, now, today, d, "督导同意转介，转介后结案")
}

// RespondInput is the receiving colleague's answer to an internal referral.
type RespondInput struct {
	Decision string `json:"decision" doc:"accept 接收, decline 拒绝"`
	Note     string `json:"note" doc:"拒绝时必须说明原因"`
}

const (
	sqlReferralForResponse = `SELECT status, kind, COALESCE(to_staff_id, 0) FROM case_referrals
		WHERE org_id = $1 AND case_id = $2 AND id = $3`
	sqlRespond = `UPDATE case_referrals SET status = $3, responded_by = $4, responded_at = $5, response_note = $6
		WHERE org_id = $1 AND id = $2 AND status = 'awaiting'`
	sqlInsertAssignment = `INSERT INTO case_assignments (org_id, case_id, from_worker_id, to_worker_id, kind, reason,
		by_user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
)

// RespondReferral records the receiver's answer to an internal referral: on
// acceptance the case moves to them with its whole file; on refusal it stays
// with its worker. Either way it is open again.
func (s *CaseService) RespondReferral(ctx context.Context, p *authz.Principal, id, referralID int64, in RespondInput) (*Case, error) {
	now, today := s.Now(), s.today()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		var v app.Validation
		if v.OneOf("decision", in.Decision, "接收结果", "accept", "decline") {
			checkText(&v, "note", "说明", &in.Note, in.Decision == "decline", 500)
		}
		if err := v.Err(); err != nil {
			return err
		}
		var status, kind string
		var to int64
		err = tx.QueryRowContext(ctx, sqlReferralForResponse, c.orgID, c.ID, referralID).Scan(&status, &kind, &to)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("转介")
		}
		if err != nil {
			return fmt.Errorf("cases: load referral: %w", err)
		}
		if status != ReferralAwaiting || c.State != StateReferred {
			return app.Errorf(app.EConflict, "该转介%s，无需再回复", ReferralStatusLabel(status))
		}
		if to != p.StaffID || p.StaffID == 0 {
			return app.Errorf(app.EForbidden, "只有接收社工可以接收或拒绝转介")
		}
		newStatus := ReferralDeclined
		if in.Decision == "accept" {
			newStatus = ReferralAccepted
		}
		if _, err := tx.ExecContext(ctx, sqlRespond, c.orgID, referralID, newStatus, p.UserID, now.UTC(), in.Note); err != nil {
			return fmt.Errorf("cases: respond referral: %w", err)
		}
		if newStatus == ReferralDeclined {
			if err := bumpCase(ctx, tx, c, now, StateOpen, ""); err != nil {
				return err
			}
			return logEvent(ctx, tx, c, now, p.UserID, p.Username, "referral_declined", "接收社工拒绝转介："+in.Note)
		}
		site := c.SiteID
		sites, err := staffSitesOn(ctx, tx, c.orgID, to, today)
		if err != nil {
			return err
		}
		if len(sites) > 0 && !containsID(sites, site) {
			site = sites[0]
		}
		from := c.WorkerID
		if err := bumpCase(ctx, tx, c, now, StateOpen, ", worker_id = $6, site_id = $7", to, site); err != nil {
			return err
		}
		reason := "转介接收"
		if in.Note != "" {
			reason += "：" + in.Note
		}
		if _, err := tx.ExecContext(ctx, sqlInsertAssignment, c.orgID, c.ID, from, to, "referral", reason, p.UserID,
			now.UTC()); err != nil {
			return fmt.Errorf("cases: insert assignment: %w", err)
		}
		return logEvent(ctx, tx, c, now, p.UserID, p.Username, "referral_accepted", "接收转介，成为个案负责社工")
	})
	if err != nil {
		return nil, err
	}
	return s.afterDecision(ctx, p, id)
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

const sqlReferrals = `SELECT r.id, r.seq, r.kind, COALESCE(r.to_staff_id, 0), COALESCE(ts.name, ''), r.to_agency, r.to_contact,
	r.to_phone, r.reason, r.services, r.after_referral, r.closure_summary, r.status, COALESCE(r.approval_id, 0),
	r.from_worker_id, fs.name, ru.display_name, r.requested_at, r.decided_at, COALESCE(pu.display_name, ''),
	r.responded_at, r.response_note,
	COALESCE((SELECT du.display_name FROM approval_steps st JOIN users du ON du.org_id = st.org_id AND du.id = st.decided_by
		WHERE st.org_id = r.org_id AND st.approval_id = r.approval_id AND st.status = 'approved'
		ORDER BY st.round DESC, st.seq DESC LIMIT 1), ''),
	COALESCE((SELECT st.comment FROM approval_steps st
		WHERE st.org_id = r.org_id AND st.approval_id = r.approval_id AND st.status = 'approved'
		ORDER BY st.round DESC, st.seq DESC LIMIT 1), '')
	FROM case_referrals r
	LEFT JOIN staff ts ON ts.org_id = r.org_id AND ts.id = r.to_staff_id
	JOIN staff fs ON fs.org_id = r.org_id AND fs.id = r.from_worker_id
	JOIN users ru ON ru.org_id = r.org_id AND ru.id = r.requested_by
	LEFT JOIN users pu ON pu.org_id = r.org_id AND pu.id = r.responded_by
	WHERE r.org_id = $1 AND r.case_id = $2 ORDER BY r.seq`

func loadReferrals(ctx context.Context, q db.Querier, c *Case) ([]Referral, error) {
	rows, err := q.QueryContext(ctx, sqlReferrals, c.orgID, c.ID)
	if err != nil {
		return nil, fmt.Errorf("cases: referrals: %w", err)
	}
	defer rows.Close()
	out := []Referral{}
	for rows.Next() {
		var r Referral
		var decided, responded sql.NullTime
		if err := rows.Scan(&r.ID, &r.Seq, &r.Kind, &r.ToStaffID, &r.ToStaffName, &r.ToAgency, &r.ToContact, &r.ToPhone,
			&r.Reason, &r.Services, &r.After, &r.ClosureSummary, &r.Status, &r.ApprovalID, &r.FromWorkerID,
			&r.FromWorkerName, &r.RequestedBy, &r.RequestedAt, &decided, &r.RespondedBy, &responded, &r.ResponseNote,
			&r.ApproverName, &r.ApprovalComment); err != nil {
			return nil, err
		}
		r.DecidedAt, r.RespondedAt = decided.Time, responded.Time
		r.fill(c.Number)
		out = append(out, r)
	}
	return out, rows.Err()
}

// RejectedReferral returns the case's referral that the supervisor sent
// back, for the form that corrects it, or nil.
func (s *CaseService) RejectedReferral(ctx context.Context, p *authz.Principal, id int64) (*Referral, error) {
	c, err := s.caseFor(ctx, s.DB.R, p, PermCaseRead, id)
	if err != nil {
		return nil, err
	}
	all, err := loadReferrals(ctx, s.DB.R, c)
	if err != nil {
		return nil, err
	}
	live, err := liveApprovalOf(ctx, s.DB.R, c.orgID, c.ID, KindReferral)
	if err != nil || live == nil {
		return nil, err
	}
	for i := range all {
		if all[i].Status == ReferralRejected && all[i].ApprovalID == live.ID {
			return &all[i], nil
		}
	}
	return nil, nil
}

// Referral returns one referral of a case with the case, for the referral
// letter; reading it is audited like any view of the case file.
func (s *CaseService) Referral(ctx context.Context, p *authz.Principal, id, referralID int64) (*Case, *Referral, error) {
	c, err := s.caseFor(ctx, s.DB.R, p, PermCaseRead, id)
	if err != nil {
		return nil, nil, err
	}
	all, err := loadReferrals(ctx, s.DB.R, c)
	if err != nil {
		return nil, nil, err
	}
	for i := range all {
		if all[i].ID == referralID {
			return c, &all[i], nil
		}
	}
	return nil, nil, app.ErrNotFound("转介")
}
