package cases

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/tally"
)

// Follow-up kinds: during the intervention, and after closure.
const (
	FollowupService     = "service"
	FollowupPostClosure = "post_closure"
)

// GoalProgress is the progress one follow-up recorded for one goal.
type GoalProgress struct {
	GoalID        int64  `json:"goal_id"`
	GoalTitle     string `json:"goal_title"`
	Progress      string `json:"progress"`
	ProgressLabel string `json:"progress_label"`
	Note          string `json:"note,omitempty"`
}

// Followup is one follow-up record (过程记录) or post-closure follow-up.
type Followup struct {
	ID          int64          `json:"id"`
	Kind        string         `json:"kind"`
	HeldOn      app.Date       `json:"held_on"`
	Method      string         `json:"method"`
	MethodLabel string         `json:"method_label"`
	DurationMin int            `json:"duration_min"`
	Content     string         `json:"content"`
	NextStep    string         `json:"next_step"`
	WorkerID    int64          `json:"worker_id"`
	WorkerName  string         `json:"worker_name"`
	CreatedAt   time.Time      `json:"created_at"`
	Progress    []GoalProgress `json:"progress"`
}

// ProgressInput is the progress towards one goal recorded with a follow-up.
type ProgressInput struct {
	GoalID   int64  `json:"goal_id"`
	Progress string `json:"progress" doc:"none 暂无进展, some 有所进展, much 明显进展, achieved 已达成"`
	Note     string `json:"note"`
}

// FollowupInput is the follow-up form. Progress is required for every goal
// of the plan during the intervention and not asked after closure.
type FollowupInput struct {
	HeldOn      app.Date        `json:"held_on"`
	Method      string          `json:"method" doc:"in_person 面谈, phone 电话, home_visit 家访, online 线上, escort 陪同/外展, other 其他"`
	DurationMin int             `json:"duration_min" doc:"时长（分钟）"`
	Content     string          `json:"content"`
	NextStep    string          `json:"next_step"`
	Progress    []ProgressInput `json:"progress"`
}

func (s *CaseService) checkFollowup(v *app.Validation, in *FollowupInput) {
	if in.HeldOn.IsZero() {
		v.Add("held_on", "请填写跟进日期")
	} else if in.HeldOn.After(s.today()) {
		v.Add("held_on", "跟进日期不能晚于今天")
	}
	v.OneOf("method", in.Method, "跟进方式", Methods...)
	if in.DurationMin < 1 || in.DurationMin > 1440 {
		v.Add("duration_min", "时长应在 1 到 1440 分钟之间")
	}
	checkText(v, "content", "跟进内容", &in.Content, true, 5000)
	checkText(v, "next_step", "下一步计划", &in.NextStep, false, 1000)
}

const (
	sqlInsertFollowup = `INSERT INTO case_followups (org_id, case_id, kind, held_on, method, duration_min, content, next_step,
		worker_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`
	sqlInsertProgress = `INSERT INTO case_goal_progress (org_id, followup_id, goal_id, progress, note) VALUES ($1, $2, $3, $4, $5)`
	sqlOpenGoals      = `SELECT id, title FROM case_goals WHERE org_id = $1 AND case_id = $2 ORDER BY seq, id`
)

// AddFollowup records a follow-up of an open case with the progress towards
// each goal (C4). Follow-ups are only recorded on open cases.
func (s *CaseService) AddFollowup(ctx context.Context, p *authz.Principal, id int64, in FollowupInput) (*Followup, error) {
	var v app.Validation
	s.checkFollowup(&v, &in)
	now := s.Now()
	var fid int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		switch c.State {
		case StateOpen:
		case StatePostClosure:
			return app.Errorf(app.EConflict, "个案已结案，请记录结案后跟进")
		default:
			return app.Errorf(app.EConflict, "个案%s，只有介入跟进中的个案可以记录跟进", StateLabel(c.State))
		}
		if !in.HeldOn.IsZero() && in.HeldOn.Before(c.OpenedOn) {
			v.Add("held_on", "跟进日期不能早于开案日期 "+c.OpenedOn.String())
		}
		goals, err := goalTitles(ctx, tx, c)
		if err != nil {
			return err
		}
		given := map[int64]ProgressInput{}
		for _, pr := range in.Progress {
			if _, ok := goals[pr.GoalID]; !ok {
				return fieldError("progress", "目标不属于该个案，请刷新页面后再试")
			}
			given[pr.GoalID] = pr
		}
		var order []int64
		for gid := range goals {
			order = append(order, gid)
		}
		sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
		for _, gid := range order {
			pr, ok := given[gid]
			field := fmt.Sprintf("progress_%d", gid)
			if !ok || pr.Progress == "" {
				v.Add(field, "请选择目标「"+goals[gid]+"」的进展")
				continue
			}
			v.OneOf(field, pr.Progress, "进展", ProgressLevels...)
			pr.Note = trimmed(pr.Note)
			v.MaxLen(fmt.Sprintf("progress_note_%d", gid), pr.Note, "进展说明", 500)
			given[gid] = pr
		}
		if err := v.Err(); err != nil {
			return err
		}
		if fid, err = s.insertFollowup(ctx, tx, p, c, FollowupService, in, now); err != nil {
			return err
		}
		for _, gid := range order {
			pr := given[gid]
			if _, err := tx.ExecContext(ctx, sqlInsertProgress, c.orgID, fid, gid, pr.Progress, pr.Note); err != nil {
				return fmt.Errorf("cases: insert progress: %w", err)
			}
		}
		return logEvent(ctx, tx, c, now, p.UserID, p.Username, "followup",
			fmt.Sprintf("%s %s跟进 %d 分钟", in.HeldOn, MethodLabel(in.Method), in.DurationMin))
	})
	if err != nil {
		return nil, err
	}
	return s.followup(ctx, p, id, fid)
}

