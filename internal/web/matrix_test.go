package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/testenv"
	"shegong/internal/web"
)

// The permission matrix: every declared route × every role × every kind of
// ownership (own record, same service point, a supervisee's, another
// service point, another organization). The expected answer comes from the
// route's declared permission and the scope each role holds for it; the
// test fails on any unexpected allow, any unexpected denial and any 500.

// world is what every matrix run sets up: two organizations, two service
// points in the first, an actor holding one role, colleagues around them.
type world struct {
	E          *testenv.Env
	Org, Other *testenv.Org
	SiteA      int64 // the actor's service point
	SiteB      int64 // another service point of the same organization
	SiteX      int64 // a service point of the other organization
	Dept       int64
	Actor      *testenv.Person
	PeerA      *testenv.Person // colleague at site A, not supervised by the actor
	PeerB      *testenv.Person // colleague at site B
	Supervisee *testenv.Person // at site B, supervised by the actor
	Foreign    *testenv.Person // staff of the other organization
}

// Ownership cases.
const (
	own        = "own"
	sameSite   = "same_site"
	supervisee = "supervisee"
	otherSite  = "other_site"
	otherOrg   = "other_org"
)

var ownerships = []string{own, sameSite, supervisee, otherSite, otherOrg}

// matrixCase is one concrete record for one ownership case.
type matrixCase struct {
	Params map[string]string // values for the pattern's {params}
	Facts  authz.Obj         // what scope decides on
	// Allowed overrides the scope rule for Signed routes whose access is
	// decided by the record itself (e.g. an approval's assignees).
	Allowed func(p *authz.Principal) bool
}

// objectFixtures build the records of each Object kind a route may name.
// Business areas add theirs in their own *_matrix_test.go files with init.
var objectFixtures = map[string]func(w *world) map[string]matrixCase{
	// API tokens are addressed by id among the caller's own only.
	"token": func(w *world) map[string]matrixCase {
		mk := func(p *testenv.Person) string {
			pr := p.Principal()
			tok, err := w.E.Sys.Auth.CreateToken(w.E.Ctx, pr, "矩阵测试")
			if err != nil {
				w.E.T.Fatal(err)
			}
			sum := sha256.Sum256([]byte(tok))
			return hex.EncodeToString(sum[:])[:12]
		}
		mine := func(*authz.Principal) bool { return true }
		never := func(*authz.Principal) bool { return false }
		return map[string]matrixCase{
			own:      {Params: map[string]string{"tid": mk(w.Actor)}, Allowed: mine},
			sameSite: {Params: map[string]string{"tid": mk(w.PeerA)}, Allowed: never},
			otherOrg: {Params: map[string]string{"tid": mk(w.Foreign)}, Allowed: never},
		}
	},
}

func newWorld(t *testing.T, e *testenv.Env, role authz.Role) *world {
	w := &world{E: e}
	w.Org = e.Org("lvye", "绿叶社工")
	w.Other = e.Org("other", "别家机构")
	w.SiteA = w.Org.Site("北岸中心", "centre")
	w.SiteB = w.Org.Site("振华中心", "centre")
	w.SiteX = w.Other.Site("别家中心", "centre")
	w.Dept = w.Org.Dept("服务部", "service")
	if role == authz.RolePlatformOperator {
		w.Actor = e.Platform().User("actor", false, role)
	} else {
		w.Actor = w.Org.User("actor", true, role).Assign(w.SiteA, "worker").InDept(w.Dept)
	}
	w.PeerA = w.Org.User("peera", true, authz.RoleWorker).Assign(w.SiteA, "worker")
	w.PeerB = w.Org.User("peerb", true, authz.RoleWorker).Assign(w.SiteB, "worker")
	w.Supervisee = w.Org.User("supee", true, authz.RoleWorker).Assign(w.SiteB, "worker")
	if w.Actor.StaffID != 0 {
		w.Actor.Supervises(w.Supervisee)
	}
	w.Foreign = w.Other.User("foreign", true, authz.RoleWorker).Assign(w.SiteX, "worker")
	return w
}

var paramRE = regexp.MustCompile(`\{([a-zA-Z_$]*)(\.\.\.)?\}`)

func fillPath(pattern string, params map[string]string) string {
	return paramRE.ReplaceAllStringFunc(pattern, func(m string) string {
		name := strings.Trim(m, "{}.")
		if name == "$" {
			return ""
		}
		if v, ok := params[name]; ok {
			return url.PathEscape(v)
		}
		return "0"
	})
}

