package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// ActivityRef is the community activity a service record is linked to.
type ActivityRef struct {
	ID     int64    `json:"id"`
	Title  string   `json:"title"`
	HeldOn app.Date `json:"held_on"`
	SiteID int64    `json:"site_id"`
}

// LinkedActivity returns community activity id of orgID, or a not-found
// error: a record may only be linked to an activity of the recorder's own
// organization.
func LinkedActivity(ctx context.Context, q db.Querier, orgID, id int64) (*ActivityRef, error) {
	var a ActivityRef
	err := q.QueryRowContext(ctx, `SELECT id, title, held_on, site_id FROM activities WHERE org_id = $1 AND id = $2`,
		orgID, id).Scan(&a.ID, &a.Title, &a.HeldOn, &a.SiteID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("社区活动")
	}
	if err != nil {
		return nil, fmt.Errorf("volunteers: linked activity: %w", err)
	}
	return &a, nil
}

// Activity returns the community activity of p's organization a service
// record form links to, for showing its title.
func (s *Service) Activity(ctx context.Context, p *authz.Principal, id int64) (*ActivityRef, error) {
	return LinkedActivity(ctx, s.DB.R, p.OrgID, id)
}

// linkActivity checks the linked activity of in and fills a blank activity
// name and service date from it. It runs before normalize, so that the
// defaults satisfy the required fields.
func linkActivity(ctx context.Context, q db.Querier, orgID int64, in *RecordInput, v *app.Validation) error {
	if in.ActivityID == 0 {
		return nil
	}
	a, err := LinkedActivity(ctx, q, orgID, in.ActivityID)
	if app.ErrorCode(err) == app.ENotFound {
		v.Add("activity_id", "所选社区活动不存在")
		return nil
	}
	if err != nil {
		return err
	}
	if strings.TrimSpace(in.ActivityName) == "" {
		in.ActivityName = a.Title
	}
	if in.Date.IsZero() {
		in.Date = a.HeldOn
	}
	return nil
}

// ActivityVolunteer is one service record linked to a community activity.
type ActivityVolunteer struct {
	RecordID      int64    `json:"record_id"`
	VolunteerID   int64    `json:"volunteer_id"`
	VolunteerNo   string   `json:"volunteer_no"`
	VolunteerName string   `json:"volunteer_name"`
	Masked        bool     `json:"masked"` // the reader may not read this volunteer: name masked, no link
	SiteID        int64    `json:"site_id"`
	Date          app.Date `json:"service_date"`
	Start         string   `json:"start_time"`
	End           string   `json:"end_time"`
	Minutes       Minutes  `json:"minutes"`
}

// ActivityRoster is the volunteers who served at one community activity,
// with the distinct volunteers, person-times and total service time.
type ActivityRoster struct {
	Rows        []ActivityVolunteer `json:"rows"`
	Volunteers  int                 `json:"volunteers"`
	PersonTimes int                 `json:"person_times"`
	Minutes     Minutes             `json:"minutes"`
}

// ActivityVolunteers lists the service records of orgID linked to the
// activity, with full names. Callers showing it to a person call MaskFor.
func ActivityVolunteers(ctx context.Context, q db.Querier, orgID, activityID int64) (*ActivityRoster, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.volunteer_id, v.volunteer_no, v.name, r.site_id, r.service_date,
		r.start_min, r.end_min, r.minutes FROM volunteer_services r
		JOIN volunteers v ON v.org_id = r.org_id AND v.id = r.volunteer_id
		WHERE r.org_id = $1 AND r.activity_id = $2
		ORDER BY r.service_date, r.start_min, v.volunteer_no, r.id`, orgID, activityID)
	if err != nil {
		return nil, fmt.Errorf("volunteers: activity volunteers: %w", err)
	}
	defer rows.Close()
	out := &ActivityRoster{}
	seen := map[int64]bool{}
	for rows.Next() {
		var a ActivityVolunteer
		var start, end int
		if err := rows.Scan(&a.RecordID, &a.VolunteerID, &a.VolunteerNo, &a.VolunteerName, &a.SiteID, &a.Date,
			&start, &end, &a.Minutes); err != nil {
			return nil, err
		}
		a.Start, a.End = FormatClock(start), FormatClock(end)
		out.Rows = append(out.Rows, a)
		out.PersonTimes++
		out.Minutes += a.Minutes
		if !seen[a.VolunteerID] {
			seen[a.VolunteerID] = true
			out.Volunteers++
		}
	}
	return out, rows.Err()
}

// MaskFor masks the names of the volunteers outside p's volunteer read
// scope, the way the volunteer pages would not show them at all. The totals
// stay: they name nobody.
func (r *ActivityRoster) MaskFor(p *authz.Principal) {
	sc := p.Scope(PermRead)
	for i := range r.Rows {
		a := &r.Rows[i]
		if !sc.Allows(siteObj(p.OrgID, a.SiteID)) {
			a.Masked, a.VolunteerName, a.VolunteerNo = true, pii.MaskName(a.VolunteerName), ""
		}
	}
}

// ActivityRoster is ActivityVolunteers for p, masked for p.
func (s *Service) ActivityRoster(ctx context.Context, p *authz.Principal, activityID int64) (*ActivityRoster, error) {
	r, err := ActivityVolunteers(ctx, s.DB.R, p.OrgID, activityID)
	if err != nil {
		return nil, err
	}
	r.MaskFor(p)
	return r, nil
}
