package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/export"
	"shegong/internal/testenv"
)

// clientWorld is one organization with two centres: wang and li work at A,
// zhao at B under the supervisor sun (at A); head runs A.
type clientWorld struct {
	e                                 *testenv.Env
	o, other                          *testenv.Org
	siteA, siteB                      int64
	wang, li, zhao, sun, head, ev, oa *testenv.Person
	svc, far                          *testenv.Person
}

func newClientWorld(e *testenv.Env) *clientWorld {
	w := &clientWorld{e: e}
	w.o = e.Org("lvye", "绿叶社工")
	w.other = e.Org("other", "别家机构")
	w.siteA = w.o.Site("北岸中心", "centre")
	w.siteB = w.o.Site("新市中心", "centre")
	siteX := w.other.Site("别家中心", "centre")
	w.wang = w.o.User("wang", true, authz.RoleWorker).Assign(w.siteA, "worker")
	w.li = w.o.User("li", true, authz.RoleWorker).Assign(w.siteA, "worker")
	w.zhao = w.o.User("zhao", true, authz.RoleWorker).Assign(w.siteB, "worker")
	w.sun = w.o.User("sun", true, authz.RoleSupervisor).Assign(w.siteA, "supervisor")
	w.sun.Supervises(w.zhao)
	w.head = w.o.User("head", true, authz.RoleCentreHead).Assign(w.siteA, "head")
	w.svc = w.o.User("svc", true, authz.RoleServiceHead)
	w.ev = w.o.User("ev", false, authz.RoleEvaluator)
	w.oa = w.o.User("oa", false, authz.RoleOrgAdmin)
	w.far = w.other.User("far", true, authz.RoleWorker).Assign(siteX, "worker")
	return w
}

var clientPathRE = regexp.MustCompile(`^/clients/(\d+)$`)

// register posts the client form and returns the new client's id.
func register(t *testing.T, c *testenv.Client, v url.Values) string {
	t.Helper()
	r := c.PostForm("/clients", v)
	m := clientPathRE.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("register %v: %d %s", v, r.Status, clip(r.Body))
	}
	return m[1]
}

const (
	idNo    = "441900198005060247" // valid checksum, female, born 1980-05-06
	mobile  = "13800138000"
	address = "东莞市黄江镇北岸社区幸福路8号"
)

