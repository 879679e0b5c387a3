// Package bench holds what the benchmarks and the load generator share:
// opening (or generating) the database to measure, finding the people and
// records a figure is measured on, signing in through the real handler, and
// the hand-written SQL each report figure is compared with.
//
// The database to measure is SHEGONG_BENCH_DB (a SQLite file or a
// postgres:// URL of a generated database, with SHEGONG_BENCH_DATA or
// SHEGONG_KEY for its encryption key). Without it a fresh SQLite database
// with the small generated profile is made in a temporary folder, so the
// benchmarks always run.
package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/db"
	"shegong/internal/gen"
	"shegong/internal/server"
	"shegong/internal/stats"
)

// Env names.
const (
	EnvDB       = "SHEGONG_BENCH_DB"       // database to measure; empty: generate the small profile
	EnvData     = "SHEGONG_BENCH_DATA"     // data folder holding the key of that database
	EnvOrg      = "SHEGONG_BENCH_ORG"      // organization code; default: the one with the most cases
	EnvPassword = "SHEGONG_BENCH_PASSWORD" // password of the sample accounts
	EnvRows     = "SHEGONG_BENCH_ROWS"     // rows of the export and import benchmarks (default 100000)
)

// Fixture is a built system on the database to measure, with the sample
// people and records the figures are taken on.
type Fixture struct {
	Sys      *server.System
	Now      time.Time
	OrgID    int64
	Password string
	// Generated: the database was generated for this run (small profile).
	Generated bool

	Worker     string // a front-line worker with the most live cases
	Supervisor string // a supervisor of (nearest) 20 supervisees
	Supervisee int    // how many
	Head       string // a centre head
	HeadSiteID int64  // that head's service point
	Director   string // organization-wide reader
	Admin      string // organization administrator
	CaseID     int64  // a case with (nearest) 200 follow-ups
	CaseReader string // who may open it (its worker)
	Followups  int    // its follow-ups

	Year         stats.Period // a full year of records
	QuarterSite  int64        // a service point …
	Quarter      stats.Period // … and a full quarter of its records
	ArchiveSite  int64        // the centre of the archive check …
	ArchiveMonth string       // … and its month (YYYY-MM)

	// Recorder recorded the most volunteer service records last month
	// (the heaviest staff scope of the volunteer statistics); RecorderStaff
	// is their staff id, "" and 0 when no record was made last month.
	Recorder      string
	RecorderStaff int64
}

// Rows is the number of rows for the export and import benchmarks.
func Rows() int {
	if n, err := strconv.Atoi(os.Getenv(EnvRows)); err == nil && n > 0 {
		return n
	}
	return 100000
}

// Config returns the server configuration for the database to measure, or
// ok false when none is set.
func Config() (cfg server.Config, ok bool) {
	dsn := os.Getenv(EnvDB)
	if dsn == "" {
		return cfg, false
	}
	data := os.Getenv(EnvData)
	if data == "" && !db.IsPostgres(dsn) {
		data = filepath.Dir(strings.TrimPrefix(dsn, "sqlite://"))
	}
	return server.Config{DSN: dsn, DataDir: data, Key: os.Getenv("SHEGONG_KEY")}, true
}

// Open builds the system on SHEGONG_BENCH_DB or, without it, on a fresh
// SQLite database in dir filled with the small profile.
func Open(ctx context.Context, dir string) (*Fixture, error) {
	cfg, existing := Config()
	if !existing {
		cfg = server.Config{DataDir: dir}
	}
	return open(ctx, cfg, existing)
}

// OpenFresh generates the small profile into dsn (an empty PostgreSQL
// schema, or "" for SQLite in dir) and builds the system on it.
func OpenFresh(ctx context.Context, dir, dsn string) (*Fixture, error) {
	return open(ctx, server.Config{DataDir: dir, DSN: dsn}, false)
}

func open(ctx context.Context, cfg server.Config, existing bool) (*Fixture, error) {
	now := time.Now()
	cfg.Now = func() time.Time { return now }
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	sys, err := server.Build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	f := &Fixture{Sys: sys, Now: now, Password: os.Getenv(EnvPassword)}
	var rep *gen.Report
	if !existing {
		f.Generated = true
		if rep, err = generate(ctx, sys, now); err != nil {
			sys.Close()
			return nil, fmt.Errorf("bench: generate: %w", err)
		}
	}
	if f.Password == "" {
		f.Password = defaultPassword
	}
	if err := f.discover(ctx); err != nil {
		sys.Close()
		return nil, err
	}
	if rep != nil {
		f.useReport(ctx, rep)
	}
	return f, nil
}

