package crash

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The binary under test is built once per test run from the module's own
// source, exactly as an operator builds it.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary returns the path of a freshly built shegong binary.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shegong-reliability-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "shegong")
		cmd := exec.Command("go", "build", "-o", binPath, "shegong/cmd/shegong")
		cmd.Env = os.Environ()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	if demoTmpl.dir != "" {
		os.RemoveAll(demoTmpl.dir)
	}
	os.Exit(code)
}

// demoTmpl is a SQLite data folder with the demo organization, loaded once
// per test run by the real binary and copied for each SQLite test (loading
// the demo takes longer than everything else in a test).
var demoTmpl struct {
	once sync.Once
	dir  string
	err  error
}

// sqliteDemo returns a fresh SQLite target holding the demo organization.
func sqliteDemo(t testing.TB, dir string) target {
	t.Helper()
	demoTmpl.once.Do(func() {
		demoTmpl.dir, demoTmpl.err = os.MkdirTemp("", "shegong-demo-")
		if demoTmpl.err != nil {
			return
		}
		g := target{Data: filepath.Join(demoTmpl.dir, "data")}
		s, err := launch(t, g, true)
		if err != nil {
			demoTmpl.err = err
			return
		}
		s.stop()
		if err := s.exitErr(); err != nil {
			demoTmpl.err = fmt.Errorf("demo server did not stop cleanly: %v\n%s", err, s.logTail())
		}
	})
	if demoTmpl.err != nil {
		t.Fatal(demoTmpl.err)
	}
	g := target{Data: filepath.Join(dir, "data")}
	if err := os.MkdirAll(g.Data, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(filepath.Join(demoTmpl.dir, "data", "shegong.db"+suffix))
		if err != nil && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(g.Data, "shegong.db"+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// testKey is the personal-data key every child process shares, so that two
// instances, and a restored copy, read each other's encrypted fields.
var testKey = func() string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return base64.StdEncoding.EncodeToString(b)
}()

// childEnv is the environment of a child process: the test's own, without
// any shegong setting that could point it at another database.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SHEGONG_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "SHEGONG_KEY="+testKey)
}

// freeAddr returns a 127.0.0.1 address with a port nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// target is where a server keeps its data: a data folder, and a PostgreSQL
// DSN or "" for the SQLite file in the folder.
type target struct {
	Data string
	DSN  string
}

// args are the --data/--db flags of a command.
func (g target) args() []string {
	a := []string{"--data", g.Data}
	if g.DSN != "" {
		a = append(a, "--db", g.DSN)
	}
	return a
}

// dsn is what db.Open takes for this target.
func (g target) dsn() string {
	if g.DSN != "" {
		return g.DSN
	}
	return filepath.Join(g.Data, "shegong.db")
}

// server is one running `shegong serve` child process.
type server struct {
	t       testing.TB
	cmd     *exec.Cmd
	Base    string // http://127.0.0.1:PORT
	LogPath string
	done    chan struct{}
	mu      sync.Mutex
	stdout  bytes.Buffer
	waitErr error
}

// logFiles numbers the server logs of a test.
var logSeq struct {
	sync.Mutex
	n int
}

// startServer starts `shegong serve` on a free port and waits until it
// answers. demo loads the demo organization (once per database).
func startServer(t testing.TB, g target, demo bool) *server {
	t.Helper()
	s, err := launch(t, g, demo)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launch is startServer returning its error, for callers that start
// several servers from goroutines.
func launch(t testing.TB, g target, demo bool) (*server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr := freeAddr(t)
		args := append([]string{"serve", "--addr", addr}, g.args()...)
		if demo {
			args = append(args, "--demo")
		}
		logSeq.Lock()
		logSeq.n++
		logPath := filepath.Join(filepath.Dir(g.Data), fmt.Sprintf("server-%03d.log", logSeq.n))
		logSeq.Unlock()
		if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
			return nil, err
		}
		lf, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(binary(t), args...)
		cmd.Env = childEnv()
		cmd.Stderr = lf
		pr, pw := io.Pipe()
		cmd.Stdout = pw
		s := &server{t: t, cmd: cmd, Base: "http://" + addr, LogPath: logPath, done: make(chan struct{})}
		if err := cmd.Start(); err != nil {
			lf.Close()
			return nil, err
		}
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(pr)
			seen := false
			for sc.Scan() {
				line := sc.Text()
				s.mu.Lock()
				s.stdout.WriteString(line + "\n")
				s.mu.Unlock()
				if !seen && strings.HasPrefix(line, "shegong serving on") {
					seen = true
					close(ready)
				}
			}
			io.Copy(io.Discard, pr)
		}()
		go func() {
			err := cmd.Wait()
			pw.Close()
			lf.Close()
			s.mu.Lock()
			s.waitErr = err
			s.mu.Unlock()
			close(s.done)
		}()
		select {
		case <-ready:
		case <-s.done:
			lastErr = fmt.Errorf("shegong serve exited before serving: %v\n%s", s.exitErr(), s.logTail())
			if strings.Contains(s.logTail(), "address already in use") {
				continue
			}
			return nil, lastErr
		case <-time.After(3 * time.Minute):
			s.kill()
			return nil, fmt.Errorf("shegong serve did not start within 3 minutes\n%s", s.logTail())
		}
		if err := s.waitAnswering(); err != nil {
			s.kill()
			return nil, err
		}
		return s, nil
	}
	return nil, lastErr
}

