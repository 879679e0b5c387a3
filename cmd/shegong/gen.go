package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"shegong/internal/gen"
	"shegong/internal/server"
)

// genCmd fills the database with a generated profile (see internal/gen)
// and prints the sign-ins and the rows per second.
func genCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	cfg := commonFlags(fs)
	name := fs.String("profile", "", "profile: "+strings.Join(gen.ProfileNames(), ", "))
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same data")
	scale := fs.Float64("scale", 1, "generate this fraction of the profile (e.g. 0.1 of city)")
	force := fs.Bool("force", false, "add to a database that already holds organizations")
	fs.Parse(args)
	p, ok := gen.Profiles[*name]
	if !ok {
		return fmt.Errorf("gen needs --profile, one of: %s", strings.Join(gen.ProfileNames(), ", "))
	}
	if *scale != 1 {
		p = p.Scaled(*scale)
	}
	sys, err := server.Build(ctx, *cfg)
	if err != nil {
		return err
	}
	defer sys.Close()
	rep, err := gen.RunWith(ctx, sys.DB, sys.Cipher, p, *seed, time.Now(), os.Stderr, gen.Options{Force: *force})
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	return nil
}
