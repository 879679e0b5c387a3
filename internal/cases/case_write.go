package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/seqno"
)

// IntakeInput is the intake form (接案表).
type IntakeInput struct {
	ClientID          int64    `json:"client_id"`
	SiteID            int64    `json:"site_id"`
	WorkerID          int64    `json:"worker_id" doc:"负责社工（同工编号）；不填为本人"`
	IntakeDate        app.Date `json:"intake_date"`
	Source            string   `json:"source" doc:"来源：self, family, community, school, agency, outreach, other"`
	RiskLevel         string   `json:"risk_level" doc:"风险等级：low, medium, high"`
	PresentingProblem string   `json:"presenting_problem"`
	Note              string   `json:"note"`
	Version           int64    `json:"version" doc:"修改时填写读取到的版本号"`
}

// checkIntakeFields validates the parts of the intake an edit may change.
func (s *CaseService) checkIntakeFields(v *app.Validation, in *IntakeInput) {
	today := s.today()
	if in.IntakeDate.IsZero() {
		v.Add("intake_date", "请填写接案日期")
	} else if in.IntakeDate.After(today) {
		v.Add("intake_date", "接案日期不能晚于今天")
	}
	v.OneOf("source", in.Source, "个案来源", Sources...)
	v.OneOf("risk_level", in.RiskLevel, "风险等级", RiskLevels...)
	checkText(v, "presenting_problem", "主要问题", &in.PresentingProblem, true, 2000)
	checkText(v, "note", "备注", &in.Note, false, 2000)
}

const (
	sqlClientFacts = `SELECT name, worker_id, site_id FROM clients WHERE org_id = $1 AND id = $2`
	sqlStaffActive = `SELECT name FROM staff WHERE org_id = $1 AND id = $2 AND status = 'active'`
	sqlStaffAtSite = `SELECT COUNT(*) FROM staff_assignments WHERE org_id = $1 AND staff_id = $2 AND site_id = $3
		AND start_date <= $4 AND (end_date IS NULL OR end_date >= $4)`
	sqlStaffSitesNow = `SELECT DISTINCT site_id FROM staff_assignments WHERE org_id = $1 AND staff_id = $2
		AND start_date <= $3 AND (end_date IS NULL OR end_date >= $3) ORDER BY site_id`
	sqlSiteCode   = `SELECT code FROM sites WHERE org_id = $1 AND id = $2 AND status = 'active'`
	sqlLiveCase   = `SELECT number FROM cases WHERE org_id = $1 AND client_id = $2 AND state <> 'archived'`
	sqlInsertCase = `INSERT INTO cases (org_id, number, client_id, site_id, worker_id, state, risk_level, source,
		intake_date, presenting_problem, intake_note, created_by, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, 'intake', $6, $7, $8, $9, $10, $11, $12, $12, 1) RETURNING id`
)

