package cases

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
	"shegong/internal/reminder"
)

// openCase is an open case with its follow-up facts for this month.
type openCase struct {
	ID         int64
	Number     string
	ClientName string
	WorkerID   int64
	WorkerName string
	OpenedOn   app.Date
	MonthN     int
	Last       app.Date // last follow-up, or the opening when there is none
}

// sqlOpenCasesOf is the open cases of some workers that fall behind on
// follow-ups (the last %s, behindSQL), with the follow-up figures kept on
// them ($2 is the month's start, see monthCountSQL); the first %s is the
// client's name, or an empty string when not wanted (then the clients are
// not read). The cases are read from the index cases_worker_behind.
const sqlOpenCasesOf = `SELECT c.id, c.number, %s, c.worker_id, st.name, c.opened_on,
	CASE WHEN c.last_followup_on >= $2 THEN c.last_followup_month_count ELSE 0 END, c.last_followup_on
	FROM cases c%s
	JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
	WHERE c.org_id = $1 AND c.state = 'open' AND c.worker_id IN (%s) AND %s
	ORDER BY st.name, c.worker_id, c.number`

// openCasesFunc reads the open cases of some workers that may fall behind
// (openCasesOf).
type openCasesFunc func(ctx context.Context, q db.Querier, orgID int64, workers []int64, r rules, names bool) ([]openCase, error)

// openCasesOf lists the open cases of the given workers that fall behind
// on follow-ups (rules.behind), with the clients' masked names when names
// is set.
func openCasesOf(ctx context.Context, q db.Querier, orgID int64, workers []int64, r rules, names bool) ([]openCase, error) {
	if len(workers) == 0 {
		return nil, nil
	}
	name, join := "''", ""
	if names {
		name, join = "cl.name", `
	JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id`
	}
	behind := behindSQL("$2", "$3", "$4", "$5")
	rows, err := q.QueryContext(ctx, fmt.Sprintf(sqlOpenCasesOf, name, join, joinIDList(workers), behind), orgID, r.monthStart,
		r.FollowupsPerMonth, boolInt(r.near), r.idleBefore)
	if err != nil {
		return nil, fmt.Errorf("cases: open cases: %w", err)
	}
	return scanOpenCases(rows, names)
}

