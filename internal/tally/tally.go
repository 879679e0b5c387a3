// Package tally keeps the pre-aggregated service statistics (Q1): per month
// and key, the value of each figure of the registry, and per standard
// period the number of different volunteers of the organization (tables
// stats_month and stats_volunteers, migration 00019).
//
// The services that write the records a figure counts (group sessions and
// their attendance, groups, activities, volunteer service records, cases,
// a staff member's sign-in account) update the counters in the same
// transaction: Begin names the records about to change and reads what they
// add to the counters now; Commit, after the change, reads what they add
// then and applies the difference. So a counter can never drift from its
// records by a missed field: whatever changed, the records are recounted.
package tally

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/db"
)

// Columns are the figure columns of stats_month, in the order of the
// statistics registry (volunteer_minutes is 义工服务时数 in minutes).
var Columns = []string{"cases_opened", "groups_opened", "group_sessions", "group_person_times", "activities",
	"activity_participants", "volunteer_person_times", "volunteer_minutes", "publicity_materials"}

// The index of each figure in Values.
const (
	CasesOpened = iota
	GroupsOpened
	GroupSessions
	GroupPersonTimes
	Activities
	ActivityParticipants
	VolunteerPersonTimes
	VolunteerMinutes
	PublicityMaterials
	nFigures
)

// Values are the figures of one key, in the order of Columns.
type Values [nFigures]int64

func (v *Values) add(o Values, sign int64) {
	for i := range v {
		v[i] += sign * o[i]
	}
}

func (v Values) zero() bool { return v == Values{} }

// NoTeam is the team key of volunteer service with no team in
// stats_volunteers; team key 0 is all teams.
const NoTeam = -1

// key is one row of stats_month. site 0 is the organization's total.
type key struct {
	month                string // YYYY-MM-01
	site, project, staff int64
}

// MonthStart is the first day of d's month.
func MonthStart(d app.Date) app.Date {
	t := d.Time()
	return app.NewDate(t.Year(), t.Month(), 1)
}

func monthOf(d app.Date) string { return MonthStart(d).String() }

// PeriodKinds are the standard periods stats_volunteers holds.
var PeriodKinds = []string{"month", "quarter", "half", "year"}

// PeriodStart is the first day of the standard period of kind holding d.
func PeriodStart(kind string, d app.Date) app.Date {
	t := d.Time()
	m := int(t.Month())
	switch kind {
	case "quarter":
		m = (m-1)/3*3 + 1
	case "half":
		m = (m-1)/6*6 + 1
	case "year":
		m = 1
	}
	return app.NewDate(t.Year(), time.Month(m), 1)
}

// Unit names records whose contribution a Tracker follows.
type Unit struct {
	kind unitKind
	id   int64
}

type unitKind int

const (
	uSession unitKind = iota + 1
	uOpening
	uActivity
	uService
	uCase
	// Expanded into the units above.
	uGroup
	uActivityAll
	uRecorder
)

// Session is a group session with its attendance (and its group's opening).
func Session(id int64) Unit { return Unit{uSession, id} }

// Opening is a group's opening, dated by its first session.
func Opening(groupID int64) Unit { return Unit{uOpening, groupID} }

// Group is a group's opening and all its sessions (for edits of the group's
// service point, project or leader).
func Group(id int64) Unit { return Unit{uGroup, id} }

// Activity is a community activity and the volunteer service records
// linked to it (whose project is the activity's).
func Activity(id int64) Unit { return Unit{uActivityAll, id} }

// Service is a volunteer service record.
func Service(id int64) Unit { return Unit{uService, id} }

// Case is a case (counted when opened).
func Case(id int64) Unit { return Unit{uCase, id} }

// Recorder is every service record a user account recorded (whose worker
// is the staff member linked to that account).
func Recorder(userID int64) Unit { return Unit{uRecorder, userID} }

// service is a volunteer service record as the counters see it.
type service struct {
	volunteer, site, team, minutes int64
	date                           app.Date
}

