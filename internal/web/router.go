package web

import (
	"fmt"
	"net/http"
	"strings"

	"shegong/internal/authz"
)

// Access says who may call a route.
type Access int

const (
	// Public routes need no sign-in (sign-in page, health check, static files).
	Public Access = iota
	// Signed routes need a session but no permission (home, own account,
	// own to-dos); what they show is limited to the user's own data.
	Signed
	// Permitted routes need Perm; the data they read is limited by the
	// scope the user's roles hold for Perm.
	Permitted
)

// Route is one declared route. Every route of the server is registered
// through Router.Handle with a declaration; a test walks them all.
type Route struct {
	Method  string // GET, POST, …
	Pattern string // ServeMux pattern path, e.g. /sites/{id}
	Access  Access
	Perm    *authz.Perm // for Permitted
	// Object names the record kind an {id} in the pattern refers to
	// ("site", "staff" …), so the permission matrix can build own / same
	// service point / other service point / other organization cases.
	Object  string
	Summary string // Chinese, one line; also the OpenAPI summary
	API     *APIDoc
	// AllowMustChange lets a user whose password must be changed use the
	// route (the change-password page itself, sign-out).
	AllowMustChange bool
	// SecondStep lets a session whose second sign-in step is still due
	// (the one-time code, or enrolment) use the route.
	SecondStep bool
}

// IsAPI reports whether the route is part of the JSON API, which lives
// under /api/v1; the readable API documentation page is an HTML page.
func (r Route) IsAPI() bool { return strings.HasPrefix(r.Pattern, "/api/v1/") }

// Router wraps http.ServeMux so that no route can exist without a declaration.
type Router struct {
	mux    *http.ServeMux
	routes []Route
	wrap   func(Route, http.Handler) http.Handler
}

func newRouter(wrap func(Route, http.Handler) http.Handler) *Router {
	return &Router{mux: http.NewServeMux(), wrap: wrap}
}

// Handle registers h for rt. It panics on an incomplete declaration, so a
// missing permission fails at start, not in production.
func (rt *Router) Handle(r Route, h http.HandlerFunc) {
	if r.Method == "" || r.Pattern == "" {
		panic("web: route without method or pattern")
	}
	if r.Access == Permitted && r.Perm == nil {
		panic(fmt.Sprintf("web: route %s %s is Permitted but declares no permission", r.Method, r.Pattern))
	}
	if r.Access != Permitted && r.Perm != nil {
		panic(fmt.Sprintf("web: route %s %s declares a permission but is not Permitted", r.Method, r.Pattern))
	}
	if strings.Contains(r.Pattern, "{id}") && r.Object == "" && r.Access != Public {
		panic(fmt.Sprintf("web: route %s %s reads a record but declares no Object", r.Method, r.Pattern))
	}
	rt.routes = append(rt.routes, r)
	rt.mux.Handle(r.Method+" "+r.Pattern, rt.wrap(r, h))
}

// Routes returns every declared route.
func (rt *Router) Routes() []Route { return append([]Route(nil), rt.routes...) }