// scanOpenCases reads the rows of an open-case query (id, number, client
// name, worker, worker's name, opening, this month's follow-ups, last
// follow-up), masking the names when they were asked for.
func scanOpenCases(rows *sql.Rows, names bool) ([]openCase, error) {
	defer rows.Close()
	var out []openCase
	for rows.Next() {
		var c openCase
		var name string
		if err := rows.Scan(&c.ID, &c.Number, &name, &c.WorkerID, &c.WorkerName, &c.OpenedOn, &c.MonthN, &c.Last); err != nil {
			return nil, err
		}
		if names {
			c.ClientName = pii.MaskName(name)
		}
		if c.Last.IsZero() {
			c.Last = c.OpenedOn
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func caseHref(id int64) string { return fmt.Sprintf("/cases/%d", id) }

// FollowupRule reminds a worker of each open case short of follow-ups (C4):
// fewer than the monthly minimum when the month's last days have come, or
// none for the idle days.
type FollowupRule struct {
	// openCases reads the cases (openCasesOf when nil): a test gives the
	// recount from the follow-up records to compare with.
	openCases openCasesFunc
}

func (FollowupRule) Name() string  { return "case_followup" }
func (FollowupRule) Label() string { return "个案跟进不足" }

func (fr FollowupRule) Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]reminder.Item, error) {
	if p.StaffID == 0 || !p.Can(PermCaseWrite) {
		return nil, nil
	}
	st, err := loadSettings(ctx, q, p.OrgID)
	if err != nil {
		return nil, err
	}
	r := rulesOn(st, today)
	read := openCasesOf
	if fr.openCases != nil {
		read = fr.openCases
	}
	cases, err := read(ctx, q, p.OrgID, []int64{p.StaffID}, r, true)
	if err != nil {
		return nil, err
	}
	var out []reminder.Item
	for _, c := range cases {
		if !r.behind(StateOpen, c.MonthN, c.Last) {
			continue
		}
		it := reminder.Item{Title: c.Number + " " + c.ClientName, Href: caseHref(c.ID), Due: r.monthEnd}
		var why []string
		if r.near && c.MonthN < st.FollowupsPerMonth {
			why = append(why, fmt.Sprintf("本月已跟进 %d 次，至少 %d 次，距月底还有 %d 天", c.MonthN, st.FollowupsPerMonth,
				today.DaysUntil(r.monthEnd)))
		}
		if !c.Last.After(r.idleBefore) {
			it.Overdue = true
			it.Due = c.Last.AddDays(st.IdleDays)
			why = append(why, fmt.Sprintf("已 %d 天没有跟进记录", c.Last.DaysUntil(today)))
		}
		it.Detail = strings.Join(why, "；")
		out = append(out, it)
	}
	return out, nil
}

// SuperviseeRule shows a supervisor, for each supervisee, how many of their
// open cases fall behind on follow-ups (C4).
type SuperviseeRule struct {
	// byWorker counts the cases (behindByWorker when nil): a test gives
	// the count from the follow-up records to compare with.
	byWorker behindByWorkerFunc
}

func (SuperviseeRule) Name() string  { return "case_supervisee_behind" }
func (SuperviseeRule) Label() string { return "被督导同工个案跟进不足" }

func (sr SuperviseeRule) Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]reminder.Item, error) {
	if len(p.Supervisees) == 0 || !p.Scope(PermCaseRead).Has(authz.Supervised) {
		return nil, nil
	}
	st, err := loadSettings(ctx, q, p.OrgID)
	if err != nil {
		return nil, err
	}
	r := rulesOn(st, today)
	read := behindByWorker
	if sr.byWorker != nil {
		read = sr.byWorker
	}
	tallies, err := read(ctx, q, p.OrgID, p.Supervisees, r)
	if err != nil {
		return nil, err
	}
	var out []reminder.Item
	for _, t := range tallies {
		detail := "个案 " + strings.Join(t.Numbers, "、")
		if t.Behind > len(t.Numbers) {
			detail += " 等"
		}
		if t.Idle > 0 {
			detail += fmt.Sprintf("；其中 %d 个已 %d 天以上未跟进", t.Idle, st.IdleDays)
		}
		out = append(out, reminder.Item{Title: fmt.Sprintf("%s：%d 个个案跟进不足", t.WorkerName, t.Behind), Detail: detail,
			Href: fmt.Sprintf("/cases?worker=%d&behind=1", t.WorkerID), Due: r.monthEnd, Overdue: t.Idle > 0})
	}
	return out, nil
}

// workerBehind is how many of a worker's open cases fall behind on
// follow-ups, how many of those have none for the idle days, and the
// first three of their numbers.
type workerBehind struct {
	WorkerID     int64
	WorkerName   string
	Behind, Idle int
	Numbers      []string
}

// behindByWorkerFunc counts the cases falling behind per worker, in the
// order of the workers' names (behindByWorker).
type behindByWorkerFunc func(ctx context.Context, q db.Querier, orgID int64, workers []int64, r rules) ([]workerBehind, error)

// sqlBehindByWorker counts, per worker, the open cases falling behind ($2
// to $5 are behindSQL's) and those idle ($5 is the idle cut-off day), in
// the order of the workers' names; sqlFirstBehind is the first three
// numbers of one worker's (one such SELECT a worker, joined by UNION ALL).
// Both read the index cases_worker_behind alone, whose order by number lets each
// worker's numbers stop at the third.
const (
	sqlBehindByWorker = `SELECT c.worker_id, st.name, COUNT(*),
		SUM(CASE WHEN COALESCE(c.last_followup_on, c.opened_on) <= $5 THEN 1 ELSE 0 END)
		FROM cases c
		JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
		WHERE c.org_id = $1 AND c.state = 'open' AND c.worker_id IN (%s) AND %s
		GROUP BY c.worker_id, st.name
		ORDER BY st.name, c.worker_id`
	sqlFirstBehind = `SELECT * FROM (SELECT c.worker_id, c.number FROM cases c
		WHERE c.org_id = $1 AND c.state = 'open' AND c.worker_id = %d AND %s
		ORDER BY c.number LIMIT 3) w%d`
)

