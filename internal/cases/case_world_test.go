package cases_test

import (
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/testenv"
)

// caseWorld is an organization with two service points and its casework
// people, and another organization, on a running system.
//
//	北岸 (code BA): workers w1, w2; supervisor sup (supervises w1, w2);
//	                centre head head
//	振华 (code ZH): worker w3, supervised by nobody
//	other org:      worker ow at 别家
type caseWorld struct {
	t               *testing.T
	e               *testenv.Env
	svc             *cases.CaseService
	org, other      *testenv.Org
	siteA, siteB    int64
	siteX           int64
	w1, w2, w3, sup *testenv.Person
	head, dir, ow   *testenv.Person
	eval, serviceHd *testenv.Person
	clientSeq       int
}

func newCaseWorld(t *testing.T, e *testenv.Env) *caseWorld {
	w := &caseWorld{t: t, e: e, svc: e.Sys.Cases}
	w.org = e.Org("lvye", "绿叶社工")
	w.other = e.Org("other", "别家机构")
	w.siteA = w.org.Site("北岸中心", "centre")
	w.siteB = w.org.Site("振华中心", "centre")
	w.siteX = w.other.Site("别家中心", "centre")
	e.Exec(`UPDATE sites SET code = 'ba' WHERE id = $1`, w.siteA)
	e.Exec(`UPDATE sites SET code = 'ZH' WHERE id = $1`, w.siteB)
	w.w1 = w.org.User("w1", true, authz.RoleWorker).Assign(w.siteA, "worker")
	w.w2 = w.org.User("w2", true, authz.RoleWorker).Assign(w.siteA, "worker")
	w.w3 = w.org.User("w3", true, authz.RoleWorker).Assign(w.siteB, "worker")
	w.sup = w.org.User("sup", true, authz.RoleSupervisor).Assign(w.siteA, "supervisor")
	w.sup.Supervises(w.w1).Supervises(w.w2)
	w.head = w.org.User("head", true, authz.RoleCentreHead).Assign(w.siteA, "centre_head")
	w.dir = w.org.User("dir", true, authz.RoleDirector)
	w.serviceHd = w.org.User("fwb", true, authz.RoleServiceHead)
	w.eval = w.org.User("eval", false, authz.RoleEvaluator)
	w.ow = w.other.User("ow", true, authz.RoleWorker).Assign(w.siteX, "worker")
	return w
}

// at moves the clock to 09:00 China time on the given day.
func (w *caseWorld) at(y int, m time.Month, d int) {
	w.e.Clock.Set(time.Date(y, m, d, 1, 0, 0, 0, time.UTC))
}

func (w *caseWorld) today() app.Date { return app.Today(w.e.Clock.Now()) }

