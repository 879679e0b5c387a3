package approval

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

const sqlSelectApproval = `SELECT a.id, a.org_id, a.kind, a.subject_type, a.subject_id, a.title, a.submitter_id,
	u.display_name, COALESCE(a.submitter_staff_id, 0), COALESCE(a.site_id, 0), COALESCE(si.name, ''), a.amount_fen,
	a.status, a.round, a.current_step, COALESCE(cs.name, ''), a.version, a.submitted_at, a.decided_at, a.created_at
	FROM approvals a
	JOIN users u ON u.org_id = a.org_id AND u.id = a.submitter_id
	LEFT JOIN sites si ON si.org_id = a.org_id AND si.id = a.site_id
	LEFT JOIN approval_steps cs ON cs.org_id = a.org_id AND cs.approval_id = a.id AND cs.round = a.round
		AND cs.seq = a.current_step`

const sqlLoad = sqlSelectApproval + ` WHERE a.org_id = $1 AND a.id = $2`

type scanner interface{ Scan(dest ...any) error }

func (s *Service) scanApproval(r scanner) (*Approval, error) {
	var a Approval
	var amount int64
	var decided sql.NullTime
	if err := r.Scan(&a.ID, &a.OrgID, &a.Kind, &a.SubjectType, &a.SubjectID, &a.Title, &a.SubmitterID,
		&a.SubmitterName, &a.SubmitterStaffID, &a.SiteID, &a.SiteName, &amount, &a.Status, &a.Round,
		&a.CurrentStep, &a.CurrentStepName, &a.Version, &a.SubmittedAt, &decided, &a.CreatedAt); err != nil {
		return nil, err
	}
	a.AmountFen = app.Fen(amount)
	a.DecidedAt = decided.Time
	a.KindName = s.kindName(a.Kind)
	a.StatusName = a.Status.Name()
	return &a, nil
}

