package web_test

import (
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

// caseSite is a worker and a supervisor at 北岸 (code BA), a colleague, a
// worker elsewhere, the service head, and one client with consent.
type caseSite struct {
	e               *testenv.Env
	org             *testenv.Org
	site            int64
	w, w2, sup, fwb *testenv.Person
	stranger        *testenv.Person
	client          int64
}

func newCaseSite(t *testing.T, e *testenv.Env) *caseSite {
	s := &caseSite{e: e}
	s.org = e.Org("lvye", "绿叶社工")
	s.site = s.org.Site("北岸中心", "centre")
	e.Exec(`UPDATE sites SET code = 'BA' WHERE id = $1`, s.site)
	other := s.org.Site("振华中心", "centre")
	s.w = s.org.User("chen", true, authz.RoleWorker).Assign(s.site, "worker")
	s.w2 = s.org.User("li", true, authz.RoleWorker).Assign(s.site, "worker")
	s.sup = s.org.User("wang", true, authz.RoleSupervisor).Assign(s.site, "supervisor")
	s.sup.Supervises(s.w).Supervises(s.w2)
	s.fwb = s.org.User("fwb", true, authz.RoleServiceHead)
	s.stranger = s.org.User("wu", true, authz.RoleWorker).Assign(other, "worker")
	now := e.Clock.Now().UTC()
	s.client = e.ID(`INSERT INTO clients (org_id, name, birth_date, worker_id, site_id, created_at, updated_at)
		VALUES ($1, '陈阿婆', '1948-02-03', $2, $3, $4, $4) RETURNING id`, s.org.ID, s.w.StaffID, s.site, now)
	e.Exec(`INSERT INTO client_consents (org_id, client_id, signed_on, signer_name, relationship, created_at)
		VALUES ($1, $2, '2026-03-01', '陈阿婆', 'self', $3)`, s.org.ID, s.client, now)
	return s
}

var (
	caseReVersion  = regexp.MustCompile(`name="version" value="(\d+)"`)
	caseReApproval = regexp.MustCompile(`name="approval_id" value="(\d+)">\s*<input type="hidden" name="approval_version" value="(\d+)"`)
	caseReLoc      = regexp.MustCompile(`^/cases/(\d+)$`)
)

func caseWant(t *testing.T, res testenv.Response, status int, contains ...string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, clip(res.Body))
	}
	for _, c := range contains {
		if !strings.Contains(res.Body, c) {
			t.Fatalf("page lacks %q:\n%s", c, res.Body)
		}
	}
}

func caseVersionOf(t *testing.T, body string) string {
	t.Helper()
	m := caseReVersion.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version in page")
	}
	return m[1]
}