// call sends the route's method to path as the client, with an empty body.
func call(c *testenv.Client, rt web.Route, path string) testenv.Response {
	switch {
	case rt.Method == "GET":
		return c.Get(path)
	case rt.IsAPI():
		return c.JSON(rt.Method, path, map[string]any{})
	default:
		return c.Do(rt.Method, path, strings.NewReader(""), "application/x-www-form-urlencoded")
	}
}

func denied(status int) bool { return status == http.StatusForbidden || status == http.StatusNotFound }

// publicRoutes are the only routes the matrix leaves out: they need no
// sign-in, so there is no role to vary. Each says why it is safe.
var publicRoutes = map[string]string{
	"GET /static/":          "embedded CSS, scripts and images; no data",
	"GET /healthz":          "answers up or down and the engine name; no data",
	"GET /login":            "the sign-in form; no data",
	"POST /login":           "sign-in itself; its answers are tested in the auth tests",
	"POST /api/v1/session":  "API sign-in itself; tested in the API tests",
	"GET /api/openapi.json": "the API's description, generated from the route declarations; no data",
}

// endsSession reports routes that end the actor's session: the matrix runs
// them after every other route.
func endsSession(rt web.Route) bool {
	return rt.Pattern == "/logout" || (rt.Pattern == "/api/v1/session" && rt.Method == "DELETE")
}

func skipInMatrix(rt web.Route) bool { return rt.Access == web.Public }

func TestPermissionMatrix(t *testing.T) {
	testenv.Each(t, func(t *testing.T, _ *testenv.Env) {
		dsn := ""
		if strings.HasSuffix(t.Name(), "postgres") {
			dsn = "postgres"
		}
		var cells, allows, listRoutes atomic.Int64
		var coveredMu sync.Mutex
		covered := map[string]map[authz.Role]bool{} // route → roles that ran at least one cell
		cover := func(rt web.Route, role authz.Role) {
			coveredMu.Lock()
			k := rt.Method + " " + rt.Pattern
			if covered[k] == nil {
				covered[k] = map[authz.Role]bool{}
			}
			covered[k][role] = true
			coveredMu.Unlock()
		}
		var allRoutes []web.Route
		// Each role runs in parallel on its own fresh database.
		t.Run("roles", func(t *testing.T) {
			for _, ri := range authz.Roles {
				role := ri.Role
				t.Run(string(role), func(t *testing.T) {
					t.Parallel()
					var e *testenv.Env
					if dsn == "" {
						e = testenv.New(t, "")
					} else {
						e = testenv.New(t, pgDSN(t))
					}
					w := newWorld(t, e, role)
					p := w.Actor.Principal()
					c := e.Login(w.Actor)
					api := e.APIClient(w.Actor)
					routes := e.Sys.Web.Routes()
					cached := map[string]map[string]matrixCase{}
					coveredMu.Lock()
					allRoutes = routes
					coveredMu.Unlock()
					// Reads first, then writes, so a write cannot hide a later
					// read's record; last the routes that end the session.
					rank := func(rt web.Route) int {
						switch {
						case endsSession(rt):
							return 2
						case rt.Method == "GET":
							return 0
						}
						return 1
					}
					sort.SliceStable(routes, func(i, j int) bool { return rank(routes[i]) < rank(routes[j]) })
					listsChecked := false
					for _, rt := range routes {
						if skipInMatrix(rt) {
							continue
						}
						if rt.Method != "GET" && !listsChecked {
							// Between reads and writes: every list and search
							// shows only records in the actor's scope.
							listsChecked = true
							n := checkListScopes(t, w, p, c, api, routes, cached)
							listRoutes.Store(int64(n))
						}
						client := c
						if rt.IsAPI() {
							client = api
						}
						name := fmt.Sprintf("%s %s %s", role, rt.Method, rt.Pattern)
						if rt.Object == "" {
							want := rt.Access == web.Signed || p.Can(rt.Perm)
							res := call(client, rt, fillPath(rt.Pattern, nil))
							check(t, name, want, res)
							cover(rt, role)
							cells.Add(1)
							if want {
								allows.Add(1)
							}
							continue
						}
						build, ok := objectFixtures[rt.Object]
						if !ok {
							t.Fatalf("route %s %s names Object %q but the matrix has no fixture for it", rt.Method, rt.Pattern, rt.Object)
						}
						// Reads share one set of records per kind; each write
						// gets fresh ones, since it may change or remove them.
						var cases map[string]matrixCase
						if rt.Method == "GET" {
							if cached[rt.Object] == nil {
								cached[rt.Object] = build(w)
							}
							cases = cached[rt.Object]
						} else {
							cases = build(w)
						}
						for _, own := range ownerships {
							mc, ok := cases[own]
							if !ok {
								continue
							}
							want := expected(rt, mc, p)
							res := call(client, rt, fillPath(rt.Pattern, mc.Params))
							check(t, name+" ["+own+"]", want, res)
							cover(rt, role)
							cells.Add(1)
							if want {
								allows.Add(1)
							}
						}
					}
				})
			}
		})
		// Every route of every module is in the matrix, for every role;
		// only the public routes are left out, each with its reason.
		if t.Failed() {
			return
		}
		for _, rt := range allRoutes {
			k := rt.Method + " " + rt.Pattern
			if rt.Access == web.Public {
				if publicRoutes[k] == "" {
					t.Errorf("public route %s is not in the matrix and has no stated reason", k)
				}
				continue
			}
			for _, ri := range authz.Roles {
				if !covered[k][ri.Role] {
					t.Errorf("route %s was not checked for role %s (no matrix cell)", k, ri.Role)
				}
			}
		}
		for k := range publicRoutes {
			if !slices.ContainsFunc(allRoutes, func(rt web.Route) bool { return rt.Method+" "+rt.Pattern == k && rt.Access == web.Public }) {
				t.Errorf("publicRoutes lists %s, which is not a public route", k)
			}
		}
		t.Logf("list scopes: %d list, search and report routes checked per role (with sort, page, search and export variants)", listRoutes.Load())
		t.Logf("permission matrix: %d routes (%d public left out), %d cells, %d expected allows, %d expected denials",
			len(allRoutes), len(publicRoutes), cells.Load(), allows.Load(), cells.Load()-allows.Load())
	})
}