// useReport takes the generator's own samples: a worker supervised by a
// supervisor of exactly 20, the case with 200 follow-ups, the archive
// check's centre and month and the quarter's service point.
func (f *Fixture) useReport(ctx context.Context, r *gen.Report) {
	f.OrgID = r.OrgIDs[0]
	f.Worker, f.Supervisor, f.Head = r.Worker.Username, r.Supervisor.Username, r.CentreHead.Username
	f.Director, f.Admin = r.Director.Username, r.Admin.Username
	f.Supervisee = 20
	if r.Case200 != 0 {
		f.CaseID, f.CaseReader, f.Followups = r.Case200, r.Worker.Username, 200
	}
	if r.ArchiveSite != 0 {
		f.ArchiveSite, f.ArchiveMonth = r.ArchiveSite, r.ArchiveMonth
		f.HeadSiteID = r.ArchiveSite
	}
	if r.QuarterSite != 0 {
		f.QuarterSite = r.QuarterSite
	}
}

// Close releases the database.
func (f *Fixture) Close() error { return f.Sys.Close() }

// DB is the database.
func (f *Fixture) DB() *db.DB { return f.Sys.DB }

func (f *Fixture) one(ctx context.Context, dst []any, query string, args ...any) error {
	err := f.Sys.DB.R.QueryRowContext(ctx, query, args...).Scan(dst...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("bench: the database has no %s", strings.Fields(query)[1])
	}
	return err
}

// discover picks the sample people and records by what the data holds, so
// any generated database (or the demo) can be measured.
func (f *Fixture) discover(ctx context.Context) error {
	today := app.Today(f.Now)
	if code := os.Getenv(EnvOrg); code != "" {
		if err := f.one(ctx, []any{&f.OrgID}, `SELECT id FROM organizations WHERE code = $1`, code); err != nil {
			return fmt.Errorf("organization %s: %w", code, err)
		}
	} else if err := f.one(ctx, []any{&f.OrgID}, `SELECT o.id FROM organizations o WHERE o.kind = 'agency'
		ORDER BY (SELECT COUNT(*) FROM staff s WHERE s.org_id = o.id) DESC, o.id LIMIT 1`); err != nil {
		return fmt.Errorf("organization: %w", err)
	}
	org := f.OrgID
	role := func(r string) (string, error) {
		var u string
		err := f.one(ctx, []any{&u}, `SELECT u.username FROM users u JOIN user_roles r ON r.org_id = u.org_id AND r.user_id = u.id
			WHERE u.org_id = $1 AND r.role = $2 AND u.status = 'active' ORDER BY u.id LIMIT 1`, org, r)
		return u, err
	}
	var err error
	if f.Director, err = role("director"); err != nil {
		return fmt.Errorf("director: %w", err)
	}
	if f.Admin, err = role("org_admin"); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	// The supervisor whose number of supervisees is nearest 20.
	if err := f.one(ctx, []any{&f.Supervisor, &f.Supervisee}, `SELECT u.username, COUNT(*) FROM supervisor_links l
		JOIN staff s ON s.org_id = l.org_id AND s.id = l.supervisor_id
		JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id
		WHERE l.org_id = $1 AND l.start_date <= $2 AND (l.end_date IS NULL OR l.end_date >= $2) AND u.status = 'active'
		GROUP BY u.id, u.username ORDER BY ABS(COUNT(*) - 20), u.id LIMIT 1`, org, today); err != nil {
		return fmt.Errorf("supervisor: %w", err)
	}
	// The worker with the most live cases.
	if err := f.one(ctx, []any{&f.Worker}, `SELECT u.username FROM cases c
		JOIN staff s ON s.org_id = c.org_id AND s.id = c.worker_id
		JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id
		JOIN user_roles r ON r.org_id = u.org_id AND r.user_id = u.id AND r.role = 'worker'
		WHERE c.org_id = $1 AND c.state <> 'archived' AND u.status = 'active'
		GROUP BY u.id, u.username ORDER BY COUNT(*) DESC, u.id LIMIT 1`, org); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	// A centre head and the service point they head.
	if err := f.one(ctx, []any{&f.Head, &f.HeadSiteID}, `SELECT u.username, a.site_id FROM users u
		JOIN user_roles r ON r.org_id = u.org_id AND r.user_id = u.id AND r.role = 'centre_head'
		JOIN staff s ON s.org_id = u.org_id AND s.user_id = u.id
		JOIN staff_assignments a ON a.org_id = s.org_id AND a.staff_id = s.id AND a.start_date <= $2 AND (a.end_date IS NULL OR a.end_date >= $2)
		WHERE u.org_id = $1 AND u.status = 'active'
		ORDER BY (SELECT COUNT(*) FROM cases c WHERE c.org_id = a.org_id AND c.site_id = a.site_id) DESC, u.id LIMIT 1`, org, today); err != nil {
		return fmt.Errorf("centre head: %w", err)
	}
	// The case whose number of follow-ups is nearest 200, opened by its worker.
	if err := f.one(ctx, []any{&f.CaseID, &f.Followups}, `SELECT case_id, COUNT(*) FROM case_followups WHERE org_id = $1
		GROUP BY case_id ORDER BY ABS(COUNT(*) - 200), case_id LIMIT 1`, org); err != nil {
		return fmt.Errorf("case: %w", err)
	}
	if err := f.one(ctx, []any{&f.CaseReader}, `SELECT COALESCE(u.username, '') FROM cases c
		JOIN staff s ON s.org_id = c.org_id AND s.id = c.worker_id LEFT JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id AND u.status = 'active'
		WHERE c.org_id = $1 AND c.id = $2`, org, f.CaseID); err != nil || f.CaseReader == "" {
		f.CaseReader = f.Director
	}
	// The year: the last full year, unless the records only begin this year.
	year := f.Now.Year() - 1
	var last int
	if err := f.one(ctx, []any{&last}, `SELECT COUNT(*) FROM activities WHERE org_id = $1 AND held_on >= $2 AND held_on <= $3`,
		org, app.NewDate(year, 1, 1), app.NewDate(year, 12, 31)); err != nil {
		return err
	}
	if last == 0 {
		year++
	}
	if f.Year, err = stats.YearPeriod(year); err != nil {
		return err
	}
	// The last full quarter, at the service point with the most activities in it.
	q := (int(f.Now.Month())-1)/3 + 1
	qy := f.Now.Year()
	if q--; q == 0 {
		q, qy = 4, qy-1
	}
	if f.Quarter, err = stats.QuarterPeriod(qy, q); err != nil {
		return err
	}
	if err := f.one(ctx, []any{&f.QuarterSite}, `SELECT s.id FROM sites s WHERE s.org_id = $1
		ORDER BY (SELECT COUNT(*) FROM activities a WHERE a.org_id = s.org_id AND a.site_id = s.id AND a.held_on >= $2 AND a.held_on <= $3) DESC, s.id LIMIT 1`,
		org, f.Quarter.From, f.Quarter.To); err != nil {
		return fmt.Errorf("quarter site: %w", err)
	}
	// The member of staff who recorded the most service records last month.
	lastMonth := today.MonthStart().AddMonths(-1)
	err = f.Sys.DB.R.QueryRowContext(ctx, `SELECT u.username, st.id FROM volunteer_services r
		JOIN users u ON u.org_id = r.org_id AND u.id = r.recorder_id AND u.status = 'active'
		JOIN staff st ON st.org_id = u.org_id AND st.user_id = u.id
		WHERE r.org_id = $1 AND r.service_date >= $2 AND r.service_date <= $3
		GROUP BY u.username, st.id ORDER BY COUNT(*) DESC, st.id LIMIT 1`, org, lastMonth, lastMonth.MonthEnd()).Scan(&f.Recorder, &f.RecorderStaff)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("recorder: %w", err)
	}
	// The archive check: the head's centre, last month.
	f.ArchiveSite = f.HeadSiteID
	f.ArchiveMonth = today.AddMonths(-1).String()[:7]
	return nil
}

