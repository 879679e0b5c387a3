package web_test

import (
	"fmt"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/approval/general"
	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// Approval records in the permission matrix. Who may read a request is not
// a role's scope alone: the submitter, the people asked to decide and the
// roles approval.PermView grants. Each ownership case is a fresh general
// request filed by that case's person; a director in each organization makes
// every route resolvable.
func init() {
	objectFixtures["approval"] = func(w *world) map[string]matrixCase {
		return approvalCases(w, func(p *authz.Principal, a *approval.Approval) bool { return approvalVisible(w, p, a) })
	}
	// Withdrawing, resubmitting and correcting belong to the submitter.
	objectFixtures["approval_own"] = func(w *world) map[string]matrixCase {
		return approvalCases(w, func(p *authz.Principal, a *approval.Approval) bool {
			return p.UserID == a.SubmitterID && p.Can(general.PermSubmit)
		})
	}
	objectFixtures["delegation"] = delegationCases
}

// matrixApprovers holds, per world, the directors who approve what no
// centre head covers; they are created once.
var matrixApprovers = map[*world][2]*testenv.Person{}

func ensureApprovers(w *world) (dir, otherDir *testenv.Person) {
	if a, ok := matrixApprovers[w]; ok {
		return a[0], a[1]
	}
	dir = w.Org.User("mxdir", true, authz.RoleDirector)
	otherDir = w.Other.User("mxodir", true, authz.RoleDirector)
	matrixApprovers[w] = [2]*testenv.Person{dir, otherDir}
	return dir, otherDir
}

// matrixRequests holds, per world, the requests filed for each ownership
// case. They are filed once: with the matrix's empty bodies no approval
// route changes a request (a missing version is always a conflict).
var matrixRequests = map[*world]map[string]*approval.Approval{}

func approvalCases(w *world, allowed func(*authz.Principal, *approval.Approval) bool) map[string]matrixCase {
	reqs, ok := matrixRequests[w]
	if !ok {
		ensureApprovers(w)
		file := func(p *testenv.Person, site int64) *approval.Approval {
			req, err := w.E.Sys.General.Submit(w.E.Ctx, p.Principal(), general.Input{SiteID: site, Title: "矩阵测试申请",
				Content: "权限矩阵", Amount: "6000"})
			if err != nil {
				w.E.T.Fatalf("matrix: file general request: %v", err)
			}
			return req.Approval
		}
		reqs = map[string]*approval.Approval{}
		// Only someone who may file requests has requests of their own.
		if w.Actor.Principal().Can(general.PermSubmit) {
			reqs[own] = file(w.Actor, w.SiteA)
		}
		reqs[sameSite] = file(w.PeerA, w.SiteA)
		reqs[supervisee] = file(w.Supervisee, w.SiteB)
		reqs[otherSite] = file(w.PeerB, w.SiteB)
		reqs[otherOrg] = file(w.Foreign, w.SiteX)
		matrixRequests[w] = reqs
	}
	out := map[string]matrixCase{}
	for name, a := range reqs {
		out[name] = matrixCase{Params: map[string]string{"id": strconv.FormatInt(a.ID, 10)},
			Allowed: func(p *authz.Principal) bool { return allowed(p, a) }}
	}
	return out
}

// approvalVisible is the reading rule stated independently of the service:
// the submitter, an assignee of a step, or a role whose PermView scope
// covers the submitter's staff member or the service point.
func approvalVisible(w *world, p *authz.Principal, a *approval.Approval) bool {
	if p.OrgID != a.OrgID {
		return false
	}
	if p.UserID == a.SubmitterID {
		return true
	}
	assigned := w.E.Count(`SELECT COUNT(*) FROM approval_step_assignees WHERE org_id = $1 AND approval_id = $2 AND user_id = $3`,
		a.OrgID, a.ID, p.UserID)
	if assigned > 0 {
		return true
	}
	return p.Scope(approval.PermView).Allows(authz.Obj{OrgID: a.OrgID, OwnerID: a.SubmitterStaffID, SiteIDs: []int64{a.SiteID}})
}

// matrixDelegations holds, per world, the delegations of each ownership
// case. Cancelling the actor's own one twice answers a conflict the second
// time, which is still not a denial.
var matrixDelegations = map[*world]map[string]string{}

func delegationCases(w *world) map[string]matrixCase {
	ids, ok := matrixDelegations[w]
	if !ok {
		_, otherDir := ensureApprovers(w)
		day := app.Today(w.E.Clock.Now()).AddDays(1)
		mk := func(from, to *testenv.Person) string {
			d, err := w.E.Sys.Approvals.Delegate(w.E.Ctx, from.Principal(), approval.DelegationInput{ToUserID: to.UserID,
				Start: day, End: day, Reason: "矩阵测试"})
			if err != nil {
				w.E.T.Fatalf("matrix: delegate: %v", err)
			}
			return fmt.Sprint(d.ID)
		}
		ids = map[string]string{sameSite: mk(w.PeerA, w.PeerB), otherOrg: mk(w.Foreign, otherDir)}
		if w.Actor.Principal().Can(approval.PermDelegate) {
			ids[own] = mk(w.Actor, w.PeerA)
		}
		matrixDelegations[w] = ids
	}
	out := map[string]matrixCase{}
	for name, id := range ids {
		allowed := func(*authz.Principal) bool { return false }
		if name == own {
			allowed = func(p *authz.Principal) bool { return p.Can(approval.PermDelegate) }
		}
		out[name] = matrixCase{Params: map[string]string{"id": id}, Allowed: allowed}
	}
	return out
}
