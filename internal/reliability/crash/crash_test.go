package crash

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"shegong/internal/db"
	"shegong/internal/dbtest"
)

// envInt reads a positive integer setting, or returns def.
func envInt(t testing.TB, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// TestCrashSQLite kills the server with SIGKILL under write load again and
// again (SHEGONG_CRASH_CYCLES, 100 by default) and checks after each restart
// that nothing acknowledged was lost and nothing was left half-written.
func TestCrashSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness skipped in -short mode")
	}
	t.Parallel()
	runCrash(t, sqliteDemo(t, tempDir(t)), envInt(t, "SHEGONG_CRASH_CYCLES", 100),
		envInt(t, "SHEGONG_CRASH_LOAD_MS", 300))
}

// TestCrashPostgres is the same on a fresh PostgreSQL schema: the server
// process is killed, the database keeps running
// (SHEGONG_CRASH_PG_CYCLES, 15 by default).
func TestCrashPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness skipped in -short mode")
	}
	dsn := dbtest.PostgresDSN(t)
	t.Parallel()
	dir := tempDir(t)
	runCrash(t, target{Data: filepath.Join(dir, "data"), DSN: dsn}, envInt(t, "SHEGONG_CRASH_PG_CYCLES", 15),
		envInt(t, "SHEGONG_CRASH_LOAD_MS", 500))
}

// runCrash is the cycle: load for a random few hundred milliseconds, SIGKILL,
// restart, check everything acknowledged so far.
func runCrash(t *testing.T, g target, cycles, loadMS int) {
	t0 := time.Now()
	s := startServer(t, g, true)
	t.Logf("server with the demo organization up in %s", time.Since(t0).Round(time.Millisecond))
	started := time.Now()
	w := discover(t, s.Base)
	l := newLedger()
	ld := newLoad(w, l)
	debug := os.Getenv("SHEGONG_CRASH_DEBUG") != ""
	verifyEvery := envInt(t, "SHEGONG_CRASH_VERIFY_EVERY", 10)
	var restart, check, verify time.Duration
	for i := 1; i <= cycles; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { ld.run(ctx, 2); close(done) }()
		// Kill once the load is under way (the first write of the cycle was
		// acknowledged, or a few seconds passed), at a random moment after.
		before := l.ackedCount()
		for wait := time.Now(); l.ackedCount() == before && time.Since(wait) < 5*time.Second; {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(loadMS+1)) * time.Millisecond)
		if debug {
			t.Logf("cycle %d: %s", i, l.counts())
		}
		s.kill()
		cancel()
		<-done

		t0 := time.Now()
		s = startServer(t, g, false)
		ld.on(s.Base)
		restart += time.Since(t0)

		t0 = time.Now()
		probs := checkOnce(t, g, l)
		check += time.Since(t0)
		if i%verifyEvery == 0 || i == cycles {
			t0 = time.Now()
			if out, err := auditVerify(t, g); err != nil {
				probs = append(probs, "shegong audit verify: "+err.Error()+": "+out)
			}
			verify += time.Since(t0)
		}
		if len(l.refused) > 0 {
			for k, n := range l.refused {
				probs = append(probs, "unexpected answer ("+strconv.Itoa(n)+"×): "+k)
			}
		}
		if len(probs) > 0 {
			s.stop()
			t.Fatalf("cycle %d of %d after SIGKILL:\n  %s\n%s", i, cycles, strings.Join(probs, "\n  "), l.counts())
		}
	}
	s.stop()
	if out, err := auditVerify(t, g); err != nil {
		t.Fatalf("shegong audit verify after a clean stop: %v: %s", err, out)
	}
	t.Logf("%d SIGKILL cycles survived on %s in %s (restarts %s, checks %s, audit verify %s): %s",
		cycles, dialectOf(g), time.Since(started).Round(time.Second), restart.Round(time.Millisecond),
		check.Round(time.Millisecond), verify.Round(time.Millisecond), l.counts())
	if os.Getenv("SHEGONG_CRASH_DEBUG") != "" {
		t.Log(s.logTail())
	}
	if l.acked == 0 || len(l.followups) == 0 || len(l.decisions) == 0 || len(l.sessions) == 0 || len(l.services) == 0 {
		t.Fatalf("the load did not exercise every kind of write: %s", l.counts())
	}
}

// tempDir is t.TempDir, or with SHEGONG_CRASH_DEBUG set a folder that is
// kept (and named in the log) for looking at the server logs afterwards.
func tempDir(t *testing.T) string {
	if os.Getenv("SHEGONG_CRASH_DEBUG") == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "shegong-crash-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("keeping %s", dir)
	return dir
}

func dialectOf(g target) string {
	if g.DSN != "" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// checkOnce opens the database beside the running server, checks it and
// closes it again, so that the harness never holds the SQLite file across a
// kill.
func checkOnce(t testing.TB, g target, l *ledger) []string {
	ctx := context.Background()
	d, err := db.Open(ctx, g.dsn())
	if err != nil {
		return []string{"open the database: " + err.Error()}
	}
	defer d.Close()
	return checkDatabase(ctx, t, d, l)
}
