package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/approval/general"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/groups"
	"shegong/internal/pii"
	"shegong/internal/resources"
	"shegong/internal/volunteers"
)

// The demo's year of service records, made through the business services
// so that every record is validated, personal data is encrypted and every
// change is audited. Each record is an event on a date; the events run in
// date order on a clock that moves through the year, so that approvals,
// reminders and the audit trail carry plausible times.

// person is a demo user with a staff record.
type person struct {
	username string
	userID   int64
	staffID  int64
	name     string
	site     *site
	p        *authz.Principal
	sup      *person
}

// site is a demo service point with its people.
type site struct {
	id      int64
	code    string
	name    string
	head    *person
	workers []*person // every front-line worker, the head first
}

type event struct {
	at time.Time
	n  int
	do func() error
}

// world holds the services, the people and the pending events.
type world struct {
	ctx    context.Context
	d      *db.DB
	clock  time.Time
	now    time.Time // the real time of the load; no event is later
	today  app.Date
	from   app.Date // first day of the year of records
	r      *rand.Rand
	org    int64
	towns  map[string]int64
	cats   map[string]int64
	sites  []*site
	people map[string]*person
	events []event
	ba     *baProjects

	clients  *cases.ClientService
	cases    *cases.CaseService
	ap       *approval.Service
	general  *general.Service
	groups   *groups.Service
	vols     *volunteers.Service
	res      *resources.Service
	clientNo int
}

// records loads the demo organization's year of work.
func records(ctx context.Context, d *db.DB, c *pii.Cipher, orgID int64, now time.Time) error {
	w := &world{ctx: ctx, d: d, now: now, clock: now, today: app.Today(now), org: orgID,
		r: rand.New(rand.NewPCG(2017, 11)), people: map[string]*person{}}
	w.from = w.today.AddMonths(-12).AddDays(1)
	clock := func() time.Time { return w.clock }
	w.clients = cases.NewClientService(d, clock, c)
	w.ap = approval.New(d, clock)
	w.general = general.New(d, clock, w.ap)
	w.cases = cases.NewCaseService(d, clock, w.ap, w.clients)
	w.groups = groups.New(d, clock)
	w.vols = volunteers.New(d, clock, c)
	w.res = resources.New(d, clock)
	if err := w.loadPeople(); err != nil {
		return err
	}
	w.planCases()
	w.planProjects()
	w.planGroups()
	w.planActivities()
	w.planVolunteers()
	w.planResources()
	w.planRequests()
	return w.run()
}

// at returns the time of minute m after 09:00 China time on day d, never
// later than the real time of the load.
func (w *world) at(d app.Date, m int) time.Time {
	t := d.Time().Add(time.Hour + time.Duration(m)*time.Minute)
	if t.After(w.now) {
		t = w.now.Add(-time.Duration(60-m%60) * time.Second)
	}
	return t
}

// on schedules fn at minute m of day d.
func (w *world) on(d app.Date, m int, fn func() error) {
	w.events = append(w.events, event{at: w.at(d, m), n: len(w.events), do: fn})
}

// run executes the events in time order (ties in the order scheduled).
func (w *world) run() error {
	sort.SliceStable(w.events, func(i, j int) bool { return w.events[i].at.Before(w.events[j].at) })
	for _, e := range w.events {
		w.clock = e.at
		if err := e.do(); err != nil {
			return fmt.Errorf("demo records at %s: %w", e.at.Format(time.DateTime), err)
		}
	}
	return nil
}

func (w *world) pick(list []string) string { return list[w.r.IntN(len(list))] }

// day returns the date n days after the start of the year of records.
func (w *world) day(n int) app.Date { return w.from.AddDays(n) }

const sqlDemoPeople = `SELECT u.username, u.id, st.id, st.name, COALESCE(a.site_id, 0), COALESCE(s.code, '')
	FROM users u JOIN staff st ON st.org_id = u.org_id AND st.user_id = u.id
	LEFT JOIN staff_assignments a ON a.org_id = st.org_id AND a.staff_id = st.id AND a.end_date IS NULL
	LEFT JOIN sites s ON s.org_id = a.org_id AND s.id = a.site_id
	WHERE u.org_id = $1 ORDER BY st.id`

// loadPeople reads the structure just created: service points, staff with
// sign-ins, supervisors, towns and client categories.
func (w *world) loadPeople() error {
	rows, err := w.d.R.QueryContext(w.ctx, `SELECT id, code, name FROM sites WHERE org_id = $1 ORDER BY id`, w.org)
	if err != nil {
		return err
	}
	bySite := map[int64]*site{}
	for rows.Next() {
		s := &site{}
		if err := rows.Scan(&s.id, &s.code, &s.name); err != nil {
			rows.Close()
			return err
		}
		w.sites = append(w.sites, s)
		bySite[s.id] = s
	}
	rows.Close()
	rows, err = w.d.R.QueryContext(w.ctx, sqlDemoPeople, w.org)
	if err != nil {
		return err
	}
	var all []*person
	for rows.Next() {
		p := &person{}
		var siteID int64
		var code string
		if err := rows.Scan(&p.username, &p.userID, &p.staffID, &p.name, &siteID, &code); err != nil {
			rows.Close()
			return err
		}
		p.site = bySite[siteID]
		w.people[p.username] = p
		all = append(all, p)
	}
	rows.Close()
	byStaff := map[int64]*person{}
	for _, p := range all {
		byStaff[p.staffID] = p
		if p.p, err = authz.Load(w.ctx, w.d.R, p.userID, w.today); err != nil {
			return fmt.Errorf("principal %s: %w", p.username, err)
		}
		if p.site != nil {
			p.site.workers = append(p.site.workers, p)
			if p.p.Has(authz.RoleCentreHead) {
				p.site.head = p
			}
		}
	}
	rows, err = w.d.R.QueryContext(w.ctx, `SELECT supervisor_id, supervisee_id FROM supervisor_links WHERE org_id = $1`, w.org)
	if err != nil {
		return err
	}
	for rows.Next() {
		var sup, supee int64
		if err := rows.Scan(&sup, &supee); err != nil {
			rows.Close()
			return err
		}
		if byStaff[supee] != nil {
			byStaff[supee].sup = byStaff[sup]
		}
	}
	rows.Close()
	w.towns = map[string]int64{}
	rows, err = w.d.R.QueryContext(w.ctx, `SELECT id, name FROM towns WHERE org_id = $1`, w.org)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return err
		}
		w.towns[n] = id
	}
	rows.Close()
	cats, err := w.clients.Categories(w.ctx, w.org, true)
	if err != nil {
		return err
	}
	w.cats = map[string]int64{}
	for _, c := range cats {
		w.cats[c.Name] = c.ID
	}
	return nil
}

// must returns the person with the username.
func (w *world) must(username string) *person {
	p := w.people[username]
	if p == nil {
		panic("demo: no user " + username)
	}
	return p
}