// Tracker follows the contribution of some records across a change.
type Tracker struct {
	org       int64
	given     []Unit
	base      map[Unit]bool
	before    map[key]*Values
	svcBefore map[int64]service
}

// Begin reads what the records of units add to the counters before they
// change. Call it in the transaction of the change, before the change.
func Begin(ctx context.Context, q db.Querier, orgID int64, units ...Unit) (*Tracker, error) {
	t := &Tracker{org: orgID, given: units, base: map[Unit]bool{}, before: map[key]*Values{}, svcBefore: map[int64]service{}}
	if err := t.lock(ctx, q, units); err != nil {
		return nil, err
	}
	base, err := t.expand(ctx, q, units)
	if err != nil {
		return nil, err
	}
	for _, u := range base {
		t.base[u] = true
	}
	if err := t.contribute(ctx, q, base, t.before, t.svcBefore); err != nil {
		return nil, err
	}
	return t, nil
}

// Add names records created since Begin (which therefore added nothing
// before).
func (t *Tracker) Add(units ...Unit) { t.given = append(t.given, units...) }

// Commit reads what the records add now and applies the difference to the
// counters. Call it in the same transaction, after the change.
func (t *Tracker) Commit(ctx context.Context, q db.Querier) error {
	base, err := t.expand(ctx, q, t.given)
	if err != nil {
		return err
	}
	all := map[Unit]bool{}
	for u := range t.base {
		all[u] = true
	}
	for _, u := range base {
		all[u] = true
	}
	units := make([]Unit, 0, len(all))
	for u := range all {
		units = append(units, u)
	}
	// A group's first session is kept on the group.
	var groups []int64
	for _, u := range units {
		if u.kind == uOpening {
			groups = append(groups, u.id)
		}
	}
	for _, chunk := range chunks(groups) {
		if _, err := q.ExecContext(ctx, `UPDATE groups SET first_session_on = (SELECT MIN(s.held_on) FROM group_sessions s
			WHERE s.org_id = groups.org_id AND s.group_id = groups.id) WHERE org_id = $1 AND id IN (`+inList(chunk)+`)`, t.org); err != nil {
			return fmt.Errorf("tally: first session: %w", err)
		}
	}
	after := map[key]*Values{}
	svcAfter := map[int64]service{}
	if err := t.contribute(ctx, q, units, after, svcAfter); err != nil {
		return err
	}
	delta := map[key]*Values{}
	for k, v := range after {
		d := *v
		delta[k] = &d
	}
	for k, v := range t.before {
		d, ok := delta[k]
		if !ok {
			d = &Values{}
			delta[k] = d
		}
		d.add(*v, -1)
	}
	if err := applyMonths(ctx, q, t.org, delta); err != nil {
		return err
	}
	var tracked []int64
	for _, u := range units {
		if u.kind == uService {
			tracked = append(tracked, u.id)
		}
	}
	return t.presence(ctx, q, tracked, svcAfter)
}

// lock takes the row lock of the group or activity whose records a unit
// stands for, so that on PostgreSQL a concurrent write of the same group's
// sessions, or of the records linked to the same activity, counts after
// this one commits and reads what it wrote (SQLite writes one at a time).
func (t *Tracker) lock(ctx context.Context, q db.Querier, units []Unit) error {
	for _, u := range units {
		var query string
		switch u.kind {
		case uGroup, uOpening:
			query = `UPDATE groups SET first_session_on = first_session_on WHERE org_id = $1 AND id = $2`
		case uSession:
			query = `UPDATE groups SET first_session_on = first_session_on WHERE org_id = $1
				AND id = (SELECT group_id FROM group_sessions WHERE org_id = $1 AND id = $2)`
		case uActivityAll:
			query = `UPDATE activities SET version = version WHERE org_id = $1 AND id = $2`
		default:
			continue
		}
		if _, err := q.ExecContext(ctx, query, t.org, u.id); err != nil {
			return fmt.Errorf("tally: lock: %w", err)
		}
	}
	return nil
}

