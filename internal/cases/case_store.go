package cases

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
	"shegong/internal/pii"
	"shegong/internal/tally"
)

// Goal is one goal of a case's service plan.
type Goal struct {
	ID              int64  `json:"id"`
	Seq             int    `json:"seq"`
	Title           string `json:"title"`
	Measure         string `json:"measure"`
	Attainment      string `json:"attainment,omitempty"`
	AttainmentLabel string `json:"attainment_label,omitempty"`
	AttainmentNote  string `json:"attainment_note,omitempty"`
	// Progress is the latest progress a follow-up recorded.
	Progress      string `json:"progress,omitempty"`
	ProgressLabel string `json:"progress_label,omitempty"`
}

// Case is a case as its pages and the API show it. The client's name is
// masked; the client register reveals it to those entitled.
type Case struct {
	ID                int64     `json:"id"`
	Number            string    `json:"number"`
	ClientID          int64     `json:"client_id"`
	ClientCode        string    `json:"client_code"`
	ClientName        string    `json:"client_name_masked"`
	ClientGender      string    `json:"client_gender"`
	ClientAge         int       `json:"client_age"`
	SiteID            int64     `json:"site_id"`
	SiteName          string    `json:"site_name"`
	WorkerID          int64     `json:"worker_id"`
	WorkerName        string    `json:"worker_name"`
	State             string    `json:"state"`
	StateLabel        string    `json:"state_label"`
	RiskLevel         string    `json:"risk_level"`
	RiskLabel         string    `json:"risk_label"`
	Source            string    `json:"source"`
	SourceLabel       string    `json:"source_label"`
	IntakeDate        app.Date  `json:"intake_date"`
	PresentingProblem string    `json:"presenting_problem"`
	IntakeNote        string    `json:"intake_note"`
	AssessedOn        app.Date  `json:"assessed_on"`
	Assessment        string    `json:"assessment"`
	Needs             string    `json:"needs"`
	Strengths         string    `json:"strengths"`
	PlannedOn         app.Date  `json:"planned_on"`
	PlanStrategy      string    `json:"plan_strategy"`
	PlanEnd           app.Date  `json:"plan_end"`
	OpenedOn          app.Date  `json:"opened_on"`
	ClosedOn          app.Date  `json:"closed_on"`
	PostClosureUntil  app.Date  `json:"post_closure_until"`
	ArchivedOn        app.Date  `json:"archived_on"`
	Goals             []Goal    `json:"goals"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Version           int64     `json:"version"`

	orgID      int64
	clientName string
	birthDate  app.Date
}

func (c *Case) obj() authz.Obj {
	return authz.Obj{OrgID: c.orgID, OwnerID: c.WorkerID, SiteIDs: []int64{c.SiteID}}
}

func (c *Case) fill(today app.Date) {
	c.StateLabel = StateLabel(c.State)
	c.RiskLabel = RiskLabel(c.RiskLevel)
	c.SourceLabel = SourceLabel(c.Source)
	c.ClientCode = ClientCode(c.ClientID)
	c.ClientName = pii.MaskName(c.clientName)
	c.ClientAge = ClientAge(c.birthDate, today)
	if c.Goals == nil {
		c.Goals = []Goal{}
	}
}

// Title names the case in messages and to-do lists: its number and the
// client's masked name.
func (c *Case) Title() string { return c.Number + "（" + c.ClientName + "）" }

const sqlCaseSelect = `SELECT c.id, c.org_id, c.number, c.client_id, cl.name, cl.gender, cl.birth_date, c.site_id, si.name,
	c.worker_id, st.name, c.state, c.risk_level, c.source, c.intake_date, c.presenting_problem, c.intake_note,
	c.assessed_on, c.assessment, c.needs, c.strengths, c.planned_on, c.plan_strategy, c.plan_end,
	c.opened_on, c.closed_on, c.post_closure_until, c.archived_on, c.created_at, c.updated_at, c.version
	FROM cases c
	JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id
	JOIN sites si ON si.org_id = c.org_id AND si.id = c.site_id
	JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id`

type caseScanner interface{ Scan(dest ...any) error }

func scanCase(r caseScanner) (*Case, error) {
	var c Case
	if err := r.Scan(&c.ID, &c.orgID, &c.Number, &c.ClientID, &c.clientName, &c.ClientGender, &c.birthDate, &c.SiteID,
		&c.SiteName, &c.WorkerID, &c.WorkerName, &c.State, &c.RiskLevel, &c.Source, &c.IntakeDate,
		&c.PresentingProblem, &c.IntakeNote, &c.AssessedOn, &c.Assessment, &c.Needs, &c.Strengths, &c.PlannedOn,
		&c.PlanStrategy, &c.PlanEnd, &c.OpenedOn, &c.ClosedOn, &c.PostClosureUntil, &c.ArchivedOn, &c.CreatedAt,
		&c.UpdatedAt, &c.Version); err != nil {
		return nil, err
	}
	return &c, nil
}

var errCaseNotFound = app.ErrNotFound("个案")

// loadCase reads a case of the organization without checking who asks.
func (s *CaseService) loadCase(ctx context.Context, q db.Querier, orgID, id int64) (*Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, sqlCaseSelect+` WHERE c.org_id = $1 AND c.id = $2`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCaseNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("cases: load case %d: %w", id, err)
	}
	c.fill(s.today())
	return c, nil
}

const sqlAwaitingReceiver = `SELECT COUNT(*) FROM case_referrals
	WHERE org_id = $1 AND case_id = $2 AND status = 'awaiting' AND to_staff_id = $3`

// caseFor reads a case the caller may act on under perm. A case outside the
// caller's scope is not found. The receiver of an internal referral waiting
// for their answer may read the case under any case permission they hold.
func (s *CaseService) caseFor(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm, id int64) (*Case, error) {
	if p == nil || p.OrgID == 0 || p.IsPlatform() || !p.Can(perm) {
		return nil, errCaseNotFound
	}
	c, err := s.loadCase(ctx, q, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	if p.Scope(perm).Allows(c.obj()) {
		return c, nil
	}
	if c.State == StateReferred && p.StaffID != 0 {
		var n int
		if err := q.QueryRowContext(ctx, sqlAwaitingReceiver, p.OrgID, c.ID, p.StaffID).Scan(&n); err != nil {
			return nil, fmt.Errorf("cases: check receiver: %w", err)
		}
		if n > 0 {
			return c, nil
		}
	}
	return nil, errCaseNotFound
}

const sqlGoals = `SELECT g.id, g.seq, g.title, g.measure, g.attainment, g.attainment_note,
	COALESCE((SELECT gp.progress FROM case_goal_progress gp
		JOIN case_followups f ON f.org_id = gp.org_id AND f.id = gp.followup_id
		WHERE gp.org_id = g.org_id AND gp.goal_id = g.id ORDER BY f.held_on DESC, f.id DESC LIMIT 1), '')
	FROM case_goals g WHERE g.org_id = $1 AND g.case_id = $2 ORDER BY g.seq, g.id`

func loadGoals(ctx context.Context, q db.Querier, orgID, caseID int64) ([]Goal, error) {
	rows, err := q.QueryContext(ctx, sqlGoals, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: goals: %w", err)
	}
	defer rows.Close()
	out := []Goal{}
	for rows.Next() {
		var g Goal
		if err := rows.Scan(&g.ID, &g.Seq, &g.Title, &g.Measure, &g.Attainment, &g.AttainmentNote, &g.Progress); err != nil {
			return nil, err
		}
		if g.Attainment != "" {
			g.AttainmentLabel = AttainmentLabel(g.Attainment)
		}
		if g.Progress != "" {
			g.ProgressLabel = ProgressLabel(g.Progress)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Get returns a case with its goals to a caller who may read it, without
// the rest of the file and without an audit row; pages that show the file
// use File.
func (s *CaseService) Get(ctx context.Context, p *authz.Principal, id int64) (*Case, error) {
	c, err := s.caseFor(ctx, s.DB.R, p, PermCaseRead, id)
	if err != nil {
		return nil, err
	}
	if c.Goals, err = loadGoals(ctx, s.DB.R, c.orgID, c.ID); err != nil {
		return nil, err
	}
	return c, nil
}

// bumpCase moves a case to state with the version check; extra columns are
// set too ("col = $n" pieces with their values after the fixed ones).
func bumpCase(ctx context.Context, tx *sql.Tx, c *Case, now time.Time, state string, set string, args ...any) error {
	q := `UPDATE cases SET state = $4, version = version + 1, updated_at = $5` + set +
		` WHERE org_id = $1 AND id = $2 AND version = $3`
	all := append([]any{c.orgID, c.ID, c.Version, state, now.UTC()}, args...)
	// The case's opening date, service point and worker are what 个案
	// counts by; the counters follow the case in the same transaction.
	tr, err := tally.Begin(ctx, tx, c.orgID, tally.Case(c.ID))
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, q, all...)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return app.Errorf(app.EConflict, "该服务对象已有一个未归档的个案，不能同时有两个进行中的个案")
		}
		return fmt.Errorf("cases: update case %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errStale
	}
	if err := tr.Commit(ctx, tx); err != nil {
		return err
	}
	c.Version++
	c.State = state
	return nil
}

const sqlInsertEvent = `INSERT INTO case_events (org_id, case_id, at, user_id, kind, detail, comment)
	VALUES ($1, $2, $3, $4, $5, $6, $7)`

// logEvent adds a line to the case's history and the audit log.
func logEvent(ctx context.Context, tx *sql.Tx, c *Case, at time.Time, userID int64, username, kind, detail string) error {
	return logNote(ctx, tx, c, at, userID, username, kind, detail, "")
}

// logNote is logEvent with a comment: the submitter's note or the approver's
// opinion.
func logNote(ctx context.Context, tx *sql.Tx, c *Case, at time.Time, userID int64, username, kind, detail, comment string) error {
	var uid any
	if userID != 0 {
		uid = userID
	}
	if _, err := tx.ExecContext(ctx, sqlInsertEvent, c.orgID, c.ID, at.UTC(), uid, kind, detail, comment); err != nil {
		return fmt.Errorf("cases: insert event: %w", err)
	}
	d := c.Number + "：" + detail
	if comment != "" {
		d += "；意见：" + comment
	}
	return audit.Write(ctx, tx, audit.Entry{OrgID: c.orgID, At: at, UserID: userID, Username: username,
		Action: "case." + kind, ObjectType: "case", ObjectID: strconv.FormatInt(c.ID, 10), Detail: d})
}

// agency refuses platform users and anonymous callers.
func agency(p *authz.Principal) error {
	if p == nil || p.OrgID == 0 || p.IsPlatform() {
		return app.ErrForbidden()
	}
	return nil
}

// checkText trims and bounds a free-text field.
func checkText(v *app.Validation, field, label string, s *string, required bool, max int) {
	*s = strings.TrimSpace(*s)
	if required && !v.Required(field, *s, label) {
		return
	}
	v.MaxLen(field, *s, label, max)
}

func optionalID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func trimmed(s string) string { return strings.TrimSpace(s) }
