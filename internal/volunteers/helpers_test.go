package volunteers_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/export"
	"shegong/internal/pii"
	"shegong/internal/volunteers"
)

// clock is a movable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// fixture is an organization with two service points, another
// organization, and people in various roles.
type fixture struct {
	t            *testing.T
	d            *db.DB
	ctx          context.Context
	clock        *clock
	svc          *volunteers.Service
	org, other   int64
	siteA, siteB int64
	siteX        int64
	n            int
}

// 2026-03-02 09:00 in China.
var start = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	key := bytes.Repeat([]byte{7}, pii.KeySize)
	c, err := pii.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.WatchLeaks(t, d, c)
	f := &fixture{t: t, d: d, ctx: context.Background(), clock: &clock{t: start}}
	f.svc = volunteers.New(d, f.clock.Now, c)
	f.org = f.id(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ('lvye', '绿叶社工', 'agency', 'active', $1) RETURNING id`, start)
	f.other = f.id(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ('other', '别家机构', 'agency', 'active', $1) RETURNING id`, start)
	f.siteA = f.site(f.org, "北岸中心")
	f.siteB = f.site(f.org, "振华中心")
	f.siteX = f.site(f.other, "别家中心")
	return f
}

func (f *fixture) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.d.W.QueryRow(q, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.d.W.Exec(q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.R.QueryRow(q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (f *fixture) site(org int64, name string) int64 {
	f.n++
	return f.id(`INSERT INTO sites (org_id, code, name, kind, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'centre', 'active', $4, $4) RETURNING id`, org, fmt.Sprintf("S%d", f.n), name, start.Add(-90*24*time.Hour))
}

// user creates an account with a staff record assigned to sites and
// returns its principal.
func (f *fixture) user(org int64, role authz.Role, sites ...int64) *authz.Principal {
	f.t.Helper()
	f.n++
	name := fmt.Sprintf("u%d", f.n)
	uid := f.id(`INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
		VALUES ($1, $2, $3, 'x', FALSE, 'active', $4, $4) RETURNING id`, org, name, "用户"+name, start)
	f.exec(`INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, $3)`, org, uid, string(role))
	sid := f.id(`INSERT INTO staff (org_id, employee_no, name, status, user_id, created_at, updated_at)
		VALUES ($1, $2, $3, 'active', $4, $5, $5) RETURNING id`, org, "E"+name, "同工"+name, uid, start)
	for _, s := range sites {
		f.exec(`INSERT INTO staff_assignments (org_id, staff_id, site_id, position, start_date) VALUES ($1, $2, $3, 'worker', '2025-01-01')`,
			org, sid, s)
	}
	p, err := authz.Load(f.ctx, f.d.R, uid, app.Today(start))
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// volunteer registers a volunteer at site with a mobile number derived
// from n, and an i志愿 id when registered.
func (f *fixture) volunteer(p *authz.Principal, site int64, name string, n int, registered bool) *volunteers.Volunteer {
	f.t.Helper()
	in := volunteers.VolunteerInput{SiteID: site, Name: name, Phone: fmt.Sprintf("139%08d", n), Gender: "女",
		BirthMonth: "1990-05", Skills: "陪伴"}
	if registered {
		in.IvolID = fmt.Sprintf("IV%06d", n)
	}
	v, err := f.svc.Create(f.ctx, p, in)
	if err != nil {
		f.t.Fatalf("create volunteer %s: %v", name, err)
	}
	return v
}

// record adds a service record and fails the test on error.
func (f *fixture) record(p *authz.Principal, v *volunteers.Volunteer, day, from, to, activity string) *volunteers.ServiceRecord {
	f.t.Helper()
	r, err := f.svc.CreateRecord(f.ctx, p, f.recordInput(v, day, from, to, activity))
	if err != nil {
		f.t.Fatalf("record %s %s %s–%s: %v", v.Name, day, from, to, err)
	}
	return r
}

func (f *fixture) recordInput(v *volunteers.Volunteer, day, from, to, activity string) volunteers.RecordInput {
	d, err := app.ParseDate(day)
	if err != nil {
		f.t.Fatal(err)
	}
	return volunteers.RecordInput{VolunteerID: v.ID, ActivityName: activity, Date: d, Start: from, End: to,
		LeadName: "王社工", LeadPhone: "13800138000", Content: "协助活动"}
}

// xlsx builds an upload from a header and rows.
func xlsx(t *testing.T, header []string, rows ...[]any) *bytes.Buffer {
	t.Helper()
	cols := make([]export.Column, len(header))
	for i, h := range header {
		cols[i] = export.Column{Header: h}
	}
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, "导入", cols, export.Slice(rows, func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// validID builds a valid resident ID number from a 17-digit body.
func validID(body string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range body {
		sum += int(c-'0') * w[i]
	}
	return body + string("10X98765432"[sum%11])
}
