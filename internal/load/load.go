// Package load is the load generator of docs/PERFORMANCE.md: it starts the
// server as a child process on 127.0.0.1, signs in a number of users, and
// sends them a mix of 80% page and API reads and 20% writes (follow-ups,
// group attendance, volunteer hours) through the real pages and JSON API;
// then the same load against a bare net/http handler answering a page of
// the same size, so that the throughput is a ratio. Afterwards it kills the
// server and counts the acknowledged writes in the database.
package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"shegong/internal/app"
	"shegong/internal/db"
	"shegong/internal/server"
)

// Config is one run.
type Config struct {
	DSN      string        // database: a SQLite file or postgres:// URL (generated beforehand)
	DataDir  string        // data folder with the encryption key (default: the SQLite file's folder)
	Org      string        // organization code; default the agency with the most staff
	Password string        // password of the accounts
	Users    int           // signed-in sessions, each one concurrent client (default 50)
	Rate     int           // requests per second; 0 = as fast as the users go (closed loop)
	Duration time.Duration // length of each of the two phases
	Exe      string        // server binary; default this program
	Now      time.Time     // today's date for the records written
	Out      io.Writer     // progress
	// CPUProfile, when set, is where the server's CPU profile of the
	// mixed load is written (the server is started with its profiler on a
	// loopback port of its own).
	CPUProfile string
}

// Stats are the figures of one phase or one kind of request.
type Stats struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	Throughput float64 `json:"throughput_rps"`
	P50        float64 `json:"p50_ms"`
	P95        float64 `json:"p95_ms"`
	P99        float64 `json:"p99_ms"`
	Max        float64 `json:"max_ms"`
	MeanBytes  int     `json:"mean_bytes"`
}

// Report is the result of a run.
type Report struct {
	Database   string            `json:"database"`
	Users      int               `json:"users"`
	Rate       int               `json:"rate"`
	Duration   string            `json:"duration"`
	StartupMS  float64           `json:"startup_ms" doc:"process start to the first answered /healthz"`
	RSSPeakMB  float64           `json:"rss_peak_mb" doc:"VmHWM of the server process"`
	RSSEndMB   float64           `json:"rss_end_mb"`
	RSSAnonMB  float64           `json:"rss_anon_end_mb" doc:"of it at the end: the process's own memory (RssAnon)"`
	RSSFileMB  float64           `json:"rss_file_end_mb" doc:"of it at the end: mapped files, the binary included (RssFile)"`
	Mixed      Stats             `json:"mixed"`
	Bare       Stats             `json:"bare"`
	Ratio      float64           `json:"throughput_ratio" doc:"mixed throughput / bare handler throughput"`
	Kinds      map[string]Stats  `json:"kinds"`
	Acked      map[string]int    `json:"acknowledged_writes"`
	Durable    map[string]int    `json:"durable_writes"`
	ErrSamples []string          `json:"error_samples,omitempty"`
	Extra      map[string]string `json:"extra,omitempty"`
}

// Weights of the mix: reads add up to 80, writes to 20.
var mix = []struct {
	kind   string
	weight int
	write  bool
}{
	{"home", 14, false},
	{"case_list", 14, false},
	{"case_list_api", 8, false},
	{"case_file", 10, false},
	{"stats_api", 8, false},
	{"group_page", 8, false},
	{"group_sessions_api", 6, false},
	{"volunteer_services", 6, false},
	{"reminders_api", 6, false},
	{"followup", 8, true},
	{"attendance", 6, true},
	{"volunteer_hours", 6, true},
}

