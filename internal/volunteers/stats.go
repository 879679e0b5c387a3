package volunteers

import (
	"context"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/db"
)

// Counts for the statistics (SPEC Q1: 组织义工数量 … 人次, 合计服务时间 … 小时).
// Each takes an organization, an optional service point (0: all) and a
// date range of service dates, inclusive at both ends (a zero date leaves
// that end open). They read the records as they are; the caller decides
// who may see the figures. The queries live in stats_counts.go, which also
// narrows by project and worker.

// statsWhere builds the shared condition over volunteer_services r.
func statsWhere(orgID, siteID int64, from, to app.Date) (string, app.Args) {
	return CountFilter{OrgID: orgID, SiteID: siteID}.where(from, to)
}

// VolunteerPersonTimes is 义工人次: the number of service records in the
// period (one volunteer serving at one activity on one day counts once).
func VolunteerPersonTimes(ctx context.Context, q db.Querier, orgID, siteID int64, from, to app.Date) (int, error) {
	return PersonTimesFor(ctx, q, CountFilter{OrgID: orgID, SiteID: siteID}, from, to)
}

// VolunteerHours is 服务时数: the sum of the records' minutes; hours are
// that sum / 60, computed once from the exact total (Minutes.Hours).
func VolunteerHours(ctx context.Context, q db.Querier, orgID, siteID int64, from, to app.Date) (Minutes, error) {
	return HoursFor(ctx, q, CountFilter{OrgID: orgID, SiteID: siteID}, from, to)
}

// DistinctVolunteers is 服务人数: the number of different volunteers with at
// least one service record in the period.
func DistinctVolunteers(ctx context.Context, q db.Querier, orgID, siteID int64, from, to app.Date) (int, error) {
	return DistinctFor(ctx, q, CountFilter{OrgID: orgID, SiteID: siteID}, from, to)
}

// TeamHours is one team's share of the service in a period. TeamID 0
// gathers the records made under no team.
type TeamHours struct {
	TeamID      int64   `json:"team_id"`
	TeamName    string  `json:"team_name"`
	PersonTimes int     `json:"person_times"`
	Volunteers  int     `json:"volunteers"`
	Minutes     Minutes `json:"minutes"`
	SiteName    string  `json:"site_name"`
	TeamSiteID  int64   `json:"site_id"`
}

// HoursByTeam is 各服务队时数: person-times, distinct volunteers and minutes
// per team the records were made under, largest first.
func HoursByTeam(ctx context.Context, q db.Querier, orgID, siteID int64, from, to app.Date) ([]TeamHours, error) {
	w, args := statsWhere(orgID, siteID, from, to)
	return hoursByTeam(ctx, q, w, args)
}

// hoursByTeam groups the records matching w by team.
func hoursByTeam(ctx context.Context, q db.Querier, w string, args app.Args) ([]TeamHours, error) {
	// Per team: COUNT(*) person-times, COUNT(DISTINCT volunteer) people, SUM(minutes) time.
	rows, err := q.QueryContext(ctx, `SELECT COALESCE(r.team_id, 0), COALESCE(t.name, '未归属服务队'), COALESCE(t.site_id, 0),
		COALESCE(s.name, ''), COUNT(*), COUNT(DISTINCT r.volunteer_id), CAST(SUM(r.minutes) AS BIGINT)
		FROM volunteer_services r
		LEFT JOIN volunteer_teams t ON t.org_id = r.org_id AND t.id = r.team_id
		LEFT JOIN sites s ON s.org_id = t.org_id AND s.id = t.site_id
		WHERE `+w+` GROUP BY COALESCE(r.team_id, 0), COALESCE(t.name, '未归属服务队'), COALESCE(t.site_id, 0), COALESCE(s.name, '')
		ORDER BY SUM(r.minutes) DESC, COALESCE(r.team_id, 0)`, args...)
	if err != nil {
		return nil, fmt.Errorf("volunteers: hours by team: %w", err)
	}
	defer rows.Close()
	var out []TeamHours
	for rows.Next() {
		var t TeamHours
		if err := rows.Scan(&t.TeamID, &t.TeamName, &t.TeamSiteID, &t.SiteName, &t.PersonTimes, &t.Volunteers, &t.Minutes); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
