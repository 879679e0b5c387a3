package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/org"
)

func (s *Server) auditRoutes() {
	q := []Param{
		{Name: "from", Desc: "起始日期（含），YYYY-MM-DD", Type: "string"},
		{Name: "to", Desc: "截止日期（含），YYYY-MM-DD", Type: "string"},
		{Name: "user", Desc: "用户 ID", Type: "integer"},
		{Name: "action", Desc: "操作类别（auth. user. site. … export authz.deny reveal）或操作代码前缀", Type: "string"},
		{Name: "outcome", Desc: "结果：ok、failed、denied", Type: "string"},
		{Name: "object_type", Desc: "对象类型", Type: "string"},
		{Name: "object_id", Desc: "对象编号", Type: "string"},
		{Name: "page", Desc: "页码", Type: "integer"},
		{Name: "size", Desc: "每页条数（最多 200）", Type: "integer"},
	}
	s.router.Handle(Route{Method: "GET", Pattern: "/audit", Access: Permitted, Perm: org.PermAuditRead,
		Summary: "审计日志"}, s.auditList)
	s.router.Handle(Route{Method: "GET", Pattern: "/api/v1/audit", Access: Permitted, Perm: org.PermAuditRead,
		Summary: "审计日志", API: &APIDoc{Tag: "审计", Response: apiAuditList{}, Query: q}}, s.apiAuditList)
	s.router.Handle(Route{Method: "GET", Pattern: "/api/v1/audit/verify", Access: Permitted, Perm: org.PermAuditRead,
		Summary: "校验本机构审计链", API: &APIDoc{Tag: "审计", Response: apiChain{}}}, s.apiAuditVerify)
	s.addNav("系统设置", NavItem{Label: "审计日志", Href: "/audit", Perm: org.PermAuditRead})
}

// auditGroup is one choice of the 操作类别 filter.
type auditGroup struct {
	Value, Label   string
	Prefix, Suffix string
}

var auditGroups = []auditGroup{
	{"auth.", "登录/退出与密码", "auth.", ""},
	{"user.", "账号与角色", "user.", ""},
	{"org.", "机构", "org.", ""},
	{"site.", "服务点", "site.", ""},
	{"dept.", "部门", "dept.", ""},
	{"staff.", "同工", "staff.", ""},
	{"client.", "服务对象", "client.", ""},
	{"case.", "个案", "case.", ""},
	{"approval.", "审批", "approval.", ""},
	{"export", "导出", "export", ""},
	{"import", "导入", "import", ""},
	{"authz.deny", "拒绝访问", "authz.deny", ""},
	{"reveal", "查看敏感信息", "", ".reveal"},
}

// actionNames are the Chinese names of the actions written so far; others
// are named from their area and verb (auditActionName).
var actionNames = map[string]string{
	"auth.login":                 "登录",
	"auth.logout":                "退出",
	"auth.password_change":       "修改密码",
	"auth.token_create":          "创建 API 令牌",
	"auth.token_revoke":          "吊销 API 令牌",
	"auth.totp_enrol":            "绑定动态验证码",
	"auth.totp_verify":           "动态验证码验证",
	"auth.totp_reset":            "重置动态验证码",
	"auth.security_settings":     "修改登录安全设置",
	"auth.password_expired":      "密码到期须修改",
	"authz.deny":                 "拒绝访问",
	"export":                     "导出",
	"user.create":                "新建账号",
	"user.roles":                 "修改角色",
	"user.password_reset":        "重置密码",
	"user.disable":               "停用账号",
	"user.enable":                "启用账号",
	"org.create":                 "新建机构",
	"approval.delegate":          "委托审批",
	"approval.delegation_cancel": "取消审批委托",
	"demo.load":                  "载入演示数据",
	"client.contact_check":       "记录联系核实",
	"group.attendance":           "登记小组出勤",
	"staff.certificate_add":      "添加同工证书",
	"staff.certificate_remove":   "删除同工证书",
	"staff.assignment_end":       "结束同工派驻",
	"staff.supervisor":           "设置督导",
	"staff.supervisor_end":       "结束督导关系",
	"staff.link_user":            "关联同工账号",
	"staff.unlink_user":          "解除同工账号",
}

var areaNames = map[string]string{
	"auth": "账号安全", "user": "账号", "org": "机构", "site": "服务点", "contract": "合同年", "dept": "部门",
	"staff": "同工", "client": "服务对象", "case": "个案", "approval": "审批", "general": "一般事项申请",
	"group": "小组", "activity": "活动", "volunteer": "志愿者", "supervision": "督导",
	"contract_year": "合同年", "purchaser": "用人单位", "town": "镇街", "domain": "领域",
	"client_category": "服务对象类别", "project": "项目", "demo": "演示数据",
}

