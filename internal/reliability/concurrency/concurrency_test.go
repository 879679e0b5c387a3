package concurrency_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/seqno"
	"shegong/internal/testenv"
)

// EnvSeconds sets how long the load runs on each database.
const EnvSeconds = "SHEGONG_CONC_SECONDS"

const (
	pairs   = 8  // writer pairs: 16 writers, two of whom always race
	readers = 32 // concurrent readers
	// ops kinds of rounds; pair i starts at kind i, so minRounds rounds of
	// each of the 8 pairs cover all of them.
	ops       = 11
	minRounds = 4
)

// duration is the load's length per database: 3 s by default, so that
// the suite fits in every `go test ./...`.
func duration(t *testing.T) time.Duration {
	s := os.Getenv(EnvSeconds)
	if s == "" {
		return 3 * time.Second
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		t.Fatalf("%s=%q: want a number of seconds", EnvSeconds, s)
	}
	return time.Duration(f * float64(time.Second))
}

// TestConcurrency is the suite: see the package comment.
func TestConcurrency(t *testing.T) {
	d := duration(t)
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newWorld(t, e)
		w.run(d)
		w.check()
		t.Logf("%s: %s", t.Name(), w.st.String())
	})
}

// ---- the world ----------------------------------------------------------

// world is one agency with a centre where everything happens: per writer
// pair a worker with a client, a case, a group, a volunteer, a volunteer
// with service hours for certificates, and a service point of its own.
type world struct {
	t     *testing.T
	e     *testenv.Env
	org   *testenv.Org
	north int64
	tr    *http.Transport
	st    stats

	head1, head2, admin1, admin2, hr1, hr2 *client
	admin2Page                             *client
	pairs                                  []*pair
	seq                                    atomic.Int64 // unique markers, phones and ID numbers
}

// pair is what one pair of writers works on.
type pair struct {
	i                 int
	worker            *testenv.Person
	api, ui           *client // the worker through the API and the pages
	client, caseID    int64
	group, volunteer  int64
	certVol, site     int64
	siteCode          string
	staffID           int64
	approvalsDecided  []int64
	volunteersCreated int
}

// client is a signed-in user; safe for concurrent use.
type client struct {
	name  string
	http  *http.Client
	token string
	base  string
}

type response struct {
	status   int
	body     string
	location string
}

// do sends a request; a transport error is a response with status 0.
func (c *client) do(method, path string, body io.Reader, ctype string) response {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return response{body: err.Error()}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return response{body: err.Error()}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: string(b), location: res.Header.Get("Location")}
}

func (c *client) get(path string) response { return c.do("GET", path, nil, "") }

func (c *client) json(method, path string, v any) response {
	b, _ := json.Marshal(v)
	return c.do(method, path, bytes.NewReader(b), "application/json")
}

