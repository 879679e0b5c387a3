// Package gen fills a database with realistic, reproducible data for
// benchmarks and trials: organizations with service points, staff and
// sign-ins, clients whose personal data is encrypted and blind-indexed as
// the client register does it, cases in every state of the lifecycle with
// their follow-ups, groups with sessions and attendance, community
// activities, volunteers, teams and service records.
//
// The same profile, seed and day give the same data (ciphertexts and
// password hashes aside, whose nonces and salts are random by design).
// Rows go in through bulk paths: multi-row prepared INSERTs in one
// transaction per organization on SQLite, COPY on PostgreSQL.
//
// Bulk rows write no audit entries: the audit log records what people did,
// and nobody did this. The hash chains stay intact, so `shegong audit
// verify` passes on a generated database. Goal progress marks, approval
// histories of decided requests and the contact checks' notes are not
// generated; the pending requests (openings and closures awaiting a
// supervisor) are, with their steps and assignees, so to-do lists work.
package gen

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shegong/internal/app"
	"shegong/internal/auth"
	"shegong/internal/db"
	"shegong/internal/pii"
	"shegong/internal/tally"
)

// Password is the password of every generated account.
const Password = "Gen-2026-shegong"

// Sample is a generated account the benchmarks sign in with.
type Sample struct {
	Role     string
	Username string
	UserID   int64
	StaffID  int64 // 0 for the administrator
}

// TableStat is what was written to one table.
type TableStat struct {
	Table      string
	Rows       int64
	Write      time.Duration // time spent in the database writing them
	RowsPerSec float64
}

// Report says what was generated, how fast, and the handles benchmarks need.
type Report struct {
	Profile    string
	Seed       int64
	Dialect    db.Dialect
	Tables     []TableStat
	Rows       int64
	Elapsed    time.Duration
	RowsPerSec float64

	OrgIDs     []int64 // the first is the largest organization; the samples are in it
	Password   string
	Worker     Sample // a front-line worker with a typical case load, supervised by Supervisor
	Supervisor Sample // exactly 20 supervisees
	CentreHead Sample // head of Worker's service point
	Director   Sample // 总干事
	Admin      Sample // 机构管理员
	// Case200 is a case of Worker with exactly 200 follow-ups.
	Case200 int64
	// ArchiveSite and ArchiveMonth ("2026-04") are a service point and a
	// finished month for the archive check; QuarterSite is a service point
	// for a quarter's statistics (Worker's).
	ArchiveSite  int64
	ArchiveMonth string
	QuarterSite  int64
}

// Print writes the report: the sign-ins (one per line as "gen login: ROLE
// USERNAME PASSWORD", like the demo), the handles and the per-table figures.
func (r Report) Print(w io.Writer) {
	for _, s := range []Sample{r.Worker, r.Supervisor, r.CentreHead, r.Director, r.Admin} {
		fmt.Fprintf(w, "gen login: %s %s %s\n", s.Role, s.Username, r.Password)
	}
	fmt.Fprintf(w, "organizations: %v\ncase with 200 follow-ups: %d\narchive check: site %d month %s\nquarter site: %d\n",
		r.OrgIDs, r.Case200, r.ArchiveSite, r.ArchiveMonth, r.QuarterSite)
	fmt.Fprintf(w, "%-26s %12s %10s %12s\n", "table", "rows", "write", "rows/s")
	for _, t := range r.Tables {
		fmt.Fprintf(w, "%-26s %12d %10s %12.0f\n", t.Table, t.Rows, t.Write.Round(time.Millisecond), t.RowsPerSec)
	}
	fmt.Fprintf(w, "profile %s seed %d on %s: %d rows in %s, %.0f rows/s\n", r.Profile, r.Seed, r.Dialect, r.Rows,
		r.Elapsed.Round(time.Millisecond), r.RowsPerSec)
}

// Options change how Run works.
type Options struct {
	// Force allows generating into a database that already has agencies.
	Force bool
	// Safe keeps every constraint and index live during the load (slower);
	// the default defers SQLite's secondary indexes and foreign key checks
	// for large profiles and, where the role may, PostgreSQL's triggers.
	Safe bool
}

// Run generates profile p with seed into d, c encrypting personal data as
// the client and volunteer services do, dates ending at now. It refuses a
// database that already holds an agency. Progress lines go to progress
// (may be nil).
func Run(ctx context.Context, d *db.DB, c *pii.Cipher, p Profile, seed int64, now time.Time, progress io.Writer) (Report, error) {
	return RunWith(ctx, d, c, p, seed, now, progress, Options{})
}

