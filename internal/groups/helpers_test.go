package groups

import (
	"context"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// clock is a movable test clock; it starts on Monday 2026-03-02 09:00 in China.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// setDay moves the clock to 09:00 China time on the given date.
func (c *clock) setDay(d string) {
	day, err := app.ParseDate(d)
	if err != nil {
		panic(err)
	}
	c.t = time.Date(day.Year(), day.Month(), day.Day(), 1, 0, 0, 0, time.UTC)
}

// world is an organization with two centres, people at each, and another
// organization.
type world struct {
	t        *testing.T
	d        *db.DB
	svc      *Service
	clk      *clock
	ctx      context.Context
	org      int64
	other    int64
	siteA    int64
	siteB    int64
	siteX    int64
	workerA  *authz.Principal // worker at site A
	workerB  *authz.Principal // worker at site B
	head     *authz.Principal // centre head at site A
	director *authz.Principal
	eval     *authz.Principal // evaluator (read only)
	foreign  *authz.Principal // director of the other organization
}

func newWorld(t *testing.T, d *db.DB) *world {
	w := &world{t: t, d: d, clk: &clock{}, ctx: context.Background()}
	w.clk.setDay("2026-03-02")
	w.svc = New(d, w.clk.Now)
	w.org = w.id(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ('lvye', '绿叶社工', 'agency', 'active', $1) RETURNING id`, w.clk.t)
	w.other = w.id(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ('other', '别家机构', 'agency', 'active', $1) RETURNING id`, w.clk.t)
	w.siteA = w.site(w.org, "A1", "黄江镇北岸社区综合服务中心")
	w.siteB = w.site(w.org, "B1", "企石镇振华社区综合服务中心")
	w.siteX = w.site(w.other, "X1", "别家中心")
	w.workerA = w.person(w.org, "wanga", "王社工", w.siteA, authz.RoleWorker)
	w.workerB = w.person(w.org, "lib", "李社工", w.siteB, authz.RoleWorker)
	w.head = w.person(w.org, "head", "陈主任", w.siteA, authz.RoleCentreHead)
	w.director = w.person(w.org, "dir", "总干事", 0, authz.RoleDirector)
	w.eval = w.person(w.org, "eval", "评估员", 0, authz.RoleEvaluator)
	w.foreign = w.person(w.other, "fdir", "别家总干事", 0, authz.RoleDirector)
	return w
}

func (w *world) id(q string, args ...any) int64 {
	w.t.Helper()
	var id int64
	if err := w.d.W.QueryRow(q, args...).Scan(&id); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (w *world) site(org int64, code, name string) int64 {
	return w.id(`INSERT INTO sites (org_id, code, name, kind, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'centre', 'active', $4, $4) RETURNING id`, org, code, name, w.clk.t)
}

// person creates a user with a staff record (assigned to site when not 0)
// and returns the principal authorization would load.
func (w *world) person(org int64, username, name string, site int64, role authz.Role) *authz.Principal {
	uid := w.id(`INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'x', FALSE, 'active', $4, $4) RETURNING id`, org, username, name, w.clk.t)
	sid := w.id(`INSERT INTO staff (org_id, employee_no, name, status, user_id, created_at, updated_at)
		VALUES ($1, $2, $3, 'active', $4, $5, $5) RETURNING id`, org, "E"+username, name, uid, w.clk.t)
	p := &authz.Principal{UserID: uid, OrgID: org, OrgKind: "agency", Username: username, DisplayName: name,
		Roles: []authz.Role{role}, StaffID: sid}
	if site != 0 {
		p.SiteIDs = []int64{site}
	}
	return p
}

// group creates a group led by p at its first site with n planned sessions.
func (w *world) group(p *authz.Principal, name string, planned int) int64 {
	w.t.Helper()
	site := w.siteA
	if len(p.SiteIDs) > 0 {
		site = p.SiteIDs[0]
	}
	id, err := w.svc.CreateGroup(w.ctx, p, GroupInput{Name: name, Kind: "growth", SiteID: site, LeaderID: p.StaffID,
		PlannedSessions: planned, TargetMembers: 10})
	if err != nil {
		w.t.Fatalf("create group: %v", err)
	}
	return id
}

func (w *world) member(p *authz.Principal, group int64, name string) int64 {
	w.t.Helper()
	id, err := w.svc.AddMember(w.ctx, p, group, MemberInput{Name: name})
	if err != nil {
		w.t.Fatalf("add member: %v", err)
	}
	return id
}

func (w *world) session(p *authz.Principal, group int64, day string, present ...int64) int64 {
	w.t.Helper()
	d, _ := app.ParseDate(day)
	id, err := w.svc.CreateSession(w.ctx, p, group, SessionInput{HeldOn: d, Topic: "第" + day + "节", Present: present})
	if err != nil {
		w.t.Fatalf("create session %s: %v", day, err)
	}
	return id
}

func date(s string) app.Date {
	d, err := app.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code app.Code, what string) {
	t.Helper()
	if app.ErrorCode(err) != code {
		t.Fatalf("%s: want %s, got %v", what, code, err)
	}
}

// wantField fails unless err is invalid with a message on field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	f := app.FieldErrors(err)
	if app.ErrorCode(err) != app.EInvalid || f[field] == "" {
		t.Fatalf("want field error on %s, got %v (%v)", field, err, f)
	}
}

func (w *world) countAudit(action string) int {
	var n int
	if err := w.d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}
