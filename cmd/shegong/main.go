// Command shegong runs the social work service management system.
//
//	shegong serve [--addr HOST:PORT] [--data DIR] [--db DSN] [--demo]
//	shegong migrate [--data DIR] [--db DSN]
//	shegong audit verify [--data DIR] [--db DSN]
//	shegong audit purge [--keep-months 36] [--dry-run] [--data DIR] [--db DSN]
//	shegong backup [--data DIR] [--db DSN] [--out FILE]
//	shegong restore --from FILE [--data DIR] [--db DSN] [--force]
//	shegong load [--data DIR] [--db DSN] [--users N] [--duration D] [--rate R]
//	shegong stats rebuild [--data DIR] [--db DSN] [--org CODE]
//	shegong gen --profile NAME [--seed N] [--data DIR] [--db DSN] [--force]
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"shegong/internal/audit"
	"shegong/internal/backup"
	"shegong/internal/db"
	"shegong/internal/demo"
	"shegong/internal/server"
	"shegong/internal/tally"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, os.Args[2:])
	case "migrate":
		err = migrate(ctx, os.Args[2:])
	case "audit":
		switch {
		case len(os.Args) >= 3 && os.Args[2] == "verify":
			err = auditVerify(ctx, os.Args[3:])
		case len(os.Args) >= 3 && os.Args[2] == "purge":
			err = auditPurge(ctx, os.Args[3:])
		default:
			usage()
			os.Exit(2)
		}
	case "backup":
		err = backupCmd(ctx, os.Args[2:])
	case "restore":
		err = restoreCmd(ctx, os.Args[2:])
	case "load":
		err = loadCmd(ctx, os.Args[2:])
	case "gen":
		err = genCmd(ctx, os.Args[2:])
	case "stats":
		if len(os.Args) < 3 || os.Args[2] != "rebuild" {
			usage()
			os.Exit(2)
		}
		err = statsRebuild(ctx, os.Args[3:])
	case "help", "-h", "--help":
		usage()
		return
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shegong:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `shegong — 社工服务管理系统

usage:
  shegong serve   [--addr 127.0.0.1:8080] [--data ./data] [--db DSN] [--demo]
  shegong migrate [--data ./data] [--db DSN]
  shegong audit verify [--data ./data] [--db DSN]
  shegong audit purge  [--keep-months 36] [--dry-run] [--data ./data] [--db DSN]
  shegong backup  [--data ./data] [--db DSN] [--out FILE]
  shegong restore --from FILE [--data ./data] [--db DSN] [--force]
  shegong stats rebuild [--data ./data] [--db DSN] [--org CODE]
  shegong gen     --profile small|agency|agency-large|city [--seed 1] [--data ./data] [--db DSN] [--force]
  shegong load    [--data ./data] [--db DSN] [--users 50] [--duration 60s] [--rate 0] [--json]

--db takes a postgres:// URL; without it the embedded SQLite file in --data is used.
Environment: SHEGONG_DB, SHEGONG_DATA and SHEGONG_ADDR set the same defaults.
`)
}

