package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"shegong/internal/authz"
	"shegong/internal/export"
	"shegong/internal/testenv"
)

// volID builds a valid resident ID number from a 17-digit body.
func volID(body string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range body {
		sum += int(c-'0') * w[i]
	}
	return body + string("10X98765432"[sum%11])
}

// volSetup is an organization with two centres, a worker and a centre
// head at the first, a worker at the second, an evaluator, and a second
// organization.
type volSetup struct {
	o, other             *testenv.Org
	north, south, far    int64
	worker, head, southW *testenv.Person
	eval, foreign        *testenv.Person
}

func newVolSetup(e *testenv.Env) *volSetup {
	v := &volSetup{o: e.Org("lvye", "绿叶社工"), other: e.Org("other", "别家机构")}
	v.north = v.o.Site("黄江镇北岸社区综合服务中心", "centre")
	v.south = v.o.Site("企石镇振华社区综合服务中心", "centre")
	v.far = v.other.Site("别家中心", "centre")
	v.worker = v.o.User("wang", true, authz.RoleWorker).Assign(v.north, "worker")
	v.head = v.o.User("head", true, authz.RoleCentreHead).Assign(v.north, "centre_head")
	v.southW = v.o.User("zhao", true, authz.RoleWorker).Assign(v.south, "worker")
	v.eval = v.o.User("eval", false, authz.RoleEvaluator)
	v.foreign = v.other.User("foreign", true, authz.RoleDirector).Assign(v.far, "worker")
	return v
}

func volIDFrom(t *testing.T, location, prefix string) string {
	t.Helper()
	id, ok := strings.CutPrefix(location, prefix)
	if !ok || id == "" {
		t.Fatalf("redirect %q does not start with %s", location, prefix)
	}
	return id
}

