package cases

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// ReportFilter chooses the month and the part of the caller's scope a
// report covers.
type ReportFilter struct {
	Month    app.Date // any day of the month; the current month when zero
	SiteID   int64
	WorkerID int64
	GapsOnly bool // archive check: only files with something missing
}

// reportCase is what the reports know of a case.
type reportCase struct {
	ID, WorkerID, SiteID, ClientID int64
	Number, ClientName, State      string
	WorkerName, SiteName           string
	OpenedOn, ClosedOn, ArchivedOn app.Date
	HasAssessment, HasStrategy     bool
	Goals                          int
}

// openThrough reports whether the case was open for the whole month, so
// that the monthly follow-up minimum applies to it.
func (c *reportCase) openThrough(ms, me app.Date) bool {
	if c.OpenedOn.IsZero() || !c.OpenedOn.Before(ms) || beforeOpening(c.State) || c.State == StatePendingOpen {
		return false
	}
	return c.ClosedOn.IsZero() || c.ClosedOn.After(me)
}

// active reports whether the case was in intervention or post-closure at
// some time of the month.
func (c *reportCase) active(ms, me app.Date) bool {
	if c.OpenedOn.IsZero() || c.OpenedOn.After(me) {
		return false
	}
	return c.ClosedOn.IsZero() || !c.ClosedOn.Before(ms)
}

const sqlReportCases = `SELECT c.id, c.worker_id, st.name, c.site_id, si.name, c.client_id, cl.name, c.number, c.state,
	c.opened_on, c.closed_on, c.archived_on, c.assessment <> '', c.plan_strategy <> '',
	(SELECT COUNT(*) FROM case_goals g WHERE g.org_id = c.org_id AND g.case_id = c.id)
	FROM cases c
	JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id
	JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
	JOIN sites si ON si.org_id = c.org_id AND si.id = c.site_id
	WHERE %s ORDER BY st.name, c.worker_id, c.number`

// reportScope reads the cases of the caller's report scope matching f.
func (s *CaseService) reportScope(ctx context.Context, p *authz.Principal, f ReportFilter) ([]reportCase, error) {
	if err := agency(p); err != nil {
		return nil, err
	}
	sc := p.Scope(PermCaseReport)
	if !sc.Any() {
		return nil, app.ErrForbidden()
	}
	var args app.Args
	where := []string{sc.SQL(authz.Cols{Org: "c.org_id", Owner: "c.worker_id", Site: "c.site_id"}, args.Add)}
	if f.SiteID != 0 {
		where = append(where, "c.site_id = "+args.Add(f.SiteID))
	}
	if f.WorkerID != 0 {
		where = append(where, "c.worker_id = "+args.Add(f.WorkerID))
	}
	rows, err := s.DB.R.QueryContext(ctx, fmt.Sprintf(sqlReportCases, strings.Join(where, " AND ")), args...)
	if err != nil {
		return nil, fmt.Errorf("cases: report cases: %w", err)
	}
	defer rows.Close()
	var out []reportCase
	for rows.Next() {
		var c reportCase
		var name string
		if err := rows.Scan(&c.ID, &c.WorkerID, &c.WorkerName, &c.SiteID, &c.SiteName, &c.ClientID, &name, &c.Number,
			&c.State, &c.OpenedOn, &c.ClosedOn, &c.ArchivedOn, &c.HasAssessment, &c.HasStrategy, &c.Goals); err != nil {
			return nil, err
		}
		c.ClientName = pii.MaskName(name)
		out = append(out, c)
	}
	return out, rows.Err()
}

func monthOf(d, today app.Date) (app.Date, app.Date) {
	if d.IsZero() {
		d = today
	}
	return d.MonthStart(), d.MonthEnd()
}

// monthFollowups counts the month's follow-ups per case and kind.
type monthFollowup struct {
	CaseID, WorkerID int64
	Kind             string
	Minutes          int
}

const sqlMonthFollowups = `SELECT f.case_id, f.worker_id, f.kind, f.duration_min FROM case_followups f
	WHERE f.org_id = $1 AND f.held_on >= $2 AND f.held_on <= $3 AND f.case_id IN (%s)`

