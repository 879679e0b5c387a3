package bench

import (
	"context"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/db"
)

// Hand is the service statistics (Q1) of one scope computed by one
// hand-written SQL statement: the floor the statistics service is measured
// against. Keys are those of stats.Figures, plus "distinct_volunteers".
type Hand map[string]int64

// HandKeys are the keys of Hand in the order of the statement's columns.
var HandKeys = []string{"cases_opened", "groups_opened", "group_sessions", "group_person_times", "activities",
	"activity_participants", "publicity_materials", "volunteer_person_times", "volunteer_hours", "distinct_volunteers"}

// HandSQL returns the statement for an organization (siteID 0) or one of its
// service points. Arguments: $1 organization, $2 from, $3 to, $4 site.
//
// Each part reads only the records of the period through the (org, date)
// indexes: cases by opening date, group sessions by date (a group opens in
// the period when its first session is in it: it has a session in the
// period and none before), attendance through those sessions, activities
// and volunteer service records by date.
func HandSQL(siteID int64) string {
	site := func(col string) string {
		if siteID == 0 {
			return ""
		}
		return " AND " + col + " = $4"
	}
	noSite := ""
	if siteID == 0 {
		noSite = " AND $4 = 0"
	}
	return `SELECT c.n, go.n, gs.n, gp.n, a.n, a.participants, a.publicity, v.n, v.minutes, v.volunteers FROM
	(SELECT COUNT(*) AS n FROM cases c WHERE c.org_id = $1 AND c.opened_on >= $2 AND c.opened_on <= $3` + site("c.site_id") + noSite + `) c,
	(SELECT COUNT(DISTINCT s.group_id) AS n FROM group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
		WHERE s.org_id = $1 AND s.held_on >= $2 AND s.held_on <= $3` + site("g.site_id") + `
		AND NOT EXISTS (SELECT 1 FROM group_sessions s0 WHERE s0.org_id = s.org_id AND s0.group_id = s.group_id AND s0.held_on < $2)) go,
	(SELECT COUNT(*) AS n FROM group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
		WHERE s.org_id = $1 AND s.held_on >= $2 AND s.held_on <= $3` + site("g.site_id") + `) gs,
	(SELECT COUNT(*) AS n FROM group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
		JOIN group_attendance t ON t.org_id = s.org_id AND t.session_id = s.id
		WHERE s.org_id = $1 AND s.held_on >= $2 AND s.held_on <= $3 AND t.present` + site("g.site_id") + `) gp,
	(SELECT COUNT(*) AS n, CAST(COALESCE(SUM(a.participants), 0) AS BIGINT) AS participants,
		CAST(COALESCE(SUM(a.posters + a.flyers), 0) AS BIGINT) AS publicity
		FROM activities a WHERE a.org_id = $1 AND a.held_on >= $2 AND a.held_on <= $3` + site("a.site_id") + `) a,
	(SELECT COUNT(*) AS n, CAST(COALESCE(SUM(r.minutes), 0) AS BIGINT) AS minutes, COUNT(DISTINCT r.volunteer_id) AS volunteers
		FROM volunteer_services r WHERE r.org_id = $1 AND r.service_date >= $2 AND r.service_date <= $3` + site("r.site_id") + `) v`
}

// HandReport runs HandSQL.
func HandReport(ctx context.Context, q db.Querier, orgID, siteID int64, from, to app.Date) (Hand, error) {
	vals := make([]int64, len(HandKeys))
	dst := make([]any, len(vals))
	for i := range vals {
		dst[i] = &vals[i]
	}
	if err := q.QueryRowContext(ctx, HandSQL(siteID), orgID, from, to, siteID).Scan(dst...); err != nil {
		return nil, fmt.Errorf("bench: hand-written report: %w", err)
	}
	h := Hand{}
	for i, k := range HandKeys {
		h[k] = vals[i]
	}
	return h, nil
}

// HandCounterSQL is the hand-written statement over the statistics
// counters (migration 00019) for a standard period (a month, quarter,
// half-year or year): what one would write by hand once the counters exist,
// and so the fair floor for the service, which reads the same rows.
// Arguments: $1 organization, $2 first day of the period, $3 first day of
// its last month, $4 site (0: the organization's total rows), $5 the
// period's kind ("month", "quarter", "half", "year").
const HandCounterSQL = `SELECT CAST(COALESCE(SUM(cases_opened), 0) AS BIGINT), CAST(COALESCE(SUM(groups_opened), 0) AS BIGINT),
	CAST(COALESCE(SUM(group_sessions), 0) AS BIGINT), CAST(COALESCE(SUM(group_person_times), 0) AS BIGINT),
	CAST(COALESCE(SUM(activities), 0) AS BIGINT), CAST(COALESCE(SUM(activity_participants), 0) AS BIGINT),
	CAST(COALESCE(SUM(publicity_materials), 0) AS BIGINT), CAST(COALESCE(SUM(volunteer_person_times), 0) AS BIGINT),
	CAST(COALESCE(SUM(volunteer_minutes), 0) AS BIGINT),
	(SELECT COALESCE(MAX(volunteers), 0) FROM stats_volunteers
		WHERE org_id = $1 AND kind = $5 AND period_start = $2 AND site_id = $4 AND team_id = 0)
	FROM stats_month WHERE org_id = $1 AND site_id = $4 AND month >= $2 AND month <= $3`

// HandCounterTeamsSQL is the report's second part over the counters: the
// teams' service in the period, with their names (arguments as above).
const HandCounterTeamsSQL = `SELECT v.team_id, v.volunteers, v.person_times, v.minutes, COALESCE(t.name, ''), COALESCE(s.name, '')
	FROM stats_volunteers v
	LEFT JOIN volunteer_teams t ON t.org_id = v.org_id AND t.id = v.team_id
	LEFT JOIN sites s ON s.org_id = t.org_id AND s.id = t.site_id
	WHERE v.org_id = $1 AND v.kind = $5 AND v.period_start = $2 AND v.site_id = $4 AND v.team_id <> 0 AND $3 >= $2`

// HandCounterReport runs HandCounterSQL and HandCounterTeamsSQL for
// [from, to], which must be a standard period; it returns the figures of
// the first and the number of team rows of the second.
func HandCounterReport(ctx context.Context, q db.Querier, orgID, siteID int64, from, to app.Date) (Hand, int, error) {
	kind := ""
	for k, months := range map[string]int{"month": 1, "quarter": 3, "half": 6, "year": 12} {
		if from.Day() == 1 && from.AddMonths(months).AddDays(-1).Equal(to) {
			kind = k
		}
	}
	if kind == "" {
		return nil, 0, fmt.Errorf("bench: %s–%s is not a standard period", from, to)
	}
	vals := make([]int64, len(HandKeys))
	dst := make([]any, len(vals))
	for i := range vals {
		dst[i] = &vals[i]
	}
	args := []any{orgID, from, to.MonthStart(), siteID, kind}
	if err := q.QueryRowContext(ctx, HandCounterSQL, args...).Scan(dst...); err != nil {
		return nil, 0, fmt.Errorf("bench: hand-written report over the counters: %w", err)
	}
	h := Hand{}
	for i, k := range HandKeys {
		h[k] = vals[i]
	}
	rows, err := q.QueryContext(ctx, HandCounterTeamsSQL, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("bench: hand-written teams over the counters: %w", err)
	}
	defer rows.Close()
	teams := 0
	for rows.Next() {
		var id, n, pt, m int64
		var name, site string
		if err := rows.Scan(&id, &n, &pt, &m, &name, &site); err != nil {
			return nil, 0, err
		}
		teams++
	}
	return h, teams, rows.Err()
}
