package gen

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/audit"
	"shegong/internal/auth"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/pii"
	"shegong/internal/stats"
)

var testNow = time.Date(2026, 5, 20, 3, 0, 0, 0, time.UTC)

func testCipher(t testing.TB) *pii.Cipher {
	t.Helper()
	c, err := pii.NewCipher([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// keptFollowupsWrong counts the cases whose kept last service follow-up
// date or that month's count differ from their records, and the cases
// that keep a date.
func keptFollowupsWrong(t *testing.T, d *db.DB) (wrong, kept int) {
	t.Helper()
	ctx := context.Background()
	type facts struct {
		last app.Date
		n    int
	}
	recs := map[int64][]app.Date{}
	rows, err := d.R.QueryContext(ctx, `SELECT case_id, held_on FROM case_followups WHERE kind = 'service'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var on app.Date
		if err := rows.Scan(&id, &on); err != nil {
			t.Fatal(err)
		}
		recs[id] = append(recs[id], on)
	}
	rows.Close()
	rows, err = d.R.QueryContext(ctx, `SELECT id, last_followup_on, last_followup_month_count FROM cases`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var got facts
		if err := rows.Scan(&id, &got.last, &got.n); err != nil {
			t.Fatal(err)
		}
		var want facts
		for _, on := range recs[id] {
			if on.After(want.last) {
				want.last = on
			}
		}
		for _, on := range recs[id] {
			if on.MonthStart() == want.last.MonthStart() {
				want.n++
			}
		}
		if got != want {
			wrong++
		}
		if !got.last.IsZero() {
			kept++
		}
	}
	return wrong, kept
}

func TestSmall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := testCipher(t)
		p := Profiles["small"]
		rep, err := RunWith(ctx, d, c, p, 7, testNow, nil, Options{Safe: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.OrgIDs) != 1 {
			t.Fatalf("orgs %v", rep.OrgIDs)
		}
		org := rep.OrgIDs[0]

		// Counts match the profile, and the report counts what is there.
		for _, tc := range []struct {
			table string
			want  int
		}{
			{"sites", p.Sites}, {"staff", p.Staff}, {"clients", p.Clients}, {"cases", p.Cases},
			{"case_followups", p.Followups}, {"groups", p.Groups}, {"group_sessions", p.Sessions},
			{"group_attendance", p.Attendance}, {"activities", p.Activities}, {"volunteers", p.Volunteers},
			{"volunteer_services", p.Services},
		} {
			if n := count(t, d, `SELECT COUNT(*) FROM `+tc.table+` WHERE org_id = $1`, org); n != tc.want {
				t.Errorf("%s: %d rows, profile says %d", tc.table, n, tc.want)
			}
		}
		for _, ts := range rep.Tables {
			if ts.Table == "(indexes)" {
				continue
			}
			if n := count(t, d, `SELECT COUNT(*) FROM `+ts.Table+` WHERE `+orgCol(ts.Table)+` = $1`, org); int64(n) != ts.Rows {
				t.Errorf("report says %d rows of %s, table has %d", ts.Rows, ts.Table, n)
			}
		}

		// Every state of the case lifecycle.
		for _, st := range cases.States {
			if n := count(t, d, `SELECT COUNT(*) FROM cases WHERE org_id = $1 AND state = $2`, org, st); n == 0 {
				t.Errorf("no case in state %s", st)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM cases WHERE state <> 'archived' GROUP BY client_id ORDER BY 1 DESC LIMIT 1`); n != 1 {
			t.Errorf("a client has %d live cases", n)
		}
		// Follow-ups within their case's life; post-closure ones after closure.
		today := app.Today(testNow)
		if n := count(t, d, `SELECT COUNT(*) FROM case_followups f JOIN cases c ON c.org_id = f.org_id AND c.id = f.case_id
			WHERE f.kind = 'service' AND (c.opened_on IS NULL OR f.held_on < c.opened_on OR f.held_on > COALESCE(c.closed_on, $1))`, today); n != 0 {
			t.Errorf("%d service follow-ups outside their case's intervention", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM case_followups f JOIN cases c ON c.org_id = f.org_id AND c.id = f.case_id
			WHERE f.kind = 'post_closure' AND (c.closed_on IS NULL OR f.held_on < c.closed_on OR f.held_on > COALESCE(c.archived_on, $1))`, today); n != 0 {
			t.Errorf("%d post-closure follow-ups outside the post-closure period", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM cases WHERE intake_date > $1 OR opened_on < intake_date OR closed_on < opened_on
			OR archived_on < closed_on OR intake_date < $2`, today, today.AddDays(-365*p.Years)); n != 0 {
			t.Errorf("%d cases with days out of order or outside the years", n)
		}
		// The follow-up figures kept on cases equal a recount.
		if wrong, kept := keptFollowupsWrong(t, d); wrong != 0 || kept == 0 {
			t.Errorf("%d cases keep follow-up figures other than the records give (%d keep a date)", wrong, kept)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM case_followups WHERE case_id = $1`, rep.Case200); n != 200 {
			t.Errorf("case %d has %d follow-ups, want 200", rep.Case200, n)
		}
		// Attendance only for members of the session's group.
		if n := count(t, d, `SELECT COUNT(*) FROM group_attendance a
			JOIN group_sessions s ON s.org_id = a.org_id AND s.id = a.session_id
			JOIN group_members m ON m.org_id = a.org_id AND m.id = a.member_id
			WHERE s.group_id <> m.group_id`); n != 0 {
			t.Errorf("%d attendance marks for people not in the group", n)
		}
		// No overlapping service records of one volunteer.
		if n := count(t, d, `SELECT COUNT(*) FROM volunteer_services a JOIN volunteer_services b
			ON b.org_id = a.org_id AND b.volunteer_id = a.volunteer_id AND b.service_date = a.service_date AND b.id > a.id
			WHERE a.start_min < b.end_min AND b.start_min < a.end_min`); n != 0 {
			t.Errorf("%d overlapping volunteer service records", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM volunteer_services v JOIN activities a ON a.org_id = v.org_id AND a.id = v.activity_id
			WHERE a.held_on <> v.service_date OR a.site_id <> v.site_id`); n != 0 {
			t.Errorf("%d service records linked to an activity on another day or at another service point", n)
		}
		if d.Dialect == db.SQLite {
			rows, err := d.R.QueryContext(ctx, `PRAGMA foreign_key_check`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var tbl, parent string
				var rowid, fk sql.NullInt64
				rows.Scan(&tbl, &rowid, &parent, &fk)
				t.Errorf("foreign key violation: %s row %d -> %s", tbl, rowid.Int64, parent)
			}
			rows.Close()
		}
		// The supervisor has exactly 20 supervisees.
		if n := count(t, d, `SELECT COUNT(*) FROM supervisor_links WHERE org_id = $1 AND supervisor_id = $2 AND end_date IS NULL`,
			org, rep.Supervisor.StaffID); n != 20 {
			t.Errorf("supervisor has %d supervisees", n)
		}

		// The application works on the generated rows.
		now := func() time.Time { return testNow }
		as := auth.New(d, now, auth.Config{})
		_, worker, err := as.Login(ctx, rep.Worker.Username, Password, "web", auth.Client{IP: "127.0.0.1"})
		if err != nil {
			t.Fatalf("worker sign-in: %v", err)
		}
		clients := cases.NewClientService(d, now, c)
		caseSvc := cases.NewCaseService(d, now, approval.New(d, now), clients)
		list, total, err := caseSvc.List(ctx, worker, cases.CaseFilter{}, app.ListQuery{Page: 1, Size: 50})
		if err != nil {
			t.Fatal(err)
		}
		if want := count(t, d, `SELECT COUNT(*) FROM cases WHERE org_id = $1 AND worker_id = $2`, org, rep.Worker.StaffID); total != want || want == 0 || len(list) == 0 {
			t.Errorf("worker's case list: %d cases (page %d), SQL counts %d", total, len(list), want)
		}
		f, err := caseSvc.File(ctx, worker, rep.Case200)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Followups) != 200 {
			t.Errorf("case file shows %d follow-ups", len(f.Followups))
		}
		// Reveal decrypts what the generator encrypted; the blind index finds
		// a duplicate ID number.
		var clientID int64
		if err := d.R.QueryRowContext(ctx, `SELECT client_id FROM cases WHERE id = $1`, rep.Case200).Scan(&clientID); err != nil {
			t.Fatal(err)
		}
		id, err := clients.Reveal(ctx, worker, clientID)
		if err != nil {
			t.Fatal(err)
		}
		if err := pii.ValidateIDNumberAt(id.IDNumber, testNow); err != nil || id.Address == "" {
			t.Errorf("revealed ID number %q address %q: %v", id.IDNumber, id.Address, err)
		}
		_, err = clients.Create(ctx, worker, cases.ClientInput{Name: "重复登记", IDNumber: id.IDNumber, Phone: "13800138000"})
		if app.ErrorCode(err) != app.EConflict {
			t.Errorf("registering a generated ID number again: %v, want a conflict", err)
		}
		// New rows continue after the generated ids (PostgreSQL identities).
		fresh := idNumber("441900", dayOf(time.Date(1990, 3, 4, 0, 0, 0, 0, time.UTC)), true, 499)
		if _, err := clients.Create(ctx, worker, cases.ClientInput{Name: "新登记", IDNumber: fresh, Phone: "13800138000"}); err != nil {
			t.Errorf("registering a new client after generation: %v", err)
		}
		// The supervisor's to-dos hold the pending requests of supervisees.
		_, sup, err := as.Login(ctx, rep.Supervisor.Username, Password, "web", auth.Client{IP: "127.0.0.1"})
		if err != nil {
			t.Fatalf("supervisor sign-in: %v", err)
		}
		if len(sup.Supervisees) != 20 {
			t.Errorf("supervisor principal has %d supervisees", len(sup.Supervisees))
		}
		// Statistics of the organization-year equal direct counts.
		_, dir, err := as.Login(ctx, rep.Director.Username, Password, "web", auth.Client{IP: "127.0.0.1"})
		if err != nil {
			t.Fatalf("director sign-in: %v", err)
		}
		year, _ := stats.YearPeriod(today.Year() - 1)
		sr, err := stats.New(d, now).Report(ctx, dir, stats.Query{Period: year})
		if err != nil {
			t.Fatal(err)
		}
		from, to := year.From, year.To
		want := map[string]int{
			"cases_opened":           count(t, d, `SELECT COUNT(*) FROM cases WHERE org_id = $1 AND opened_on BETWEEN $2 AND $3`, org, from, to),
			"group_sessions":         count(t, d, `SELECT COUNT(*) FROM group_sessions WHERE org_id = $1 AND held_on BETWEEN $2 AND $3`, org, from, to),
			"activities":             count(t, d, `SELECT COUNT(*) FROM activities WHERE org_id = $1 AND held_on BETWEEN $2 AND $3`, org, from, to),
			"volunteer_person_times": count(t, d, `SELECT COUNT(*) FROM volunteer_services WHERE org_id = $1 AND service_date BETWEEN $2 AND $3`, org, from, to),
		}
		for _, fv := range sr.Figures {
			if w, ok := want[fv.Key]; ok {
				if fv.Raw != int64(w) || w == 0 {
					t.Errorf("statistics %s = %d, SQL counts %d", fv.Key, fv.Raw, w)
				}
				delete(want, fv.Key)
			}
		}
		if len(want) > 0 {
			t.Errorf("figures missing from the report: %v", want)
		}
		// The audit chains stay intact.
		res, err := audit.Verify(ctx, d)
		if err != nil || len(res.Problems) > 0 {
			t.Errorf("audit verify: %v %v", err, res.Problems)
		}
		// A second run refuses the non-empty database.
		if _, err := Run(ctx, d, c, p, 7, testNow, nil); err == nil {
			t.Error("generating into a non-empty database was not refused")
		}
	})
}

// orgCol is the column naming the organization in a table.
func orgCol(table string) string {
	if table == "organizations" {
		return "id"
	}
	return "org_id"
}

// TestSameSeedSameData generates twice with one seed and once with another,
// comparing a digest of the plain columns (ciphertexts and password hashes
// differ by design).
func TestSameSeedSameData(t *testing.T) {
	ctx := context.Background()
	c := testCipher(t)
	p := Profiles["small"]
	p.Clients, p.Cases, p.Followups, p.Services, p.Attendance = 120, 150, 900, 300, 500
	digest := func(seed int64) string {
		d, err := db.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(ctx, d, c, p, seed, testNow, nil); err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		for _, q := range []string{
			`SELECT id, name, gender, birth_date, id_number_idx, phone_idx, worker_id, site_id FROM clients ORDER BY id`,
			`SELECT id, number, client_id, worker_id, state, intake_date, opened_on, closed_on, archived_on FROM cases ORDER BY id`,
			`SELECT id, case_id, kind, held_on, method FROM case_followups ORDER BY id`,
			`SELECT session_id, member_id, present FROM group_attendance ORDER BY session_id, member_id`,
			`SELECT id, volunteer_id, service_date, start_min, end_min, activity_id FROM volunteer_services ORDER BY id`,
			`SELECT id, username, display_name FROM users ORDER BY id`,
		} {
			rows, err := d.R.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			n := 0
			for rows.Next() {
				v := make([]any, len(cols))
				ptr := make([]any, len(cols))
				for i := range v {
					ptr[i] = &v[i]
				}
				if err := rows.Scan(ptr...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(h, v...)
				n++
			}
			rows.Close()
			if n == 0 {
				t.Fatalf("no rows: %s", q)
			}
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	a, b, other := digest(11), digest(11), digest(12)
	if a != b {
		t.Errorf("same seed, different data: %s vs %s", a, b)
	}
	if a == other {
		t.Error("different seeds gave the same data")
	}
}

func TestSplitAddsUp(t *testing.T) {
	p := Profiles["city"]
	parts := p.split()
	if len(parts) != 100 {
		t.Fatalf("%d parts", len(parts))
	}
	sum := Profile{}
	for _, q := range parts {
		if err := q.Validate(); err != nil {
			t.Error(err)
		}
		sum.Sites += q.Sites
		sum.Staff += q.Staff
		sum.Clients += q.Clients
		sum.Cases += q.Cases
		sum.Followups += q.Followups
		sum.Attendance += q.Attendance
		sum.Services += q.Services
	}
	if sum.Sites != p.Sites || sum.Staff != p.Staff || sum.Clients != p.Clients || sum.Cases != p.Cases ||
		sum.Followups != p.Followups || sum.Attendance != p.Attendance || sum.Services != p.Services {
		t.Errorf("parts add up to %+v, profile %+v", sum, p)
	}
	if parts[0].Followups < 5*parts[99].Followups {
		t.Errorf("no long tail: largest %d, smallest %d follow-ups", parts[0].Followups, parts[99].Followups)
	}
	if p.Rows() < 10*Profiles["agency-large"].Rows() {
		t.Errorf("city has %d rows, less than ten times agency-large", p.Rows())
	}
	for _, name := range ProfileNames() {
		if err := Profiles[name].Validate(); err != nil {
			t.Error(err)
		}
	}
}
