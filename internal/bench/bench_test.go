package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/dbtest"
	"shegong/internal/export"
	"shegong/internal/stats"
)

// The benchmarks of docs/PERFORMANCE.md. Each opens the database once per
// process: SHEGONG_BENCH_DB, or the small profile generated into a
// temporary folder.

var (
	fixOnce sync.Once
	fix     *Fixture
	fixErr  error
	fixDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.Close()
	}
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

func fixture(tb testing.TB) *Fixture {
	tb.Helper()
	fixOnce.Do(func() {
		fixDir, fixErr = os.MkdirTemp("", "shegong-bench-")
		if fixErr != nil {
			return
		}
		fix, fixErr = Open(context.Background(), fixDir)
		if fixErr == nil {
			f := fix
			tb.Logf("bench: org %d, worker %s, supervisor %s (%d supervisees), head %s, case %d (%d follow-ups), year %s, site %d quarter %s, archive %d %s",
				f.OrgID, f.Worker, f.Supervisor, f.Supervisee, f.Head, f.CaseID, f.Followups, f.Year.Code, f.QuarterSite, f.Quarter.Code,
				f.ArchiveSite, f.ArchiveMonth)
		}
	})
	if fixErr != nil {
		tb.Fatal(fixErr)
	}
	return fix
}