func monthFollowups(ctx context.Context, q db.Querier, orgID int64, ids []int64, ms, me app.Date) ([]monthFollowup, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(sqlMonthFollowups, joinIDList(ids)), orgID, ms, me)
	if err != nil {
		return nil, fmt.Errorf("cases: month follow-ups: %w", err)
	}
	defer rows.Close()
	var out []monthFollowup
	for rows.Next() {
		var f monthFollowup
		if err := rows.Scan(&f.CaseID, &f.WorkerID, &f.Kind, &f.Minutes); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ReportRow is one line of the monthly report: a worker, a service point or
// the total.
type ReportRow struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Active        int    `json:"active" doc:"本月在案（介入或结案后跟进）"`
	Opened        int    `json:"opened"`
	Closed        int    `json:"closed"`
	Followups     int    `json:"followups"`
	FollowupHours string `json:"followup_hours"`
	PostFollowups int    `json:"post_closure_followups"`
	Referrals     int    `json:"referrals"`
	Behind        int    `json:"behind" doc:"全月在案但跟进次数不足的个案"`
	minutes       int
	FilesWithGaps int `json:"files_with_gaps"`
}

func (r *ReportRow) finish() {
	r.FollowupHours = fmt.Sprintf("%.1f", float64(r.minutes)/60)
}

// MonthlyReport is the worker's monthly report (月报表) generated from the
// records, with the roll-ups by worker and by service point that a
// supervisor, a centre head or the director sees for their scope (C8).
type MonthlyReport struct {
	Month    string      `json:"month"`
	Required int         `json:"followups_required"`
	Workers  []ReportRow `json:"workers"`
	Sites    []ReportRow `json:"sites"`
	Total    ReportRow   `json:"total"`
}

const (
	sqlMonthClosures = `SELECT cl.case_id FROM case_closures cl
		WHERE cl.org_id = $1 AND cl.status = 'approved' AND cl.closed_on >= $2 AND cl.closed_on <= $3 AND cl.case_id IN (%s)`
	sqlMonthReferrals = `SELECT r.case_id, r.from_worker_id, fs.name FROM case_referrals r
		JOIN staff fs ON fs.org_id = r.org_id AND fs.id = r.from_worker_id
		WHERE r.org_id = $1 AND r.status IN ('awaiting', 'accepted', 'declined', 'done')
		AND r.decided_at >= $2 AND r.decided_at < $3 AND r.case_id IN (%s)`
	sqlStaffNames = `SELECT id, name FROM staff WHERE org_id = $1 AND id IN (%s)`
)

