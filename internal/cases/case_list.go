package cases

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// CaseFilter narrows the case list.
type CaseFilter struct {
	SiteID   int64
	WorkerID int64
	ClientID int64
	State    string
	Risk     string
	From, To app.Date // intake date range, inclusive
	// Behind keeps open cases short of follow-ups now: fewer than the
	// monthly minimum near the month's end, or none for the idle days.
	Behind bool
}

// CaseRow is one line of the case list.
type CaseRow struct {
	ID                 int64    `json:"id"`
	Number             string   `json:"number"`
	ClientID           int64    `json:"client_id"`
	ClientCode         string   `json:"client_code"`
	ClientName         string   `json:"client_name_masked"`
	SiteID             int64    `json:"site_id"`
	SiteName           string   `json:"site_name"`
	WorkerID           int64    `json:"worker_id"`
	WorkerName         string   `json:"worker_name"`
	State              string   `json:"state"`
	StateLabel         string   `json:"state_label"`
	RiskLevel          string   `json:"risk_level"`
	RiskLabel          string   `json:"risk_label"`
	IntakeDate         app.Date `json:"intake_date"`
	OpenedOn           app.Date `json:"opened_on"`
	ClosedOn           app.Date `json:"closed_on"`
	FollowupsThisMonth int      `json:"followups_this_month"`
	LastFollowupOn     app.Date `json:"last_followup_on"`
	Behind             bool     `json:"behind"`
}

// sortJoins are the sorts that read the client, service point or worker
// row; the others page through the cases alone (every case has all three).
var sortJoins = map[string]bool{"client": true, "site": true, "worker": true}

var caseSorts = map[string]string{
	"number":    "c.number",
	"intake":    "c.intake_date",
	"client":    "cl.name",
	"site":      "si.name",
	"worker":    "st.name",
	"state":     "c.state",
	"risk":      "CASE c.risk_level WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END",
	"followups": "month_n",
	"last":      "last_on",
}

// monthCountSQL is a case's service follow-ups in the month that begins
// on the placeholder monthStart (the current month), read from the
// figures kept on the case: its last follow-up's month count when that
// follow-up is in the month, else none (no follow-up is dated ahead of
// today).
func monthCountSQL(monthStart string) string {
	return `(CASE WHEN c.last_followup_on >= ` + monthStart + ` THEN c.last_followup_month_count ELSE 0 END)`
}

// behindSQL is the condition of an open case short of follow-ups, given
// the placeholders of the month start, the minimum, whether the month's end
// is near, and the idle cut-off day. It reads the case row alone.
func behindSQL(monthStart, min, near, idleBefore string) string {
	return `(c.state = 'open' AND ((` + near + ` = 1 AND ` + monthCountSQL(monthStart) + ` < ` + min +
		`) OR COALESCE(c.last_followup_on, c.opened_on) <= ` + idleBefore + `))`
}

// rules is what the follow-up rule needs to know about today.
type rules struct {
	Settings
	today, monthStart, monthEnd, idleBefore app.Date
	near                                    bool // the reminder window before the month's end has begun
}

func rulesOn(st Settings, today app.Date) rules {
	r := rules{Settings: st, today: today, monthStart: today.MonthStart(), monthEnd: today.MonthEnd()}
	r.idleBefore = today.AddDays(-st.IdleDays)
	r.near = today.DaysUntil(r.monthEnd) <= st.RemindDaysLeft
	return r
}

