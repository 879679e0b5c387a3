// Package approval is the one approval mechanism every business area uses
// (SPEC P6): case opening, referral, closure, leave, transfer, fund advance,
// reimbursement, payroll and the performance pool.
//
// A business area registers a Workflow: an ordered list of steps, each with
// an approver Rule (by role and by relation to the request: the submitter's
// supervisor, the head of the request's service point, the director…) and an
// optional condition. Submitting lays out the steps of a round; each step's
// approvers are resolved when it becomes current and kept in
// approval_step_assignees, which the to-do list reads. A rejected request can
// be corrected and resubmitted as a new round; every round, decision and
// comment stays in the history. When a request reaches its outcome, the
// workflow's OnDecided hook runs in the same transaction, so the owning record
// (the case, the claim) changes together with the approval.
package approval

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Status is the state of a request.
type Status string

const (
	Pending   Status = "pending"
	Approved  Status = "approved"
	Rejected  Status = "rejected"
	Withdrawn Status = "withdrawn"
)

// Name is the Chinese label of the status.
func (s Status) Name() string {
	switch s {
	case Pending:
		return "审批中"
	case Approved:
		return "已通过"
	case Rejected:
		return "已驳回"
	case Withdrawn:
		return "已撤回"
	}
	return string(s)
}

// StepStatus is the state of one step of a round.
type StepStatus string

const (
	StepWaiting   StepStatus = "waiting"   // a later step of the current round
	StepPending   StepStatus = "pending"   // the current step
	StepApproved  StepStatus = "approved"  // agreed
	StepRejected  StepStatus = "rejected"  // sent back
	StepSkipped   StepStatus = "skipped"   // its condition did not hold
	StepCancelled StepStatus = "cancelled" // never reached: rejected or withdrawn before
)

// Name is the Chinese label of the step status.
func (s StepStatus) Name() string {
	switch s {
	case StepWaiting:
		return "未开始"
	case StepPending:
		return "审批中"
	case StepApproved:
		return "同意"
	case StepRejected:
		return "驳回"
	case StepSkipped:
		return "无需审批"
	case StepCancelled:
		return "未进行"
	}
	return string(s)
}

// Action is what an event records.
type Action string

const (
	ActSubmit   Action = "submit"
	ActApprove  Action = "approve"
	ActReject   Action = "reject"
	ActResubmit Action = "resubmit"
	ActWithdraw Action = "withdraw"
)

// Name is the Chinese label of the action.
func (a Action) Name() string {
	switch a {
	case ActSubmit:
		return "提交申请"
	case ActApprove:
		return "同意"
	case ActReject:
		return "驳回"
	case ActResubmit:
		return "修改后重新提交"
	case ActWithdraw:
		return "撤回申请"
	}
	return string(a)
}

// Decision is an approver's answer.
type Decision string

const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
)

// MaxComment is the longest comment, in characters.
const MaxComment = 500

// Subject is what conditions and approver rules know about a request.
type Subject struct {
	OrgID            int64
	Kind             string
	Type             string // the owning record's type, e.g. "case"
	ID               int64  // the owning record's id
	Title            string
	SiteID           int64 // 0 when the request belongs to no service point
	SiteName         string
	AmountFen        app.Fen
	SubmitterID      int64 // user
	SubmitterStaffID int64 // 0 when the submitter is not a staff member
}

// StepDef is one step of a workflow.
type StepDef struct {
	Name     string // e.g. "中心负责人审批"
	Approver Rule
	// When, if set, decides whether the step applies to a request, e.g. only
	// above an amount. It is evaluated when a round starts.
	When func(Subject) bool
}

// Workflow is a kind of request and its steps. Business areas register theirs
// with Service.Register when they start.
type Workflow struct {
	Kind  string // stable code, e.g. "general", "case.open"
	Name  string // Chinese, e.g. "通用事项申请"
	Steps []StepDef
	// OnDecided, if set, runs in the transaction that gives the request its
	// outcome: approved, rejected or withdrawn (a.Status says which). An error
	// undoes the decision.
	OnDecided func(ctx context.Context, tx *sql.Tx, a *Approval) error
}

// User is a user as approval screens show them.
type User struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Approval is one request.
type Approval struct {
	ID               int64     `json:"id"`
	OrgID            int64     `json:"-"`
	Kind             string    `json:"kind"`
	KindName         string    `json:"kind_name"`
	SubjectType      string    `json:"subject_type"`
	SubjectID        int64     `json:"subject_id"`
	Title            string    `json:"title"`
	SubmitterID      int64     `json:"submitter_id"`
	SubmitterName    string    `json:"submitter_name"`
	SubmitterStaffID int64     `json:"submitter_staff_id,omitempty"`
	SiteID           int64     `json:"site_id,omitempty"`
	SiteName         string    `json:"site_name,omitempty"`
	AmountFen        app.Fen   `json:"amount_fen"`
	Status           Status    `json:"status"`
	StatusName       string    `json:"status_name"`
	Round            int       `json:"round"`
	CurrentStep      int       `json:"current_step"` // seq of the pending step, 0 when none
	CurrentStepName  string    `json:"current_step_name,omitempty"`
	Version          int64     `json:"version"`
	SubmittedAt      time.Time `json:"submitted_at"`
	DecidedAt        time.Time `json:"decided_at,omitzero"`
	CreatedAt        time.Time `json:"created_at"`

	// Filled by Get.
	Steps  []Step   `json:"steps,omitempty"`
	Events []Event  `json:"events,omitempty"`
	Can    *Actions `json:"can,omitempty"`
}