// expand turns units into the records they stand for.
func (t *Tracker) expand(ctx context.Context, q db.Querier, units []Unit) ([]Unit, error) {
	var out []Unit
	seen := map[Unit]bool{}
	emit := func(u Unit) {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	ids := func(query string, id int64, kind unitKind) error {
		rows, err := q.QueryContext(ctx, query, t.org, id)
		if err != nil {
			return fmt.Errorf("tally: expand: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var x int64
			if err := rows.Scan(&x); err != nil {
				return err
			}
			emit(Unit{kind, x})
		}
		return rows.Err()
	}
	for _, u := range units {
		var err error
		switch u.kind {
		case uGroup:
			emit(Opening(u.id))
			err = ids(`SELECT id FROM group_sessions WHERE org_id = $1 AND group_id = $2`, u.id, uSession)
		case uSession:
			emit(u)
			err = ids(`SELECT group_id FROM group_sessions WHERE org_id = $1 AND id = $2`, u.id, uOpening)
		case uActivityAll:
			emit(Unit{uActivity, u.id})
			err = ids(`SELECT id FROM volunteer_services WHERE org_id = $1 AND activity_id = $2`, u.id, uService)
		case uRecorder:
			err = ids(`SELECT id FROM volunteer_services WHERE org_id = $1 AND recorder_id = $2`, u.id, uService)
		default:
			emit(u)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// contribute adds what the records of units add to the counters into
// cells, and notes the service records in svc.
func (t *Tracker) contribute(ctx context.Context, q db.Querier, units []Unit, cells map[key]*Values, svc map[int64]service) error {
	byKind := map[unitKind][]int64{}
	for _, u := range units {
		byKind[u.kind] = append(byKind[u.kind], u.id)
	}
	put := func(d app.Date, site, project, staff int64, fig int, n int64) {
		if n == 0 || d.IsZero() {
			return
		}
		m := monthOf(d)
		for _, k := range []key{{m, site, project, staff}, {m, 0, 0, 0}} {
			v, ok := cells[k]
			if !ok {
				v = &Values{}
				cells[k] = v
			}
			v[fig] += n
		}
	}
	type source struct {
		kind  unitKind
		query string
		scan  func(rows interface{ Scan(...any) error }) error
	}
	var (
		d                              app.Date
		id, site, project, staff, team int64
		a, b, c                        int64
		volunteer                      int64
	)
	sources := []source{
		{uSession, `SELECT s.held_on, g.site_id, COALESCE(g.project_id, 0), g.leader_id,
			(SELECT COUNT(*) FROM group_attendance a WHERE a.org_id = s.org_id AND a.session_id = s.id AND a.present)
			FROM group_sessions s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id WHERE s.org_id = $1 AND s.id IN `,
			func(r interface{ Scan(...any) error }) error {
				if err := r.Scan(&d, &site, &project, &staff, &a); err != nil {
					return err
				}
				put(d, site, project, staff, GroupSessions, 1)
				put(d, site, project, staff, GroupPersonTimes, a)
				return nil
			}},
		{uOpening, `SELECT g.first_session_on, g.site_id, COALESCE(g.project_id, 0), g.leader_id FROM groups g
			WHERE g.org_id = $1 AND g.first_session_on IS NOT NULL AND g.id IN `,
			func(r interface{ Scan(...any) error }) error {
				if err := r.Scan(&d, &site, &project, &staff); err != nil {
					return err
				}
				put(d, site, project, staff, GroupsOpened, 1)
				return nil
			}},
		{uActivity, `SELECT a.held_on, a.site_id, COALESCE(a.project_id, 0), a.lead_id, a.participants, a.posters + a.flyers
			FROM activities a WHERE a.org_id = $1 AND a.id IN `,
			func(r interface{ Scan(...any) error }) error {
				if err := r.Scan(&d, &site, &project, &staff, &a, &b); err != nil {
					return err
				}
				put(d, site, project, staff, Activities, 1)
				put(d, site, project, staff, ActivityParticipants, a)
				put(d, site, project, staff, PublicityMaterials, b)
				return nil
			}},
		{uService, `SELECT r.id, r.volunteer_id, r.service_date, r.site_id, COALESCE(a.project_id, 0), COALESCE(st.id, 0),
			COALESCE(r.team_id, -1), r.minutes FROM volunteer_services r
			LEFT JOIN activities a ON a.org_id = r.org_id AND a.id = r.activity_id
			LEFT JOIN staff st ON st.org_id = r.org_id AND st.user_id = r.recorder_id
			WHERE r.org_id = $1 AND r.id IN `,
			func(r interface{ Scan(...any) error }) error {
				if err := r.Scan(&id, &volunteer, &d, &site, &project, &staff, &team, &c); err != nil {
					return err
				}
				put(d, site, project, staff, VolunteerPersonTimes, 1)
				put(d, site, project, staff, VolunteerMinutes, c)
				svc[id] = service{volunteer: volunteer, date: d, site: site, team: team, minutes: c}
				return nil
			}},
		{uCase, `SELECT c.opened_on, c.site_id, c.worker_id FROM cases c WHERE c.org_id = $1 AND c.opened_on IS NOT NULL AND c.id IN `,
			func(r interface{ Scan(...any) error }) error {
				if err := r.Scan(&d, &site, &staff); err != nil {
					return err
				}
				put(d, site, 0, staff, CasesOpened, 1)
				return nil
			}},
	}
	for _, s := range sources {
		for _, chunk := range chunks(byKind[s.kind]) {
			rows, err := q.QueryContext(ctx, s.query+"("+inList(chunk)+")", t.org)
			if err != nil {
				return fmt.Errorf("tally: read records: %w", err)
			}
			for rows.Next() {
				if err := s.scan(rows); err != nil {
					rows.Close()
					return fmt.Errorf("tally: read records: %w", err)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("tally: read records: %w", err)
			}
		}
	}
	return nil
}

var sqlUpsertMonth = func() string {
	set := make([]string, len(Columns))
	ph := make([]string, len(Columns))
	for i, c := range Columns {
		set[i] = c + " = stats_month." + c + " + excluded." + c
		ph[i] = "$" + strconv.Itoa(i+6)
	}
	return `INSERT INTO stats_month (org_id, month, site_id, project_id, staff_id, ` + strings.Join(Columns, ", ") +
		`) VALUES ($1, $2, $3, $4, $5, ` + strings.Join(ph, ", ") + `)
		ON CONFLICT (org_id, site_id, month, project_id, staff_id) DO UPDATE SET ` + strings.Join(set, ", ")
}()

func applyMonths(ctx context.Context, q db.Querier, org int64, delta map[key]*Values) error {
	for k, v := range delta {
		if v.zero() {
			continue
		}
		args := []any{org, k.month, k.site, k.project, k.staff}
		for _, x := range v {
			args = append(args, x)
		}
		if _, err := q.ExecContext(ctx, sqlUpsertMonth, args...); err != nil {
			return fmt.Errorf("tally: counters: %w", err)
		}
	}
	return nil
}

type periodKey struct {
	kind, start string
	site, team  int64
}

// periodValues are a row of stats_volunteers.
type periodValues struct{ volunteers, personTimes, minutes int64 }

// presence updates stats_volunteers for the volunteers of the tracked
// service records: the different volunteers, person-times and minutes per
// standard period, service point and team. Before the change, a
// volunteer's records were those untouched plus the tracked ones as Begin
// read them; all of the volunteer's records are compared, so that whether
// they still served in a period is known.
func (t *Tracker) presence(ctx context.Context, q db.Querier, tracked []int64, svcAfter map[int64]service) error {
	vols := map[int64]bool{}
	for _, s := range t.svcBefore {
		vols[s.volunteer] = true
	}
	for _, s := range svcAfter {
		vols[s.volunteer] = true
	}
	if len(vols) == 0 {
		return nil
	}
	isTracked := map[int64]bool{}
	for _, id := range tracked {
		isTracked[id] = true
	}
	before := map[int64][]service{}
	now := map[int64][]service{}
	for _, s := range t.svcBefore {
		before[s.volunteer] = append(before[s.volunteer], s)
	}
	var ids []int64
	for v := range vols {
		ids = append(ids, v)
	}
	// Whether a volunteer still served in a period depends on all their
	// records: writes of one volunteer's records count one after the other.
	slices.Sort(ids)
	for _, chunk := range chunks(ids) {
		if _, err := q.ExecContext(ctx, `UPDATE volunteers SET version = version WHERE org_id = $1 AND id IN (`+inList(chunk)+`)`, t.org); err != nil {
			return fmt.Errorf("tally: lock volunteers: %w", err)
		}
	}
	for _, chunk := range chunks(ids) {
		rows, err := q.QueryContext(ctx, `SELECT r.id, r.volunteer_id, r.service_date, r.site_id, COALESCE(r.team_id, -1), r.minutes
			FROM volunteer_services r WHERE r.org_id = $1 AND r.volunteer_id IN (`+inList(chunk)+`)`, t.org)
		if err != nil {
			return fmt.Errorf("tally: volunteers: %w", err)
		}
		for rows.Next() {
			var id int64
			var s service
			if err := rows.Scan(&id, &s.volunteer, &s.date, &s.site, &s.team, &s.minutes); err != nil {
				rows.Close()
				return fmt.Errorf("tally: volunteers: %w", err)
			}
			now[s.volunteer] = append(now[s.volunteer], s)
			if !isTracked[id] {
				before[s.volunteer] = append(before[s.volunteer], s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("tally: volunteers: %w", err)
		}
	}
	delta := map[periodKey]*periodValues{}
	add := func(recs []service, sign int64) {
		for k, pv := range periodsOf(recs) {
			d, ok := delta[k]
			if !ok {
				d = &periodValues{}
				delta[k] = d
			}
			d.volunteers += sign
			d.personTimes += sign * pv.personTimes
			d.minutes += sign * pv.minutes
		}
	}
	for v := range vols {
		add(now[v], 1)
		add(before[v], -1)
	}
	for k, d := range delta {
		if *d == (periodValues{}) {
			continue
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO stats_volunteers (org_id, kind, period_start, site_id, team_id, volunteers,
			person_times, minutes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, kind, period_start, site_id, team_id)
			DO UPDATE SET volunteers = stats_volunteers.volunteers + excluded.volunteers,
			person_times = stats_volunteers.person_times + excluded.person_times,
			minutes = stats_volunteers.minutes + excluded.minutes`,
			t.org, k.kind, k.start, k.site, k.team, d.volunteers, d.personTimes, d.minutes); err != nil {
			return fmt.Errorf("tally: volunteers: %w", err)
		}
	}
	return nil
}

// periodsOf sums one volunteer's records by standard period, service point
// (0: all) and team (0: all); the volunteer is counted once in each.
func periodsOf(recs []service) map[periodKey]*periodValues {
	out := map[periodKey]*periodValues{}
	for _, s := range recs {
		for _, kind := range PeriodKinds {
			start := PeriodStart(kind, s.date).String()
			for _, k := range []periodKey{{kind, start, 0, 0}, {kind, start, 0, s.team}, {kind, start, s.site, 0}, {kind, start, s.site, s.team}} {
				pv, ok := out[k]
				if !ok {
					pv = &periodValues{}
					out[k] = pv
				}
				pv.personTimes++
				pv.minutes += s.minutes
			}
		}
	}
	return out
}

func chunks(ids []int64) [][]int64 {
	var out [][]int64
	for len(ids) > 0 {
		n := min(len(ids), 500)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// inList inlines ids as integers.
func inList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// Created adds records just created (which added nothing before) to the
// counters.
func Created(ctx context.Context, q db.Querier, orgID int64, units ...Unit) error {
	t := &Tracker{org: orgID, given: units, base: map[Unit]bool{}, before: map[key]*Values{}, svcBefore: map[int64]service{}}
	return t.Commit(ctx, q)
}
