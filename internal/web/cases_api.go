package web

import (
	"net/http"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/cases"
)

// The casework JSON API: the same services as the pages.

type apiCaseList struct {
	Total int             `json:"total"`
	Items []cases.CaseRow `json:"items"`
}

type apiReassignOut struct {
	Moved int `json:"moved"`
}

func (s *Server) caseAPIRoutes() {
	rt := s.router
	read, write := cases.PermCaseRead, cases.PermCaseWrite
	const tag = "个案"
	api := func(method, pattern string, perm *authz.Perm, summary string, doc *APIDoc, h http.HandlerFunc) {
		doc.Tag = tag
		r := Route{Method: method, Pattern: "/api/v1/cases" + pattern, Access: Permitted, Perm: perm, Summary: summary, API: doc}
		if strings.HasPrefix(pattern, "/{id}") {
			r.Object = "case"
		}
		rt.Handle(r, h)
	}
	listQuery := []Param{{"site", "服务点", "integer", false}, {"worker", "负责社工（同工编号）", "integer", false},
		{"state", "阶段：intake/assessment/planned/pending_open/open/referred/pending_close/post_closure/archived", "string", false},
		{"risk", "风险等级：low/medium/high", "string", false}, {"client", "服务对象编号（内部 ID）", "integer", false},
		{"behind", "1：只看跟进不足的个案", "integer", false},
		{"from", "接案日期起（YYYY-MM-DD）", "date", false}, {"to", "接案日期止", "date", false},
		{"q", "按个案编号或服务对象姓名搜索", "string", false}, {"page", "页码", "integer", false},
		{"size", "每页条数（最多200）", "integer", false},
		{"sort", "排序：number/intake/client/site/worker/state/risk/followups/last", "string", false},
		{"dir", "asc 或 desc", "string", false}}
	monthQuery := []Param{{"month", "月份（YYYY-MM），默认本月", "string", false}, {"site", "服务点", "integer", false},
		{"worker", "社工（同工编号）", "integer", false}}
	rid := []Param{{Name: "rid", Desc: "转介编号（内部 ID）", Type: "integer"}}

	api("GET", "", read, "个案列表（服务对象姓名脱敏）", &APIDoc{Response: apiCaseList{}, Query: listQuery}, s.apiCaseList)
	api("POST", "", write, "接案（新建个案）", &APIDoc{Request: cases.IntakeInput{}, Response: cases.Case{},
		Status: http.StatusCreated}, s.apiCaseCreate)
	api("GET", "/{id}", read, "个案档案（全部记录，查看记入审计）", &APIDoc{Response: cases.CaseFile{}}, s.apiCaseFile)
	api("PUT", "/{id}/intake", write, "修改接案记录", &APIDoc{Request: cases.IntakeInput{}, Response: cases.Case{}},
		s.apiCaseIntake)
	api("PUT", "/{id}/assessment", write, "保存预估表", &APIDoc{Request: cases.AssessmentInput{}, Response: cases.Case{}},
		s.apiCaseAssessment)
	api("PUT", "/{id}/plan", write, "保存服务计划与目标", &APIDoc{Request: cases.PlanInput{}, Response: cases.Case{}},
		s.apiCasePlan)
	api("POST", "/{id}/submit", write, "提交开案申请（须有有效的知情同意书）",
		&APIDoc{Request: cases.SubmitInput{}, Response: cases.Case{}}, s.apiCaseSubmit)
	api("POST", "/{id}/decide", read, "审批个案的开案、转介或结案申请",
		&APIDoc{Request: cases.DecisionInput{}, Response: cases.Case{},
			Desc: "审批人为个案社工的督导（无督导时为服务点中心负责人）；申请人不能审批自己的申请。审批后如已无权查看该个案，返回 204。"},
		s.apiCaseDecide)
	api("POST", "/{id}/withdraw", write, "撤回个案申请", &APIDoc{Request: cases.WithdrawInput{}, Response: cases.Case{}},
		s.apiCaseWithdraw)
	api("GET", "/{id}/followups", read, "跟进记录（含结案后跟进）", &APIDoc{Response: []cases.Followup{}}, s.apiCaseFollowups)
	api("POST", "/{id}/followups", write, "记录跟进（须逐一填写各目标进展）",
		&APIDoc{Request: cases.FollowupInput{}, Response: cases.Followup{}, Status: http.StatusCreated}, s.apiCaseFollowup)
	api("POST", "/{id}/post-closure", write, "记录结案后跟进",
		&APIDoc{Request: cases.FollowupInput{}, Response: cases.Followup{}, Status: http.StatusCreated}, s.apiCasePostClosure)
	api("POST", "/{id}/referrals", write, "申请转介（被驳回后以同一转介书修改重交）",
		&APIDoc{Request: cases.ReferralInput{}, Response: cases.Referral{}, Status: http.StatusCreated}, s.apiCaseRefer)
	api("GET", "/{id}/referrals/{rid}", read, "转介书（查看记入审计）", &APIDoc{Response: cases.Letter{}, Path: rid},
		s.apiCaseLetter)
	api("POST", "/{id}/referrals/{rid}/respond", write, "接收或拒绝机构内转介（仅接收社工）",
		&APIDoc{Request: cases.RespondInput{}, Response: cases.Case{}, Path: rid}, s.apiCaseRespond)
	api("POST", "/{id}/closure", write, "申请结案（须督导同意）", &APIDoc{Request: cases.ClosureInput{}, Response: cases.Case{}},
		s.apiCaseClosure)
	api("POST", "/{id}/reopen", write, "重开已结案或已归档的个案", &APIDoc{Request: cases.ReopenInput{}, Response: cases.Case{}},
		s.apiCaseReopen)
	api("POST", "/reassign", cases.PermCaseReassign, "转移个案（单个或批量）",
		&APIDoc{Request: cases.ReassignInput{}, Response: apiReassignOut{}}, s.apiCaseReassign)
	api("GET", "/archive-check", cases.PermCaseReport, "档案检查",
		&APIDoc{Response: cases.ArchiveCheck{}, Query: append(monthQuery, Param{"gaps", "1：只列出有缺漏的档案", "string", false})},
		s.apiCaseArchive)
	api("GET", "/monthly", cases.PermCaseReport, "社工月报表（按社工和服务点汇总）",
		&APIDoc{Response: cases.MonthlyReport{}, Query: monthQuery}, s.apiCaseMonthly)
	api("GET", "/settings", read, "个案工作规则", &APIDoc{Response: cases.Settings{}}, s.apiCaseSettings)
	api("PUT", "/settings", cases.PermCaseSettings, "修改个案工作规则",
		&APIDoc{Request: cases.Settings{}, Response: cases.Settings{}}, s.apiCaseSettingsSave)
}

