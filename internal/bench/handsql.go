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