// common flags shared by every command.
func commonFlags(fs *flag.FlagSet) *server.Config {
	cfg := &server.Config{}
	fs.StringVar(&cfg.DataDir, "data", envOr("SHEGONG_DATA", "data"), "data folder")
	cfg.Key = os.Getenv("SHEGONG_KEY")
	fs.StringVar(&cfg.DSN, "db", os.Getenv("SHEGONG_DB"), "database: postgres:// URL or SQLite file (default DATA/shegong.db)")
	fs.StringVar(&cfg.DBOwner, "db-owner", os.Getenv("SHEGONG_DB_OWNER"), "PostgreSQL: URL of the role owning the tables (migrations, backup, restore); --db is then the application's role, held by row-level security")
	return cfg
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// serveMemoryLimit is the Go heap's soft limit in the server unless
// GOMEMLIMIT says otherwise.
const serveMemoryLimit = 96 << 20

// serveGCPercent is the server's GOGC unless the environment sets one.
const serveGCPercent = 400

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	cfg := commonFlags(fs)
	addr := fs.String("addr", envOr("SHEGONG_ADDR", "127.0.0.1:8080"), "listen address")
	withDemo := fs.Bool("demo", false, "load the demo organization (once) and print its sign-ins")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (when served over HTTPS)")
	pprofAddr := fs.String("pprof", "", "serve Go's profiler on this loopback address (for performance work; off by default)")
	fs.Parse(args)
	if *pprofAddr != "" {
		if err := servePprof(*pprofAddr); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	cfg.Log = log
	cfg.SecureCookies = *secure
	cfg.DBMode = db.ModeDeny // a request without an organization sees none
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit: the collector works harder as the heap nears it
		// instead of letting it double under a burst of large pages; it
		// never fails an allocation (docs/PERFORMANCE.md, Memory).
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		// Collect when the heap has grown by four times what was live,
		// not once: a request allocates a few hundred kilobytes and keeps
		// nothing, so the default collected every few dozen requests. The
		// soft limit above still bounds the heap (docs/PERFORMANCE.md).
		debug.SetGCPercent(serveGCPercent)
	}
	start := time.Now()
	sys, err := server.Build(ctx, *cfg)
	if err != nil {
		return err
	}
	defer sys.Close()
	if err := bootstrap(db.System(ctx), sys, *withDemo); err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           sys.Web,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", "http://"+*addr, "db", string(sys.DB.Dialect), "startup_ms", time.Since(start).Milliseconds())
	fmt.Fprintf(os.Stdout, "shegong serving on http://%s\n", *addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ExitOnError)
	cfg := commonFlags(fs)
	fs.Parse(args)
	d, err := server.Open(ctx, *cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Println("migrations applied:", d.Dialect)
	return nil
}

// statsRebuild recounts the statistics counters of every organization (or
// the one with --org) from their records.
func statsRebuild(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("stats rebuild", flag.ExitOnError)
	cfg := commonFlags(fs)
	code := fs.String("org", "", "organization code (default: every organization)")
	fs.Parse(args)
	d, err := server.Open(ctx, *cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	sys := db.System(ctx)
	q := `SELECT id, code FROM organizations WHERE kind = 'agency'`
	qargs := []any{}
	if *code != "" {
		q += ` AND code = $1`
		qargs = append(qargs, *code)
	}
	rows, err := d.R.QueryContext(sys, q+` ORDER BY id`, qargs...)
	if err != nil {
		return err
	}
	type org struct {
		id   int64
		code string
	}
	var orgs []org
	for rows.Next() {
		var o org
		if err := rows.Scan(&o.id, &o.code); err != nil {
			rows.Close()
			return err
		}
		orgs = append(orgs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if *code != "" && len(orgs) == 0 {
		return fmt.Errorf("no organization with code %q", *code)
	}
	for _, o := range orgs {
		start := time.Now()
		if err := d.Tx(sys, func(tx *sql.Tx) error { return tally.Rebuild(sys, tx, d.Dialect, o.id) }); err != nil {
			return err
		}
		fmt.Printf("statistics counters rebuilt: %s in %s\n", o.code, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func auditVerify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit verify", flag.ExitOnError)
	cfg := commonFlags(fs)
	fs.Parse(args)
	d, err := server.Open(ctx, *cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	res, err := audit.Verify(ctx, d)
	if err != nil {
		return err
	}
	for _, p := range res.Problems {
		fmt.Println("BROKEN", p)
	}
	if len(res.Problems) > 0 {
		return fmt.Errorf("audit log verification failed: %d problem(s) in %d rows", len(res.Problems), res.Rows)
	}
	fmt.Printf("audit log intact: %d rows in %d chains\n", res.Rows, res.Orgs)
	return nil
}

// auditPurge removes audit rows older than the retention through each
// chain's anchor, then verifies the log.
func auditPurge(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit purge", flag.ExitOnError)
	cfg := commonFlags(fs)
	def := audit.DefaultRetentionMonths
	if v := os.Getenv("SHEGONG_AUDIT_KEEP_MONTHS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("SHEGONG_AUDIT_KEEP_MONTHS=%q is not a number of months", v)
		}
		def = n
	}
	months := fs.Int("keep-months", def, fmt.Sprintf("keep this many months of audit log (at least %d)", audit.MinRetentionMonths))
	dry := fs.Bool("dry-run", false, "only report what would be removed")
	fs.Parse(args)
	if *months < audit.MinRetentionMonths {
		return fmt.Errorf("--keep-months %d: the audit log is kept at least %d months", *months, audit.MinRetentionMonths)
	}
	d, err := server.Open(ctx, *cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	now := time.Now()
	res, err := audit.Purge(ctx, d, now, *months, *dry)
	if err != nil {
		return err
	}
	verb := "purged"
	if *dry {
		verb = "would purge"
	}
	var total int64
	for _, r := range res {
		fmt.Printf("org %d: %s %d rows through seq %d (older than %s)\n", r.OrgID, verb, r.Deleted, r.ThroughSeq, r.Cutoff.Format(time.RFC3339))
		total += r.Deleted
	}
	fmt.Printf("%s %d audit rows older than %s (keeping %d months)\n", verb, total, audit.Cutoff(now, *months).Format(time.RFC3339), *months)
	v, err := audit.Verify(ctx, d)
	if err != nil {
		return err
	}
	if len(v.Problems) > 0 {
		return fmt.Errorf("audit log verification failed after the purge: %d problem(s); run `shegong audit verify`", len(v.Problems))
	}
	fmt.Printf("audit log intact: %d rows in %d chains\n", v.Rows, v.Orgs)
	return nil
}

// backupCmd writes a consistent copy of the database; it may run while the
// server is serving.
func backupCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ExitOnError)
	cfg := commonFlags(fs)
	out := fs.String("out", "", "backup file (default DATA/backups/shegong-YYYYMMDD-HHMMSS.db, .dump on PostgreSQL)")
	fs.Parse(args)
	dsn := cfg.DatabaseDSN()
	if cfg.DBOwner != "" {
		dsn = cfg.DBOwner
	}
	if !db.IsPostgres(dsn) {
		if _, err := os.Stat(dsn); err != nil {
			return fmt.Errorf("no database to back up: %w", err)
		}
	}
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if *out == "" {
		*out = backup.DefaultPath(cfg.DataFolder(), d.Dialect, time.Now())
	}
	res, err := backup.Backup(ctx, d, *out)
	for _, s := range res.Steps {
		fmt.Println(s)
	}
	return err
}

// restoreCmd replaces the database with a backup; the server must be stopped.
func restoreCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ExitOnError)
	cfg := commonFlags(fs)
	from := fs.String("from", "", "backup file to restore (required)")
	force := fs.Bool("force", false, "replace an existing database (the current one is kept aside)")
	fs.Parse(args)
	if *from == "" {
		return errors.New("restore needs --from FILE")
	}
	dsn := cfg.DatabaseDSN()
	if cfg.DBOwner != "" {
		dsn = cfg.DBOwner
	}
	res, err := backup.Restore(ctx, backup.RestoreOptions{From: *from, DSN: dsn,
		DataDir: cfg.DataFolder(), Force: *force, Now: time.Now})
	for _, s := range res.Steps {
		fmt.Println(s)
	}
	return err
}

// bootstrap creates the first platform operator on an empty system and
// prints its initial password once.
func bootstrap(ctx context.Context, sys *server.System, withDemo bool) error {
	if withDemo {
		if err := demo.PlatformOperator(ctx, sys.DB, sys.Cfg.Now()); err != nil {
			return err
		}
		logins, loaded, err := demo.Load(ctx, sys.DB, sys.Cipher, sys.Cfg.Now())
		if err != nil {
			return err
		}
		if loaded {
			fmt.Println("demo organization loaded: 东莞市绿叶社会工作服务中心")
		}
		demo.Print(os.Stdout, logins)
	}
	user, pw, err := sys.Org.BootstrapPlatform(ctx, "platform")
	if err != nil {
		return err
	}
	if pw != "" {
		fmt.Printf("platform operator created: %s %s (change it at first sign-in)\n", user, pw)
	}
	return nil
}
