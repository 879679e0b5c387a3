package bench

import (
	"context"
	"time"

	"shegong/internal/demo"
	"shegong/internal/server"
)

// defaultPassword is the password of the sample accounts of a generated
// database.
const defaultPassword = demo.Password

// generate fills a fresh database with the data the benchmarks measure.
func generate(ctx context.Context, sys *server.System, now time.Time) error {
	if _, _, err := demo.Load(ctx, sys.DB, sys.Cipher, now); err != nil {
		return err
	}
	return nil
}