// Run runs the load and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Users <= 0 {
		cfg.Users = 50
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 60 * time.Second
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	if cfg.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cfg.Exe = exe
	}
	if cfg.DataDir == "" && !db.IsPostgres(cfg.DSN) {
		cfg.DataDir = filepath.Dir(cfg.DSN)
	}
	if cfg.DSN == "" {
		return nil, errors.New("load: no database (--db)")
	}
	today := app.Today(cfg.Now)
	rep := &Report{Database: dialectOf(cfg.DSN), Users: cfg.Users, Rate: cfg.Rate, Duration: cfg.Duration.String(),
		Kinds: map[string]Stats{}, Acked: map[string]int{}, Durable: map[string]int{}}
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	marker := "压测" + run

	// The accounts and their records, read before the server starts.
	d, err := server.Open(ctx, server.Config{DSN: cfg.DSN, DataDir: cfg.DataDir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	orgID, err := orgOf(ctx, d, cfg.Org)
	if err != nil {
		d.Close()
		return nil, err
	}
	users, err := plan(ctx, d, orgID, cfg.Users, today)
	var earlierRuns int
	if err == nil {
		// Each run's evening volunteer visits go in a block of days of its
		// own, before those of earlier runs on this database: a second run
		// must not find its slots taken (时间不能重叠).
		err = d.R.QueryRowContext(ctx, `SELECT COUNT(DISTINCT activity_name) FROM volunteer_services
			WHERE org_id = $1 AND activity_name LIKE $2`, orgID, "压测% 晚间探访").Scan(&earlierRuns)
	}
	d.Close()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Out, "load: %d accounts in organization %d\n", len(users), orgID)

	srv, err := startServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer srv.kill()
	rep.StartupMS = float64(srv.ready.Microseconds()) / 1000
	fmt.Fprintf(cfg.Out, "load: server pid %d serving on %s after %.0f ms\n", srv.cmd.Process.Pid, srv.base, rep.StartupMS)

	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, u := range users {
		if u.Cookie, err = signIn(hc, srv.base, u.Username, cfg.Password); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(cfg.Out, "load: %d sessions signed in; %s of mixed load\n", len(users), cfg.Duration)

	tg := &targeter{base: srv.base, users: users, today: today, marker: marker, dayBlock: earlierRuns * slotDaysPerRun}
	if err := tg.init(); err != nil {
		return nil, err
	}
	var mixed collector
	mixed.kinds = map[string]*collector{}
	profiled := make(chan error, 1)
	if cfg.CPUProfile != "" {
		go func() { profiled <- srv.profile(cfg.CPUProfile, cfg.Duration) }()
	} else {
		profiled <- nil
	}
	attack(cfg, tg.next, func(r *vegeta.Result) {
		kind := tg.kindOf(r.Method, r.URL)
		ok := r.Error == "" && r.Code >= 200 && r.Code < 300
		mixed.add(r, ok)
		k := mixed.kinds[kind]
		if k == nil {
			k = &collector{}
			mixed.kinds[kind] = k
		}
		k.add(r, ok)
		if ok && strings.HasPrefix(r.Method, "P") {
			rep.Acked[kind]++
		}
		if !ok && len(rep.ErrSamples) < 10 {
			rep.ErrSamples = append(rep.ErrSamples, fmt.Sprintf("%s %s: %d %s %.200s", r.Method, r.URL, r.Code, r.Error, r.Body))
		}
	})
	rep.Mixed = mixed.stats()
	for k, c := range mixed.kinds {
		rep.Kinds[k] = c.stats()
	}
	rep.RSSPeakMB, rep.RSSEndMB, rep.RSSAnonMB, rep.RSSFileMB = srv.rss()
	if err := <-profiled; err != nil {
		return nil, err
	}

	// Kill the server outright: what it acknowledged must be in the database.
	srv.kill()
	if err := countDurable(ctx, cfg, orgID, marker, rep); err != nil {
		return nil, err
	}

	// The bare handler: the same users, rate and duration, a page of the
	// mean size of the mixed load.
	size := max(rep.Mixed.MeanBytes, 1)
	bare, stop, err := bareServer(size)
	if err != nil {
		return nil, err
	}
	defer stop()
	fmt.Fprintf(cfg.Out, "load: bare handler, %d-byte page, %s\n", size, cfg.Duration)
	var bc collector
	bareTarget := func(t *vegeta.Target) error {
		t.Method, t.URL = "GET", bare
		return nil
	}
	attack(cfg, bareTarget, func(r *vegeta.Result) { bc.add(r, r.Error == "" && r.Code == 200) })
	rep.Bare = bc.stats()
	if rep.Bare.Throughput > 0 {
		rep.Ratio = rep.Mixed.Throughput / rep.Bare.Throughput
	}
	return rep, nil
}

// slotDaysPerRun is the block of days one run's evening volunteer visits
// may use: eight quarter-hours a day for each volunteer of a user, so 100
// days hold 800 visits per volunteer, far beyond a run of minutes.
const slotDaysPerRun = 100

func dialectOf(dsn string) string {
	if db.IsPostgres(dsn) {
		return "postgres"
	}
	return "sqlite"
}

func orgOf(ctx context.Context, d *db.DB, code string) (int64, error) {
	var id int64
	var err error
	if code != "" {
		err = d.R.QueryRowContext(ctx, `SELECT id FROM organizations WHERE code = $1`, code).Scan(&id)
	} else {
		err = d.R.QueryRowContext(ctx, `SELECT o.id FROM organizations o WHERE o.kind = 'agency'
			ORDER BY (SELECT COUNT(*) FROM staff s WHERE s.org_id = o.id) DESC, o.id LIMIT 1`).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("load: organization %q: %w", code, err)
	}
	return id, nil
}

// attack runs one phase: with a rate, an open loop at that rate; without,
// each user sends its next request when the last one is answered.
func attack(cfg Config, tr vegeta.Targeter, each func(*vegeta.Result)) {
	n := uint64(cfg.Users)
	opts := []func(*vegeta.Attacker){vegeta.Workers(n), vegeta.MaxWorkers(n), vegeta.Connections(cfg.Users),
		vegeta.MaxConnections(cfg.Users), vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(30 * time.Second), vegeta.KeepAlive(true)}
	if cfg.Rate > 0 {
		opts[1] = vegeta.MaxWorkers(n * 20)
	}
	a := vegeta.NewAttacker(opts...)
	pace := vegeta.Rate{Freq: cfg.Rate, Per: time.Second}
	for r := range a.Attack(tr, pace, cfg.Duration, "load") {
		each(r)
	}
}

// collector gathers the latencies of a phase.
type collector struct {
	lat        []time.Duration
	errs       int
	bytes      uint64
	first, end time.Time
	kinds      map[string]*collector
}

func (c *collector) add(r *vegeta.Result, ok bool) {
	c.lat = append(c.lat, r.Latency)
	if !ok {
		c.errs++
	}
	c.bytes += r.BytesIn
	if c.first.IsZero() || r.Timestamp.Before(c.first) {
		c.first = r.Timestamp
	}
	if e := r.End(); e.After(c.end) {
		c.end = e
	}
}

func (c *collector) stats() Stats {
	s := Stats{Requests: len(c.lat), Errors: c.errs}
	if len(c.lat) == 0 {
		return s
	}
	slices.Sort(c.lat)
	q := func(p float64) float64 {
		i := int(float64(len(c.lat)-1) * p)
		return float64(c.lat[i].Microseconds()) / 1000
	}
	s.P50, s.P95, s.P99, s.Max = q(0.50), q(0.95), q(0.99), q(1)
	if el := c.end.Sub(c.first).Seconds(); el > 0 {
		s.Throughput = float64(len(c.lat)) / el
	}
	s.MeanBytes = int(c.bytes / uint64(len(c.lat)))
	return s
}

// targeter hands out the mix: each request kind in turn by weight, each
// for the next user that can do it.
type targeter struct {
	base   string
	users  []*user
	today  app.Date
	marker string

	mu       sync.Mutex
	seq      uint64
	deck     []string           // kinds, weight times each
	can      map[string][]*user // who can do each kind
	next_    map[string]int     // round robin per kind
	slots    atomic.Int64       // volunteer time slots handed out
	dayBlock int                // days before today where this run's evening visits start
	paths    map[string]*regexp.Regexp
}

func (t *targeter) init() error {
	t.can = map[string][]*user{}
	t.next_ = map[string]int{}
	for _, m := range mix {
		for _, u := range t.users {
			if t.able(u, m.kind) {
				t.can[m.kind] = append(t.can[m.kind], u)
			}
		}
		if len(t.can[m.kind]) == 0 {
			return fmt.Errorf("load: no account can do %s (the database lacks the records for it)", m.kind)
		}
		for range m.weight {
			t.deck = append(t.deck, m.kind)
		}
	}
	// Shuffle the deck (always the same way) so that writes are spread out.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(t.deck), func(i, j int) { t.deck[i], t.deck[j] = t.deck[j], t.deck[i] })
	t.paths = map[string]*regexp.Regexp{
		"home":               regexp.MustCompile(`^/$`),
		"case_list":          regexp.MustCompile(`^/cases$`),
		"case_list_api":      regexp.MustCompile(`^/api/v1/cases$`),
		"case_file":          regexp.MustCompile(`^/cases/\d+$`),
		"stats_api":          regexp.MustCompile(`^/api/v1/stats$`),
		"group_page":         regexp.MustCompile(`^/groups/\d+$`),
		"group_sessions_api": regexp.MustCompile(`^GET /api/v1/groups/\d+/sessions$`),
		"volunteer_services": regexp.MustCompile(`^/volunteer-services$`),
		"reminders_api":      regexp.MustCompile(`^/api/v1/reminders$`),
		"followup":           regexp.MustCompile(`^/api/v1/cases/\d+/followups$`),
		"attendance":         regexp.MustCompile(`^POST /api/v1/groups/\d+/sessions$`),
		"volunteer_hours":    regexp.MustCompile(`^/api/v1/volunteers/services$`),
	}
	return nil
}

func (t *targeter) able(u *user, kind string) bool {
	switch kind {
	case "case_file":
		return u.CaseID != 0
	case "group_page", "group_sessions_api":
		return u.Group != 0
	case "followup":
		return len(u.Open) > 0
	case "attendance":
		return len(u.Groups) > 0
	case "volunteer_hours":
		return len(u.Vols) > 0
	}
	return true
}

func (t *targeter) kindOf(method, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "other"
	}
	for k, re := range t.paths {
		if re.MatchString(u.Path) || re.MatchString(method+" "+u.Path) {
			return k
		}
	}
	return "other"
}

