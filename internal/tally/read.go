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
// days of months) in scope s. It reads one row per month for the
// organization, and the scope's detail rows otherwise.
func Sum(ctx context.Context, q db.Querier, s Scope, fromMonth, toMonth app.Date) (Values, error) {
	var total Values
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
	dst := make([]any, len(Columns))
	for i, c := range Columns {
		sums[i] = "CAST(COALESCE(SUM(" + c + "), 0) AS BIGINT)"
		dst[i] = &total[i]
	}
	if err := q.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM stats_month WHERE `+w, args...).Scan(dst...); err != nil {
		return total, fmt.Errorf("tally: sum: %w", err)
	}
	return total, nil
}

// Team is a row of stats_volunteers: a team's volunteer service in a
// standard period (TeamID 0: all teams, NoTeam: service with no team), with
// the team's name and service point.
type Team struct {
	TeamID                           int64
	Volunteers, PersonTimes, Minutes int64
	Name, SiteName                   string
}

// Volunteers is the volunteer service of the standard period of kind
// starting on start, for the organization (siteID 0) or one service point:
// per team, and in all (TeamID 0), with the number of different volunteers.
func Volunteers(ctx context.Context, q db.Querier, orgID, siteID int64, kind string, start app.Date) ([]Team, error) {
	rows, err := q.QueryContext(ctx, `SELECT v.team_id, v.volunteers, v.person_times, v.minutes, COALESCE(t.name, ''), COALESCE(s.name, '')
		FROM stats_volunteers v
		LEFT JOIN volunteer_teams t ON t.org_id = v.org_id AND t.id = v.team_id
		LEFT JOIN sites s ON s.org_id = t.org_id AND s.id = t.site_id
		WHERE v.org_id = $1 AND v.kind = $2 AND v.period_start = $3 AND v.site_id = $4 AND v.person_times <> 0`, orgID, kind, start, siteID)
	if err != nil {
		return nil, fmt.Errorf("tally: volunteers: %w", err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var t Team
		if err := rows.Scan(&t.TeamID, &t.Volunteers, &t.PersonTimes, &t.Minutes, &t.Name, &t.SiteName); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Rebuild recounts an organization's counters, and the follow-up figures
// kept on its cases (CaseFollowupsSQL), from its records, for loads that
// bypass the services (the generator) or a repair. Run it in one
// transaction.
func Rebuild(ctx context.Context, q db.Querier, dialect db.Dialect, orgID int64) error {
	for _, st := range append(RebuildStatements(dialect, false), CaseFollowupsSQL(dialect, "org_id = $1")) {
		if _, err := q.ExecContext(ctx, st, orgID); err != nil {
			return fmt.Errorf("tally: rebuild: %w\n%s", err, st)
		}
	}
	return nil
}

// CaseFollowupsSQL recounts, from the records, the follow-up figures kept
// on each case matching where (a condition on the unaliased cases table):
// last_followup_on, the date of its last service follow-up (NULL when it
// has none), and last_followup_month_count, the number of its service
// follow-ups in that date's month. Keyed by the last follow-up's month, the
// count does not depend on the clock: a follow-up is never dated ahead of
// the day it is recorded, so the case's follow-ups this month are the count
// when the last one is in this month, else none. The services run it for
// one case in the transaction that adds a follow-up; Rebuild and migration
// 00023 run it for an organization and for all.
func CaseFollowupsSQL(dialect db.Dialect, where string) string {
	month := "substr(MAX(g.held_on), 1, 7) || '-01'"
	if dialect == db.Postgres {
		month = "CAST(date_trunc('month', MAX(g.held_on)) AS DATE)"
	}
	return `UPDATE cases SET
    last_followup_on = (SELECT MAX(f.held_on) FROM case_followups f
        WHERE f.org_id = cases.org_id AND f.case_id = cases.id AND f.kind = 'service'),
    last_followup_month_count = (SELECT COUNT(*) FROM case_followups f
        WHERE f.org_id = cases.org_id AND f.case_id = cases.id AND f.kind = 'service'
        AND f.held_on >= (SELECT ` + month + ` FROM case_followups g
            WHERE g.org_id = cases.org_id AND g.case_id = cases.id AND g.kind = 'service'))
WHERE ` + where
}

// RebuildStatements are the statements of Rebuild, each taking the
// organization as $1; with all, they count every organization and take no
// argument (migration 00019 is these; a test keeps them the same).
func RebuildStatements(dialect db.Dialect, all bool) []string {
	pg := dialect == db.Postgres
	org := func(alias string) string {
		if all {
			return "1 = 1"
		}
		if alias == "" {
			return "org_id = $1"
		}
		return alias + ".org_id = $1"
	}
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
		`DELETE FROM stats_month WHERE ` + org(""),
		`DELETE FROM stats_volunteers WHERE ` + org(""),
		`UPDATE groups SET first_session_on = (SELECT MIN(s.held_on) FROM group_sessions s
			WHERE s.org_id = groups.org_id AND s.group_id = groups.id) WHERE ` + org(""),
		`INSERT INTO stats_month (org_id, month, site_id, project_id, staff_id, ` + cols + `)
SELECT org_id, month, site_id, project_id, staff_id, ` + sum + ` FROM (
    SELECT c.org_id, ` + month("c.opened_on") + ` AS month, c.site_id, 0 AS project_id, c.worker_id AS staff_id,
        ` + valsAs(map[int]string{CasesOpened: "COUNT(*)"}) + `
        FROM cases c WHERE ` + org("c") + ` AND c.opened_on IS NOT NULL
        GROUP BY c.org_id, ` + month("c.opened_on") + `, c.site_id, c.worker_id
    UNION ALL
    SELECT g.org_id, ` + month("g.first_session_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id,
        ` + vals(map[int]string{GroupsOpened: "COUNT(*)"}) + `
        FROM groups g WHERE ` + org("g") + ` AND g.first_session_on IS NOT NULL
        GROUP BY g.org_id, ` + month("g.first_session_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT g.org_id, ` + month("s.held_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id,
        ` + vals(map[int]string{GroupSessions: "COUNT(*)"}) + `
        FROM group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
        WHERE ` + org("s") + `
        GROUP BY g.org_id, ` + month("s.held_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT g.org_id, ` + month("s.held_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id,
        ` + vals(map[int]string{GroupPersonTimes: "COUNT(*)"}) + `
        FROM group_attendance t JOIN group_sessions s ON s.org_id = t.org_id AND s.id = t.session_id
        JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
        WHERE ` + org("t") + ` AND t.present
        GROUP BY g.org_id, ` + month("s.held_on") + `, g.site_id, COALESCE(g.project_id, 0), g.leader_id
    UNION ALL
    SELECT a.org_id, ` + month("a.held_on") + `, a.site_id, COALESCE(a.project_id, 0), a.lead_id,
        ` + vals(map[int]string{Activities: "COUNT(*)", ActivityParticipants: "SUM(a.participants)", PublicityMaterials: "SUM(a.posters + a.flyers)"}) + `
        FROM activities a WHERE ` + org("a") + `
        GROUP BY a.org_id, ` + month("a.held_on") + `, a.site_id, COALESCE(a.project_id, 0), a.lead_id
    UNION ALL
    SELECT r.org_id, ` + month("r.service_date") + `, r.site_id, COALESCE(a.project_id, 0), COALESCE(st.id, 0),
        ` + vals(map[int]string{VolunteerPersonTimes: "COUNT(*)", VolunteerMinutes: "SUM(r.minutes)"}) + `
        FROM volunteer_services r
        LEFT JOIN activities a ON a.org_id = r.org_id AND a.id = r.activity_id
        LEFT JOIN staff st ON st.org_id = r.org_id AND st.user_id = r.recorder_id
        WHERE ` + org("r") + `
        GROUP BY r.org_id, ` + month("r.service_date") + `, r.site_id, COALESCE(a.project_id, 0), COALESCE(st.id, 0)
) x GROUP BY org_id, month, site_id, project_id, staff_id`,
		`INSERT INTO stats_month (org_id, month, site_id, project_id, staff_id, ` + cols + `)
SELECT org_id, month, 0, 0, 0, ` + sum + ` FROM stats_month WHERE ` + org("") + ` AND site_id > 0 GROUP BY org_id, month`,
	}
	for _, kind := range PeriodKinds {
		f := period[kind]
		for _, by := range [][2]string{{"0", "0"}, {"0", "COALESCE(r.team_id, -1)"}, {"r.site_id", "0"}, {"r.site_id", "COALESCE(r.team_id, -1)"}} {
			group := "r.org_id, " + f("r.service_date")
			for _, e := range by {
				if e != "0" {
					group += ", " + e
				}
			}
			st = append(st, `INSERT INTO stats_volunteers (org_id, kind, period_start, site_id, team_id, volunteers, person_times, minutes)
SELECT r.org_id, '`+kind+`', `+f("r.service_date")+`, `+by[0]+`, `+by[1]+`, COUNT(DISTINCT r.volunteer_id), COUNT(*), SUM(r.minutes)
    FROM volunteer_services r WHERE `+org("r")+` GROUP BY `+group)
		}
	}
	return st
}