func (c *client) form(path string, v url.Values) response {
	return c.do("POST", path, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded")
}

// wrap gives a testenv client a shared transport with enough idle
// connections for 48 goroutines.
func (w *world) wrap(name string, c *testenv.Client) *client {
	h := *c.HTTP
	h.Transport = w.tr
	return &client{name: name, http: &h, token: c.Token, base: w.e.HTTP.URL}
}

func (w *world) apiAs(p *testenv.Person) *client { return w.wrap(p.Username+"(api)", w.e.APIClient(p)) }
func (w *world) uiAs(p *testenv.Person) *client  { return w.wrap(p.Username+"(页面)", w.e.Login(p)) }

func newWorld(t *testing.T, e *testenv.Env) *world {
	tr := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute}
	t.Cleanup(tr.CloseIdleConnections)
	w := &world{t: t, e: e, tr: tr, org: e.Org("lvye", "绿叶社工")}
	w.north = w.org.Site("黄江镇北岸社区综合服务中心", "centre")
	w.head1 = w.apiAs(w.org.User("head1", true, authz.RoleCentreHead).Assign(w.north, "centre_head"))
	w.head2 = w.apiAs(w.org.User("head2", true, authz.RoleCentreHead).Assign(w.north, "centre_head"))
	w.admin1 = w.apiAs(w.org.User("admin1", false, authz.RoleOrgAdmin))
	admin2 := w.org.User("admin2", false, authz.RoleOrgAdmin)
	w.admin2, w.admin2Page = w.apiAs(admin2), w.uiAs(admin2)
	w.hr1 = w.apiAs(w.org.User("hr1", false, authz.RoleHR))
	w.hr2 = w.apiAs(w.org.User("hr2", false, authz.RoleHR))
	for i := range pairs {
		p := &pair{i: i}
		p.worker = w.org.User(fmt.Sprintf("sg%d", i), true, authz.RoleWorker).Assign(w.north, "worker")
		p.staffID = p.worker.StaffID
		p.api, p.ui = w.apiAs(p.worker), w.uiAs(p.worker)
		p.site = w.org.Site(fmt.Sprintf("项目点%d", i), "project")
		p.client = w.newClient(p)
		p.caseID = id(t, "case", p.api.json("POST", "/api/v1/cases", map[string]any{"client_id": w.newClient(p),
			"site_id": w.north, "intake_date": "2026-03-02", "source": "self", "risk_level": "low", "presenting_problem": "求助"}))
		p.group = id(t, "group", p.api.json("POST", "/api/v1/groups", map[string]any{"name": fmt.Sprintf("长者小组%d", i),
			"kind": "education", "site_id": w.north, "leader_id": p.staffID, "planned_sessions": 4, "plan_start": "2026-03-01"}))
		p.volunteer = w.newVolunteer(p.api, w.phone())
		p.certVol = w.newVolunteer(p.api, w.phone())
		id(t, "service record", p.api.json("POST", "/api/v1/volunteers/services", map[string]any{"volunteer_id": p.certVol,
			"activity_name": "长者探访", "service_date": "2026-02-10", "start_time": "09:00", "end_time": "12:00"}))
		p.volunteersCreated = 2
		w.pairs = append(w.pairs, p)
	}
	// The pages and records the readers fetch answer 200 before the load
	// (the first 8 readers cover every role's list).
	for i := range 8 {
		c, paths := w.readerPaths(i)
		for _, path := range paths {
			if r := c.get(path); r.status != http.StatusOK {
				t.Fatalf("reader %s GET %s before the load: %d %.300s", c.name, path, r.status, r.body)
			}
		}
	}
	return w
}

var idRE = regexp.MustCompile(`"id":(\d+)`)

