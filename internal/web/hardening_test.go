package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/demo"
	"shegong/internal/testenv"
	"shegong/internal/web"
)

// ---- cookies and headers ----

// TestCookiesPlainAndSecure: behind TLS (--secure-cookies) the session
// cookie is __Host-shegong_session, Secure, HttpOnly, SameSite=Lax, Path=/
// and without Domain, and HSTS is sent; on plain HTTP the prefix cannot be
// used (browsers drop __Host- cookies from insecure origins) and the bare
// name is set without Secure.
func TestCookiesPlainAndSecure(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "绿叶社工")
	o.User("wang", true, authz.RoleWorker)
	for _, secure := range []bool{false, true} {
		e.Sys.Web.SecureCookies = secure
		name := "shegong_session"
		if secure {
			name = "__Host-shegong_session"
		}
		req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"username": {"wang"}, "password": {testenv.Password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.Sys.Web.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("secure=%v login: %d", secure, res.StatusCode)
		}
		var c *http.Cookie
		for _, k := range res.Cookies() {
			if strings.HasSuffix(k.Name, "shegong_session") {
				c = k
			}
		}
		if c == nil || c.Name != name || c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
			c.Path != "/" || c.Domain != "" || c.Value == "" {
			t.Fatalf("secure=%v cookie: %+v", secure, c)
		}
		if got := res.Header.Get("Strict-Transport-Security"); (got != "") != secure {
			t.Fatalf("secure=%v HSTS %q", secure, got)
		}
		// The cookie signs in under its own name only.
		for _, try := range []string{"shegong_session", "__Host-shegong_session"} {
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(&http.Cookie{Name: try, Value: c.Value})
			rec := httptest.NewRecorder()
			e.Sys.Web.ServeHTTP(rec, req)
			if ok := rec.Code == http.StatusOK; ok != (try == name) {
				t.Fatalf("secure=%v cookie %s: status %d", secure, try, rec.Code)
			}
		}
	}
}

