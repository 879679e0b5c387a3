package bench

import (
	"context"
	"time"

	"shegong/internal/gen"
	"shegong/internal/server"
)

// defaultPassword is the password of the accounts of a generated database.
const defaultPassword = gen.Password

// Seed is the generator's seed for the database the benchmarks make.
const Seed = 1

// generate fills a fresh database with the small profile and returns the
// generator's report.
func generate(ctx context.Context, sys *server.System, now time.Time) (*gen.Report, error) {
	rep, err := gen.Run(ctx, sys.DB, sys.Cipher, gen.Profiles["small"], Seed, now, nil)
	if err != nil {
		return nil, err
	}
	return &rep, nil
}