func TestClientForms(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newClientWorld(e)
		c := e.Login(w.wang)
		if r := c.Get("/clients/new"); r.Status != 200 || !strings.Contains(r.Body, "登记服务对象") || !strings.Contains(r.Body, "北岸中心") {
			t.Fatalf("new form: %d", r.Status)
		}
		bad := []struct {
			name string
			v    url.Values
			want []string
		}{
			{"checksum", url.Values{"name": {"张三丰"}, "id_number": {idNo[:17] + "5"}, "community": {"北岸社区"}},
				[]string{"身份证号码校验位不正确", `value="张三丰"`, `value="北岸社区"`}},
			{"minor", url.Values{"name": {"小明"}, "birth_date": {"2015-06-01"}},
				[]string{"未满18岁的服务对象须填写监护人姓名", "未满18岁的服务对象须填写监护人电话", `value="2015-06-01"`}},
			{"phone", url.Values{"name": {"王五"}, "birth_date": {"1970-01-01"}, "phone": {"12345"}},
				[]string{"电话号码格式不正确", `value="12345"`}},
			{"date", url.Values{"name": {"王五"}, "birth_date": {"去年"}, "phone": {"12345"}},
				[]string{"日期格式应为", `value="去年"`, `value="12345"`}},
		}
		for _, b := range bad {
			r := c.PostForm("/clients", b.v)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: status %d", b.name, r.Status)
			}
			for _, s := range b.want {
				if !strings.Contains(r.Body, s) {
					t.Errorf("%s: page lacks %q", b.name, s)
				}
			}
		}
		if n := e.Count(`SELECT COUNT(*) FROM clients`); n != 0 {
			t.Fatalf("bad input stored %d clients", n)
		}

		id := register(t, c, url.Values{"name": {"张三丰"}, "id_number": {idNo}, "phone": {mobile}, "address": {address},
			"category_ids": {"1", "2"}})
		// Same ID number by a colleague: refused on the field, masked.
		r := e.Login(w.li).PostForm("/clients", url.Values{"name": {"张君宝"}, "id_number": {idNo}})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "该身份证号码已登记为服务对象：张*丰（编号FW") {
			t.Fatalf("duplicate id: %d %s", r.Status, clip(r.Body))
		}
		// Same name and phone: shown masked, confirmed on the second post.
		v := url.Values{"name": {"张三丰"}, "birth_date": {"1990-01-01"}, "phone": {"138-0013-8000"}}
		r = c.PostForm("/clients", v)
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "可能重复的服务对象") || !strings.Contains(r.Body, "138****8000") ||
			!strings.Contains(r.Body, `name="confirm_duplicate"`) || strings.Contains(r.Body, "13800138000") {
			t.Fatalf("name and phone: %d %s", r.Status, clip(r.Body))
		}
		v.Set("confirm_duplicate", "1")
		register(t, c, v)

		// The detail page: masked, audited, with the actions allowed.
		r = c.Get("/clients/" + id)
		if r.Status != 200 || !strings.Contains(r.Body, "张*丰") || !strings.Contains(r.Body, "4419**********0247") ||
			!strings.Contains(r.Body, "查看完整信息") || !strings.Contains(r.Body, "长者") {
			t.Fatalf("detail: %d %s", r.Status, clip(r.Body))
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'client.view' AND object_id = $1`, id); n != 1 {
			t.Fatalf("view audited %d times", n)
		}
		// The edit form shows no stored secret; blank keeps them.
		r = c.Get("/clients/" + id + "/edit")
		if r.Status != 200 || !strings.Contains(r.Body, "已登记 138****8000") {
			t.Fatalf("edit form: %d", r.Status)
		}
		noSecrets(t, "edit form", r.Body)
		ver := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(r.Body)
		if ver == nil {
			t.Fatal("edit form has no version")
		}
		upd := url.Values{"name": {"张三丰"}, "worker_id": {fmt.Sprint(w.wang.StaffID)}, "site_id": {fmt.Sprint(w.siteA)},
			"status": {"active"}, "community": {"北岸社区"}, "version": {ver[1]}}
		if r := c.PostForm("/clients/"+id+"/edit", upd); r.Status != http.StatusSeeOther {
			t.Fatalf("update: %d %s", r.Status, clip(r.Body))
		}
		// The same version again is stale.
		if r := c.PostForm("/clients/"+id+"/edit", upd); r.Status != http.StatusConflict || !strings.Contains(r.Body, "已被他人修改") {
			t.Fatalf("stale update: %d", r.Status)
		}
		r = c.Get("/clients/" + id)
		if !strings.Contains(r.Body, "138****8000") || !strings.Contains(r.Body, "北岸社区") {
			t.Fatal("update lost the stored phone")
		}

		// A contact check sets the validity and shows in the history.
		if r := c.PostForm("/clients/"+id+"/contact-checks", url.Values{"checked_on": {"2026-03-01"}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "联系结果不能为空") {
			t.Fatalf("bad contact check: %d", r.Status)
		}
		if r := c.PostForm("/clients/"+id+"/contact-checks", url.Values{"checked_on": {"2026-03-01"}, "result": {"wrong_number"},
			"note": {"空号"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("contact check: %d %s", r.Status, clip(r.Body))
		}
		r = c.Get("/clients/" + id)
		if !strings.Contains(r.Body, "联系号码错误") || !strings.Contains(r.Body, "空号") || !strings.Contains(r.Body, "用户wang") {
			t.Fatal("contact check not shown")
		}
		r = c.Get("/clients?contact=wrong_number")
		if !strings.Contains(r.Body, "共 1 条") {
			t.Fatalf("contact filter: %s", clip(r.Body))
		}
	})
}

// noSecrets fails when a response shows a stored secret unmasked.
func noSecrets(t *testing.T, what, body string) {
	t.Helper()
	for _, s := range []string{idNo, mobile, "幸福路"} {
		if strings.Contains(body, s) {
			t.Errorf("%s shows %q unmasked", what, s)
		}
	}
}

func TestClientMaskingAndReveal(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newClientWorld(e)
		c := e.Login(w.wang)
		id := register(t, c, url.Values{"name": {"张三丰"}, "id_number": {idNo}, "phone": {mobile}, "address": {address}})
		api := e.APIClient(w.wang)
		for _, path := range []string{"/clients", "/clients/" + id, "/clients/" + id + "/edit", "/clients?q=张",
			"/api/v1/clients", "/api/v1/clients/" + id, "/api/v1/clients/" + id + "/consents"} {
			cl := c
			if strings.HasPrefix(path, "/api/") {
				cl = api
			}
			r := cl.Get(path)
			if r.Status != 200 {
				t.Fatalf("%s: %d", path, r.Status)
			}
			noSecrets(t, path, r.Body)
		}
		if r := api.Get("/api/v1/clients"); !strings.Contains(r.Body, `"id_number_masked":"4419**********0247"`) ||
			!strings.Contains(r.Body, `"phone_masked":"138****8000"`) || !strings.Contains(r.Body, `"total":1`) {
			t.Fatalf("api list: %s", r.Body)
		}
		// The export keeps the masking.
		r := c.Get("/clients?format=xlsx")
		if r.Status != 200 || r.Header.Get("Content-Type") != export.ContentTypeXLSX {
			t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		sheet, err := export.ReadXLSX(strings.NewReader(r.Body), "", export.ReadLimits{})
		if err != nil || len(sheet) != 2 {
			t.Fatalf("export sheet: %v %v", sheet, err)
		}
		noSecrets(t, "export", strings.Join(sheet[1], "|"))
		if !strings.Contains(strings.Join(sheet[1], "|"), "4419**********0247") {
			t.Fatalf("export row: %v", sheet[1])
		}

		// Reveal: the full values, for this client only, audited.
		r = c.PostForm("/clients/"+id+"/reveal", nil)
		if r.Status != 200 || !strings.Contains(r.Body, idNo) || !strings.Contains(r.Body, mobile) || !strings.Contains(r.Body, address) ||
			!strings.Contains(r.Body, "本次查看已记入审计日志") {
			t.Fatalf("reveal page: %d", r.Status)
		}
		r = api.JSON("POST", "/api/v1/clients/"+id+"/reveal", nil)
		if r.Status != 200 || !strings.Contains(r.Body, `"id_number":"`+idNo+`"`) || !strings.Contains(r.Body, `"name":"张三丰"`) {
			t.Fatalf("api reveal: %d %s", r.Status, r.Body)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'client.reveal' AND object_id = $1 AND user_id = $2`,
			id, w.wang.UserID); n != 2 {
			t.Fatalf("reveal audit rows: %d", n)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE $1 OR detail LIKE $2`, "%"+idNo+"%", "%"+mobile+"%"); n != 0 {
			t.Fatalf("audit details hold secrets: %d", n)
		}
		// The service head reads the organization's clients but may not
		// reveal: no button, and the action is refused.
		sc := e.Login(w.svc)
		if r := sc.Get("/clients/" + id); r.Status != 200 || strings.Contains(r.Body, "查看完整信息") {
			t.Fatalf("service head detail: %d", r.Status)
		}
		if r := sc.PostForm("/clients/"+id+"/reveal", nil); r.Status != http.StatusForbidden {
			t.Fatalf("service head reveal: %d", r.Status)
		}
		// The supervisor of someone else may not either.
		if r := e.Login(w.sun).PostForm("/clients/"+id+"/reveal", nil); r.Status != http.StatusNotFound {
			t.Fatalf("supervisor reveal: %d", r.Status)
		}
	})
}

func TestClientScopeOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newClientWorld(e)
		idWang := register(t, e.Login(w.wang), url.Values{"name": {"王客一"}, "birth_date": {"1960-01-01"}})
		idLi := register(t, e.Login(w.li), url.Values{"name": {"李客二"}, "birth_date": {"1960-01-01"}})
		idZhao := register(t, e.Login(w.zhao), url.Values{"name": {"赵客三"}, "birth_date": {"1960-01-01"}})
		idFar := register(t, e.Login(w.far), url.Values{"name": {"远客四"}, "birth_date": {"1960-01-01"}})
		all := map[string]string{"wang": idWang, "li": idLi, "zhao": idZhao, "far": idFar}
		for _, c := range []struct {
			p    *testenv.Person
			sees []string
		}{
			{w.wang, []string{"wang"}},
			{w.li, []string{"li"}},
			{w.sun, []string{"zhao"}},
			{w.head, []string{"wang", "li"}},
			{w.svc, []string{"wang", "li", "zhao"}},
			{w.far, []string{"far"}},
		} {
			cl := e.Login(c.p)
			list := cl.Get("/clients")
			if !strings.Contains(list.Body, fmt.Sprintf("共 %d 条", len(c.sees))) {
				t.Errorf("%s list: %s", c.p.Username, clip(list.Body))
			}
			for who, id := range all {
				want := http.StatusNotFound
				for _, s := range c.sees {
					if s == who {
						want = 200
					}
				}
				if r := cl.Get("/clients/" + id); r.Status != want {
					t.Errorf("%s reads %s's client: %d, want %d", c.p.Username, who, r.Status, want)
				}
			}
		}
		// Evaluators and administrators see no client at all.
		for _, p := range []*testenv.Person{w.ev, w.oa} {
			cl := e.Login(p)
			if r := cl.Get("/clients"); r.Status != http.StatusForbidden {
				t.Errorf("%s list: %d", p.Username, r.Status)
			}
			if r := cl.Get("/clients/" + idWang); r.Status != http.StatusForbidden {
				t.Errorf("%s detail: %d", p.Username, r.Status)
			}
			if r := e.APIClient(p).Get("/api/v1/clients"); r.Status != http.StatusForbidden {
				t.Errorf("%s api list: %d", p.Username, r.Status)
			}
		}
		// API: another worker's client is not found, also for changes.
		li := e.APIClient(w.li)
		if r := li.Get("/api/v1/clients/" + idWang); r.Status != http.StatusNotFound || !strings.Contains(r.Body, `"code":"not_found"`) {
			t.Fatalf("api other's client: %d %s", r.Status, r.Body)
		}
		if r := li.JSON("PUT", "/api/v1/clients/"+idWang, map[string]any{"name": "改名", "version": 1}); r.Status != http.StatusNotFound {
			t.Fatalf("api change other's client: %d", r.Status)
		}
	})
}

func TestClientAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newClientWorld(e)
		api := e.APIClient(w.wang)
		r := api.JSON("POST", "/api/v1/clients", map[string]any{"name": "小红", "birth_date": "2015-06-01", "id_number": "123"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"id_number":"身份证号码应为18位"`) ||
			!strings.Contains(r.Body, "未满18岁的服务对象须填写监护人姓名") {
			t.Fatalf("api invalid: %d %s", r.Status, r.Body)
		}
		in := map[string]any{"name": "张三丰", "id_number": idNo, "phone": mobile, "category_ids": []int{2}}
		r = api.JSON("POST", "/api/v1/clients", in)
		if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"name_masked":"张*丰"`) || !strings.Contains(r.Body, `"gender":"女"`) {
			t.Fatalf("api create: %d %s", r.Status, r.Body)
		}
		noSecrets(t, "api create", r.Body)
		id := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(r.Body)[1]
		r = api.JSON("POST", "/api/v1/clients", map[string]any{"name": "张三丰", "birth_date": "1990-01-01", "phone": mobile})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, `"duplicates":[{"id":`+id) || !strings.Contains(r.Body, "138****8000") {
			t.Fatalf("api duplicate: %d %s", r.Status, r.Body)
		}
		r = api.JSON("PUT", "/api/v1/clients/"+id, map[string]any{"name": "张三丰", "note": "行动不便", "version": 1})
		if r.Status != 200 || !strings.Contains(r.Body, `"version":2`) || !strings.Contains(r.Body, `"phone_masked":"138****8000"`) {
			t.Fatalf("api update: %d %s", r.Status, r.Body)
		}
		r = api.JSON("POST", "/api/v1/clients/"+id+"/contact-checks", map[string]any{"checked_on": "2026-03-02", "result": "unreachable"})
		if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"result_label":"无法接通"`) {
			t.Fatalf("api contact check: %d %s", r.Status, r.Body)
		}
		if r := api.Get("/api/v1/clients/" + id + "/contact-checks"); r.Status != 200 || !strings.Contains(r.Body, "unreachable") {
			t.Fatalf("api contact checks: %d", r.Status)
		}
		r = api.JSON("POST", "/api/v1/clients/"+id+"/consents", map[string]any{"signed_on": "2026-03-01", "signer_name": "张三丰",
			"relationship": "self", "sharing_scope": "本机构", "file": map[string]any{"filename": "a.png",
				"data": []byte("\x89PNG\r\n\x1a\n0000")}})
		if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"content_type":"image/png"`) || !strings.Contains(r.Body, `"signer_name_masked":"张*丰"`) {
			t.Fatalf("api consent: %d %s", r.Status, r.Body)
		}
		if r := api.Get("/api/v1/client-categories"); r.Status != 200 || !strings.Contains(r.Body, "困境儿童") {
			t.Fatalf("api categories: %d", r.Status)
		}
	})
}

// multipartBody builds a form upload with one file field.
func multipartBody(t *testing.T, fields map[string]string, file string, name string, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	if file == "" {
		return testenv.Multipart(t, fields)
	}
	return testenv.Multipart(t, fields, testenv.File{Field: file, Name: name, Data: data})
}

func TestConsentUploadAndDownload(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newClientWorld(e)
		c := e.Login(w.wang)
		id := register(t, c, url.Values{"name": {"小明"}, "birth_date": {"2016-04-01"}, "guardian_name": {"王芳"},
			"guardian_relation": {"mother"}, "guardian_phone": {"13900139000"}})
		fields := map[string]string{"signed_on": "2026-03-01", "signer_name": "王芳", "relationship": "parent", "sharing_scope": "本机构社工及督导"}
		post := func(name string, data []byte) testenv.Response {
			body, ct := multipartBody(t, fields, "file", name, data)
			return c.Do("POST", "/clients/"+id+"/consents", body, ct)
		}
		if r := c.Get("/clients/" + id + "/consents/new"); r.Status != 200 || !strings.Contains(r.Body, `enctype="multipart/form-data"`) {
			t.Fatalf("consent form: %d", r.Status)
		}
		if r := post("form.pdf", []byte("<!DOCTYPE html><html><script>alert(1)</script>")); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "只能上传PDF、JPEG或PNG格式的扫描件") || !strings.Contains(r.Body, `value="王芳"`) {
			t.Fatalf("html upload: %d %s", r.Status, clip(r.Body))
		}
		big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), 5<<20)...)
		if r := post("big.pdf", big); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "文件不能超过5MB") {
			t.Fatalf("big upload: %d %s", r.Status, clip(r.Body))
		}
		if n := e.Count(`SELECT COUNT(*) FROM client_consents`); n != 0 {
			t.Fatalf("refused uploads stored consents: %d", n)
		}
		pdf := []byte("%PDF-1.4\n%consent scan\n")
		if r := post("同意书.pdf", pdf); r.Status != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", r.Status, clip(r.Body))
		}
		// Without a file is fine too.
		body, ct := multipartBody(t, fields, "", "", nil)
		if r := c.Do("POST", "/clients/"+id+"/consents", body, ct); r.Status != http.StatusSeeOther {
			t.Fatalf("consent without scan: %d", r.Status)
		}
		r := c.Get("/clients/" + id)
		link := regexp.MustCompile(`/clients/\d+/consents/\d+/file`).FindString(r.Body)
		if link == "" || !strings.Contains(r.Body, "王*") || !strings.Contains(r.Body, "父母") {
			t.Fatalf("detail consents: %s", clip(r.Body))
		}
		r = c.Get(link)
		if r.Status != 200 || r.Body != string(pdf) || r.Header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("download: %d %v", r.Status, r.Header)
		}
		// Only within scope.
		for _, p := range []*testenv.Person{w.li, w.zhao, w.far} {
			if r := e.Login(p).Get(link); r.Status != http.StatusNotFound {
				t.Errorf("%s downloads: %d", p.Username, r.Status)
			}
		}
		if r := e.Login(w.head).Get(link); r.Status != 200 {
			t.Errorf("centre head downloads: %d", r.Status)
		}
		if r := e.Login(w.ev).Get(link); r.Status != http.StatusForbidden {
			t.Errorf("evaluator downloads: %d", r.Status)
		}
	})
}

func TestClientImportPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newClientWorld(e)
		c := e.Login(w.wang)
		if r := c.Get("/clients/import"); r.Status != 200 || !strings.Contains(r.Body, "下载导入模板") {
			t.Fatalf("import page: %d", r.Status)
		}
		r := c.Get("/clients/import/template")
		if r.Status != 200 || r.Header.Get("Content-Type") != export.ContentTypeXLSX {
			t.Fatalf("template: %d", r.Status)
		}
		tmpl, err := export.ReadXLSX(strings.NewReader(r.Body), "", export.ReadLimits{})
		if err != nil || len(tmpl) != 2 || tmpl[0][0] != "姓名" {
			t.Fatalf("template content: %v %v", tmpl, err)
		}
		header := tmpl[0]
		row := func(cells map[string]string) []any {
			out := make([]any, len(header))
			for i, h := range header {
				out[i] = cells[h]
			}
			return out
		}
		upload := func(rows ...[]any) testenv.Response {
			cols := make([]export.Column, len(header))
			for i, h := range header {
				cols[i] = export.Column{Header: h}
			}
			var x bytes.Buffer
			if err := export.WriteXLSX(&x, "服务对象", cols, export.Slice(rows, func(r []any) []any { return r })); err != nil {
				t.Fatal(err)
			}
			body, ct := multipartBody(t, nil, "file", "名单.xlsx", x.Bytes())
			return c.Do("POST", "/clients/import", body, ct)
		}
		r = upload(
			row(map[string]string{"姓名": "陈伯", "出生日期": "1950-01-01", "类别": "长者"}),
			row(map[string]string{"出生日期": "1950-01-01"}),
			row(map[string]string{"姓名": "李姨", "身份证号码": idNo[:17] + "5"}),
			row(map[string]string{"姓名": "黄生", "出生日期": "1970-01-01", "电话": "123"}),
			row(map[string]string{"姓名": "林女士", "出生日期": "1970-01-01", "类别": "长者、宇航员"}),
			row(map[string]string{"姓名": "周一", "身份证号码": idNo}),
			row(map[string]string{"姓名": "周二", "身份证号码": idNo}),
		)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "共 7 行，其中 5 行有问题") {
			t.Fatalf("dry run: %d %s", r.Status, clip(r.Body))
		}
		for _, want := range []string{"第 3 行", "姓名不能为空", "第 4 行", "身份证号码校验位不正确", "第 5 行", "电话号码格式不正确",
			"第 6 行", "未知的类别“宇航员”", "第 8 行", "身份证号码与第7行重复"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("dry run page lacks %q", want)
			}
		}
		if strings.Contains(r.Body, `name="token"`) || e.Count(`SELECT COUNT(*) FROM clients`) != 0 {
			t.Fatal("a bad file can be imported")
		}
		r = upload(
			row(map[string]string{"姓名": "陈伯", "出生日期": "1950-01-01", "类别": "长者", "电话": "13700137000"}),
			row(map[string]string{"姓名": "周一", "身份证号码": idNo, "地址": address}),
		)
		tok := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(r.Body)
		if r.Status != 200 || tok == nil || !strings.Contains(r.Body, "全部 2 行检查通过") {
			t.Fatalf("clean dry run: %d %s", r.Status, clip(r.Body))
		}
		noSecrets(t, "import preview", r.Body)
		if n := e.Count(`SELECT COUNT(*) FROM clients`); n != 0 {
			t.Fatalf("dry run imported %d", n)
		}
		if r := c.PostForm("/clients/import/confirm", url.Values{"token": {"0000"}}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad token: %d", r.Status)
		}
		r = c.PostForm("/clients/import/confirm", url.Values{"token": {tok[1]}})
		if r.Status != http.StatusSeeOther || r.Location != "/clients" {
			t.Fatalf("confirm: %d %s", r.Status, clip(r.Body))
		}
		if r := c.Get("/clients"); !strings.Contains(r.Body, "已导入 2 名服务对象") || !strings.Contains(r.Body, "共 2 条") {
			t.Fatalf("after import: %s", clip(r.Body))
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'client.import'`); n != 1 {
			t.Fatalf("import audit rows: %d", n)
		}
		// Supervisors may not import.
		if r := e.Login(w.sun).Get("/clients/import"); r.Status != http.StatusForbidden {
			t.Fatalf("supervisor import page: %d", r.Status)
		}
	})
}

