package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"shegong/internal/load"
)

// loadCmd runs the load generator against a server it starts itself on
// 127.0.0.1 (see docs/PERFORMANCE.md).
func loadCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	cfg := commonFlags(fs)
	users := fs.Int("users", 50, "signed-in sessions, each a concurrent client")
	rate := fs.Int("rate", 0, "requests per second (0: each user sends its next request when answered)")
	dur := fs.Duration("duration", 60*time.Second, "length of the mixed load (and of the bare handler run)")
	org := fs.String("org", "", "organization code (default: the agency with the most staff)")
	password := fs.String("password", envOr("SHEGONG_BENCH_PASSWORD", ""), "password of the accounts")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write the server's CPU profile of the mixed load to this file")
	fs.Parse(args)
	if cfg.DSN == "" {
		cfg.DSN = cfg.DatabaseDSN()
	}
	if *password == "" {
		*password = defaultLoadPassword
	}
	rep, err := load.Run(ctx, load.Config{DSN: cfg.DSN, DataDir: cfg.DataDir, Org: *org, Password: *password, Users: *users,
		Rate: *rate, Duration: *dur, Out: os.Stderr, CPUProfile: *cpuProfile})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.Print(os.Stdout)
	}
	if err := rep.Check(); err != nil {
		return fmt.Errorf("%w", err)
	}
	return nil
}