// TestCasePages walks one case through the pages with two signed-in users.
func TestCasePages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		s := newCaseSite(t, e)
		w, sup := e.Login(s.w), e.Login(s.sup)

		caseWant(t, w.Get(fmt.Sprintf("/cases/new?client_id=%d", s.client)), 200, "接案（新建个案）", "陈*婆")
		res := w.PostForm("/cases", url.Values{"client_id": {fmt.Sprint(s.client)}, "site_id": {fmt.Sprint(s.site)},
			"worker_id": {fmt.Sprint(s.w.StaffID)}, "intake_date": {"2026-03-02"}, "source": {"community"},
			"risk_level": {"medium"}, "presenting_problem": {""}})
		caseWant(t, res, http.StatusUnprocessableEntity, "主要问题不能为空", `value="2026-03-02"`)
		res = w.PostForm("/cases", url.Values{"client_id": {fmt.Sprint(s.client)}, "site_id": {fmt.Sprint(s.site)},
			"worker_id": {fmt.Sprint(s.w.StaffID)}, "intake_date": {"2026-03-02"}, "source": {"community"},
			"risk_level": {"medium"}, "presenting_problem": {"独居，情绪低落"}})
		if res.Status != http.StatusSeeOther || !caseReLoc.MatchString(res.Location) {
			t.Fatalf("create: %d %s", res.Status, res.Location)
		}
		page := res.Location
		caseWant(t, w.Get(page), 200, "个案 2026-BA-0001", "已接案，个案编号 2026-BA-0001", "填写预估表", "独居，情绪低落")

		// Assessment: an error keeps what was typed.
		body := w.Get(page + "/assessment").Body
		v := caseVersionOf(t, body)
		res = w.PostForm(page+"/assessment", url.Values{"version": {v}, "assessed_on": {"2026-03-02"},
			"assessment": {"社会支持薄弱"}, "needs": {""}, "risk_level": {"medium"}})
		caseWant(t, res, http.StatusUnprocessableEntity, "服务需求不能为空", "社会支持薄弱")
		res = w.PostForm(page+"/assessment", url.Values{"version": {v}, "assessed_on": {"2026-03-02"},
			"assessment": {"社会支持薄弱"}, "needs": {"情绪支持"}, "risk_level": {"medium"}})
		caseWant(t, res, http.StatusSeeOther)
		// A stale version is a conflict shown on the form.
		res = w.PostForm(page+"/assessment", url.Values{"version": {v}, "assessed_on": {"2026-03-02"},
			"assessment": {"x"}, "needs": {"y"}, "risk_level": {"low"}})
		caseWant(t, res, http.StatusConflict, "已被他人修改")

		body = w.Get(page + "/plan").Body
		caseWant(t, testenv.Response{Status: 200, Body: body}, 200, "goal_title_0", "goal_title_2")
		res = w.PostForm(page+"/plan", url.Values{"version": {caseVersionOf(t, body)}, "planned_on": {"2026-03-02"},
			"strategy": {"每两周面谈"}, "goal_id_0": {""}, "goal_title_0": {""}, "goal_measure_0": {""}})
		caseWant(t, res, http.StatusUnprocessableEntity, "服务计划至少需要一个目标", "每两周面谈")
		res = w.PostForm(page+"/plan", url.Values{"version": {caseVersionOf(t, body)}, "planned_on": {"2026-03-02"},
			"strategy": {"每两周面谈"}, "goal_id_0": {""}, "goal_title_0": {"情绪稳定"}, "goal_measure_0": {"量表"},
			"goal_id_1": {""}, "goal_title_1": {"恢复与子女联系"}})
		caseWant(t, res, http.StatusSeeOther)

		body = w.Get(page).Body
		caseWant(t, testenv.Response{Status: 200, Body: body}, 200, "提交开案申请", "情绪稳定")
		caseWant(t, w.PostForm(page+"/submit", url.Values{"version": {caseVersionOf(t, body)}, "comment": {"请审批"}}), http.StatusSeeOther)
		// The worker sees no decision form; the supervisor does.
		if strings.Contains(w.Get(page).Body, "待您审批") {
			t.Fatal("the submitter is offered the decision")
		}
		body = sup.Get(page).Body
		m := caseReApproval.FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, "待您审批：开案申请") {
			t.Fatalf("supervisor's page: %s", clip(body))
		}
		res = sup.PostForm(page+"/decide", url.Values{"approval_id": {m[1]}, "approval_version": {m[2]}, "decision": {"reject"}})
		caseWant(t, res, http.StatusUnprocessableEntity, "驳回时必须填写意见")
		caseWant(t, sup.PostForm(page+"/decide", url.Values{"approval_id": {m[1]}, "approval_version": {m[2]},
			"decision": {"reject"}, "comment": {"请补充家庭情况"}}), http.StatusSeeOther)
		body = w.Get(page).Body
		caseWant(t, testenv.Response{Status: 200, Body: body}, 200, "修改后重新提交开案申请", "请补充家庭情况")
		caseWant(t, w.PostForm(page+"/submit", url.Values{"version": {caseVersionOf(t, body)}}), http.StatusSeeOther)
		m = caseReApproval.FindStringSubmatch(sup.Get(page).Body)
		caseWant(t, sup.PostForm(page+"/decide", url.Values{"approval_id": {m[1]}, "approval_version": {m[2]},
			"decision": {"approve"}, "comment": {"同意开案"}}), http.StatusSeeOther)
		caseWant(t, w.Get(page), 200, "介入跟进中", "记录跟进", "同意开案")

		// The follow-up form asks the progress of each goal.
		body = w.Get(page + "/followups/new").Body
		caseWant(t, testenv.Response{Status: 200, Body: body}, 200, "各目标进展", "情绪稳定", "恢复与子女联系")
		goals := regexp.MustCompile(`name="progress_(\d+)"`).FindAllStringSubmatch(body, -1)
		if len(goals) != 2 {
			t.Fatalf("progress fields: %v", goals)
		}
		fu := url.Values{"held_on": {"2026-03-02"}, "method": {"home_visit"}, "duration_min": {"60"}, "content": {"家访"}}
		res = w.PostForm(page+"/followups", fu)
		caseWant(t, res, http.StatusUnprocessableEntity, "请选择目标「情绪稳定」的进展")
		for _, g := range goals {
			fu.Set("progress_"+g[1], "some")
		}
		caseWant(t, w.PostForm(page+"/followups", fu), http.StatusSeeOther)

		// Referral letter, printable.
		caseWant(t, w.PostForm(page+"/referrals", url.Values{"kind": {"external"}, "to_agency": {"镇心理援助中心"},
			"to_contact": {"周老师"}, "to_phone": {"0769-83212345"}, "reason": {"需要心理治疗"}, "services": {"心理评估"},
			"after": {"keep"}}), http.StatusSeeOther)
		body = w.Get(page).Body
		letter := regexp.MustCompile(`href="(/cases/\d+/referrals/\d+/letter)"`).FindStringSubmatch(body)
		if letter == nil {
			t.Fatalf("no letter link")
		}
		caseWant(t, w.Get(letter[1]), 200, "转 介 书", "2026-BA-0001-Z1", "镇心理援助中心", "草稿 · 待督导审批", "陈阿婆")

		// Scope: a worker elsewhere gets not found, on the page and the API.
		stranger := e.Login(s.stranger)
		caseWant(t, stranger.Get(page), http.StatusNotFound)
		caseWant(t, stranger.Get(letter[1]), http.StatusNotFound)
		api := e.APIClient(s.stranger)
		caseWant(t, api.Get("/api/v1"+page), http.StatusNotFound)

		// Lists, reports and exports.
		caseWant(t, w.Get("/cases"), 200, "2026-BA-0001", "陈*婆", "介入跟进中")
		caseWant(t, sup.Get("/cases?behind=1&state=open"), 200)
		xl := w.Get("/cases?format=xlsx")
		if xl.Status != 200 || !strings.Contains(xl.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", xl.Status, xl.Header.Get("Content-Type"))
		}
		caseWant(t, sup.Get("/cases/monthly?month=2026-03"), 200, "社工月报表", "同工chen")
		caseWant(t, sup.Get("/cases/monthly?month=2026-03&by=site"), 200, "北岸中心")
		caseWant(t, sup.Get("/cases/archive-check?month=2026-03"), 200, "档案检查", "2026-BA-0001", "齐全")
		if r := sup.Get("/cases/archive-check?month=2026-03&format=xlsx"); r.Status != 200 {
			t.Fatalf("archive export: %d", r.Status)
		}
		caseWant(t, w.Get("/"), 200, "介入中的个案", "跟进不足的个案")
		fwb := e.Login(s.fwb)
		body = fwb.Get("/cases/settings").Body
		caseWant(t, fwb.PostForm("/cases/settings", url.Values{"version": {caseVersionOf(t, body)}, "followups_per_month": {"3"},
			"post_closure_months": {"2"}, "remind_days_left": {"7"}, "idle_days": {"abc"}}), http.StatusUnprocessableEntity,
			"请填写整数")
		caseWant(t, fwb.PostForm("/cases/settings", url.Values{"version": {caseVersionOf(t, body)}, "followups_per_month": {"3"},
			"post_closure_months": {"2"}, "remind_days_left": {"7"}, "idle_days": {"15"}}), http.StatusSeeOther)
		caseWant(t, w.Get(page), 200, "每月至少 3 次")

		// The audit log has every view of the file.
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'case.view'`); n < 10 {
			t.Fatalf("case views audited: %d", n)
		}
	})
}

// TestCaseAPI drives a case through the JSON API.
func TestCaseAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		s := newCaseSite(t, e)
		w, sup := e.APIClient(s.w), e.APIClient(s.sup)
		res := w.JSON("POST", "/api/v1/cases", map[string]any{"client_id": s.client, "intake_date": "2026-03-02",
			"source": "self", "risk_level": "high", "presenting_problem": "家暴求助"})
		caseWant(t, res, http.StatusCreated, `"number":"2026-BA-0001"`)
		var c struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
			Goals   []struct {
				ID int64 `json:"id"`
			} `json:"goals"`
		}
		json.Unmarshal([]byte(res.Body), &c)
		path := fmt.Sprintf("/api/v1/cases/%d", c.ID)
		res = w.JSON("PUT", path+"/assessment", map[string]any{"assessed_on": "2026-03-02", "assessment": "高风险",
			"needs": "安全计划", "risk_level": "high", "version": c.Version})
		caseWant(t, res, 200, `"state":"assessment"`)
		json.Unmarshal([]byte(res.Body), &c)
		res = w.JSON("PUT", path+"/plan", map[string]any{"planned_on": "2026-03-02", "strategy": "制定安全计划",
			"goals": []map[string]any{{"title": "人身安全"}}, "version": c.Version})
		caseWant(t, res, 200, `"state":"planned"`)
		json.Unmarshal([]byte(res.Body), &c)
		res = w.JSON("POST", path+"/submit", map[string]any{"version": c.Version, "extra": 1})
		caseWant(t, res, http.StatusUnprocessableEntity, "未知字段 extra")
		caseWant(t, w.JSON("POST", path+"/submit", map[string]any{"version": c.Version}), 200, `"state":"pending_open"`)
		var f struct {
			Approvals []struct {
				ID      int64 `json:"id"`
				Version int64 `json:"version"`
			} `json:"approvals"`
		}
		json.Unmarshal([]byte(sup.Get(path).Body), &f)
		res = w.JSON("POST", path+"/decide", map[string]any{"approval_id": f.Approvals[0].ID,
			"version": f.Approvals[0].Version, "decision": "approve"})
		caseWant(t, res, http.StatusForbidden, "不能审批自己提交的申请")
		caseWant(t, sup.JSON("POST", path+"/decide", map[string]any{"approval_id": f.Approvals[0].ID,
			"version": f.Approvals[0].Version, "decision": "approve", "comment": "同意"}), 200, `"state":"open"`)
		res = w.JSON("POST", path+"/followups", map[string]any{"held_on": "2026-03-02", "method": "phone",
			"duration_min": 30, "content": "电话", "progress": []map[string]any{{"goal_id": c.Goals[0].ID, "progress": "some"}}})
		caseWant(t, res, http.StatusCreated, `"method_label":"电话"`)
		caseWant(t, w.Get(path+"/followups"), 200, `"content":"电话"`)
		caseWant(t, w.Get("/api/v1/cases?state=open"), 200, `"total":1`)
		caseWant(t, w.Get("/api/v1/cases?from=2026-13-01"), http.StatusUnprocessableEntity)
		caseWant(t, sup.Get("/api/v1/cases/monthly?month=2026-03"), 200, `"followups":1`)
		caseWant(t, sup.Get("/api/v1/cases/archive-check?month=2026-03"), 200, `"checked":1`)
		caseWant(t, w.JSON("POST", "/api/v1/cases/reassign", map[string]any{"case_ids": []int64{c.ID},
			"to_worker_id": s.w2.StaffID, "reason": "x"}), http.StatusForbidden)
		caseWant(t, sup.JSON("POST", "/api/v1/cases/reassign", map[string]any{"case_ids": []int64{c.ID},
			"to_worker_id": s.w2.StaffID, "reason": "调岗"}), 200, `"moved":1`)
		caseWant(t, w.Get(path), http.StatusNotFound)
		caseWant(t, e.APIClient(s.w2).Get(path), 200, `"reason":"调岗"`)
		e.Clock.Advance(time.Hour)
	})
}
