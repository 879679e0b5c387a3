// Command shegong runs the social work service management system.
//
//	shegong serve [--addr HOST:PORT] [--data DIR] [--db DSN] [--demo]
//	shegong migrate [--data DIR] [--db DSN]
//	shegong audit verify [--data DIR] [--db DSN]
//	shegong backup [--data DIR] [--db DSN] [--out FILE]
//	shegong restore --from FILE [--data DIR] [--db DSN] [--force]
//	shegong load [--data DIR] [--db DSN] [--users N] [--duration D] [--rate R]
//	shegong gen --profile NAME [--seed N] [--data DIR] [--db DSN] [--force]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"shegong/internal/audit"
	"shegong/internal/backup"
	"shegong/internal/db"
	"shegong/internal/demo"
	"shegong/internal/server"
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
		if len(os.Args) < 3 || os.Args[2] != "verify" {
			usage()
			os.Exit(2)
		}
		err = auditVerify(ctx, os.Args[3:])
	case "backup":
		err = backupCmd(ctx, os.Args[2:])
	case "restore":
		err = restoreCmd(ctx, os.Args[2:])
	case "load":
		err = loadCmd(ctx, os.Args[2:])
	case "gen":
		err = genCmd(ctx, os.Args[2:])
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
  shegong backup  [--data ./data] [--db DSN] [--out FILE]
  shegong restore --from FILE [--data ./data] [--db DSN] [--force]
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
	return cfg
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	cfg := commonFlags(fs)
	addr := fs.String("addr", envOr("SHEGONG_ADDR", "127.0.0.1:8080"), "listen address")
	withDemo := fs.Bool("demo", false, "load the demo organization (once) and print its sign-ins")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (when served over HTTPS)")
	fs.Parse(args)
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	cfg.Log = log
	cfg.SecureCookies = *secure
	start := time.Now()
	sys, err := server.Build(ctx, *cfg)
	if err != nil {
		return err
	}
	defer sys.Close()
	if err := bootstrap(ctx, sys, *withDemo); err != nil {
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

// backupCmd writes a consistent copy of the database; it may run while the
// server is serving.
func backupCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ExitOnError)
	cfg := commonFlags(fs)
	out := fs.String("out", "", "backup file (default DATA/backups/shegong-YYYYMMDD-HHMMSS.db, .dump on PostgreSQL)")
	fs.Parse(args)
	dsn := cfg.DatabaseDSN()
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
	res, err := backup.Restore(ctx, backup.RestoreOptions{From: *from, DSN: cfg.DatabaseDSN(),
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