func (t *targeter) next(tgt *vegeta.Target) error {
	t.mu.Lock()
	kind := t.deck[t.seq%uint64(len(t.deck))]
	t.seq++
	who := t.can[kind]
	u := who[t.next_[kind]%len(who)]
	t.next_[kind]++
	n := t.next_[kind]
	t.mu.Unlock()
	tgt.Header = http.Header{"Cookie": {u.Cookie}}
	tgt.Method = "GET"
	path := ""
	var body any
	switch kind {
	case "home":
		path = "/"
	case "case_list":
		path = "/cases"
	case "case_list_api":
		path = "/api/v1/cases?state=open&size=20"
	case "case_file":
		path = fmt.Sprintf("/cases/%d", u.CaseID)
	case "stats_api":
		path = "/api/v1/stats?period=" + t.today.String()[:7]
	case "group_page":
		path = fmt.Sprintf("/groups/%d", u.Group)
	case "group_sessions_api":
		path = fmt.Sprintf("/api/v1/groups/%d/sessions", u.Group)
	case "volunteer_services":
		path = "/volunteer-services"
	case "reminders_api":
		path = "/api/v1/reminders"
	case "followup":
		c := u.Open[n%len(u.Open)]
		progress := []map[string]any{}
		for _, g := range c.Goals {
			progress = append(progress, map[string]any{"goal_id": g, "progress": "some"})
		}
		path, body = fmt.Sprintf("/api/v1/cases/%d/followups", c.ID), map[string]any{"held_on": t.today, "method": "phone",
			"duration_min": 20, "content": t.marker + " 电话跟进，了解近况", "progress": progress}
	case "attendance":
		g := u.Groups[n%len(u.Groups)]
		present := g.Members
		if len(present) > 1 {
			present = present[:len(present)-1]
		}
		path, body = fmt.Sprintf("/api/v1/groups/%d/sessions", g.ID), map[string]any{"held_on": t.today, "start_time": "19:00",
			"end_time": "20:30", "place": "活动室", "topic": t.marker + " 节次", "present": present}
	case "volunteer_hours":
		// Each record its own (volunteer, day, quarter hour) late in the
		// evening, going back a day for every full round of slots.
		i := t.slots.Add(1) - 1
		v := u.Vols[int(i)%len(u.Vols)]
		round := int(i) / len(u.Vols)
		day := t.today.AddDays(-(t.dayBlock + round/8))
		start := 22*60 + (round%8)*15
		path, body = "/api/v1/volunteers/services", map[string]any{"volunteer_id": v, "activity_name": t.marker + " 晚间探访",
			"service_date": day, "start_time": clock(start), "end_time": clock(start + 15), "content": "探访独居长者"}
	}
	if body != nil {
		b, _ := json.Marshal(body)
		tgt.Method, tgt.Body = "POST", b
		tgt.Header.Set("Content-Type", "application/json")
	}
	tgt.URL = t.base + path
	return nil
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// signIn signs in through the form and returns the session cookie.
func signIn(hc *http.Client, base, username, password string) (string, error) {
	res, err := hc.PostForm(base+"/login", url.Values{"username": {username}, "password": {password}})
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	var parts []string
	for _, c := range res.Cookies() {
		if c.Value != "" {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	if res.StatusCode != http.StatusSeeOther || len(parts) == 0 {
		return "", fmt.Errorf("load: sign in %s: status %d (password %q?)", username, res.StatusCode, password)
	}
	return strings.Join(parts, "; "), nil
}

// child is the server process.
type child struct {
	cmd   *exec.Cmd
	base  string
	pprof string // the profiler's address, when asked for
	ready time.Duration
	log   *bytes.Buffer
	once  sync.Once
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startServer runs "shegong serve" and waits for /healthz.
func startServer(ctx context.Context, cfg Config) (*child, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr, "--db", cfg.DSN}
	if cfg.DataDir != "" {
		args = append(args, "--data", cfg.DataDir)
	}
	pprofAddr := ""
	if cfg.CPUProfile != "" {
		if pprofAddr, err = freePort(); err != nil {
			return nil, err
		}
		args = append(args, "--pprof", pprofAddr)
	}
	c := &child{cmd: exec.Command(cfg.Exe, args...), base: "http://" + addr, pprof: pprofAddr, log: &bytes.Buffer{}}
	c.cmd.Stdout = io.Discard
	c.cmd.Stderr = &tailWriter{buf: c.log}
	start := time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	hc := &http.Client{Timeout: time.Second}
	for {
		res, err := hc.Get(c.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				c.ready = time.Since(start)
				return c, nil
			}
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("load: server exited: %v: %s", err, c.log.String())
		case <-ctx.Done():
			c.kill()
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Since(start) > 2*time.Minute {
			c.kill()
			return nil, fmt.Errorf("load: server not serving after 2 minutes: %s", c.log.String())
		}
	}
}

// profile writes the server's CPU profile over the next d (less a second,
// so that it ends within the load) to file.
func (c *child) profile(file string, d time.Duration) error {
	secs := max(int(d.Seconds())-1, 1)
	res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", c.pprof, secs))
	if err != nil {
		return fmt.Errorf("load: cpu profile: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("load: cpu profile: %s", res.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// kill ends the server with SIGKILL: no shutdown, no flush.
func (c *child) kill() {
	c.once.Do(func() {
		if c.cmd.Process != nil {
			c.cmd.Process.Kill()
			for range 500 {
				if c.cmd.ProcessState != nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
}

// rss reads the server's peak and current resident set from /proc.
func (c *child) rss() (peak, now, anon, file float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, 0, 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmHWM:":
			peak = kb / 1024
		case "VmRSS:":
			now = kb / 1024
		case "RssAnon:":
			anon = kb / 1024
		case "RssFile:":
			file = kb / 1024
		}
	}
	return peak, now, anon, file
}

// tailWriter keeps the last 8 KiB of the server's log.
type tailWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *tailWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if w.buf.Len() > 16<<10 {
		keep := w.buf.Bytes()[w.buf.Len()-8<<10:]
		nb := append([]byte(nil), keep...)
		w.buf.Reset()
		w.buf.Write(nb)
	}
	return len(b), nil
}

// countDurable counts, after the kill, the records the run wrote.
func countDurable(ctx context.Context, cfg Config, orgID int64, marker string, rep *Report) error {
	d, err := db.Open(ctx, cfg.DSN)
	if err != nil {
		return err
	}
	defer d.Close()
	for kind, query := range map[string]string{
		"followup":        `SELECT COUNT(*) FROM case_followups WHERE org_id = $1 AND content LIKE $2`,
		"attendance":      `SELECT COUNT(*) FROM group_sessions WHERE org_id = $1 AND topic LIKE $2`,
		"volunteer_hours": `SELECT COUNT(*) FROM volunteer_services WHERE org_id = $1 AND activity_name LIKE $2`,
	} {
		var n int
		if err := d.R.QueryRowContext(ctx, query, orgID, marker+"%").Scan(&n); err != nil {
			return fmt.Errorf("load: count %s: %w", kind, err)
		}
		rep.Durable[kind] = n
	}
	return nil
}

// bareServer serves a page of size bytes on 127.0.0.1 in this process.
func bareServer(size int) (string, func(), error) {
	page := bytes.Repeat([]byte("<p>社工服务</p>\n"), size/len("<p>社工服务</p>\n")+1)[:size]
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})}
	go hs.Serve(l)
	return "http://" + l.Addr().String() + "/", func() { hs.Close() }, nil
}

// Check returns an error when the run had errors or lost acknowledged
// writes.
func (r *Report) Check() error {
	var problems []string
	if r.Mixed.Errors > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d requests failed", r.Mixed.Errors, r.Mixed.Requests))
	}
	if r.Mixed.Requests == 0 {
		problems = append(problems, "no requests were made")
	}
	// More in the database than acknowledged is no loss: a request can
	// commit after its client gave up waiting.
	for kind, n := range r.Acked {
		if r.Durable[kind] < n {
			problems = append(problems, fmt.Sprintf("%s: %d acknowledged, %d in the database", kind, n, r.Durable[kind]))
		}
	}
	if r.Bare.Errors > 0 {
		problems = append(problems, fmt.Sprintf("bare handler: %d errors", r.Bare.Errors))
	}
	if len(problems) > 0 {
		return errors.New("load: " + strings.Join(problems, "; "))
	}
	return nil
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "database %s, %d users, %s per phase, rate %s\n", r.Database, r.Users, r.Duration, rateName(r.Rate))
	fmt.Fprintf(w, "start-up to serving %.0f ms; server RSS peak %.0f MB, at end %.0f MB (own memory %.0f MB, mapped files %.0f MB)\n",
		r.StartupMS, r.RSSPeakMB, r.RSSEndMB, r.RSSAnonMB, r.RSSFileMB)
	fmt.Fprintf(w, "%-20s %9s %7s %9s %8s %8s %8s %8s %8s\n", "", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "bytes")
	line := func(name string, s Stats) {
		fmt.Fprintf(w, "%-20s %9d %7d %9.0f %8.1f %8.1f %8.1f %8.1f %8d\n", name, s.Requests, s.Errors, s.Throughput, s.P50, s.P95, s.P99, s.Max, s.MeanBytes)
	}
	line("mixed", r.Mixed)
	line("bare handler", r.Bare)
	fmt.Fprintf(w, "throughput ratio mixed/bare: %.3f\n", r.Ratio)
	var kinds []string
	for k := range r.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		line("  "+k, r.Kinds[k])
	}
	for _, k := range []string{"followup", "attendance", "volunteer_hours"} {
		fmt.Fprintf(w, "writes %-16s acknowledged %6d, in the database after kill -9: %6d\n", k, r.Acked[k], r.Durable[k])
	}
	for _, e := range r.ErrSamples {
		fmt.Fprintln(w, "error:", e)
	}
}

func rateName(r int) string {
	if r <= 0 {
		return "closed loop (each user waits for its answer)"
	}
	return strconv.Itoa(r) + "/s"
}