// goalTitles returns the plan's goals by id.
func goalTitles(ctx context.Context, q db.Querier, c *Case) (map[int64]string, error) {
	rows, err := q.QueryContext(ctx, sqlOpenGoals, c.orgID, c.ID)
	if err != nil {
		return nil, fmt.Errorf("cases: goals: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			return nil, err
		}
		out[id] = title
	}
	return out, rows.Err()
}

func (s *CaseService) insertFollowup(ctx context.Context, tx *sql.Tx, p *authz.Principal, c *Case, kind string,
	in FollowupInput, now time.Time) (int64, error) {
	worker := p.StaffID
	if worker == 0 {
		worker = c.WorkerID
	}
	var id int64
	if err := tx.QueryRowContext(ctx, sqlInsertFollowup, c.orgID, c.ID, kind, in.HeldOn, in.Method, in.DurationMin,
		in.Content, in.NextStep, worker, p.UserID, now.UTC()).Scan(&id); err != nil {
		return 0, fmt.Errorf("cases: insert follow-up: %w", err)
	}
	if kind == FollowupService {
		if err := s.recountFollowups(ctx, tx, c.orgID, c.ID); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// recountFollowups recounts the follow-up figures kept on cases from their
// records (tally.CaseFollowupsSQL). Every write that adds, changes, moves
// or removes a service follow-up calls it for the cases concerned, in the
// same transaction, after the change.
//
// On PostgreSQL it first takes the case's row lock in a statement of its
// own: the recount's snapshot is then taken once a concurrent write of the
// same case's follow-ups has committed, and counts that write's records
// (an UPDATE waiting for the lock would keep the snapshot it started with
// and miss them). SQLite writes one transaction at a time.
func (s *CaseService) recountFollowups(ctx context.Context, tx *sql.Tx, orgID int64, caseIDs ...int64) error {
	q := tally.CaseFollowupsSQL(s.DB.Dialect, "org_id = $1 AND id = $2")
	for _, id := range caseIDs {
		if s.DB.Dialect == db.Postgres {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET last_followup_on = last_followup_on WHERE org_id = $1 AND id = $2`,
				orgID, id); err != nil {
				return fmt.Errorf("cases: lock case: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, q, orgID, id); err != nil {
			return fmt.Errorf("cases: recount follow-ups: %w", err)
		}
	}
	return nil
}

// AddPostClosure records a written follow-up after closure (C6). When every
// post-closure month has its record, the case is archived in the same
// transaction.
func (s *CaseService) AddPostClosure(ctx context.Context, p *authz.Principal, id int64, in FollowupInput) (*Followup, error) {
	var v app.Validation
	s.checkFollowup(&v, &in)
	in.Progress = nil
	now, today := s.Now(), s.today()
	var fid int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		if c.State != StatePostClosure {
			return app.Errorf(app.EConflict, "个案%s，只有结案后跟进阶段的个案可以记录结案后跟进", StateLabel(c.State))
		}
		if !in.HeldOn.IsZero() && in.HeldOn.Before(c.ClosedOn) {
			v.Add("held_on", "结案后跟进日期不能早于结案日期 "+c.ClosedOn.String())
		}
		if err := v.Err(); err != nil {
			return err
		}
		if fid, err = s.insertFollowup(ctx, tx, p, c, FollowupPostClosure, in, now); err != nil {
			return err
		}
		if err := logEvent(ctx, tx, c, now, p.UserID, p.Username, "post_followup",
			fmt.Sprintf("%s %s结案后跟进", in.HeldOn, MethodLabel(in.Method))); err != nil {
			return err
		}
		st, err := loadSettings(ctx, tx, c.orgID)
		if err != nil {
			return err
		}
		dates, err := postClosureDates(ctx, tx, c)
		if err != nil {
			return err
		}
		if !PostClosureDone(c.ClosedOn, st.PostClosureMonths, dates) {
			return nil
		}
		if err := bumpCase(ctx, tx, c, now, StateArchived, ", archived_on = $6", today); err != nil {
			return err
		}
		return logEvent(ctx, tx, c, now, p.UserID, p.Username, "archive",
			fmt.Sprintf("结案后 %d 个月的跟进已完成，个案归档", st.PostClosureMonths))
	})
	if err != nil {
		return nil, err
	}
	return s.followup(ctx, p, id, fid)
}

const sqlPostClosureDates = `SELECT held_on FROM case_followups
	WHERE org_id = $1 AND case_id = $2 AND kind = 'post_closure' AND held_on >= $3 ORDER BY held_on, id`

func postClosureDates(ctx context.Context, q db.Querier, c *Case) ([]app.Date, error) {
	rows, err := q.QueryContext(ctx, sqlPostClosureDates, c.orgID, c.ID, c.ClosedOn)
	if err != nil {
		return nil, fmt.Errorf("cases: post-closure dates: %w", err)
	}
	defer rows.Close()
	var out []app.Date
	for rows.Next() {
		var d app.Date
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Window is one month of the post-closure follow-up: from Start to End
// inclusive, and the record that covers it.
type Window struct {
	Month    int      `json:"month"`
	Start    app.Date `json:"start"`
	End      app.Date `json:"end"`
	Done     bool     `json:"done"`
	RecordOn app.Date `json:"record_on,omitzero"`
	Late     bool     `json:"late"` // recorded after the month ended
}

// PostClosureWindows lays out the post-closure months after closed and
// matches the records to them: each month takes the earliest unused record
// made on or after its start, so that two records in the first month do not
// stand for the second, while a late record still completes a missed one.
func PostClosureWindows(closed app.Date, months int, records []app.Date) []Window {
	sorted := append([]app.Date(nil), records...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	used := make([]bool, len(sorted))
	out := make([]Window, months)
	for k := range months {
		w := Window{Month: k + 1, Start: closed.AddMonths(k), End: closed.AddMonths(k + 1).AddDays(-1)}
		for i, d := range sorted {
			if used[i] || d.Before(w.Start) {
				continue
			}
			used[i] = true
			w.Done, w.RecordOn, w.Late = true, d, d.After(w.End)
			break
		}
		out[k] = w
	}
	return out
}

// PostClosureDone reports whether every post-closure month has its record.
func PostClosureDone(closed app.Date, months int, records []app.Date) bool {
	for _, w := range PostClosureWindows(closed, months, records) {
		if !w.Done {
			return false
		}
	}
	return true
}

const (
	sqlFollowups = `SELECT f.id, f.kind, f.held_on, f.method, f.duration_min, f.content, f.next_step, f.worker_id, st.name,
		f.created_at FROM case_followups f JOIN staff st ON st.org_id = f.org_id AND st.id = f.worker_id
		WHERE f.org_id = $1 AND f.case_id = $2 ORDER BY f.held_on, f.id`
	sqlProgressOfCase = `SELECT gp.followup_id, gp.goal_id, g.title, gp.progress, gp.note FROM case_goal_progress gp
		JOIN case_goals g ON g.org_id = gp.org_id AND g.id = gp.goal_id
		JOIN case_followups f ON f.org_id = gp.org_id AND f.id = gp.followup_id
		WHERE gp.org_id = $1 AND f.case_id = $2 ORDER BY gp.followup_id, g.seq, g.id`
)

// loadFollowups reads every follow-up of a case, oldest first.
func loadFollowups(ctx context.Context, q db.Querier, orgID, caseID int64) ([]Followup, error) {
	rows, err := q.QueryContext(ctx, sqlFollowups, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: follow-ups: %w", err)
	}
	out := []Followup{}
	index := map[int64]int{}
	for rows.Next() {
		var f Followup
		if err := rows.Scan(&f.ID, &f.Kind, &f.HeldOn, &f.Method, &f.DurationMin, &f.Content, &f.NextStep, &f.WorkerID,
			&f.WorkerName, &f.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		f.MethodLabel = MethodLabel(f.Method)
		f.Progress = []GoalProgress{}
		index[f.ID] = len(out)
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, sqlProgressOfCase, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: progress: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fid int64
		var gp GoalProgress
		if err := rows.Scan(&fid, &gp.GoalID, &gp.GoalTitle, &gp.Progress, &gp.Note); err != nil {
			return nil, err
		}
		gp.ProgressLabel = ProgressLabel(gp.Progress)
		if i, ok := index[fid]; ok {
			out[i].Progress = append(out[i].Progress, gp)
		}
	}
	return out, rows.Err()
}

// Followups lists a case's follow-ups, both kinds, oldest first.
func (s *CaseService) Followups(ctx context.Context, p *authz.Principal, id int64) ([]Followup, error) {
	c, err := s.caseFor(ctx, s.DB.R, p, PermCaseRead, id)
	if err != nil {
		return nil, err
	}
	return loadFollowups(ctx, s.DB.R, c.orgID, c.ID)
}

func (s *CaseService) followup(ctx context.Context, p *authz.Principal, caseID, id int64) (*Followup, error) {
	all, err := s.Followups(ctx, p, caseID)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, app.ErrNotFound("跟进记录")
}
