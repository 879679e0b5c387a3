// Package approvaltest seeds, by plain SQL, two organizations with the
// people, service points, assignments and supervisor links that approval
// routes are resolved from, for the tests of the engine and of the modules
// and pages that use it.
package approvaltest

import (
	"context"
	"sync"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Clock is a settable clock for Service.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Org is one seeded organization; users, staff and sites are keyed by the
// short names below.
type Org struct {
	ID    int64
	Users map[string]int64
	Staff map[string]int64
	Sites map[string]int64
}

// Fixture is the seeded data.
type Fixture struct {
	DB    *db.DB
	A     Org // the organization under test
	B     Org // another organization, which must see nothing of A
	Today app.Date
}

type person struct {
	key, name string
	roles     []authz.Role
	staff     bool
	site      string // current assignment
	oldSite   string // an ended assignment
	status    string
}

// Organization A:
//
//	北岸 (centre): heads headA and headA2, worker w1, supervisor sup; the
//	               assignment of oldhead (a centre head) there has ended
//	新市 (centre): head headB, worker w2
//	振华 (post):   worker w3, no centre head
//	director dir, accountant acc, evaluator eval (no staff record), gone (disabled user, centre head of 北岸)
//	sup supervises w1 and w2; a former link from headB to w1 has ended.
//
// Organization B: site 外机构, head ohead, worker ow, director odir.
var peopleA = []person{
	{key: "w1", name: "陈小明", roles: []authz.Role{authz.RoleWorker}, staff: true, site: "北岸"},
	{key: "w2", name: "李娜", roles: []authz.Role{authz.RoleWorker}, staff: true, site: "新市"},
	{key: "w3", name: "吴敏", roles: []authz.Role{authz.RoleWorker}, staff: true, site: "振华"},
	{key: "sup", name: "王督导", roles: []authz.Role{authz.RoleSupervisor}, staff: true, site: "北岸"},
	{key: "headA", name: "张北岸", roles: []authz.Role{authz.RoleCentreHead}, staff: true, site: "北岸"},
	{key: "headA2", name: "刘副主任", roles: []authz.Role{authz.RoleCentreHead}, staff: true, site: "北岸"},
	{key: "headB", name: "黄新市", roles: []authz.Role{authz.RoleCentreHead}, staff: true, site: "新市"},
	{key: "oldhead", name: "赵前任", roles: []authz.Role{authz.RoleCentreHead}, staff: true, oldSite: "北岸"},
	{key: "gone", name: "钱离职", roles: []authz.Role{authz.RoleCentreHead}, staff: true, site: "北岸", status: "disabled"},
	{key: "dir", name: "何总干事", roles: []authz.Role{authz.RoleDirector}, staff: true},
	{key: "acc", name: "周会计", roles: []authz.Role{authz.RoleAccountant}, staff: true},
	{key: "eval", name: "评估方", roles: []authz.Role{authz.RoleEvaluator}},
}

var peopleB = []person{
	{key: "ohead", name: "外中心主任", roles: []authz.Role{authz.RoleCentreHead}, staff: true, site: "外机构"},
	{key: "ow", name: "外社工", roles: []authz.Role{authz.RoleWorker}, staff: true, site: "外机构"},
	{key: "odir", name: "外总干事", roles: []authz.Role{authz.RoleDirector}, staff: true},
}

// Seed inserts both organizations; today is the date the current
// assignments and links cover.
func Seed(t testing.TB, d *db.DB, today app.Date) *Fixture {
	t.Helper()
	f := &Fixture{DB: d, Today: today}
	f.A = seedOrg(t, d, "org-a", "东莞市测试社会工作服务中心", []site{{"北岸", "centre"}, {"新市", "centre"}, {"振华", "post"}}, peopleA)
	f.B = seedOrg(t, d, "org-b", "另一社工机构", []site{{"外机构", "centre"}}, peopleB)
	link(t, d, f.A, "sup", "w1", app.NewDate(2025, 1, 1), app.Date{})
	link(t, d, f.A, "sup", "w2", app.NewDate(2025, 1, 1), app.Date{})
	link(t, d, f.A, "headB", "w1", app.NewDate(2024, 1, 1), app.NewDate(2024, 12, 31))
	return f
}

type site struct{ name, kind string }

func seedOrg(t testing.TB, d *db.DB, code, name string, sites []site, people []person) Org {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	o := Org{Users: map[string]int64{}, Staff: map[string]int64{}, Sites: map[string]int64{}}
	must(t, d.W.QueryRowContext(ctx, `INSERT INTO organizations (code, name, kind, created_at)
		VALUES ($1, $2, 'agency', $3) RETURNING id`, code, name, now).Scan(&o.ID))
	for i, s := range sites {
		var id int64
		must(t, d.W.QueryRowContext(ctx, `INSERT INTO sites (org_id, code, name, kind, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, o.ID, code+"-s"+string(rune('0'+i)), s.name, s.kind, now).
			Scan(&id))
		o.Sites[s.name] = id
	}
	for i, p := range people {
		status := p.status
		if status == "" {
			status = "active"
		}
		var uid int64
		must(t, d.W.QueryRowContext(ctx, `INSERT INTO users (org_id, username, display_name, password_hash,
			must_change_password, status, created_at, updated_at) VALUES ($1, $2, $3, 'x', FALSE, $4, $5, $5) RETURNING id`,
			o.ID, code+"-"+p.key, p.name, status, now).Scan(&uid))
		o.Users[p.key] = uid
		for _, r := range p.roles {
			exec(t, d, `INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, $3)`, o.ID, uid, string(r))
		}
		if !p.staff {
			continue
		}
		var sid int64
		must(t, d.W.QueryRowContext(ctx, `INSERT INTO staff (org_id, employee_no, name, user_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, o.ID, code+"-e"+string(rune('a'+i)), p.name, uid, now).Scan(&sid))
		o.Staff[p.key] = sid
		if p.site != "" {
			exec(t, d, `INSERT INTO staff_assignments (org_id, staff_id, site_id, start_date) VALUES ($1, $2, $3, $4)`,
				o.ID, sid, o.Sites[p.site], app.NewDate(2025, 1, 1))
		}
		if p.oldSite != "" {
			exec(t, d, `INSERT INTO staff_assignments (org_id, staff_id, site_id, start_date, end_date) VALUES ($1, $2, $3, $4, $5)`,
				o.ID, sid, o.Sites[p.oldSite], app.NewDate(2023, 1, 1), app.NewDate(2024, 12, 31))
		}
	}
	return o
}

func link(t testing.TB, d *db.DB, o Org, supervisor, supervisee string, start, end app.Date) {
	t.Helper()
	exec(t, d, `INSERT INTO supervisor_links (org_id, supervisor_id, supervisee_id, start_date, end_date)
		VALUES ($1, $2, $3, $4, $5)`, o.ID, o.Staff[supervisor], o.Staff[supervisee], start, end)
}

// User returns the id of a seeded user; an unknown key is a bug in the test.
func (o Org) User(key string) int64 {
	id, ok := o.Users[key]
	if !ok {
		panic("approvaltest: no user " + key)
	}
	return id
}

// Principal loads the principal of a user of o as of the fixture's today.
func (f *Fixture) Principal(t testing.TB, o Org, key string) *authz.Principal {
	t.Helper()
	p, err := authz.Load(context.Background(), f.DB.R, o.User(key), f.Today)
	if err != nil {
		t.Fatalf("load principal %s: %v", key, err)
	}
	return p
}

// Exec runs a statement on the fixture's database.
func (f *Fixture) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	exec(t, f.DB, query, args...)
}

func exec(t testing.TB, d *db.DB, query string, args ...any) {
	t.Helper()
	if _, err := d.W.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("seed: %v\n%s", err, query)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}