// Session is a signed-in browser on the handler: requests go straight to
// the server's handler, with rendering and permission checks, and no
// network.
type Session struct {
	h      http.Handler
	cookie string
}

// Login signs username in through the sign-in form.
func (f *Fixture) Login(username string) (*Session, error) {
	form := url.Values{"username": {username}, "password": {f.Password}}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	f.Sys.Web.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		return nil, fmt.Errorf("bench: sign in %s: status %d", username, rec.Code)
	}
	var parts []string
	for _, c := range rec.Result().Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("bench: sign in %s: no session cookie", username)
	}
	return &Session{h: f.Sys.Web, cookie: strings.Join(parts, "; ")}, nil
}

// Get fetches path and returns the status and the body's length; w, when
// not nil, receives the body instead of a recorder (for large exports).
func (s *Session) Get(path string) (int, []byte) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Cookie", s.cookie)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// Stream fetches path into w and returns the status.
func (s *Session) Stream(path string, w io.Writer) int {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Cookie", s.cookie)
	sw := &streamWriter{w: w, h: http.Header{}, code: http.StatusOK}
	s.h.ServeHTTP(sw, req)
	return sw.code
}

type streamWriter struct {
	w    io.Writer
	h    http.Header
	code int
	n    int64
}

func (s *streamWriter) Header() http.Header { return s.h }
func (s *streamWriter) WriteHeader(c int)   { s.code = c }
func (s *streamWriter) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	s.n += int64(n)
	return n, err
}
