package volunteers

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// "No volunteer without registration, no service without record" (有义工
// 无注册、有服务无记录): the two reports that find the gaps.

// ReportFilter narrows a report to a service point and a period.
type ReportFilter struct {
	app.ListQuery
	SiteID   int64
	From, To app.Date
}

// sqlMissingRegistration is true for an active volunteer without an i志愿
// id or without one of the national registration fields.
const sqlMissingRegistration = `(v.ivol_id = '' OR v.gender = '' OR v.birth_month = '' OR v.id_number_enc = ''
	OR v.phone_enc = '' OR v.skills = '')`

// Unregistered lists active volunteers in p's scope who have no i志愿 id
// or lack a required registration field; Missing() on each says what.
func (s *Service) Unregistered(ctx context.Context, p *authz.Principal, f ReportFilter) ([]Volunteer, int, error) {
	var args app.Args
	where := []string{p.Scope(PermRead).SQL(authz.Cols{Org: "v.org_id", Site: "v.site_id"}, args.Add),
		"v.status = 'active'", sqlMissingRegistration}
	if f.SiteID != 0 {
		where = append(where, "v.site_id = "+args.Add(f.SiteID))
	}
	if f.Q != "" {
		where = append(where, s.searchCond(f.Q, &args))
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*)"+sqlVolunteerFrom+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("volunteers: count unregistered: %w", err)
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlVolunteerCols+sqlVolunteerFrom+w+
		f.OrderBy(volunteerSort, "no", "v.id")+f.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("volunteers: unregistered: %w", err)
	}
	defer rows.Close()
	var out []Volunteer
	for rows.Next() {
		v, err := scanVolunteer(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}

// IdleMember is a team member with no service record in a period.
type IdleMember struct {
	VolunteerID int64    `json:"volunteer_id"`
	No          string   `json:"volunteer_no"`
	Name        string   `json:"name"`
	PhoneMasked string   `json:"phone_masked"`
	SiteName    string   `json:"site_name"`
	Teams       string   `json:"teams"`
	LastService app.Date `json:"last_service"`
}

// DefaultPeriod fills a blank period with the current calendar month up
// to today.
func (f *ReportFilter) DefaultPeriod(today app.Date) {
	if f.From.IsZero() {
		f.From = today.MonthStart()
	}
	if f.To.IsZero() {
		f.To = today
	}
}

// Idle lists active volunteers who belong to an active team but have no
// service record dated in the period: service that happened without being
// recorded, until activities themselves list their volunteers.
func (s *Service) Idle(ctx context.Context, p *authz.Principal, f ReportFilter) ([]IdleMember, int, error) {
	f.DefaultPeriod(s.today())
	if f.To.Before(f.From) {
		return nil, 0, invalidField("to", "截止日期不能早于起始日期")
	}
	var args app.Args
	from, to := args.Add(f.From), args.Add(f.To)
	where := []string{p.Scope(PermRead).SQL(authz.Cols{Org: "v.org_id", Site: "v.site_id"}, args.Add),
		"v.status = 'active'",
		`EXISTS (SELECT 1 FROM volunteer_team_members m JOIN volunteer_teams t ON t.org_id = m.org_id AND t.id = m.team_id
			WHERE m.org_id = v.org_id AND m.volunteer_id = v.id AND t.status = 'active')`,
		`NOT EXISTS (SELECT 1 FROM volunteer_services r WHERE r.org_id = v.org_id AND r.volunteer_id = v.id
			AND r.service_date >= ` + from + ` AND r.service_date <= ` + to + `)`}
	if f.SiteID != 0 {
		where = append(where, "v.site_id = "+args.Add(f.SiteID))
	}
	if f.Q != "" {
		where = append(where, s.searchCond(f.Q, &args))
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*)"+sqlVolunteerFrom+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("volunteers: count idle: %w", err)
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT v.id, v.volunteer_no, v.name, v.phone_mask, s.name,
		(SELECT MAX(r.service_date) FROM volunteer_services r WHERE r.org_id = v.org_id AND r.volunteer_id = v.id)`+
		sqlVolunteerFrom+w+f.OrderBy(volunteerSort, "no", "v.id")+f.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("volunteers: idle: %w", err)
	}
	var out []IdleMember
	for rows.Next() {
		var m IdleMember
		if err := rows.Scan(&m.VolunteerID, &m.No, &m.Name, &m.PhoneMasked, &m.SiteName, &m.LastService); err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.fillTeamNames(ctx, p.OrgID, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// fillTeamNames sets the active teams of each listed member in one query.
func (s *Service) fillTeamNames(ctx context.Context, orgID int64, ms []IdleMember) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = strconv.FormatInt(m.VolunteerID, 10)
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT m.volunteer_id, t.name FROM volunteer_team_members m
		JOIN volunteer_teams t ON t.org_id = m.org_id AND t.id = m.team_id
		WHERE m.org_id = $1 AND t.status = 'active' AND m.volunteer_id IN (`+strings.Join(ids, ",")+`)
		ORDER BY t.name, t.id`, orgID)
	if err != nil {
		return fmt.Errorf("volunteers: team names: %w", err)
	}
	defer rows.Close()
	names := map[int64][]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		names[id] = append(names[id], n)
	}
	for i := range ms {
		ms[i].Teams = strings.Join(names[ms[i].VolunteerID], "、")
	}
	return rows.Err()
}
