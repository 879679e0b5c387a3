package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
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

// skipInMatrix lists routes whose effect would end the actor's session
// mid-run; they are covered by their own tests.
func skipInMatrix(rt web.Route) bool {
	return rt.Pattern == "/logout" || (rt.Pattern == "/api/v1/session" && rt.Method == "DELETE") ||
		rt.Access == web.Public
}

func TestPermissionMatrix(t *testing.T) {
	testenv.Each(t, func(t *testing.T, _ *testenv.Env) {
		dsn := ""
		if strings.HasSuffix(t.Name(), "postgres") {
			dsn = "postgres"
		}
		var cells, allows atomic.Int64
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
					// Reads first, then writes, so a write cannot hide a later read's record.
					sort.SliceStable(routes, func(i, j int) bool { return routes[i].Method == "GET" && routes[j].Method != "GET" })
					for _, rt := range routes {
						if skipInMatrix(rt) {
							continue
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
							var want bool
							switch {
							case mc.Allowed != nil:
								want = mc.Allowed(p)
							case rt.Access == web.Signed:
								want = mc.Facts.OrgID == p.OrgID
							default:
								want = p.Scope(rt.Perm).Allows(mc.Facts) && !(p.IsPlatform() && mc.Facts.OrgID != p.OrgID && rt.Perm.Grants[authz.RolePlatformOperator] == 0)
							}
							res := call(client, rt, fillPath(rt.Pattern, mc.Params))
							check(t, name+" ["+own+"]", want, res)
							cells.Add(1)
							if want {
								allows.Add(1)
							}
						}
					}
				})
			}
		})
		t.Logf("permission matrix: %d cells, %d expected allows, %d expected denials", cells.Load(), allows.Load(), cells.Load()-allows.Load())
	})
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