func TestClientCategoriesPage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newClientWorld(e)
		c := e.Login(w.oa)
		r := c.Get("/clients/categories")
		if r.Status != 200 || !strings.Contains(r.Body, "外来务工") {
			t.Fatalf("categories: %d", r.Status)
		}
		if r := c.PostForm("/clients/categories", url.Values{"name": {"长者"}}); r.Status != http.StatusConflict || !strings.Contains(r.Body, "已存在") {
			t.Fatalf("duplicate category: %d", r.Status)
		}
		if r := c.PostForm("/clients/categories", url.Values{"name": {"失独家庭"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("add category: %d", r.Status)
		}
		var id int64
		if err := e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT id FROM client_categories WHERE name = '长者'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if r := c.PostForm("/clients/categories/status", url.Values{"category_id": {fmt.Sprint(id)}, "active": {"0"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", r.Status)
		}
		// A withdrawn category is no longer offered to workers.
		r = e.Login(w.wang).Get("/clients/new")
		if !strings.Contains(r.Body, "失独家庭") || strings.Contains(r.Body, ">长者<") || strings.Contains(r.Body, "> 长者<") {
			t.Fatalf("form categories: %s", clip(r.Body))
		}
		if r := e.Login(w.wang).Get("/clients/categories"); r.Status != http.StatusForbidden {
			t.Fatalf("worker categories page: %d", r.Status)
		}
	})
}