func principal(tb testing.TB, f *Fixture, username string) *authz.Principal {
	tb.Helper()
	var id int64
	if err := f.DB().R.QueryRow(`SELECT id FROM users WHERE username = $1`, username).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	p, err := authz.Load(context.Background(), f.DB().R, id, app.Today(f.Now))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func login(tb testing.TB, f *Fixture, username string) *Session {
	tb.Helper()
	s, err := f.Login(username)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// serviceFigures is the statistics service's answer as the hand-written
// statement's keys.
func serviceFigures(tb testing.TB, r *stats.Report) Hand {
	tb.Helper()
	h := Hand{"distinct_volunteers": int64(r.Volunteers.Distinct)}
	for _, fv := range r.Figures {
		h[fv.Key] = fv.Raw
	}
	return h
}

// TestHandSQLMatchesService: the hand-written statement the report figures
// are compared with counts the same numbers as the service, for the
// organization-year and the service point-quarter.
func TestHandSQLMatchesService(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { handSQLMatches(t, fixture(t)) })
	t.Run("postgres", func(t *testing.T) {
		dsn := dbtest.PostgresDSN(t)
		f, err := OpenFresh(context.Background(), t.TempDir(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		handSQLMatches(t, f)
	})
}

func handSQLMatches(t *testing.T, f *Fixture) {
	svc := f.Sys.Stats
	p := principal(t, f, f.Director)
	for _, c := range []struct {
		name   string
		site   int64
		period stats.Period
	}{{"org-year", 0, f.Year}, {"site-quarter", f.QuarterSite, f.Quarter}, {"site-year", f.QuarterSite, f.Year}} {
		t.Run(c.name, func(t *testing.T) {
			rep, err := svc.Report(context.Background(), p, stats.Query{Period: c.period, SiteID: c.site})
			if err != nil {
				t.Fatal(err)
			}
			hand, err := HandReport(context.Background(), f.DB().R, f.OrgID, c.site, c.period.From, c.period.To)
			if err != nil {
				t.Fatal(err)
			}
			counters, teams, err := HandCounterReport(context.Background(), f.DB().R, f.OrgID, c.site, c.period.From, c.period.To)
			if err != nil {
				t.Fatal(err)
			}
			if teams != len(rep.Volunteers.Teams) {
				t.Errorf("%d team rows over the counters, the service shows %d", teams, len(rep.Volunteers.Teams))
			}
			got := serviceFigures(t, rep)
			nonzero := 0
			for _, k := range HandKeys {
				if got[k] != hand[k] {
					t.Errorf("%s: service %d, hand-written SQL %d", k, got[k], hand[k])
				}
				if counters[k] != hand[k] {
					t.Errorf("%s: hand-written SQL over the counters %d, over the records %d", k, counters[k], hand[k])
				}
				if hand[k] != 0 {
					nonzero++
				}
			}
			if nonzero < 5 {
				t.Errorf("only %d figures are non-zero: the fixture does not exercise the report (%v)", nonzero, hand)
			}
		})
	}
}

// TestPagesAnswer: every page the benchmarks time answers 200 with content,
// so that a benchmark never times an error page.
func TestPagesAnswer(t *testing.T) {
	f := fixture(t)
	for _, c := range pageCases(f) {
		t.Run(c.name, func(t *testing.T) {
			s := login(t, f, c.user)
			code, body := s.Get(c.path)
			if code != http.StatusOK || !strings.Contains(string(body), c.want) {
				t.Fatalf("GET %s as %s: %d, want 200 with %q; body starts %.300s", c.path, c.user, code, c.want, body)
			}
		})
	}
}

type pageCase struct {
	name, user, path, want string
}

func pageCases(f *Fixture) []pageCase {
	month := app.Today(f.Now).String()[:7]
	cases := []pageCase{
		{"CaseList", f.Worker, "/cases", "个案"},
		{"SupervisorHome", f.Supervisor, "/", "工作台"},
		{"SupervisorCaseList", f.Supervisor, "/cases", "个案"},
		{"SupervisorCaseListAPI", f.Supervisor, "/api/v1/cases?state=open&size=20", "items"},
		{"DirectorHome", f.Director, "/", "工作台"},
		{"DirectorCaseList", f.Director, "/cases", "个案"},
		{"WorkerHome", f.Worker, "/", "工作台"},
		{"SupervisorReminders", f.Supervisor, "/api/v1/reminders", "["},
		{"WorkerReminders", f.Worker, "/api/v1/reminders", "["},
		{"CaseFile", f.CaseReader, fmt.Sprintf("/cases/%d", f.CaseID), "跟进"},
		{"ArchiveCheck", f.Head, fmt.Sprintf("/cases/archive-check?month=%s&site=%d", f.ArchiveMonth, f.ArchiveSite), "档案检查"},
		{"StatsPageOrgYear", f.Director, "/stats?period=" + f.Year.Code, "服务数据统计"},
		{"StatsPageSiteQuarter", f.Director, fmt.Sprintf("/stats?period=%s&site_id=%d", f.Quarter.Code, f.QuarterSite), "服务数据统计"},
		// The mixed load's statistics API call and volunteer service list,
		// for a worker's and a supervisor's own default scope.
		{"StatsAPIWorkerMonth", f.Worker, "/api/v1/stats?period=" + month, `"figures"`},
		{"StatsAPISupervisorMonth", f.Supervisor, "/api/v1/stats?period=" + month, `"figures"`},
		{"VolunteerServicesWorker", f.Worker, "/volunteer-services", "志愿服务记录"},
		{"VolunteerServicesSupervisor", f.Supervisor, "/volunteer-services", "志愿服务记录"},
		{"VolunteerServicesOrg", f.Director, "/volunteer-services", "志愿服务记录"},
	}
	if f.Recorder != "" {
		// The heaviest staff scope: the one who records the most volunteer
		// service, their own figures of last month and its hours' records.
		last := app.Today(f.Now).MonthStart().AddMonths(-1).String()[:7]
		q := fmt.Sprintf("?period=%s&staff_id=%d", last, f.RecorderStaff)
		cases = append(cases,
			pageCase{"StatsAPIRecorderMonth", f.Recorder, "/api/v1/stats" + q, `"figures"`},
			pageCase{"StatsDrillRecorderMonth", f.Recorder, "/api/v1/stats/drill" + q + "&figure=volunteer_hours", `"rows"`})
	}
	return cases
}

// BenchmarkStats: Q1 for the organization-year and a service point-quarter,
// each by the service (what the pages and API call) and by the hand-written
// statement, on the same database in the same run.
func BenchmarkStats(b *testing.B) {
	f := fixture(b)
	p := principal(b, f, f.Director)
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		site   int64
		period stats.Period
	}{{"OrgYear", 0, f.Year}, {"SiteQuarter", f.QuarterSite, f.Quarter}} {
		b.Run(c.name+"/service", func(b *testing.B) {
			cpu, ops := CPUTime(), 0
			for b.Loop() {
				ops++
				if _, err := f.Sys.Stats.Report(ctx, p, stats.Query{Period: c.period, SiteID: c.site}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, ops)
		})
		b.Run(c.name+"/handsql", func(b *testing.B) {
			cpu, ops := CPUTime(), 0
			for b.Loop() {
				ops++
				if _, err := HandReport(ctx, f.DB().R, f.OrgID, c.site, c.period.From, c.period.To); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, ops)
		})
		b.Run(c.name+"/handcounters", func(b *testing.B) {
			cpu, ops := CPUTime(), 0
			for b.Loop() {
				ops++
				if _, _, err := HandCounterReport(ctx, f.DB().R, f.OrgID, c.site, c.period.From, c.period.To); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, ops)
		})
	}
}

// BenchmarkPage: the pages through the real handler with a signed-in
// session (routing, session, permission checks, queries, rendering).
func BenchmarkPage(b *testing.B) {
	f := fixture(b)
	for _, c := range pageCases(f) {
		b.Run(c.name, func(b *testing.B) {
			s := login(b, f, c.user)
			var size int
			cpu, ops := CPUTime(), 0
			for b.Loop() {
				ops++
				code, body := s.Get(c.path)
				if code != http.StatusOK {
					b.Fatalf("GET %s: %d", c.path, code)
				}
				size = len(body)
			}
			reportCPU(b, cpu, ops)
			b.ReportMetric(float64(size), "page-bytes")
		})
	}
}

// BenchmarkExport: the client list downloaded as Excel through the handler
// (every client of the organization), and the spreadsheet writer alone
// with SHEGONG_BENCH_ROWS rows; time and peak memory.
func BenchmarkExport(b *testing.B) {
	f := fixture(b)
	// Every client, and the clients of the service point with the most
	// (a filtered export, a fiftieth of the rows on agency-large): the
	// peak memory of the two shows whether it grows with the rows.
	var site int64
	if err := f.DB().R.QueryRow(`SELECT site_id FROM clients WHERE org_id = $1 GROUP BY site_id
		ORDER BY COUNT(*) DESC, site_id LIMIT 1`, f.OrgID).Scan(&site); err != nil {
		b.Fatal(err)
	}
	for _, list := range []struct {
		name, path, where string
	}{
		{"ClientListXLSX", "/clients?format=xlsx", ""},
		{"ClientListSiteXLSX", fmt.Sprintf("/clients?format=xlsx&site_id=%d", site), fmt.Sprintf(" AND site_id = %d", site)},
	} {
		b.Run(list.name, func(b *testing.B) {
			s := login(b, f, f.Director)
			var rows int
			if err := f.DB().R.QueryRow(`SELECT COUNT(*) FROM clients WHERE org_id = $1`+list.where, f.OrgID).Scan(&rows); err != nil {
				b.Fatal(err)
			}
			var heap, total float64
			cpu, ops := CPUTime(), 0
			for b.Loop() {
				ops++
				m := StartPeakMemory()
				cw := &countWriter{}
				if code := s.Stream(list.path, cw); code != http.StatusOK || cw.n == 0 {
					b.Fatalf("export: %d, %d bytes", code, cw.n)
				}
				h, t := m.Stop()
				heap, total = max(heap, h), max(total, t)
			}
			reportCPU(b, cpu, ops)
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(heap, "peak-heap-MB")
			b.ReportMetric(total, "peak-go-MB")
		})
	}
	b.Run("WriterXLSX", func(b *testing.B) {
		n := Rows()
		cols := []export.Column{{Header: "编号"}, {Header: "姓名"}, {Header: "日期"}, {Header: "服务点"}, {Header: "社工"},
			{Header: "状态"}, {Header: "次数"}, {Header: "备注"}}
		date := app.Today(f.Now).Time()
		var heap, total float64
		cpu, ops := CPUTime(), 0
		for b.Loop() {
			ops++
			m := StartPeakMemory()
			src := func(yield func([]any) error) error {
				row := make([]any, len(cols))
				for i := range n {
					row[0], row[1], row[2], row[3] = fmt.Sprintf("C%07d", i), "陈嘉欣", date, "北岸社区综合服务中心"
					row[4], row[5], row[6], row[7] = "李子豪", "介入跟进中", i%37, "定期家访，跟进情绪与就医情况"
					if err := yield(row); err != nil {
						return err
					}
				}
				return nil
			}
			if err := export.WriteXLSX(io.Discard, "导出", cols, src); err != nil {
				b.Fatal(err)
			}
			h, t := m.Stop()
			heap, total = max(heap, h), max(total, t)
		}
		reportCPU(b, cpu, ops)
		b.ReportMetric(float64(n), "rows")
		b.ReportMetric(heap, "peak-heap-MB")
		b.ReportMetric(total, "peak-go-MB")
	})
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

// BenchmarkImportClients imports SHEGONG_BENCH_ROWS clients through the
// import's dry run and confirmation, in files of at most 9,999 rows (the
// import's limit per file), as the centre head into their service point;
// the imported clients are deleted again afterwards.
func BenchmarkImportClients(b *testing.B) {
	f := fixture(b)
	ctx := context.Background()
	p := principal(b, f, f.Head)
	var siteName string
	if err := f.DB().R.QueryRow(`SELECT name FROM sites WHERE org_id = $1 AND id = $2`, f.OrgID, f.HeadSiteID).Scan(&siteName); err != nil {
		b.Fatal(err)
	}
	n := Rows()
	const perFile = 9999
	var heap, total float64
	run := 0
	var cpu time.Duration
	ops := 0
	for b.Loop() {
		ops++
		run++
		b.StopTimer()
		var before int64
		if err := f.DB().R.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM clients WHERE org_id = $1`, f.OrgID).Scan(&before); err != nil {
			b.Fatal(err)
		}
		files := importFiles(b, n, perFile, siteName, run)
		b.StartTimer()
		c0 := CPUTime()
		m := StartPeakMemory()
		imported := 0
		for i, file := range files {
			pv, err := f.Sys.Clients.ImportCheck(ctx, p, fmt.Sprintf("clients-%d.xlsx", i), bytes.NewReader(file))
			if err != nil {
				b.Fatal(err)
			}
			if !pv.Clean() {
				b.Fatalf("import file %d: %d problems, first: %+v", i, len(pv.Problems), pv.Problems[0])
			}
			done, err := f.Sys.Clients.ImportConfirm(ctx, p, pv.Token)
			if err != nil {
				b.Fatal(err)
			}
			imported += done.Imported
		}
		h, t := m.Stop()
		heap, total = max(heap, h), max(total, t)
		b.StopTimer()
		cpu += CPUTime() - c0
		if imported != n {
			b.Fatalf("imported %d of %d", imported, n)
		}
		if _, err := f.DB().W.Exec(`DELETE FROM clients WHERE org_id = $1 AND id > $2`, f.OrgID, before); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	if ops > 0 {
		b.ReportMetric(float64(cpu)/float64(ops)/1e6, "cpu-ms/op")
	}
	b.ReportMetric(float64(n), "rows")
	b.ReportMetric(heap, "peak-heap-MB")
	b.ReportMetric(total, "peak-go-MB")
}

var importSurnames = []rune("陈李黄张刘林何罗叶郑梁谢钟袁邓莫杨吴周徐孙朱马胡郭")
var importGivens = []string{"嘉欣", "子豪", "晓琳", "伟健", "诗婷", "志明", "慧敏", "俊杰", "雅琪", "家乐", "玉芳", "国强"}

// importFiles writes n clients into spreadsheets of at most perFile rows
// with the import template's headers.
func importFiles(tb testing.TB, n, perFile int, site string, run int) [][]byte {
	tb.Helper()
	cols := []export.Column{{Header: "姓名"}, {Header: "性别"}, {Header: "出生日期"}, {Header: "电话"}, {Header: "地址"}, {Header: "服务点"}}
	var files [][]byte
	base := (run*7919 + os.Getpid()) % 1000 * 100000
	for start := 0; start < n; start += perFile {
		end := min(n, start+perFile)
		var buf bytes.Buffer
		err := export.WriteXLSX(&buf, "导入", cols, func(yield func([]any) error) error {
			for i := start; i < end; i++ {
				name := string(importSurnames[i%len(importSurnames)]) + importGivens[(i/len(importSurnames))%len(importGivens)]
				gender := []string{"男", "女"}[i%2]
				phone := fmt.Sprintf("19%09d", base+i)
				if err := yield([]any{name, gender, fmt.Sprintf("%04d-%02d-%02d", 1940+i%60, i%12+1, i%28+1), phone, fmt.Sprintf("示例路%d号", i%500+1), site}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, buf.Bytes())
	}
	return files
}

// BenchmarkStatsFigure times each figure of the organization-year report
// alone (the statistics service counts them one query each), to show
// where a report's time goes.
func BenchmarkStatsFigure(b *testing.B) {
	f := fixture(b)
	ctx := context.Background()
	scope := stats.Scope{OrgID: f.OrgID}
	for _, fig := range stats.Figures {
		b.Run(fig.Key, func(b *testing.B) {
			cpu, ops := CPUTime(), 0
			for b.Loop() {
				ops++
				if _, err := fig.Count(ctx, f.DB().R, scope, f.Year.From, f.Year.To); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, ops)
		})
	}
}

// reportCPU reports the process's CPU time per operation next to the wall
// time (see CPUTime).
func reportCPU(b *testing.B, start time.Duration, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(CPUTime()-start)/float64(ops)/1e6, "cpu-ms/op")
	}
}
