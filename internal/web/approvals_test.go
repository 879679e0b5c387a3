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

	"shegong/internal/approval"
	"shegong/internal/authz"
	"shegong/internal/export"
	"shegong/internal/testenv"
)

// approvalWorld is a small agency: two centres, a worker and two heads at
// 北岸, a head at 振华, a director and a stand-in.
type approvalWorld struct {
	e                    *testenv.Env
	org                  *testenv.Org
	north, south         int64
	worker, head, head2  *testenv.Person
	southHead, dir, fill *testenv.Person
}

func newApprovalWorld(e *testenv.Env) *approvalWorld {
	w := &approvalWorld{e: e, org: e.Org("lvye", "绿叶社工")}
	w.north = w.org.Site("黄江镇北岸社区综合服务中心", "centre")
	w.south = w.org.Site("企石镇振华社区综合服务中心", "centre")
	w.worker = w.org.User("wang", true, authz.RoleWorker).Assign(w.north, "worker")
	w.head = w.org.User("zhang", true, authz.RoleCentreHead).Assign(w.north, "centre_head")
	w.head2 = w.org.User("liu", true, authz.RoleCentreHead).Assign(w.north, "centre_head")
	w.southHead = w.org.User("huang", true, authz.RoleCentreHead).Assign(w.south, "centre_head")
	w.dir = w.org.User("he", true, authz.RoleDirector)
	w.fill = w.org.User("zhou", true, authz.RoleAccountant)
	return w
}

var approvalHref = regexp.MustCompile(`^/approvals/(\d+)$`)

// version reads the decision form's version from an approval page.
func version(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version on the page")
	}
	return m[1]
}

func TestGeneralRequestPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newApprovalWorld(e)
		wc, hc, dc, sc := e.Login(w.worker), e.Login(w.head), e.Login(w.dir), e.Login(w.southHead)

		// The form offers the organization's service points, the worker's own first and chosen.
		r := wc.Get("/approvals/general/new")
		if r.Status != 200 || !strings.Contains(r.Body, "通用事项申请") ||
			!strings.Contains(r.Body, fmt.Sprintf(`<option value="%d" selected>黄江镇北岸社区综合服务中心（本人所在）</option>`, w.north)) {
			t.Fatalf("form: %d %s", r.Status, clip(r.Body))
		}
		// Bad input: errors in Chinese beside the fields, everything typed kept.
		r = wc.PostForm("/approvals/general", url.Values{"site_id": {""}, "title": {"购买物资"}, "content": {""},
			"amount": {"12.345"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad form: %d", r.Status)
		}
		for _, want := range []string{"请选择服务点", "申请内容不能为空", "金额格式不正确", `value="购买物资"`, `value="12.345"`,
			"提交的内容有 3 处需要修改"} {
			if !strings.Contains(r.Body, want) {
				t.Fatalf("bad form lacks %q", want)
			}
		}
		r = wc.PostForm("/approvals/general", url.Values{"site_id": {fmt.Sprint(w.north)}, "title": {"购买三月长者活动物资"},
			"content": {"长者生日会所需蛋糕、水果"}, "amount": {"6,800"}})
		m := approvalHref.FindStringSubmatch(r.Location)
		if r.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("submit: %d %s", r.Status, r.Location)
		}
		page := "/approvals/" + m[1]
		edit := "/approvals/general/" + m[1] + "/edit"
		r = wc.Get(page)
		for _, want := range []string{"购买三月长者活动物资", "审批中", "长者生日会所需蛋糕、水果", "¥6,800.00",
			"中心负责人审批", "总干事审批", "用户zhang、用户liu", "未开始", "撤回申请", "申请已提交，等待：中心负责人审批"} {
			if !strings.Contains(r.Body, want) {
				t.Fatalf("submitter's page lacks %q", want)
			}
		}
		if strings.Contains(r.Body, `value="approve"`) {
			t.Fatal("the submitter is offered the decision buttons")
		}

		// The centre head sees it in the to-do list, the top bar and on the home page.
		r = hc.Get("/approvals/todo")
		if !strings.Contains(r.Body, `href="`+page+`"`) || !strings.Contains(r.Body, "用户wang") ||
			!strings.Contains(r.Body, `待办 <span class="badge">1</span>`) {
			t.Fatalf("head's to-do: %s", clip(r.Body))
		}
		if r := hc.Get("/"); !strings.Contains(r.Body, "购买三月长者活动物资") || !strings.Contains(r.Body, "通用事项申请") {
			t.Fatalf("head's home lacks the to-do")
		}
		// Another centre's head does not even find the page.
		if r := sc.Get(page); r.Status != http.StatusNotFound {
			t.Fatalf("other centre's head: %d", r.Status)
		}
		if r := sc.Get("/approvals/todo"); strings.Contains(r.Body, "购买三月长者活动物资") {
			t.Fatal("other centre's head has it in the to-do list")
		}

		// Rejecting needs a comment.
		r = hc.Get(page)
		v := version(t, r.Body)
		r = hc.PostForm(page+"/decide", url.Values{"version": {v}, "decision": {"reject"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "驳回时必须填写意见") {
			t.Fatalf("reject without comment: %d", r.Status)
		}
		r = hc.PostForm(page+"/decide", url.Values{"version": {v}, "decision": {"reject"}, "comment": {"请附报价单"}})
		if r.Status != http.StatusSeeOther || r.Location != "/approvals/todo" {
			t.Fatalf("reject: %d %s", r.Status, r.Location)
		}

		// The worker corrects it; the form is pre-filled and shows why.
		r = wc.Get(page)
		if !strings.Contains(r.Body, "已驳回") || !strings.Contains(r.Body, "请附报价单") || !strings.Contains(r.Body, "修改后重新提交") {
			t.Fatalf("rejected page: %s", clip(r.Body))
		}
		r = wc.Get(edit)
		if r.Status != 200 || !strings.Contains(r.Body, "驳回意见：请附报价单") || !strings.Contains(r.Body, `value="6800.00"`) {
			t.Fatalf("edit form: %d", r.Status)
		}
		v = version(t, r.Body)
		r = wc.PostForm(edit, url.Values{"version": {v}, "site_id": {fmt.Sprint(w.north)}, "title": {"购买三月长者活动物资"},
			"content": {"长者生日会所需蛋糕、水果，报价单见附件"}, "amount": {"6800"}, "comment": {"已补报价单"}})
		if r.Status != http.StatusSeeOther || r.Location != page {
			t.Fatalf("resubmit: %d %s", r.Status, r.Location)
		}
		// Only the submitter corrects.
		if r := hc.Get(edit); r.Status != http.StatusForbidden {
			t.Fatalf("head opens the edit form: %d", r.Status)
		}

		// Two heads at once: the second is told someone else handled it.
		h2 := e.Login(w.head2)
		v = version(t, hc.Get(page).Body)
		if r := hc.PostForm(page+"/decide", url.Values{"version": {v}, "decision": {"approve"}, "comment": {"同意"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("approve: %d", r.Status)
		}
		r = h2.PostForm(page+"/decide", url.Values{"version": {v}, "decision": {"approve"}})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "该申请已被他人处理，请刷新后查看") {
			t.Fatalf("late second head: %d", r.Status)
		}

		// Above 5,000.00 the director decides last.
		r = dc.Get("/approvals/todo")
		if !strings.Contains(r.Body, `href="`+page+`"`) || !strings.Contains(r.Body, "第 2 次提交") {
			t.Fatalf("director's to-do: %s", clip(r.Body))
		}
		v = version(t, dc.Get(page).Body)
		if r := dc.PostForm(page+"/decide", url.Values{"version": {v}, "decision": {"approve"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("director approves: %d", r.Status)
		}
		r = wc.Get(page)
		for _, want := range []string{"已通过", "办结时间", "第 1 次提交", "第 2 次提交（当前）", "请附报价单", "已补报价单",
			"修改后重新提交", "驳回", "同意"} {
			if !strings.Contains(r.Body, want) {
				t.Fatalf("finished page lacks %q", want)
			}
		}
		if strings.Contains(r.Body, "撤回申请") {
			t.Fatal("a finished request offers withdrawal")
		}

		// 我的申请 lists it, filters by status and exports.
		r = wc.Get("/approvals/mine?status=approved")
		if !strings.Contains(r.Body, "购买三月长者活动物资") || !strings.Contains(r.Body, "共 1 条") {
			t.Fatalf("mine: %s", clip(r.Body))
		}
		if r := wc.Get("/approvals/mine?status=pending"); !strings.Contains(r.Body, "共 0 条") {
			t.Fatal("status filter ignored")
		}
		r = wc.Get("/approvals/mine?format=xlsx")
		if r.Status != 200 || r.Header.Get("Content-Type") != export.ContentTypeXLSX {
			t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'approval.%'`); n != 5 {
			t.Fatalf("approval audit rows: %d", n)
		}
	})
}

func TestApprovalWithdrawPage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newApprovalWorld(e)
		wc, hc := e.Login(w.worker), e.Login(w.head)
		r := wc.PostForm("/approvals/general", url.Values{"site_id": {fmt.Sprint(w.north)}, "title": {"借用投影仪"},
			"content": {"周六社区活动"}})
		page := r.Location
		v := version(t, wc.Get(page).Body)
		if r := hc.PostForm(page+"/withdraw", url.Values{"version": {v}}); r.Status != http.StatusForbidden {
			t.Fatalf("head withdraws: %d", r.Status)
		}
		if r := wc.PostForm(page+"/withdraw", url.Values{"version": {v}}); r.Status != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", r.Status)
		}
		if r := wc.Get(page); !strings.Contains(r.Body, "已撤回") || !strings.Contains(r.Body, "申请已撤回") {
			t.Fatalf("withdrawn page: %s", clip(r.Body))
		}
		if r := hc.Get("/approvals/todo"); strings.Contains(r.Body, "借用投影仪") {
			t.Fatal("withdrawn request still in the to-do list")
		}
		// The head, who was asked to decide, keeps read access to the record.
		if r := hc.Get(page); r.Status != 200 {
			t.Fatalf("head reads withdrawn request: %d", r.Status)
		}
	})
}

func TestDelegationPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newApprovalWorld(e)
		sc, fc, wc := e.Login(w.southHead), e.Login(w.fill), e.Login(w.worker)
		r := sc.Get("/approvals/delegations")
		if r.Status != 200 || !strings.Contains(r.Body, "设置委托") || !strings.Contains(r.Body, `value="2026-03-02"`) {
			t.Fatalf("delegation page: %d", r.Status)
		}
		r = sc.PostForm("/approvals/delegations", url.Values{"to_user_id": {fmt.Sprint(w.fill.UserID)},
			"start": {"2026-03-02"}, "end": {"3月15日"}, "reason": {""}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "日期格式应为 2026-03-01") ||
			!strings.Contains(r.Body, "委托事由不能为空") || !strings.Contains(r.Body, `value="3月15日"`) {
			t.Fatalf("bad delegation: %d %s", r.Status, clip(r.Body))
		}
		r = sc.PostForm("/approvals/delegations", url.Values{"to_user_id": {fmt.Sprint(w.fill.UserID)},
			"start": {"2026-03-02"}, "end": {"2026-03-15"}, "reason": {"外出培训"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("delegate: %d %s", r.Status, clip(r.Body))
		}
		if r := sc.Get("/approvals/delegations"); !strings.Contains(r.Body, "已委托用户zhou在 2026-03-02 至 2026-03-15 期间代您审批") ||
			!strings.Contains(r.Body, "生效中") {
			t.Fatalf("after delegating: %s", clip(r.Body))
		}
		// A request to 振华 reaches the stand-in, who decides for the head.
		r = wc.PostForm("/approvals/general", url.Values{"site_id": {fmt.Sprint(w.south)}, "title": {"联合活动场地"},
			"content": {"与振华合办"}})
		page := r.Location
		r = fc.Get("/approvals/todo")
		if !strings.Contains(r.Body, "联合活动场地") || !strings.Contains(r.Body, "代用户huang审批") {
			t.Fatalf("stand-in's to-do: %s", clip(r.Body))
		}
		r = fc.Get(page)
		if !strings.Contains(r.Body, "您正在代用户huang审批") {
			t.Fatalf("stand-in's page: %s", clip(r.Body))
		}
		if r := fc.PostForm(page+"/decide", url.Values{"version": {version(t, r.Body)}, "decision": {"approve"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("stand-in approves: %d", r.Status)
		}
		if r := wc.Get(page); !strings.Contains(r.Body, "（代用户huang）") || !strings.Contains(r.Body, "已通过") {
			t.Fatalf("history does not say for whom: %s", clip(r.Body))
		}
		// Cancelling: only the delegator, and the stand-in loses the right.
		id := e.Count(`SELECT id FROM approval_delegations WHERE from_user_id = $1`, w.southHead.UserID)
		if r := fc.PostForm(fmt.Sprintf("/approvals/delegations/%d/cancel", id), nil); r.Status != http.StatusForbidden {
			t.Fatalf("stand-in cancels: %d", r.Status)
		}
		if r := sc.PostForm(fmt.Sprintf("/approvals/delegations/%d/cancel", id), nil); r.Status != http.StatusSeeOther {
			t.Fatalf("cancel: %d", r.Status)
		}
		if r := sc.Get("/approvals/delegations"); !strings.Contains(r.Body, "已取消") {
			t.Fatal("cancelled delegation not shown as such")
		}
		// After the end date the delegation has ended even without cancelling.
		r = sc.PostForm("/approvals/delegations", url.Values{"to_user_id": {fmt.Sprint(w.fill.UserID)},
			"start": {"2026-03-03"}, "end": {"2026-03-04"}, "reason": {"休假"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("second delegation: %d", r.Status)
		}
		e.Clock.Set(time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC))
		sc = e.Login(w.southHead)
		if r := sc.Get("/approvals/delegations"); !strings.Contains(r.Body, "已结束") {
			t.Fatal("ended delegation not shown as ended")
		}
	})
}

func TestApprovalAPI(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newApprovalWorld(e)
		other := e.Org("other", "别家机构")
		stranger := other.User("li", true, authz.RoleDirector)
		wa, ha, xa := e.APIClient(w.worker), e.APIClient(w.head), e.APIClient(stranger)

		r := wa.JSON("POST", "/api/v1/general-requests", map[string]any{"site_id": w.north, "title": "",
			"content": "c", "amount": "abc"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"title":"标题不能为空"`) ||
			!strings.Contains(r.Body, `"amount":"金额格式不正确，例如 1234.56"`) {
			t.Fatalf("bad create: %d %s", r.Status, r.Body)
		}
		r = wa.JSON("POST", "/api/v1/general-requests", map[string]any{"site_id": w.north, "title": "打印宣传单张",
			"content": "社区活动单张 500 张", "amount": "350.5"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var created struct {
			ApprovalID int64 `json:"approval_id"`
			AmountFen  int64 `json:"amount_fen"`
			Approval   approval.Approval
		}
		json.Unmarshal([]byte(r.Body), &created)
		if created.AmountFen != 35050 || created.Approval.CurrentStepName != "中心负责人审批" {
			t.Fatalf("created: %s", r.Body)
		}
		path := fmt.Sprintf("/api/v1/approvals/%d", created.ApprovalID)

		r = ha.Get("/api/v1/approvals/todo")
		if r.Status != 200 || !strings.Contains(r.Body, `"title":"打印宣传单张"`) {
			t.Fatalf("todo: %d %s", r.Status, r.Body)
		}
		r = ha.Get(path)
		if r.Status != 200 || !strings.Contains(r.Body, `"decide":true`) {
			t.Fatalf("get: %d %s", r.Status, r.Body)
		}
		for _, c := range []*testenv.Client{xa} {
			if r := c.Get(path); r.Status != http.StatusNotFound {
				t.Fatalf("other organization reads: %d", r.Status)
			}
			if r := c.JSON("POST", path+"/decision", map[string]any{"version": 1, "decision": "approve"}); r.Status != http.StatusNotFound {
				t.Fatalf("other organization decides: %d", r.Status)
			}
		}
		r = wa.JSON("POST", path+"/decision", map[string]any{"version": 1, "decision": "approve"})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "不能审批自己提交的申请") {
			t.Fatalf("self-approval: %d %s", r.Status, r.Body)
		}
		r = ha.JSON("POST", path+"/decision", map[string]any{"version": 1, "decision": "reject", "comment": ""})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"comment":"驳回时必须填写意见"`) {
			t.Fatalf("reject without comment: %d %s", r.Status, r.Body)
		}
		r = ha.JSON("POST", path+"/decision", map[string]any{"version": 1, "decision": "approve", "comment": "同意"})
		if r.Status != 200 || !strings.Contains(r.Body, `"status":"approved"`) {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		r = ha.JSON("POST", path+"/decision", map[string]any{"version": 1, "decision": "approve"})
		if r.Status != http.StatusConflict {
			t.Fatalf("second decision: %d %s", r.Status, r.Body)
		}
		r = wa.Get("/api/v1/approvals/mine?status=approved")
		if r.Status != 200 || !strings.Contains(r.Body, `"total":1`) {
			t.Fatalf("mine: %d %s", r.Status, r.Body)
		}
		r = wa.JSON("POST", "/api/v1/approval-delegations", map[string]any{"to_user_id": w.head.UserID,
			"start": "2026-03-02", "end": "2026-03-01", "reason": "x"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "结束日期不能早于开始日期") {
			t.Fatalf("bad delegation: %d %s", r.Status, r.Body)
		}
		r = wa.JSON("POST", "/api/v1/approval-delegations", map[string]any{"to_user_id": w.head.UserID,
			"start": "2026-03-02", "end": "2026-03-06", "reason": "休假"})
		if r.Status != http.StatusCreated {
			t.Fatalf("delegation: %d %s", r.Status, r.Body)
		}
		var d approval.Delegation
		json.Unmarshal([]byte(r.Body), &d)
		if r := xa.Do("DELETE", fmt.Sprintf("/api/v1/approval-delegations/%d", d.ID), nil, ""); r.Status != http.StatusNotFound {
			t.Fatalf("other organization cancels: %d", r.Status)
		}
		if r := wa.Do("DELETE", fmt.Sprintf("/api/v1/approval-delegations/%d", d.ID), nil, ""); r.Status != http.StatusNoContent {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
	})
}
