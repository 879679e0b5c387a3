package tally

import (
	"context"
	"fmt"
	"strings"

	"shegong/internal/app"
	"shegong/internal/db"
)

// Scope is what a sum covers: one organization and, optionally, one
// service point, project and worker. A zero id means "all".
type Scope struct {
	OrgID, SiteID, ProjectID, StaffID int64
}

// Sum totals the counters of the whole months fromMonth..toMonth (first
// days of months) in scope s: the figures, and per team key (NoTeam for
// service with no team) the volunteer person-times and minutes. It reads
// one row per month and team for the organization, and the scope's detail
// rows otherwise.
func Sum(ctx context.Context, q db.Querier, s Scope, fromMonth, toMonth app.Date) (Values, map[int64]Values, error) {
	var total Values
	teams := map[int64]Values{}
	args := app.Args{}
	w := "org_id = " + args.Add(s.OrgID) + " AND month >= " + args.Add(fromMonth) + " AND month <= " + args.Add(toMonth)
	if s.SiteID == 0 && s.ProjectID == 0 && s.StaffID == 0 {
		w += " AND site_id = 0"
	} else {
		if s.SiteID != 0 {
			w += " AND site_id = " + args.Add(s.SiteID)
		} else {
			w += " AND site_id > 0"
		}
		if s.ProjectID != 0 {
			w += " AND project_id = " + args.Add(s.ProjectID)
		}
		if s.StaffID != 0 {
			w += " AND staff_id = " + args.Add(s.StaffID)
		}
	}
	sums := make([]string, len(Columns))
	for i, c := range Columns {
		sums[i] = "CAST(COALESCE(SUM(" + c + "), 0) AS BIGINT)"
	}
	rows, err := q.QueryContext(ctx, `SELECT team_id, `+strings.Join(sums, ", ")+` FROM stats_month WHERE `+w+` GROUP BY team_id`, args...)
	if err != nil {
		return total, nil, fmt.Errorf("tally: sum: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var team int64
		var v Values
		dst := []any{&team}
		for i := range v {
			dst = append(dst, &v[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return total, nil, fmt.Errorf("tally: sum: %w", err)
		}
		total.add(v, 1)
		if team != 0 {
			teams[team] = v
		}
	}
	return total, teams, rows.Err()
}

// Volunteers is the number of different volunteers of the organization in
// the standard period of kind starting on start: in all (key 0), with no
// team (NoTeam) and per team.
func Volunteers(ctx context.Context, q db.Querier, orgID int64, kind string, start app.Date) (map[int64]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT team_id, volunteers FROM stats_volunteers
		WHERE org_id = $1 AND kind = $2 AND period_start = $3 AND volunteers <> 0`, orgID, kind, start)
	if err != nil {
		return nil, fmt.Errorf("tally: volunteers: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var team, n int64
		if err := rows.Scan(&team, &n); err != nil {
			return nil, err
		}
		out[team] = n
	}
	return out, rows.Err()
}

// Rebuild recounts an organization's counters from its records, for loads
// that bypass the services (the generator) or a repair. Run it in one
// transaction.
func Rebuild(ctx context.Context, q db.Querier, dialect db.Dialect, orgID int64) error {
	for _, st := range RebuildStatements(dialect) {
		if _, err := q.ExecContext(ctx, st, orgID); err != nil {
			return fmt.Errorf("tally: rebuild: %w\n%s", err, st)
		}
	}
	return nil
}

// RebuildStatements are the statements of Rebuild, each taking the
// organization as $1; migration 00019 runs the same for every organization.
func RebuildStatements(dialect db.Dialect) []string {
	pg := dialect == db.Postgres
	month := func(x string) string {
		if pg {
			return "CAST(date_trunc('month', " + x + ") AS DATE)"
		}
		return "substr(" + x + ", 1, 7) || '-01'"
	}
	period := map[string]func(string) string{
		"month": month,
		"quarter": func(x string) string {
			if pg {
				return "CAST(date_trunc('quarter', " + x + ") AS DATE)"
			}
			m := "substr(" + x + ", 6, 2)"
			return "substr(" + x + ", 1, 5) || CASE WHEN " + m + " <= '03' THEN '01' WHEN " + m + " <= '06' THEN '04' WHEN " + m +
				" <= '09' THEN '07' ELSE '10' END || '-01'"
		},
		"half": func(x string) string {
			if pg {
				return "CAST(date_trunc('year', " + x + ") + CASE WHEN EXTRACT(MONTH FROM " + x +
					") > 6 THEN INTERVAL '6 months' ELSE INTERVAL '0 months' END AS DATE)"
			}
			return "substr(" + x + ", 1, 5) || CASE WHEN substr(" + x + ", 6, 2) <= '06' THEN '01' ELSE '07' END || '-01'"
		},
		"year": func(x string) string {
			if pg {
				return "CAST(date_trunc('year', " + x + ") AS DATE)"
			}
			return "substr(" + x + ", 1, 4) || '-01-01'"
		},
	}
	vals := func(set map[int]string) string {
		out := make([]string, len(Columns))
		for i := range Columns {
			out[i] = "0"
			if e, ok := set[i]; ok {
				out[i] = e
			}
		}
		return strings.Join(out, ", ")
	}
	valsAs := func(set map[int]string) string {
		out := strings.Split(vals(set), ", ")
		for i, c := range Columns {
			out[i] += " AS " + c
		}
		return strings.Join(out, ", ")
	}
	cols := strings.Join(Columns, ", ")
	sums := make([]string, len(Columns))
	for i, c := range Columns {
		sums[i] = "SUM(" + c + ")"
	}
	sum := strings.Join(sums, ", ")
	st := []string{
		`DELETE FROM stats_month WHERE org_id = $1`,
		`DELETE FROM stats_volunteers WHERE org_id = $1`,
		`UPDATE groups SET first_session_on = (SELECT MIN(s.held_on) FROM group_sessions s
			WHERE s.org_id = groups.org_id AND s.group_id = groups.id) WHERE org_id = $1`,
		`INSERT INTO stats_month (org_id, month, site_id, project_id, staff_id, team_id, ` + cols + `)
SELECT org_id, month, site_id, project_id, staff_id, team_id, ` + sum + ` FROM (
    SELECT c.org_id, ` + month("c.opened_on") + ` AS month, c.site_id, 0 AS project_id, c.worker_id AS staff_id, 0 AS team_id,
        ` + valsAs(map[int]string{CasesOpened: "COUNT(*)"}) + `
        FROM cases c WHERE c.org_id = $1 AND c.opened_on IS NOT NULL
        GROUP BY c.org_id, ` + month("c.opened_on") + `, c.site_id, c.worker_id
    UNION ALL
    SELECT g.org_id, ` + month("g.first_session_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id, 0,
        ` + vals(map[int]string{GroupsOpened: "COUNT(*)"}) + `
        FROM groups g WHERE g.org_id = $1 AND g.first_session_on IS NOT NULL
        GROUP BY g.org_id, ` + month("g.first_session_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT g.org_id, ` + month("s.held_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id, 0,
        ` + vals(map[int]string{GroupSessions: "COUNT(*)"}) + `
        FROM group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
        WHERE s.org_id = $1
        GROUP BY g.org_id, ` + month("s.held_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT g.org_id, ` + month("s.held_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id, 0,
        ` + vals(map[int]string{GroupPersonTimes: "COUNT(*)"}) + `
        FROM group_attendance t JOIN group_sessions s ON s.org_id = t.org_id AND s.id = t.session_id
        JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
        WHERE t.org_id = $1 AND t.present
        GROUP BY g.org_id, ` + month("s.held_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT a.org_id, ` + month("a.held_on") + `, a.site_id, COALESCE(a.project_id, 0), a.lead_id, 0,
        ` + vals(map[int]string{Activities: "COUNT(*)", ActivityParticipants: "SUM(a.participants)", PublicityMaterials: "SUM(a.posters + a.flyers)"}) + `
        FROM activities a WHERE a.org_id = $1
        GROUP BY a.org_id, ` + month("a.held_on") + `, a.site_id, COALESCE(a.project_id, 0), a.lead_id
    UNION ALL
    SELECT r.org_id, ` + month("r.service_date") + `, r.site_id, COALESCE(a.project_id, 0), COALESCE(st.id, 0), COALESCE(r.team_id, -1),
        ` + vals(map[int]string{VolunteerPersonTimes: "COUNT(*)", VolunteerMinutes: "SUM(r.minutes)"}) + `
        FROM volunteer_services r
        LEFT JOIN activities a ON a.org_id = r.org_id AND a.id = r.activity_id
        LEFT JOIN staff st ON st.org_id = r.org_id AND st.user_id = r.recorder_id
        WHERE r.org_id = $1
        GROUP BY r.org_id, ` + month("r.service_date") + `, r.site_id, COALESCE(a.project_id, 0), COALESCE(st.id, 0), COALESCE(r.team_id, -1)
) x GROUP BY org_id, month, site_id, project_id, staff_id, team_id`,
		`INSERT INTO stats_month (org_id, month, site_id, project_id, staff_id, team_id, ` + cols + `)
SELECT org_id, month, 0, 0, 0, team_id, ` + sum + ` FROM stats_month WHERE org_id = $1 AND site_id > 0 GROUP BY org_id, month, team_id`,
	}
	for _, kind := range PeriodKinds {
		f := period[kind]
		st = append(st,
			`INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, '`+kind+`', `+f("r.service_date")+`, 0, COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    WHERE r.org_id = $1 GROUP BY r.org_id, `+f("r.service_date"),
			`INSERT INTO stats_volunteers (org_id, kind, period_start, team_id, volunteers)
SELECT r.org_id, '`+kind+`', `+f("r.service_date")+`, COALESCE(r.team_id, -1), COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r
    WHERE r.org_id = $1 GROUP BY r.org_id, `+f("r.service_date")+`, COALESCE(r.team_id, -1)`)
	}
	return st
}