func behindByWorker(ctx context.Context, q db.Querier, orgID int64, workers []int64, r rules) ([]workerBehind, error) {
	if len(workers) == 0 {
		return nil, nil
	}
	behind := behindSQL("$2", "$3", "$4", "$5")
	args := []any{orgID, r.monthStart, r.FollowupsPerMonth, boolInt(r.near), r.idleBefore}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(sqlBehindByWorker, joinIDList(workers), behind), args...)
	if err != nil {
		return nil, fmt.Errorf("cases: cases behind by worker: %w", err)
	}
	var out []workerBehind
	for rows.Next() {
		var w workerBehind
		if err := rows.Scan(&w.WorkerID, &w.WorkerName, &w.Behind, &w.Idle); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	first := make([]string, len(out))
	index := make(map[int64]int, len(out))
	for i, w := range out {
		first[i] = fmt.Sprintf(sqlFirstBehind, w.WorkerID, behind, i)
		index[w.WorkerID] = i
	}
	rows, err = q.QueryContext(ctx, strings.Join(first, "\n\tUNION ALL "), args...)
	if err != nil {
		return nil, fmt.Errorf("cases: first cases behind: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var worker int64
		var number string
		if err := rows.Scan(&worker, &number); err != nil {
			return nil, err
		}
		w := &out[index[worker]]
		w.Numbers = append(w.Numbers, number)
	}
	return out, rows.Err()
}

// PostClosureRule reminds a worker of each closed case whose current
// post-closure month has no written record yet (C6), until all are done.
type PostClosureRule struct{}

func (PostClosureRule) Name() string  { return "case_post_closure" }
func (PostClosureRule) Label() string { return "结案后跟进" }

const sqlPostClosureCases = `SELECT c.id, c.number, cl.name, c.closed_on FROM cases c
	JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id
	WHERE c.org_id = $1 AND c.worker_id = $2 AND c.state = 'post_closure' ORDER BY c.closed_on, c.id`

func (PostClosureRule) Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]reminder.Item, error) {
	if p.StaffID == 0 || !p.Can(PermCaseWrite) {
		return nil, nil
	}
	st, err := loadSettings(ctx, q, p.OrgID)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, sqlPostClosureCases, p.OrgID, p.StaffID)
	if err != nil {
		return nil, fmt.Errorf("cases: post-closure cases: %w", err)
	}
	type closed struct {
		c    Case
		name string
	}
	var list []closed
	for rows.Next() {
		var c closed
		if err := rows.Scan(&c.c.ID, &c.c.Number, &c.name, &c.c.ClosedOn); err != nil {
			rows.Close()
			return nil, err
		}
		c.c.orgID = p.OrgID
		list = append(list, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []reminder.Item
	for _, cl := range list {
		dates, err := postClosureDates(ctx, q, &cl.c)
		if err != nil {
			return nil, err
		}
		for _, w := range PostClosureWindows(cl.c.ClosedOn, st.PostClosureMonths, dates) {
			if w.Done {
				continue
			}
			if today.Before(w.Start) {
				break
			}
			it := reminder.Item{Title: cl.c.Number + " " + pii.MaskName(cl.name), Href: caseHref(cl.c.ID), Due: w.End}
			if today.After(w.End) {
				it.Overdue = true
				it.Detail = fmt.Sprintf("结案后第 %d 个月（%s 至 %s）没有书面跟进记录，请尽快补记", w.Month, w.Start, w.End)
			} else {
				it.Detail = fmt.Sprintf("结案后第 %d 个月（%s 至 %s）尚未记录跟进，还有 %d 天", w.Month, w.Start, w.End,
					today.DaysUntil(w.End))
			}
			out = append(out, it)
			break
		}
	}
	return out, nil
}

// ApprovalRule reminds of the case requests that wait for the user: those
// the user is to decide once they have waited too long (fresh ones are on
// the to-do list), the user's own rejected ones to correct, and internal
// referrals to accept or decline.
type ApprovalRule struct {
	// OverdueDays marks a request waiting longer as overdue; default 3.
	OverdueDays int
}

func (ApprovalRule) Name() string  { return "case_approval" }
func (ApprovalRule) Label() string { return "个案审批待处理" }

const (
	sqlCaseApprovalsToDecide = `SELECT DISTINCT a.id, a.kind, a.subject_id, a.title, s.started_at FROM approval_step_assignees sa
		JOIN approval_steps s ON s.org_id = sa.org_id AND s.id = sa.step_id
		JOIN approvals a ON a.org_id = s.org_id AND a.id = s.approval_id
		WHERE sa.org_id = $1 AND sa.user_id = $2 AND s.status = 'pending' AND a.status = 'pending'
		AND a.subject_type = 'case' AND a.submitter_id <> $2
		ORDER BY s.started_at, a.id`
	sqlCaseApprovalsRejected = `SELECT a.id, a.kind, a.subject_id, a.title, a.decided_at FROM approvals a
		WHERE a.org_id = $1 AND a.submitter_id = $2 AND a.status = 'rejected' AND a.subject_type = 'case'
		ORDER BY a.decided_at, a.id`
	sqlReferralsToReceive = `SELECT r.case_id, c.number, fs.name, r.decided_at FROM case_referrals r
		JOIN cases c ON c.org_id = r.org_id AND c.id = r.case_id
		JOIN staff fs ON fs.org_id = r.org_id AND fs.id = r.from_worker_id
		WHERE r.org_id = $1 AND r.to_staff_id = $2 AND r.status = 'awaiting' ORDER BY r.decided_at, r.id`
)

func (r ApprovalRule) Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]reminder.Item, error) {
	days := r.OverdueDays
	if days <= 0 {
		days = 3
	}
	var out []reminder.Item
	rows, err := q.QueryContext(ctx, sqlCaseApprovalsToDecide, p.OrgID, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("cases: approvals to decide: %w", err)
	}
	for rows.Next() {
		var id, caseID int64
		var kind, title string
		var started sql.NullTime
		if err := rows.Scan(&id, &kind, &caseID, &title, &started); err != nil {
			rows.Close()
			return nil, err
		}
		startedOn := app.Today(started.Time)
		waited := startedOn.DaysUntil(today)
		if waited <= days {
			continue
		}
		out = append(out, reminder.Item{Kind: "个案审批待处理", Title: title, Href: caseHref(caseID),
			Detail: fmt.Sprintf("%s等待您审批已 %d 天，请尽快处理", KindName(kind), waited), Due: startedOn.AddDays(days),
			Overdue: true})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, sqlCaseApprovalsRejected, p.OrgID, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("cases: rejected approvals: %w", err)
	}
	for rows.Next() {
		var id, caseID int64
		var kind, title string
		var decided sql.NullTime
		if err := rows.Scan(&id, &kind, &caseID, &title, &decided); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, reminder.Item{Kind: "个案申请被驳回", Title: title, Href: caseHref(caseID),
			Detail: KindName(kind) + "被督导驳回，请按意见修改后重新提交或撤回", Due: app.Today(decided.Time)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if p.StaffID == 0 {
		return out, nil
	}
	rows, err = q.QueryContext(ctx, sqlReferralsToReceive, p.OrgID, p.StaffID)
	if err != nil {
		return nil, fmt.Errorf("cases: referrals to receive: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var caseID int64
		var number, from string
		var at sql.NullTime
		if err := rows.Scan(&caseID, &number, &from, &at); err != nil {
			return nil, err
		}
		decided := app.Today(at.Time)
		waited := decided.DaysUntil(today)
		out = append(out, reminder.Item{Kind: "转介待接收", Title: "个案 " + number, Href: caseHref(caseID),
			Detail: fmt.Sprintf("%s转介给您的个案，请确认接收或说明原因拒绝", from), Due: decided.AddDays(days),
			Overdue: waited > days})
	}
	return out, rows.Err()
}
