package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/export"
	"shegong/internal/testenv"
)

// siteIDFrom reads the id out of a /sites/{id} redirect.
func siteIDFrom(t *testing.T, loc string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.SplitN(loc, "#", 2)[0], "/sites/"), 10, 64)
	if err != nil {
		t.Fatalf("redirect %q", loc)
	}
	return id
}

func mustContain(t *testing.T, r testenv.Response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.Body, w) {
			t.Fatalf("status %d: body lacks %q", r.Status, w)
		}
	}
}

func TestSiteCreateForm(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		admin := o.User("admin", false, authz.RoleOrgAdmin)
		c := e.Login(admin)
		if r := c.PostForm("/towns", url.Values{"name": {"黄江镇"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("add town: %d %s", r.Status, r.Body)
		}
		town := e.Count(`SELECT id FROM towns WHERE org_id = $1 AND name = '黄江镇'`, o.ID)

		r := c.Get("/sites/new")
		mustContain(t, r, "新建服务点", `<option value="`+strconv.Itoa(town)+`">黄江镇</option>`, "社区综合服务中心")

		// Bad input: 422, the message beside each field, the input kept, nothing written.
		long := strings.Repeat("北", 61)
		r = c.PostForm("/sites", url.Values{"code": {""}, "name": {long}, "kind": {"centre"}, "phone": {"12345"},
			"address": {"文化路1号"}, "town_id": {strconv.Itoa(town)}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad input: %d", r.Status)
		}
		mustContain(t, r, `<div class="field-error" id="e-code">编号不能为空</div>`,
			`<div class="field-error" id="e-name">名称不能超过60个字</div>`, `id="e-phone">电话号码格式不正确`,
			"提交的内容有 3 处需要修改", `value="`+long+`"`, `value="12345"`, `value="文化路1号"`,
			`<option value="`+strconv.Itoa(town)+`" selected>黄江镇</option>`)
		if n := e.Count(`SELECT COUNT(*) FROM sites WHERE org_id = $1`, o.ID); n != 0 {
			t.Fatalf("bad input wrote %d sites", n)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'site.create'`, o.ID); n != 0 {
			t.Fatal("bad input was audited as a creation")
		}

		r = c.PostForm("/sites", url.Values{"code": {"hj-ba01"}, "name": {"黄江镇北岸社区综合服务中心"}, "kind": {"centre"},
			"phone": {"0769-83630001"}, "address": {"黄江镇北岸社区文化路1号"}, "town_id": {strconv.Itoa(town)}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := siteIDFrom(t, r.Location)
		r = c.Get(r.Location)
		mustContain(t, r, "服务点已创建", "黄江镇北岸社区综合服务中心", "HJ-BA01", "社区综合服务中心", "0769-83630001",
			"黄江镇", "新建服务点", "合同年", "还没有登记合同年", `action="/sites/`+strconv.FormatInt(id, 10)+`/deactivate"`)
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'site.create' AND object_id = $2`,
			o.ID, strconv.FormatInt(id, 10)); n != 1 {
			t.Fatalf("site.create audited %d times", n)
		}

		// The same code again is a conflict shown beside the code field.
		r = c.PostForm("/sites", url.Values{"code": {"HJ-BA01"}, "name": {"另一个中心"}, "kind": {"project"}})
		if r.Status != http.StatusConflict {
			t.Fatalf("duplicate: %d", r.Status)
		}
		mustContain(t, r, `id="e-code">编号 HJ-BA01 已被其他服务点使用`, `value="另一个中心"`)
	})
}

func TestSiteEditAndDeactivate(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		site := o.Site("北岸中心", "centre")
		admin := o.User("admin", false, authz.RoleOrgAdmin)
		worker := o.User("wang", true, authz.RoleWorker).Assign(site, "worker")
		c := e.Login(admin)
		path := "/sites/" + strconv.FormatInt(site, 10)

		r := c.Get(path + "/edit")
		mustContain(t, r, "编辑服务点", `name="version" value="1"`, `value="北岸中心"`)
		code := e.Count(`SELECT COUNT(*) FROM sites WHERE id = $1`, site) // sanity: exists
		if code != 1 {
			t.Fatal("fixture site missing")
		}
		var siteCode string
		e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT code FROM sites WHERE id = $1`, site).Scan(&siteCode)
		form := url.Values{"code": {siteCode}, "name": {"黄江镇北岸社区综合服务中心"}, "kind": {"centre"}, "version": {"1"}}
		if r := c.PostForm(path+"/edit", form); r.Status != http.StatusSeeOther || r.Location != path {
			t.Fatalf("edit: %d %s", r.Status, r.Location)
		}
		r = c.Get(path)
		mustContain(t, r, "服务点已保存", "黄江镇北岸社区综合服务中心", "修改服务点", "名称：北岸中心 → 黄江镇北岸社区综合服务中心")

		// A second editor still holding version 1 is told to reload; the input stays.
		form.Set("name", "北岸老中心")
		r = c.PostForm(path+"/edit", form)
		if r.Status != http.StatusConflict {
			t.Fatalf("stale edit: %d", r.Status)
		}
		mustContain(t, r, "该记录已被他人修改，请刷新后重试", `value="北岸老中心"`)

		// With a worker assigned, the centre cannot be closed; the reason shows on its page.
		r = c.PostForm(path+"/deactivate", nil)
		if r.Status != http.StatusConflict {
			t.Fatalf("deactivate with staff: %d", r.Status)
		}
		mustContain(t, r, "该服务点仍有 1 名在岗同工，请先办理调岗后再停用", "在岗同工", "同工wang")
		e.Exec(`UPDATE staff_assignments SET end_date = '2026-03-01' WHERE staff_id = $1`, worker.StaffID)
		if r := c.PostForm(path+"/deactivate", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("deactivate: %d", r.Status)
		}
		r = c.Get(path)
		mustContain(t, r, "服务点已停用", `<span class="tag tag-grey">已停用</span>`, "重新启用", "停用服务点")
		if r := c.PostForm(path+"/activate", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("activate: %d", r.Status)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND object_type = 'site' AND action IN
			('site.update', 'site.deactivate', 'site.activate')`, o.ID); n != 3 {
			t.Fatalf("%d site changes audited", n)
		}
	})
}

