// Package testenv builds a whole running system for end-to-end and handler
// tests: the real server on a fresh SQLite file or PostgreSQL schema, an
// injected clock, fixtures for organizations, people and service points,
// and signed-in HTTP clients.
package testenv

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/leakscan"
	"shegong/internal/pii"
	"shegong/internal/server"
)

// Password is every fixture user's password.
const Password = "Test-Passw0rd-2026"

// Clock is an injectable, movable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the current fake time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Env is one running system.
type Env struct {
	T     testing.TB
	Sys   *server.System
	Clock *Clock
	HTTP  *httptest.Server
	Ctx   context.Context
	leaks *leakWatch
}

// Start is 2026-03-02 09:00 in China, a Monday.
var Start = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// Each runs fn on SQLite and on PostgreSQL (skipped loudly without its DSN).
func Each(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, New(t, "")) })
	t.Run("postgres", func(t *testing.T) { fn(t, New(t, dbtest.PostgresMigratedDSN(t))) })
}

// New builds a system on dsn ("" = SQLite in a temp folder).
func New(t testing.TB, dsn string) *Env {
	t.Helper()
	clock := NewClock(Start)
	leaks := &leakWatch{reg: leakscan.New()}
	log := slog.New(slog.NewTextHandler(logWriter{leaks}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := t.TempDir()
	if dsn == "" {
		copySQLiteTemplate(t, filepath.Join(dir, "shegong.db"))
	}
	cfg := server.Config{DataDir: dir, DSN: dsn, Now: clock.Now, Log: log, DBMode: db.ModeDeny}
	if db.IsPostgres(dsn) {
		// The server runs as a role that owns no table, so that row-level
		// security holds every request as it does in production.
		cfg.DBOwner, cfg.DSN = dsn, dbtest.AppDSN(t, dsn)
	}
	sys, err := server.Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	// The cipher also encrypts second-factor secrets, which the enrolment
	// page rightly shows to their owner: only ID numbers and phones are
	// the personal data the scans look for.
	sys.Cipher.Observe(func(plain string) {
		if pii.ValidateIDNumber(plain) == nil || pii.ValidatePhone(plain) == nil {
			leaks.reg.Add(plain)
		}
	})
	hs := httptest.NewServer(sys.Web)
	// Fixtures and direct service calls are system work: they see every
	// organization. Requests through HTTP carry their own organization.
	e := &Env{T: t, Sys: sys, Clock: clock, HTTP: hs, Ctx: db.System(context.Background()), leaks: leaks}
	t.Cleanup(func() { e.finishLeakScan(t) })
	t.Cleanup(hs.Close)
	return e
}

// Exec runs a statement on the write pool and fails the test on error.
func (e *Env) Exec(query string, args ...any) {
	e.T.Helper()
	if _, err := e.Sys.DB.W.ExecContext(e.Ctx, query, args...); err != nil {
		e.T.Fatalf("exec %q: %v", query, err)
	}
}

// OwnerExec runs a statement as the role owning the tables (on SQLite the
// same as Exec): what the application's role may not do, such as switching
// a trigger off to tamper with the audit log.
func (e *Env) OwnerExec(query string, args ...any) {
	e.T.Helper()
	if e.Sys.DB.Dialect != db.Postgres {
		e.Exec(query, args...)
		return
	}
	owner, err := sql.Open("pgx", e.Sys.DB.OwnerDSN())
	if err != nil {
		e.T.Fatal(err)
	}
	defer owner.Close()
	if _, err := owner.ExecContext(e.Ctx, query, args...); err != nil {
		e.T.Fatalf("exec as owner %q: %v", query, err)
	}
}

// ID runs an INSERT … RETURNING id.
func (e *Env) ID(query string, args ...any) int64 {
	e.T.Helper()
	var id int64
	if err := e.Sys.DB.W.QueryRowContext(e.Ctx, query, args...).Scan(&id); err != nil {
		e.T.Fatalf("insert %q: %v", query, err)
	}
	return id
}

// Org is a fixture organization.
type Org struct {
	E    *Env
	ID   int64
	Code string
}

// Org creates an agency.
func (e *Env) Org(code, name string) *Org {
	id := e.ID(`INSERT INTO organizations (code, name, kind, status, created_at) VALUES ($1, $2, 'agency', 'active', $3) RETURNING id`,
		code, name, e.Clock.Now().UTC())
	return &Org{E: e, ID: id, Code: code}
}

// Platform is the platform organization (id 1).
func (e *Env) Platform() *Org { return &Org{E: e, ID: 1, Code: "platform"} }

var siteSeq atomic.Int64

// Site creates an active service point of kind centre/project/post.
func (o *Org) Site(name, kind string) int64 {
	now := o.E.Clock.Now().UTC()
	// Codes follow creation order (lists sort by code).
	return o.E.ID(`INSERT INTO sites (org_id, code, name, kind, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'active', $5, $5) RETURNING id`, o.ID, fmt.Sprintf("S%09d", siteSeq.Add(1)), name, kind, now)
}

// Dept creates a department of kind admin/service/finance/other.
func (o *Org) Dept(name, kind string) int64 {
	return o.E.ID(`INSERT INTO departments (org_id, name, kind) VALUES ($1, $2, $3) RETURNING id`, o.ID, name, kind)
}

// Person is a fixture user, usually with a staff record.
type Person struct {
	Org      *Org
	UserID   int64
	StaffID  int64
	Username string
}

// User creates an account (must_change false) with roles and, when staff is
// true, a linked staff record.
func (o *Org) User(username string, staff bool, roles ...authz.Role) *Person {
	e := o.E
	e.T.Helper()
	now := e.Clock.Now().UTC()
	uid := e.ID(`INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, FALSE, 'active', $5, $5) RETURNING id`, o.ID, username, "用户"+username, passwordHash(), now)
	for _, r := range roles {
		e.Exec(`INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, $3)`, o.ID, uid, string(r))
	}
	p := &Person{Org: o, UserID: uid, Username: username}
	if staff {
		p.StaffID = e.ID(`INSERT INTO staff (org_id, employee_no, name, status, user_id, created_at, updated_at)
			VALUES ($1, $2, $3, 'active', $4, $5, $5) RETURNING id`, o.ID, "E"+username, "同工"+username, uid, now)
	}
	return p
}

// Assign puts the person's staff record at a service point from today.
func (p *Person) Assign(siteID int64, position string) *Person {
	p.Org.E.Exec(`INSERT INTO staff_assignments (org_id, staff_id, site_id, position, start_date) VALUES ($1, $2, $3, $4, $5)`,
		p.Org.ID, p.StaffID, siteID, position, app.Today(p.Org.E.Clock.Now()).AddDays(-30))
	return p
}

// Supervises records that p supervises q from today.
func (p *Person) Supervises(q *Person) *Person {
	p.Org.E.Exec(`INSERT INTO supervisor_links (org_id, supervisor_id, supervisee_id, start_date) VALUES ($1, $2, $3, $4)`,
		p.Org.ID, p.StaffID, q.StaffID, app.Today(p.Org.E.Clock.Now()).AddDays(-30))
	return p
}

// InDept puts the person's staff record in a department.
func (p *Person) InDept(deptID int64) *Person {
	p.Org.E.Exec(`UPDATE staff SET department_id = $3 WHERE org_id = $1 AND id = $2`, p.Org.ID, p.StaffID, deptID)
	return p
}

// Principal loads the person's principal as of the clock's today.
func (p *Person) Principal() *authz.Principal {
	e := p.Org.E
	pr, err := authz.Load(e.Ctx, e.Sys.DB.R, p.UserID, app.Today(e.Clock.Now()))
	if err != nil {
		e.T.Fatal(err)
	}
	return pr
}

var (
	hashOnce sync.Once
	hash     string
)

func passwordHash() string {
	hashOnce.Do(func() {
		var err error
		hash, err = hashPassword(Password)
		if err != nil {
			panic(err)
		}
	})
	return hash
}

// Client is a signed-in (or anonymous) browser-like HTTP client.
type Client struct {
	E     *Env
	HTTP  *http.Client
	Token string // bearer token for API calls, when set
	// who is signed in and which plaintexts they may see (leak scans).
	user                          string
	revealClient, revealVolunteer bool
}

// Anon returns a client with a cookie jar and no redirects followed.
func (e *Env) Anon() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{E: e, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Login signs p in through the sign-in form.
func (e *Env) Login(p *Person) *Client {
	e.T.Helper()
	c := e.Anon()
	res := c.PostForm("/login", url.Values{"username": {p.Username}, "password": {Password}})
	if res.Status != http.StatusSeeOther {
		e.T.Fatalf("login %s: status %d: %s", p.Username, res.Status, res.Body)
	}
	c.signedIn(p)
	e.finishSignIn(c, p.Username, res)
	return c
}

// APIClient signs p in through the JSON API and uses the bearer token.
func (e *Env) APIClient(p *Person) *Client {
	e.T.Helper()
	c := e.Anon()
	in := map[string]string{"username": p.Username, "password": Password}
	if code := e.apiCode(p.Username); code != "" {
		in["totp_code"] = code
	}
	res := c.JSON("POST", "/api/v1/session", in)
	if res.Status == http.StatusForbidden && in["totp_code"] == "" {
		// A second factor is required but not set up: enrol on the pages.
		e.Login(p)
		in["totp_code"] = e.apiCode(p.Username)
		res = c.JSON("POST", "/api/v1/session", in)
	}
	if res.Status != http.StatusCreated {
		e.T.Fatalf("api login %s: %d %s", p.Username, res.Status, res.Body)
	}
	var out struct{ Token string }
	json.Unmarshal([]byte(res.Body), &out)
	c.Token = out.Token
	c.HTTP.Jar = nil
	c.signedIn(p)
	return c
}

// Response is a finished request.
type Response struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

// Do sends a request to the test server.
func (c *Client) Do(method, path string, body io.Reader, contentType string) Response {
	c.E.T.Helper()
	req, err := http.NewRequest(method, c.E.HTTP.URL+path, body)
	if err != nil {
		c.E.T.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.E.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, f := range c.scanResponse(method, path, b) {
		c.E.T.Errorf("LEAK: %s", f)
	}
	return Response{Status: res.StatusCode, Body: string(b), Header: res.Header, Location: res.Header.Get("Location")}
}

// signedIn records who the client is and what it may see in plaintext.
func (c *Client) signedIn(p *Person) {
	c.user = p.Username
	c.revealClient, c.revealVolunteer = revealKinds(c.E, p)
}

// Get fetches a page.
func (c *Client) Get(path string) Response { return c.Do("GET", path, nil, "") }

// PostForm posts a form.
func (c *Client) PostForm(path string, v url.Values) Response {
	return c.Do("POST", path, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded")
}

// JSON sends v as a JSON body.
func (c *Client) JSON(method, path string, v any) Response {
	var body io.Reader
	if v != nil {
		b, _ := json.Marshal(v)
		body = bytes.NewReader(b)
	}
	return c.Do(method, path, body, "application/json")
}

// Count returns a single integer from a query.
func (e *Env) Count(query string, args ...any) int {
	e.T.Helper()
	var n int
	if err := e.Sys.DB.R.QueryRowContext(e.Ctx, query, args...).Scan(&n); err != nil && err != sql.ErrNoRows {
		e.T.Fatal(err)
	}
	return n
}

// File is one uploaded file of a multipart form.
type File struct {
	Field string
	Name  string
	Data  []byte
}

// Multipart builds a multipart/form-data body with fields and files.
func Multipart(t testing.TB, fields map[string]string, files ...File) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile(f.Field, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.Data)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

var (
	templateOnce sync.Once
	templatePath string
	templateErr  error
)

// copySQLiteTemplate puts a migrated database at path: migrating once per
// test process and copying the file is much faster than migrating anew.
func copySQLiteTemplate(t testing.TB, path string) {
	t.Helper()
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shegong-template-")
		if err != nil {
			templateErr = err
			return
		}
		d, err := db.Open(context.Background(), filepath.Join(dir, "migrated.db"))
		if err != nil {
			templateErr = err
			return
		}
		defer d.Close()
		if templateErr = d.Migrate(context.Background()); templateErr != nil {
			return
		}
		// VACUUM INTO writes one self-contained file (no WAL to copy).
		templatePath = filepath.Join(dir, "template.db")
		_, templateErr = d.W.Exec(`VACUUM INTO '` + templatePath + `'`)
	})
	if templateErr != nil {
		t.Fatalf("sqlite template: %v", templateErr)
	}
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