// id returns the id of a record just created, or fails the test.
func id(t *testing.T, what string, r response) int64 {
	t.Helper()
	m := idRE.FindStringSubmatch(r.body)
	if r.status != http.StatusCreated || m == nil {
		t.Fatalf("create %s: %d %.400s", what, r.status, r.body)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func (w *world) newClient(p *pair) int64 {
	return id(w.t, "client", p.api.json("POST", "/api/v1/clients", map[string]any{
		"name": fmt.Sprintf("对象%d", w.seq.Add(1)), "birth_date": "1970-01-01"}))
}

// tryClient registers a client during the load; a failure is counted.
func (w *world) tryClient(p *pair) (int64, bool) {
	path := "/api/v1/clients"
	r := p.api.json("POST", path, map[string]any{"name": fmt.Sprintf("对象%d", w.seq.Add(1)), "birth_date": "1970-01-01"})
	w.st.add(func(s *stats) { s.writes++ })
	if !w.st.screen(p.worker.Username, "POST", path, r) {
		return 0, false
	}
	m := idRE.FindStringSubmatch(r.body)
	if r.status != http.StatusCreated || m == nil {
		w.st.fail("register a client: %d %.300s", r.status, r.body)
		return 0, false
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n, true
}

func (w *world) newVolunteer(c *client, phone string) int64 {
	return id(w.t, "volunteer", c.json("POST", "/api/v1/volunteers", map[string]any{"site_id": w.north,
		"name": fmt.Sprintf("志愿者%d", w.seq.Add(1)), "phone": phone}))
}

// phone returns a mobile number not used before.
func (w *world) phone() string { return fmt.Sprintf("139%08d", w.seq.Add(1)) }

// ---- statistics ---------------------------------------------------------

type stats struct {
	mu                                             sync.Mutex
	reads, writes, races, conflicts, uiConflicts   int
	decisions, volunteerNos, caseNos, certificates int
	refusedDuplicates                              int
	errors, failures                               []string
	errorCount, failureCount                       int
}

func (s *stats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("reads %d, writes %d, edit races %d (conflicts %d, of them on the form page %d), "+
		"approval decisions %d, numbers: volunteers %d, cases %d, certificates %d; duplicates refused %d; errors %d, failures %d",
		s.reads, s.writes, s.races, s.conflicts, s.uiConflicts, s.decisions, s.volunteerNos, s.caseNos, s.certificates,
		s.refusedDuplicates, s.errorCount, s.failureCount)
}

func (s *stats) add(f func(s *stats)) { s.mu.Lock(); f(s); s.mu.Unlock() }

// leaks are the texts of database trouble that must never reach a user.
var leaks = []string{"database is locked", "SQLITE_BUSY", "sqlite_busy", "deadlock", "could not serialize",
	"40001", "40P01", "SQLSTATE", "database table is locked"}

// screen counts a response that shows a server error or database trouble.
// It reports whether the response was clean.
func (s *stats) screen(who, method, path string, r response) bool {
	bad := r.status >= 500 || r.status == 0
	for _, l := range leaks {
		if strings.Contains(r.body, l) {
			bad = true
		}
	}
	if bad {
		s.add(func(s *stats) {
			s.errorCount++
			if len(s.errors) < 20 {
				s.errors = append(s.errors, fmt.Sprintf("%s %s %s: %d %.300s", who, method, path, r.status, r.body))
			}
		})
	}
	return !bad
}

// fail records a broken invariant.
func (s *stats) fail(format string, args ...any) {
	s.add(func(s *stats) {
		s.failureCount++
		if len(s.failures) < 20 {
			s.failures = append(s.failures, fmt.Sprintf(format, args...))
		}
	})
}

// ---- the load -----------------------------------------------------------

func (w *world) run(d time.Duration) {
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for _, p := range w.pairs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(p.i), 2026))
			// Every pair plays at least minRounds rounds, so that every kind
			// of race runs however slow the machine is.
			for round := 0; round < minRounds || time.Now().Before(deadline); round++ {
				w.round(p, rng, round)
			}
		})
	}
	for i := range readers {
		wg.Go(func() {
			c, paths := w.readerPaths(i)
			for n := i; n < i+len(paths) || time.Now().Before(deadline); n++ {
				path := paths[n%len(paths)]
				r := c.get(path)
				if w.st.screen(c.name, "GET", path, r) && r.status != http.StatusOK {
					w.st.fail("reader %s GET %s: %d %.200s", c.name, path, r.status, r.body)
				}
				w.st.add(func(s *stats) { s.reads++ })
			}
		})
	}
	wg.Wait()
}

// readerPaths gives reader i its user and the pages and API reads it loops
// over: lists, detail pages (a client's page writes a view to the audit
// log), to-dos and the home page of several roles.
func (w *world) readerPaths(i int) (*client, []string) {
	p := w.pairs[i%pairs]
	switch i % 4 {
	case 0:
		return p.ui, []string{"/", "/clients", fmt.Sprintf("/clients/%d", p.client), "/groups",
			fmt.Sprintf("/groups/%d", p.group), "/volunteers", fmt.Sprintf("/volunteers/%d", p.volunteer), "/approvals/mine"}
	case 1:
		return p.api, []string{"/api/v1/clients", fmt.Sprintf("/api/v1/clients/%d", p.client), "/api/v1/cases",
			fmt.Sprintf("/api/v1/cases/%d", p.caseID), "/api/v1/groups", "/api/v1/volunteers", "/api/v1/approvals/mine"}
	case 2:
		h := w.head1
		if i%8 == 6 {
			h = w.head2
		}
		return h, []string{"/api/v1/approvals/todo", "/api/v1/volunteers/services", fmt.Sprintf("/api/v1/volunteers/%d", p.certVol),
			"/api/v1/clients", "/api/v1/groups"}
	default:
		if i%8 == 3 {
			return w.admin2Page, []string{"/sites", fmt.Sprintf("/sites/%d", p.site), "/audit", "/"}
		}
		return w.hr1, []string{"/api/v1/staff", fmt.Sprintf("/api/v1/staff/%d", p.staffID), "/api/v1/sites"}
	}
}

