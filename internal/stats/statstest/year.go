// Package statstest builds, through the services and never by SQL, one
// small organization's year of work with known numbers of each kind, and
// says what the statistics must count for it. The statistics service test,
// the handler tests and the browser test all use it.
package statstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/auth"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/groups"
	"shegong/internal/org"
	"shegong/internal/volunteers"
)

// Services are the services the year is recorded through, and the clock
// they share: SetNow moves it.
type Services struct {
	Auth       *auth.Service
	Org        *org.Service
	Groups     *groups.Service
	Volunteers *volunteers.Service
	Clients    *cases.ClientService
	Cases      *cases.CaseService
	SetNow     func(time.Time)
	// Password is what every account sets at its first sign-in (the
	// initial passwords must be changed); DefaultPassword when empty.
	Password string
}

// DefaultPassword is the accounts' password unless Services.Password says
// otherwise.
const DefaultPassword = "Year-Passw0rd-2026"

// Person is a signed-in member of the organization.
type Person struct {
	Username string
	Password string
	StaffID  int64
	P        *authz.Principal
}

// Year is the organization and what the statistics must count for it.
type Year struct {
	OrgID        int64
	SiteA, SiteB int64 // 北岸 and 振华 centres
	Project      int64 // 义路童行, at site A
	Admin        *Person
	Director     *Person
	HeadA        *Person // centre head of site A
	Supervisor   *Person // supervises Wang and Zhao
	Wang, Li     *Person // workers at site A
	Zhao         *Person // worker at site B
	Evaluator    *Person
	Foreign      *Person // director of another organization
	TeamA, TeamB int64
	// Want holds the expected figures by scope name ("year", "siteA",
	// "siteB", "q2", "wang", "project") and figure key; volunteer hours are
	// in minutes. A missing key is a figure that does not apply.
	Want map[string]map[string]int64
	// Scopes are the queries behind the scope names.
	Scopes map[string]Scope
	// Distinct is the number of different volunteers who served in 2026;
	// TeamMinutes the minutes by team name.
	Distinct    int
	TeamMinutes map[string]int64
}

// Scope is a named query of the test: a period code and the ids.
type Scope struct {
	Period                     string
	SiteID, ProjectID, StaffID int64
}

// builder records the year, failing the test at the first error.
type builder struct {
	t   testing.TB
	ctx context.Context
	s   Services
	y   *Year
	n   int
}

func (b *builder) check(err error, what string) {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("year: %s: %v", what, err)
	}
}

// on moves the clock to 09:00 China time on day.
func (b *builder) on(day string) app.Date {
	b.t.Helper()
	d, err := app.ParseDate(day)
	b.check(err, "date "+day)
	b.s.SetNow(time.Date(d.Year(), d.Month(), d.Day(), 1, 0, 0, 0, time.UTC))
	return d
}

// login signs in with the initial password, changes it as the first
// sign-in requires, and signs in again.
func (b *builder) login(username, initial string) *Person {
	b.t.Helper()
	_, p, err := b.s.Auth.Login(b.ctx, username, initial, auth.KindWeb, auth.Client{IP: "127.0.0.1"})
	b.check(err, "sign in "+username)
	pw := b.s.Password
	if p.MustChange {
		b.check(b.s.Auth.ChangePassword(b.ctx, p, initial, pw, pw), "change password of "+username)
		_, p, err = b.s.Auth.Login(b.ctx, username, pw, auth.KindWeb, auth.Client{IP: "127.0.0.1"})
		b.check(err, "sign in again "+username)
	}
	return &Person{Username: username, Password: pw, StaffID: p.StaffID, P: p}
}

// person adds a staff member (assigned to site when not 0) with an account
// holding role.
func (b *builder) person(username, name string, site int64, position string, role authz.Role) *Person {
	b.t.Helper()
	b.n++
	in := org.StaffInput{EmployeeNo: fmt.Sprintf("LY%03d", b.n), Name: name, Gender: "女", Title: "social_worker",
		HireDate: app.NewDate(2025, 11, 1)}
	if site != 0 {
		in.SiteID, in.Position = site, position
	}
	staff, err := b.s.Org.CreateStaff(b.ctx, b.y.Admin.P, in)
	b.check(err, "create staff "+name)
	_, pw, err := b.s.Org.CreateUser(b.ctx, b.y.Admin.P, org.UserInput{Username: username, DisplayName: name,
		Roles: []authz.Role{role}, StaffID: staff})
	b.check(err, "create user "+username)
	return b.login(username, pw)
}