// Monthly builds the monthly report of f.Month for the caller's scope.
func (s *CaseService) Monthly(ctx context.Context, p *authz.Principal, f ReportFilter) (*MonthlyReport, error) {
	cases, err := s.reportScope(ctx, p, f)
	if err != nil {
		return nil, err
	}
	ms, me := monthOf(f.Month, s.today())
	st, err := loadSettings(ctx, s.DB.R, p.OrgID)
	if err != nil {
		return nil, err
	}
	rep := &MonthlyReport{Month: ms.String()[:7], Required: st.FollowupsPerMonth, Total: ReportRow{Name: "合计"}}
	workers, sites := map[int64]*ReportRow{}, map[int64]*ReportRow{}
	worker := func(id int64, name string) *ReportRow {
		r, ok := workers[id]
		if !ok {
			r = &ReportRow{ID: id, Name: name}
			workers[id] = r
		}
		return r
	}
	site := func(id int64, name string) *ReportRow {
		r, ok := sites[id]
		if !ok {
			r = &ReportRow{ID: id, Name: name}
			sites[id] = r
		}
		return r
	}
	byID := map[int64]*reportCase{}
	ids := make([]int64, 0, len(cases))
	for i := range cases {
		c := &cases[i]
		byID[c.ID] = c
		ids = append(ids, c.ID)
		w, si := worker(c.WorkerID, c.WorkerName), site(c.SiteID, c.SiteName)
		if c.active(ms, me) {
			w.Active++
			si.Active++
		}
		if !c.OpenedOn.IsZero() && !c.OpenedOn.Before(ms) && !c.OpenedOn.After(me) {
			w.Opened++
			si.Opened++
		}
	}
	fus, err := monthFollowups(ctx, s.DB.R, p.OrgID, ids, ms, me)
	if err != nil {
		return nil, err
	}
	perCase := map[int64]int{}
	var unnamed []int64
	for _, fu := range fus {
		c := byID[fu.CaseID]
		if _, ok := workers[fu.WorkerID]; !ok {
			unnamed = append(unnamed, fu.WorkerID)
		}
		w, si := worker(fu.WorkerID, ""), site(c.SiteID, c.SiteName)
		if fu.Kind == FollowupPostClosure {
			w.PostFollowups++
			si.PostFollowups++
			continue
		}
		perCase[fu.CaseID]++
		w.Followups++
		si.Followups++
		w.minutes += fu.Minutes
		si.minutes += fu.Minutes
	}
	for i := range cases {
		c := &cases[i]
		if c.openThrough(ms, me) && perCase[c.ID] < st.FollowupsPerMonth {
			workers[c.WorkerID].Behind++
			sites[c.SiteID].Behind++
		}
	}
	if len(ids) > 0 {
		rows, err := s.DB.R.QueryContext(ctx, fmt.Sprintf(sqlMonthClosures, joinIDList(ids)), p.OrgID, ms, me)
		if err != nil {
			return nil, fmt.Errorf("cases: month closures: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			c := byID[id]
			workers[c.WorkerID].Closed++
			sites[c.SiteID].Closed++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		start := time.Date(ms.Year(), ms.Month(), 1, 0, 0, 0, 0, app.Local)
		rows, err = s.DB.R.QueryContext(ctx, fmt.Sprintf(sqlMonthReferrals, joinIDList(ids)), p.OrgID, start.UTC(),
			start.AddDate(0, 1, 0).UTC())
		if err != nil {
			return nil, fmt.Errorf("cases: month referrals: %w", err)
		}
		for rows.Next() {
			var id, from int64
			var name string
			if err := rows.Scan(&id, &from, &name); err != nil {
				rows.Close()
				return nil, err
			}
			c := byID[id]
			worker(from, name).Referrals++
			sites[c.SiteID].Referrals++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if len(unnamed) > 0 {
		names, err := namedIDs(ctx, s.DB.R, fmt.Sprintf(sqlStaffNames, joinIDList(unnamed)), p.OrgID)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if r := workers[n.ID]; r != nil && r.Name == "" {
				r.Name = n.Name
			}
		}
	}
	// A worker or service point with nothing in the month is left out.
	keep := func(m map[int64]*ReportRow) []ReportRow {
		out := []ReportRow{}
		for _, r := range m {
			if r.Active+r.Opened+r.Closed+r.Followups+r.PostFollowups+r.Referrals+r.Behind == 0 {
				continue
			}
			r.finish()
			out = append(out, *r)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Name != out[j].Name {
				return out[i].Name < out[j].Name
			}
			return out[i].ID < out[j].ID
		})
		return out
	}
	rep.Workers, rep.Sites = keep(workers), keep(sites)
	for _, r := range rep.Sites {
		rep.Total.Active += r.Active
		rep.Total.Opened += r.Opened
		rep.Total.Closed += r.Closed
		rep.Total.Followups += r.Followups
		rep.Total.PostFollowups += r.PostFollowups
		rep.Total.Referrals += r.Referrals
		rep.Total.Behind += r.Behind
		rep.Total.minutes += r.minutes
	}
	rep.Total.finish()
	return rep, nil
}

// Gap is one thing missing from a case file.
type Gap struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// ArchiveRow is one case file in the archive check.
type ArchiveRow struct {
	CaseID     int64  `json:"case_id"`
	Number     string `json:"number"`
	ClientName string `json:"client_name_masked"`
	WorkerID   int64  `json:"worker_id"`
	WorkerName string `json:"worker_name"`
	SiteName   string `json:"site_name"`
	State      string `json:"state"`
	StateLabel string `json:"state_label"`
	Followups  int    `json:"followups_in_month"`
	Gaps       []Gap  `json:"gaps"`
}

// ArchiveCheck is the archive completeness check of one month (档案检查).
type ArchiveCheck struct {
	Month    string       `json:"month"`
	Checked  int          `json:"checked"`
	WithGaps int          `json:"with_gaps"`
	Rows     []ArchiveRow `json:"rows"`
	Workers  []ReportRow  `json:"workers" doc:"按社工汇总：档案数与有缺漏的档案数"`
}

const sqlApprovedClosures = `SELECT case_id, summary FROM case_closures WHERE org_id = $1 AND status = 'approved'
	AND closed_on <= $2 AND case_id IN (%s) ORDER BY id`

// Archive checks, per worker and month, which opened case files lack the
// consent, the assessment, the plan, the month's follow-ups, the closure
// summary or the post-closure records due by the month's end (C8).
func (s *CaseService) Archive(ctx context.Context, p *authz.Principal, f ReportFilter) (*ArchiveCheck, error) {
	all, err := s.reportScope(ctx, p, f)
	if err != nil {
		return nil, err
	}
	today := s.today()
	ms, me := monthOf(f.Month, today)
	st, err := loadSettings(ctx, s.DB.R, p.OrgID)
	if err != nil {
		return nil, err
	}
	var cases []*reportCase
	var ids []int64
	for i := range all {
		c := &all[i]
		// Files of cases opened by the month's end and not archived before it began.
		if c.OpenedOn.IsZero() || c.OpenedOn.After(me) || (!c.ArchivedOn.IsZero() && c.ArchivedOn.Before(ms)) {
			continue
		}
		cases = append(cases, c)
		ids = append(ids, c.ID)
	}
	out := &ArchiveCheck{Month: ms.String()[:7], Rows: []ArchiveRow{}, Workers: []ReportRow{}}
	fus, err := monthFollowups(ctx, s.DB.R, p.OrgID, ids, ms, me)
	if err != nil {
		return nil, err
	}
	perCase := map[int64]int{}
	for _, fu := range fus {
		if fu.Kind == FollowupService {
			perCase[fu.CaseID]++
		}
	}
	summaries := map[int64]string{}
	closed := map[int64]bool{}
	if len(ids) > 0 {
		rows, err := s.DB.R.QueryContext(ctx, fmt.Sprintf(sqlApprovedClosures, joinIDList(ids)), p.OrgID, me)
		if err != nil {
			return nil, fmt.Errorf("cases: closures: %w", err)
		}
		for rows.Next() {
			var id int64
			var summary string
			if err := rows.Scan(&id, &summary); err != nil {
				rows.Close()
				return nil, err
			}
			closed[id], summaries[id] = true, summary
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	byWorker := map[int64]*ReportRow{}
	var order []int64
	for _, c := range cases {
		row := ArchiveRow{CaseID: c.ID, Number: c.Number, ClientName: c.ClientName, WorkerID: c.WorkerID,
			WorkerName: c.WorkerName, SiteName: c.SiteName, State: c.State, StateLabel: StateLabel(c.State),
			Followups: perCase[c.ID], Gaps: []Gap{}}
		ok, reason, err := s.Consent.HasValidConsent(ctx, s.DB.R, p.OrgID, c.ClientID, c.OpenedOn)
		if err != nil {
			return nil, err
		}
		if !ok {
			row.Gaps = append(row.Gaps, Gap{"consent", "缺知情同意书：" + reason})
		}
		if !c.HasAssessment {
			row.Gaps = append(row.Gaps, Gap{"assessment", "缺预估表"})
		}
		if !c.HasStrategy || c.Goals == 0 {
			row.Gaps = append(row.Gaps, Gap{"plan", "缺服务计划或目标"})
		}
		if c.openThrough(ms, me) && perCase[c.ID] < st.FollowupsPerMonth {
			row.Gaps = append(row.Gaps, Gap{"followups",
				fmt.Sprintf("本月跟进 %d 次，少于 %d 次", perCase[c.ID], st.FollowupsPerMonth)})
		}
		isClosed := !c.ClosedOn.IsZero() && !c.ClosedOn.After(me)
		if isClosed {
			if !closed[c.ID] {
				row.Gaps = append(row.Gaps, Gap{"closure", "缺结案表"})
			} else if strings.TrimSpace(summaries[c.ID]) == "" {
				row.Gaps = append(row.Gaps, Gap{"closure", "缺结案总结"})
			}
			cc := Case{ID: c.ID, orgID: p.OrgID, ClosedOn: c.ClosedOn}
			dates, err := postClosureDates(ctx, s.DB.R, &cc)
			if err != nil {
				return nil, err
			}
			var upTo []app.Date
			for _, d := range dates {
				if !d.After(me) {
					upTo = append(upTo, d)
				}
			}
			for _, w := range PostClosureWindows(c.ClosedOn, st.PostClosureMonths, upTo) {
				if !w.Done && !w.End.After(me) && w.End.Before(today) {
					row.Gaps = append(row.Gaps, Gap{"post_closure", fmt.Sprintf("结案后第 %d 个月缺跟进记录", w.Month)})
				}
			}
		}
		w, ok2 := byWorker[c.WorkerID]
		if !ok2 {
			w = &ReportRow{ID: c.WorkerID, Name: c.WorkerName}
			byWorker[c.WorkerID] = w
			order = append(order, c.WorkerID)
		}
		w.Active++
		out.Checked++
		if len(row.Gaps) > 0 {
			w.FilesWithGaps++
			out.WithGaps++
		}
		if f.GapsOnly && len(row.Gaps) == 0 {
			continue
		}
		out.Rows = append(out.Rows, row)
	}
	for _, id := range order {
		out.Workers = append(out.Workers, *byWorker[id])
	}
	return out, nil
}

// KeyFigures are the home page's numbers for the caller's case scope.
type KeyFigures struct {
	Open           int `json:"open"`
	MonthFollowups int `json:"followups_this_month"`
	Behind         int `json:"behind"`
}

// Figures counts, in the caller's read scope, the open cases, this month's
// follow-ups and the cases falling behind.
func (s *CaseService) Figures(ctx context.Context, p *authz.Principal) (*KeyFigures, error) {
	if agency(p) != nil || !p.Can(PermCaseRead) {
		return nil, nil
	}
	st, err := loadSettings(ctx, s.DB.R, p.OrgID)
	if err != nil {
		return nil, err
	}
	r := rulesOn(st, s.today())
	// The cases of the scope alone, through the indexes on cases that hold
	// the kept follow-up figures, and no follow-up record: the open ones
	// (cases_worker_behind) give the open cases and those falling behind; those
	// whose last follow-up is in this month (cases_worker_followup) give
	// the month's follow-ups.
	var args app.Args
	cols := authz.Cols{Org: "c.org_id", Owner: "c.worker_id", Site: "c.site_id"}
	behind := behindSQL(args.Add(r.monthStart), args.Add(st.FollowupsPerMonth), args.Add(boolInt(r.near)), args.Add(r.idleBefore))
	scopeOpen := p.Scope(PermCaseRead).SQL(cols, args.Add)
	scopeMonth := p.Scope(PermCaseRead).SQL(cols, args.Add)
	q := `SELECT COALESCE(SUM(o), 0), COALESCE(SUM(m), 0), COALESCE(SUM(b), 0) FROM (
		SELECT COUNT(*) AS o, 0 AS m, SUM(CASE WHEN ` + behind + ` THEN 1 ELSE 0 END) AS b
			FROM cases c WHERE ` + scopeOpen + ` AND c.state = 'open'
		UNION ALL
		SELECT 0, SUM(c.last_followup_month_count), 0
			FROM cases c WHERE ` + scopeMonth + ` AND c.last_followup_on >= ` + args.Add(r.monthStart) + `) x`
	var k KeyFigures
	var open, fus, beh sql.NullInt64
	if err := s.DB.R.QueryRowContext(ctx, q, args...).Scan(&open, &fus, &beh); err != nil {
		return nil, fmt.Errorf("cases: figures: %w", err)
	}
	k.Open, k.MonthFollowups, k.Behind = int(open.Int64), int(fus.Int64), int(beh.Int64)
	return &k, nil
}