// round is one race between the two writers of a pair.
func (w *world) round(p *pair, rng *rand.Rand, round int) {
	switch (round + p.i) % ops {
	case 0:
		w.editRace(p, w.clientEdit(p, false))
	case 1:
		w.editRace(p, w.clientEdit(p, true))
	case 2:
		w.editRace(p, w.caseEdit(p))
	case 3:
		w.editRace(p, w.groupEdit(p))
	case 4:
		w.editRace(p, w.volunteerEdit(p))
	case 5:
		w.editRace(p, w.staffEdit(p))
	case 6:
		w.editRace(p, w.siteEdit(p, rng.IntN(2) == 0))
	case 7:
		w.approvalRace(p, rng)
	case 8:
		w.volunteerNumbers(p, rng)
	case 9:
		w.caseNumbers(p, rng)
	case 10:
		w.certificates(p)
	}
}

// together runs a and b at the same moment and waits for both.
func together(a, b func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Go(func() { <-start; a() })
	wg.Go(func() { <-start; b() })
	close(start)
	wg.Wait()
}

// ---- lost updates -------------------------------------------------------

// edit describes two people editing one record: each writes its own
// marker into field starting from the same version.
type edit struct {
	what   string
	get    func() response // the record as JSON (its "version" and field)
	field  string          // JSON field checked after the race
	a, b   func(marker string, version int64) response
	aPage  bool // a edits through the form page
	formOK func(r response) bool
	marker func(side string, n int64) string // the values written; Chinese by default
	inside string                            // the JSON key holding the record, when nested
}

// record decodes the record of a read.
func (ed edit) record(r response) (map[string]any, bool) {
	var m map[string]any
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &m) != nil {
		return nil, false
	}
	if ed.inside != "" {
		m, _ = m[ed.inside].(map[string]any)
	}
	return m, m != nil
}

