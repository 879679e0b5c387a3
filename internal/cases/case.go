package cases

import (
	"context"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/db"
)

// Case states, in the order of the casework standard: 接案, 预估, 计划, the
// opening approval, 介入 (the follow-ups), an internal referral waiting for
// its receiver, the closure approval, 结案后跟进 and the archive.
const (
	StateIntake       = "intake"
	StateAssessment   = "assessment"
	StatePlanned      = "planned"
	StatePendingOpen  = "pending_open"
	StateOpen         = "open"
	StateReferred     = "referred"
	StatePendingClose = "pending_close"
	StatePostClosure  = "post_closure"
	StateArchived     = "archived"
)

// States lists every state in lifecycle order.
var States = []string{StateIntake, StateAssessment, StatePlanned, StatePendingOpen, StateOpen, StateReferred,
	StatePendingClose, StatePostClosure, StateArchived}

// StateLabel is the Chinese name of a case state.
func StateLabel(s string) string {
	switch s {
	case StateIntake:
		return "接案"
	case StateAssessment:
		return "预估"
	case StatePlanned:
		return "计划"
	case StatePendingOpen:
		return "开案审批中"
	case StateOpen:
		return "介入跟进中"
	case StateReferred:
		return "转介待接收"
	case StatePendingClose:
		return "结案审批中"
	case StatePostClosure:
		return "结案后跟进"
	case StateArchived:
		return "已归档"
	}
	return s
}

// StateTag is the colour of a state's tag.
func StateTag(s string) string {
	switch s {
	case StateOpen:
		return "green"
	case StatePendingOpen, StatePendingClose, StateReferred:
		return "orange"
	case StatePostClosure:
		return "blue"
	}
	return "grey"
}

// beforeOpening reports whether a case is still being prepared for opening.
func beforeOpening(state string) bool {
	return state == StateIntake || state == StateAssessment || state == StatePlanned
}

// Risk levels assessed at intake and revised at assessment.
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// RiskLevels lists the risk levels from low to high.
var RiskLevels = []string{RiskLow, RiskMedium, RiskHigh}

// RiskLabel is the Chinese name of a risk level.
func RiskLabel(s string) string {
	switch s {
	case RiskLow:
		return "低风险"
	case RiskMedium:
		return "中风险"
	case RiskHigh:
		return "高风险"
	}
	return s
}

// RiskTag is the colour of a risk level's tag.
func RiskTag(s string) string {
	switch s {
	case RiskHigh:
		return "red"
	case RiskMedium:
		return "orange"
	}
	return "green"
}

// Sources say how a case came to the worker.
var Sources = []string{"self", "family", "community", "school", "agency", "outreach", "other"}

// SourceLabel is the Chinese name of an intake source.
func SourceLabel(s string) string {
	switch s {
	case "self":
		return "本人主动求助"
	case "family":
		return "家属求助"
	case "community":
		return "社区/居委推荐"
	case "school":
		return "学校推荐"
	case "agency":
		return "政府部门或机构转介"
	case "outreach":
		return "外展发现"
	case "other":
		return "其他"
	}
	return s
}

// Methods are the ways a follow-up is held.
var Methods = []string{"in_person", "phone", "home_visit", "online", "escort", "other"}

// MethodLabel is the Chinese name of a follow-up method.
func MethodLabel(s string) string {
	switch s {
	case "in_person":
		return "面谈"
	case "phone":
		return "电话"
	case "home_visit":
		return "家访"
	case "online":
		return "线上（微信/视频）"
	case "escort":
		return "陪同/外展"
	case "other":
		return "其他"
	}
	return s
}

// Progress levels a follow-up records per goal.
var ProgressLevels = []string{"none", "some", "much", "achieved"}

// ProgressLabel is the Chinese name of a progress level.
func ProgressLabel(s string) string {
	switch s {
	case "none":
		return "暂无进展"
	case "some":
		return "有所进展"
	case "much":
		return "明显进展"
	case "achieved":
		return "已达成"
	}
	return s
}

// Attainments rate each goal at closure.
var Attainments = []string{"achieved", "partly", "not_achieved"}

// AttainmentLabel is the Chinese name of a goal attainment.
func AttainmentLabel(s string) string {
	switch s {
	case "achieved":
		return "已达成"
	case "partly":
		return "部分达成"
	case "not_achieved":
		return "未达成"
	}
	return s
}

// ClosureReasons say why a case is closed.
var ClosureReasons = []string{"goals_met", "client_request", "referred", "lost_contact", "ineligible", "other"}

// ClosureReasonLabel is the Chinese name of a closure reason.
func ClosureReasonLabel(s string) string {
	switch s {
	case "goals_met":
		return "服务目标已达成"
	case "client_request":
		return "服务对象要求结束服务"
	case "referred":
		return "已转介其他机构"
	case "lost_contact":
		return "服务对象迁离或失去联系"
	case "ineligible":
		return "不再符合服务条件"
	case "other":
		return "其他"
	}
	return s
}

// The approval workflows of a case. Every request's subject is the case.
const (
	KindOpen     = "case_open"
	KindReferral = "case_referral"
	KindClose    = "case_close"
	// SubjectType is approvals.subject_type of every case request.
	SubjectType = "case"
)

// ConsentChecker answers whether a client's informed consent allows opening
// a case as of a day (C2): the client register provides it.
type ConsentChecker interface {
	HasValidConsent(ctx context.Context, q db.Querier, orgID, clientID int64, asOf app.Date) (bool, string, error)
}

// CaseService keeps the case files (SPEC C0, C3–C9): intake, assessment,
// plan and goals, the opening, referral and closure approvals, follow-ups,
// post-closure follow-ups, reassignment, reminders and reports.
type CaseService struct {
	DB        *db.DB
	Now       func() time.Time
	Approvals *approval.Service
	Consent   ConsentChecker
}

// NewCaseService returns the service and registers the opening, referral
// and closure workflows with ap.
func NewCaseService(d *db.DB, now func() time.Time, ap *approval.Service, consent ConsentChecker) *CaseService {
	s := &CaseService{DB: d, Now: now, Approvals: ap, Consent: consent}
	s.registerWorkflows()
	return s
}

func (s *CaseService) today() app.Date { return app.Today(s.Now()) }

// NamedID is an option of a form or filter: a record's id and its name.
type NamedID struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}
