package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/export"
	"shegong/internal/testenv"
)

type auditJSON struct {
	Items []struct {
		Seq        int64     `json:"seq"`
		At         time.Time `json:"at"`
		UserID     int64     `json:"user_id"`
		Username   string    `json:"username"`
		Action     string    `json:"action"`
		ActionName string    `json:"action_name"`
		ObjectType string    `json:"object_type"`
		ObjectID   string    `json:"object_id"`
		Outcome    string    `json:"outcome"`
		Detail     string    `json:"detail"`
	} `json:"items"`
	Total int `json:"total"`
}

func getAudit(t *testing.T, c *testenv.Client, query string) auditJSON {
	t.Helper()
	r := c.Get("/api/v1/audit?" + query)
	if r.Status != http.StatusOK {
		t.Fatalf("audit api %q: %d %s", query, r.Status, r.Body)
	}
	var out auditJSON
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatal(err)
	}
	if out.Total < len(out.Items) {
		t.Fatalf("total %d < %d items", out.Total, len(out.Items))
	}
	return out
}

// tamperAudit edits one row with the append-only guard switched off.
func tamperAudit(t *testing.T, e *testenv.Env, orgID, seq int64) {
	t.Helper()
	update := `UPDATE audit_log SET detail = '改过' WHERE org_id = $1 AND seq = $2`
	if e.Sys.DB.Dialect == db.Postgres {
		e.OwnerExec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`)
		e.OwnerExec(update, orgID, seq)
		e.OwnerExec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`)
		return
	}
	e.Exec(`DROP TRIGGER audit_log_no_update`)
	e.Exec(update, orgID, seq)
	e.Exec(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`)
}

func TestAuditLogPage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		lvye := e.Org("lvye", "绿叶社工")
		// This test counts sign-in rows exactly; the second factor's own
		// rows are covered by the second-factor tests.
		e.Exec(`UPDATE organizations SET totp_roles = '' WHERE id = $1`, lvye.ID)
		admin := lvye.User("lvye_admin", false, authz.RoleOrgAdmin)
		director := lvye.User("zong", true, authz.RoleDirector)
		worker := lvye.User("wang", true, authz.RoleWorker)
		qs := e.Org("qingshan", "青山社工")
		qsAdmin := qs.User("qs_admin", false, authz.RoleOrgAdmin)

		// Activity in both organizations, over three days (sessions time
		// out overnight, so people sign in again).
		e.Login(admin)
		e.Login(director)
		e.Login(qsAdmin)
		e.Clock.Advance(24 * time.Hour)
		wc := e.Login(worker)
		e.Anon().PostForm("/login", url.Values{"username": {"wang"}, "password": {"wrong-password"}})
		if r := wc.Get("/audit"); r.Status != http.StatusForbidden {
			t.Fatalf("worker /audit: %d", r.Status)
		}
		if r := wc.Get("/api/v1/audit"); r.Status != http.StatusForbidden || !strings.Contains(r.Body, `"code"`) {
			t.Fatalf("worker api: %d %s", r.Status, r.Body)
		}
		if r := wc.Get("/api/v1/audit/verify"); r.Status != http.StatusForbidden {
			t.Fatalf("worker verify api: %d", r.Status)
		}
		if r := wc.Get("/"); r.Status != http.StatusOK || strings.Contains(r.Body, `href="/audit"`) {
			t.Fatalf("worker's navigation links the audit log: %d", r.Status)
		}
		e.Clock.Advance(24 * time.Hour)
		for _, en := range []audit.Entry{
			{OrgID: lvye.ID, UserID: director.UserID, Username: "zong", Action: "client.reveal", ObjectType: "client", ObjectID: "17", Detail: "查看身份证号"},
			{OrgID: lvye.ID, UserID: admin.UserID, Username: "lvye_admin", Action: "site.create", ObjectType: "site", ObjectID: "3", Detail: "新建服务点 北岸"},
			{OrgID: qs.ID, UserID: qsAdmin.UserID, Username: "qs_admin", Action: "site.create", ObjectType: "site", ObjectID: "3", Detail: "青山机构的服务点"},
		} {
			en.At = e.Clock.Now()
			if err := audit.Append(e.Ctx, e.Sys.DB, en); err != nil {
				t.Fatal(err)
			}
		}
		ac := e.Login(admin)
		dc := e.Login(director)
		qc := e.Login(qsAdmin)

		// The page: chain status, rows of the own organization only.
		r := ac.Get("/audit")
		if r.Status != http.StatusOK {
			t.Fatalf("admin /audit: %d %s", r.Status, r.Body)
		}
		for _, want := range []string{"审计日志", "审计链完整", "登录", "auth.login", "拒绝访问", "authz.deny",
			"查看服务对象敏感信息", "新建服务点 北岸", "缺少权限：查看审计日志", "tag-green", "tag-red", "tag-orange", "失败", `href="/audit"`,
			"用户wang（wang）", "导出Excel"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(r.Body, "青山") || strings.Contains(r.Body, "qs_admin") {
			t.Fatal("another organization's rows or users are shown")
		}
		if r := dc.Get("/audit"); r.Status != http.StatusOK || !strings.Contains(r.Body, "审计链完整") {
			t.Fatalf("director /audit: %d", r.Status)
		}

		all := getAudit(t, ac, "")
		for _, it := range all.Items {
			if strings.Contains(it.Detail, "青山") || it.Username == "qs_admin" {
				t.Fatalf("api leaks another organization: %+v", it)
			}
		}
		// Filters.
		check := func(query string, n int, ok func(action, outcome, user string, at time.Time) bool) {
			t.Helper()
			res := getAudit(t, ac, query)
			if res.Total != n || len(res.Items) != n {
				t.Errorf("%s: %d rows, want %d: %+v", query, res.Total, n, res.Items)
			}
			for _, it := range res.Items {
				if !ok(it.Action, it.Outcome, it.Username, it.At) {
					t.Errorf("%s: row %+v does not match", query, it)
				}
			}
		}
		day := func(d int) time.Time { return testenv.Start.AddDate(0, 0, d) }
		check("outcome=failed", 1, func(a, o, _ string, _ time.Time) bool { return a == "auth.login" && o == "failed" })
		check("outcome=denied", 3, func(a, o, _ string, _ time.Time) bool { return a == "authz.deny" && o == "denied" })
		check("action=reveal", 1, func(a, _, _ string, _ time.Time) bool { return a == "client.reveal" })
		check("action=auth.", 6, func(a, _, _ string, _ time.Time) bool { return strings.HasPrefix(a, "auth.") })
		check("action=site.&object_type=site&object_id=3", 1, func(a, _, u string, _ time.Time) bool { return u == "lvye_admin" })
		check("user="+strconv.FormatInt(director.UserID, 10), 3, func(_, _, u string, _ time.Time) bool { return u == "zong" })
		check("user="+strconv.FormatInt(qsAdmin.UserID, 10), 0, nil)
		check("from=2026-03-03&to=2026-03-03", 5, func(_, _, _ string, at time.Time) bool {
			return !at.Before(day(1)) && at.Before(day(2))
		})
		check("from=2026-03-04", 4, func(_, _, _ string, at time.Time) bool { return !at.Before(day(2)) })
		if all.Total != 2+5+4 {
			t.Errorf("all rows: %d", all.Total)
		}
		if res := getAudit(t, ac, "size=3&page=2"); len(res.Items) != 3 || res.Total != all.Total || res.Items[0].Seq != all.Items[3].Seq {
			t.Errorf("paging: %+v", res)
		}

		// Bad filters are explained; input is kept.
		r = ac.Get("/audit?from=2026-03-05&to=2026-03-01")
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "截止日期不能早于起始日期") ||
			!strings.Contains(r.Body, `value="2026-03-05"`) {
			t.Fatalf("bad period: %d", r.Status)
		}
		if r := ac.Get("/api/v1/audit?outcome=maybe"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "outcome") {
			t.Fatalf("bad outcome: %d %s", r.Status, r.Body)
		}

		// Export: a spreadsheet of the filtered rows, itself audited.
		before := e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'export'`, lvye.ID)
		r = ac.Get("/audit?format=xlsx&action=auth.")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != export.ContentTypeXLSX {
			t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		sheet, err := export.ReadXLSX(strings.NewReader(r.Body), "", export.ReadLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sheet) != 7 || sheet[0][1] != "时间" || !strings.Contains(strings.Join(sheet[1], "|"), "登录（auth.login）") {
			t.Fatalf("export rows: %v", sheet)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'export' AND object_id = '/audit'
			AND user_id = $2`, lvye.ID, admin.UserID); n != before+1 {
			t.Fatalf("export audited %d times", n-before)
		}

		// A row edited behind the system's back breaks this chain only.
		tamperAudit(t, e, lvye.ID, 2)
		r = ac.Get("/audit")
		if !strings.Contains(r.Body, "审计链校验失败") || !strings.Contains(r.Body, "第 2 条：内容与哈希值不符") {
			t.Fatalf("broken chain not shown: %s", r.Body)
		}
		if r := qc.Get("/audit"); !strings.Contains(r.Body, "审计链完整") || strings.Contains(r.Body, "校验失败") {
			t.Fatal("another organization's break is shown")
		}
		var chain struct {
			Intact   bool     `json:"intact"`
			Count    int      `json:"problem_count"`
			Problems []string `json:"problems"`
		}
		r = ac.Get("/api/v1/audit/verify")
		if err := json.Unmarshal([]byte(r.Body), &chain); err != nil || chain.Intact || chain.Count != 1 ||
			!strings.Contains(chain.Problems[0], "第 2 条") {
			t.Fatalf("verify api: %s", r.Body)
		}
	})
}