var verbNames = map[string]string{
	"create": "新建", "update": "修改", "delete": "删除", "archive": "归档", "reveal": "查看",
	"submit": "提交", "approve": "通过", "reject": "退回", "withdraw": "撤回", "resubmit": "重新提交",
	"import": "导入", "export": "导出", "assign": "分配", "close": "结案", "open": "开案",
	"activate": "启用", "deactivate": "停用", "rename": "重命名", "view": "查阅", "download": "下载",
	"transfer": "调动", "leave": "办理离职", "reinstate": "恢复在职", "reopen": "重开", "reassign": "转移",
	"refer": "转介", "followup": "跟进",
}

// auditActionName is the Chinese name of an action code ("" when unknown).
func auditActionName(code string) string {
	if n, ok := actionNames[code]; ok {
		return n
	}
	area, verb, ok := strings.Cut(code, ".")
	if !ok {
		return ""
	}
	a, v := areaNames[area], verbNames[verb]
	switch {
	case a == "" || v == "":
		return ""
	case verb == "reveal":
		return "查看" + a + "敏感信息"
	}
	return v + a
}

var objectNames = map[string]string{
	"user": "账号", "session": "会话", "route": "页面/接口", "list": "列表", "organization": "机构",
	"site": "服务点", "dept": "部门", "staff": "同工", "client": "服务对象", "case": "个案",
	"approval": "审批", "approval_delegation": "审批委托", "general": "一般事项申请",
}

func auditObjectName(t string) string {
	if n, ok := objectNames[t]; ok {
		return n
	}
	return t
}

var outcomeNames = map[string]struct{ label, tag string }{
	audit.OK:     {"成功", "green"},
	audit.Failed: {"失败", "red"},
	audit.Denied: {"拒绝", "orange"},
}

var breakNames = map[string]string{
	audit.BreakSeq:    "序号不连续（记录被删除或插入）",
	audit.BreakPrev:   "与上一条记录的链接不符（记录被删除、插入或替换）",
	audit.BreakHash:   "内容与哈希值不符（记录被修改）",
	audit.BreakHead:   "链尾与最后一条记录不符（末尾记录被删除）",
	audit.BreakOrphan: "有不属于任何审计链的记录",
	audit.BreakAnchor: "清理锚点与链中最后一次清理记录不符（记录被越权删除）",
}

var actionCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,59}$`)

// auditFilter reads the filters of the list and the API from the query.
// Every filter is limited to the caller's own organization.
func auditFilter(p *authz.Principal, v url.Values) (audit.Filter, error) {
	if !p.Scope(org.PermAuditRead).Has(authz.Org) {
		return audit.Filter{}, app.ErrForbidden()
	}
	f := audit.Filter{OrgID: p.OrgID}
	var val app.Validation
	var from, to app.Date
	for _, d := range []struct {
		name, label string
		into        *app.Date
	}{{"from", "起始日期", &from}, {"to", "截止日期", &to}} {
		s := strings.TrimSpace(v.Get(d.name))
		if s == "" {
			continue
		}
		t, err := app.ParseDate(s)
		if err != nil {
			val.Add(d.name, d.label+"格式不正确，应为 2026-03-01 这样的日期")
			continue
		}
		*d.into = t
	}
	if !from.IsZero() {
		f.From = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, app.Local)
	}
	if !to.IsZero() {
		next := to.AddDays(1)
		f.To = time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, app.Local)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		val.Add("to", "截止日期不能早于起始日期")
	}
	if s := strings.TrimSpace(v.Get("user")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			val.Add("user", "用户选择无效")
		}
		f.UserID = id
	}
	if s := strings.TrimSpace(v.Get("action")); s != "" {
		found := false
		for _, g := range auditGroups {
			if g.Value == s {
				f.Action, f.ActionSuffix, found = g.Prefix, g.Suffix, true
			}
		}
		if !found {
			if actionCodeRE.MatchString(s) {
				f.Action = s
			} else {
				val.Add("action", "操作类别无效")
			}
		}
	}
	if s := strings.TrimSpace(v.Get("outcome")); s != "" {
		val.OneOf("outcome", s, "结果", audit.OK, audit.Failed, audit.Denied)
		f.Outcome = s
	}
	f.ObjectType = strings.TrimSpace(v.Get("object_type"))
	val.MaxLen("object_type", f.ObjectType, "对象类型", 40)
	f.ObjectID = strings.TrimSpace(v.Get("object_id"))
	val.MaxLen("object_id", f.ObjectID, "对象编号", 100)
	return f, val.Err()
}

// pageAudit fetches one page (or, for an export, every row) of the log.
func (s *Server) pageAudit(r *http.Request, f audit.Filter, q app.ListQuery) app.Rows[audit.Entry] {
	if q.Size <= 0 {
		f.Limit = app.MaxExportRows
	} else {
		f.Limit, f.Offset = q.Size, (max(q.Page, 1)-1)*q.Size
	}
	return audit.Rows(r.Context(), s.DB, f)
}

type auditPage struct {
	List  ListView
	Chain chainView
}

type chainView struct {
	Intact   bool
	Rows     int
	Count    int      // problems found
	Problems []string // the first 20, described
	More     int      // problems not described
}

func (s *Server) chainOf(r *http.Request, orgID int64) (chainView, error) {
	res, err := audit.VerifyOrg(r.Context(), s.DB, orgID)
	if err != nil {
		return chainView{}, err
	}
	cv := chainView{Intact: len(res.Problems) == 0, Rows: int(res.Rows), Count: len(res.Problems)}
	for i, p := range res.Problems {
		if i == 20 {
			cv.More = len(res.Problems) - i
			break
		}
		what := breakNames[p.Kind]
		if what == "" {
			what = p.Reason
		}
		if p.Seq > 0 {
			cv.Problems = append(cv.Problems, fmt.Sprintf("第 %d 条：%s", p.Seq, what))
		} else {
			cv.Problems = append(cv.Problems, what)
		}
	}
	return cv, nil
}

func (s *Server) auditList(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	ctx := r.Context()
	actors, err := audit.Actors(ctx, s.DB, p.OrgID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	types, err := audit.ObjectTypes(ctx, s.DB, p.OrgID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	def := auditListDef(actors, types)
	q := listQuery(r)
	pg := s.page(r, "审计日志", Crumb{Label: "系统设置"}, Crumb{Label: "审计日志"})
	f, err := auditFilter(p, r.URL.Query())
	var rows []audit.Entry
	total, status := 0, http.StatusOK
	if err != nil {
		form := &Form{Values: r.URL.Query()}
		if !form.SetError(err) {
			s.fail(w, r, err)
			return
		}
		// Bad filters: say so above the list and show nothing.
		pg.Form, status = form, http.StatusUnprocessableEntity
	} else {
		if wantsExport(r) {
			exportRows(s, w, r, def, s.pageAudit(r, f, q))
			return
		}
		if rows, total, err = app.Collect(s.pageAudit(r, f, q)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	chain, err := s.chainOf(r, p.OrgID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Data = auditPage{List: buildList(r, def, q, rows, total), Chain: chain}
	s.render(w, r, status, "audit/list", pg)
}

func auditListDef(actors []audit.Actor, types []string) ListDef[audit.Entry] {
	users := []Option{}
	names := map[int64]string{}
	for _, a := range actors {
		users = append(users, Option{Value: idString(a.ID), Label: a.DisplayName + "（" + a.Username + "）"})
		names[a.ID] = a.DisplayName
	}
	groups := []Option{}
	for _, g := range auditGroups {
		groups = append(groups, Option{Value: g.Value, Label: g.Label})
	}
	objects := []Option{}
	for _, t := range types {
		objects = append(objects, Option{Value: t, Label: auditObjectName(t)})
	}
	action := func(e audit.Entry) (string, string) {
		if n := auditActionName(e.Action); n != "" {
			return n, e.Action
		}
		return e.Action, ""
	}
	perms := map[string]string{}
	for _, pm := range authz.All() {
		perms[pm.Name] = pm.Title
	}
	// A denial's detail is the permission that was missing.
	detail := func(e audit.Entry) string {
		if t := perms[e.Detail]; t != "" && e.Action == "authz.deny" {
			return "缺少权限：" + t + "（" + e.Detail + "）"
		}
		return e.Detail
	}
	object := func(e audit.Entry) string {
		if e.ObjectType == "" {
			return ""
		}
		return strings.TrimSpace(auditObjectName(e.ObjectType) + " " + e.ObjectID)
	}
	return ListDef[audit.Entry]{
		Sheet: "审计日志",
		Empty: "没有符合条件的审计记录",
		Filters: []Filter{
			{Name: "from", Label: "起始日期", Type: "date"},
			{Name: "to", Label: "截止日期", Type: "date"},
			{Name: "user", Label: "用户", Type: "select", Options: users},
			{Name: "action", Label: "操作类别", Type: "select", Options: groups},
			{Name: "outcome", Label: "结果", Type: "select", Options: []Option{
				{audit.OK, "成功"}, {audit.Failed, "失败"}, {audit.Denied, "拒绝"}}},
			{Name: "object_type", Label: "对象类型", Type: "select", Options: objects},
			{Name: "object_id", Label: "对象编号", Type: "text"},
		},
		Cols: []ListCol[audit.Entry]{
			{Label: "序号", Width: 8, Cell: func(e audit.Entry) Cell { return Cell{Text: strconv.FormatInt(e.Seq, 10)} },
				Export: func(e audit.Entry) any { return e.Seq }},
			{Label: "时间", Width: 20, Cell: func(e audit.Entry) Cell {
				return Cell{Text: e.At.In(app.Local).Format("2006-01-02 15:04:05")}
			}, Export: func(e audit.Entry) any { return e.At.In(app.Local) }},
			{Label: "用户", Width: 16, Cell: func(e audit.Entry) Cell {
				c := Cell{Text: e.Username, Sub: e.IP}
				if c.Text == "" {
					c.Text = "（未登录）"
				}
				if n := names[e.UserID]; n != "" && e.UserID != 0 {
					c.Text = n + "（" + e.Username + "）"
				}
				return c
			}},
			{Label: "操作", Width: 22, Cell: func(e audit.Entry) Cell {
				n, code := action(e)
				return Cell{Text: n, Sub: code}
			}, Export: func(e audit.Entry) any {
				if n, code := action(e); code != "" {
					return n + "（" + code + "）"
				}
				return e.Action
			}},
			{Label: "对象", Width: 22, Cell: func(e audit.Entry) Cell { return Cell{Text: object(e)} }},
			{Label: "结果", Width: 8, Cell: func(e audit.Entry) Cell {
				if o, ok := outcomeNames[e.Outcome]; ok {
					return Cell{Text: o.label, Tag: o.tag}
				}
				return Cell{Text: e.Outcome, Tag: "grey"}
			}},
			{Label: "详情", Width: 40, Cell: func(e audit.Entry) Cell { return Cell{Text: clipRunes(detail(e), 80)} },
				Export: func(e audit.Entry) any { return detail(e) }},
			{Label: "请求编号", Width: 18, Cell: func(e audit.Entry) Cell { return Cell{Text: e.RequestID} }},
		},
	}
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// apiAuditEntry is one audit row in the JSON API.
type apiAuditEntry struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	UserID      int64     `json:"user_id,omitempty"`
	Username    string    `json:"username"`
	Action      string    `json:"action"`
	ActionName  string    `json:"action_name,omitempty"`
	ObjectType  string    `json:"object_type"`
	ObjectID    string    `json:"object_id"`
	Outcome     string    `json:"outcome"`
	OutcomeName string    `json:"outcome_name"`
	Detail      string    `json:"detail"`
	RequestID   string    `json:"request_id"`
	IP          string    `json:"ip"`
	Hash        string    `json:"hash"`
}

type apiAuditList struct {
	Items []apiAuditEntry `json:"items"`
	Total int             `json:"total"`
	Page  int             `json:"page"`
	Size  int             `json:"size"`
}

type apiChain struct {
	Intact   bool     `json:"intact"`
	Rows     int      `json:"rows"`
	Count    int      `json:"problem_count"`
	Problems []string `json:"problems"` // the first 20
}

func (s *Server) apiAuditList(w http.ResponseWriter, r *http.Request) {
	f, err := auditFilter(principalOf(r), r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := app.ParseListQuery(r.URL.Query())
	rows, total, err := app.Collect(s.pageAudit(r, f, q))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := apiAuditList{Items: []apiAuditEntry{}, Total: total, Page: q.Page, Size: q.Size}
	for _, e := range rows {
		out.Items = append(out.Items, apiAuditEntry{Seq: e.Seq, At: e.At, UserID: e.UserID, Username: e.Username,
			Action: e.Action, ActionName: auditActionName(e.Action), ObjectType: e.ObjectType, ObjectID: e.ObjectID,
			Outcome: e.Outcome, OutcomeName: outcomeNames[e.Outcome].label, Detail: e.Detail, RequestID: e.RequestID,
			IP: e.IP, Hash: e.Hash})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	if !p.Scope(org.PermAuditRead).Has(authz.Org) {
		s.writeError(w, r, app.ErrForbidden())
		return
	}
	cv, err := s.chainOf(r, p.OrgID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := apiChain{Intact: cv.Intact, Rows: cv.Rows, Count: cv.Count, Problems: cv.Problems}
	if out.Problems == nil {
		out.Problems = []string{}
	}
	writeJSON(w, http.StatusOK, out)
}