// staffSitesOn returns the service points a staff member is assigned to on a day.
func staffSitesOn(ctx context.Context, q db.Querier, orgID, staffID int64, on app.Date) ([]int64, error) {
	rows, err := q.QueryContext(ctx, sqlStaffSitesNow, orgID, staffID, on)
	if err != nil {
		return nil, fmt.Errorf("cases: staff sites: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Create records the intake of a new case (接案) for a client and gives it
// its number.
func (s *CaseService) Create(ctx context.Context, p *authz.Principal, in IntakeInput) (*Case, error) {
	if err := agency(p); err != nil {
		return nil, err
	}
	if !p.Can(PermCaseWrite) {
		return nil, app.ErrForbidden()
	}
	if in.WorkerID == 0 {
		in.WorkerID = p.StaffID
	}
	now, today := s.Now(), s.today()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var v app.Validation
		var clientName string
		if v.Chosen("client_id", in.ClientID, "服务对象") {
			var cw, cs int64
			err := tx.QueryRowContext(ctx, sqlClientFacts, p.OrgID, in.ClientID).Scan(&clientName, &cw, &cs)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				v.Add("client_id", "请选择有效的服务对象")
			case err != nil:
				return fmt.Errorf("cases: load client: %w", err)
			case !p.Scope(PermClientRead).Allows(authz.Obj{OrgID: p.OrgID, OwnerID: cw, SiteIDs: []int64{cs}}):
				v.Add("client_id", "请选择有效的服务对象")
			default:
				var live string
				err := tx.QueryRowContext(ctx, sqlLiveCase, p.OrgID, in.ClientID).Scan(&live)
				if err == nil {
					v.Add("client_id", "该服务对象已有进行中的个案 "+live+"，请在原个案上继续或重开")
				} else if !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("cases: live case: %w", err)
				}
			}
		}
		if v.Chosen("worker_id", in.WorkerID, "负责社工") {
			var name string
			err := tx.QueryRowContext(ctx, sqlStaffActive, p.OrgID, in.WorkerID).Scan(&name)
			if errors.Is(err, sql.ErrNoRows) {
				v.Add("worker_id", "请选择在职的负责社工")
			} else if err != nil {
				return fmt.Errorf("cases: load worker: %w", err)
			}
		}
		if in.SiteID == 0 && in.WorkerID != 0 && !v.Has("worker_id") {
			sites, err := staffSitesOn(ctx, tx, p.OrgID, in.WorkerID, today)
			if err != nil {
				return err
			}
			if len(sites) == 1 {
				in.SiteID = sites[0]
			}
		}
		var siteCode string
		if v.Chosen("site_id", in.SiteID, "服务点") {
			err := tx.QueryRowContext(ctx, sqlSiteCode, p.OrgID, in.SiteID).Scan(&siteCode)
			if errors.Is(err, sql.ErrNoRows) {
				v.Add("site_id", "请选择有效的服务点")
			} else if err != nil {
				return fmt.Errorf("cases: load site: %w", err)
			} else if !v.Has("worker_id") {
				var n int
				if err := tx.QueryRowContext(ctx, sqlStaffAtSite, p.OrgID, in.WorkerID, in.SiteID, today).Scan(&n); err != nil {
					return fmt.Errorf("cases: worker at site: %w", err)
				}
				if n == 0 {
					v.Add("worker_id", "负责社工目前不在该服务点任职")
				}
			}
		}
		if !v.Has("worker_id") && !v.Has("site_id") && in.WorkerID != 0 && in.SiteID != 0 &&
			!p.Scope(PermCaseWrite).Allows(authz.Obj{OrgID: p.OrgID, OwnerID: in.WorkerID, SiteIDs: []int64{in.SiteID}}) {
			v.Add("worker_id", "您不能为该社工建立个案")
		}
		s.checkIntakeFields(&v, &in)
		if err := v.Err(); err != nil {
			return err
		}
		no, err := seqno.Next(ctx, tx, seqno.Key{OrgID: p.OrgID, Kind: seqno.Case, ScopeID: in.SiteID, Year: in.IntakeDate.Year()})
		if err != nil {
			return err
		}
		number := fmt.Sprintf("%d-%s-%04d", in.IntakeDate.Year(), strings.ToUpper(siteCode), no)
		err = tx.QueryRowContext(ctx, sqlInsertCase, p.OrgID, number, in.ClientID, in.SiteID, in.WorkerID, in.RiskLevel,
			in.Source, in.IntakeDate, in.PresentingProblem, in.Note, p.UserID, now.UTC()).Scan(&id)
		if db.IsUniqueViolation(err) {
			return app.Errorf(app.EConflict, "该服务对象已有进行中的个案，请刷新后查看")
		}
		if err != nil {
			return fmt.Errorf("cases: insert case: %w", err)
		}
		c, err := s.loadCase(ctx, tx, p.OrgID, id)
		if err != nil {
			return err
		}
		return logEvent(ctx, tx, c, now, p.UserID, p.Username, "intake",
			fmt.Sprintf("接案：%s；来源：%s；%s", c.ClientName, SourceLabel(in.Source), RiskLabel(in.RiskLevel)))
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

const sqlUpdateIntake = `, intake_date = $6, source = $7, risk_level = $8, presenting_problem = $9, intake_note = $10`

// UpdateIntake corrects the intake while the case is being prepared for
// opening; client, worker and service point stay (reassignment moves a case).
func (s *CaseService) UpdateIntake(ctx context.Context, p *authz.Principal, id int64, in IntakeInput) (*Case, error) {
	var v app.Validation
	s.checkIntakeFields(&v, &in)
	now := s.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if c.Version != in.Version {
			return errStale
		}
		if !beforeOpening(c.State) {
			return app.Errorf(app.EConflict, "个案已%s，接案记录不能再修改", StateLabel(c.State))
		}
		if err := bumpCase(ctx, tx, c, now, c.State, sqlUpdateIntake, in.IntakeDate, in.Source, in.RiskLevel,
			in.PresentingProblem, in.Note); err != nil {
			return err
		}
		return logEvent(ctx, tx, c, now, p.UserID, p.Username, "intake_edit", "修改接案记录")
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// AssessmentInput is the assessment form (预估表).
type AssessmentInput struct {
	AssessedOn app.Date `json:"assessed_on"`
	Assessment string   `json:"assessment" doc:"预估结论：问题分析与评估"`
	Needs      string   `json:"needs"`
	Strengths  string   `json:"strengths"`
	RiskLevel  string   `json:"risk_level"`
	Version    int64    `json:"version"`
}

const sqlUpdateAssessment = `, assessed_on = $6, assessment = $7, needs = $8, strengths = $9, risk_level = $10`

// SaveAssessment records or revises the assessment. A case at intake moves
// on to assessment; an open case may be re-assessed.
func (s *CaseService) SaveAssessment(ctx context.Context, p *authz.Principal, id int64, in AssessmentInput) (*Case, error) {
	var v app.Validation
	if in.AssessedOn.IsZero() {
		v.Add("assessed_on", "请填写预估日期")
	} else if in.AssessedOn.After(s.today()) {
		v.Add("assessed_on", "预估日期不能晚于今天")
	}
	checkText(&v, "assessment", "预估结论", &in.Assessment, true, 5000)
	checkText(&v, "needs", "服务需求", &in.Needs, true, 2000)
	checkText(&v, "strengths", "优势与资源", &in.Strengths, false, 2000)
	v.OneOf("risk_level", in.RiskLevel, "风险等级", RiskLevels...)
	now := s.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if c.Version != in.Version {
			return errStale
		}
		if !in.AssessedOn.IsZero() && in.AssessedOn.Before(c.IntakeDate) {
			return fieldError("assessed_on", "预估日期不能早于接案日期 "+c.IntakeDate.String())
		}
		state := c.State
		switch c.State {
		case StateIntake:
			state = StateAssessment
		case StateAssessment, StatePlanned, StateOpen:
		default:
			return app.Errorf(app.EConflict, "个案%s，不能修改预估", StateLabel(c.State))
		}
		detail := "完成预估"
		if c.State != StateIntake {
			detail = "修改预估"
		}
		if c.RiskLevel != in.RiskLevel {
			detail += "；风险等级：" + RiskLabel(c.RiskLevel) + " → " + RiskLabel(in.RiskLevel)
		}
		if err := bumpCase(ctx, tx, c, now, state, sqlUpdateAssessment, in.AssessedOn, in.Assessment, in.Needs,
			in.Strengths, in.RiskLevel); err != nil {
			return err
		}
		return logEvent(ctx, tx, c, now, p.UserID, p.Username, "assessment", detail)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// GoalInput is one goal of the plan form; ID 0 adds a goal, and a blank
// title removes an existing one that has no progress recorded.
type GoalInput struct {
	ID      int64  `json:"id"`
	Title   string `json:"title"`
	Measure string `json:"measure" doc:"如何衡量达成（指标或评估方式）"`
}

// PlanInput is the service plan form (服务计划).
type PlanInput struct {
	PlannedOn app.Date    `json:"planned_on"`
	Strategy  string      `json:"strategy" doc:"介入策略与服务安排"`
	PlanEnd   app.Date    `json:"plan_end" doc:"预计结束日期，可不填"`
	Goals     []GoalInput `json:"goals"`
	Version   int64       `json:"version"`
}

// MaxGoals bounds the goals of one plan.
const MaxGoals = 10

const (
	sqlUpdatePlan   = `, planned_on = $6, plan_strategy = $7, plan_end = $8`
	sqlInsertGoal   = `INSERT INTO case_goals (org_id, case_id, seq, title, measure, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`
	sqlUpdateGoal   = `UPDATE case_goals SET seq = $4, title = $5, measure = $6, updated_at = $7 WHERE org_id = $1 AND case_id = $2 AND id = $3`
	sqlGoalUsed     = `SELECT (SELECT COUNT(*) FROM case_goal_progress WHERE org_id = $1 AND goal_id = $2) + (SELECT COUNT(*) FROM case_closure_goals WHERE org_id = $1 AND goal_id = $2)`
	sqlDeleteGoal   = `DELETE FROM case_goals WHERE org_id = $1 AND case_id = $2 AND id = $3`
	sqlGoalsOfCase  = `SELECT id, title FROM case_goals WHERE org_id = $1 AND case_id = $2 ORDER BY seq, id`
	sqlCountGoalsOf = `SELECT COUNT(*) FROM case_goals WHERE org_id = $1 AND case_id = $2`
)

// SavePlan records or revises the service plan and its goals. A case after
// assessment moves on to planned; an open case's plan may be revised.
func (s *CaseService) SavePlan(ctx context.Context, p *authz.Principal, id int64, in PlanInput) (*Case, error) {
	var v app.Validation
	if in.PlannedOn.IsZero() {
		v.Add("planned_on", "请填写计划日期")
	} else if in.PlannedOn.After(s.today()) {
		v.Add("planned_on", "计划日期不能晚于今天")
	}
	if !in.PlanEnd.IsZero() && !in.PlannedOn.IsZero() && in.PlanEnd.Before(in.PlannedOn) {
		v.Add("plan_end", "预计结束日期不能早于计划日期")
	}
	checkText(&v, "strategy", "介入策略", &in.Strategy, true, 5000)
	kept := 0
	for i := range in.Goals {
		g := &in.Goals[i]
		checkText(&v, fmt.Sprintf("goal_title_%d", i), fmt.Sprintf("目标%d", i+1), &g.Title, false, 200)
		checkText(&v, fmt.Sprintf("goal_measure_%d", i), fmt.Sprintf("目标%d的衡量方式", i+1), &g.Measure, false, 500)
		if g.Title == "" && g.Measure != "" {
			v.Add(fmt.Sprintf("goal_title_%d", i), "请填写目标内容，或清空衡量方式")
		}
		if g.Title != "" {
			kept++
		}
	}
	if kept == 0 {
		v.Add("goals", "服务计划至少需要一个目标")
	} else if kept > MaxGoals {
		v.Add("goals", fmt.Sprintf("服务计划最多 %d 个目标", MaxGoals))
	}
	now := s.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.caseFor(ctx, tx, p, PermCaseWrite, id)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if c.Version != in.Version {
			return errStale
		}
		if !in.PlannedOn.IsZero() && in.PlannedOn.Before(c.IntakeDate) {
			return fieldError("planned_on", "计划日期不能早于接案日期 "+c.IntakeDate.String())
		}
		state := c.State
		switch c.State {
		case StateIntake:
			return app.Errorf(app.EConflict, "请先完成预估，再制定服务计划")
		case StateAssessment:
			state = StatePlanned
		case StatePlanned, StateOpen:
		default:
			return app.Errorf(app.EConflict, "个案%s，不能修改服务计划", StateLabel(c.State))
		}
		if err := s.saveGoals(ctx, tx, c, in.Goals, now); err != nil {
			return err
		}
		detail := fmt.Sprintf("制定服务计划，%d 个目标", kept)
		if c.State != StateAssessment {
			detail = fmt.Sprintf("修改服务计划，%d 个目标", kept)
		}
		if err := bumpCase(ctx, tx, c, now, state, sqlUpdatePlan, in.PlannedOn, in.Strategy, in.PlanEnd); err != nil {
			return err
		}
		return logEvent(ctx, tx, c, now, p.UserID, p.Username, "plan", detail)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// saveGoals applies the plan form's goals: existing ones are updated in the
// given order, new ones added, and blank ones removed unless a follow-up or
// the closure already rated them.
func (s *CaseService) saveGoals(ctx context.Context, tx *sql.Tx, c *Case, goals []GoalInput, now time.Time) error {
	existing := map[int64]string{}
	rows, err := tx.QueryContext(ctx, sqlGoalsOfCase, c.orgID, c.ID)
	if err != nil {
		return fmt.Errorf("cases: goals of case: %w", err)
	}
	var order []int64
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			rows.Close()
			return err
		}
		existing[id] = title
		order = append(order, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	seen := map[int64]bool{}
	seq := 0
	for i, g := range goals {
		if g.ID != 0 {
			if _, ok := existing[g.ID]; !ok || seen[g.ID] {
				return fieldError(fmt.Sprintf("goal_title_%d", i), "目标不属于该个案，请刷新页面后再试")
			}
			seen[g.ID] = true
		}
		if g.Title == "" {
			continue
		}
		seq++
		if g.ID != 0 {
			if _, err := tx.ExecContext(ctx, sqlUpdateGoal, c.orgID, c.ID, g.ID, seq, g.Title, g.Measure, now.UTC()); err != nil {
				return fmt.Errorf("cases: update goal: %w", err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, sqlInsertGoal, c.orgID, c.ID, seq, g.Title, g.Measure, now.UTC()); err != nil {
			return fmt.Errorf("cases: insert goal: %w", err)
		}
	}
	for _, id := range order {
		kept := false
		for _, g := range goals {
			if g.ID == id && g.Title != "" {
				kept = true
			}
		}
		if kept {
			continue
		}
		var used int
		if err := tx.QueryRowContext(ctx, sqlGoalUsed, c.orgID, id).Scan(&used); err != nil {
			return fmt.Errorf("cases: goal used: %w", err)
		}
		if used > 0 {
			return app.Errorf(app.EConflict, "目标「%s」已有跟进记录，不能删除", existing[id])
		}
		if _, err := tx.ExecContext(ctx, sqlDeleteGoal, c.orgID, c.ID, id); err != nil {
			return fmt.Errorf("cases: delete goal: %w", err)
		}
	}
	return nil
}

// fieldError is an input error on one field.
func fieldError(field, msg string) error {
	var v app.Validation
	v.Add(field, msg)
	return v.Err()
}
