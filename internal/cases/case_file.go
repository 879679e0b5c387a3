package cases

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// ConsentLine is one informed-consent record of the client, as the case
// file shows it.
type ConsentLine struct {
	SignedOn     app.Date `json:"signed_on"`
	Signer       string   `json:"signer_masked"`
	Relationship string   `json:"relationship"`
}

// ApprovalStep is one line of a request's history.
type ApprovalStep struct {
	Round     int       `json:"round"`
	StepName  string    `json:"step_name,omitempty"`
	Action    string    `json:"action"`
	ActionLbl string    `json:"action_label"`
	User      string    `json:"user"`
	ActingFor string    `json:"acting_for,omitempty"`
	At        time.Time `json:"at"`
	Comment   string    `json:"comment,omitempty"`
}

// ApprovalRecord is one request of the case with its full history.
type ApprovalRecord struct {
	ID          int64          `json:"id"`
	Kind        string         `json:"kind"`
	KindLabel   string         `json:"kind_label"`
	Status      string         `json:"status"`
	StatusLabel string         `json:"status_label"`
	StatusTag   string         `json:"-"`
	Round       int            `json:"round"`
	Version     int64          `json:"version"`
	SubmitterID int64          `json:"submitter_id"`
	Submitter   string         `json:"submitter"`
	SubmittedAt time.Time      `json:"submitted_at"`
	DecidedAt   time.Time      `json:"decided_at,omitzero"`
	Waiting     []string       `json:"waiting_for,omitempty"` // approvers of the pending step
	History     []ApprovalStep `json:"history"`
}

// TimelineItem is one line of the case history.
type TimelineItem struct {
	At      time.Time `json:"at"`
	Who     string    `json:"who"`
	What    string    `json:"what"`
	Comment string    `json:"comment,omitempty"`
}

// PendingAction points at a request the reader may act on now.
type PendingAction struct {
	ApprovalID int64  `json:"approval_id"`
	Version    int64  `json:"version"`
	Kind       string `json:"kind"`
	KindLabel  string `json:"kind_label"`
	ActingFor  string `json:"acting_for,omitempty"`
}