func (s *Server) apiCaseList(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	var f cases.CaseFilter
	var v app.Validation
	f.SiteID, _ = strconv.ParseInt(qv.Get("site"), 10, 64)
	f.WorkerID, _ = strconv.ParseInt(qv.Get("worker"), 10, 64)
	f.State, f.Risk, f.Behind = qv.Get("state"), qv.Get("risk"), qv.Get("behind") == "1"
	f.ClientID, _ = strconv.ParseInt(qv.Get("client"), 10, 64)
	for name, d := range map[string]*app.Date{"from": &f.From, "to": &f.To} {
		if s := qv.Get(name); s != "" {
			var err error
			if *d, err = app.ParseDate(s); err != nil {
				v.Add(name, app.ErrorMessage(err))
			}
		}
	}
	if err := v.Err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	rows, total, err := s.Cases.List(r.Context(), principalOf(r), f, app.ParseListQuery(qv))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiCaseList{Total: total, Items: rows})
}

// apiCase runs a handler on the {id} case: decode the body into in, call.
func apiCase[T any](s *Server, w http.ResponseWriter, r *http.Request, okStatus int,
	call func(p *authz.Principal, id int64, in T) (any, error)) {
	id, err := caseID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in T
	if r.Method != http.MethodGet {
		if err := decodeJSON(r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	out, err := call(principalOf(r), id, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, okStatus, out)
}

// caseOrNone keeps a nil *Case a nil interface, so the handler answers 204.
func caseOrNone(c *cases.Case, err error) (any, error) {
	if err != nil || c == nil {
		return nil, err
	}
	return c, nil
}

func (s *Server) apiCaseCreate(w http.ResponseWriter, r *http.Request) {
	var in cases.IntakeInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Cases.Create(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiCaseFile(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, _ struct{}) (any, error) {
		return s.Cases.File(r.Context(), p, id)
	})
}

func (s *Server) apiCaseIntake(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.IntakeInput) (any, error) {
		return caseOrNone(s.Cases.UpdateIntake(r.Context(), p, id, in))
	})
}