// expected is the matrix's rule: may p call rt on the record mc?
func expected(rt web.Route, mc matrixCase, p *authz.Principal) bool {
	switch {
	case mc.Allowed != nil:
		return mc.Allowed(p)
	case rt.Access == web.Signed:
		return mc.Facts.OrgID == p.OrgID
	}
	return p.Scope(rt.Perm).Allows(mc.Facts) && !(p.IsPlatform() && mc.Facts.OrgID != p.OrgID && rt.Perm.Grants[authz.RolePlatformOperator] == 0)
}

func check(t *testing.T, name string, want bool, res testenv.Response) {
	t.Helper()
	if res.Status >= 500 {
		t.Errorf("%s: server error %d: %s", name, res.Status, clip(res.Body))
		return
	}
	if res.Status == http.StatusUnauthorized {
		t.Errorf("%s: signed-in request answered 401", name)
		return
	}
	if want && denied(res.Status) {
		t.Errorf("%s: expected allowed, got %d: %s", name, res.Status, clip(res.Body))
	}
	if !want && !denied(res.Status) {
		t.Errorf("%s: UNEXPECTED ALLOW, got %d", name, res.Status)
	}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// TestRoutesAreDeclared walks the router: every route has a summary, every
// permitted route a permission, every record route an Object kind, every
// API route its documentation.
func TestRoutesAreDeclared(t *testing.T) {
	e := testenv.New(t, "")
	routes := e.Sys.Web.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes", len(routes))
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("%s declared twice", key)
		}
		seen[key] = true
		if rt.Summary == "" {
			t.Errorf("%s has no summary", key)
		}
		if rt.Access == web.Permitted && rt.Perm == nil {
			t.Errorf("%s is permitted without a permission", key)
		}
		if strings.Contains(rt.Pattern, "{id}") && rt.Access != web.Public && rt.Object == "" {
			t.Errorf("%s reads a record without an Object kind", key)
		}
		if strings.HasPrefix(rt.Pattern, "/api/v1/") && rt.API == nil {
			t.Errorf("%s is an API route without documentation", key)
		}
		if rt.Access == web.Public && rt.Method != "GET" && rt.Pattern != "/login" && rt.Pattern != "/api/v1/session" {
			t.Errorf("%s changes state without sign-in", key)
		}
	}
	// Something not declared does not exist.
	c := e.Anon()
	if r := c.Get("/no/such/page"); r.Status != http.StatusNotFound && r.Status != http.StatusSeeOther {
		t.Errorf("undeclared path answered %d", r.Status)
	}
}

