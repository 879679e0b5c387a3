package volunteers

import (
	"context"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/db"
)

// The statistics module (服务数据统计) counts volunteer service by service
// point, project and worker, and lists the records behind each figure. The
// condition below is the one all volunteer counts share.

// CountFilter selects the service records a count covers: one organization
// and, optionally, the service point that organized the service, the
// project of the activity the record is linked to, and the worker who
// recorded it (the staff member of the recorder's account: 谁组织谁记录).
// A zero id means "all".
type CountFilter struct {
	OrgID     int64
	SiteID    int64
	ProjectID int64
	StaffID   int64
}

// where is the condition over volunteer_services r for the service dates
// [from, to]; a zero date leaves that end open.
func (f CountFilter) where(from, to app.Date) (string, app.Args) {
	var args app.Args
	org := args.Add(f.OrgID)
	w := "r.org_id = " + org
	if f.SiteID != 0 {
		w += " AND r.site_id = " + args.Add(f.SiteID)
	}
	// The subqueries name the organization by its value, not by r.org_id:
	// correlated, they were read again for every record. A worker's
	// records are found by the one account linked to them (staff.user_id
	// is unique, staff.id the key), compared with "=": with "IN" SQLite
	// preferred walking all of the organization's records in volunteer
	// order to save the DISTINCT's sort (volunteer_services_recorder,
	// migration 00024, serves the "=").
	if f.ProjectID != 0 {
		w += " AND r.activity_id IN (SELECT a.id FROM activities a WHERE a.org_id = " + org + " AND a.project_id = " + args.Add(f.ProjectID) + ")"
	}
	if f.StaffID != 0 {
		w += " AND r.recorder_id = (SELECT st.user_id FROM staff st WHERE st.org_id = " + org + " AND st.id = " + args.Add(f.StaffID) + ")"
	}
	if !from.IsZero() {
		w += " AND r.service_date >= " + args.Add(from)
	}
	if !to.IsZero() {
		w += " AND r.service_date <= " + args.Add(to)
	}
	return w, args
}

// DefVolunteerPersonTimes is the definition of 义工人次 as users read it.
const DefVolunteerPersonTimes = "义工人次：服务日期在期间内的志愿服务记录数（一名义工参加一次服务计 1 人次；按组织服务点、所关联活动的项目和记录人统计）"

// PersonTimesFor is 义工人次 for the records f selects: COUNT of the
// service records in the period.
func PersonTimesFor(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	w, args := f.where(from, to)
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM volunteer_services r WHERE `+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("volunteers: person-times: %w", err)
	}
	return n, nil
}

// DefVolunteerHours is the definition of 服务时数 as users read it.
const DefVolunteerHours = "义工服务时数：服务日期在期间内的志愿服务记录的实际服务时长之和（不含路程，扣除迟到早退），按分钟累计后折算为小时"

// HoursFor is 服务时数 for the records f selects: SUM(minutes), turned
// into hours once from the exact total.
func HoursFor(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (Minutes, error) {
	w, args := f.where(from, to)
	var m Minutes
	if err := q.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(r.minutes), 0) AS BIGINT) FROM volunteer_services r WHERE `+w, args...).Scan(&m); err != nil {
		return 0, fmt.Errorf("volunteers: hours: %w", err)
	}
	return m, nil
}

// DefDistinctVolunteers is the definition of 服务义工人数 as users read it.
const DefDistinctVolunteers = "服务义工人数：期间内至少有一条志愿服务记录的不同义工人数（一人服务多次只计 1 人）"

// DistinctFor is 服务人数 for the records f selects: COUNT of DISTINCT
// volunteers among them.
func DistinctFor(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	w, args := f.where(from, to)
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT r.volunteer_id) FROM volunteer_services r WHERE `+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("volunteers: distinct volunteers: %w", err)
	}
	return n, nil
}

// HoursByTeamFor is 各服务队时数 for the records f selects.
func HoursByTeamFor(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) ([]TeamHours, error) {
	w, args := f.where(from, to)
	return hoursByTeam(ctx, q, w, args)
}

// CountedRecord is one service record behind a count.
type CountedRecord struct {
	ID       int64    `json:"id"`
	Date     app.Date `json:"date"`
	Activity string   `json:"activity"`
	Name     string   `json:"name"` // the volunteer
	Team     string   `json:"team"`
	SiteID   int64    `json:"site_id"`
	SiteName string   `json:"site_name"`
	Recorder string   `json:"recorder"`
	Minutes  Minutes  `json:"minutes"`
}

var countedSorts = map[string]string{"date": "r.service_date", "title": "r.activity_name", "site": "s.name",
	"staff": "r.recorder_name", "value": "r.minutes"}

// CountedRecords lists the service records f selects in the page of lq,
// with their number: each is one person-time and adds its minutes.
func CountedRecords(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]CountedRecord, int, error) {
	w, args := f.where(from, to)
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM volunteer_services r WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("volunteers: counted records: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.service_date, r.activity_name, v.name, COALESCE(t.name, ''), r.site_id, s.name,
		r.recorder_name, r.minutes`+sqlRecordFrom+` WHERE `+w+lq.OrderBy(countedSorts, "date", "r.start_min, r.id")+lq.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("volunteers: counted records: %w", err)
	}
	defer rows.Close()
	out := []CountedRecord{}
	for rows.Next() {
		var c CountedRecord
		if err := rows.Scan(&c.ID, &c.Date, &c.Activity, &c.Name, &c.Team, &c.SiteID, &c.SiteName, &c.Recorder, &c.Minutes); err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}
