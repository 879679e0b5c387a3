package crash

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pgCluster is a throwaway PostgreSQL cluster of the test's own, on its own
// port, so that restarting it disturbs nobody else's database.
type pgCluster struct {
	t      testing.TB
	bin    string // the server's bin folder
	dir    string
	data   string
	port   int
	asUser []string // runuser prefix when the test runs as root
}

// newCluster creates and starts a cluster with initdb and pg_ctl, and stops
// and removes it at cleanup.
func newCluster(t testing.TB) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Strings(bins)
	c := &pgCluster{t: t}
	if len(bins) > 0 {
		c.bin = filepath.Dir(bins[len(bins)-1])
	} else if p, err := exec.LookPath("initdb"); err == nil {
		c.bin = filepath.Dir(p)
	} else {
		t.Skip("SKIPPED: PostgreSQL server binaries (initdb, pg_ctl) not found")
	}
	dir, err := os.MkdirTemp("", "shegong-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir, c.data = dir, filepath.Join(dir, "data")
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: the cluster belongs to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			t.Skip("SKIPPED: running as root and there is no postgres user to own a throwaway cluster")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	t.Cleanup(func() {
		c.pgctl("stop", "-m", "immediate", "-w")
		os.RemoveAll(c.dir)
	})
	if out, err := c.run(filepath.Join(c.bin, "initdb"), "-D", c.data, "-A", "trust", "-U", "postgres",
		"--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		t.Fatalf("initdb: %v: %s", err, out)
	}
	addr := freeAddr(t)
	c.port, _ = strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
	c.start()
	return c
}

func (c *pgCluster) run(bin string, args ...string) (string, error) {
	cmdline := append(append([]string{}, c.asUser...), bin)
	cmdline = append(cmdline, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cmdline[0], cmdline[1:]...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *pgCluster) pgctl(args ...string) (string, error) {
	return c.run(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.data}, args...)...)
}

// start starts the cluster and waits until it accepts connections.
func (c *pgCluster) start() {
	c.t.Helper()
	// fsync=off: the crash here is of the PostgreSQL processes, not of the
	// machine, so what was written to the operating system survives it as
	// it would with fsync; recovery still replays the write-ahead log.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB -c fsync=off",
		c.port, c.dir)
	if out, err := c.pgctl("start", "-w", "-t", "120", "-l", filepath.Join(c.dir, "postgres.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
		c.t.Fatalf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
}

// crash stops the cluster the way a crash does: immediate shutdown, no
// checkpoint, so the next start replays the write-ahead log.
func (c *pgCluster) crash() {
	c.t.Helper()
	if out, err := c.pgctl("stop", "-m", "immediate", "-w"); err != nil {
		c.t.Fatalf("pg_ctl stop -m immediate: %v: %s", err, out)
	}
}

func (c *pgCluster) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// TestCrashPostgresRestart crashes PostgreSQL itself (immediate shutdown)
// under write load while the server keeps running, starts it again and
// checks that the server recovers on its own and that the database holds
// every acknowledged write. It needs the PostgreSQL server binaries and
// runs when SHEGONG_CRASH_PG_RESTART=1 (CI runs it as its own stage after
// the main tests); SHEGONG_CRASH_PG_RESTARTS sets the number of crashes.
func TestCrashPostgresRestart(t *testing.T) {
	if os.Getenv("SHEGONG_CRASH_PG_RESTART") == "" {
		t.Skip("SKIPPED: set SHEGONG_CRASH_PG_RESTART=1 to crash a throwaway PostgreSQL cluster under load")
	}
	restarts := envInt(t, "SHEGONG_CRASH_PG_RESTARTS", 3)
	cl := newCluster(t)
	dir := tempDir(t)
	g := target{Data: filepath.Join(dir, "data"), DSN: cl.dsn()}
	t0 := time.Now()
	s := startServer(t, g, true)
	defer s.stop()
	t.Logf("server with the demo organization up on a throwaway cluster in %s", time.Since(t0).Round(time.Millisecond))
	w := discover(t, s.Base)
	l := newLedger()
	ld := newLoad(w, l)
	ld.strict = false
	started := time.Now()
	var recovery []string
	for i := 1; i <= restarts; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { ld.run(ctx, 2); close(done) }()
		before := l.ackedCount()
		for wait := time.Now(); l.ackedCount() == before && time.Since(wait) < 10*time.Second; {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(400)) * time.Millisecond)
		cl.crash()
		down := time.Now()
		time.Sleep(300 * time.Millisecond) // the load meets a database that is gone
		cl.start()
		up := time.Now()
		// The server must recover by itself: writes are acknowledged again.
		after := l.ackedCount()
		for l.ackedCount() < after+5 && time.Since(up) < 60*time.Second {
			time.Sleep(5 * time.Millisecond)
		}
		recovered := l.ackedCount() >= after+5
		recovery = append(recovery, fmt.Sprintf("down %s, writes acknowledged again %s after the restart",
			up.Sub(down).Round(time.Millisecond), time.Since(up).Round(time.Millisecond)))
		cancel()
		<-done
		if !recovered {
			t.Fatalf("restart %d: the server did not acknowledge writes within 60 s after PostgreSQL came back\n%s", i, s.logTail())
		}
		if probs := checkOnce(t, g, l); len(probs) > 0 {
			t.Fatalf("restart %d of PostgreSQL:\n  %s\n%s", i, strings.Join(probs, "\n  "), l.counts())
		}
		if out, err := auditVerify(t, g); err != nil {
			t.Fatalf("restart %d: shegong audit verify: %v: %s", i, err, out)
		}
	}
	refused := 0
	for k, n := range l.refused {
		if !strings.Contains(k, " 500 ") && !strings.Contains(k, " 503 ") && !strings.Contains(k, "decision") {
			t.Errorf("unexpected answer while PostgreSQL restarted (%d×): %s", n, k)
		}
		refused += n
	}
	t.Logf("%d PostgreSQL crashes survived in %s: %s; %d writes refused while the database was away; %s",
		restarts, time.Since(started).Round(time.Second), l.counts(), refused, strings.Join(recovery, "; "))
	if len(l.followups) == 0 || len(l.sessions) == 0 || len(l.services) == 0 || len(l.requests) == 0 {
		t.Fatalf("the load did not exercise every kind of write: %s", l.counts())
	}
}