// BuildYear records the organization's 2025-12 to 2026-12 and leaves the
// clock on 2027-01-05.
func BuildYear(t testing.TB, s Services) *Year {
	t.Helper()
	if s.Password == "" {
		s.Password = DefaultPassword
	}
	b := &builder{t: t, ctx: db.System(context.Background()), s: s, y: &Year{}}
	y := b.y
	b.on("2025-11-01")

	// The platform creates the organization and its administrator, who
	// sets up the service points, staff and accounts.
	_, ppw, err := s.Org.BootstrapPlatform(b.ctx, "platform")
	b.check(err, "bootstrap platform")
	platform := b.login("platform", ppw)
	var apw string
	y.OrgID, apw, err = s.Org.CreateOrganization(b.ctx, platform.P, org.OrgInput{Code: "lvye", Name: "东莞市绿叶社会工作服务中心",
		AdminUsername: "lvadmin", AdminName: "系统管理员"})
	b.check(err, "create organization")
	y.Admin = b.login("lvadmin", apw)
	y.SiteA, err = s.Org.CreateSite(b.ctx, y.Admin.P, org.SiteInput{Code: "BA", Name: "黄江镇北岸社区综合服务中心", Kind: "centre"})
	b.check(err, "create site A")
	y.SiteB, err = s.Org.CreateSite(b.ctx, y.Admin.P, org.SiteInput{Code: "ZH", Name: "企石镇振华社区综合服务中心", Kind: "centre"})
	b.check(err, "create site B")
	y.Director = b.person("director", "叶振华", 0, "", authz.RoleDirector)
	y.HeadA = b.person("heada", "陈慧敏", y.SiteA, "centre_head", authz.RoleCentreHead)
	y.Supervisor = b.person("dudao", "梁志明", 0, "", authz.RoleSupervisor)
	y.Wang = b.person("wang", "王嘉欣", y.SiteA, "worker", authz.RoleWorker)
	y.Li = b.person("lizh", "李子豪", y.SiteA, "worker", authz.RoleWorker)
	y.Zhao = b.person("zhao", "赵晓琳", y.SiteB, "worker", authz.RoleWorker)
	for _, supee := range []*Person{y.Wang, y.Zhao} {
		b.check(s.Org.SetSupervisor(b.ctx, y.Admin.P, supee.StaffID, org.SupervisorInput{SupervisorID: y.Supervisor.StaffID,
			StartDate: app.NewDate(2025, 11, 1)}), "supervision")
	}
	y.Supervisor = b.login("dudao", y.Supervisor.Password) // the principal now knows the supervisees
	_, epw, err := s.Org.CreateUser(b.ctx, y.Admin.P, org.UserInput{Username: "pinggu", DisplayName: "第三方评估",
		Roles: []authz.Role{authz.RoleEvaluator}})
	b.check(err, "create evaluator")
	y.Evaluator = b.login("pinggu", epw)
	_, opw, err := s.Org.CreateOrganization(b.ctx, platform.P, org.OrgInput{Code: "other", Name: "别家社工",
		AdminUsername: "otheradmin", AdminName: "别家管理员"})
	b.check(err, "create other organization")
	other := b.login("otheradmin", opw)
	_, fpw, err := s.Org.CreateUser(b.ctx, other.P, org.UserInput{Username: "foreign", DisplayName: "别家总干事",
		Roles: []authz.Role{authz.RoleDirector}})
	b.check(err, "create foreign director")
	y.Foreign = b.login("foreign", fpw)

	y.Project, err = s.Groups.CreateProject(b.ctx, y.HeadA.P, groups.ProjectInput{Name: "义路童行", SiteID: y.SiteA,
		ManagerID: y.HeadA.StaffID, StartDate: app.NewDate(2025, 11, 1), EndDate: app.NewDate(2026, 12, 31), Status: groups.ProjectActive})
	b.check(err, "create project")

	// Volunteers and their teams.
	vol := func(p *Person, site int64, name string) int64 {
		b.n++
		v, err := s.Volunteers.Create(b.ctx, p.P, volunteers.VolunteerInput{SiteID: site, Name: name, Gender: "女",
			BirthMonth: "1990-05", Phone: fmt.Sprintf("139%08d", b.n), Skills: "陪伴"})
		b.check(err, "create volunteer "+name)
		return v.ID
	}
	v1 := vol(y.Wang, y.SiteA, "何雅琪")
	v2 := vol(y.Wang, y.SiteA, "罗家乐")
	v3 := vol(y.HeadA, y.SiteA, "叶文静")
	v4 := vol(y.Zhao, y.SiteB, "郑国华")
	team, err := s.Volunteers.CreateTeam(b.ctx, y.HeadA.P, volunteers.TeamInput{SiteID: y.SiteA, Name: "北岸探访队", LeaderID: v1})
	b.check(err, "create team A")
	y.TeamA = team.ID
	b.check(s.Volunteers.AddMembers(b.ctx, y.HeadA.P, y.TeamA, []int64{v2, v3}), "team A members")
	team, err = s.Volunteers.CreateTeam(b.ctx, y.Zhao.P, volunteers.TeamInput{SiteID: y.SiteB, Name: "振华服务队", LeaderID: v4})
	b.check(err, "create team B")
	y.TeamB = team.ID

	record := func(p *Person, v, teamID, activity int64, name, day, from, to string, late int) {
		t.Helper()
		d := b.on(day)
		_, err := s.Volunteers.CreateRecord(b.ctx, p.P, volunteers.RecordInput{VolunteerID: v, TeamID: teamID,
			ActivityID: activity, ActivityName: name, Date: d, Start: from, End: to, LateMinutes: late,
			LeadName: "王嘉欣", Content: "协助活动"})
		b.check(err, "volunteer record "+name+" "+day)
	}

	// Groups: members join, then sessions with their attendance.
	group := func(p *Person, site, project int64, name string, members int) (int64, []int64) {
		t.Helper()
		id, err := s.Groups.CreateGroup(b.ctx, p.P, groups.GroupInput{Name: name, Kind: "growth", SiteID: site,
			ProjectID: project, LeaderID: p.StaffID, PlannedSessions: 6, TargetMembers: members})
		b.check(err, "create group "+name)
		var ids []int64
		for i := range members {
			m, err := s.Groups.AddMember(b.ctx, p.P, id, groups.MemberInput{Name: fmt.Sprintf("%s组员%d", name, i+1),
				JoinedOn: app.NewDate(2025, 11, 1)})
			b.check(err, "add member")
			ids = append(ids, m)
		}
		return id, ids
	}
	session := func(p *Person, g int64, members []int64, day string, present int) {
		t.Helper()
		d := b.on(day)
		_, err := s.Groups.CreateSession(b.ctx, p.P, g, groups.SessionInput{HeldOn: d, Topic: "第" + day + "节",
			Present: members[:present]})
		b.check(err, "session "+day)
	}
	activity := func(p *Person, site, project int64, title, day string, participants, posters, flyers int, signIns ...string) int64 {
		t.Helper()
		d := b.on(day)
		id, err := s.Groups.CreateActivity(b.ctx, p.P, groups.ActivityInput{Title: title, Kind: "festival", HeldOn: d,
			Place: "社区广场", SiteID: site, ProjectID: project, LeadID: p.StaffID, Participants: participants,
			SignIns: signIns, Posters: posters, Flyers: flyers})
		b.check(err, "activity "+title)
		return id
	}

	g1, m1 := group(y.Wang, y.SiteA, y.Project, "青少年成长小组", 4)
	g2, m2 := group(y.Li, y.SiteA, 0, "长者健康小组", 3)
	g3, m3 := group(y.Zhao, y.SiteB, 0, "亲子沟通小组", 5)
	group(y.Wang, y.SiteA, 0, "未开展小组", 2) // planned, never held: counts nowhere
	g5, m5 := group(y.Zhao, y.SiteB, 0, "跨年小组", 3)

	// December 2025, before the year: counted in no 2026 figure.
	session(y.Zhao, g5, m5, "2025-12-20", 3)
	a6 := activity(y.Zhao, y.SiteB, 0, "冬至包饺子", "2025-12-15", 30, 1, 20)
	record(y.Zhao, v4, y.TeamB, a6, "冬至包饺子", "2025-12-15", "09:00", "10:00", 0)

	// Cases: intake, assessment, plan, consent, then the opening request,
	// which the worker's supervisor (or, without one, the centre head)
	// approves on the day given; that day is the opening.
	intake := func(p *Person, name, day string) *cases.Case {
		t.Helper()
		d := b.on(day)
		b.n++
		cl, err := s.Clients.Create(b.ctx, p.P, cases.ClientInput{Name: name, Gender: "男", BirthDate: app.NewDate(1950, 5, 1),
			Phone: fmt.Sprintf("138%08d", b.n)})
		b.check(err, "client "+name)
		_, err = s.Clients.AddConsent(b.ctx, p.P, cl.ID, cases.ConsentInput{SignedOn: d, SignerName: name,
			Relationship: cases.ConsentSelf, SharingScope: "仅限本机构服务使用"})
		b.check(err, "consent "+name)
		c, err := s.Cases.Create(b.ctx, p.P, cases.IntakeInput{ClientID: cl.ID, IntakeDate: d, Source: "community",
			RiskLevel: cases.RiskMedium, PresentingProblem: "独居，情绪低落，与家人联系少"})
		b.check(err, "intake "+name)
		c, err = s.Cases.SaveAssessment(b.ctx, p.P, c.ID, cases.AssessmentInput{AssessedOn: d, Assessment: "社会支持薄弱",
			Needs: "情绪支持", RiskLevel: cases.RiskMedium, Version: c.Version})
		b.check(err, "assessment "+name)
		c, err = s.Cases.SavePlan(b.ctx, p.P, c.ID, cases.PlanInput{PlannedOn: d, Strategy: "每两周面谈",
			Goals: []cases.GoalInput{{Title: "情绪稳定"}}, Version: c.Version})
		b.check(err, "plan "+name)
		c, err = s.Cases.SubmitOpen(b.ctx, p.P, c.ID, cases.SubmitInput{Version: c.Version})
		b.check(err, "submit "+name)
		return c
	}
	approve := func(approver, worker *Person, c *cases.Case, day string) {
		t.Helper()
		b.on(day)
		f, err := s.Cases.File(b.ctx, worker.P, c.ID)
		b.check(err, "case file")
		for _, a := range f.Approvals {
			if a.Status == string(approval.Pending) {
				_, err := s.Cases.Decide(b.ctx, approver.P, c.ID, cases.DecisionInput{ApprovalID: a.ID, Version: a.Version,
					Decision: string(approval.Approve), Comment: "同意开案"})
				b.check(err, "approve "+c.Number)
				return
			}
		}
		t.Fatalf("year: case %s has no pending request", c.Number)
	}
	c0 := intake(y.Zhao, "黄伯", "2025-12-08")
	approve(y.Supervisor, y.Zhao, c0, "2025-12-10") // opened before the year

	// 2026.
	c1 := intake(y.Wang, "陈伯", "2026-02-02")
	approve(y.Supervisor, y.Wang, c1, "2026-02-05")
	c2 := intake(y.Li, "林姨", "2026-05-08")
	approve(y.HeadA, y.Li, c2, "2026-05-12")
	c3 := intake(y.Zhao, "何婆婆", "2026-08-14")
	approve(y.Supervisor, y.Zhao, c3, "2026-08-18")
	intake(y.Wang, "罗叔", "2026-11-20") // still waiting for approval at the year's end
	c5 := intake(y.Wang, "郑姨", "2026-11-25")
	approve(y.Supervisor, y.Wang, c5, "2026-12-01")
	session(y.Zhao, g5, m5, "2026-01-10", 3)
	a1 := activity(y.Wang, y.SiteA, y.Project, "元宵游园会", "2026-01-20", 120, 4, 300)
	record(y.Wang, v1, y.TeamA, a1, "元宵游园会", "2026-01-20", "09:00", "12:00", 0)
	record(y.Wang, v2, y.TeamA, a1, "元宵游园会", "2026-01-20", "09:00", "11:30", 0)
	session(y.Wang, g1, m1, "2026-02-10", 3)
	session(y.Wang, g1, m1, "2026-03-10", 4)
	activity(y.Li, y.SiteA, 0, "长者健康讲座", "2026-03-15", 0, 1, 0, "陈伯", "黄婆婆", "林姨")
	record(y.Li, v1, 0, 0, "探访独居长者", "2026-04-10", "14:00", "16:00", 0)
	session(y.Wang, g1, m1, "2026-04-14", 2)
	session(y.Li, g2, m2, "2026-05-06", 3)
	session(y.Li, g2, m2, "2026-05-20", 2)
	a3 := activity(y.Zhao, y.SiteB, 0, "六一游园", "2026-06-01", 80, 2, 100)
	record(y.Zhao, v4, y.TeamB, a3, "六一游园", "2026-06-01", "08:30", "12:00", 0)
	activity(y.Wang, y.SiteA, 0, "暑期安全教育", "2026-07-08", 45, 0, 0)
	session(y.Zhao, g3, m3, "2026-09-01", 5)
	session(y.Zhao, g3, m3, "2026-10-01", 4)
	session(y.Zhao, g3, m3, "2026-11-05", 5)
	a5 := activity(y.HeadA, y.SiteA, y.Project, "社区艺术节", "2026-12-20", 200, 10, 500)
	record(y.HeadA, v3, y.TeamA, a5, "社区艺术节", "2026-12-20", "13:00", "17:00", 30)
	b.on("2027-01-05")

	y.Scopes = map[string]Scope{
		"year":    {Period: "2026"},
		"siteA":   {Period: "2026", SiteID: y.SiteA},
		"siteB":   {Period: "2026", SiteID: y.SiteB},
		"q2":      {Period: "2026Q2"},
		"wang":    {Period: "2026", StaffID: y.Wang.StaffID},
		"project": {Period: "2026", ProjectID: y.Project},
	}
	y.Want = map[string]map[string]int64{
		"year": {"cases_opened": 4, "groups_opened": 3, "group_sessions": 9, "group_person_times": 31, "activities": 5,
			"activity_participants": 448, "volunteer_person_times": 5, "volunteer_hours": 870, "publicity_materials": 917},
		"siteA": {"cases_opened": 3, "groups_opened": 2, "group_sessions": 5, "group_person_times": 14, "activities": 4,
			"activity_participants": 368, "volunteer_person_times": 4, "volunteer_hours": 660, "publicity_materials": 815},
		"siteB": {"cases_opened": 1, "groups_opened": 1, "group_sessions": 4, "group_person_times": 17, "activities": 1,
			"activity_participants": 80, "volunteer_person_times": 1, "volunteer_hours": 210, "publicity_materials": 102},
		"q2": {"cases_opened": 1, "groups_opened": 1, "group_sessions": 3, "group_person_times": 7, "activities": 1,
			"activity_participants": 80, "volunteer_person_times": 2, "volunteer_hours": 330, "publicity_materials": 102},
		"wang": {"cases_opened": 2, "groups_opened": 1, "group_sessions": 3, "group_person_times": 9, "activities": 2,
			"activity_participants": 165, "volunteer_person_times": 2, "volunteer_hours": 330, "publicity_materials": 304},
		"project": {"groups_opened": 1, "group_sessions": 3, "group_person_times": 9, "activities": 2,
			"activity_participants": 320, "volunteer_person_times": 3, "volunteer_hours": 540, "publicity_materials": 814},
	}
	y.Distinct = 4
	y.TeamMinutes = map[string]int64{"北岸探访队": 540, "振华服务队": 210, "未归属服务队": 120}
	return y
}
