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
//
// Each figure is one measure: the rows it stands on and what each row adds.
// The count sums the rows; the records behind the count (the statistics
// drill-down) list the same rows, so a number and its list cannot drift
// apart.

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

// measure is one figure's definition. Its rows are those of table alias t
// (a group or an activity, carrying site_id, project_id and the worker
// column staff) joined as from, dated by date, in the period; each row adds
// value. Sum measures keep only the rows that add something.
type measure struct {
	what  string
	from  string // FROM clause; t is the alias holding site, project and worker
	t     string
	staff string // worker column of t
	date  string // the row's date, the one the period applies to
	value string // what one row adds to the figure
	sum   bool   // value is not always 1: rows adding nothing are left out
	// sessions: the rows are group sessions s of groups g (a narrower
	// scope finds its groups first, see where).
	sessions bool
	// The record columns: id, the group of a session (0 otherwise), title and detail.
	id, group, title, detail string
}

func (m measure) where(f CountFilter, from, to app.Date, args *app.Args) string {
	w := f.where(m.t, m.staff, args) + " AND " + period(m.date, from, to, args)
	if m.narrowed(f) {
		// The same groups again, as a list the sessions are looked up by
		// (group, date): without it SQLite read every session of the
		// organization in the period and then its group, 0.1-0.3 s for a
		// worker's month on agency-large.
		w += " AND s.group_id IN (SELECT g2.id FROM groups g2 WHERE " + f.where("g2", m.staff, args) + ")"
	}
	if m.sum {
		w += " AND " + m.value + " > 0"
	}
	return w
}

// narrowed reports whether f selects sessions of some of the
// organization's groups only (a service point's, a project's, a worker's).
func (m measure) narrowed(f CountFilter) bool {
	return m.sessions && (f.SiteID != 0 || f.ProjectID != 0 || f.StaffID != 0)
}

func (m measure) count(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	var args app.Args
	// The sum needs no "adds something" filter (rows adding 0 do not change
	// it), and leaving it out spares computing a correlated value twice per
	// row (person-times: the present marks of every session).
	plain := m
	plain.sum = false
	query := `SELECT CAST(COALESCE(SUM(` + m.value + `), 0) AS BIGINT) FROM ` + m.from + ` WHERE ` + plain.where(f, from, to, &args)
	return count(ctx, q, m.what, query, args)
}

// CountedRecord is one record behind a count: a group, a session or an
// activity, with what it adds to the figure.
type CountedRecord struct {
	ID       int64    `json:"id"`       // the group, session or activity
	GroupID  int64    `json:"group_id"` // a session's group; 0 for groups and activities
	Date     app.Date `json:"date"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail"`
	SiteID   int64    `json:"site_id"`
	SiteName string   `json:"site_name"`
	Staff    string   `json:"staff"` // the group's main leader or the activity's lead worker
	Value    int      `json:"value"`
}

// recordSorts are the sort keys of a drill-down list.
func (m measure) recordSorts() map[string]string {
	return map[string]string{"date": m.date, "title": m.title, "site": "si.name", "staff": "st.name", "value": m.value}
}

// records lists the rows behind the count in the page of lq, with the
// number of rows.
func (m measure) records(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]CountedRecord, int, error) {
	var args app.Args
	where := m.where(f, from, to, &args)
	joins := ` JOIN sites si ON si.org_id = ` + m.t + `.org_id AND si.id = ` + m.t + `.site_id
		JOIN staff st ON st.org_id = ` + m.t + `.org_id AND st.id = ` + m.t + `.` + m.staff
	total, err := count(ctx, q, m.what+" records", `SELECT COUNT(*) FROM `+m.from+` WHERE `+where, args)
	if err != nil {
		return nil, 0, err
	}
	sorts := m.recordSorts()
	if m.narrowed(f) {
		// The same order by an expression no index gives: SQLite then looks
		// the scope's sessions up by group (see where) and sorts them,
		// rather than walking the organization's sessions in date order.
		sorts["date"] = "COALESCE(" + m.date + ", " + m.date + ")"
	}
	query := `SELECT ` + m.id + `, ` + m.group + `, ` + m.date + `, ` + m.title + `, ` + m.detail + `, si.id, si.name, st.name, ` +
		`CAST(` + m.value + ` AS BIGINT) FROM ` + m.from + joins + ` WHERE ` + where +
		lq.OrderBy(sorts, "date", m.id) + lq.LimitOffset()
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("groups: %s records: %w", m.what, err)
	}
	defer rows.Close()
	out := []CountedRecord{}
	for rows.Next() {
		var r CountedRecord
		var v int64
		if err := rows.Scan(&r.ID, &r.GroupID, &r.Date, &r.Title, &r.Detail, &r.SiteID, &r.SiteName, &r.Staff, &v); err != nil {
			return nil, 0, fmt.Errorf("groups: %s records: %w", m.what, err)
		}
		r.Value = int(v)
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// The measures. A session's present marks are the attendance rows marked
// present; a group's first session dates its opening (kept on the group as
// first_session_on by every write of its sessions, see package tally).
const (
	sqlFirstSession   = `g.first_session_on`
	sqlSessionPresent = `(SELECT COUNT(*) FROM group_attendance a WHERE a.org_id = s.org_id AND a.session_id = s.id AND a.present)`
	sqlSessionsOfG    = `group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id`
)

var (
	measureGroupsOpened = measure{what: "groups opened", from: "groups g", t: "g", staff: "leader_id",
		date: sqlFirstSession, value: "1", id: "g.id", group: "0", title: "g.name", detail: "''"}
	measureGroupSessions = measure{what: "group sessions", from: sqlSessionsOfG, t: "g", staff: "leader_id", sessions: true,
		date: "s.held_on", value: "1", id: "s.id", group: "g.id", title: "g.name", detail: "s.topic"}
	measureGroupPersonTimes = measure{what: "group person-times", from: sqlSessionsOfG, t: "g", staff: "leader_id", sessions: true,
		date: "s.held_on", value: sqlSessionPresent, sum: true, id: "s.id", group: "g.id", title: "g.name", detail: "s.topic"}
	measureActivities = measure{what: "activities", from: "activities a", t: "a", staff: "lead_id",
		date: "a.held_on", value: "1", id: "a.id", group: "0", title: "a.title", detail: "a.place"}
	measureParticipants = measure{what: "activity participants", from: "activities a", t: "a", staff: "lead_id",
		date: "a.held_on", value: "a.participants", sum: true, id: "a.id", group: "0", title: "a.title", detail: "a.place"}
	measurePublicity = measure{what: "publicity materials", from: "activities a", t: "a", staff: "lead_id",
		date: "a.held_on", value: "(a.posters + a.flyers)", sum: true, id: "a.id", group: "0", title: "a.title", detail: "a.place"}
)

// DefGroupsOpened is the definition of the figure below as users read it.
const DefGroupsOpened = "开启小组：首节在期间内的小组数（按主带领社工、小组所属服务点和项目统计）"

// GroupsOpened counts groups opened (开启小组) in [from, to]: groups whose
// first session was held in the period. 开启小组数 = 首节在期间内的小组数.
func GroupsOpened(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	return measureGroupsOpened.count(ctx, q, f, from, to)
}

// GroupsOpenedRecords lists the groups GroupsOpened counts, each adding 1.
func GroupsOpenedRecords(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]CountedRecord, int, error) {
	return measureGroupsOpened.records(ctx, q, f, from, to, lq)
}

