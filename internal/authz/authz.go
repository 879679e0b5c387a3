// Package authz decides who may do what over which data. A Role is granted a
// Permission at a data-scope Level (own records, supervisees', the service
// point's, the department's, the organization's, or platform aggregates). A
// Principal is the signed-in user with the facts scope needs: staff id,
// service points, departments and supervisees. Every route declares the
// Permission it needs; every store filters lists by Principal.Scope.
package authz

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Role is a job role; a user may hold several.
type Role string

const (
	RolePlatformOperator Role = "platform_operator"
	RoleOrgAdmin         Role = "org_admin"
	RoleDirector         Role = "director"
	RoleServiceHead      Role = "service_head"
	RoleAdminHead        Role = "admin_head"
	RoleFinanceHead      Role = "finance_head"
	RoleCentreHead       Role = "centre_head"
	RoleSupervisor       Role = "supervisor"
	RoleWorker           Role = "worker"
	RoleCentreFinance    Role = "centre_finance"
	RoleAccountant       Role = "accountant"
	RoleHR               Role = "hr"
	RoleEvaluator        Role = "evaluator"
)

// RoleInfo describes a role for screens and documentation.
type RoleInfo struct {
	Role     Role
	Name     string // Chinese
	Desc     string
	Platform bool // held only by platform users
}

// Roles lists every role in display order.
var Roles = []RoleInfo{
	{RolePlatformOperator, "平台运营", "管理平台上的机构，只看汇总数据，不看个人信息", true},
	{RoleOrgAdmin, "机构管理员", "管理本机构的账号、角色与基础设置", false},
	{RoleDirector, "总干事", "机构负责人，查看全机构数据并做最终审批", false},
	{RoleServiceHead, "服务部负责人", "统筹全机构服务与督导", false},
	{RoleAdminHead, "行政部负责人", "统筹人事、行政与用人单位沟通", false},
	{RoleFinanceHead, "财务部负责人", "统筹机构财务", false},
	{RoleCentreHead, "中心负责人", "管理所在服务点的同工与服务", false},
	{RoleSupervisor, "督导", "督导被督导同工的个案与服务", false},
	{RoleWorker, "一线社工", "跟进自己的服务对象与个案", false},
	{RoleCentreFinance, "中心财务", "服务点的报销初审与经费管理", false},
	{RoleAccountant, "会计", "记账、凭证与报表", false},
	{RoleHR, "人事专员", "招聘、入职、合同、请假与社保", false},
	{RoleEvaluator, "评估方（只读）", "第三方评估或购买方，只读查看汇总与服务记录", false},
}

// RoleName returns the Chinese name of r.
func RoleName(r Role) string {
	for _, ri := range Roles {
		if ri.Role == r {
			return ri.Name
		}
	}
	return string(r)
}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool {
	for _, ri := range Roles {
		if ri.Role == r {
			return true
		}
	}
	return false
}

// Level is a data scope.
type Level uint8

const (
	None       Level = 0
	Own        Level = 1 << iota // records the user's staff member owns
	Supervised                   // records of the user's supervisees (and own)
	Site                         // records of the user's service points
	Department                   // records of the user's departments
	Org                          // the whole organization
	Platform                     // aggregates across organizations, no personal data
)

// LevelName is the Chinese name of a level.
func LevelName(l Level) string {
	switch l {
	case Own:
		return "本人"
	case Supervised:
		return "被督导同工"
	case Site:
		return "本服务点"
	case Department:
		return "本部门"
	case Org:
		return "全机构"
	case Platform:
		return "平台汇总"
	}
	return "无"
}

// Perm is a permission. Grants says which roles hold it and over what scope.
type Perm struct {
	Name   string
	Title  string
	Grants map[Role]Level
}

var (
	regMu    sync.Mutex
	registry = map[string]*Perm{}
)

// Define registers a permission; business areas define theirs at package
// level so the permission matrix test sees them all.
func Define(name, title string, grants map[Role]Level) *Perm {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("authz: permission defined twice: " + name)
	}
	p := &Perm{Name: name, Title: title, Grants: grants}
	registry[name] = p
	return p
}