// client registers a client of the worker at their service point by SQL.
func (w *caseWorld) client(p *testenv.Person, name string, birth app.Date) int64 {
	w.clientSeq++
	site := w.siteA
	if p == w.w3 {
		site = w.siteB
	}
	if p == w.ow {
		site = w.siteX
	}
	now := w.e.Clock.Now().UTC()
	return w.e.ID(`INSERT INTO clients (org_id, name, birth_date, worker_id, site_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, p.Org.ID, name, birth, p.StaffID, site, now)
}

// consent records an informed-consent form signed by relationship.
func (w *caseWorld) consent(orgID, clientID int64, signed app.Date, relationship string) {
	w.e.Exec(`INSERT INTO client_consents (org_id, client_id, signed_on, signer_name, relationship, created_at)
		VALUES ($1, $2, $3, '签署人', $4, $5)`, orgID, clientID, signed, relationship, w.e.Clock.Now().UTC())
}

func (w *caseWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// wantCode fails unless err carries code (and, when given, the message).
func wantCode(t *testing.T, err error, code app.Code, msg ...string) {
	t.Helper()
	if app.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	if len(msg) > 0 && app.ErrorMessage(err) != msg[0] {
		t.Fatalf("message %q, want %q", app.ErrorMessage(err), msg[0])
	}
}

// intake creates a case of p's client with the usual answers.
func (w *caseWorld) intake(p *testenv.Person, clientID int64) *cases.Case {
	w.t.Helper()
	c, err := w.svc.Create(w.e.Ctx, p.Principal(), cases.IntakeInput{ClientID: clientID, IntakeDate: w.today(),
		Source: "community", RiskLevel: cases.RiskMedium, PresentingProblem: "独居长者，近期情绪低落，与子女联系少"})
	w.must(err)
	return c
}

// prepare takes a case through assessment and a plan of two goals.
func (w *caseWorld) prepare(p *testenv.Person, c *cases.Case) *cases.Case {
	w.t.Helper()
	pr := p.Principal()
	c, err := w.svc.SaveAssessment(w.e.Ctx, pr, c.ID, cases.AssessmentInput{AssessedOn: w.today(),
		Assessment: "社会支持薄弱，存在抑郁风险", Needs: "情绪支持；恢复与子女的联系", RiskLevel: cases.RiskMedium,
		Version: c.Version})
	w.must(err)
	c, err = w.svc.SavePlan(w.e.Ctx, pr, c.ID, cases.PlanInput{PlannedOn: w.today(), Strategy: "每两周面谈，联络子女",
		Goals:   []cases.GoalInput{{Title: "情绪稳定", Measure: "抑郁量表分数下降"}, {Title: "每周与子女联系一次"}},
		Version: c.Version})
	w.must(err)
	return c
}

// pendingApproval returns the case's pending request.
func (w *caseWorld) pendingApproval(p *testenv.Person, caseID int64) cases.ApprovalRecord {
	w.t.Helper()
	f, err := w.svc.File(w.e.Ctx, p.Principal(), caseID)
	w.must(err)
	for _, a := range f.Approvals {
		if a.Status == string(approval.Pending) {
			return a
		}
	}
	w.t.Fatalf("case %d has no pending request", caseID)
	return cases.ApprovalRecord{}
}

// decide has the approver decide the case's pending request.
func (w *caseWorld) decide(approver, reader *testenv.Person, caseID int64, decision approval.Decision, comment string) {
	w.t.Helper()
	a := w.pendingApproval(reader, caseID)
	_, err := w.svc.Decide(w.e.Ctx, approver.Principal(), caseID, cases.DecisionInput{ApprovalID: a.ID,
		Version: a.Version, Decision: string(decision), Comment: comment})
	w.must(err)
}

// open takes a new case of p's client to open: intake, assessment, plan,
// consent, submission and the supervisor's approval.
func (w *caseWorld) open(p, approver *testenv.Person, name string) *cases.Case {
	w.t.Helper()
	cl := w.client(p, name, app.NewDate(1950, 5, 1))
	w.consent(p.Org.ID, cl, w.today(), cases.ConsentSelf)
	c := w.prepare(p, w.intake(p, cl))
	c, err := w.svc.SubmitOpen(w.e.Ctx, p.Principal(), c.ID, cases.SubmitInput{Version: c.Version})
	w.must(err)
	w.decide(approver, p, c.ID, approval.Approve, "同意开案")
	c, err = w.svc.Get(w.e.Ctx, p.Principal(), c.ID)
	w.must(err)
	if c.State != cases.StateOpen {
		w.t.Fatalf("case not open: %s", c.State)
	}
	return c
}

// followup records a follow-up on a day with progress on every goal.
func (w *caseWorld) followup(p *testenv.Person, c *cases.Case, on app.Date) {
	w.t.Helper()
	in := cases.FollowupInput{HeldOn: on, Method: "home_visit", DurationMin: 60, Content: "家访，了解近况"}
	for _, g := range c.Goals {
		in.Progress = append(in.Progress, cases.ProgressInput{GoalID: g.ID, Progress: "some"})
	}
	_, err := w.svc.AddFollowup(w.e.Ctx, p.Principal(), c.ID, in)
	w.must(err)
}

// reminders returns p's reminders of one rule.
func (w *caseWorld) reminders(p *testenv.Person, rule string) []string {
	w.t.Helper()
	items, err := w.e.Sys.Reminders.For(w.e.Ctx, p.Principal())
	w.must(err)
	var out []string
	for _, it := range items {
		if it.Rule == rule {
			s := it.Title + " | " + it.Detail
			if it.Overdue {
				s += " | 逾期"
			}
			out = append(out, s)
		}
	}
	return out
}