// securityHeaders checks the headers every response carries.
func securityHeaders(h http.Header) string {
	want := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	for k, v := range want {
		if h.Get(k) != v {
			return fmt.Sprintf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, d) {
			return "CSP lacks " + d + ": " + csp
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		return "CSP allows inline code: " + csp
	}
	return ""
}

// inlineProblem finds what the CSP (script-src 'self'; style-src 'self')
// would block in a page: inline scripts, style elements and attributes,
// event-handler attributes and javascript: URLs.
var (
	scriptTag  = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	inlineCode = regexp.MustCompile(`(?i)<style[\s>]|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
	srcAttr    = regexp.MustCompile(`(?i)\ssrc\s*=`)
)

func inlineProblem(body string) string {
	for _, tag := range scriptTag.FindAllString(body, -1) {
		// Data blocks (type="application/json") are not run as scripts.
		if !srcAttr.MatchString(tag) && !strings.Contains(tag, `type="application/json"`) {
			return tag
		}
	}
	if m := inlineCode.FindStringIndex(body); m != nil {
		return body[max(m[0]-40, 0):min(m[1]+40, len(body))]
	}
	return ""
}

// ---- walking every GET route ----

// snapshot counts the rows of every table and the largest id of those
// with one.
func snapshot(t *testing.T, d *db.DB) map[string]string {
	t.Helper()
	// System mode: on PostgreSQL row-level security would otherwise hide
	// every organization's rows and the comparison could not fail.
	ctx := db.System(context.Background())
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if d.Dialect == db.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := d.R.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]string{}
	for _, tb := range tables {
		var n int64
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		var maxID any
		if d.R.QueryRowContext(ctx, `SELECT MAX(id) FROM `+tb).Scan(&maxID) != nil {
			maxID = "-"
		}
		out[tb] = fmt.Sprintf("%d rows, max id %v", n, maxID)
	}
	return out
}

// Tables that a read changes by design: the session's last-seen time (not a
// row count, but excluded from the comparison anyway), and the audit log,
// which records exports and denials; the rows a walk adds are checked by
// action below. Opening 系统设置 › 动态验证码 stores nothing: the secret to
// enrol is derived from the session until the first code confirms it.
var changedByReads = map[string]bool{"sessions": true, "audit_log": true, "audit_heads": true}

// readAuditActions are the audit actions a GET may write, besides the
// ".view" rows of case files and clients (whose reading is audited) and the
// sign-ins of the walk itself.
var readAuditActions = map[string]bool{"export": true, "authz.deny": true}

type walker struct {
	t       *testing.T
	e       *testenv.Env
	mux     *http.ServeMux
	seen    map[string]bool
	perKey  map[string]int
	reached map[string]bool // GET patterns answered 200
	params  map[string][]map[string]string
	xlsx    int
	planted int
}

var hrefRE = regexp.MustCompile(`(?:href|src|action)="(/[^"#]*)"`)

const planted = `=HYPERLINK("http://evil.example/x","点我")`

// walk follows every same-site link from the home page and the routes
// without parameters, at most two URLs per route (an export counts apart).
func (w *walker) walk(c *testenv.Client, routes []web.Route) {
	var queue []string
	for _, r := range routes {
		if r.Method == "GET" && !strings.Contains(r.Pattern, "{") {
			queue = append(queue, strings.TrimSuffix(strings.ReplaceAll(r.Pattern, "{$}", ""), "/"))
		}
	}
	queue = append([]string{"/"}, queue...)
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if u == "" || u == "/static" || w.seen[u] {
			continue
		}
		req := httptest.NewRequest("GET", u, nil)
		_, pattern := w.mux.Handler(req)
		if pattern == "" {
			continue
		}
		key := pattern
		if strings.Contains(u, "format=xlsx") {
			key += " xlsx"
		}
		if w.perKey[key] >= 2 {
			continue
		}
		w.seen[u] = true
		w.perKey[key]++
		res := c.Get(u)
		if res.Status >= 500 {
			w.t.Errorf("GET %s: %d", u, res.Status)
			continue
		}
		if p := securityHeaders(res.Header); p != "" {
			w.t.Errorf("GET %s: %s", u, p)
		}
		if res.Status == http.StatusOK {
			w.reached[strings.TrimPrefix(pattern, "GET ")] = true
			w.record(pattern, req.URL.Path)
		}
		ct := res.Header.Get("Content-Type")
		switch {
		case strings.HasPrefix(ct, "text/html"):
			if p := inlineProblem(res.Body); p != "" {
				w.t.Errorf("GET %s: inline code the CSP blocks: %q", u, p)
			}
			for _, m := range hrefRE.FindAllStringSubmatch(res.Body, -1) {
				link := strings.ReplaceAll(m[1], "&amp;", "&")
				if strings.HasPrefix(link, "/static/") || strings.HasPrefix(link, "/logout") {
					continue
				}
				queue = append(queue, link)
			}
		case strings.Contains(ct, "spreadsheetml"):
			w.checkXLSX(u, res.Body)
		}
	}
}

// record keeps the path values of a reached URL under every prefix of its
// pattern that ends in a parameter, to fill the API routes' parameters.
func (w *walker) record(pattern, path string) {
	segs := strings.Split(strings.TrimPrefix(pattern, "GET "), "/")
	parts := strings.Split(path, "/")
	vals := map[string]string{}
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && s != "{$}" && i < len(parts) {
			name := strings.Trim(s, "{}")
			vals[name] = parts[i]
			w.params[strings.Join(segs[:i+1], "/")] = append(w.params[strings.Join(segs[:i+1], "/")], maps(vals))
		}
	}
}

func maps(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// checkXLSX opens an export and fails on any cell a spreadsheet would run.
func (w *walker) checkXLSX(u, body string) {
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		w.t.Errorf("GET %s: not a workbook: %v", u, err)
		return
	}
	defer f.Close()
	w.xlsx++
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			w.t.Errorf("GET %s: %v", u, err)
			return
		}
		for i, row := range rows {
			for j, v := range row {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if formula, _ := f.GetCellFormula(sh, cell); formula != "" {
					w.t.Errorf("GET %s: %s!%s is a formula %q", u, sh, cell, formula)
				}
				if strings.Contains(v, "HYPERLINK") {
					w.planted++
				}
				if v != "" && strings.ContainsRune("=+@\t\r", rune(v[0])) {
					w.t.Errorf("GET %s: %s!%s starts with a formula character: %q", u, sh, cell, v)
				}
			}
		}
	}
}