// DefGroupSessions is the definition of the figure below as users read it.
const DefGroupSessions = "小组节数：期间内开展的小组节次数"

// GroupSessions counts group sessions (小组节数) held in [from, to].
// 小组节数 = 期间内开展的节次数.
func GroupSessions(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	return measureGroupSessions.count(ctx, q, f, from, to)
}

// GroupSessionRecords lists the sessions GroupSessions counts, each adding 1.
func GroupSessionRecords(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]CountedRecord, int, error) {
	return measureGroupSessions.records(ctx, q, f, from, to, lq)
}

// DefGroupPersonTimes is the definition of the figure below as users read it.
const DefGroupPersonTimes = "小组人次：期间内各节小组的出席人数之和（一名组员出席三节计 3 人次）"

// GroupPersonTimes counts group person-times (小组参与人次) in [from, to]:
// the present marks at sessions held in the period (one member at three
// sessions = 3). 小组人次 = 期间内各节出席标记之和.
func GroupPersonTimes(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	return measureGroupPersonTimes.count(ctx, q, f, from, to)
}

// GroupPersonTimeRecords lists the sessions with someone present, each
// adding its present marks.
func GroupPersonTimeRecords(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]CountedRecord, int, error) {
	return measureGroupPersonTimes.records(ctx, q, f, from, to, lq)
}

// DefActivities is the definition of the figure below as users read it.
const DefActivities = "社区活动：活动日期在期间内的社区活动数（按负责社工、活动所属服务点和项目统计）"

// Activities counts community activities (社区活动) held in [from, to].
// 社区活动数 = 活动日期在期间内的活动数.
func Activities(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	return measureActivities.count(ctx, q, f, from, to)
}

// ActivityRecords lists the activities Activities counts, each adding 1.
func ActivityRecords(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]CountedRecord, int, error) {
	return measureActivities.records(ctx, q, f, from, to, lq)
}

// InterestClasses counts interest classes (兴趣班), the activities of kind
// interest_class held in [from, to]. 兴趣班数 = 期间内类型为兴趣班的活动数.
func InterestClasses(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	var args app.Args
	query := `SELECT COUNT(*) FROM activities a WHERE a.kind = ` + args.Add(KindInterestClass) + " AND " +
		f.where("a", "lead_id", &args) + " AND " + period("a.held_on", from, to, &args)
	return count(ctx, q, "interest classes", query, args)
}

// DefActivityParticipants is the definition of the figure below as users read it.
const DefActivityParticipants = "活动参与人数：期间内各社区活动的参与人数之和（有签到名单的按名单人数）"

// ActivityParticipants sums the participants (活动参与人数) of the
// activities held in [from, to]; an activity with a sign-in list counts its
// names. 活动参与人数 = 期间内各活动参与人数之和.
func ActivityParticipants(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	return measureParticipants.count(ctx, q, f, from, to)
}

// ParticipantRecords lists the activities with participants, each adding
// its participants.
func ParticipantRecords(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]CountedRecord, int, error) {
	return measureParticipants.records(ctx, q, f, from, to, lq)
}

// DefPublicityMaterials is the definition of the figure below as users read it.
const DefPublicityMaterials = "宣传品：期间内各社区活动制作的海报与单张数量之和"

// PublicityMaterials sums the publicity materials (海报及单张) produced for
// the activities held in [from, to]. 宣传品数量 = 期间内各活动海报数 + 单张数.
func PublicityMaterials(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	return measurePublicity.count(ctx, q, f, from, to)
}

// PublicityRecords lists the activities with posters or flyers, each adding
// their number.
func PublicityRecords(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]CountedRecord, int, error) {
	return measurePublicity.records(ctx, q, f, from, to, lq)
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