func TestSiteAccess(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		north := o.Site("黄江镇北岸社区综合服务中心", "centre")
		xinshi := o.Site("黄江镇新市社区综合服务中心", "centre")
		worker := o.User("wang", true, authz.RoleWorker).Assign(north, "worker")
		head := o.User("chen", true, authz.RoleCentreHead).Assign(north, "centre_head")
		other := e.Org("qingshan", "青山社工")
		stranger := other.User("li", true, authz.RoleDirector)
		e.Exec(`INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen) VALUES ($1, $2, '2025合同年', '2025-04-01', '2026-03-31', 98765432)`, o.ID, north)

		wc := e.Login(worker)
		r := wc.Get("/sites")
		if r.Status != 200 || !strings.Contains(r.Body, "北岸") || strings.Contains(r.Body, "新市") || strings.Contains(r.Body, "新建服务点") {
			t.Fatalf("worker list: %d", r.Status)
		}
		r = wc.Get("/sites/" + strconv.FormatInt(north, 10))
		if r.Status != 200 || strings.Contains(r.Body, "/edit") || strings.Contains(r.Body, "deactivate") ||
			strings.Contains(r.Body, "¥987,654.32") {
			t.Fatalf("worker sees edit actions or contract amounts: %d", r.Status)
		}
		if r := wc.Get("/sites/" + strconv.FormatInt(xinshi, 10)); r.Status != http.StatusNotFound {
			t.Fatalf("worker at other centre: %d", r.Status)
		}
		if r := wc.Get("/sites/new"); r.Status != http.StatusForbidden {
			t.Fatalf("worker new: %d", r.Status)
		}
		if r := wc.PostForm("/sites", url.Values{"code": {"X1"}, "name": {"X"}, "kind": {"post"}}); r.Status != http.StatusForbidden {
			t.Fatalf("worker create: %d", r.Status)
		}
		if n := e.Count(`SELECT COUNT(*) FROM sites WHERE org_id = $1`, o.ID); n != 2 {
			t.Fatalf("worker's create wrote a site")
		}
		if r := wc.PostForm("/sites/"+strconv.FormatInt(north, 10)+"/deactivate", nil); r.Status != http.StatusForbidden {
			t.Fatalf("worker deactivate: %d", r.Status)
		}

		// The centre head sees the own centre's contract years, but no edit buttons.
		hc := e.Login(head)
		r = hc.Get("/sites/" + strconv.FormatInt(north, 10))
		mustContain(t, r, "2025合同年", "¥987,654.32", "即将到期", "同工wang", "同工chen", "中心负责人")
		if strings.Contains(r.Body, "新增合同年") {
			t.Fatal("centre head offered to add contract years")
		}

		// Another organization's director: not found, on pages and the API.
		sc := e.Login(stranger)
		if r := sc.Get("/sites/" + strconv.FormatInt(north, 10)); r.Status != http.StatusNotFound {
			t.Fatalf("other org page: %d", r.Status)
		}
		if r := sc.Get("/sites/" + strconv.FormatInt(north, 10) + "/edit"); r.Status != http.StatusNotFound {
			t.Fatalf("other org edit page: %d", r.Status)
		}
		api := e.APIClient(stranger)
		r = api.Get("/api/v1/sites/" + strconv.FormatInt(north, 10))
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, `"not_found"`) {
			t.Fatalf("other org API: %d %s", r.Status, r.Body)
		}
		if r := api.Get("/api/v1/sites"); !strings.Contains(r.Body, `"total":0`) {
			t.Fatalf("other org API list: %s", r.Body)
		}
		if r := sc.Get("/sites/abc"); r.Status != http.StatusNotFound {
			t.Fatalf("bad id: %d", r.Status)
		}
	})
}

