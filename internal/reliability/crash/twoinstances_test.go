package crash

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

// TestTwoInstances runs two server processes on one PostgreSQL schema and
// checks that they behave as one: migrations at a simultaneous first start
// run once, a session made on one works on the other and signing out on
// one ends it on both, two approvers deciding one step on the two servers at
// once give exactly one decision, to-dos and reminders read the same, and
// numbers handed out concurrently by both stay unique and gap-free.
func TestTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("two-instance test skipped in -short mode")
	}
	dsn := dbtest.PostgresDSN(t)
	t.Parallel()
	dir := t.TempDir()
	ga := target{Data: filepath.Join(dir, "a", "data"), DSN: dsn}
	gb := target{Data: filepath.Join(dir, "b", "data"), DSN: dsn}
	ctx := context.Background()

	t.Run("simultaneous first start migrates once", func(t *testing.T) {
		var wg sync.WaitGroup
		servers := make([]*server, 2)
		errs := make([]error, 2)
		for i, g := range []target{ga, gb} {
			wg.Go(func() { servers[i], errs[i] = launch(t, g, false) })
		}
		wg.Wait()
		for i, s := range servers {
			if s != nil {
				defer s.stop()
			}
			if errs[i] != nil {
				t.Fatalf("instance %c did not start next to the other: %v", 'A'+i, errs[i])
			}
		}
		d := openDB(t, dsn)
		var dup []string
		rows, err := d.R.QueryContext(ctx, `SELECT version_id FROM goose_db_version GROUP BY version_id HAVING COUNT(*) > 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v string
			rows.Scan(&v)
			dup = append(dup, v)
		}
		rows.Close()
		if len(dup) > 0 {
			t.Errorf("migrations applied twice: %v", dup)
		}
		var applied, embedded int
		d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied)
		embedded = countMigrations(t)
		if applied != embedded {
			t.Errorf("%d migrations recorded, %d embedded", applied, embedded)
		}
		var operators int
		d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_roles WHERE role = 'platform_operator'`).Scan(&operators)
		if operators != 1 {
			t.Errorf("%d platform operators after two simultaneous first starts, want 1", operators)
		}
		printed := strings.Count(servers[0].Stdout()+servers[1].Stdout(), "platform operator created")
		if printed != 1 {
			t.Errorf("the initial platform password was printed %d times, want once", printed)
		}
	})
	if t.Failed() {
		return
	}

	a := startServer(t, ga, true) // loads the demo organization
	defer a.stop()
	b := startServer(t, gb, false)
	defer b.stop()

	t.Run("sessions", func(t *testing.T) {
		// API token: made on A, used on B, revoked on A.
		ta := signIn(t, a.Base, "beian_sg1")
		tb := ta.on(b.Base)
		tb.mustCall(t, "GET", "/api/v1/me", nil, nil, http.StatusOK)
		ta.mustCall(t, "DELETE", "/api/v1/session", nil, nil, http.StatusNoContent)
		if st, body, _ := tb.call(ctx, "GET", "/api/v1/me", nil, nil); st != http.StatusUnauthorized {
			t.Errorf("token revoked on A still works on B: %d %s", st, body)
		}
		// Browser session: signed in on A, the cookie works on B; signing
		// out on A ends it on B.
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := hc.PostForm(a.Base+"/login", url.Values{"username": {"beian_sg1"}, "password": {demoPassword}})
		if err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in on A: %v %v", err, res)
		}
		res.Body.Close()
		if st, loc := get(t, hc, b.Base+"/"); st != http.StatusOK {
			t.Errorf("the session made on A is not signed in on B: %d → %s", st, loc)
		}
		res, err = hc.Post(a.Base+"/logout", "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		// The cookie the browser still holds must not open B.
		jar.SetCookies(mustURL(b.Base), jar.Cookies(mustURL(a.Base)))
		if st, loc := get(t, hc, b.Base+"/"); st != http.StatusSeeOther || !strings.Contains(loc, "/login") {
			t.Errorf("after signing out on A, B answers %d → %q, want the sign-in page", st, loc)
		}
	})

	worker := signIn(t, a.Base, "beian_sg1")
	head := signIn(t, a.Base, "beian_head")
	director := signIn(t, b.Base, "zongganshi")
	var site struct {
		SiteIDs []int64 `json:"site_ids"`
		OrgID   int64   `json:"org_id"`
	}
	worker.mustCall(t, "GET", "/api/v1/me", nil, &site, http.StatusOK)
	siteID := site.SiteIDs[0]

	t.Run("one decision when two approvers act at once on A and B", func(t *testing.T) {
		var dirMe struct {
			ID int64 `json:"id"`
		}
		director.mustCall(t, "GET", "/api/v1/me", nil, &dirMe, http.StatusOK)
		today := app.Today(time.Now())
		head.mustCall(t, "POST", "/api/v1/approval-delegations", map[string]any{"to_user_id": dirMe.ID,
			"start": today.String(), "end": today.AddDays(7).String(), "reason": "双实例测试"}, nil, http.StatusCreated)
		const n = 12
		wins := map[string]int{}
		var ids []int64
		for i := range n {
			var req struct {
				Approval struct {
					ID      int64 `json:"id"`
					Version int64 `json:"version"`
				} `json:"approval"`
			}
			worker.mustCall(t, "POST", "/api/v1/general-requests", map[string]any{"site_id": siteID,
				"title": fmt.Sprintf("双实例审批 %d", i), "content": "两位审批人同时审批", "amount": "100"}, &req, http.StatusCreated)
			ids = append(ids, req.Approval.ID)
			path := fmt.Sprintf("/api/v1/approvals/%d/decision", req.Approval.ID)
			in := map[string]any{"version": req.Approval.Version, "decision": "approve", "comment": "同意"}
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[string]int{}
			for name, c := range map[string]*client{"A": head, "B": director} {
				wg.Go(func() {
					st, _, err := c.call(ctx, "POST", path, in, nil)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					statuses[strconv.Itoa(st)]++
					if st == http.StatusOK {
						wins[name]++
					}
					mu.Unlock()
				})
			}
			wg.Wait()
			if statuses["200"] != 1 || statuses["409"] != 1 {
				t.Errorf("request %d: answers %v, want one 200 and one 409", req.Approval.ID, statuses)
			}
		}
		d := openDB(t, dsn)
		for _, id := range ids {
			var events, audits, decided int
			d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM approval_events WHERE approval_id = $1 AND action = 'approve'`, id).Scan(&events)
			d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE object_type = 'approval' AND object_id = $1
				AND action = 'approval.approve'`, strconv.FormatInt(id, 10)).Scan(&audits)
			d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM approval_steps WHERE approval_id = $1 AND status = 'approved'`, id).Scan(&decided)
			if events != 1 || audits != 1 || decided != 1 {
				t.Errorf("approval %d: %d approve events, %d audit rows, %d approved steps; want one each", id, events, audits, decided)
			}
		}
		t.Logf("%d steps decided at once on A and B: won on A %d, on B %d, every one decided exactly once", n, wins["A"], wins["B"])
	})

	t.Run("to-dos and reminders read the same on both", func(t *testing.T) {
		for i := range 3 {
			worker.mustCall(t, "POST", "/api/v1/general-requests", map[string]any{"site_id": siteID,
				"title": fmt.Sprintf("待办 %d", i), "content": "等待审批", "amount": "50"}, nil, http.StatusCreated)
		}
		for _, user := range []string{"beian_head", "dudao1", "beian_sg1", "zongganshi"} {
			ca := signIn(t, a.Base, user)
			cb := ca.on(b.Base)
			for _, path := range []string{"/api/v1/approvals/todo", "/api/v1/reminders", "/api/v1/approvals/mine"} {
				ba := ca.mustCall(t, "GET", path, nil, nil, http.StatusOK)
				bb := cb.mustCall(t, "GET", path, nil, nil, http.StatusOK)
				if !bytes.Equal(ba, bb) {
					t.Errorf("%s %s differs between A and B:\nA: %.400s\nB: %.400s", user, path, ba, bb)
				}
				if user == "beian_head" && path == "/api/v1/approvals/todo" && !strings.Contains(string(ba), "待办 0") {
					t.Errorf("the centre head's to-do lacks the waiting request: %.300s", ba)
				}
			}
		}
	})

	t.Run("numbers stay unique and gap-free when both hand them out", func(t *testing.T) {
		clients := []*client{worker, worker.on(b.Base)}
		const each = 8
		// Volunteer numbers.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var volIDs []int64
		for i := range 2 * each {
			wg.Go(func() {
				var v struct {
					ID int64 `json:"id"`
				}
				clients[i%2].mustCall(t, "POST", "/api/v1/volunteers", map[string]any{"site_id": siteID,
					"name": fmt.Sprintf("双实例志愿者%d", i), "phone": fmt.Sprintf("1391234%04d", i)}, &v, http.StatusCreated)
				mu.Lock()
				volIDs = append(volIDs, v.ID)
				mu.Unlock()
			})
		}
		wg.Wait()
		// Service certificates: each new volunteer gets an hour, then both
		// servers issue certificates at once.
		yesterday := app.Today(time.Now()).AddDays(-1)
		for _, id := range volIDs {
			worker.mustCall(t, "POST", "/api/v1/volunteers/services", map[string]any{"volunteer_id": id,
				"activity_name": "双实例服务", "service_date": yesterday.String(), "start_time": "09:00",
				"end_time": "10:00", "content": "服务"}, nil, http.StatusCreated)
		}
		for i, id := range volIDs {
			wg.Go(func() {
				clients[i%2].mustCall(t, "POST", fmt.Sprintf("/api/v1/volunteers/%d/certificates", id),
					map[string]any{}, nil, http.StatusCreated)
			})
		}
		wg.Wait()
		// Case numbers: new clients, then intakes on both at once.
		var clientIDs []int64
		for i := range 2 * each {
			var c struct {
				ID int64 `json:"id"`
			}
			worker.mustCall(t, "POST", "/api/v1/clients", map[string]any{"name": fmt.Sprintf("双实例对象%d", i),
				"gender": "女", "birth_date": "1980-03-01", "site_id": siteID}, &c, http.StatusCreated)
			clientIDs = append(clientIDs, c.ID)
		}
		today := app.Today(time.Now())
		for i, id := range clientIDs {
			wg.Go(func() {
				clients[i%2].mustCall(t, "POST", "/api/v1/cases", map[string]any{"client_id": id, "site_id": siteID,
					"intake_date": today.String(), "source": "self", "risk_level": "low",
					"presenting_problem": "双实例接案测试"}, nil, http.StatusCreated)
			})
		}
		wg.Wait()

		d := openDB(t, dsn)
		year := today.Year()
		gapFree(t, d, "volunteer numbers", `SELECT volunteer_no FROM volunteers WHERE org_id = $1`, site.OrgID,
			regexp.MustCompile(fmt.Sprintf(`^V%d-(\d+)$`, year)), 2*each)
		gapFree(t, d, "certificate numbers", `SELECT number FROM volunteer_certificates WHERE org_id = $1`, site.OrgID,
			regexp.MustCompile(fmt.Sprintf(`%d第(\d+)号$`, year)), 2*each)
		var code string
		d.R.QueryRowContext(ctx, `SELECT code FROM sites WHERE id = $1`, siteID).Scan(&code)
		gapFree(t, d, "case numbers", `SELECT number FROM cases WHERE org_id = $1`, site.OrgID,
			regexp.MustCompile(fmt.Sprintf(`^%d-%s-(\d+)$`, year, regexp.QuoteMeta(code))), 2*each)
	})
}

// gapFree checks that the numbers matching re run 1..n without a gap or a
// repeat, and that at least fresh of them exist.
func gapFree(t *testing.T, d *db.DB, what, query string, orgID int64, re *regexp.Regexp, fresh int) {
	t.Helper()
	rows, err := d.R.QueryContext(context.Background(), query, orgID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var nums []int
	for rows.Next() {
		var s string
		rows.Scan(&s)
		if m := re.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	if len(nums) < fresh {
		t.Fatalf("%s: only %d numbers of this year, want at least %d", what, len(nums), fresh)
	}
	for i, n := range nums {
		if n != i+1 {
			t.Fatalf("%s are not 1..%d without gaps or repeats: %v", what, len(nums), nums)
		}
	}
	t.Logf("%s: 1..%d, gap-free", what, len(nums))
}

func openDB(t testing.TB, dsn string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func countMigrations(t testing.TB) int {
	files, err := filepath.Glob(filepath.Join("..", "..", "db", "migrations", "postgres", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	return len(files)
}

func get(t testing.TB, hc *http.Client, u string) (int, string) {
	t.Helper()
	res, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Location")
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