// Rejection is a request of the case that the supervisor sent back and that
// is still to be corrected or withdrawn.
type Rejection struct {
	Kind      string    `json:"kind"`
	KindLabel string    `json:"kind_label"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
	Comment   string    `json:"comment"`
}

// Actions are what the reader may do with the case now; pages show only
// these buttons.
type Actions struct {
	EditIntake  bool            `json:"edit_intake"`
	Assess      bool            `json:"assess"`
	Plan        bool            `json:"plan"`
	Submit      bool            `json:"submit"`
	Resubmit    bool            `json:"resubmit"` // Submit after a rejection
	Followup    bool            `json:"followup"`
	Refer       bool            `json:"refer"`
	Close       bool            `json:"close"`
	PostClosure bool            `json:"post_closure"`
	Reopen      bool            `json:"reopen"`
	Reassign    bool            `json:"reassign"`
	Decide      *PendingAction  `json:"decide,omitempty"`
	Withdraw    []PendingAction `json:"withdraw,omitempty"`
	Respond     *Referral       `json:"respond,omitempty"`
}

// CaseFile is the whole case file in order (C0, point 9 of the brief):
// intake, consent, assessment, plan, approvals with their comments,
// follow-ups, referrals, closure and post-closure follow-ups.
type CaseFile struct {
	Case           *Case            `json:"case"`
	ConsentOK      bool             `json:"consent_ok"`
	ConsentProblem string           `json:"consent_problem,omitempty"`
	Consents       []ConsentLine    `json:"consents"`
	Approvals      []ApprovalRecord `json:"approvals"`
	Followups      []Followup       `json:"followups"`
	PostClosure    []Followup       `json:"post_closure_followups"`
	Windows        []Window         `json:"post_closure_months,omitempty"`
	Referrals      []Referral       `json:"referrals"`
	Closures       []Closure        `json:"closures"`
	Assignments    []Assignment     `json:"assignments"`
	Timeline       []TimelineItem   `json:"timeline"`
	Rejections     []Rejection      `json:"rejections"`
	Settings       Settings         `json:"settings"`
	MonthFollowups int              `json:"followups_this_month"`
	Behind         bool             `json:"behind"`
	Can            Actions          `json:"can"`
}

// approvalTag is the colour of a request's (or closure's) status.
func approvalTag(status string) string {
	switch status {
	case "pending":
		return "orange"
	case "approved":
		return "green"
	case "rejected":
		return "red"
	}
	return "grey"
}

// File returns the whole case file to a caller who may read the case, and
// writes the view to the audit log (P5: every view of a case file).
func (s *CaseService) File(ctx context.Context, p *authz.Principal, id int64) (*CaseFile, error) {
	q := s.DB.R
	c, err := s.caseFor(ctx, q, p, PermCaseRead, id)
	if err != nil {
		return nil, err
	}
	f, err := s.file(ctx, q, p, c)
	if err != nil {
		return nil, err
	}
	if err := audit.Append(ctx, s.DB, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID, Username: p.Username,
		Action: "case.view", ObjectType: "case", ObjectID: strconv.FormatInt(c.ID, 10),
		Detail: "查看个案档案 " + c.Number}); err != nil {
		return nil, err
	}
	return f, nil
}

// Letter is a referral letter (转介书) ready to print.
type Letter struct {
	Case     *Case     `json:"case"`
	Referral *Referral `json:"referral"`
	OrgName  string    `json:"org_name"`
	// ClientName is the client's full name for those who may see the
	// client's identity, else the masked one.
	ClientName string   `json:"client_name"`
	Revealed   bool     `json:"revealed"`
	PrintedOn  app.Date `json:"printed_on"`
}

// ReferralLetter returns a referral letter for printing. The receiver needs
// the client's name, so those entitled to the client's identity get it in
// full; the view is audited like the file, and says when the name was shown.
func (s *CaseService) ReferralLetter(ctx context.Context, p *authz.Principal, id, referralID int64) (*Letter, error) {
	c, r, err := s.Referral(ctx, p, id, referralID)
	if err != nil {
		return nil, err
	}
	l := &Letter{Case: c, Referral: r, OrgName: p.OrgName, ClientName: c.ClientName, PrintedOn: s.today()}
	var cw, cs int64
	if err := s.DB.R.QueryRowContext(ctx, sqlClientFacts, c.orgID, c.ClientID).Scan(&l.ClientName, &cw, &cs); err != nil {
		return nil, fmt.Errorf("cases: letter client: %w", err)
	}
	l.Revealed = p.Scope(PermClientReveal).Allows(authz.Obj{OrgID: c.orgID, OwnerID: cw, SiteIDs: []int64{cs}})
	detail := "查看转介书 " + r.LetterNo
	if l.Revealed {
		detail += "（含服务对象姓名）"
	} else {
		l.ClientName = c.ClientName
	}
	if err := audit.Append(ctx, s.DB, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID, Username: p.Username,
		Action: "case.view", ObjectType: "case", ObjectID: strconv.FormatInt(c.ID, 10), Detail: detail}); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *CaseService) file(ctx context.Context, q db.Querier, p *authz.Principal, c *Case) (*CaseFile, error) {
	f := &CaseFile{Case: c}
	var err error
	today := s.today()
	if c.Goals, err = loadGoals(ctx, q, c.orgID, c.ID); err != nil {
		return nil, err
	}
	if f.Settings, err = loadSettings(ctx, q, c.orgID); err != nil {
		return nil, err
	}
	ok, reason, err := s.Consent.HasValidConsent(ctx, q, c.orgID, c.ClientID, today)
	if err != nil {
		return nil, err
	}
	f.ConsentOK, f.ConsentProblem = ok, reason
	if f.Consents, err = loadConsentLines(ctx, q, c.orgID, c.ClientID); err != nil {
		return nil, err
	}
	if f.Approvals, err = loadApprovalRecords(ctx, q, c.orgID, c.ID); err != nil {
		return nil, err
	}
	all, err := loadFollowups(ctx, q, c.orgID, c.ID)
	if err != nil {
		return nil, err
	}
	f.Followups, f.PostClosure = []Followup{}, []Followup{}
	r := rulesOn(f.Settings, today)
	last := c.OpenedOn
	for _, fu := range all {
		if fu.Kind == FollowupPostClosure {
			f.PostClosure = append(f.PostClosure, fu)
			continue
		}
		f.Followups = append(f.Followups, fu)
		if !fu.HeldOn.Before(r.monthStart) && !fu.HeldOn.After(r.monthEnd) {
			f.MonthFollowups++
		}
		if fu.HeldOn.After(last) {
			last = fu.HeldOn
		}
	}
	f.Behind = r.behind(c.State, f.MonthFollowups, last)
	if !c.ClosedOn.IsZero() && f.Settings.PostClosureMonths > 0 {
		var dates []app.Date
		for _, fu := range f.PostClosure {
			if !fu.HeldOn.Before(c.ClosedOn) {
				dates = append(dates, fu.HeldOn)
			}
		}
		f.Windows = PostClosureWindows(c.ClosedOn, f.Settings.PostClosureMonths, dates)
	}
	if f.Referrals, err = loadReferrals(ctx, q, c); err != nil {
		return nil, err
	}
	if f.Closures, err = loadClosures(ctx, q, c.orgID, c.ID); err != nil {
		return nil, err
	}
	if f.Assignments, err = loadAssignments(ctx, q, c.orgID, c.ID); err != nil {
		return nil, err
	}
	if f.Timeline, err = s.timeline(ctx, q, c); err != nil {
		return nil, err
	}
	if err := s.actions(ctx, p, f); err != nil {
		return nil, err
	}
	return f, nil
}

// actions works out what p may do with the case now.
func (s *CaseService) actions(ctx context.Context, p *authz.Principal, f *CaseFile) error {
	c := f.Case
	can := &f.Can
	write := p.Scope(PermCaseWrite).Allows(c.obj())
	pendingKinds := map[string]bool{}
	rejectedOpen, othersRejection := false, false
	f.Rejections = []Rejection{}
	for _, a := range f.Approvals {
		if a.Status == string(approval.Rejected) {
			r := Rejection{Kind: a.Kind, KindLabel: a.KindLabel}
			for _, e := range a.History {
				if e.Action == string(approval.ActReject) {
					r.By, r.At, r.Comment = e.User, e.At, e.Comment
				}
			}
			f.Rejections = append(f.Rejections, r)
		}
		switch a.Status {
		case string(approval.Pending):
			pendingKinds[a.Kind] = true
			ap, err := s.Approvals.Get(ctx, p, a.ID)
			if err != nil && app.ErrorCode(err) != app.ENotFound {
				return err
			}
			if ap != nil && ap.Can != nil && ap.Can.Decide {
				pa := &PendingAction{ApprovalID: a.ID, Version: a.Version, Kind: a.Kind, KindLabel: a.KindLabel}
				if ap.Can.ActingFor != nil {
					pa.ActingFor = ap.Can.ActingFor.Name
				}
				can.Decide = pa
			}
		case string(approval.Rejected):
			if a.Kind == KindOpen {
				rejectedOpen = true
				othersRejection = a.SubmitterID != p.UserID
			}
		}
		if (a.Status == string(approval.Pending) || a.Status == string(approval.Rejected)) && a.SubmitterID == p.UserID {
			can.Withdraw = append(can.Withdraw, PendingAction{ApprovalID: a.ID, Version: a.Version, Kind: a.Kind,
				KindLabel: a.KindLabel})
		}
	}
	if write {
		can.EditIntake = beforeOpening(c.State)
		can.Assess = beforeOpening(c.State) || c.State == StateOpen
		can.Plan = c.State == StateAssessment || c.State == StatePlanned || c.State == StateOpen
		// A rejected opening is resubmitted by whoever submitted it.
		can.Submit = c.State == StatePlanned && len(c.Goals) > 0 && !othersRejection
		can.Resubmit = can.Submit && rejectedOpen
		can.Followup = c.State == StateOpen
		can.Refer = c.State == StateOpen && !pendingKinds[KindReferral]
		can.Close = c.State == StateOpen
		can.PostClosure = c.State == StatePostClosure
		can.Reopen = c.State == StatePostClosure || c.State == StateArchived
	}
	live := false
	for _, a := range f.Approvals {
		if a.Status == string(approval.Pending) || a.Status == string(approval.Rejected) {
			live = true
		}
	}
	can.Reassign = p.Scope(PermCaseReassign).Allows(c.obj()) && !live && c.State != StateReferred &&
		c.State != StateArchived
	if c.State == StateReferred && p.StaffID != 0 {
		for i := range f.Referrals {
			r := &f.Referrals[i]
			if r.Status == ReferralAwaiting && r.ToStaffID == p.StaffID {
				can.Respond = r
			}
		}
	}
	return nil
}

const sqlConsentLines = `SELECT signed_on, signer_name, relationship FROM client_consents
	WHERE org_id = $1 AND client_id = $2 ORDER BY signed_on, id`

func loadConsentLines(ctx context.Context, q db.Querier, orgID, clientID int64) ([]ConsentLine, error) {
	rows, err := q.QueryContext(ctx, sqlConsentLines, orgID, clientID)
	if err != nil {
		return nil, fmt.Errorf("cases: consents: %w", err)
	}
	defer rows.Close()
	out := []ConsentLine{}
	for rows.Next() {
		var c ConsentLine
		var signer string
		if err := rows.Scan(&c.SignedOn, &signer, &c.Relationship); err != nil {
			return nil, err
		}
		c.Signer = pii.MaskName(signer)
		c.Relationship = ConsentRelationshipLabel(c.Relationship)
		out = append(out, c)
	}
	return out, rows.Err()
}

// The case file reads the approval tables directly rather than through the
// engine's Get, because whoever may read the case reads its whole approval
// history, including requests filed by an earlier worker.
const (
	sqlCaseApprovals = `SELECT a.id, a.kind, a.status, a.round, a.version, a.submitter_id, u.display_name, a.submitted_at,
		a.decided_at FROM approvals a JOIN users u ON u.org_id = a.org_id AND u.id = a.submitter_id
		WHERE a.org_id = $1 AND a.subject_type = 'case' AND a.subject_id = $2 ORDER BY a.id`
	sqlCaseApprovalEvents = `SELECT e.approval_id, e.round, COALESCE(st.name, ''), e.action, u.display_name,
		COALESCE(fu.display_name, ''), e.at, e.comment
		FROM approval_events e
		JOIN approvals a ON a.org_id = e.org_id AND a.id = e.approval_id
		JOIN users u ON u.org_id = e.org_id AND u.id = e.user_id
		LEFT JOIN users fu ON fu.org_id = e.org_id AND fu.id = e.acting_for
		LEFT JOIN approval_steps st ON st.org_id = e.org_id AND st.id = e.step_id
		WHERE e.org_id = $1 AND a.subject_type = 'case' AND a.subject_id = $2 ORDER BY e.id`
	sqlCaseApprovalWaiting = `SELECT sa.approval_id, u.display_name FROM approval_step_assignees sa
		JOIN approval_steps st ON st.org_id = sa.org_id AND st.id = sa.step_id
		JOIN approvals a ON a.org_id = sa.org_id AND a.id = sa.approval_id
		JOIN users u ON u.org_id = sa.org_id AND u.id = sa.user_id
		WHERE sa.org_id = $1 AND a.subject_type = 'case' AND a.subject_id = $2 AND st.status = 'pending'
		AND a.status = 'pending' ORDER BY u.id`
)

func loadApprovalRecords(ctx context.Context, q db.Querier, orgID, caseID int64) ([]ApprovalRecord, error) {
	rows, err := q.QueryContext(ctx, sqlCaseApprovals, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: approvals: %w", err)
	}
	out := []ApprovalRecord{}
	index := map[int64]int{}
	for rows.Next() {
		var a ApprovalRecord
		var decided sql.NullTime
		if err := rows.Scan(&a.ID, &a.Kind, &a.Status, &a.Round, &a.Version, &a.SubmitterID, &a.Submitter,
			&a.SubmittedAt, &decided); err != nil {
			rows.Close()
			return nil, err
		}
		a.DecidedAt = decided.Time
		a.KindLabel = KindName(a.Kind)
		a.StatusLabel = approval.Status(a.Status).Name()
		a.StatusTag = approvalTag(a.Status)
		a.History = []ApprovalStep{}
		index[a.ID] = len(out)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, sqlCaseApprovalEvents, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: approval events: %w", err)
	}
	for rows.Next() {
		var aid int64
		var e ApprovalStep
		if err := rows.Scan(&aid, &e.Round, &e.StepName, &e.Action, &e.User, &e.ActingFor, &e.At, &e.Comment); err != nil {
			rows.Close()
			return nil, err
		}
		e.ActionLbl = approval.Action(e.Action).Name()
		if i, ok := index[aid]; ok {
			out[i].History = append(out[i].History, e)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, sqlCaseApprovalWaiting, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: approval assignees: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var aid int64
		var name string
		if err := rows.Scan(&aid, &name); err != nil {
			return nil, err
		}
		if i, ok := index[aid]; ok {
			out[i].Waiting = append(out[i].Waiting, name)
		}
	}
	return out, rows.Err()
}

const sqlCaseEvents = `SELECT e.at, COALESCE(u.display_name, ''), e.detail, e.comment FROM case_events e
	LEFT JOIN users u ON u.org_id = e.org_id AND u.id = e.user_id
	WHERE e.org_id = $1 AND e.case_id = $2 ORDER BY e.id`

// timeline is the case history in the order things happened; the decisions
// on the case's requests are in it with their comments.
func (s *CaseService) timeline(ctx context.Context, q db.Querier, c *Case) ([]TimelineItem, error) {
	rows, err := q.QueryContext(ctx, sqlCaseEvents, c.orgID, c.ID)
	if err != nil {
		return nil, fmt.Errorf("cases: events: %w", err)
	}
	defer rows.Close()
	out := []TimelineItem{}
	for rows.Next() {
		var it TimelineItem
		if err := rows.Scan(&it.At, &it.Who, &it.What, &it.Comment); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
