package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/export"
	"shegong/internal/testenv"
)

func TestDepartmentPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		head := o.User("zhou", false, authz.RoleAdminHead)
		worker := o.User("wang", true, authz.RoleWorker)
		c := e.Login(head)

		r := c.PostForm("/departments", url.Values{"name": {""}, "kind": {"hr"}, "duties": {"负责人事与行政"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad input: %d", r.Status)
		}
		mustContain(t, r, `id="e-name">部门名称不能为空`, `id="e-kind">请选择有效的部门类别`, "负责人事与行政</textarea>")
		if n := e.Count(`SELECT COUNT(*) FROM departments WHERE org_id = $1`, o.ID); n != 0 {
			t.Fatal("bad input wrote a department")
		}

		r = c.PostForm("/departments", url.Values{"name": {"服务部"}, "kind": {"service"},
			"duties": {"统筹各服务点专业服务\n组织督导与培训"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		path := r.Location
		r = c.Get(path)
		mustContain(t, r, "部门已创建", "服务部", "统筹各服务点专业服务\n组织督导与培训", "新建部门", "编辑")
		if r := c.PostForm("/departments", url.Values{"name": {"服务部"}, "kind": {"other"}}); r.Status != http.StatusConflict ||
			!strings.Contains(r.Body, `id="e-name">部门「服务部」已存在`) {
			t.Fatalf("duplicate: %d", r.Status)
		}

		mustContain(t, c.Get(path+"/edit"), `value="服务部"`, "组织督导与培训</textarea>")
		if r := c.PostForm(path+"/edit", url.Values{"name": {"服务部"}, "kind": {"service"}, "duties": {"统筹专业服务"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("edit: %d", r.Status)
		}
		// A staff member in the department blocks deactivation.
		id := strings.TrimPrefix(path, "/departments/")
		e.Exec(`UPDATE staff SET department_id = $1 WHERE id = $2`, id, worker.StaffID)
		if r := c.PostForm(path+"/deactivate", nil); r.Status != http.StatusConflict ||
			!strings.Contains(r.Body, "该部门仍有 1 名在职同工") {
			t.Fatalf("deactivate with staff: %d", r.Status)
		}
		e.Exec(`UPDATE staff SET department_id = NULL WHERE id = $1`, worker.StaffID)
		if r := c.PostForm(path+"/deactivate", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("deactivate: %d", r.Status)
		}
		mustContain(t, c.Get(path), "部门已停用", "已停用", "停用部门", "中层职责已修改")

		r = c.Get("/departments?status=inactive")
		mustContain(t, r, "服务部", "共 1 条")
		r = c.Get("/departments?format=xlsx")
		if r.Status != 200 || r.Header.Get("Content-Type") != export.ContentTypeXLSX {
			t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
		}

		// A worker reads departments but may not change them.
		wc := e.Login(worker)
		r = wc.Get(path)
		if r.Status != 200 || strings.Contains(r.Body, path+"/edit") {
			t.Fatalf("worker view: %d", r.Status)
		}
		if r := wc.PostForm("/departments", url.Values{"name": {"财务部"}, "kind": {"finance"}}); r.Status != http.StatusForbidden {
			t.Fatalf("worker create: %d", r.Status)
		}
		other := e.Org("qingshan", "青山社工")
		if r := e.Login(other.User("li", true, authz.RoleDirector)).Get(path); r.Status != http.StatusNotFound {
			t.Fatalf("other org: %d", r.Status)
		}

		api := e.APIClient(head)
		r = api.JSON("POST", "/api/v1/departments", map[string]any{"name": "财务部", "kind": "finance", "duties": "记账与报销审核"})
		if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"kind_name":"财务部"`) {
			t.Fatalf("api create: %d %s", r.Status, r.Body)
		}
		if r := api.Get("/api/v1/departments?kind=finance"); !strings.Contains(r.Body, `"total":1`) {
			t.Fatalf("api list: %s", r.Body)
		}
		if r := api.JSON("POST", "/api/v1/departments/"+id+"/activate", nil); r.Status != 200 || !strings.Contains(r.Body, `"status":"active"`) {
			t.Fatalf("api activate: %d %s", r.Status, r.Body)
		}
	})
}

func TestReferenceListPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		admin := o.User("admin", false, authz.RoleOrgAdmin)
		site := o.Site("北岸中心", "centre")
		worker := o.User("wang", true, authz.RoleWorker).Assign(site, "worker")
		c := e.Login(admin)

		// Towns.
		r := c.PostForm("/towns", url.Values{"name": {" "}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="e-name">镇街名称不能为空`) {
			t.Fatalf("empty town: %d", r.Status)
		}
		if r := c.PostForm("/towns", url.Values{"name": {"黄江镇"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("town: %d", r.Status)
		}
		r = c.PostForm("/towns", url.Values{"name": {"黄江镇"}})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "镇街「黄江镇」已存在") || !strings.Contains(r.Body, `value="黄江镇"`) {
			t.Fatalf("duplicate town: %d", r.Status)
		}
		town := e.Count(`SELECT id FROM towns WHERE org_id = $1`, o.ID)
		tpath := "/towns/" + strconv.Itoa(town) + "/edit"
		mustContain(t, c.Get("/towns"), "镇街与用人单位", "黄江镇", "改名", tpath)
		if r := c.PostForm(tpath, url.Values{"name": {"黄江镇人民政府"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("rename: %d", r.Status)
		}
		mustContain(t, c.Get("/towns"), "镇街已改名为「黄江镇人民政府」")

		// Purchasers: phone validated, masked for those who may not maintain them.
		r = c.PostForm("/purchasers", url.Values{"name": {"黄江镇社会事务局"}, "contact": {"李科长"}, "phone": {"8363"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="e-phone">电话号码格式不正确`) ||
			!strings.Contains(r.Body, `value="李科长"`) {
			t.Fatalf("bad phone: %d", r.Status)
		}
		if r := c.PostForm("/purchasers", url.Values{"name": {"黄江镇社会事务局"}, "contact": {"李科长"}, "phone": {"13800138000"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("purchaser: %d", r.Status)
		}
		mustContain(t, c.Get("/purchasers"), "黄江镇社会事务局", "13800138000", "编辑")
		wc := e.Login(worker)
		r = wc.Get("/purchasers")
		if r.Status != 200 || !strings.Contains(r.Body, "138****8000") || strings.Contains(r.Body, "13800138000") ||
			strings.Contains(r.Body, "/edit") || strings.Contains(r.Body, `method="post" action="/purchasers"`) {
			t.Fatalf("worker purchasers: %d", r.Status)
		}
		r = wc.Get("/purchasers?format=xlsx")
		if r.Header.Get("Content-Type") != export.ContentTypeXLSX || strings.Contains(r.Body, "13800138000") {
			t.Fatal("worker export leaks the phone")
		}
		if r := wc.PostForm("/towns", url.Values{"name": {"企石镇"}}); r.Status != http.StatusForbidden {
			t.Fatalf("worker adds town: %d", r.Status)
		}
		if r := wc.Get(tpath); r.Status != http.StatusForbidden {
			t.Fatalf("worker rename page: %d", r.Status)
		}
		pid := e.Count(`SELECT id FROM purchasers WHERE org_id = $1`, o.ID)
		ppath := "/purchasers/" + strconv.Itoa(pid) + "/edit"
		mustContain(t, c.Get(ppath), `value="13800138000"`, `value="李科长"`)
		if r := c.PostForm(ppath, url.Values{"name": {"黄江镇社会事务局"}, "contact": {"张科长"}, "phone": {"0769-83631234"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("edit purchaser: %d", r.Status)
		}
		mustContain(t, c.Get("/purchasers"), "张科长", "0769-83631234")
		mustContain(t, wc.Get("/purchasers"), "0769-****1234")

		// Domains.
		for _, n := range []string{"青少年", "长者", "残障"} {
			if r := c.PostForm("/domains", url.Values{"name": {n}}); r.Status != http.StatusSeeOther {
				t.Fatalf("domain %s: %d", n, r.Status)
			}
		}
		mustContain(t, c.Get("/domains?q=长"), "长者", "共 1 条")
		mustContain(t, wc.Get("/domains"), "青少年", "残障")
		if r := wc.PostForm("/domains", url.Values{"name": {"家庭"}}); r.Status != http.StatusForbidden {
			t.Fatalf("worker adds domain: %d", r.Status)
		}

		// The site form chooses from these lists.
		mustContain(t, c.Get("/sites/new"), ">黄江镇人民政府</option>", ">黄江镇社会事务局</option>")

		api := e.APIClient(worker)
		if r := api.Get("/api/v1/purchasers"); !strings.Contains(r.Body, `"phone":"0769-****1234"`) || !strings.Contains(r.Body, `"phone_masked":true`) {
			t.Fatalf("worker API purchasers: %s", r.Body)
		}
		if r := api.Get("/api/v1/towns"); !strings.Contains(r.Body, `"name":"黄江镇人民政府"`) {
			t.Fatalf("API towns: %s", r.Body)
		}
		aa := e.APIClient(admin)
		if r := aa.JSON("PUT", "/api/v1/domains/999999", map[string]string{"name": "x"}); r.Status != http.StatusNotFound {
			t.Fatalf("API rename of unknown domain: %d %s", r.Status, r.Body)
		}
		if r := aa.JSON("POST", "/api/v1/towns", map[string]string{"name": "企石镇"}); r.Status != http.StatusCreated ||
			!strings.Contains(r.Body, `"name":"企石镇"`) {
			t.Fatalf("API town: %d %s", r.Status, r.Body)
		}
	})
}