// Empty reports whether d holds no agency yet.
func Empty(ctx context.Context, d *db.DB) (bool, error) {
	var n int
	err := d.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM organizations WHERE kind = 'agency'`).Scan(&n)
	return n == 0, err
}

// RunWith is Run with options.
func RunWith(ctx context.Context, d *db.DB, c *pii.Cipher, p Profile, seed int64, now time.Time, progress io.Writer, o Options) (Report, error) {
	rep := Report{Profile: p.Name, Seed: seed, Dialect: d.Dialect, Password: Password}
	if err := p.Validate(); err != nil {
		return rep, err
	}
	if progress == nil {
		progress = io.Discard
	}
	empty, err := Empty(ctx, d)
	if err != nil {
		return rep, err
	}
	if !empty && !o.Force {
		return rep, fmt.Errorf("gen: the database already holds organizations; use --force to add more")
	}
	start := time.Now()
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return rep, err
	}
	g := &run{ctx: ctx, d: d, cipher: c, p: p, seed: seed, now: now.UTC(), hash: hash, log: progress,
		next: map[*table]int64{}, cnt: &counter{rows: map[string]int64{}, dur: map[string]time.Duration{}}, opt: o,
		empty: empty}
	g.today = dayOf(now.In(app.Local))
	for _, t := range idTables {
		var m sql.NullInt64
		if err := d.W.QueryRowContext(ctx, `SELECT MAX(id) FROM `+t.name).Scan(&m); err != nil {
			return rep, fmt.Errorf("gen: max id of %s: %w", t.name, err)
		}
		g.next[t] = m.Int64 + 1
	}
	if d.Dialect == db.Postgres {
		err = g.postgres()
	} else {
		err = g.sqlite()
	}
	if err != nil {
		return rep, err
	}
	// The bulk load bypasses the services, which keep the statistics
	// counters: count them once from the loaded records.
	tallyStart := time.Now()
	for _, org := range g.orgIDs {
		if err := d.Tx(db.System(ctx), func(tx *sql.Tx) error {
			return tally.Rebuild(db.System(ctx), tx, d.Dialect, org)
		}); err != nil {
			return rep, fmt.Errorf("gen: statistics counters: %w", err)
		}
	}
	g.cnt.add(&table{name: "(statistics counters)"}, 0, time.Since(tallyStart))
	g.logf("statistics counters built in %s", time.Since(tallyStart).Round(time.Millisecond))
	rep.Elapsed = time.Since(start)
	for _, t := range tables {
		n := g.cnt.rows[t.name]
		if n == 0 {
			continue
		}
		st := TableStat{Table: t.name, Rows: n, Write: g.cnt.dur[t.name]}
		if st.Write > 0 {
			st.RowsPerSec = float64(n) / st.Write.Seconds()
		}
		rep.Tables = append(rep.Tables, st)
		rep.Rows += n
	}
	rep.RowsPerSec = float64(rep.Rows) / rep.Elapsed.Seconds()
	rep.OrgIDs = g.orgIDs
	s := g.samples
	rep.Worker, rep.Supervisor, rep.CentreHead, rep.Director, rep.Admin = s.worker, s.supervisor, s.head, s.director, s.admin
	rep.Case200, rep.ArchiveSite, rep.QuarterSite = s.case200, s.site, s.site
	rep.ArchiveMonth = g.today.time().AddDate(0, -1, 0).Format("2006-01")
	return rep, nil
}

// run is one generation.
type run struct {
	ctx    context.Context
	d      *db.DB
	cipher *pii.Cipher
	p      Profile
	seed   int64
	now    time.Time
	today  day
	hash   string
	log    io.Writer
	opt    Options
	empty  bool // no agency before: a failed load may be thrown away
	next   map[*table]int64
	cnt    *counter
	orgIDs []int64

	samples samples
}

type samples struct {
	worker, supervisor, head, director, admin Sample
	case200, site                             int64
}

func (g *run) id(t *table) int64 {
	id := g.next[t]
	g.next[t]++
	return id
}

func (g *run) logf(format string, args ...any) {
	fmt.Fprintf(g.log, "gen: "+format+"\n", args...)
}

// dropIndexes builds secondary indexes after a large SQLite load.
var dropIndexes = true

// bulkIndexes are the tables whose secondary indexes a large SQLite load
// builds after the rows are in.
var bulkIndexes = []string{"clients", "cases", "case_goals", "case_followups", "case_events", "group_members",
	"group_sessions", "group_attendance", "activities", "volunteers", "volunteer_team_members", "volunteer_services",
	"client_category_links", "client_consents", "client_contact_checks"}

func (g *run) sqlite() error {
	ctx := g.ctx
	conn, err := g.d.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	fast := !g.opt.Safe && g.p.Rows() > 200_000
	pragmas := []string{"PRAGMA cache_size = -262144", "PRAGMA temp_store = MEMORY", "PRAGMA threads = 2"}
	restore := []string{"PRAGMA cache_size = -2000", "PRAGMA temp_store = DEFAULT", "PRAGMA threads = 0"}
	if fast {
		pragmas = append(pragmas, "PRAGMA foreign_keys = OFF", "PRAGMA synchronous = OFF")
		restore = append(restore, "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL")
	}
	for _, q := range pragmas {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("gen: %s: %w", q, err)
		}
	}
	defer func() {
		for _, q := range restore {
			conn.ExecContext(context.Background(), q)
		}
	}()
	// Into a database without agencies, a large load writes the pages once,
	// without the write-ahead log (a failed load leaves a file to throw
	// away); the log is back on afterwards. The switch needs the only
	// connection; when another is open the load keeps the log.
	if fast && g.empty {
		var mode string
		if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = OFF").Scan(&mode); err == nil && mode == "off" {
			defer func() {
				if err := conn.QueryRowContext(context.Background(), "PRAGMA journal_mode = WAL").Scan(&mode); err != nil || mode != "wal" {
					g.logf("could not turn the write-ahead log back on (%s, %v): reopen the database", mode, err)
				}
			}()
			g.logf("loading without the write-ahead log")
		}
	}
	// Secondary indexes are dropped and built again from their own stored
	// definitions, which is faster than keeping them up to date row by row.
	var indexes []string
	if fast && dropIndexes {
		var names []string
		for _, t := range bulkIndexes {
			rows, err := conn.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, t)
			if err != nil {
				return err
			}
			for rows.Next() {
				var name, def string
				if err := rows.Scan(&name, &def); err != nil {
					rows.Close()
					return err
				}
				names = append(names, name)
				indexes = append(indexes, def)
			}
			rows.Close()
		}
		for _, name := range names {
			if _, err := conn.ExecContext(ctx, `DROP INDEX `+name); err != nil {
				return err
			}
		}
	}
	parts := g.p.split()
	for k, part := range parts {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		s := newSQLiteSink(ctx, tx, g.cnt, !fast)
		err = g.org(s, part, k)
		if err == nil {
			err = s.flush()
		}
		s.close()
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	if len(indexes) > 0 {
		start := time.Now()
		g.logf("building %d indexes", len(indexes))
		for _, def := range indexes {
			if _, err := conn.ExecContext(ctx, def); err != nil {
				return fmt.Errorf("gen: rebuild index: %s: %w", def, err)
			}
		}
		g.cnt.add(&table{name: "(indexes)"}, 0, time.Since(start))
		g.logf("indexes built in %s", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func (g *run) postgres() error {
	ctx := g.ctx
	conn, err := g.d.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, err := db.PgxConn(ctx, dc)
		if err != nil {
			return err
		}
		replica := false
		if !g.opt.Safe {
			// Without triggers COPY skips the per-row foreign key checks;
			// only a superuser may, and the rows are made consistent anyway.
			if _, err := pc.Exec(ctx, "SET session_replication_role = replica"); err == nil {
				replica = true
				defer pc.Exec(context.Background(), "SET session_replication_role = DEFAULT")
			}
		}
		parts := g.p.split()
		for k, part := range parts {
			tx, err := pc.Begin(ctx)
			if err != nil {
				return err
			}
			s := newPGSink(ctx, tx, g.cnt)
			err = g.org(s, part, k)
			if err == nil {
				err = s.flush()
			}
			if err != nil {
				tx.Rollback(ctx)
				return err
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
		}
		if replica {
			g.logf("loaded without per-row foreign key triggers (superuser)")
		}
		// Identity columns continue after the generated ids.
		for _, t := range idTables {
			if g.cnt.rows[t.name] == 0 {
				continue
			}
			if _, err := pc.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))`,
				t.name, t.name)); err != nil {
				return fmt.Errorf("gen: sequence of %s: %w", t.name, err)
			}
		}
		start := time.Now()
		if _, err := pc.Exec(ctx, "ANALYZE"); err != nil {
			return err
		}
		g.logf("analyzed in %s", time.Since(start).Round(time.Millisecond))
		_ = pgx.Identifier{}
		return nil
	})
}

// sortDays sorts in place.
func sortDays(ds []day) { sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] }) }

// newRand is the generator of organization k: PCG seeded by the seed and k.
func newRand(seed int64, k int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(k)*0x9E3779B97F4A7C15+1))
}

var _ = strings.Repeat