// behind reports whether an open case with n follow-ups this month and its
// last one (or its opening) on last is falling behind.
func (r rules) behind(state string, n int, last app.Date) bool {
	if state != StateOpen {
		return false
	}
	return (r.near && n < r.FollowupsPerMonth) || (!last.IsZero() && !last.After(r.idleBefore))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// List returns the cases in the caller's read scope that match f, and their
// total, with this month's follow-up count and whether each falls behind.
func (s *CaseService) List(ctx context.Context, p *authz.Principal, f CaseFilter, q app.ListQuery) ([]CaseRow, int, error) {
	return app.Collect(s.Rows(ctx, p, f, q))
}

// Rows is List read from the database cursor one case at a time, for
// exports of any size.
func (s *CaseService) Rows(ctx context.Context, p *authz.Principal, f CaseFilter, q app.ListQuery) app.Rows[CaseRow] {
	return func(start func(int) error, yield func(CaseRow) error) error {
		return s.rows(ctx, p, f, q, start, yield)
	}
}

func (s *CaseService) rows(ctx context.Context, p *authz.Principal, f CaseFilter, q app.ListQuery,
	start func(int) error, yield func(CaseRow) error) error {
	if err := agency(p); err != nil {
		return err
	}
	sc := p.Scope(PermCaseRead)
	if !sc.Any() {
		return app.ErrForbidden()
	}
	st, err := loadSettings(ctx, s.DB.R, p.OrgID)
	if err != nil {
		return err
	}
	r := rulesOn(st, s.today())
	// joins: the count needs the other tables only to search the client's
	// name (every case has its client, service point and worker).
	build := func(args *app.Args, joins bool) string {
		where := []string{sc.SQL(authz.Cols{Org: "c.org_id", Owner: "c.worker_id", Site: "c.site_id"}, args.Add)}
		if f.SiteID != 0 {
			where = append(where, "c.site_id = "+args.Add(f.SiteID))
		}
		if f.WorkerID != 0 {
			where = append(where, "c.worker_id = "+args.Add(f.WorkerID))
		}
		if f.ClientID != 0 {
			where = append(where, "c.client_id = "+args.Add(f.ClientID))
		}
		if f.State != "" {
			where = append(where, "c.state = "+args.Add(f.State))
		}
		if f.Risk != "" {
			where = append(where, "c.risk_level = "+args.Add(f.Risk))
		}
		if !f.From.IsZero() {
			where = append(where, "c.intake_date >= "+args.Add(f.From))
		}
		if !f.To.IsZero() {
			where = append(where, "c.intake_date <= "+args.Add(f.To))
		}
		if f.Behind {
			where = append(where, behindSQL(args.Add(r.monthStart), args.Add(st.FollowupsPerMonth),
				args.Add(boolInt(r.near)), args.Add(r.idleBefore)))
		}
		if q.Q != "" {
			like := args.Add(db.Like(q.Q))
			where = append(where, "(c.number LIKE "+like+` ESCAPE '\' OR cl.name LIKE `+like+` ESCAPE '\')`)
		}
		from := ` FROM cases c`
		if joins {
			from += `
		JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id
		JOIN sites si ON si.org_id = c.org_id AND si.id = c.site_id
		JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id`
		} else if q.Q != "" {
			from += `
		JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id`
		}
		return from + `
		WHERE ` + strings.Join(where, " AND ")
	}
	if start != nil {
		var cargs app.Args
		var total int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*)`+build(&cargs, false), cargs...).Scan(&total); err != nil {
			return fmt.Errorf("cases: count: %w", err)
		}
		if err := start(total); err != nil {
			return err
		}
	}
	order := " ORDER BY c.intake_date DESC, c.id DESC"
	if q.Sort != "" {
		order = q.OrderBy(caseSorts, "intake", "c.id")
	}
	var args app.Args
	list := `SELECT c.id, c.number, c.client_id, cl.name, c.site_id, si.name, c.worker_id, st.name, c.state, c.risk_level,
		c.intake_date, c.opened_on, c.closed_on, ` + monthCountSQL(args.Add(r.monthStart)) + ` AS month_n,
		c.last_followup_on AS last_on`
	if q.Sort == "followups" || q.Sort == "last" || q.Size <= 0 {
		list += build(&args, true) + order + q.LimitOffset()
	} else {
		// The page's cases first, then their clients, service points and
		// workers: read in the sorted query they would be read for every
		// case in scope before the sort keeps a page of them.
		org := args.Add(p.OrgID)
		list += ` FROM cases c
		JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id
		JOIN sites si ON si.org_id = c.org_id AND si.id = c.site_id
		JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
		WHERE c.org_id = ` + org + ` AND c.id IN (SELECT c.id` + build(&args, sortJoins[q.Sort]) + s.pageOrder(order, sc, f) + q.LimitOffset() + `)` + order
	}
	rows, err := s.DB.R.QueryContext(ctx, list, args...)
	if err != nil {
		return fmt.Errorf("cases: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c CaseRow
		var name string
		if err := rows.Scan(&c.ID, &c.Number, &c.ClientID, &name, &c.SiteID, &c.SiteName, &c.WorkerID, &c.WorkerName,
			&c.State, &c.RiskLevel, &c.IntakeDate, &c.OpenedOn, &c.ClosedOn, &c.FollowupsThisMonth, &c.LastFollowupOn); err != nil {
			return err
		}
		c.ClientName, c.ClientCode = pii.MaskName(name), ClientCode(c.ClientID)
		c.StateLabel, c.RiskLabel = StateLabel(c.State), RiskLabel(c.RiskLevel)
		last := c.LastFollowupOn
		if last.IsZero() {
			last = c.OpenedOn
		}
		c.Behind = r.behind(c.State, c.FollowupsThisMonth, last)
		if err := yield(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// pageOrder is the order of the query that picks a page of case ids. An
// organization-wide list walks the (organization, intake date) index and
// stops at the page; for a narrower one, SQLite, whose sampled statistics
// see about a thousand cases per organization, would walk the same index
// through every case of the organization to find the worker's or service
// point's few: its order by intake date is written so that no index can
// give it (+c.intake_date), and the planner reads the scope's cases by
// worker or service point and sorts them.
func (s *CaseService) pageOrder(order string, sc authz.Scope, f CaseFilter) string {
	if s.DB.Dialect != db.SQLite || (sc.Has(authz.Org) && f.SiteID == 0 && f.WorkerID == 0 && f.ClientID == 0) {
		return order
	}
	return strings.Replace(order, "ORDER BY c.intake_date", "ORDER BY +c.intake_date", 1)
}

// Workers returns the active staff the caller may pick under perm: for
// filters (read) and for forms (write, reassign).
func (s *CaseService) Workers(ctx context.Context, p *authz.Principal, perm *authz.Perm) ([]NamedID, error) {
	if agency(p) != nil {
		return []NamedID{}, nil
	}
	sc := p.Scope(perm)
	if !sc.Any() {
		return []NamedID{}, nil
	}
	var args app.Args
	org := args.Add(p.OrgID)
	if sc.Has(authz.Org) {
		return namedIDs(ctx, s.DB.R, `SELECT id, name FROM staff WHERE org_id = `+org+` AND status = 'active' ORDER BY name, id`, args...)
	}
	ids := []int64{}
	if p.StaffID != 0 {
		ids = append(ids, p.StaffID)
	}
	if sc.Has(authz.Supervised) {
		ids = append(ids, p.Supervisees...)
	}
	cond := []string{"s.id IN (" + joinIDList(ids) + ")"}
	if sc.Has(authz.Site) && len(p.SiteIDs) > 0 {
		day := args.Add(s.today())
		cond = append(cond, `s.id IN (SELECT a.staff_id FROM staff_assignments a WHERE a.org_id = `+org+
			` AND a.site_id IN (`+joinIDList(p.SiteIDs)+`) AND a.start_date <= `+day+
			` AND (a.end_date IS NULL OR a.end_date >= `+day+`))`)
	}
	return namedIDs(ctx, s.DB.R, `SELECT s.id, s.name FROM staff s WHERE s.org_id = `+org+` AND s.status = 'active'
		AND (`+strings.Join(cond, " OR ")+`) ORDER BY s.name, s.id`, args...)
}

// Sites returns the active service points the caller may pick under perm.
func (s *CaseService) Sites(ctx context.Context, p *authz.Principal, perm *authz.Perm) ([]NamedID, error) {
	if agency(p) != nil || !p.Scope(perm).Any() {
		return []NamedID{}, nil
	}
	if p.Scope(perm).Has(authz.Org) {
		return namedIDs(ctx, s.DB.R, `SELECT id, name FROM sites WHERE org_id = $1 AND status = 'active' ORDER BY name`, p.OrgID)
	}
	workers, err := s.Workers(ctx, p, perm)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(workers))
	for i, w := range workers {
		ids[i] = w.ID
	}
	return namedIDs(ctx, s.DB.R, `SELECT id, name FROM sites WHERE org_id = $1 AND status = 'active'
		AND (id IN (`+joinIDList(p.SiteIDs)+`) OR id IN (SELECT a.site_id FROM staff_assignments a WHERE a.org_id = $1
		AND a.staff_id IN (`+joinIDList(ids)+`) AND a.start_date <= $2 AND (a.end_date IS NULL OR a.end_date >= $2)))
		ORDER BY name`, p.OrgID, s.today())
}

// Colleagues lists the organization's active staff, to whom a case may be
// referred internally.
func (s *CaseService) Colleagues(ctx context.Context, p *authz.Principal) ([]NamedID, error) {
	if agency(p) != nil || !p.Can(PermCaseWrite) {
		return []NamedID{}, nil
	}
	return namedIDs(ctx, s.DB.R, `SELECT id, name FROM staff WHERE org_id = $1 AND status = 'active' ORDER BY name, id`, p.OrgID)
}

// ClientOption is a client offered by the intake form.
type ClientOption struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	Name     string `json:"name_masked"`
	Age      int    `json:"age"`
	WorkerID int64  `json:"worker_id"`
	SiteID   int64  `json:"site_id"`
}

// Label is how the option reads in a select.
func (c ClientOption) Label() string {
	return fmt.Sprintf("%s %s（%d岁）", c.Code, c.Name, c.Age)
}

// IntakeClients lists the active clients the caller may see that have no
// case in progress, for the intake form.
func (s *CaseService) IntakeClients(ctx context.Context, p *authz.Principal) ([]ClientOption, error) {
	if agency(p) != nil || !p.Can(PermCaseWrite) {
		return []ClientOption{}, nil
	}
	var args app.Args
	where := p.Scope(PermClientRead).SQL(authz.Cols{Org: "c.org_id", Owner: "c.worker_id", Site: "c.site_id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT c.id, c.name, c.birth_date, c.worker_id, c.site_id FROM clients c
		WHERE `+where+` AND c.status = 'active'
		AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.org_id = c.org_id AND k.client_id = c.id AND k.state <> 'archived')
		ORDER BY c.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("cases: intake clients: %w", err)
	}
	defer rows.Close()
	today := s.today()
	out := []ClientOption{}
	for rows.Next() {
		var o ClientOption
		var name string
		var birth app.Date
		if err := rows.Scan(&o.ID, &name, &birth, &o.WorkerID, &o.SiteID); err != nil {
			return nil, err
		}
		o.Code, o.Name, o.Age = ClientCode(o.ID), pii.MaskName(name), ClientAge(birth, today)
		out = append(out, o)
	}
	return out, rows.Err()
}

func namedIDs(ctx context.Context, q db.Querier, query string, args ...any) ([]NamedID, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cases: options: %w", err)
	}
	defer rows.Close()
	out := []NamedID{}
	for rows.Next() {
		var n NamedID
		if err := rows.Scan(&n.ID, &n.Name); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// joinIDList renders ids for an IN list; an empty list matches nothing.
func joinIDList(ids []int64) string {
	if len(ids) == 0 {
		return "0"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}
