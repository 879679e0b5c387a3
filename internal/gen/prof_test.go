package gen

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"shegong/internal/db"
)

func TestProfScaled(t *testing.T) {
	if os.Getenv("GEN_PROF") == "" {
		t.Skip()
	}
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, d, testCipher(t), Profiles["agency-large"].Scaled(0.05), 1, testNow, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	rep.Print(os.Stderr)
}