func (s *Server) apiCaseAssessment(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.AssessmentInput) (any, error) {
		return caseOrNone(s.Cases.SaveAssessment(r.Context(), p, id, in))
	})
}

func (s *Server) apiCasePlan(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.PlanInput) (any, error) {
		return caseOrNone(s.Cases.SavePlan(r.Context(), p, id, in))
	})
}

func (s *Server) apiCaseSubmit(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.SubmitInput) (any, error) {
		return caseOrNone(s.Cases.SubmitOpen(r.Context(), p, id, in))
	})
}

func (s *Server) apiCaseDecide(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.DecisionInput) (any, error) {
		return caseOrNone(s.Cases.Decide(r.Context(), p, id, in))
	})
}

func (s *Server) apiCaseWithdraw(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.WithdrawInput) (any, error) {
		return caseOrNone(s.Cases.Withdraw(r.Context(), p, id, in))
	})
}

func (s *Server) apiCaseFollowups(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, _ struct{}) (any, error) {
		return s.Cases.Followups(r.Context(), p, id)
	})
}

func (s *Server) apiCaseFollowup(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusCreated, func(p *authz.Principal, id int64, in cases.FollowupInput) (any, error) {
		return s.Cases.AddFollowup(r.Context(), p, id, in)
	})
}

func (s *Server) apiCasePostClosure(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusCreated, func(p *authz.Principal, id int64, in cases.FollowupInput) (any, error) {
		return s.Cases.AddPostClosure(r.Context(), p, id, in)
	})
}

func (s *Server) apiCaseRefer(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusCreated, func(p *authz.Principal, id int64, in cases.ReferralInput) (any, error) {
		return s.Cases.Refer(r.Context(), p, id, in)
	})
}

func (s *Server) apiCaseLetter(w http.ResponseWriter, r *http.Request) {
	rid, err := caseID(r, "rid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, _ struct{}) (any, error) {
		return s.Cases.ReferralLetter(r.Context(), p, id, rid)
	})
}

func (s *Server) apiCaseRespond(w http.ResponseWriter, r *http.Request) {
	rid, err := caseID(r, "rid")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.RespondInput) (any, error) {
		return caseOrNone(s.Cases.RespondReferral(r.Context(), p, id, rid, in))
	})
}

func (s *Server) apiCaseClosure(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.ClosureInput) (any, error) {
		return caseOrNone(s.Cases.RequestClosure(r.Context(), p, id, in))
	})
}

func (s *Server) apiCaseReopen(w http.ResponseWriter, r *http.Request) {
	apiCase(s, w, r, http.StatusOK, func(p *authz.Principal, id int64, in cases.ReopenInput) (any, error) {
		return caseOrNone(s.Cases.Reopen(r.Context(), p, id, in))
	})
}

func (s *Server) apiCaseReassign(w http.ResponseWriter, r *http.Request) {
	var in cases.ReassignInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.Cases.Reassign(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiReassignOut{Moved: n})
}

func (s *Server) apiCaseArchive(w http.ResponseWriter, r *http.Request) {
	ac, err := s.Cases.Archive(r.Context(), principalOf(r), reportFilter(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ac)
}

func (s *Server) apiCaseMonthly(w http.ResponseWriter, r *http.Request) {
	rep, err := s.Cases.Monthly(r.Context(), principalOf(r), reportFilter(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) apiCaseSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.Cases.Settings(r.Context(), principalOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiCaseSettingsSave(w http.ResponseWriter, r *http.Request) {
	var in cases.Settings
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.Cases.SaveSettings(r.Context(), principalOf(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
