// Package web serves the Chinese web UI and the JSON API. Both call the same
// services; handlers parse input, call a service, and render or redirect.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/approval/general"
	"shegong/internal/audit"
	"shegong/internal/auth"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/groups"
	"shegong/internal/org"
	"shegong/internal/pii"
	"shegong/internal/reminder"
	"shegong/internal/resources"
	"shegong/internal/stats"
	"shegong/internal/volunteers"
)

// Deps are the services the web layer calls.
type Deps struct {
	DB   *db.DB
	Now  func() time.Time
	Log  *slog.Logger
	Auth *auth.Service
	Org  *org.Service
	// Groups records groups, community activities and projects.
	Groups *groups.Service
	// Cipher encrypts personal data at rest.
	Cipher *pii.Cipher
	// Clients is the client register.
	Clients *cases.ClientService
	// Cases is the casework service (case files, follow-ups, referrals,
	// closures, reports).
	Cases *cases.CaseService
	// Reminders computes each user's reminders for the home page.
	Reminders *reminder.Engine
	// Volunteers and Resources serve the volunteer and resource areas.
	Volunteers *volunteers.Service
	Resources  *resources.Service
	// Home holds the business areas' contributions to the home page.
	Home []HomeParts
	// TodoCount counts the user's waiting to-dos for the top bar.
	TodoCount func(context.Context, *authz.Principal) (int, error)
	// Approvals is the one approval engine; General is its sample
	// workflow, the general request. When Approvals is set, its to-do list
	// feeds the home page and the top bar.
	Approvals *approval.Service
	General   *general.Service
	// Stats answers the service statistics.
	Stats *stats.Service
	// SecureCookies marks cookies Secure (behind TLS).
	SecureCookies bool
}

// Server is the HTTP front of the system.
type Server struct {
	Deps
	router *Router
	pages  *pages
	nav    []NavGroup
	cop    *http.CrossOriginProtection
	// apiDocs is the OpenAPI document, built from the routes at start.
	apiDocs *apiDocs
}

// New builds the server and registers every route.
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Server{Deps: d, cop: http.NewCrossOriginProtection()}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pg
	s.nav = newNav()
	s.router = newRouter(s.guard)
	s.routes()
	if err := s.buildAPIDocs(); err != nil {
		return nil, err
	}
	return s, nil
}

// Routes returns the declared routes (for tests and the OpenAPI document).
func (s *Server) Routes() []Route { return s.router.Routes() }

// ServeHTTP runs the outer middleware: request id, logging, recovery,
// security headers and cross-origin protection, then the router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := newRequestID()
	ip := clientIP(r)
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	ctx := audit.WithRequest(r.Context(), audit.RequestInfo{ID: rid, IP: ip})
	r = r.WithContext(ctx)
	h := rec.Header()
	h.Set("X-Request-Id", rid)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.SecureCookies {
		// Served over HTTPS: browsers keep to HTTPS for a year.
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	// A backstop for every body; the upload handlers set tighter limits.
	if r.Body != nil {
		r.Body = http.MaxBytesReader(rec, r.Body, maxRequestBody)
	}
	defer func() {
		if v := recover(); v != nil {
			s.Log.Error("panic", "request_id", rid, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rec.wrote {
				s.fail(rec, r, errors.New("panic"))
			}
		}
		user := ""
		if p := authz.From(r.Context()); p != nil {
			user = p.Username
		}
		s.Log.Info("request", "request_id", rid, "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "ms", time.Since(start).Milliseconds(), "ip", ip, "user", user)
	}()
	if err := s.cop.Check(r); err != nil {
		s.writeError(rec, r, app.Errorf(app.EForbidden, "跨站请求已被拒绝"))
		return
	}
	s.router.mux.ServeHTTP(rec, r)
}

// maxRequestBody caps any request body (the largest legitimate one is an
// upload of several activity photos).
const maxRequestBody = 64 << 20

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Cookie names. Behind TLS (SecureCookies) they carry the __Host- prefix,
// which browsers accept only from a secure origin, with Path=/ and no
// Domain: no subdomain or plain-HTTP page can set or shadow them. On plain
// HTTP (local development) the prefix would make browsers drop the cookie, so
// the bare names are used.
const (
	sessionCookie = "shegong_session"
	flashCookie   = "flash"
)

// cookieName is the name of the cookie base as this server sets it.
func (s *Server) cookieName(base string) string {
	if s.SecureCookies {
		return "__Host-" + base
	}
	return base
}

// guard wraps each route with its declared access rule.
func (s *Server) guard(rt Route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Access == Public {
			h.ServeHTTP(w, r)
			return
		}
		p, err := s.principal(r, rt.IsAPI())
		if err != nil {
			if rt.IsAPI() {
				s.writeError(w, r, err)
				return
			}
			if app.ErrorCode(err) == app.EUnauthorized {
				next := r.URL.RequestURI()
				if r.Method != http.MethodGet {
					next = "/"
				}
				http.Redirect(w, r, "/login?next="+urlQueryEscape(next), http.StatusSeeOther)
				return
			}
			s.fail(w, r, err)
			return
		}
		r = r.WithContext(authz.With(tenantContext(r.Context(), p), p))
		if p.Stage != auth.StageDone && !rt.SecondStep {
			if rt.IsAPI() {
				s.writeError(w, r, app.Errorf(app.EUnauthorized, "请先完成动态验证码验证"))
				return
			}
			http.Redirect(w, r, stageRedirect(p.Stage), http.StatusSeeOther)
			return
		}
		if p.MustChange && !rt.AllowMustChange {
			if rt.IsAPI() {
				s.writeError(w, r, app.Errorf(app.EForbidden, "首次登录须先修改初始密码"))
				return
			}
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return
		}
		if rt.Access == Permitted && !p.Can(rt.Perm) {
			_ = audit.Append(r.Context(), s.DB, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID,
				Username: p.Username, Action: "authz.deny", ObjectType: "route", ObjectID: rt.Method + " " + rt.Pattern,
				Outcome: audit.Denied, Detail: rt.Perm.Name})
			s.writeError(w, r, app.ErrForbidden())
			return
		}
		h.ServeHTTP(w, r)
	})
}

// principal authenticates the request: a bearer token, or the session cookie.
func (s *Server) principal(r *http.Request, api bool) (*authz.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, auth.ErrNoSession
		}
		return s.Auth.Authenticate(r.Context(), strings.TrimSpace(tok), auth.KindAPI)
	}
	c, err := r.Cookie(s.cookieName(sessionCookie))
	if err != nil {
		return nil, auth.ErrNoSession
	}
	return s.Auth.Authenticate(r.Context(), c.Value, auth.KindWeb)
}

// today is the current calendar date in the agencies' time zone.
func (s *Server) today() app.Date { return app.Today(s.Now()) }

// ctxPrincipal returns the signed-in principal of r.
func principalOf(r *http.Request) *authz.Principal { return authz.From(r.Context()) }

// tenantContext marks ctx with the organization whose rows the request may
// touch (row-level security on PostgreSQL): the principal's own, or every
// organization for a platform operator, whose pages are aggregates over the
// agencies the platform hosts.
func tenantContext(ctx context.Context, p *authz.Principal) context.Context {
	if p.IsPlatform() {
		return db.AllOrgs(ctx)
	}
	return db.WithOrg(ctx, p.OrgID)
}