// Actions says what the reading user may do with the request now.
type Actions struct {
	Decide    bool  `json:"decide"`
	ActingFor *User `json:"acting_for,omitempty"` // set when deciding as a delegate
	Withdraw  bool  `json:"withdraw"`
	Resubmit  bool  `json:"resubmit"`
}

// Step is one step of one round.
type Step struct {
	ID         int64      `json:"id"`
	Round      int        `json:"round"`
	Seq        int        `json:"seq"`
	Name       string     `json:"name"`
	Approver   string     `json:"approver"` // who decides, in words
	Status     StepStatus `json:"status"`
	StatusName string     `json:"status_name"`
	Assignees  []User     `json:"assignees,omitempty"`
	StartedAt  time.Time  `json:"started_at,omitzero"`
	DecidedBy  *User      `json:"decided_by,omitempty"`
	ActingFor  *User      `json:"acting_for,omitempty"`
	DecidedAt  time.Time  `json:"decided_at,omitzero"`
	Comment    string     `json:"comment,omitempty"`
}

// Event is one line of the history.
type Event struct {
	ID         int64     `json:"id"`
	Round      int       `json:"round"`
	StepName   string    `json:"step_name,omitempty"`
	Action     Action    `json:"action"`
	ActionName string    `json:"action_name"`
	User       User      `json:"user"`
	ActingFor  *User     `json:"acting_for,omitempty"`
	At         time.Time `json:"at"`
	Comment    string    `json:"comment,omitempty"`
}

// PermView lets a role read requests beyond those it takes part in: the
// director every request, a centre head the centre's, a supervisor the
// supervisees'. Submitters, approvers and their stand-ins always see theirs.
var PermView = authz.Define("approval.view", "查看审批申请", map[authz.Role]authz.Level{
	authz.RoleDirector:   authz.Org,
	authz.RoleCentreHead: authz.Site,
	authz.RoleSupervisor: authz.Supervised,
})

// PermDelegate lets a user name a stand-in for their approvals while away.
// Every role that may be asked to approve holds it; evaluators do not.
var PermDelegate = authz.Define("approval.delegate", "委托他人代为审批", map[authz.Role]authz.Level{
	authz.RoleOrgAdmin: authz.Own, authz.RoleDirector: authz.Own, authz.RoleServiceHead: authz.Own,
	authz.RoleAdminHead: authz.Own, authz.RoleFinanceHead: authz.Own, authz.RoleCentreHead: authz.Own,
	authz.RoleSupervisor: authz.Own, authz.RoleWorker: authz.Own, authz.RoleCentreFinance: authz.Own,
	authz.RoleAccountant: authz.Own, authz.RoleHR: authz.Own,
})

// DefaultOverdueAfter is how long a step may wait before the to-do list
// marks it overdue.
const DefaultOverdueAfter = 72 * time.Hour

// Service runs the workflows.
type Service struct {
	DB  *db.DB
	Now func() time.Time
	// OverdueAfter is how long a step may wait before it shows as overdue.
	OverdueAfter time.Duration

	mu    sync.RWMutex
	flows map[string]*Workflow
}

// New returns a service with no workflows registered.
func New(d *db.DB, now func() time.Time) *Service {
	return &Service{DB: d, Now: now, OverdueAfter: DefaultOverdueAfter, flows: map[string]*Workflow{}}
}

// Register adds a workflow. A malformed or duplicate workflow is a
// programming error and panics at start.
func (s *Service) Register(w Workflow) {
	if w.Kind == "" || w.Name == "" || len(w.Steps) == 0 {
		panic("approval: workflow needs a kind, a name and steps")
	}
	for i, st := range w.Steps {
		if st.Name == "" || st.Approver == nil {
			panic(fmt.Sprintf("approval: workflow %s step %d needs a name and an approver", w.Kind, i+1))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.flows[w.Kind]; dup {
		panic("approval: workflow registered twice: " + w.Kind)
	}
	s.flows[w.Kind] = &w
}

// Workflows returns the registered workflows sorted by kind, for filters.
func (s *Service) Workflows() []Workflow {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Workflow, 0, len(s.flows))
	for _, w := range s.flows {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b Workflow) int { return strings.Compare(a.Kind, b.Kind) })
	return out
}

// Workflow returns the registered workflow of kind.
func (s *Service) Workflow(kind string) (*Workflow, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.flows[kind]
	return w, ok
}

func (s *Service) kindName(kind string) string {
	if w, ok := s.Workflow(kind); ok {
		return w.Name
	}
	return kind
}

// today is the calendar date, in the agencies' time zone, that delegations
// and assignments are checked on.
func (s *Service) today() app.Date { return app.Today(s.Now()) }

var errNotFound = app.ErrNotFound("审批申请")

var errConflict = app.Errorf(app.EConflict, "该申请已被他人处理，请刷新后查看")