func TestSiteListExport(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		o.Site("黄江镇北岸社区综合服务中心", "centre")
		o.Site("松湖之家社会化服务项目", "project")
		dir := o.User("dir", true, authz.RoleDirector)
		c := e.Login(dir)
		r := c.Get("/sites?kind=project")
		mustContain(t, r, "松湖之家社会化服务项目", "共 1 条", "导出Excel", `href="/sites?format=xlsx&amp;kind=project"`)
		if strings.Contains(r.Body, "北岸") {
			t.Fatal("kind filter ignored")
		}
		r = c.Get("/sites?format=xlsx&kind=project")
		if r.Status != 200 || r.Header.Get("Content-Type") != export.ContentTypeXLSX || !strings.HasPrefix(r.Body, "PK") {
			t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'export' AND object_id = '/sites'`, o.ID); n != 1 {
			t.Fatalf("export audited %d times", n)
		}
	})
}

func TestContractYearForms(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		site := o.Site("北岸中心", "centre")
		admin := o.User("admin", false, authz.RoleOrgAdmin)
		c := e.Login(admin)
		base := "/sites/" + strconv.FormatInt(site, 10)

		r := c.Get(base + "/contract-years/new")
		mustContain(t, r, "新增合同年", "合同金额（元）")
		ok := url.Values{"label": {"2025合同年"}, "start_date": {"2025-04-01"}, "end_date": {"2026-03-31"},
			"amount": {"1,234,567.89"}, "note": {"含活动经费"}}
		if r := c.PostForm(base+"/contract-years", ok); r.Status != http.StatusSeeOther {
			t.Fatalf("add: %d %s", r.Status, r.Body)
		}
		if n := e.Count(`SELECT amount_fen FROM contract_years WHERE org_id = $1 AND site_id = $2`, o.ID, site); n != 123456789 {
			t.Fatalf("amount stored %d", n)
		}
		r = c.Get(base)
		mustContain(t, r, "合同年已添加", "2025合同年", "2025-04-01 至 2026-03-31", "¥1,234,567.89", "合计（1 个合同年）", "新增合同年")

		// The next contract year is suggested to follow the latest one.
		r = c.Get(base + "/contract-years/new")
		mustContain(t, r, `value="2026合同年"`, `value="2026-04-01"`, `value="2027-03-31"`, `value="1,234,567.89"`)

		// Bad amount and dates: every problem beside its field, the input kept.
		r = c.PostForm(base+"/contract-years", url.Values{"label": {"2026合同年"}, "start_date": {"2026-04-01"},
			"end_date": {"2026-03-01"}, "amount": {"12.345"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad: %d", r.Status)
		}
		mustContain(t, r, `id="e-amount">金额格式不正确`, `id="e-end_date">结束日期不能早于开始日期`, `value="12.345"`)
		// Overlap with the existing contract year.
		r = c.PostForm(base+"/contract-years", url.Values{"label": {"2026合同年"}, "start_date": {"2026-03-01"},
			"end_date": {"2027-02-28"}, "amount": {"100"}})
		if r.Status != http.StatusConflict {
			t.Fatalf("overlap: %d", r.Status)
		}
		mustContain(t, r, "与已有合同年「2025合同年」（2025-04-01 至 2026-03-31）时间重叠")
		if n := e.Count(`SELECT COUNT(*) FROM contract_years WHERE org_id = $1`, o.ID); n != 1 {
			t.Fatalf("%d contract years after rejected input", n)
		}

		cid := e.Count(`SELECT id FROM contract_years WHERE org_id = $1`, o.ID)
		cpath := base + "/contract-years/" + strconv.Itoa(cid)
		mustContain(t, c.Get(cpath+"/edit"), `value="1,234,567.89"`, "含活动经费")
		ok.Set("amount", "1300000")
		if r := c.PostForm(cpath+"/edit", ok); r.Status != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", r.Status, r.Body)
		}
		mustContain(t, c.Get(base), "¥1,300,000.00", "金额：¥1,234,567.89 → ¥1,300,000.00")
		if r := c.PostForm(cpath+"/delete", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d", r.Status)
		}
		mustContain(t, c.Get(base), "合同年「2025合同年」已删除", "还没有登记合同年", "删除合同年")
		if r := c.Get(cpath + "/edit"); r.Status != http.StatusNotFound {
			t.Fatalf("deleted contract year: %d", r.Status)
		}
	})
}

func TestSiteAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		admin := o.User("admin", false, authz.RoleOrgAdmin)
		worker := o.User("wang", true, authz.RoleWorker)
		c := e.APIClient(admin)

		r := c.JSON("POST", "/api/v1/sites", map[string]any{"code": "", "name": "北岸", "kind": "school"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"code":"编号不能为空"`) ||
			!strings.Contains(r.Body, `"kind":"请选择有效的服务点类型"`) {
			t.Fatalf("invalid: %d %s", r.Status, r.Body)
		}
		r = c.JSON("POST", "/api/v1/sites", map[string]any{"code": "BA01", "name": "北岸中心", "kind": "centre", "phone": "13800138000"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var st struct {
			ID      int64  `json:"id"`
			Name    string `json:"name"`
			Status  string `json:"status"`
			Version int64  `json:"version"`
		}
		json.Unmarshal([]byte(r.Body), &st)
		if st.ID == 0 || st.Version != 1 || st.Status != "active" {
			t.Fatalf("created %s", r.Body)
		}
		p := "/api/v1/sites/" + strconv.FormatInt(st.ID, 10)
		r = c.JSON("PUT", p, map[string]any{"code": "BA01", "name": "北岸社区综合服务中心", "kind": "centre", "version": 1})
		if r.Status != 200 || !strings.Contains(r.Body, `"version":2`) {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		r = c.JSON("PUT", p, map[string]any{"code": "BA01", "name": "北岸", "kind": "centre", "version": 1})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "该记录已被他人修改，请刷新后重试") {
			t.Fatalf("stale update: %d %s", r.Status, r.Body)
		}
		r = c.Get("/api/v1/sites?kind=centre&size=5")
		var page struct {
			Items []map[string]any `json:"items"`
			Total int              `json:"total"`
			Page  int              `json:"page"`
			Size  int              `json:"size"`
		}
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil || page.Total != 1 || page.Page != 1 || page.Size != 5 ||
			len(page.Items) != 1 || page.Items[0]["name"] != "北岸社区综合服务中心" {
			t.Fatalf("list: %s", r.Body)
		}
		if r := c.Get("/api/v1/sites?kind=post"); !strings.Contains(r.Body, `"items":[]`) {
			t.Fatalf("empty list: %s", r.Body)
		}

		r = c.JSON("POST", p+"/contract-years", map[string]any{"label": "2026合同年", "start_date": "2026-04-01",
			"end_date": "2027-03-31", "amount_fen": 123456789})
		if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"amount_fen":123456789`) {
			t.Fatalf("contract year: %d %s", r.Status, r.Body)
		}
		r = c.JSON("POST", p+"/contract-years", map[string]any{"label": "补充", "start_date": "2026-05-01",
			"end_date": "2026-06-30", "amount_fen": 1})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, `"start_date"`) {
			t.Fatalf("overlap: %d %s", r.Status, r.Body)
		}
		r = c.JSON("POST", p+"/contract-years", map[string]any{"label": "x", "start_date": "2026-13-01"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "日期格式应为") {
			t.Fatalf("bad date: %d %s", r.Status, r.Body)
		}
		if r := c.Get(p + "/contract-years"); !strings.Contains(r.Body, "2026合同年") {
			t.Fatalf("contract years: %s", r.Body)
		}
		if r := c.Get(p + "/history"); !strings.Contains(r.Body, `"action":"contract_year.create"`) {
			t.Fatalf("history: %s", r.Body)
		}
		r = c.JSON("POST", p+"/deactivate", nil)
		if r.Status != 200 || !strings.Contains(r.Body, `"status":"inactive"`) {
			t.Fatalf("deactivate: %d %s", r.Status, r.Body)
		}

		wc := e.APIClient(worker)
		if r := wc.JSON("POST", "/api/v1/sites", map[string]any{"code": "X", "name": "X", "kind": "post"}); r.Status != http.StatusForbidden {
			t.Fatalf("worker create: %d", r.Status)
		}
		if r := wc.Get(p + "/contract-years"); r.Status != http.StatusForbidden {
			t.Fatalf("worker contract years: %d", r.Status)
		}
		if r := wc.Get(p); r.Status != http.StatusNotFound {
			t.Fatalf("worker without the site: %d", r.Status)
		}
	})
}
