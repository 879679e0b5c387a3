package groups

import (
	"context"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/db"
)

// The counts of the seed's service statistics (服务数据统计) for groups and
// activities. The statistics module, the project page and the monthly
// report call them with a querier of their choice; they check no
// permission, the caller decides what the reader may count.

// CountFilter selects the records a count covers: one organization and,
// optionally, one service point, one project and one worker (a group's main
// leader, an activity's lead worker). A zero id means "all".
type CountFilter struct {
	OrgID     int64
	SiteID    int64
	ProjectID int64
	StaffID   int64
}

// where returns the filter condition over table alias t whose worker
// column is staffCol.
func (f CountFilter) where(t, staffCol string, args *app.Args) string {
	w := t + ".org_id = " + args.Add(f.OrgID)
	if f.SiteID != 0 {
		w += " AND " + t + ".site_id = " + args.Add(f.SiteID)
	}
	if f.ProjectID != 0 {
		w += " AND " + t + ".project_id = " + args.Add(f.ProjectID)
	}
	if f.StaffID != 0 {
		w += " AND " + t + "." + staffCol + " = " + args.Add(f.StaffID)
	}
	return w
}

// period returns the condition "expr in [from, to]"; a zero bound is open.
func period(expr string, from, to app.Date, args *app.Args) string {
	w := expr + " IS NOT NULL"
	if !from.IsZero() {
		w += " AND " + expr + " >= " + args.Add(from)
	}
	if !to.IsZero() {
		w += " AND " + expr + " <= " + args.Add(to)
	}
	return w
}

func count(ctx context.Context, q db.Querier, what, query string, args app.Args) (int, error) {
	var n int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("groups: count %s: %w", what, err)
	}
	return int(n), nil
}

// GroupsOpened counts groups opened (开启小组) in [from, to]: groups whose
// first session was held in the period. 开启小组数 = 首节在期间内的小组数.
func GroupsOpened(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	var args app.Args
	first := `(SELECT MIN(s.held_on) FROM group_sessions s WHERE s.org_id = g.org_id AND s.group_id = g.id)`
	query := `SELECT COUNT(*) FROM groups g WHERE ` + f.where("g", "leader_id", &args) + " AND " + period(first, from, to, &args)
	return count(ctx, q, "groups opened", query, args)
}

// GroupSessions counts group sessions (小组节数) held in [from, to].
// 小组节数 = 期间内开展的节次数.
func GroupSessions(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	var args app.Args
	query := `SELECT COUNT(*) FROM group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
		WHERE ` + f.where("g", "leader_id", &args) + " AND " + period("s.held_on", from, to, &args)
	return count(ctx, q, "group sessions", query, args)
}

// GroupPersonTimes counts group person-times (小组参与人次) in [from, to]:
// the present marks at sessions held in the period (one member at three
// sessions = 3). 小组人次 = 期间内各节出席标记之和.
func GroupPersonTimes(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	var args app.Args
	query := `SELECT COUNT(*) FROM group_attendance a
		JOIN group_sessions s ON s.org_id = a.org_id AND s.id = a.session_id
		JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id
		WHERE a.present AND ` + f.where("g", "leader_id", &args) + " AND " + period("s.held_on", from, to, &args)
	return count(ctx, q, "group person-times", query, args)
}

// Activities counts community activities (社区活动) held in [from, to].
// 社区活动数 = 活动日期在期间内的活动数.
func Activities(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	var args app.Args
	query := `SELECT COUNT(*) FROM activities a WHERE ` + f.where("a", "lead_id", &args) + " AND " +
		period("a.held_on", from, to, &args)
	return count(ctx, q, "activities", query, args)
}

// InterestClasses counts interest classes (兴趣班), the activities of kind
// interest_class held in [from, to]. 兴趣班数 = 期间内类型为兴趣班的活动数.
func InterestClasses(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	var args app.Args
	query := `SELECT COUNT(*) FROM activities a WHERE a.kind = ` + args.Add(KindInterestClass) + " AND " +
		f.where("a", "lead_id", &args) + " AND " + period("a.held_on", from, to, &args)
	return count(ctx, q, "interest classes", query, args)
}

// ActivityParticipants sums the participants (活动参与人数) of the
// activities held in [from, to]; an activity with a sign-in list counts its
// names. 活动参与人数 = 期间内各活动参与人数之和.
func ActivityParticipants(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	var args app.Args
	query := `SELECT CAST(COALESCE(SUM(a.participants), 0) AS BIGINT) FROM activities a WHERE ` +
		f.where("a", "lead_id", &args) + " AND " + period("a.held_on", from, to, &args)
	return count(ctx, q, "activity participants", query, args)
}

// PublicityMaterials sums the publicity materials (海报及单张) produced for
// the activities held in [from, to]. 宣传品数量 = 期间内各活动海报数 + 单张数.
func PublicityMaterials(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	posters, flyers, err := Publicity(ctx, q, f, from, to)
	return posters + flyers, err
}

// Publicity sums posters and flyers separately for the activities held in
// [from, to]. 海报数、单张数 = 期间内各活动之和.
func Publicity(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (posters, flyers int, err error) {
	var args app.Args
	query := `SELECT CAST(COALESCE(SUM(a.posters), 0) AS BIGINT), CAST(COALESCE(SUM(a.flyers), 0) AS BIGINT)
		FROM activities a WHERE ` + f.where("a", "lead_id", &args) + " AND " + period("a.held_on", from, to, &args)
	var p, fl int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&p, &fl); err != nil {
		return 0, 0, fmt.Errorf("groups: count publicity: %w", err)
	}
	return int(p), int(fl), nil
}