func TestVolunteerPagesMaskAndReveal(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		v := newVolSetup(e)
		c := e.Login(v.worker)
		idNo := volID("44190019900515002")

		// Bad input: every field explained, input kept.
		r := c.PostForm("/volunteers", url.Values{"site_id": {fmt.Sprint(v.north)}, "id_number": {"441900199005150021"},
			"phone": {"1391234"}, "employer": {"某公司"}, "skills": {"书法"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "姓名不能为空") ||
			!strings.Contains(r.Body, "身份证号码校验位不正确") || !strings.Contains(r.Body, "手机号码格式不正确") ||
			!strings.Contains(r.Body, "须先取得志愿者同意") || !strings.Contains(r.Body, `value="书法"`) {
			t.Fatalf("bad form: %d %s", r.Status, r.Body)
		}
		r = c.PostForm("/volunteers", url.Values{"site_id": {fmt.Sprint(v.north)}, "name": {"李小红"}, "id_type": {"resident_id"},
			"id_number": {idNo}, "phone": {"13912345678"}, "skills": {"书法"}, "joined_on": {"2026-03-01"}, "status": {"active"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := volIDFrom(t, r.Location, "/volunteers/")
		page := c.Get("/volunteers/" + id)
		if page.Status != 200 || !strings.Contains(page.Body, "V2026-0001") || !strings.Contains(page.Body, "139****5678") ||
			strings.Contains(page.Body, "13912345678") || strings.Contains(page.Body, idNo) {
			t.Fatalf("detail masks: %d", page.Status)
		}
		list := c.Get("/volunteers")
		if !strings.Contains(list.Body, "李小红") || strings.Contains(list.Body, "13912345678") || strings.Contains(list.Body, idNo) {
			t.Fatal("list shows full personal data")
		}
		// The spreadsheet of the list stays masked too.
		x := c.Get("/volunteers?format=xlsx")
		rows, err := export.ReadXLSX(strings.NewReader(x.Body), "", export.ReadLimits{})
		if err != nil || len(rows) != 2 || strings.Contains(fmt.Sprint(rows), "13912345678") || !strings.Contains(fmt.Sprint(rows), "139****5678") {
			t.Fatalf("export: %v %v", err, rows)
		}
		api := e.APIClient(v.worker)
		for _, path := range []string{"/api/v1/volunteers", "/api/v1/volunteers/" + id} {
			a := api.Get(path)
			if a.Status != 200 || strings.Contains(a.Body, "13912345678") || strings.Contains(a.Body, idNo) || !strings.Contains(a.Body, "139****5678") {
				t.Fatalf("api %s: %d %s", path, a.Status, a.Body)
			}
		}
		// Reveal: full values, audited.
		rv := c.PostForm("/volunteers/"+id+"/reveal", nil)
		if rv.Status != 200 || !strings.Contains(rv.Body, "13912345678") || !strings.Contains(rv.Body, idNo) {
			t.Fatalf("reveal page: %d", rv.Status)
		}
		ar := api.JSON("POST", "/api/v1/volunteers/"+id+"/reveal", nil)
		if ar.Status != 200 || !strings.Contains(ar.Body, idNo) {
			t.Fatalf("api reveal: %d %s", ar.Status, ar.Body)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.reveal' AND object_id = $1`, id); n != 2 {
			t.Fatalf("reveals audited: %d", n)
		}

		// Scope: the evaluator reads masked but may not write or reveal; other
		// centres and other organizations get 404.
		ev := e.Login(v.eval)
		if r := ev.Get("/volunteers/" + id); r.Status != 200 || strings.Contains(r.Body, "13912345678") || strings.Contains(r.Body, "查看完整信息") {
			t.Fatalf("evaluator read: %d", r.Status)
		}
		if r := ev.PostForm("/volunteers", url.Values{"name": {"x"}}); r.Status != http.StatusForbidden {
			t.Fatalf("evaluator create: %d", r.Status)
		}
		if r := ev.PostForm("/volunteers/"+id+"/reveal", nil); r.Status != http.StatusForbidden {
			t.Fatalf("evaluator reveal: %d", r.Status)
		}
		evAPI := e.APIClient(v.eval)
		if r := evAPI.JSON("PUT", "/api/v1/volunteers/"+id, map[string]any{"name": "改名"}); r.Status != http.StatusForbidden {
			t.Fatalf("evaluator api write: %d", r.Status)
		}
		if r := e.Login(v.southW).Get("/volunteers/" + id); r.Status != http.StatusNotFound {
			t.Fatalf("other centre: %d", r.Status)
		}
		if r := e.APIClient(v.southW).Get("/api/v1/volunteers/" + id); r.Status != http.StatusNotFound {
			t.Fatalf("other centre api: %d", r.Status)
		}
		if r := e.Login(v.foreign).Get("/volunteers/" + id); r.Status != http.StatusNotFound {
			t.Fatalf("other org: %d", r.Status)
		}
		if r := e.APIClient(v.foreign).JSON("POST", "/api/v1/volunteers/"+id+"/reveal", nil); r.Status != http.StatusNotFound {
			t.Fatalf("other org reveal: %d", r.Status)
		}

		// Edit keeps the personal data when left blank.
		ed := c.Get("/volunteers/" + id + "/edit")
		if ed.Status != 200 || strings.Contains(ed.Body, "13912345678") || !strings.Contains(ed.Body, "当前 139****5678") {
			t.Fatalf("edit page: %d", ed.Status)
		}
		r = c.PostForm("/volunteers/"+id, url.Values{"site_id": {fmt.Sprint(v.north)}, "name": {"李小红"}, "skills": {"书法、绘画"},
			"ivol_id": {"44190000123"}, "joined_on": {"2026-03-01"}, "status": {"active"}, "version": {"1"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		if r := c.Get("/volunteers/" + id); !strings.Contains(r.Body, "书法、绘画") || !strings.Contains(r.Body, "139****5678") {
			t.Fatal("update lost data")
		}
	})
}

func TestServiceRecordPagesAndIvolExport(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		v := newVolSetup(e)
		c := e.Login(v.worker)
		api := e.APIClient(v.worker)
		idNo := volID("44190019950707003")
		var vol struct {
			ID int64  `json:"id"`
			No string `json:"volunteer_no"`
		}
		r := api.JSON("POST", "/api/v1/volunteers", map[string]any{"site_id": v.north, "name": "陈志愿", "id_number": idNo,
			"phone": "13600000001", "ivol_id": "IV0001", "skills": "摄影"})
		if r.Status != http.StatusCreated {
			t.Fatalf("api create: %d %s", r.Status, r.Body)
		}
		json.Unmarshal([]byte(r.Body), &vol)
		vid := fmt.Sprint(vol.ID)
		form := url.Values{"volunteer_id": {vid}, "activity_name": {"长者探访"}, "service_date": {"2026-03-01"},
			"start_time": {"09:00"}, "end_time": {"11:00"}, "lead_name": {"王社工"}, "lead_phone": {"13800138000"}}
		if r := c.PostForm("/volunteer-services", form); r.Status != http.StatusSeeOther {
			t.Fatalf("record: %d %s", r.Status, r.Body)
		}
		form.Set("activity_name", "社区义诊")
		form.Set("start_time", "10:00")
		form.Set("end_time", "12:00")
		r = c.PostForm("/volunteer-services", form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "该志愿者在 2026-03-01 09:00–11:00 已有服务记录（长者探访），时间不能重叠") ||
			!strings.Contains(r.Body, `value="社区义诊"`) {
			t.Fatalf("overlap: %d %s", r.Status, r.Body)
		}
		ar := api.JSON("POST", "/api/v1/volunteers/services", map[string]any{"volunteer_id": vol.ID, "activity_name": "社区义诊",
			"service_date": "2026-03-01", "start_time": "10:30", "end_time": "11:30"})
		if ar.Status != http.StatusConflict || !strings.Contains(ar.Body, "时间不能重叠") || !strings.Contains(ar.Body, `"start_time"`) {
			t.Fatalf("api overlap: %d %s", ar.Status, ar.Body)
		}
		form.Set("start_time", "11:00")
		form.Set("end_time", "12:30")
		form.Set("late_minutes", "10")
		if r := c.PostForm("/volunteer-services", form); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/volunteer-services/") {
			t.Fatalf("second record: %d %s", r.Status, r.Body)
		}
		list := c.Get("/volunteer-services")
		if !strings.Contains(list.Body, "3.33") || !strings.Contains(list.Body, "1小时20分") {
			t.Fatalf("records list: %s", list.Body)
		}
		// Evaluator: may see the export page but not export.
		if r := e.Login(v.eval).PostForm("/ivolunteer/export", url.Values{"kind": {"hours"}}); r.Status != http.StatusForbidden {
			t.Fatalf("evaluator export: %d", r.Status)
		}
		page := c.Get("/ivolunteer")
		if page.Status != 200 || !strings.Contains(page.Body, "长者探访") || !strings.Contains(page.Body, "导出本活动") {
			t.Fatalf("ivol page: %d", page.Status)
		}
		x := c.PostForm("/ivolunteer/export", url.Values{"kind": {"hours"}})
		if x.Status != 200 || x.Header.Get("Content-Type") != export.ContentTypeXLSX {
			t.Fatalf("export: %d %s", x.Status, x.Body)
		}
		rows, err := export.ReadXLSX(strings.NewReader(x.Body), "", export.ReadLimits{})
		if err != nil || len(rows) != 3 {
			t.Fatalf("exported rows: %v %v", err, rows)
		}
		if strings.Join(rows[0], ",") != "证件号码,姓名,手机号,活动名称,服务日期,服务时长（小时）,服务时长（分钟）,迟到分钟,早退分钟,活动负责人,负责人电话" {
			t.Fatalf("header: %v", rows[0])
		}
		want := idNo + ",陈志愿,13600000001,社区义诊,2026-03-01,1,20,10,0,王社工,13800138000"
		if strings.Join(rows[1], ",") != want && strings.Join(rows[2], ",") != want {
			t.Fatalf("rows: %v", rows[1:])
		}
		// Nothing twice: the next export finds nothing and says so.
		again := c.PostForm("/ivolunteer/export", url.Values{"kind": {"hours"}})
		if again.Status != http.StatusUnprocessableEntity || !strings.Contains(again.Body, "没有待导出的服务记录") {
			t.Fatalf("second export: %d", again.Status)
		}
		if n := e.Count(`SELECT COUNT(*) FROM volunteer_services WHERE batch_id IS NULL`); n != 0 {
			t.Fatalf("%d records not marked", n)
		}
		// Exported records are frozen, and the batch can be fetched again.
		recID := e.Count(`SELECT MIN(id) FROM volunteer_services`)
		if r := c.PostForm(fmt.Sprintf("/volunteer-services/%d/delete", recID), nil); r.Status != http.StatusConflict {
			t.Fatalf("delete exported: %d", r.Status)
		}
		batch := e.Count(`SELECT MAX(id) FROM ivol_batches`)
		if r := c.Get(fmt.Sprintf("/ivolunteer/batches/%d", batch)); r.Status != 200 || r.Header.Get("Content-Type") != export.ContentTypeXLSX {
			t.Fatalf("re-download: %d", r.Status)
		}
		if r := e.Login(v.southW).Get(fmt.Sprintf("/ivolunteer/batches/%d", batch)); r.Status != http.StatusNotFound {
			t.Fatalf("other centre re-download: %d", r.Status)
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('ivol.export', 'ivol.redownload')`); n != 2 {
			t.Fatalf("exports audited: %d", n)
		}
		// API export of registrations after a new volunteer.
		api.JSON("POST", "/api/v1/volunteers", map[string]any{"site_id": v.north, "name": "新人", "phone": "13600000002"})
		reg := api.JSON("POST", "/api/v1/volunteers/ivol/export", map[string]any{"kind": "registration"})
		if reg.Status != http.StatusCreated || !strings.Contains(reg.Body, "13600000002") || !strings.Contains(reg.Body, "证件号码") {
			t.Fatalf("api registration export: %d %s", reg.Status, reg.Body)
		}
	})
}

// upload posts a file to an import form.
func volUpload(t *testing.T, c *testenv.Client, path string, file []byte, dryRun bool) testenv.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "导入.xlsx")
	fw.Write(file)
	if dryRun {
		mw.WriteField("dry_run", "1")
	}
	mw.Close()
	return c.Do("POST", path, &body, mw.FormDataContentType())
}

func volSheet(t *testing.T, header []string, rows ...[]any) []byte {
	t.Helper()
	cols := make([]export.Column, len(header))
	for i, h := range header {
		cols[i] = export.Column{Header: h}
	}
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, "导入", cols, export.Slice(rows, func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVolunteerImportPage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		v := newVolSetup(e)
		c := e.Login(v.worker)
		tpl := c.Get("/volunteers/import/template")
		head, err := export.ReadXLSX(strings.NewReader(tpl.Body), "", export.ReadLimits{})
		if err != nil || len(head) != 1 || head[0][0] != "姓名*" {
			t.Fatalf("template: %v %v", err, head)
		}
		header := head[0]
		row := func(name, site, phone string) []any {
			r := make([]any, len(header))
			for i := range r {
				r[i] = ""
			}
			r[0], r[1], r[6] = name, site, phone
			return r
		}
		bad := volSheet(t, header, row("张三", "黄江镇北岸社区综合服务中心", "13500000001"), row("", "黄江镇北岸社区综合服务中心", "13500000002"),
			row("李四", "企石镇振华社区综合服务中心", "13500000003"), row("王五", "黄江镇北岸社区综合服务中心", "135"))
		r := volUpload(t, c, "/volunteers/import", bad, true)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "第 3 行") || !strings.Contains(r.Body, "第 4 行") ||
			!strings.Contains(r.Body, "第 5 行") || strings.Contains(r.Body, "第 2 行") || !strings.Contains(r.Body, "未导入任何数据") {
			t.Fatalf("dry run: %d %s", r.Status, r.Body)
		}
		r = volUpload(t, c, "/volunteers/import", bad, false)
		if r.Status != http.StatusUnprocessableEntity || e.Count(`SELECT COUNT(*) FROM volunteers`) != 0 {
			t.Fatalf("bad import wrote rows: %d", r.Status)
		}
		good := volSheet(t, header, row("张三", "黄江镇北岸社区综合服务中心", "13500000001"), row("李四", "黄江镇北岸社区综合服务中心", "13500000003"))
		if r := volUpload(t, c, "/volunteers/import", good, true); r.Status != 200 || !strings.Contains(r.Body, "检查通过") ||
			e.Count(`SELECT COUNT(*) FROM volunteers`) != 0 {
			t.Fatalf("clean dry run: %d", r.Status)
		}
		if r := volUpload(t, c, "/volunteers/import", good, false); r.Status != 200 || !strings.Contains(r.Body, "导入完成") ||
			e.Count(`SELECT COUNT(*) FROM volunteers`) != 2 {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		// No file at all.
		if r := c.PostForm("/volunteers/import", nil); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "请选择要导入的Excel文件") {
			t.Fatalf("no file: %d", r.Status)
		}
		// The API takes the file as the body.
		api := e.APIClient(v.worker)
		ar := api.Do("POST", "/api/v1/volunteers/import?dry_run=1", bytes.NewReader(bad), export.ContentTypeXLSX)
		if ar.Status != http.StatusUnprocessableEntity || !strings.Contains(ar.Body, `"row":3`) {
			t.Fatalf("api import: %d %s", ar.Status, ar.Body)
		}
	})
}

func TestCertificatePage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		v := newVolSetup(e)
		c := e.Login(v.head)
		api := e.APIClient(v.head)
		idNo := volID("44190019880101001")
		r := api.JSON("POST", "/api/v1/volunteers", map[string]any{"site_id": v.north, "name": "证明人", "id_number": idNo, "phone": "13700000001"})
		var vol struct{ ID int64 }
		json.Unmarshal([]byte(r.Body), &vol)
		api.JSON("POST", "/api/v1/volunteers/services", map[string]any{"volunteer_id": vol.ID, "activity_name": "长者探访",
			"service_date": "2026-02-10", "start_time": "09:00", "end_time": "12:00"})
		// No records in the period: refused beside the field, no number used.
		r = c.PostForm(fmt.Sprintf("/volunteers/%d/certificates", vol.ID), url.Values{"period_from": {"2026-03-01"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "没有服务记录") {
			t.Fatalf("empty period: %d", r.Status)
		}
		var numbers []string
		for range 2 {
			r = c.PostForm(fmt.Sprintf("/volunteers/%d/certificates", vol.ID), nil)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("issue: %d %s", r.Status, r.Body)
			}
			p := c.Get(r.Location)
			if p.Status != 200 || strings.Contains(p.Body, idNo) || !strings.Contains(p.Body, "累计志愿服务时间") {
				t.Fatalf("certificate page: %d", p.Status)
			}
			i := strings.Index(p.Body, "绿叶证字")
			numbers = append(numbers, p.Body[i:i+len("绿叶证字2026第0001号")])
		}
		if numbers[0] != "绿叶证字2026第0001号" || numbers[1] != "绿叶证字2026第0002号" {
			t.Fatalf("numbers: %v", numbers)
		}
		full := c.Get(r.Location + "?full=1")
		if full.Status != 200 || !strings.Contains(full.Body, idNo) {
			t.Fatalf("full certificate: %d", full.Status)
		}
		if r := e.Login(v.eval).Get(r.Location + "?full=1"); r.Status != http.StatusForbidden {
			t.Fatalf("evaluator full certificate: %d", r.Status)
		}
	})
}

func TestVolunteerReminders(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		// Service points created in January exist through February.
		e.Clock.Set(time.Date(2026, 1, 10, 1, 0, 0, 0, time.UTC))
		v := newVolSetup(e)
		admin := v.o.User("xingzheng", true, authz.RoleAdminHead)
		hc, ac, wc := e.Login(v.head), e.Login(admin), e.Login(v.worker)
		at := func(y int, m time.Month, d int) { e.Clock.Set(time.Date(y, m, d, 1, 0, 0, 0, time.UTC)) }

		at(2026, 3, 5)
		hc, ac, wc = e.Login(v.head), e.Login(admin), e.Login(v.worker)
		if r := hc.Get("/"); strings.Contains(r.Body, "资源链接未登记") {
			t.Fatal("reminded on the 5th")
		}
		at(2026, 3, 6)
		hc, ac, wc = e.Login(v.head), e.Login(admin), e.Login(v.worker)
		r := hc.Get("/")
		if !strings.Contains(r.Body, "北岸社区综合服务中心 · 2026年2月资源链接") || strings.Contains(r.Body, "振华社区综合服务中心 · 2026年2月资源链接") {
			t.Fatalf("centre head on the 6th: %s", r.Body)
		}
		if r := ac.Get("/"); !strings.Contains(r.Body, "振华社区综合服务中心 · 2026年2月资源链接") {
			t.Fatal("admin head sees every centre")
		}
		if r := wc.Get("/"); strings.Contains(r.Body, "资源链接未登记") {
			t.Fatal("worker reminded")
		}
		// The worker registers February's links through the form: the reminder goes.
		res := wc.PostForm("/resources", url.Values{"site_id": {fmt.Sprint(v.north)}, "month": {"2026-02"}, "provider": {"爱心商家"},
			"kind": {"goods"}, "value": {"1,200.50"}, "beneficiaries": {"30"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("register link: %d %s", res.Status, res.Body)
		}
		if r := hc.Get("/"); strings.Contains(r.Body, "2026年2月资源链接") {
			t.Fatal("reminder stays after registering")
		}
		// South reports none for February through the status page.
		if r := ac.PostForm("/resources/none", url.Values{"site_id": {fmt.Sprint(v.south)}, "month": {"2026-02"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("nil report: %d %s", r.Status, r.Body)
		}
		if r := ac.Get("/"); strings.Contains(r.Body, "2026年2月资源链接") {
			t.Fatal("admin still reminded")
		}
		if r := ac.Get("/resources/status?month=2026-02"); !strings.Contains(r.Body, "本月无资源") || !strings.Contains(r.Body, "¥1,200.50") {
			t.Fatalf("status page: %s", r.Body)
		}

		// Purchaser communication: due from the 25th, overdue after month end.
		at(2026, 3, 24)
		hc = e.Login(v.head)
		if r := hc.Get("/"); strings.Contains(r.Body, "2026年3月用人单位沟通") {
			t.Fatal("comm reminder before the 25th")
		}
		at(2026, 3, 25)
		hc = e.Login(v.head)
		if r := hc.Get("/"); !strings.Contains(r.Body, "北岸社区综合服务中心 · 2026年3月用人单位沟通") {
			t.Fatal("no comm reminder on the 25th")
		}
		at(2026, 4, 1)
		hc = e.Login(v.head)
		api := e.APIClient(v.head)
		rem := api.Get("/api/v1/reminders")
		if !strings.Contains(rem.Body, `"rule":"purchaser_comm_missing"`) || !strings.Contains(rem.Body, `"overdue":true`) {
			t.Fatalf("overdue after month end: %s", rem.Body)
		}
		// A late record for March clears it.
		ar := api.JSON("POST", "/api/v1/resources/comms", map[string]any{"site_id": v.north, "comm_date": "2026-03-31",
			"contact": "社区居委陈主任", "method": "visit", "content": "补记：3月底面谈汇报服务"})
		if ar.Status != http.StatusCreated {
			t.Fatalf("api comm: %d %s", ar.Status, ar.Body)
		}
		if r := hc.Get("/"); strings.Contains(r.Body, "2026年3月用人单位沟通") {
			t.Fatal("comm reminder stays")
		}
	})
}

func TestResourceLibraryPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		v := newVolSetup(e)
		wc := e.Login(v.worker)
		r := wc.PostForm("/resources", url.Values{"site_id": {fmt.Sprint(v.north)}, "month": {"2026-02"}, "provider": {"北岸社区公益金"},
			"kind": {"money"}, "value": {"15000"}, "description": {"义路童行项目资助"}, "beneficiaries": {"120"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := volIDFrom(t, r.Location, "/resources/")
		if r := wc.PostForm("/resources", url.Values{"site_id": {fmt.Sprint(v.south)}, "month": {"2026-02"}, "provider": {"x"}, "kind": {"money"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "无权") {
			t.Fatalf("other centre: %d", r.Status)
		}
		if r := wc.PostForm("/resources", url.Values{"site_id": {fmt.Sprint(v.north)}, "month": {"2026-02"}, "provider": {"x"}, "kind": {"money"}, "value": {"12.345"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "金额格式不正确") {
			t.Fatalf("bad money: %d", r.Status)
		}
		lib := e.Login(v.eval).Get("/resources?q=" + url.QueryEscape("童行"))
		if lib.Status != 200 || !strings.Contains(lib.Body, "北岸社区公益金") || !strings.Contains(lib.Body, "¥15,000.00") {
			t.Fatalf("library: %d", lib.Status)
		}
		if r := e.Login(v.eval).PostForm("/resources/"+id+"/delete", nil); r.Status != http.StatusForbidden {
			t.Fatalf("evaluator delete: %d", r.Status)
		}
		if r := e.Login(v.southW).Get("/resources/" + id); r.Status != http.StatusNotFound {
			t.Fatalf("other centre: %d", r.Status)
		}
		if r := e.APIClient(v.foreign).Get("/api/v1/resources/" + id); r.Status != http.StatusNotFound {
			t.Fatalf("other org: %d", r.Status)
		}
		api := e.APIClient(v.head)
		l := api.Get("/api/v1/resources?kind=money")
		if l.Status != 200 || !strings.Contains(l.Body, `"value_fen":1500000`) || !strings.Contains(l.Body, `"count":1`) {
			t.Fatalf("api library: %s", l.Body)
		}
		c := e.Login(v.head)
		r = c.PostForm("/purchaser-comms", url.Values{"site_id": {fmt.Sprint(v.north)}, "comm_date": {"2026-03-01"},
			"contact": {"陈主任"}, "method": {"wechat"}, "content": {"沟通3月活动安排"}, "follow_up": {"1"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "需跟进事项不能为空") {
			t.Fatalf("follow-up without note: %d", r.Status)
		}
		r = c.PostForm("/purchaser-comms", url.Values{"site_id": {fmt.Sprint(v.north)}, "comm_date": {"2026-03-01"},
			"contact": {"陈主任"}, "method": {"wechat"}, "content": {"沟通3月活动安排"}, "follow_up": {"1"}, "follow_up_note": {"提交活动计划"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("comm: %d %s", r.Status, r.Body)
		}
		if r := c.Get("/purchaser-comms?follow_up=1"); !strings.Contains(r.Body, "陈主任") || !strings.Contains(r.Body, "需跟进") {
			t.Fatal("comm list")
		}
	})
}
