package cases

import (
	"context"
	"database/sql"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// RecountFollowups recounts the follow-up figures kept on the cases, as a
// write path that changes their service follow-ups does.
func (s *CaseService) RecountFollowups(ctx context.Context, orgID int64, caseIDs ...int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error { return s.recountFollowups(ctx, tx, orgID, caseIDs...) })
}

// The home page figures and the follow-up reminders as they were computed
// before the figures were kept on cases: per case from the follow-up
// records, this month's count and the last date.

// RecordsFollowupRule and RecordsSuperviseeRule are the rules reading the
// follow-up records.
func RecordsFollowupRule() FollowupRule     { return FollowupRule{openCases: recordsOpenCasesOf} }
func RecordsSuperviseeRule() SuperviseeRule { return SuperviseeRule{byWorker: recordsBehindByWorker} }

// recordsBehindByWorker tallies the open cases read by recordsOpenCasesOf.
func recordsBehindByWorker(ctx context.Context, q db.Querier, orgID int64, workers []int64, r rules) ([]workerBehind, error) {
	cases, err := recordsOpenCasesOf(ctx, q, orgID, workers, r, false)
	if err != nil {
		return nil, err
	}
	var out []workerBehind
	by := map[int64]int{}
	for _, c := range cases {
		if !r.behind(StateOpen, c.MonthN, c.Last) {
			continue
		}
		i, ok := by[c.WorkerID]
		if !ok {
			i = len(out)
			by[c.WorkerID] = i
			out = append(out, workerBehind{WorkerID: c.WorkerID, WorkerName: c.WorkerName})
		}
		t := &out[i]
		t.Behind++
		if !c.Last.After(r.idleBefore) {
			t.Idle++
		}
		if len(t.Numbers) < 3 {
			t.Numbers = append(t.Numbers, c.Number)
		}
	}
	return out, nil
}

const sqlRecordsOpenCasesOf = `SELECT c.id, c.number, %s, c.worker_id, st.name, c.opened_on,
	(SELECT COUNT(*) FROM case_followups f WHERE f.org_id = c.org_id AND f.case_id = c.id AND f.kind = 'service'
		AND f.held_on >= $2 AND f.held_on <= $3),
	(SELECT MAX(f.held_on) FROM case_followups f WHERE f.org_id = c.org_id AND f.case_id = c.id AND f.kind = 'service')
	FROM cases c%s
	JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
	WHERE c.org_id = $1 AND c.state = 'open' AND c.worker_id IN (%s)
	ORDER BY st.name, c.worker_id, c.number`

func recordsOpenCasesOf(ctx context.Context, q db.Querier, orgID int64, workers []int64, r rules, names bool) ([]openCase, error) {
	if len(workers) == 0 {
		return nil, nil
	}
	name, join := "''", ""
	if names {
		name, join = "cl.name", `
	JOIN clients cl ON cl.org_id = c.org_id AND cl.id = c.client_id`
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(sqlRecordsOpenCasesOf, name, join, joinIDList(workers)), orgID, r.monthStart, r.monthEnd)
	if err != nil {
		return nil, err
	}
	return scanOpenCases(rows, names)
}

// RecordsFigures is Figures counted from the follow-up records.
func (s *CaseService) RecordsFigures(ctx context.Context, p *authz.Principal) (*KeyFigures, error) {
	if agency(p) != nil || !p.Can(PermCaseRead) {
		return nil, nil
	}
	st, err := loadSettings(ctx, s.DB.R, p.OrgID)
	if err != nil {
		return nil, err
	}
	r := rulesOn(st, s.today())
	var args app.Args
	ms, me := args.Add(r.monthStart), args.Add(r.monthEnd)
	min, near, idle := args.Add(st.FollowupsPerMonth), args.Add(boolInt(r.near)), args.Add(r.idleBefore)
	count := `(SELECT COUNT(*) FROM case_followups f WHERE f.org_id = c.org_id AND f.case_id = c.id
		AND f.kind = 'service' AND f.held_on >= ` + ms + ` AND f.held_on <= ` + me + `)`
	last := `COALESCE((SELECT MAX(f.held_on) FROM case_followups f WHERE f.org_id = c.org_id AND f.case_id = c.id
		AND f.kind = 'service'), c.opened_on)`
	behind := `(c.state = 'open' AND ((` + near + ` = 1 AND ` + count + ` < ` + min + `) OR ` + last + ` <= ` + idle + `))`
	scope := p.Scope(PermCaseRead).SQL(authz.Cols{Org: "c.org_id", Owner: "c.worker_id", Site: "c.site_id"}, args.Add)
	q := `SELECT
		COALESCE(SUM(CASE WHEN c.state = 'open' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(` + count + `), 0),
		COALESCE(SUM(CASE WHEN ` + behind + ` THEN 1 ELSE 0 END), 0)
		FROM cases c WHERE ` + scope
	var k KeyFigures
	if err := s.DB.R.QueryRowContext(ctx, q, args...).Scan(&k.Open, &k.MonthFollowups, &k.Behind); err != nil {
		return nil, err
	}
	return &k, nil
}
