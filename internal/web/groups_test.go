package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// groupWorld is one organization with two centres and the people who work
// with groups there.
type groupWorld struct {
	e               *testenv.Env
	org             *testenv.Org
	siteA, siteB    int64
	worker, workerB *testenv.Person
	head, eval, dir *testenv.Person
	foreign         *testenv.Person
}

func newGroupWorld(e *testenv.Env) *groupWorld {
	g := &groupWorld{e: e}
	g.org = e.Org("lvye", "绿叶社工")
	g.siteA = g.org.Site("黄江镇北岸社区综合服务中心", "centre")
	g.siteB = g.org.Site("企石镇振华社区综合服务中心", "centre")
	g.worker = g.org.User("wang", true, authz.RoleWorker).Assign(g.siteA, "worker")
	g.workerB = g.org.User("li", true, authz.RoleWorker).Assign(g.siteB, "worker")
	g.head = g.org.User("chen", true, authz.RoleCentreHead).Assign(g.siteA, "centre_head")
	g.eval = g.org.User("eval", false, authz.RoleEvaluator)
	g.dir = g.org.User("dir", true, authz.RoleDirector)
	other := e.Org("other", "别家机构")
	x := other.Site("别家中心", "centre")
	g.foreign = other.User("zhao", true, authz.RoleDirector).Assign(x, "worker")
	return g
}

var locationID = regexp.MustCompile(`/(?:groups|activities|projects)/(\d+)`)

func idFrom(t *testing.T, loc string) string {
	t.Helper()
	m := locationID.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("no id in %q", loc)
	}
	return m[1]
}

func wantStatus(t *testing.T, what string, r testenv.Response, status int, texts ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, clip(r.Body))
	}
	for _, s := range texts {
		if !strings.Contains(r.Body, s) {
			t.Fatalf("%s: body lacks %q", what, s)
		}
	}
}

func TestGroupPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		g := newGroupWorld(e)
		c := e.Login(g.worker)
		wantStatus(t, "list", c.Get("/groups"), 200, "新建小组", "导出Excel")

		// Bad input keeps what was typed and says what is wrong.
		r := c.PostForm("/groups", url.Values{"name": {"青少年成长小组"}, "planned_sessions": {"六"}, "plan_start": {"2026-13-01"}})
		wantStatus(t, "bad create", r, http.StatusUnprocessableEntity, "青少年成长小组", "计划节数请填写整数", "日期格式应为")
		r = c.PostForm("/groups", url.Values{"name": {"青少年成长小组"}})
		wantStatus(t, "incomplete create", r, http.StatusUnprocessableEntity, "请选择带领社工", "请选择服务点")

		site := fmt.Sprint(g.siteA)
		form := url.Values{"name": {"青少年成长小组"}, "kind": {"growth"}, "site_id": {site},
			"leader_id": {fmt.Sprint(g.worker.StaffID)}, "planned_sessions": {"2"}, "target_members": {"8"},
			"goals": {"提升沟通能力"}, "co_leader_ids": {fmt.Sprint(g.head.StaffID)}}
		r = c.PostForm("/groups", form)
		wantStatus(t, "create", r, http.StatusSeeOther)
		id := idFrom(t, r.Location)
		gp := "/groups/" + id
		wantStatus(t, "show", c.Get(gp), 200, "青少年成长小组", "筹备中", "同工chen", "提升沟通能力")

		// Members, then a session recorded with the phone check-list.
		wantStatus(t, "add member", c.PostForm(gp+"/members", url.Values{"name": {"张小明"}, "gender": {"男"}}), http.StatusSeeOther)
		wantStatus(t, "add member", c.PostForm(gp+"/members", url.Values{"name": {"李小红"}}), http.StatusSeeOther)
		wantStatus(t, "bad member", c.PostForm(gp+"/members", url.Values{"name": {"王大明"}, "client_id": {"abc"}}),
			http.StatusUnprocessableEntity, "服务对象编号应为数字", "王大明")
		wantStatus(t, "nameless member", c.PostForm(gp+"/members", url.Values{}), http.StatusUnprocessableEntity, "姓名不能为空")
		page := c.Get(gp + "/sessions/new")
		wantStatus(t, "session form", page, 200, `name="present"`, "张小明", "李小红", "出席登记")
		ids := regexp.MustCompile(`name="present" value="(\d+)"`).FindAllStringSubmatch(page.Body, -1)
		if len(ids) != 2 {
			t.Fatalf("check-list has %d members", len(ids))
		}
		r = c.PostForm(gp+"/sessions", url.Values{"held_on": {"2026-03-02"}, "topic": {"相识"}, "stage": {"formation"},
			"present": {ids[0][1], ids[1][1]}})
		wantStatus(t, "session", r, http.StatusSeeOther)
		r = c.PostForm(gp+"/sessions", url.Values{"held_on": {"2026-03-09"}, "topic": {"未来的节"}})
		wantStatus(t, "future session", r, http.StatusUnprocessableEntity, "日期不能晚于今天", "未来的节")
		show := c.Get(gp)
		wantStatus(t, "after session", show, 200, "进行中", "2 / 2", "形成期")

		// Another centre's worker and another organization see nothing.
		wantStatus(t, "worker B", e.Login(g.workerB).Get(gp), http.StatusNotFound)
		wantStatus(t, "other org", e.Login(g.foreign).Get(gp), http.StatusNotFound)
		if r := e.Login(g.workerB).Get("/groups"); strings.Contains(r.Body, "青少年成长小组") {
			t.Fatal("worker B lists site A's group")
		}
		// The evaluator reads, masked, and may not write.
		ev := e.Login(g.eval)
		r = ev.Get(gp)
		wantStatus(t, "evaluator", r, 200, "张*明", "姓名已脱敏")
		if strings.Contains(r.Body, "张小明") || strings.Contains(r.Body, "记录新一节") {
			t.Fatal("evaluator sees names or write buttons")
		}
		wantStatus(t, "evaluator writes", ev.PostForm(gp+"/members", url.Values{"name": {"x"}}), http.StatusForbidden)

		// A stale edit is refused with the conflict message, input kept.
		edit := c.Get(gp + "/edit")
		wantStatus(t, "edit page", edit, 200, `name="version" value="1"`)
		form.Set("version", "1")
		form.Set("name", "青少年成长小组（第一期）")
		wantStatus(t, "edit", c.PostForm(gp+"/edit", form), http.StatusSeeOther)
		wantStatus(t, "stale edit", c.PostForm(gp+"/edit", form), http.StatusUnprocessableEntity, "该记录已被他人修改，请刷新后重试", "青少年成长小组（第一期）")

		// The last planned session makes the report due: a reminder on the
		// home page of the leader and the centre head, gone once filed.
		e.Clock.Set(time.Date(2026, 3, 9, 2, 0, 0, 0, time.UTC))
		c = e.Login(g.worker)
		r = c.PostForm(gp+"/sessions", url.Values{"held_on": {"2026-03-09"}, "topic": {"告别"}, "present": {ids[0][1]}})
		wantStatus(t, "last session", r, http.StatusSeeOther)
		wantStatus(t, "home", c.Get("/"), 200, "小组报告待交", "青少年成长小组（第一期） · 小组报告")
		hc := e.Login(g.head)
		wantStatus(t, "head home", hc.Get("/"), 200, "小组报告待交")
		wantStatus(t, "report due list", c.Get("/groups?status=report_due"), 200, "待交报告", "共 1 条")
		if r := e.Login(g.workerB).Get("/"); strings.Contains(r.Body, "小组报告待交") {
			t.Fatal("worker B reminded of site A's group")
		}
		e.Clock.Set(time.Date(2026, 3, 25, 2, 0, 0, 0, time.UTC))
		c = e.Login(g.worker)
		wantStatus(t, "overdue", c.Get("/"), 200, "逾期")
		wantStatus(t, "report form", c.Get(gp+"/report"), 200, "提交小组报告", "3")
		wantStatus(t, "empty report", c.PostForm(gp+"/report", url.Values{}), http.StatusUnprocessableEntity, "小组总结不能为空")
		r = c.PostForm(gp+"/report", url.Values{"report_date": {"2026-03-25"}, "summary": {"两节顺利完成"}, "goal_attainment": {"达成"}})
		wantStatus(t, "file report", r, http.StatusSeeOther)
		if r := c.Get("/"); strings.Contains(r.Body, "小组报告待交") {
			t.Fatal("reminder shown after the report was filed")
		}
		wantStatus(t, "finished", c.Get(gp), 200, "已结束", "两节顺利完成", "提交小组报告")
		wantStatus(t, "session after report", c.PostForm(gp+"/sessions", url.Values{"held_on": {"2026-03-24"}, "topic": {"追加"}}),
			http.StatusUnprocessableEntity, "不能再记录新的节次")

		// Every sortable column sorts, both ways, with every filter set.
		for _, k := range []string{"name", "site", "leader", "start", "status", "sessions", "person_times"} {
			for _, dir := range []string{"asc", "desc"} {
				wantStatus(t, "sort "+k, c.Get(fmt.Sprintf("/groups?sort=%s&dir=%s&site_id=%d&project_id=0&leader_id=%d&status=finished&from=2026-01-01&to=2026-12-31&q=小组",
					k, dir, g.siteA, g.worker.StaffID)), 200, "青少年成长小组（第一期）")
			}
		}
		wantStatus(t, "bad status filter", c.Get("/groups?status=lost"), http.StatusUnprocessableEntity, "请选择有效的小组状态")

		// Export of the list is a spreadsheet, and it is audited.
		x := c.Get("/groups?format=xlsx")
		if x.Status != 200 || !strings.Contains(x.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", x.Status, x.Header.Get("Content-Type"))
		}
		if e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND object_id = '/groups'`) != 1 {
			t.Fatal("export not audited")
		}
	})
}

func TestGroupAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		g := newGroupWorld(e)
		c := e.APIClient(g.worker)
		r := c.JSON("POST", "/api/v1/groups", map[string]any{"name": "长者健康小组", "kind": "education", "site_id": g.siteA,
			"leader_id": g.worker.StaffID, "planned_sessions": 3, "plan_start": "2026-03-01"})
		wantStatus(t, "create", r, http.StatusCreated, `"status":"planning"`)
		var grp struct{ ID, Version int64 }
		json.Unmarshal([]byte(r.Body), &grp)
		base := fmt.Sprintf("/api/v1/groups/%d", grp.ID)

		wantStatus(t, "bad create", c.JSON("POST", "/api/v1/groups", map[string]any{"name": "", "planned_sessions": 0}),
			http.StatusUnprocessableEntity, `"fields"`, `"planned_sessions"`)
		wantStatus(t, "bad date", c.JSON("POST", "/api/v1/groups", map[string]any{"plan_start": "明天"}),
			http.StatusUnprocessableEntity, "日期格式应为")

		var ids []int64
		for _, n := range []string{"陈伯", "黄婆婆", "林姨"} {
			r := c.JSON("POST", base+"/members", map[string]any{"name": n})
			wantStatus(t, "member", r, http.StatusCreated, n)
			var m struct{ ID int64 }
			json.Unmarshal([]byte(r.Body), &m)
			ids = append(ids, m.ID)
		}
		r = c.JSON("POST", base+"/sessions", map[string]any{"held_on": "2026-03-02", "topic": "认识高血压", "present": ids[:2]})
		wantStatus(t, "session", r, http.StatusCreated, `"no":1`)
		var se struct{ ID, Version int64 }
		json.Unmarshal([]byte(r.Body), &se)
		att := fmt.Sprintf("%s/sessions/%d/attendance", base, se.ID)
		wantStatus(t, "attendance", c.JSON("PUT", att, map[string]any{"present": ids, "version": se.Version}), 200, `"absent":[]`)
		wantStatus(t, "stale attendance", c.JSON("PUT", att, map[string]any{"present": ids[:1], "version": se.Version}),
			http.StatusConflict, "该记录已被他人修改")
		r = c.Get(base)
		wantStatus(t, "get", r, 200, `"person_times":3`, `"sessions":1`)
		wantStatus(t, "report before the end", c.Get(base+"/report"), 200, `"filed":false`, `"due":false`)
		wantStatus(t, "list filtered", c.Get(fmt.Sprintf("/api/v1/groups?site_id=%d&status=running", g.siteA)), 200, `"total":1`)
		wantStatus(t, "list other site", c.Get(fmt.Sprintf("/api/v1/groups?site_id=%d", g.siteB)), 200, `"total":0`)
		wantStatus(t, "bad filter", c.Get("/api/v1/groups?from=someday"), http.StatusUnprocessableEntity)

		// Updates need the version.
		upd := map[string]any{"name": "长者健康小组", "kind": "education", "site_id": g.siteA, "leader_id": g.worker.StaffID, "planned_sessions": 1}
		wantStatus(t, "update without version", c.JSON("PUT", base, upd), http.StatusUnprocessableEntity, "缺少版本号")
		upd["version"] = grp.Version
		wantStatus(t, "update", c.JSON("PUT", base, upd), 200, `"report_due":true`)
		wantStatus(t, "report", c.JSON("PUT", base+"/report", map[string]any{"report_date": "2026-03-02", "summary": "一节完成"}),
			200, `"filed":true`, "一节完成")

		// Scope over the API: 404 outside, 403 for a read-only role.
		wantStatus(t, "worker B", e.APIClient(g.workerB).Get(base), http.StatusNotFound)
		wantStatus(t, "other org", e.APIClient(g.foreign).Get(base), http.StatusNotFound)
		ev := e.APIClient(g.eval)
		wantStatus(t, "evaluator reads", ev.Get(base+"/members"), 200, "陈*")
		wantStatus(t, "evaluator writes", ev.JSON("POST", base+"/members", map[string]any{"name": "x"}), http.StatusForbidden)
	})
}

// multipartBody builds a multipart form with files under the field "photo".
func photosBody(t *testing.T, files map[string][]byte) (*bytes.Buffer, string) {
	t.Helper()
	var fs []testenv.File
	for name, data := range files {
		fs = append(fs, testenv.File{Field: "photo", Name: name, Data: data})
	}
	return testenv.Multipart(t, nil, fs...)
}

func TestActivityPagesAndPhotos(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		g := newGroupWorld(e)
		c := e.Login(g.worker)
		form := url.Values{"title": {"三八妇女节游园"}, "kind": {"festival"}, "held_on": {"2026-03-01"}, "start_time": {"9:00"},
			"end_time": {"11:30"}, "site_id": {fmt.Sprint(g.siteA)}, "lead_id": {fmt.Sprint(g.worker.StaffID)},
			"participants": {"-3"}, "posters": {"2"}, "flyers": {"x"}}
		wantStatus(t, "bad activity", c.PostForm("/activities", form), http.StatusUnprocessableEntity, "三八妇女节游园", "单张数量请填写整数")
		form.Set("flyers", "150")
		wantStatus(t, "negative participants", c.PostForm("/activities", form), http.StatusUnprocessableEntity, "参与人数不能为负数")
		form.Set("signins", "张三\n李四、王五\n")
		r := c.PostForm("/activities", form)
		wantStatus(t, "create", r, http.StatusSeeOther)
		ap := "/activities/" + idFrom(t, r.Location)
		wantStatus(t, "show", c.Get(ap), 200, "三八妇女节游园", "按签到名单", "09:00", "待写报告")
		wantStatus(t, "list", c.Get("/activities?kind=festival"), 200, "三八妇女节游园", "共 1 条")

		// Photos: JPEG/PNG only, sniffed; at most 5 MB each.
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 200)...)
		body, ct := photosBody(t, map[string][]byte{"现场一.png": png})
		wantStatus(t, "upload", c.Do("POST", ap+"/photos", body, ct), http.StatusSeeOther)
		body, ct = photosBody(t, map[string][]byte{"photo.jpg": []byte("<html><script>alert(1)</script></html>")})
		wantStatus(t, "html as photo", c.Do("POST", ap+"/photos", body, ct), http.StatusUnprocessableEntity, "只能上传 JPEG 或 PNG")
		big := append([]byte("\xff\xd8\xff\xe0"), make([]byte, 5<<20)...)
		body, ct = photosBody(t, map[string][]byte{"big.jpg": big})
		wantStatus(t, "too large", c.Do("POST", ap+"/photos", body, ct), http.StatusUnprocessableEntity, "不能超过 5 MB")
		page := c.Get(ap)
		m := regexp.MustCompile(`src="(/activities/\d+/photos/\d+)"`).FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatal("photo not on the page")
		}
		img := c.Get(m[1])
		if img.Status != 200 || img.Header.Get("Content-Type") != "image/png" || img.Body != string(png) ||
			!strings.Contains(img.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("photo served: %d %s", img.Status, img.Header.Get("Content-Type"))
		}
		wantStatus(t, "photo for worker B", e.Login(g.workerB).Get(m[1]), http.StatusNotFound)
		ev := e.Login(g.eval)
		wantStatus(t, "evaluator sees", ev.Get(ap), 200, "张*")
		if r := ev.Get(m[1]); r.Status != 200 {
			t.Fatalf("evaluator photo: %d", r.Status)
		}
		body, ct = photosBody(t, map[string][]byte{"a.png": png})
		wantStatus(t, "evaluator uploads", ev.Do("POST", ap+"/photos", body, ct), http.StatusForbidden)

		// The API uploads too and reports the photos.
		api := e.APIClient(g.worker)
		body, ct = photosBody(t, map[string][]byte{"b.png": png})
		wantStatus(t, "api upload", api.Do("POST", "/api/v1"+ap+"/photos", body, ct), http.StatusCreated, "b.png", "现场一.png")
		wantStatus(t, "api get", api.Get("/api/v1"+ap), 200, `"participants":3`, `"signin":true`)
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'activity.photo.add'`); n != 2 {
			t.Fatalf("photo uploads audited: %d", n)
		}
	})
}

