package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

func bodyHas(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Fatalf("page lacks %q:\n%s", w, excerpt(body))
		}
	}
}

func bodyLacks(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Fatalf("page must not contain %q:\n%s", b, excerpt(body))
		}
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000]
	}
	return s
}

func errBeside(field, msg string) string {
	return `<div class="field-error" id="e-` + field + `">` + msg
}

var staffIDRE = regexp.MustCompile(`^/staff/(\d+)$`)

func TestStaffFormsAndScope(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		north := o.Site("黄江镇北岸社区综合服务中心", "centre")
		xinshi := o.Site("黄江镇新市社区综合服务中心", "centre")
		youth := e.ID(`INSERT INTO domains (org_id, name) VALUES ($1, '青少年') RETURNING id`, o.ID)
		hr := o.User("hr", true, authz.RoleHR)
		hc := e.Login(hr)

		if r := hc.Get("/staff/new"); r.Status != 200 {
			t.Fatalf("new form: %d", r.Status)
		} else {
			bodyHas(t, r.Body, "新增同工", `name="employee_no"`, "黄江镇北岸社区综合服务中心", "青少年", "助理社工师")
		}

		// Bad input: 422, messages beside the fields, input kept, nothing written.
		before := e.Count(`SELECT COUNT(*) FROM staff WHERE org_id = $1`, o.ID)
		bad := url.Values{"employee_no": {"HJ 001"}, "name": {"陈晓"}, "gender": {"女"}, "title": {"social_worker"},
			"phone": {"1380013800"}, "email": {"chen@"}, "hire_date": {"2026-13-45"}, "site_id": {itoa64(north)},
			"position": {"worker"}, "domain_ids": {itoa64(youth)}}
		r := hc.PostForm("/staff", bad)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad staff: %d", r.Status)
		}
		bodyHas(t, r.Body, `class="form-summary"`, errBeside("employee_no", "工号只能由字母、数字"),
			errBeside("phone", "手机号码格式不正确"), errBeside("email", "邮箱格式不正确"),
			errBeside("hire_date", "日期格式应为"), `value="HJ 001"`, `value="陈晓"`, `value="1380013800"`, `value="2026-13-45"`)
		if !regexp.MustCompile(`value="` + itoa64(youth) + `" checked`).MatchString(r.Body) {
			t.Fatal("chosen domain not kept")
		}
		if e.Count(`SELECT COUNT(*) FROM staff WHERE org_id = $1`, o.ID) != before {
			t.Fatal("invalid form wrote a staff row")
		}

		good := url.Values{"employee_no": {"HJ001"}, "name": {"陈晓"}, "gender": {"女"}, "title": {"social_worker"},
			"phone": {"138 0013 8000"}, "email": {"chen@example.com"}, "hire_date": {"2025-09-01"}, "site_id": {itoa64(north)},
			"position": {"worker"}, "domain_ids": {itoa64(youth)}}
		r = hc.PostForm("/staff", good)
		m := staffIDRE.FindStringSubmatch(r.Location)
		if r.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("create: %d %s\n%s", r.Status, r.Location, excerpt(r.Body))
		}
		chenID := m[1]
		// Duplicate employee number: message on the field.
		r = hc.PostForm("/staff", good)
		if r.Status != http.StatusConflict {
			t.Fatalf("duplicate: %d", r.Status)
		}
		bodyHas(t, r.Body, errBeside("employee_no", "工号 HJ001 已被使用"))

		// HR sees the full phone on the record, masked in the list.
		r = hc.Get("/staff/" + chenID)
		bodyHas(t, r.Body, "陈晓", "13800138000", "黄江镇北岸社区综合服务中心", "一线社工", "青少年", "派驻/调动", "办理离职")
		r = hc.Get("/staff")
		bodyHas(t, r.Body, "138****8000", "陈晓", "导出Excel")
		bodyLacks(t, r.Body, "13800138000")

		// Edit with a stale version is refused and keeps the input.
		r = hc.PostForm("/staff/"+chenID+"/edit", url.Values{"employee_no": {"HJ001"}, "name": {"陈小晓"}, "gender": {"女"},
			"title": {"social_worker"}, "hire_date": {"2025-09-01"}, "version": {"7"}})
		if r.Status != http.StatusConflict {
			t.Fatalf("stale edit: %d", r.Status)
		}
		bodyHas(t, r.Body, "已被他人修改", `value="陈小晓"`)

		// Transfer and supervisor through the forms.
		r = hc.PostForm("/staff/"+chenID+"/assign", url.Values{"site_id": {itoa64(xinshi)}, "position": {"worker"}, "start_date": {"2025-08-01"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("early transfer: %d", r.Status)
		}
		bodyHas(t, r.Body, errBeside("start_date", "开始日期不能早于入职日期"))
		r = hc.PostForm("/staff/"+chenID+"/assign", url.Values{"site_id": {itoa64(xinshi)}, "position": {"centre_head"}, "start_date": {"2026-02-01"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("transfer: %d %s", r.Status, excerpt(r.Body))
		}
		sup := o.User("zhou", true, authz.RoleSupervisor)
		r = hc.PostForm("/staff/"+chenID+"/supervisor", url.Values{"supervisor_id": {chenID}, "start_date": {"2026-01-01"}})
		bodyHas(t, r.Body, errBeside("supervisor_id", "不能指定本人"))
		r = hc.PostForm("/staff/"+chenID+"/supervisor", url.Values{"supervisor_id": {itoa64(sup.StaffID)}, "start_date": {"2026-01-01"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("supervisor: %d %s", r.Status, excerpt(r.Body))
		}
		r = hc.PostForm("/staff/"+chenID+"/certificates", url.Values{"kind": {"assistant_social_worker"}, "number": {"ASW-2024-9"}, "issued_on": {"2024-06-30"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("certificate: %d %s", r.Status, excerpt(r.Body))
		}
		r = hc.Get("/staff/" + chenID)
		bodyHas(t, r.Body, "黄江镇新市社区综合服务中心", "中心负责人", "2026-01-31", "同工zhou", "助理社会工作师", "ASW-2024-9")

		// The supervisor sees the supervisee, with the phone masked; not the others.
		other := o.User("li", true, authz.RoleWorker).Assign(north, "worker")
		sc := e.Login(sup)
		r = sc.Get("/staff/" + chenID)
		if r.Status != 200 {
			t.Fatalf("supervisor opens supervisee: %d", r.Status)
		}
		bodyHas(t, r.Body, "138****8000")
		bodyLacks(t, r.Body, "13800138000", "办理离职", "派驻/调动")
		if r := sc.Get("/staff/" + itoa64(other.StaffID)); r.Status != http.StatusNotFound {
			t.Fatalf("supervisor opens a stranger: %d", r.Status)
		}
		if r := sc.Get("/staff/new"); r.Status != http.StatusForbidden {
			t.Fatalf("supervisor opens the new-staff form: %d", r.Status)
		}
		// A worker sees only the own record.
		wc := e.Login(other)
		r = wc.Get("/staff")
		bodyHas(t, r.Body, "同工li")
		bodyLacks(t, r.Body, "陈晓", "新增同工")
		if r := wc.Get("/staff/" + chenID); r.Status != http.StatusNotFound {
			t.Fatalf("worker opens a colleague: %d", r.Status)
		}
		// Another organization's administrator finds nothing.
		g := e.Org("other", "别家社工")
		gc := e.Login(g.User("gadmin", false, authz.RoleOrgAdmin))
		if r := gc.Get("/staff/" + chenID); r.Status != http.StatusNotFound {
			t.Fatalf("other organization: %d", r.Status)
		}

		// Export keeps phones masked and is audited.
		r = hc.Get("/staff?format=xlsx")
		if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'export'`, o.ID) != 1 {
			t.Fatal("export not audited")
		}
	})
}

func itoa64(id int64) string { return strconv.FormatInt(id, 10) }

func TestStaffAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		north := o.Site("黄江镇北岸社区综合服务中心", "centre")
		hr := o.User("hr", true, authz.RoleHR)
		c := e.APIClient(hr)
		r := c.JSON("POST", "/api/v1/staff", map[string]any{"employee_no": "HJ001", "name": "陈晓", "gender": "女",
			"title": "social_worker", "phone": "12345", "hire_date": "2025-01-01"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"phone":"手机号码格式不正确`) {
			t.Fatalf("bad create: %d %s", r.Status, r.Body)
		}
		r = c.JSON("POST", "/api/v1/staff", map[string]any{"employee_no": "HJ001", "name": "陈晓", "gender": "女",
			"title": "social_worker", "phone": "13800138000", "hire_date": "2025-01-01", "site_id": north, "position": "worker"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var st struct {
			ID       int64  `json:"id"`
			Phone    string `json:"phone"`
			Version  int    `json:"version"`
			SiteName string `json:"site_name"`
		}
		json.Unmarshal([]byte(r.Body), &st)
		if st.Phone != "13800138000" || st.SiteName != "黄江镇北岸社区综合服务中心" {
			t.Fatalf("created: %s", r.Body)
		}
		id := itoa64(st.ID)
		r = c.Get("/api/v1/staff?q=HJ")
		if r.Status != 200 || !strings.Contains(r.Body, `"total":1`) || !strings.Contains(r.Body, `"phone":"138****8000"`) {
			t.Fatalf("list: %s", r.Body)
		}
		r = c.JSON("PUT", "/api/v1/staff/"+id, map[string]any{"employee_no": "HJ001", "name": "陈晓", "gender": "女",
			"title": "supervisor", "hire_date": "2025-01-01", "version": st.Version})
		if r.Status != 200 || !strings.Contains(r.Body, `"title_name":"督导"`) {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		other := o.User("li", true, authz.RoleWorker)
		r = c.JSON("PUT", "/api/v1/staff/"+itoa64(other.StaffID)+"/supervisor", map[string]any{"supervisor_id": st.ID, "start_date": "2026-01-01"})
		if r.Status != 200 || !strings.Contains(r.Body, `"supervisor_name":"陈晓"`) {
			t.Fatalf("supervisor: %d %s", r.Status, r.Body)
		}
		r = c.JSON("POST", "/api/v1/staff/"+itoa64(other.StaffID)+"/assignments", map[string]any{"site_id": north, "position": "worker", "start_date": "2026-02-01"})
		if r.Status != 200 || !strings.Contains(r.Body, `"position_name":"一线社工"`) {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
		r = c.Get("/api/v1/reports/staff-distribution?date=2026-03-01")
		if r.Status != 200 || !strings.Contains(r.Body, `"total":3`) || !strings.Contains(r.Body, `"name":"黄江镇北岸社区综合服务中心"`) {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		if r := c.Get("/api/v1/reports/staff-distribution?date=yesterday"); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad date: %d", r.Status)
		}
		// A worker may read the own record only, and not write.
		wc := e.APIClient(other)
		if r := wc.Get("/api/v1/staff/" + id); r.Status != http.StatusNotFound {
			t.Fatalf("worker reads colleague: %d", r.Status)
		}
		if r := wc.Get("/api/v1/staff/" + itoa64(other.StaffID)); r.Status != 200 {
			t.Fatalf("worker reads self: %d", r.Status)
		}
		if r := wc.JSON("POST", "/api/v1/staff", map[string]any{}); r.Status != http.StatusForbidden {
			t.Fatalf("worker creates: %d", r.Status)
		}
	})
}

func TestStaffReportPage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		town := e.ID(`INSERT INTO towns (org_id, name) VALUES ($1, '黄江镇') RETURNING id`, o.ID)
		north := o.Site("北岸中心", "centre")
		zhen := o.Site("振华中心", "centre")
		e.Exec(`UPDATE sites SET town_id = $2 WHERE id = $1`, north, town)
		dir := o.User("dir", true, authz.RoleDirector)
		head := o.User("head", true, authz.RoleCentreHead).Assign(north, "centre_head")
		o.User("w1", true, authz.RoleWorker).Assign(north, "worker")
		o.User("w2", true, authz.RoleWorker).Assign(zhen, "worker")
		e.Exec(`UPDATE staff SET title = 'social_worker' WHERE org_id = $1`, o.ID)

		dc := e.Login(dir)
		r := dc.Get("/staff/report")
		if r.Status != 200 {
			t.Fatalf("report: %d", r.Status)
		}
		bodyHas(t, r.Body, "同工分布", "全机构", "北岸中心", "振华中心", "黄江镇", "未设置镇街", `data-chart="staff-dist-chart"`,
			`<script type="application/json" id="staff-dist-chart">`, "/static/charts.js")
		bodyLacks(t, r.Body, "<script>")
		// The chart data is JSON: 北岸 has two 社工师, 振华 one.
		m := regexp.MustCompile(`id="staff-dist-chart">(.*?)</script>`).FindStringSubmatch(r.Body)
		var chart struct {
			Categories []string
			Series     []struct {
				Name string
				Data []int
			}
		}
		if m == nil || json.Unmarshal([]byte(m[1]), &chart) != nil || len(chart.Series) != 1 || chart.Series[0].Name != "社工师" {
			t.Fatalf("chart data: %v", m)
		}
		if chart.Categories[0] != "北岸中心" || chart.Series[0].Data[0] != 2 || chart.Series[0].Data[1] != 1 {
			t.Fatalf("chart: %+v", chart)
		}
		r = dc.Get("/staff/report?date=2026-02-30")
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad date: %d", r.Status)
		}
		bodyHas(t, r.Body, "日期格式应为")
		for _, by := range []string{"cross", "town", "title", "domain"} {
			r = dc.Get("/staff/report?format=xlsx&by=" + by)
			if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
				t.Fatalf("export %s: %d", by, r.Status)
			}
		}
		// The centre head sees the own centre only.
		r = e.Login(head).Get("/staff/report")
		bodyHas(t, r.Body, "本服务点", "北岸中心")
		bodyLacks(t, r.Body, "振华中心")
		// Workers do not see the report or its navigation item.
		wc := e.Login(o.User("w3", true, authz.RoleWorker))
		if r := wc.Get("/staff/report"); r.Status != http.StatusForbidden {
			t.Fatalf("worker: %d", r.Status)
		}
		bodyLacks(t, wc.Get("/").Body, `href="/staff/report"`)
		// Static chart script is served.
		if r := dc.Get("/static/charts.js"); r.Status != 200 || !strings.Contains(r.Body, "echarts.init") {
			t.Fatalf("charts.js: %d", r.Status)
		}
	})
}

var userIDRE = regexp.MustCompile(`/users/(\d+)"`)

func TestUserAdminPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		admin := o.User("admin", false, authz.RoleOrgAdmin)
		chen := e.ID(`INSERT INTO staff (org_id, employee_no, name, status, created_at, updated_at) VALUES ($1, 'HJ001', '陈晓', 'active', $2, $2) RETURNING id`,
			o.ID, e.Clock.Now().UTC())
		ac := e.Login(admin)
		r := ac.Get("/users")
		bodyHas(t, r.Body, "账号与角色", "admin", "机构管理员", "新增账号")
		r = ac.Get("/users/new?staff_id=" + itoa64(chen))
		bodyHas(t, r.Body, "陈晓", "HJ001 陈晓", "中心负责人", "一线社工")
		bodyLacks(t, r.Body, "平台运营")

		before := e.Count(`SELECT COUNT(*) FROM users`)
		r = ac.PostForm("/users", url.Values{"username": {"admin"}, "display_name": {"重名"}, "roles": {"worker"}})
		if r.Status != http.StatusConflict {
			t.Fatalf("duplicate username: %d", r.Status)
		}
		bodyHas(t, r.Body, errBeside("username", "用户名 admin 已被使用"), `value="重名"`)
		r = ac.PostForm("/users", url.Values{"username": {"9x"}, "display_name": {""}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad user: %d", r.Status)
		}
		bodyHas(t, r.Body, errBeside("username", "用户名须以字母开头"), errBeside("display_name", "姓名不能为空"), errBeside("roles", "请至少选择一个角色"))
		r = ac.PostForm("/users", url.Values{"username": {"chen"}, "display_name": {"陈晓"}, "roles": {"platform_operator"}})
		bodyHas(t, r.Body, errBeside("roles", "角色「平台运营」不能用于此机构"))
		if e.Count(`SELECT COUNT(*) FROM users`) != before {
			t.Fatal("bad input created an account")
		}

		r = ac.PostForm("/users", url.Values{"username": {"chenxiao"}, "display_name": {"陈晓"}, "roles": {"worker", "supervisor"},
			"staff_id": {itoa64(chen)}})
		if r.Status != 200 {
			t.Fatalf("create user: %d %s", r.Status, excerpt(r.Body))
		}
		bodyHas(t, r.Body, "账号已创建", "只显示这一次", "chenxiao")
		pw := regexp.MustCompile(`<code class="token">([^<]+)</code>`).FindStringSubmatch(r.Body)
		if pw == nil || len(pw[1]) < 8 {
			t.Fatal("initial password not shown")
		}
		uid := userIDRE.FindStringSubmatch(r.Body)[1]
		// The new account signs in with the initial password and must change it.
		res := e.Anon().PostForm("/login", url.Values{"username": {"chenxiao"}, "password": {pw[1]}})
		if res.Location != "/account/password" {
			t.Fatalf("first sign-in: %d %s", res.Status, res.Location)
		}
		// It is linked to the staff member.
		r = ac.Get("/users/" + uid)
		bodyHas(t, r.Body, "陈晓", "一线社工", "督导", "重置密码", "停用", `data-confirm="确定停用账号 chenxiao`)
		// The password is not shown again on the record page.
		bodyLacks(t, r.Body, pw[1])

		// Change roles; bad roles are refused beside the field.
		r = ac.PostForm("/users/"+uid+"/roles", url.Values{})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("no roles: %d", r.Status)
		}
		bodyHas(t, r.Body, errBeside("roles", "请至少选择一个角色"))
		r = ac.PostForm("/users/"+uid+"/roles", url.Values{"roles": {"centre_head"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("roles: %d", r.Status)
		}
		if e.Count(`SELECT COUNT(*) FROM user_roles WHERE user_id = $1 AND role = 'centre_head'`, atoi64(uid)) != 1 {
			t.Fatal("role not saved")
		}
		// Nobody changes their own roles: the page hides the form, the server refuses.
		r = ac.Get("/users/" + itoa64(admin.UserID))
		bodyHas(t, r.Body, "这是您自己的账号")
		bodyLacks(t, r.Body, `action="/users/`+itoa64(admin.UserID)+`/roles"`, "重置密码")
		r = ac.PostForm("/users/"+itoa64(admin.UserID)+"/roles", url.Values{"roles": {"worker"}})
		if r.Status != http.StatusForbidden {
			t.Fatalf("own roles: %d", r.Status)
		}
		if r := e.APIClient(admin).JSON("PUT", "/api/v1/users/"+itoa64(admin.UserID)+"/roles", map[string]any{"roles": []string{"worker"}}); r.Status != http.StatusForbidden {
			t.Fatalf("own roles via API: %d", r.Status)
		}
		if e.Count(`SELECT COUNT(*) FROM user_roles WHERE user_id = $1 AND role = 'org_admin'`, admin.UserID) != 1 {
			t.Fatal("own roles changed")
		}

		// Reset password shows a new one once; disable and enable.
		r = ac.PostForm("/users/"+uid+"/password", nil)
		bodyHas(t, r.Body, "初始密码已重置", "只显示这一次")
		if r := ac.PostForm("/users/"+uid+"/status", url.Values{"active": {"0"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("disable: %d", r.Status)
		}
		bodyHas(t, ac.Get("/users?status=disabled").Body, "chenxiao")
		bodyLacks(t, ac.Get("/users?status=active").Body, "chenxiao")
		if r := ac.PostForm("/users/"+uid+"/status", url.Values{"active": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("enable: %d", r.Status)
		}
		n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action IN ('user.create', 'user.roles', 'user.password_reset', 'user.disable', 'user.enable')`, o.ID)
		if n != 5 {
			t.Fatalf("account changes audited: %d", n)
		}

		// Link an account from the staff page.
		li := e.ID(`INSERT INTO staff (org_id, employee_no, name, status, created_at, updated_at) VALUES ($1, 'HJ002', '李明', 'active', $2, $2) RETURNING id`,
			o.ID, e.Clock.Now().UTC())
		r = ac.Get("/staff/" + itoa64(li))
		bodyHas(t, r.Body, "创建账号", "关联已有账号")
		spare := o.User("spare", false, authz.RoleWorker)
		r = ac.PostForm("/staff/"+itoa64(li)+"/account", url.Values{"user_id": {itoa64(spare.UserID)}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("link: %d %s", r.Status, excerpt(r.Body))
		}
		bodyHas(t, ac.Get("/staff/"+itoa64(li)).Body, "spare", "解除账号关联")

		// Workers cannot reach account administration.
		wc := e.Login(o.User("w", false, authz.RoleWorker))
		if r := wc.Get("/users"); r.Status != http.StatusForbidden {
			t.Fatalf("worker on /users: %d", r.Status)
		}
	})
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func TestPlatformTenants(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		o.Site("北岸中心", "centre")
		o.User("hr", true, authz.RoleHR)
		e.Exec(`UPDATE staff SET name = '陈晓', phone = '13800138000' WHERE org_id = $1`, o.ID)
		op := e.Platform().User("operator", false, authz.RolePlatformOperator)
		pc := e.Login(op)

		r := pc.Get("/platform/orgs")
		if r.Status != 200 {
			t.Fatalf("orgs: %d", r.Status)
		}
		bodyHas(t, r.Body, "绿叶社工", "lvye", "服务点数", "在职同工数", "新增机构", `href="/platform/orgs"`)
		bodyLacks(t, r.Body, "陈晓", "138", `href="/staff"`, `href="/users"`)
		// No agency page or API is open to the platform operator.
		for _, path := range []string{"/staff", "/staff/1", "/staff/report", "/users", "/api/v1/staff", "/api/v1/users", "/api/v1/reports/staff-distribution"} {
			if r := pc.Get(path); r.Status != http.StatusForbidden {
				t.Fatalf("platform operator on %s: %d", path, r.Status)
			}
		}
		ac := e.APIClient(op)
		r = ac.Get("/api/v1/organizations")
		if r.Status != 200 || !strings.Contains(r.Body, `"staff":1`) || strings.Contains(r.Body, "陈晓") {
			t.Fatalf("organizations API: %s", r.Body)
		}

		// Create an organization: bad input first.
		r = pc.PostForm("/platform/orgs", url.Values{"code": {"9bad"}, "name": {""}, "admin_username": {"boss"}, "admin_name": {"王"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad org: %d", r.Status)
		}
		bodyHas(t, r.Body, errBeside("code", "机构代码须以小写字母开头"), errBeside("name", "机构名称不能为空"), `value="boss"`)
		r = pc.PostForm("/platform/orgs", url.Values{"code": {"lvye"}, "name": {"重复"}, "admin_username": {"boss"}, "admin_name": {"王"}})
		bodyHas(t, r.Body, errBeside("code", "机构代码 lvye 已存在"))
		r = pc.PostForm("/platform/orgs", url.Values{"code": {"hongmian"}, "name": {"红棉社工"}, "admin_username": {"hm-admin"}, "admin_name": {"王经理"}})
		if r.Status != 200 {
			t.Fatalf("create org: %d %s", r.Status, excerpt(r.Body))
		}
		bodyHas(t, r.Body, "机构已创建", "hm-admin", "只显示这一次")
		pw := regexp.MustCompile(`<code class="token">([^<]+)</code>`).FindStringSubmatch(r.Body)
		res := e.Anon().PostForm("/login", url.Values{"username": {"hm-admin"}, "password": {pw[1]}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("new admin sign-in: %d", res.Status)
		}
		bodyHas(t, pc.Get("/platform/orgs").Body, "红棉社工")

		// Agency users cannot open the platform pages.
		if r := e.Login(o.User("admin", false, authz.RoleOrgAdmin)).Get("/platform/orgs"); r.Status != http.StatusForbidden {
			t.Fatalf("agency admin on platform page: %d", r.Status)
		}
	})
}