// plantFormulas puts a formula at the start of the names, titles and notes
// of the demo's records, so that every export shows some.
func plantFormulas(t *testing.T, e *testenv.Env) {
	t.Helper()
	cols := map[string]bool{"name": true, "title": true, "display_name": true, "note": true, "summary": true,
		"topic": true, "theme": true, "content": true, "description": true, "remark": true, "location": true}
	d := e.Sys.DB
	q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.type = 'TEXT'`
	if d.Dialect == db.Postgres {
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND data_type = 'text'`
	}
	rows, err := d.R.QueryContext(e.Ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var todo [][2]string
	for rows.Next() {
		var tb, col string
		rows.Scan(&tb, &col)
		if cols[col] && !strings.HasPrefix(tb, "audit") && tb != "organizations" {
			todo = append(todo, [2]string{tb, col})
		}
	}
	rows.Close()
	for _, tc := range todo {
		if _, err := d.W.ExecContext(e.Ctx, fmt.Sprintf(`UPDATE %s SET %s = $1 || %s WHERE %s <> ''`, tc[0], tc[1], tc[1], tc[1]), planted); err != nil {
			t.Fatalf("plant %s.%s: %v", tc[0], tc[1], err)
		}
	}
}

// TestReadsChangeNothingAndPagesAreSafe walks every GET route of the demo
// organization as its admin, its director and a front-line worker, with the
// ids found on the pages: no response is a server error, every response
// carries the security headers, no page has inline code the CSP would block,
// every export escapes the formulas planted in the data, and no table
// changes except the audit rows of exports and denials (and sessions'
// last-seen times).
func TestReadsChangeNothingAndPagesAreSafe(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		if _, _, err := demo.Load(e.Ctx, e.Sys.DB, e.Sys.Cipher, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		plantFormulas(t, e)
		routes := e.Sys.Web.Routes()
		mux := http.NewServeMux()
		for _, r := range routes {
			mux.HandleFunc(r.Method+" "+r.Pattern, func(http.ResponseWriter, *http.Request) {})
		}
		w := &walker{t: t, e: e, mux: mux, reached: map[string]bool{}, params: map[string][]map[string]string{}}
		var maxSeq int64
		e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_log a JOIN organizations o ON o.id = a.org_id WHERE o.code = $1`, demo.Code).Scan(&maxSeq)
		before := snapshot(t, e.Sys.DB)
		for _, user := range []string{"admin", "zongganshi", "beian_sg1"} {
			c := e.Anon()
			if r := c.PostForm("/login", url.Values{"username": {user}, "password": {demo.Password}}); r.Status != http.StatusSeeOther {
				t.Fatalf("login %s: %d", user, r.Status)
			}
			w.seen, w.perKey = map[string]bool{}, map[string]int{}
			w.walk(c, routes)
			// The API's GET routes, with the parameters the pages had.
			api := e.Anon()
			api.Token = apiToken(t, e, user)
			api.HTTP.Jar = nil
			for _, r := range routes {
				if r.Method != "GET" || !strings.HasPrefix(r.Pattern, "/api/") {
					continue
				}
				u, ok := fill(strings.TrimPrefix(r.Pattern, "/api/v1"), w.params)
				if !ok {
					continue
				}
				res := api.Get("/api/v1" + u)
				if res.Status >= 500 {
					t.Errorf("GET /api/v1%s: %d", u, res.Status)
				}
				if p := securityHeaders(res.Header); p != "" {
					t.Errorf("GET /api/v1%s: %s", u, p)
				}
				if res.Status == http.StatusOK {
					w.reached[r.Pattern] = true
				}
			}
		}
		// Signing in and the API sessions add sessions and sign-in audit
		// rows; compare everything else.
		after := snapshot(t, e.Sys.DB)
		for tb, b := range before {
			if !changedByReads[tb] && after[tb] != b && tb != "login_attempts" {
				t.Errorf("table %s changed during the GET walk: %s → %s", tb, b, after[tb])
			}
		}
		rows, err := e.Sys.DB.R.QueryContext(e.Ctx, `SELECT action, COUNT(*) FROM audit_log a JOIN organizations o ON o.id = a.org_id
			WHERE o.code = $1 AND seq > $2 GROUP BY action`, demo.Code, maxSeq)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for rows.Next() {
			var a string
			var n int
			rows.Scan(&a, &n)
			actions = append(actions, fmt.Sprintf("%s×%d", a, n))
			if !readAuditActions[a] && !strings.HasPrefix(a, "auth.") && !strings.HasSuffix(a, ".view") {
				t.Errorf("a GET wrote audit action %s (%d rows)", a, n)
			}
		}
		rows.Close()

		var gets, unreached []string
		for _, r := range routes {
			if r.Method == "GET" && r.Pattern != "/static/" {
				gets = append(gets, r.Pattern)
				if !w.reached[r.Pattern] {
					unreached = append(unreached, r.Pattern)
				}
			}
		}
		sort.Strings(unreached)
		t.Logf("%s: %d of %d GET routes answered 200 with real ids; %d workbooks checked, %d planted formulas escaped; audit rows written by reads: %s",
			e.Sys.DB.Dialect, len(gets)-len(unreached), len(gets), w.xlsx, w.planted, strings.Join(actions, " "))
		t.Logf("not reached (no link for these roles on the demo data): %s", strings.Join(unreached, " "))
		if w.xlsx < 10 || w.planted == 0 {
			t.Errorf("the walk checked %d workbooks with %d planted formulas; expected the list exports", w.xlsx, w.planted)
		}
		if len(unreached)*4 > len(gets) {
			t.Errorf("only %d of %d GET routes reached", len(gets)-len(unreached), len(gets))
		}
	})
}

// fill replaces the parameters of pattern with values the pages had.
func fill(pattern string, params map[string][]map[string]string) (string, bool) {
	segs := strings.Split(pattern, "/")
	last := -1
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			last = i
		}
	}
	if last < 0 {
		return pattern, true
	}
	cands := params[strings.Join(segs[:last+1], "/")]
	if len(cands) == 0 {
		return "", false
	}
	vals := cands[0]
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			v, ok := vals[strings.Trim(s, "{}")]
			if !ok {
				return "", false
			}
			segs[i] = v
		}
	}
	return strings.Join(segs, "/"), true
}

func apiToken(t *testing.T, e *testenv.Env, user string) string {
	t.Helper()
	c := e.Anon()
	res := c.JSON("POST", "/api/v1/session", map[string]string{"username": user, "password": demo.Password})
	if res.Status != http.StatusCreated {
		t.Fatalf("api login %s: %d %s", user, res.Status, res.Body)
	}
	var out struct{ Token string }
	if err := jsonUnmarshal(res.Body, &out); err != nil || out.Token == "" {
		t.Fatalf("api login %s: %v", user, err)
	}
	return out.Token
}

// ---- cross-origin writes ----

// TestCrossOriginWritesRefused sends every state-changing route, signed in
// as the organization's admin, as a browser would from another site: each is
// refused before its handler runs and no table changes.
func TestCrossOriginWritesRefused(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		site := o.Site("北岸", "centre")
		admin := o.User("admin1", true, authz.RoleOrgAdmin, authz.RoleDirector).Assign(site, "社工")
		c := e.Login(admin)
		before := snapshot(t, e.Sys.DB)
		n := 0
		for _, r := range e.Sys.Web.Routes() {
			if r.Method == "GET" || r.Method == "HEAD" {
				continue
			}
			path := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(strings.ReplaceAll(r.Pattern, "{$}", ""), "1")
			for _, h := range []map[string]string{
				{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
				{"Origin": "https://evil.example"}, // an older browser without Fetch metadata
			} {
				req, _ := http.NewRequest(r.Method, e.HTTP.URL+path, strings.NewReader("name=x"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range h {
					req.Header.Set(k, v)
				}
				res, err := c.HTTP.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body bytes.Buffer
				body.ReadFrom(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusForbidden || !strings.Contains(body.String(), "跨站请求已被拒绝") {
					t.Errorf("%s %s with %v: %d %.80s", r.Method, path, h, res.StatusCode, body.String())
				}
				n++
			}
		}
		after := snapshot(t, e.Sys.DB)
		for tb, b := range before {
			if tb != "sessions" && after[tb] != b {
				t.Errorf("table %s changed by refused requests: %s → %s", tb, b, after[tb])
			}
		}
		// The same request from the site itself goes through.
		req, _ := http.NewRequest("POST", e.HTTP.URL+"/departments", strings.NewReader(url.Values{"name": {"财务部"}, "kind": {"finance"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || e.Count(`SELECT COUNT(*) FROM departments WHERE name = '财务部'`) != 1 {
			t.Fatalf("same-origin post: %d", res.StatusCode)
		}
		t.Logf("%d cross-origin requests over %d state-changing routes refused", n, n/2)
	})
}

// ---- uploads ----

// TestUploadsSniffedAndServedSafely: a script disguised as an image (SVG or
// HTML under a .png name) is refused for consent scans and activity photos;
// what is stored is served with its sniffed type, nosniff and a sandbox CSP,
// photos inline as images and scans as downloads, and only to those who may
// read the record.
func TestUploadsSniffedAndServedSafely(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		site := o.Site("北岸", "centre")
		w := o.User("wang", true, authz.RoleWorker).Assign(site, "社工")
		other := e.Org("qita", "其他机构")
		stranger := other.User("li", true, authz.RoleDirector, authz.RoleOrgAdmin)
		c := e.Login(w)
		svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>`)
		html := []byte(`<!DOCTYPE html><html><body onload="alert(1)"></body></html>`)
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

		// Activity photos.
		res := c.PostForm("/activities", url.Values{"title": {"长者生日会"}, "kind": {"festival"}, "held_on": {"2026-03-01"},
			"site_id": {fmt.Sprint(site)}, "lead_id": {fmt.Sprint(w.StaffID)}, "participants": {"30"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("activity: %d %s", res.Status, clip(res.Body))
		}
		var act struct{ ID string }
		act.ID = idFrom(t, res.Location)
		for name, data := range map[string][]byte{"a.png": svg, "b.png": html, "c.svg": svg} {
			body, ct := testenv.Multipart(t, nil, testenv.File{Field: "photo", Name: name, Data: data})
			if r := c.Do("POST", "/activities/"+act.ID+"/photos", body, ct); r.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(r.Body, "只能上传 JPEG 或 PNG") {
				t.Errorf("photo %s: %d", name, r.Status)
			}
		}
		body, ct := testenv.Multipart(t, nil, testenv.File{Field: "photo", Name: "x.html", Data: png})
		if r := c.Do("POST", "/activities/"+act.ID+"/photos", body, ct); r.Status >= 400 {
			t.Fatalf("png photo: %d %s", r.Status, clip(r.Body))
		}
		var pid int64
		e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT id FROM activity_photos WHERE activity_id = $1`, act.ID).Scan(&pid)
		r := c.Get(fmt.Sprintf("/activities/%s/photos/%d", act.ID, pid))
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "inline") || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") ||
			!strings.Contains(r.Header.Get("Content-Disposition"), "x.png") {
			t.Fatalf("photo served: %d %v", r.Status, r.Header)
		}
		if r := e.Login(stranger).Get(fmt.Sprintf("/activities/%s/photos/%d", act.ID, pid)); r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
			t.Fatalf("another organization's photo: %d", r.Status)
		}
		if r := e.Anon().Get(fmt.Sprintf("/activities/%s/photos/%d", act.ID, pid)); r.Status != http.StatusSeeOther {
			t.Fatalf("anonymous photo: %d", r.Status)
		}
	})
}

// TestRequestBodyCapped: an oversized import is cut off (the volunteer
// imports had no cap and spooled any body to disk); every other body is
// capped at 64 MB by the server.
func TestRequestBodyCapped(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "绿叶社工")
	site := o.Site("北岸", "centre")
	w := o.User("wang", true, authz.RoleDirector, authz.RoleOrgAdmin).Assign(site, "社工")
	c := e.Login(w)
	big := bytes.Repeat([]byte("x"), 70<<20)
	body, ct := testenv.Multipart(t, nil, testenv.File{Field: "file", Name: "v.xlsx", Data: big})
	r := c.Do("POST", "/volunteers/import", body, ct)
	if r.Status < 400 || r.Status >= 500 {
		t.Fatalf("70 MB import: %d", r.Status)
	}
}

func jsonUnmarshal(body string, v any) error { return json.Unmarshal([]byte(body), v) }