func TestProjectPage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		g := newGroupWorld(e)
		c := e.Login(g.head)
		r := c.PostForm("/projects", url.Values{"name": {"义路童行"}, "site_id": {fmt.Sprint(g.siteA)}, "status": {"active"},
			"start_date": {"2026-01-01"}, "end_date": {"2026-12-31"}, "partners": {"北岸社区关爱下一代成长委员会"}})
		wantStatus(t, "create", r, http.StatusSeeOther)
		pp := "/projects/" + idFrom(t, r.Location)
		pid := idFrom(t, r.Location)
		wantStatus(t, "bad fund", c.PostForm(pp+"/funds", url.Values{"funder": {"北岸社区公益金"}, "kind": {"community_fund"}, "amount": {"12.345"}}),
			http.StatusUnprocessableEntity, "金额格式不正确", "北岸社区公益金")
		wantStatus(t, "fund", c.PostForm(pp+"/funds", url.Values{"funder": {"北岸社区公益金"}, "kind": {"community_fund"}, "amount": {"50,000"}}), http.StatusSeeOther)
		wantStatus(t, "fund", c.PostForm(pp+"/funds", url.Values{"funder": {"黄江镇社区社会组织活动开展扶持专项资金"}, "kind": {"special_fund"}, "amount": {"30000.5"}}), http.StatusSeeOther)
		wantStatus(t, "incubated", c.PostForm(pp+"/incubated", url.Values{"name": {"北岸社区艺术团"}, "members": {"25"}, "founded_on": {"2026-02-01"}}), http.StatusSeeOther)

		// A group and an interest class under the project feed its outputs.
		w := e.Login(g.worker)
		r = w.PostForm("/groups", url.Values{"name": {"童行兴趣小组"}, "kind": {"interest"}, "site_id": {fmt.Sprint(g.siteA)},
			"project_id": {pid}, "leader_id": {fmt.Sprint(g.worker.StaffID)}, "planned_sessions": {"8"}})
		wantStatus(t, "group", r, http.StatusSeeOther)
		gp := "/groups/" + idFrom(t, r.Location)
		w.PostForm(gp+"/members", url.Values{"name": {"小明"}})
		page := w.Get(gp + "/sessions/new")
		mid := regexp.MustCompile(`name="present" value="(\d+)"`).FindStringSubmatch(page.Body)[1]
		wantStatus(t, "session", w.PostForm(gp+"/sessions", url.Values{"held_on": {"2026-03-01"}, "topic": {"绘画"}, "present": {mid}}), http.StatusSeeOther)
		r = w.PostForm("/activities", url.Values{"title": {"书法兴趣班"}, "kind": {"interest_class"}, "held_on": {"2026-02-20"},
			"site_id": {fmt.Sprint(g.siteA)}, "project_id": {pid}, "lead_id": {fmt.Sprint(g.worker.StaffID)},
			"participants": {"18"}, "posters": {"1"}, "flyers": {"40"}})
		wantStatus(t, "interest class", r, http.StatusSeeOther)

		show := c.Get(pp)
		wantStatus(t, "project page", show, 200, "义路童行", "¥80,000.50", "北岸社区艺术团", "童行兴趣小组", "书法兴趣班",
			"社区活动（含兴趣班 1）", "实施中")
		api := e.APIClient(g.head)
		wantStatus(t, "api outputs", api.Get("/api/v1"+pp), 200, `"groups":1`, `"group_sessions":1`, `"person_times":1`,
			`"activities":1`, `"interest_classes":1`, `"participants":18`, `"flyers":40`, `"incubated":1`, `"funding_fen":8000050`)
		wantStatus(t, "worker B", e.Login(g.workerB).Get(pp), http.StatusNotFound)
		wantStatus(t, "list", c.Get("/projects?status=active"), 200, "义路童行", "¥80,000.50")
		for _, k := range []string{"name", "site", "start", "end", "status", "funding"} {
			wantStatus(t, "sort "+k, c.Get("/projects?dir=desc&from=2026-01-01&to=2026-06-30&q=童行&sort="+k), 200, "义路童行")
		}
		for _, k := range []string{"date", "title", "kind", "site", "lead", "participants"} {
			wantStatus(t, "sort "+k, w.Get(fmt.Sprintf("/activities?dir=desc&status=no_report&project_id=%s&from=2026-02-01&to=2026-02-28&q=书法&sort=%s", pid, k)),
				200, "书法兴趣班")
		}
	})
}