// All returns every defined permission sorted by name.
func All() []*Perm {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]*Perm, 0, len(registry))
	for _, p := range registry {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Principal is the signed-in user as authorization sees them.
type Principal struct {
	UserID      int64
	OrgID       int64
	OrgKind     string // "platform" or "agency"
	OrgName     string
	Username    string
	DisplayName string
	Roles       []Role
	StaffID     int64   // 0 when the user is not a staff member
	SiteIDs     []int64 // current service-point assignments
	DeptIDs     []int64
	Supervisees []int64 // staff ids currently supervised
	SessionID   string
	MustChange  bool
	// Stage is the sign-in step still due on this web session: "" when
	// fully signed in, "totp" (the one-time code) or "enrol" (set up a
	// second factor first).
	Stage string
}

// Has reports whether p holds role r.
func (p *Principal) Has(r Role) bool { return p != nil && slices.Contains(p.Roles, r) }

// IsPlatform reports whether p is a platform user.
func (p *Principal) IsPlatform() bool { return p != nil && p.OrgKind == "platform" }

// Scope returns the union of the levels p's roles hold for perm.
func (p *Principal) Scope(perm *Perm) Scope {
	s := Scope{p: p}
	if p == nil || perm == nil {
		return s
	}
	for _, r := range p.Roles {
		// Platform roles never act inside an agency and agency roles never
		// act on the platform, whatever a grant says.
		if (r == RolePlatformOperator) != p.IsPlatform() {
			continue
		}
		s.levels |= perm.Grants[r]
	}
	return s
}

// Can reports whether p holds perm at any level.
func (p *Principal) Can(perm *Perm) bool { return p.Scope(perm).levels != None }

// Scope is what a principal may see under one permission.
type Scope struct {
	p      *Principal
	levels Level
}

// Has reports whether the scope includes level l.
func (s Scope) Has(l Level) bool { return s.levels&l != 0 }

// Any reports whether the scope grants anything.
func (s Scope) Any() bool { return s.levels != None }

// Widest returns the widest level in the scope.
func (s Scope) Widest() Level {
	for l := Platform; l >= Own; l >>= 1 {
		if s.levels&l != 0 {
			return l
		}
	}
	return None
}

// Principal returns the principal the scope belongs to.
func (s Scope) Principal() *Principal { return s.p }

// Obj is what scope needs to know about a record.
type Obj struct {
	OrgID   int64
	OwnerID int64   // owning staff id (case worker, applicant…), 0 if none
	SiteIDs []int64 // service point(s) of the record
	DeptID  int64
}

// Allows reports whether the scope covers o. Records of another organization
// are never covered, except by Platform, which sees only aggregates.
func (s Scope) Allows(o Obj) bool {
	p := s.p
	if p == nil || s.levels == None {
		return false
	}
	if s.Has(Platform) {
		return true
	}
	if o.OrgID != p.OrgID {
		return false
	}
	if s.Has(Org) {
		return true
	}
	if s.Has(Own) || s.Has(Supervised) || s.Has(Site) || s.Has(Department) {
		if o.OwnerID != 0 && o.OwnerID == p.StaffID && p.StaffID != 0 {
			return true
		}
	}
	if s.Has(Supervised) && o.OwnerID != 0 && slices.Contains(p.Supervisees, o.OwnerID) {
		return true
	}
	if s.Has(Site) {
		for _, id := range o.SiteIDs {
			if slices.Contains(p.SiteIDs, id) {
				return true
			}
		}
	}
	if s.Has(Department) && o.DeptID != 0 && slices.Contains(p.DeptIDs, o.DeptID) {
		return true
	}
	return false
}

// Cols names the columns (SQL expressions) that carry a record's scope facts.
// Leave a field empty when the record has no such fact.
type Cols struct {
	Org   string
	Owner string
	Site  string
	Dept  string
}

// SQL returns a condition restricting rows to the scope. arg appends a bind
// value and returns its placeholder. ID lists are inlined as integers.
func (s Scope) SQL(c Cols, arg func(v any) string) string {
	p := s.p
	if p == nil || s.levels == None {
		return "1 = 0"
	}
	if s.Has(Platform) {
		return "1 = 1"
	}
	if s.Has(Org) {
		return c.Org + " = " + arg(p.OrgID)
	}
	var or []string
	if c.Owner != "" && p.StaffID != 0 {
		ids := []int64{p.StaffID}
		if s.Has(Supervised) {
			ids = append(ids, p.Supervisees...)
		}
		or = append(or, c.Owner+" IN ("+joinIDs(ids)+")")
	}
	if s.Has(Site) && c.Site != "" && len(p.SiteIDs) > 0 {
		or = append(or, c.Site+" IN ("+joinIDs(p.SiteIDs)+")")
	}
	if s.Has(Department) && c.Dept != "" && len(p.DeptIDs) > 0 {
		or = append(or, c.Dept+" IN ("+joinIDs(p.DeptIDs)+")")
	}
	if len(or) == 0 {
		// Bind nothing: PostgreSQL refuses a bound value no placeholder uses.
		return "1 = 0"
	}
	return c.Org + " = " + arg(p.OrgID) + " AND (" + strings.Join(or, " OR ") + ")"
}

func joinIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// Check returns nil when p may act on o under perm, else an error that the
// HTTP layer turns into 404 (the record's existence is not confirmed).
func (p *Principal) Check(perm *Perm, o Obj) error {
	if p.Scope(perm).Allows(o) {
		return nil
	}
	return ErrDenied{Perm: perm.Name}
}

// ErrDenied is returned when a scope check fails.
type ErrDenied struct{ Perm string }

func (e ErrDenied) Error() string { return fmt.Sprintf("authz: %s denied", e.Perm) }

type ctxKey struct{}

// With stores p in ctx.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal in ctx, or nil.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

func sortIDs(ids []int64) { slices.Sort(ids) }

func sortRoles(rs []Role) { slices.Sort(rs) }
