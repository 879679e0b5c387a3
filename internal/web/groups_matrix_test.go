package web_test

import (
	"bytes"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/groups"
	"shegong/internal/testenv"
)

// Matrix fixtures for the groups area: a group, an activity and a project
// for each ownership case. The record "own" is led by the actor at the
// other service point, so that only the owner rule can allow it.
func init() {
	objectFixtures["group"] = func(w *world) map[string]matrixCase {
		return eachOwnership(w, func(org int64, as *authz.Principal, site int64, owner *testenv.Person) matrixCase {
			svc := w.E.Sys.Groups
			ctx := w.E.Ctx
			id, err := svc.CreateGroup(ctx, as, groups.GroupInput{Name: "矩阵小组", Kind: "growth", SiteID: site,
				LeaderID: owner.StaffID, PlannedSessions: 4})
			must(w, err)
			came, err := svc.AddMember(ctx, as, id, groups.MemberInput{Name: "出席组员"})
			must(w, err)
			never, err := svc.AddMember(ctx, as, id, groups.MemberInput{Name: "未出席组员"})
			must(w, err)
			sid, err := svc.CreateSession(ctx, as, id, groups.SessionInput{HeldOn: app.Today(w.E.Clock.Now()),
				Topic: "第一节", Present: []int64{came}})
			must(w, err)
			return matrixCase{
				Params: map[string]string{"id": fmt.Sprint(id), "sid": fmt.Sprint(sid), "mid": fmt.Sprint(never)},
				Facts:  authz.Obj{OrgID: org, OwnerID: owner.StaffID, SiteIDs: []int64{site}},
			}
		})
	}
	objectFixtures["activity"] = func(w *world) map[string]matrixCase {
		return eachOwnership(w, func(org int64, as *authz.Principal, site int64, owner *testenv.Person) matrixCase {
			svc := w.E.Sys.Groups
			ctx := w.E.Ctx
			id, err := svc.CreateActivity(ctx, as, groups.ActivityInput{Title: "矩阵活动", Kind: "festival",
				HeldOn: app.Today(w.E.Clock.Now()), SiteID: site, LeadID: owner.StaffID, Participants: 30})
			must(w, err)
			png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 64)...)
			pid, err := svc.AddPhoto(ctx, as, id, "现场.png", png)
			must(w, err)
			return matrixCase{
				Params: map[string]string{"id": fmt.Sprint(id), "pid": fmt.Sprint(pid)},
				Facts:  authz.Obj{OrgID: org, OwnerID: owner.StaffID, SiteIDs: []int64{site}},
			}
		})
	}
	objectFixtures["project"] = func(w *world) map[string]matrixCase {
		return eachOwnership(w, func(org int64, as *authz.Principal, site int64, owner *testenv.Person) matrixCase {
			svc := w.E.Sys.Groups
			ctx := w.E.Ctx
			matrixProjects++
			today := app.Today(w.E.Clock.Now())
			id, err := svc.CreateProject(ctx, as, groups.ProjectInput{Name: fmt.Sprintf("矩阵项目%d", matrixProjects), SiteID: site,
				ManagerID: owner.StaffID, StartDate: today, EndDate: today.AddDays(365)})
			must(w, err)
			fid, err := svc.AddFund(ctx, as, id, groups.FundInput{Funder: "社区公益金", Kind: "community_fund", Amount: 100000})
			must(w, err)
			oid, err := svc.AddIncubated(ctx, as, id, groups.IncubatedInput{Name: "社区艺术团", Members: 12})
			must(w, err)
			return matrixCase{
				Params: map[string]string{"id": fmt.Sprint(id), "fid": fmt.Sprint(fid), "oid": fmt.Sprint(oid)},
				Facts:  authz.Obj{OrgID: org, OwnerID: owner.StaffID, SiteIDs: []int64{site}},
			}
		})
	}
}

// matrixProjects numbers the fixture projects, whose names are unique.
var matrixProjects int

// eachOwnership builds one record per ownership case through mk, acting as
// an organization-wide recorder of the record's organization.
func eachOwnership(w *world, mk func(org int64, as *authz.Principal, site int64, owner *testenv.Person) matrixCase) map[string]matrixCase {
	in := &authz.Principal{UserID: w.PeerA.UserID, OrgID: w.Org.ID, OrgKind: "agency", Username: w.PeerA.Username,
		Roles: []authz.Role{authz.RoleDirector}}
	out := &authz.Principal{UserID: w.Foreign.UserID, OrgID: w.Other.ID, OrgKind: "agency", Username: w.Foreign.Username,
		Roles: []authz.Role{authz.RoleDirector}}
	cases := map[string]matrixCase{
		sameSite:   mk(w.Org.ID, in, w.SiteA, w.PeerA),
		supervisee: mk(w.Org.ID, in, w.SiteB, w.Supervisee),
		otherSite:  mk(w.Org.ID, in, w.SiteB, w.PeerB),
		otherOrg:   mk(w.Other.ID, out, w.SiteX, w.Foreign),
	}
	if w.Actor.StaffID != 0 {
		cases[own] = mk(w.Org.ID, in, w.SiteB, w.Actor)
	}
	return cases
}

func must(w *world, err error) {
	w.E.T.Helper()
	if err != nil {
		w.E.T.Fatalf("matrix fixture: %v", err)
	}
}
