package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/server"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestWarnsWhenRowSecurityIsBypassed: serving as the tables' owner (here a
// superuser) leaves row-level security without effect, and start-up says
// so loudly; serving as the application role it does not.
func TestWarnsWhenRowSecurityIsBypassed(t *testing.T) {
	owner := dbtest.PostgresDSN(t)
	build := func(cfg server.Config) string {
		var buf syncBuf
		cfg.DataDir = t.TempDir()
		cfg.Log = slog.New(slog.NewTextHandler(&buf, nil))
		cfg.DBMode = db.ModeDeny
		sys, err := server.Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		sys.Close()
		return buf.String()
	}
	out := build(server.Config{DSN: owner})
	if !strings.Contains(out, "ROW-LEVEL SECURITY NOT ENFORCED") || !strings.Contains(out, "superuser") {
		t.Errorf("no warning when serving as a superuser owner: %q", out)
	}
	out = build(server.Config{DSN: dbtest.AppDSN(t, owner), DBOwner: owner})
	if strings.Contains(out, "ROW-LEVEL SECURITY") {
		t.Errorf("warning although the application role is held: %q", out)
	}
}

// TestServingAsAppRoleDeniesUnmarkedQueries: the served system's pool,
// used without an organization, sees nothing; the same pool with the
// system marker sees the platform's operator.
func TestServingAsAppRoleDeniesUnmarkedQueries(t *testing.T) {
	owner := dbtest.PostgresDSN(t)
	sys, err := server.Build(context.Background(), server.Config{DataDir: t.TempDir(), DSN: dbtest.AppDSN(t, owner),
		DBOwner: owner, DBMode: db.ModeDeny, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	ctx := context.Background()
	if _, _, err := sys.Org.BootstrapPlatform(db.System(ctx), "platform"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := sys.DB.R.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 0 {
		t.Errorf("unmarked query saw %d users (%v)", n, err)
	}
	if err := sys.DB.R.QueryRowContext(db.System(ctx), `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 1 {
		t.Errorf("system query saw %d users (%v)", n, err)
	}
	if err := sys.DB.R.QueryRowContext(db.WithOrg(ctx, 1), `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 1 {
		t.Errorf("platform organization saw %d users (%v)", n, err)
	}
}
