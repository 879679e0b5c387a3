package org_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/org"
)

// siteClock is 2026-03-02 09:00 in China.
var siteClock = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// structFix is one organization on a fresh database with the service under
// test and helpers to make principals and rows.
type structFix struct {
	t     *testing.T
	d     *db.DB
	svc   *org.Service
	ctx   context.Context
	orgID int64
	next  int64
}

func newStructFix(t *testing.T, d *db.DB, code string) *structFix {
	t.Helper()
	f := &structFix{t: t, d: d, svc: org.New(d, func() time.Time { return siteClock }), ctx: context.Background()}
	f.orgID = f.id(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ($1, $2, 'agency', 'active', $3) RETURNING id`,
		code, code+"社工", siteClock)
	return f
}

// another adds a second organization on the same database.
func (f *structFix) another(code string) *structFix {
	g := newStructFix(f.t, f.d, code)
	g.next = 500
	return g
}

func (f *structFix) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.d.W.QueryRow(q, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f *structFix) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.d.W.Exec(q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *structFix) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.R.QueryRow(q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// as returns a principal of this organization holding role at siteIDs.
func (f *structFix) as(role authz.Role, siteIDs ...int64) *authz.Principal {
	f.next++
	return &authz.Principal{UserID: f.next, OrgID: f.orgID, OrgKind: "agency", Username: string(role),
		DisplayName: string(role), Roles: []authz.Role{role}, SiteIDs: siteIDs}
}

func (f *structFix) site(p *authz.Principal, code, name, kind string) int64 {
	f.t.Helper()
	id, err := f.svc.CreateSite(f.ctx, p, org.SiteInput{Code: code, Name: name, Kind: kind})
	if err != nil {
		f.t.Fatalf("create site %s: %v", name, err)
	}
	return id
}

// staffAt adds an active staff member assigned to siteID since 30 days ago.
func (f *structFix) staffAt(siteID int64, no, name, position string) int64 {
	sid := f.id(`INSERT INTO staff (org_id, employee_no, name, title, status, created_at, updated_at)
		VALUES ($1, $2, $3, '助理社工师', 'active', $4, $4) RETURNING id`, f.orgID, no, name, siteClock)
	f.exec(`INSERT INTO staff_assignments (org_id, staff_id, site_id, position, start_date) VALUES ($1, $2, $3, $4, $5)`,
		f.orgID, sid, siteID, position, app.Today(siteClock).AddDays(-30))
	return sid
}

func wantCode(t *testing.T, err error, code app.Code) {
	t.Helper()
	if app.ErrorCode(err) != code {
		t.Fatalf("want %s error, got %v (%s)", code, err, app.ErrorCode(err))
	}
}

// wantFields checks that err is an app error of code with exactly these
// field messages.
func wantFields(t *testing.T, err error, code app.Code, want map[string]string) {
	t.Helper()
	var e *app.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("want %s error, got %v", code, err)
	}
	if len(e.Fields) != len(want) {
		t.Fatalf("fields %v, want %v", e.Fields, want)
	}
	for k, m := range want {
		if e.Fields[k] != m {
			t.Fatalf("field %s: %q, want %q (all: %v)", k, e.Fields[k], m, e.Fields)
		}
	}
}

func fen(n int64) *app.Fen { f := app.Fen(n); return &f }

func date(s string) app.Date {
	d, err := app.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}