// forbiddenRecord is a matrix record the actor may not open, and how a
// list would betray it.
type forbiddenRecord struct {
	kind, id string
	link     *regexp.Regexp // an HTML link to its page
	apiList  string         // the API list route whose items are of its kind
}

// checkListScopes fetches every parameterless GET route (lists, searches,
// reports, the home page, API lists) as the actor, also sorted, paged,
// searched and exported, and fails on any sign of a record the actor may
// not open: a link to its page, or its id among an API list's items. The
// records are the matrix fixtures of every kind (own, same site,
// supervisee, other site, other organization); the rule is the record
// page's permission and scope. It returns the number of routes checked.
func checkListScopes(t *testing.T, w *world, p *authz.Principal, c, api *testenv.Client, routes []web.Route,
	cached map[string]map[string]matrixCase) int {
	t.Helper()
	var forbidden []forbiddenRecord
	byKindAPI := map[string]string{} // API list pattern → kind
	for _, rt := range routes {
		if rt.Method != "GET" || rt.Object == "" || !strings.HasSuffix(rt.Pattern, "/{id}") || strings.Count(rt.Pattern, "{") != 1 {
			continue
		}
		base := strings.TrimSuffix(rt.Pattern, "/{id}")
		if rt.IsAPI() {
			byKindAPI[base] = rt.Object
		}
		if cached[rt.Object] == nil {
			cached[rt.Object] = objectFixtures[rt.Object](w)
		}
		for _, own := range ownerships {
			mc, ok := cached[rt.Object][own]
			if !ok || mc.Params["id"] == "" || expected(rt, mc, p) {
				continue
			}
			fr := forbiddenRecord{kind: rt.Object, id: mc.Params["id"]}
			if rt.IsAPI() {
				fr.apiList = base
			} else {
				fr.link = regexp.MustCompile(regexp.QuoteMeta(base+"/"+mc.Params["id"]) + `(["/?#]|\\")`)
			}
			forbidden = append(forbidden, fr)
		}
	}
	sortRE := regexp.MustCompile(`href="([^"]*[?&]amp;sort=[^"]*|[^"]*\?sort=[^"]*)"`)
	checked := 0
	for _, rt := range routes {
		if rt.Method != "GET" || strings.Contains(rt.Pattern, "{") || skipInMatrix(rt) {
			continue
		}
		client := c
		if rt.IsAPI() {
			client = api
		}
		first := call(client, rt, rt.Pattern)
		if denied(first.Status) || first.Status >= 300 {
			continue
		}
		checked++
		variants := []string{"?page=2", "?q=" + url.QueryEscape("矩阵"), "?page=1&size=200", "?format=xlsx"}
		for i, m := range sortRE.FindAllStringSubmatch(first.Body, -1) {
			if i >= 4 {
				break
			}
			href := strings.ReplaceAll(m[1], "&amp;", "&")
			if j := strings.Index(href, "?"); j >= 0 {
				variants = append(variants, href[j:])
			}
		}
		bodies := map[string]string{rt.Pattern: first.Body}
		for _, v := range variants {
			res := client.Get(rt.Pattern + v)
			if res.Status < 300 {
				bodies[rt.Pattern+v] = res.Body
			}
		}
		for where, body := range bodies {
			if strings.Contains(where, "format=xlsx") {
				// A workbook holds no links; its rows are the list's, and
				// the leak scans read it for personal data.
				continue
			}
			var apiIDs map[string]bool
			if rt.IsAPI() {
				apiIDs = itemIDs(body)
			}
			for _, fr := range forbidden {
				if fr.link != nil && fr.link.MatchString(body) {
					t.Errorf("%s GET %s shows a link to %s %s it may not open", p.Username, where, fr.kind, fr.id)
				}
				if fr.apiList != "" && fr.apiList == rt.Pattern && apiIDs[fr.id] {
					t.Errorf("%s GET %s lists %s %s it may not open", p.Username, where, fr.kind, fr.id)
				}
			}
		}
	}
	return checked
}

// itemIDs collects the "id" of every object inside a JSON array.
func itemIDs(body string) map[string]bool {
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return nil
	}
	out := map[string]bool{}
	var walk func(v any, inArray bool)
	walk = func(v any, inArray bool) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e, true)
			}
		case map[string]any:
			if inArray {
				if id, ok := x["id"].(float64); ok {
					out[strconv.FormatInt(int64(id), 10)] = true
				}
			}
			for _, e := range x {
				walk(e, false)
			}
		}
	}
	walk(v, false)
	return out
}