func (s *server) exitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// Stdout is what the server printed so far.
func (s *server) Stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String()
}

// waitAnswering polls until the listener accepts requests.
func (s *server) waitAnswering() error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(s.Base + "/api/v1/me")
		if err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("server exited: %v\n%s", s.exitErr(), s.logTail())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return errors.New("server does not answer")
}

// kill sends SIGKILL, as a crash or the OOM killer would, and waits for the
// process to be gone.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop asks the server to shut down cleanly.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.kill()
	}
}

// logTail returns the end of the server's log, for failure messages.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.LogPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "server stdout:\n" + s.Stdout() + "server log " + s.LogPath + ":\n" + string(b)
}

// runCmd runs a shegong subcommand to completion and returns its output.
func runCmd(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// client is a signed-in user of the JSON API.
type client struct {
	Base  string
	Token string
	HTTP  *http.Client
}

var errTransport = errors.New("no answer")

// call sends a JSON request; status 0 with errTransport means no answer
// came back (the server was killed, or the request was cancelled), so the
// outcome of the write is unknown.
func (c *client) call(ctx context.Context, method, path string, in, out any) (int, []byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", errTransport, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: reading the answer: %v", errTransport, err)
	}
	if out != nil && res.StatusCode/100 == 2 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, b, fmt.Errorf("decode %s %s: %v: %s", method, path, err, b)
		}
	}
	return res.StatusCode, b, nil
}

// mustCall is call for set-up steps that must succeed with want.
func (c *client) mustCall(t testing.TB, method, path string, in, out any, want int) []byte {
	t.Helper()
	st, b, err := c.call(context.Background(), method, path, in, out)
	if err != nil || st != want {
		t.Fatalf("%s %s: status %d (want %d), err %v: %s", method, path, st, want, err, b)
	}
	return b
}

// demoPassword is every demo account's password (internal/demo).
const demoPassword = "Demo-2026-lvye"

// signIn signs username in through the API and returns a client with its
// bearer token.
func signIn(t testing.TB, base, username string) *client {
	t.Helper()
	c := &client{Base: base, HTTP: &http.Client{Timeout: 30 * time.Second}}
	var out struct {
		Token string `json:"token"`
	}
	c.mustCall(t, "POST", "/api/v1/session", map[string]string{"username": username, "password": demoPassword}, &out, http.StatusCreated)
	if out.Token == "" {
		t.Fatalf("sign-in %s: no token", username)
	}
	c.Token = out.Token
	return c
}

// on returns the same signed-in user talking to another server.
func (c *client) on(base string) *client {
	return &client{Base: base, Token: c.Token, HTTP: c.HTTP}
}