// load reads one request of the organization, without checking who asks.
func (s *Service) load(ctx context.Context, q db.Querier, orgID, id int64) (*Approval, error) {
	a, err := s.scanApproval(q.QueryRowContext(ctx, sqlLoad, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("approval: load %d: %w", id, err)
	}
	return a, nil
}

const sqlTakesPart = `SELECT CASE WHEN
	EXISTS (SELECT 1 FROM approval_step_assignees WHERE org_id = $1 AND approval_id = $2 AND user_id = $3)
	OR EXISTS (SELECT 1 FROM approval_events WHERE org_id = $1 AND approval_id = $2 AND user_id = $3)
	OR EXISTS (SELECT 1 FROM approval_step_assignees sa
		JOIN approval_steps st ON st.org_id = sa.org_id AND st.id = sa.step_id
		JOIN approval_delegations d ON d.org_id = sa.org_id AND d.from_user_id = sa.user_id
		WHERE sa.org_id = $1 AND sa.approval_id = $2 AND st.status = 'pending' AND d.to_user_id = $3
		AND d.start_date <= $4 AND d.end_date >= $4 AND d.cancelled_at IS NULL)
	THEN 1 ELSE 0 END`

// canView reports whether p may read a: the submitter, anyone who was ever
// asked to decide or acted on it, a current stand-in of an approver, and the
// roles PermView grants.
func (s *Service) canView(ctx context.Context, q db.Querier, p *authz.Principal, a *Approval, today app.Date) (bool, error) {
	if a.OrgID != p.OrgID {
		return false, nil
	}
	if a.SubmitterID == p.UserID {
		return true, nil
	}
	obj := authz.Obj{OrgID: a.OrgID, OwnerID: a.SubmitterStaffID}
	if a.SiteID != 0 {
		obj.SiteIDs = []int64{a.SiteID}
	}
	if p.Scope(PermView).Allows(obj) {
		return true, nil
	}
	var n int
	if err := q.QueryRowContext(ctx, sqlTakesPart, a.OrgID, a.ID, p.UserID, today).Scan(&n); err != nil {
		return false, fmt.Errorf("approval: check visibility: %w", err)
	}
	return n == 1, nil
}

const (
	sqlSteps = `SELECT s.id, s.round, s.seq, s.name, s.approver, s.status, s.started_at,
		COALESCE(s.decided_by, 0), COALESCE(du.display_name, ''), COALESCE(s.acting_for, 0),
		COALESCE(fu.display_name, ''), s.decided_at, s.comment
		FROM approval_steps s
		LEFT JOIN users du ON du.org_id = s.org_id AND du.id = s.decided_by
		LEFT JOIN users fu ON fu.org_id = s.org_id AND fu.id = s.acting_for
		WHERE s.org_id = $1 AND s.approval_id = $2 ORDER BY s.round, s.seq`
	sqlAssignees = `SELECT sa.step_id, u.id, u.display_name FROM approval_step_assignees sa
		JOIN users u ON u.org_id = sa.org_id AND u.id = sa.user_id
		WHERE sa.org_id = $1 AND sa.approval_id = $2 ORDER BY sa.step_id, u.id`
	sqlEvents = `SELECT e.id, e.round, COALESCE(s.name, ''), e.action, e.user_id, u.display_name,
		COALESCE(e.acting_for, 0), COALESCE(fu.display_name, ''), e.at, e.comment
		FROM approval_events e
		JOIN users u ON u.org_id = e.org_id AND u.id = e.user_id
		LEFT JOIN approval_steps s ON s.org_id = e.org_id AND s.id = e.step_id
		LEFT JOIN users fu ON fu.org_id = e.org_id AND fu.id = e.acting_for
		WHERE e.org_id = $1 AND e.approval_id = $2 ORDER BY e.id`
)

// Get returns a request with its steps of every round, its history and what
// p may do with it now. A request p may not see is not found.
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (*Approval, error) {
	if err := agencyUser(p); err != nil {
		return nil, errNotFound
	}
	q, today := s.DB.R, s.today()
	a, err := s.load(ctx, q, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	visible, err := s.canView(ctx, q, p, a, today)
	if err != nil {
		return nil, err
	}
	if !visible {
		return nil, errNotFound
	}
	if a.Steps, err = loadSteps(ctx, q, a); err != nil {
		return nil, err
	}
	if a.Events, err = loadEvents(ctx, q, a); err != nil {
		return nil, err
	}
	a.Can = &Actions{}
	if a.SubmitterID == p.UserID {
		a.Can.Withdraw = a.Status == Pending || a.Status == Rejected
		a.Can.Resubmit = a.Status == Rejected
	} else if a.Status == Pending {
		for _, st := range a.Steps {
			if st.Round != a.Round || st.Status != StepPending {
				continue
			}
			may, actingFor, err := authority(ctx, q, a.OrgID, st.ID, p.UserID, today)
			if err != nil {
				return nil, err
			}
			a.Can.Decide = may
			if actingFor != 0 {
				a.Can.ActingFor = &User{ID: actingFor, Name: userName(ctx, q, a.OrgID, actingFor)}
			}
		}
	}
	return a, nil
}

func loadSteps(ctx context.Context, q db.Querier, a *Approval) ([]Step, error) {
	rows, err := q.QueryContext(ctx, sqlSteps, a.OrgID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("approval: steps: %w", err)
	}
	var steps []Step
	index := map[int64]int{}
	for rows.Next() {
		var st Step
		var started, decided sql.NullTime
		var by, forID int64
		var byName, forName string
		if err := rows.Scan(&st.ID, &st.Round, &st.Seq, &st.Name, &st.Approver, &st.Status, &started, &by, &byName,
			&forID, &forName, &decided, &st.Comment); err != nil {
			rows.Close()
			return nil, err
		}
		st.StatusName = st.Status.Name()
		st.StartedAt, st.DecidedAt = started.Time, decided.Time
		if by != 0 {
			st.DecidedBy = &User{ID: by, Name: byName}
		}
		if forID != 0 {
			st.ActingFor = &User{ID: forID, Name: forName}
		}
		index[st.ID] = len(steps)
		steps = append(steps, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, sqlAssignees, a.OrgID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("approval: assignees: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var stepID int64
		var u User
		if err := rows.Scan(&stepID, &u.ID, &u.Name); err != nil {
			return nil, err
		}
		if i, ok := index[stepID]; ok {
			steps[i].Assignees = append(steps[i].Assignees, u)
		}
	}
	return steps, rows.Err()
}

func loadEvents(ctx context.Context, q db.Querier, a *Approval) ([]Event, error) {
	rows, err := q.QueryContext(ctx, sqlEvents, a.OrgID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("approval: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var forID int64
		var forName string
		if err := rows.Scan(&e.ID, &e.Round, &e.StepName, &e.Action, &e.User.ID, &e.User.Name, &forID, &forName,
			&e.At, &e.Comment); err != nil {
			return nil, err
		}
		e.ActionName = e.Action.Name()
		if forID != 0 {
			e.ActingFor = &User{ID: forID, Name: forName}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const sqlUserName = `SELECT display_name FROM users WHERE org_id = $1 AND id = $2`

// userName is for messages; a missing user shows as its number.
func userName(ctx context.Context, q db.Querier, orgID, userID int64) string {
	var name string
	if err := q.QueryRowContext(ctx, sqlUserName, orgID, userID).Scan(&name); err != nil {
		return "#" + strconv.FormatInt(userID, 10)
	}
	return name
}

// TodoItem is a request waiting for the user's decision.
type TodoItem struct {
	ApprovalID    int64     `json:"approval_id"`
	Kind          string    `json:"kind"`
	KindName      string    `json:"kind_name"`
	Title         string    `json:"title"`
	SubmitterName string    `json:"submitter_name"`
	SiteName      string    `json:"site_name,omitempty"`
	AmountFen     app.Fen   `json:"amount_fen"`
	Round         int       `json:"round"`
	StepName      string    `json:"step_name"`
	Version       int64     `json:"version"`
	SubmittedAt   time.Time `json:"submitted_at"`
	WaitingSince  time.Time `json:"waiting_since"` // when the step became current
	Overdue       bool      `json:"overdue"`       // waiting longer than OverdueAfter
	ActingFor     *User     `json:"acting_for,omitempty"`
}

const (
	todoFrom = ` FROM approval_step_assignees sa
	JOIN approval_steps s ON s.org_id = sa.org_id AND s.id = sa.step_id
	JOIN approvals a ON a.org_id = s.org_id AND a.id = s.approval_id`
	// todoWhere selects the current steps assigned to $2, or to someone $2
	// stands in for on $3, of requests $2 did not submit. The assignees are
	// one IN list (not "= $2 OR IN (…)") so that the lookup starts from
	// them by index instead of from every pending step of the organization.
	todoWhere = ` WHERE sa.org_id = $1 AND s.status = 'pending' AND a.status = 'pending' AND a.submitter_id <> $2
	AND sa.user_id IN (SELECT CAST($2 AS BIGINT) UNION ALL SELECT d.from_user_id FROM approval_delegations d
		WHERE d.org_id = $1 AND d.to_user_id = $2 AND d.start_date <= $3 AND d.end_date >= $3
		AND d.cancelled_at IS NULL)`
	sqlTodo = `SELECT a.id, a.kind, a.title, u.display_name, COALESCE(si.name, ''), a.amount_fen, a.round, s.name,
	a.version, a.submitted_at, s.started_at, sa.user_id, au.display_name` + todoFrom + `
	JOIN users u ON u.org_id = a.org_id AND u.id = a.submitter_id
	JOIN users au ON au.org_id = sa.org_id AND au.id = sa.user_id
	LEFT JOIN sites si ON si.org_id = a.org_id AND si.id = a.site_id` + todoWhere + `
	ORDER BY s.started_at, a.id, sa.user_id`
	sqlTodoCount = `SELECT COUNT(DISTINCT a.id)` + todoFrom + todoWhere
)

// Todo lists the requests waiting for p's decision, oldest first: those of
// steps p is an approver of, and those of approvers p stands in for today.
func (s *Service) Todo(ctx context.Context, p *authz.Principal) ([]TodoItem, error) {
	if agencyUser(p) != nil {
		return nil, nil
	}
	rows, err := s.DB.R.QueryContext(ctx, sqlTodo, p.OrgID, p.UserID, s.today())
	if err != nil {
		return nil, fmt.Errorf("approval: todo: %w", err)
	}
	defer rows.Close()
	var out []TodoItem
	now := s.Now()
	seen := map[int64]int{}
	for rows.Next() {
		var it TodoItem
		var amount, assignee int64
		var assigneeName string
		var started sql.NullTime
		if err := rows.Scan(&it.ApprovalID, &it.Kind, &it.Title, &it.SubmitterName, &it.SiteName, &amount, &it.Round,
			&it.StepName, &it.Version, &it.SubmittedAt, &started, &assignee, &assigneeName); err != nil {
			return nil, err
		}
		it.AmountFen = app.Fen(amount)
		it.KindName = s.kindName(it.Kind)
		it.WaitingSince = started.Time
		it.Overdue = s.OverdueAfter > 0 && now.Sub(it.WaitingSince) > s.OverdueAfter
		if assignee != p.UserID {
			it.ActingFor = &User{ID: assignee, Name: assigneeName}
		}
		// A request reached both directly and as a stand-in is listed once,
		// as the user's own.
		if i, ok := seen[it.ApprovalID]; ok {
			if it.ActingFor == nil {
				out[i].ActingFor = nil
			}
			continue
		}
		seen[it.ApprovalID] = len(out)
		out = append(out, it)
	}
	return out, rows.Err()
}

// TodoCount is the number of requests Todo lists, for the top bar.
func (s *Service) TodoCount(ctx context.Context, p *authz.Principal) (int, error) {
	if agencyUser(p) != nil {
		return 0, nil
	}
	var n int
	if err := s.DB.R.QueryRowContext(ctx, sqlTodoCount, p.OrgID, p.UserID, s.today()).Scan(&n); err != nil {
		return 0, fmt.Errorf("approval: todo count: %w", err)
	}
	return n, nil
}

// MineFilter narrows the list of one's own requests.
type MineFilter struct {
	Status Status // "" for all
	Kind   string // "" for all
}

// mineSort maps the sort keys of the list to columns.
var mineSort = map[string]string{"submitted": "a.submitted_at", "title": "a.title", "kind": "a.kind",
	"status": "a.status", "amount": "a.amount_fen"}

// Mine lists the requests p submitted, newest first unless q sorts
// otherwise, and their total.
func (s *Service) Mine(ctx context.Context, p *authz.Principal, f MineFilter, q app.ListQuery) ([]Approval, int, error) {
	if agencyUser(p) != nil {
		return nil, 0, nil
	}
	var args app.Args
	where := " WHERE a.org_id = " + args.Add(p.OrgID) + " AND a.submitter_id = " + args.Add(p.UserID)
	if f.Status != "" {
		where += " AND a.status = " + args.Add(string(f.Status))
	}
	if f.Kind != "" {
		where += " AND a.kind = " + args.Add(f.Kind)
	}
	if q.Q != "" {
		where += " AND a.title LIKE " + args.Add(db.Like(q.Q)) + ` ESCAPE '\'`
	}
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM approvals a"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("approval: count mine: %w", err)
	}
	order := " ORDER BY a.submitted_at DESC, a.id DESC"
	if q.Sort != "" {
		order = q.OrderBy(mineSort, "submitted", "a.id DESC")
	}
	rows, err := s.DB.R.QueryContext(ctx, sqlSelectApproval+where+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("approval: mine: %w", err)
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		a, err := s.scanApproval(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *a)
	}
	return out, total, rows.Err()
}
