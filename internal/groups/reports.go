package groups

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/reminder"
)

// Report is the group report (小组报告) filed after the last session.
type Report struct {
	ReportDate      app.Date  `json:"report_date"`
	Summary         string    `json:"summary"`
	GoalAttainment  string    `json:"goal_attainment"`
	Evaluation      string    `json:"evaluation"`
	Recommendations string    `json:"recommendations"`
	WrittenBy       string    `json:"written_by"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	Version         int64     `json:"version"`
}

// ReportInput files or edits the group report. Version is 0 when filing the
// report, the loaded version when editing it.
type ReportInput struct {
	ReportDate      app.Date `json:"report_date"`
	Summary         string   `json:"summary"`
	GoalAttainment  string   `json:"goal_attainment"`
	Evaluation      string   `json:"evaluation"`
	Recommendations string   `json:"recommendations"`
	Version         int64    `json:"version,omitempty" doc:"首次提交为 0；修改已提交的报告时填读取到的版本号"`
}

func (s *Service) report(ctx context.Context, q db.Querier, orgID, groupID int64) (*Report, error) {
	var r Report
	err := q.QueryRowContext(ctx, `SELECT r.report_date, r.summary, r.goal_attainment, r.evaluation, r.recommendations,
		u.display_name, r.created_at, r.updated_at, r.version
		FROM group_reports r JOIN users u ON u.org_id = r.org_id AND u.id = r.written_by
		WHERE r.org_id = $1 AND r.group_id = $2`, orgID, groupID).Scan(&r.ReportDate, &r.Summary, &r.GoalAttainment,
		&r.Evaluation, &r.Recommendations, &r.WrittenBy, &r.CreatedAt, &r.UpdatedAt, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("groups: get report: %w", err)
	}
	return &r, nil
}

// GetReport returns the report of a group in p's scope; a group without a
// report answers not found.
func (s *Service) GetReport(ctx context.Context, p *authz.Principal, groupID int64) (*Report, error) {
	if _, err := s.GetGroup(ctx, p, groupID); err != nil {
		return nil, err
	}
	r, err := s.report(ctx, s.DB.R, p.OrgID, groupID)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, app.ErrNotFound("小组报告")
	}
	return r, nil
}

// FileReport files the group report, which finishes the group, or edits
// the one filed. The report needs at least one session held and is dated
// on or after the last session. It reports whether the report was new.
func (s *Service) FileReport(ctx context.Context, p *authz.Principal, groupID int64, in ReportInput) (bool, error) {
	in.Summary = strings.TrimSpace(in.Summary)
	in.GoalAttainment = strings.TrimSpace(in.GoalAttainment)
	in.Evaluation = strings.TrimSpace(in.Evaluation)
	in.Recommendations = strings.TrimSpace(in.Recommendations)
	now := s.Now().UTC()
	today := app.Today(s.Now())
	created := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := s.writableGroup(ctx, tx, p, groupID)
		if err != nil {
			return err
		}
		old, err := s.report(ctx, tx, p.OrgID, groupID)
		if err != nil {
			return err
		}
		var v app.Validation
		if in.ReportDate.IsZero() {
			v.Add("report_date", "报告日期不能为空")
		}
		checkDate(&v, "report_date", in.ReportDate, "报告日期", today, true)
		if !v.Has("report_date") && !g.LastSession.IsZero() && in.ReportDate.Before(g.LastSession) {
			v.Add("report_date", "报告日期不能早于最后一节的日期 "+g.LastSession.String())
		}
		if v.Required("summary", in.Summary, "小组总结") {
			v.MaxLen("summary", in.Summary, "小组总结", 4000)
		}
		v.MaxLen("goal_attainment", in.GoalAttainment, "目标达成情况", 4000)
		v.MaxLen("evaluation", in.Evaluation, "成效评估", 4000)
		v.MaxLen("recommendations", in.Recommendations, "建议与跟进", 4000)
		if old != nil && in.Version <= 0 {
			v.Add("version", "缺少版本号，请先读取记录再修改")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if g.Sessions == 0 {
			return app.Errorf(app.EConflict, "小组尚未开展任何节次，不能提交小组报告")
		}
		if old == nil {
			created = true
			_, err := tx.ExecContext(ctx, `INSERT INTO group_reports (org_id, group_id, report_date, summary, goal_attainment,
				evaluation, recommendations, written_by, created_at, updated_at, version)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1)`, p.OrgID, groupID, in.ReportDate, in.Summary,
				in.GoalAttainment, in.Evaluation, in.Recommendations, p.UserID, now)
			if db.IsUniqueViolation(err) {
				return ErrEditedElsewhere()
			}
			if err != nil {
				return fmt.Errorf("groups: insert report: %w", err)
			}
			if err := setGroupStatus(ctx, tx, p.OrgID, groupID, StatusFinished, now); err != nil {
				return err
			}
			return audit.Write(ctx, tx, entry(p, now, "group.report.file", "group", groupID,
				fmt.Sprintf("报告日期 %s；共 %d 节，%d 人次", in.ReportDate, g.Sessions, g.PersonTimes)))
		}
		if old.Version != in.Version {
			return ErrEditedElsewhere()
		}
		res, err := tx.ExecContext(ctx, `UPDATE group_reports SET report_date = $3, summary = $4, goal_attainment = $5,
			evaluation = $6, recommendations = $7, updated_at = $8, version = version + 1
			WHERE org_id = $1 AND group_id = $2 AND version = $9`, p.OrgID, groupID, in.ReportDate, in.Summary,
			in.GoalAttainment, in.Evaluation, in.Recommendations, now, in.Version)
		if err != nil {
			return fmt.Errorf("groups: update report: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrEditedElsewhere()
		}
		var d changes
		d.Add("报告日期", old.ReportDate.String(), in.ReportDate.String())
		d.Note("小组总结", old.Summary != in.Summary)
		d.Note("目标达成情况", old.GoalAttainment != in.GoalAttainment)
		d.Note("成效评估", old.Evaluation != in.Evaluation)
		d.Note("建议与跟进", old.Recommendations != in.Recommendations)
		return audit.Write(ctx, tx, entry(p, now, "group.report.update", "group", groupID, d.String()))
	})
	return created, err
}

// MissingReport is a group that has ended without its report, for the
// archive completeness check (档案检查).
type MissingReport struct {
	GroupID     int64    `json:"group_id"`
	Name        string   `json:"name"`
	SiteID      int64    `json:"site_id"`
	SiteName    string   `json:"site_name"`
	LeaderID    int64    `json:"leader_id"`
	LeaderName  string   `json:"leader_name"`
	LastSession app.Date `json:"last_session"`
	DueOn       app.Date `json:"due_on"`
	Overdue     bool     `json:"overdue"`
}

// sqlMissingReports lists running groups that have ended without a report;
// %[1]s is today's placeholder, %[2]s the extra condition.
const sqlMissingReports = `SELECT g.id, g.name, g.site_id, si.name, g.leader_id, st.name, ` + sqlGroupLast + `
	FROM groups g
	JOIN sites si ON si.org_id = g.org_id AND si.id = g.site_id
	JOIN staff st ON st.org_id = g.org_id AND st.id = g.leader_id
	WHERE ` + sqlReportDue + ` AND %[2]s
	ORDER BY 7, g.id`

// MissingReports lists the groups of orgID (optionally of one service
// point or one leader) that have ended as of today without a group report.
// The archive check of a worker uses staffID; of a centre, siteID.
func MissingReports(ctx context.Context, q db.Querier, orgID, siteID, staffID int64, today app.Date) ([]MissingReport, error) {
	var args app.Args
	t := args.Add(today)
	cond := "g.org_id = " + args.Add(orgID)
	if siteID != 0 {
		cond += " AND g.site_id = " + args.Add(siteID)
	}
	if staffID != 0 {
		cond += " AND g.leader_id = " + args.Add(staffID)
	}
	return missingReports(ctx, q, fmt.Sprintf(sqlMissingReports, t, cond), args, today)
}

func missingReports(ctx context.Context, q db.Querier, query string, args app.Args, today app.Date) ([]MissingReport, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("groups: missing reports: %w", err)
	}
	defer rows.Close()
	var out []MissingReport
	for rows.Next() {
		var m MissingReport
		if err := rows.Scan(&m.GroupID, &m.Name, &m.SiteID, &m.SiteName, &m.LeaderID, &m.LeaderName, &m.LastSession); err != nil {
			return nil, err
		}
		m.DueOn = m.LastSession.AddDays(ReportDays)
		m.Overdue = today.After(m.DueOn)
		out = append(out, m)
	}
	return out, rows.Err()
}

// GroupReportRule reminds the leader of a group, and the centre heads of its
// service point, that the group has ended (all planned sessions held, or
// its planned end passed) without its report; it is overdue ReportDays
// after the last session. Filing the report clears it.
type GroupReportRule struct{}

func (GroupReportRule) Name() string  { return "group_report_due" }
func (GroupReportRule) Label() string { return "小组报告待交" }

// Items lists the groups p leads, or heads the centre of, that need a report.
func (GroupReportRule) Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]reminder.Item, error) {
	if p == nil || !p.Can(PermGroupWrite) {
		return nil, nil
	}
	var args app.Args
	t := args.Add(today)
	var who []string
	if p.StaffID != 0 {
		who = append(who, "g.leader_id = "+args.Add(p.StaffID))
	}
	if p.Has(authz.RoleCentreHead) && len(p.SiteIDs) > 0 {
		ids := make([]string, len(p.SiteIDs))
		for i, id := range p.SiteIDs {
			ids[i] = args.Add(id)
		}
		who = append(who, "g.site_id IN ("+strings.Join(ids, ", ")+")")
	}
	if len(who) == 0 {
		return nil, nil
	}
	cond := "g.org_id = " + args.Add(p.OrgID) + " AND (" + strings.Join(who, " OR ") + ")"
	list, err := missingReports(ctx, q, fmt.Sprintf(sqlMissingReports, t, cond), args, today)
	if err != nil {
		return nil, err
	}
	out := make([]reminder.Item, 0, len(list))
	for _, m := range list {
		it := reminder.Item{Title: m.Name + " · 小组报告", Href: fmt.Sprintf("/groups/%d/report", m.GroupID),
			Due: m.DueOn, Overdue: m.Overdue}
		if m.Overdue {
			it.Detail = fmt.Sprintf("最后一节 %s，应于 %s 前提交，已逾期 %d 天（%s）", m.LastSession, m.DueOn,
				m.DueOn.DaysUntil(today), m.LeaderName)
		} else {
			it.Detail = fmt.Sprintf("最后一节 %s，请于 %s 前提交小组报告（%s）", m.LastSession, m.DueOn, m.LeaderName)
		}
		out = append(out, it)
	}
	return out, nil
}