// editRace lets a and b change one record from the same version: exactly
// one wins, the other is told in Chinese that someone else changed it
// (on the form page, with what was typed kept), and the record then holds
// the winner's value.
func (w *world) editRace(p *pair, ed edit) {
	r := ed.get()
	if !w.st.screen("editor", "GET", ed.what, r) {
		return
	}
	cur, ok := ed.record(r)
	if !ok {
		w.st.fail("%s: read before the edit: %d %.200s", ed.what, r.status, r.body)
		return
	}
	version := int64(num(cur["version"]))
	n := w.seq.Add(1)
	ma, mb := fmt.Sprintf("甲%d号", n), fmt.Sprintf("乙%d号", n)
	if ed.marker != nil {
		ma, mb = ed.marker("a", n), ed.marker("b", n)
	}
	var ra, rb response
	together(func() { ra = ed.a(ma, version) }, func() { rb = ed.b(mb, version) })
	w.st.add(func(s *stats) { s.writes += 2; s.races++ })
	okA, okB := w.st.screen("a", "edit", ed.what, ra), w.st.screen("b", "edit", ed.what, rb)
	if !okA || !okB {
		return
	}
	aWon := ra.status == http.StatusOK || ra.status == http.StatusSeeOther
	bWon := rb.status == http.StatusOK
	winner, loser, lost := ma, rb, mb
	loserPage := false
	switch {
	case aWon && !bWon:
	case bWon && !aWon:
		winner, loser, lost, loserPage = mb, ra, ma, ed.aPage
	default:
		w.st.fail("%s: from version %d, want exactly one edit to win: a %d %.200s / b %d %.200s",
			ed.what, version, ra.status, ra.body, rb.status, rb.body)
		return
	}
	if !strings.Contains(loser.body, "已被他人修改") {
		w.st.fail("%s: the losing edit was not told it was changed by someone else: %d %.300s", ed.what, loser.status, loser.body)
	}
	if loserPage {
		if !ed.formOK(loser) || !strings.Contains(loser.body, lost) {
			w.st.fail("%s: the form page lost the typed input %q: %d", ed.what, lost, loser.status)
		}
		w.st.add(func(s *stats) { s.uiConflicts++ })
	} else if loser.status != http.StatusConflict {
		w.st.fail("%s: the losing API edit got %d, want 409", ed.what, loser.status)
	}
	w.st.add(func(s *stats) { s.conflicts++ })
	r = ed.get()
	after, _ := ed.record(r)
	if got := fmt.Sprint(after[ed.field]); got != winner || int64(num(after["version"])) != version+1 {
		w.st.fail("%s: after the race %s = %q version %v, want the winner's %q version %d",
			ed.what, ed.field, got, after["version"], winner, version+1)
	}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// clientEdit: the worker (API, or the edit page) and the centre head (API)
// change a client's note.
func (w *world) clientEdit(p *pair, page bool) edit {
	path := fmt.Sprintf("/api/v1/clients/%d", p.client)
	body := func(note string, v int64) map[string]any {
		return map[string]any{"name": "张三", "birth_date": "1970-01-01", "worker_id": p.staffID, "site_id": w.north,
			"status": "active", "note": note, "version": v}
	}
	ed := edit{what: "client", get: func() response { return p.api.get(path) }, field: "note",
		a: func(m string, v int64) response { return p.api.json("PUT", path, body(m, v)) },
		b: func(m string, v int64) response { return w.head1.json("PUT", path, body(m, v)) }}
	if page {
		ed.what, ed.aPage = "client page", true
		ed.a = func(m string, v int64) response {
			return p.ui.form(fmt.Sprintf("/clients/%d/edit", p.client), url.Values{"name": {"张三"}, "birth_date": {"1970-01-01"},
				"worker_id": {fmt.Sprint(p.staffID)}, "site_id": {fmt.Sprint(w.north)}, "status": {"active"}, "note": {m},
				"version": {fmt.Sprint(v)}})
		}
		ed.formOK = func(r response) bool {
			return r.status == http.StatusConflict && strings.Contains(r.body, `name="note"`)
		}
	}
	return ed
}

// caseEdit: the worker and the centre head change a case's intake note.
func (w *world) caseEdit(p *pair) edit {
	path := fmt.Sprintf("/api/v1/cases/%d", p.caseID)
	body := func(note string, v int64) map[string]any {
		return map[string]any{"intake_date": "2026-03-02", "source": "self", "risk_level": "low",
			"presenting_problem": "求助", "note": note, "version": v}
	}
	return edit{what: "case", get: func() response { return p.api.get(path) }, field: "intake_note", inside: "case",
		a: func(m string, v int64) response { return p.api.json("PUT", path+"/intake", body(m, v)) },
		b: func(m string, v int64) response { return w.head1.json("PUT", path+"/intake", body(m, v)) }}
}

// groupEdit: the leader and the centre head change a group's plan.
func (w *world) groupEdit(p *pair) edit {
	path := fmt.Sprintf("/api/v1/groups/%d", p.group)
	body := func(plan string, v int64) map[string]any {
		return map[string]any{"name": fmt.Sprintf("长者小组%d", p.i), "kind": "education", "site_id": w.north,
			"leader_id": p.staffID, "planned_sessions": 4, "plan_start": "2026-03-01", "plan": plan, "version": v}
	}
	return edit{what: "group", get: func() response { return p.api.get(path) }, field: "plan", inside: "group",
		a: func(m string, v int64) response { return p.api.json("PUT", path, body(m, v)) },
		b: func(m string, v int64) response { return w.head2.json("PUT", path, body(m, v)) }}
}

// volunteerEdit: the worker and the centre head change a volunteer's note.
func (w *world) volunteerEdit(p *pair) edit {
	path := fmt.Sprintf("/api/v1/volunteers/%d", p.volunteer)
	body := func(note string, v int64) map[string]any {
		return map[string]any{"site_id": w.north, "name": fmt.Sprintf("志愿者甲%d", p.i), "status": "active",
			"joined_on": "2026-03-02", "note": note, "version": v}
	}
	return edit{what: "volunteer", get: func() response { return p.api.get(path) }, field: "note",
		a: func(m string, v int64) response { return p.api.json("PUT", path, body(m, v)) },
		b: func(m string, v int64) response { return w.head2.json("PUT", path, body(m, v)) }}
}

// staffEdit: two HR officers change a worker's e-mail address.
func (w *world) staffEdit(p *pair) edit {
	path := fmt.Sprintf("/api/v1/staff/%d", p.staffID)
	body := func(email string, v int64) map[string]any {
		return map[string]any{"employee_no": "E" + p.worker.Username, "name": "同工" + p.worker.Username,
			"gender": "女", "title": "social_worker", "hire_date": "2020-09-01", "email": email, "version": v}
	}
	return edit{what: "staff", get: func() response { return w.hr1.get(path) }, field: "email",
		marker: func(side string, n int64) string { return fmt.Sprintf("%s%d@example.cn", side, n) },
		a:      func(m string, v int64) response { return w.hr1.json("PUT", path, body(m, v)) },
		b:      func(m string, v int64) response { return w.hr2.json("PUT", path, body(m, v)) }}
}

// siteEdit: two organization admins change a service point's address, one
// of them through the edit page when page is set.
func (w *world) siteEdit(p *pair, page bool) edit {
	path := fmt.Sprintf("/api/v1/sites/%d", p.site)
	if p.siteCode == "" {
		var st struct{ Code string }
		json.Unmarshal([]byte(w.admin1.get(path).body), &st)
		p.siteCode = st.Code
	}
	body := func(addr string, v int64) map[string]any {
		return map[string]any{"code": p.siteCode, "name": fmt.Sprintf("项目点%d", p.i), "kind": "project",
			"address": addr, "version": v}
	}
	ed := edit{what: "site", get: func() response { return w.admin1.get(path) }, field: "address",
		a: func(m string, v int64) response { return w.admin1.json("PUT", path, body(m, v)) },
		b: func(m string, v int64) response { return w.admin2.json("PUT", path, body(m, v)) }}
	if page {
		// The page editor is a; the API editor is b.
		ed.what, ed.aPage = "site page", true
		ed.a = func(m string, v int64) response {
			return w.admin2Page.form(fmt.Sprintf("/sites/%d/edit", p.site), url.Values{"code": {p.siteCode},
				"name": {fmt.Sprintf("项目点%d", p.i)}, "kind": {"project"}, "address": {m}, "version": {fmt.Sprint(v)}})
		}
		ed.formOK = func(r response) bool {
			return r.status == http.StatusConflict && strings.Contains(r.body, `name="address"`)
		}
	}
	return ed
}

// ---- approvals ----------------------------------------------------------

// approvalRace: a worker files a request; both centre heads decide on its
// step at the same moment. Exactly one decision is recorded.
func (w *world) approvalRace(p *pair, rng *rand.Rand) {
	r := p.api.json("POST", "/api/v1/general-requests", map[string]any{"site_id": w.north,
		"title": fmt.Sprintf("购买活动物资%d", w.seq.Add(1)), "content": "小组活动用品", "amount": "120.00"})
	w.st.add(func(s *stats) { s.writes++ })
	if !w.st.screen(p.worker.Username, "POST", "/api/v1/general-requests", r) {
		return
	}
	var created struct {
		ApprovalID int64 `json:"approval_id"`
		Approval   struct {
			Version int64 `json:"version"`
		} `json:"approval"`
	}
	if json.Unmarshal([]byte(r.body), &created) != nil || r.status != http.StatusCreated {
		w.st.fail("file a request: %d %.200s", r.status, r.body)
		return
	}
	path := fmt.Sprintf("/api/v1/approvals/%d/decision", created.ApprovalID)
	decide := func(h *client) func() response {
		d := map[string]any{"version": created.Approval.Version, "decision": "approve", "comment": "同意"}
		if rng.IntN(3) == 0 {
			d = map[string]any{"version": created.Approval.Version, "decision": "reject", "comment": "请补充报价"}
		}
		return func() response { return h.json("POST", path, d) }
	}
	da, db := decide(w.head1), decide(w.head2)
	var ra, rb response
	together(func() { ra = da() }, func() { rb = db() })
	w.st.add(func(s *stats) { s.writes += 2 })
	if !w.st.screen("head1", "POST", path, ra) || !w.st.screen("head2", "POST", path, rb) {
		return
	}
	won := 0
	for _, x := range []response{ra, rb} {
		switch {
		case x.status == http.StatusOK:
			won++
		case x.status == http.StatusConflict && strings.Contains(x.body, "已被他人"):
		default:
			w.st.fail("decision on %d: %d %.300s", created.ApprovalID, x.status, x.body)
		}
	}
	if won != 1 {
		w.st.fail("approval %d: %d decisions succeeded, want exactly 1 (%d / %d)", created.ApprovalID, won, ra.status, rb.status)
		return
	}
	p.approvalsDecided = append(p.approvalsDecided, created.ApprovalID)
	w.st.add(func(s *stats) { s.decisions++; s.conflicts++ })
}

// ---- numbers ------------------------------------------------------------

// volunteerNumbers: the worker and the centre head register volunteers at
// the same moment; one round in three they register the same person (the
// same phone), so one registration rolls back after taking its number.
func (w *world) volunteerNumbers(p *pair, rng *rand.Rand) {
	pa, pb := w.phone(), w.phone()
	dup := rng.IntN(3) == 0
	if dup {
		pb = pa
	}
	create := func(c *client, phone string) func() response {
		body := map[string]any{"site_id": w.north, "name": fmt.Sprintf("志愿者%d", w.seq.Add(1)), "phone": phone}
		return func() response { return c.json("POST", "/api/v1/volunteers", body) }
	}
	ca, cb := create(p.api, pa), create(w.head1, pb)
	var ra, rb response
	together(func() { ra = ca() }, func() { rb = cb() })
	w.st.add(func(s *stats) { s.writes += 2 })
	if !w.st.screen("a", "POST", "/api/v1/volunteers", ra) || !w.st.screen("b", "POST", "/api/v1/volunteers", rb) {
		return
	}
	made := 0
	for _, x := range []response{ra, rb} {
		switch {
		case x.status == http.StatusCreated:
			made++
		case dup && x.status == http.StatusConflict && strings.Contains(x.body, "重复"):
			w.st.add(func(s *stats) { s.refusedDuplicates++ })
		default:
			w.st.fail("register a volunteer: %d %.300s", x.status, x.body)
		}
	}
	if (dup && made != 1) || (!dup && made != 2) {
		w.st.fail("volunteer registrations (same person %v): %d made", dup, made)
	}
	w.st.add(func(s *stats) { s.volunteerNos += made })
}

// caseNumbers: two intakes at the same moment; one round in two for the
// same client, which may have one open case only (the loser rolls back
// after taking its number).
func (w *world) caseNumbers(p *pair, rng *rand.Rand) {
	c1, ok := w.tryClient(p)
	c2 := c1
	same := rng.IntN(2) == 0
	if !same && ok {
		c2, ok = w.tryClient(p)
	}
	if !ok {
		return
	}
	open := func(c *client, clientID int64) func() response {
		body := map[string]any{"client_id": clientID, "site_id": w.north, "worker_id": p.staffID, "intake_date": "2026-03-02",
			"source": "community", "risk_level": "medium", "presenting_problem": "独居"}
		return func() response { return c.json("POST", "/api/v1/cases", body) }
	}
	oa, ob := open(p.api, c1), open(w.head1, c2)
	var ra, rb response
	together(func() { ra = oa() }, func() { rb = ob() })
	w.st.add(func(s *stats) { s.writes += 2 })
	if !w.st.screen("a", "POST", "/api/v1/cases", ra) || !w.st.screen("b", "POST", "/api/v1/cases", rb) {
		return
	}
	made := 0
	for _, x := range []response{ra, rb} {
		switch {
		case x.status == http.StatusCreated:
			made++
		case same && (x.status == http.StatusConflict || x.status == http.StatusUnprocessableEntity) &&
			strings.Contains(x.body, "进行中的个案"):
			w.st.add(func(s *stats) { s.refusedDuplicates++ })
		default:
			w.st.fail("open a case: %d %.300s", x.status, x.body)
		}
	}
	if (same && made != 1) || (!same && made != 2) {
		w.st.fail("case intakes (same client %v): %d made", same, made)
	}
	w.st.add(func(s *stats) { s.caseNos += made })
}

// certificates: the worker and the centre head issue service certificates
// for one volunteer at the same moment.
func (w *world) certificates(p *pair) {
	path := fmt.Sprintf("/api/v1/volunteers/%d/certificates", p.certVol)
	var ra, rb response
	together(func() { ra = p.api.json("POST", path, map[string]any{}) }, func() { rb = w.head2.json("POST", path, map[string]any{}) })
	w.st.add(func(s *stats) { s.writes += 2 })
	for _, x := range []response{ra, rb} {
		if w.st.screen("certify", "POST", path, x) {
			if x.status != http.StatusCreated {
				w.st.fail("issue a certificate: %d %.300s", x.status, x.body)
				continue
			}
			w.st.add(func(s *stats) { s.certificates++ })
		}
	}
}

// ---- after the load -----------------------------------------------------

func (w *world) check() {
	t, e := w.t, w.e
	ctx := context.Background()
	w.st.mu.Lock()
	for _, s := range w.st.errors {
		t.Errorf("error reached a user: %s", s)
	}
	for _, s := range w.st.failures {
		t.Errorf("%s", s)
	}
	if w.st.errorCount > 0 || w.st.failureCount > 0 {
		t.Errorf("%d errors reached users, %d invariants broken", w.st.errorCount, w.st.failureCount)
	}
	little := w.st.races == 0 || w.st.decisions == 0 || w.st.volunteerNos == 0 || w.st.caseNos == 0 || w.st.certificates == 0
	w.st.mu.Unlock()
	if little {
		t.Errorf("the load did too little: %s", w.st.String())
	}

	// Volunteer numbers V2026-0001… are consecutive and match the counter.
	nos := column(t, e, `SELECT volunteer_no FROM volunteers WHERE org_id = $1`, w.org.ID)
	gapFree(t, "volunteer numbers", nos, regexp.MustCompile(`^V2026-(\d{4,})$`))
	last(t, e, "volunteer numbers", seqno.Key{OrgID: w.org.ID, Kind: seqno.Volunteer, Year: 2026}, len(nos))
	// Case numbers of the centre (2026-CODE-0001…).
	nos = column(t, e, `SELECT number FROM cases WHERE org_id = $1 AND site_id = $2`, w.org.ID, w.north)
	gapFree(t, "case numbers", nos, regexp.MustCompile(`^2026-[A-Z0-9_-]+-(\d{4,})$`))
	last(t, e, "case numbers", seqno.Key{OrgID: w.org.ID, Kind: seqno.Case, ScopeID: w.north, Year: 2026}, len(nos))
	// Certificates: consecutive sequence, unique printed numbers.
	nos = column(t, e, `SELECT number FROM volunteer_certificates WHERE org_id = $1 AND year = 2026`, w.org.ID)
	gapFree(t, "certificate numbers", nos, regexp.MustCompile(`2026第(\d{4,})号$`))
	last(t, e, "certificate numbers", seqno.Key{OrgID: w.org.ID, Kind: seqno.Certificate, Year: 2026}, len(nos))

	// Every raced request carries exactly one decision, and its status is
	// the decision's.
	if n := e.Count(`SELECT COUNT(*) FROM (SELECT a.id FROM approvals a
		LEFT JOIN approval_events ev ON ev.org_id = a.org_id AND ev.approval_id = a.id AND ev.action IN ('approve', 'reject')
		WHERE a.org_id = $1 GROUP BY a.id, a.status
		HAVING COUNT(ev.id) <> 1 OR a.status NOT IN ('approved', 'rejected')
			OR MAX(ev.action) <> CASE a.status WHEN 'approved' THEN 'approve' ELSE 'reject' END) x`, w.org.ID); n != 0 {
		t.Errorf("%d requests without exactly one decision matching their status", n)
	}
	decided := 0
	for _, p := range w.pairs {
		decided += len(p.approvalsDecided)
	}
	if n := e.Count(`SELECT COUNT(*) FROM approvals WHERE org_id = $1`, w.org.ID); n != decided {
		t.Errorf("%d requests filed, %d raced to one decision", n, decided)
	}
	// Every step decided once: no step has two deciders.
	if n := e.Count(`SELECT COUNT(*) FROM approval_steps WHERE org_id = $1 AND status IN ('approved', 'rejected')`, w.org.ID); n != decided {
		t.Errorf("%d steps decided for %d requests", n, decided)
	}
	// The audit chain survived the concurrent writers.
	res, err := audit.VerifyOrg(ctx, e.Sys.DB, w.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		t.Errorf("audit chain broken under load: %v", res.Problems)
	}
}

func column(t *testing.T, e *testenv.Env, q string, args ...any) []string {
	t.Helper()
	rows, err := e.Sys.DB.R.QueryContext(e.Ctx, q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// gapFree checks that the numbers (captured by re) are exactly 1..n.
func gapFree(t *testing.T, what string, values []string, re *regexp.Regexp) {
	t.Helper()
	var ns []int
	for _, v := range values {
		m := re.FindStringSubmatch(v)
		if m == nil {
			t.Errorf("%s: %q is not a number of the form %s", what, v, re)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		ns = append(ns, n)
	}
	sort.Ints(ns)
	for i, n := range ns {
		if n != i+1 {
			t.Errorf("%s: the %d. number is %d (gap or duplicate); all: %v", what, i+1, n, ns)
			return
		}
	}
}

func last(t *testing.T, e *testenv.Env, what string, k seqno.Key, n int) {
	t.Helper()
	got, err := seqno.Last(e.Ctx, e.Sys.DB.R, k)
	if err != nil || got != n {
		t.Errorf("%s: counter at %d (%v), %d records", what, got, err, n)
	}
}
