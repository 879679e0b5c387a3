package cases_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/export"
	"shegong/internal/pii"
)

// now is the fixed clock of the service tests: 2026-03-02 09:00 in China.
var now = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// fixture is one organization with two service points and its people, and
// a second organization.
type fixture struct {
	t            *testing.T
	ctx          context.Context
	d            *db.DB
	svc          *cases.ClientService
	org, other   int64
	siteA, siteB int64
	siteX        int64
	// Workers at site A (w1, w2) and B (w3); sup supervises w3 and works at
	// A; head is the centre head of A; ev is an evaluator; far works in the
	// other organization.
	w1, w2, w3, sup, head, svcHead, ev, far *authz.Principal
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	key := bytes.Repeat([]byte{7}, pii.KeySize)
	c, err := pii.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.WatchLeaks(t, d, c)
	f := &fixture{t: t, ctx: context.Background(), d: d, svc: cases.NewClientService(d, func() time.Time { return now }, c)}
	f.org = f.id(`INSERT INTO organizations (code, name, kind, created_at) VALUES ('lvye', '绿叶社工', 'agency', $1) RETURNING id`, now)
	f.other = f.id(`INSERT INTO organizations (code, name, kind, created_at) VALUES ('other', '别家', 'agency', $1) RETURNING id`, now)
	f.siteA = f.site(f.org, "SA", "北岸中心")
	f.siteB = f.site(f.org, "SB", "新市中心")
	f.siteX = f.site(f.other, "SX", "别家中心")
	f.w1 = f.person(f.org, "w1", f.siteA, authz.RoleWorker)
	f.w2 = f.person(f.org, "w2", f.siteA, authz.RoleWorker)
	f.w3 = f.person(f.org, "w3", f.siteB, authz.RoleWorker)
	f.sup = f.person(f.org, "sup", f.siteA, authz.RoleSupervisor)
	f.exec(`INSERT INTO supervisor_links (org_id, supervisor_id, supervisee_id, start_date) VALUES ($1, $2, $3, '2026-01-01')`,
		f.org, f.sup.StaffID, f.w3.StaffID)
	f.head = f.person(f.org, "head", f.siteA, authz.RoleCentreHead)
	f.svcHead = f.person(f.org, "svchead", f.siteA, authz.RoleServiceHead)
	f.ev = f.person(f.org, "ev", 0, authz.RoleEvaluator)
	f.far = f.person(f.other, "far", f.siteX, authz.RoleWorker)
	// Principals load supervisees and sites at creation; reload them now.
	f.sup = f.load(f.sup.UserID)
	return f
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.d.W.Exec(q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) id(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.d.W.QueryRow(q, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.d.R.QueryRow(q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (f *fixture) site(org int64, code, name string) int64 {
	return f.id(`INSERT INTO sites (org_id, code, name, kind, created_at, updated_at) VALUES ($1, $2, $3, 'centre', $4, $4) RETURNING id`,
		org, code, name, now)
}

func (f *fixture) person(org int64, username string, site int64, roles ...authz.Role) *authz.Principal {
	uid := f.id(`INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, created_at, updated_at)
		VALUES ($1, $2, $3, 'x', FALSE, $4, $4) RETURNING id`, org, username, "用户"+username, now)
	for _, r := range roles {
		f.exec(`INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, $3)`, org, uid, string(r))
	}
	sid := f.id(`INSERT INTO staff (org_id, employee_no, name, user_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
		org, "E-"+username, "同工"+username, uid, now)
	if site != 0 {
		f.exec(`INSERT INTO staff_assignments (org_id, staff_id, site_id, start_date) VALUES ($1, $2, $3, '2026-01-01')`, org, sid, site)
	}
	return f.load(uid)
}

func (f *fixture) load(uid int64) *authz.Principal {
	p, err := authz.Load(f.ctx, f.d.R, uid, app.Today(now))
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// adult returns a valid input for an adult client.
func adult(name string) cases.ClientInput {
	return cases.ClientInput{Name: name, BirthDate: app.NewDate(1980, 5, 6), Gender: "女"}
}

// create registers in as p and fails the test on error.
func (f *fixture) create(p *authz.Principal, in cases.ClientInput) *cases.Client {
	f.t.Helper()
	c, err := f.svc.Create(f.ctx, p, in)
	if err != nil {
		f.t.Fatalf("create %s: %v %v", in.Name, err, app.FieldErrors(err))
	}
	return c
}

// validID returns a valid ID number for the birth date with sequence seq.
func validID(birth string, seq int) string {
	base := "441900" + birth + string(rune('0'+seq/100%10)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range base {
		sum += int(c-'0') * w[i]
	}
	return base + string("10X98765432"[sum%11])
}

// xlsx builds an import file from a header and rows.
func xlsx(t *testing.T, header []string, rows ...[]any) []byte {
	t.Helper()
	cols := make([]export.Column, len(header))
	for i, h := range header {
		cols[i] = export.Column{Header: h}
	}
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, "服务对象", cols, export.Slice(rows, func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
