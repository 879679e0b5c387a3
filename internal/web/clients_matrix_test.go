package web_test

import (
	"fmt"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/testenv"
)

// The matrix fixture for Object "client": one client per ownership case, each
// with a consent record carrying a scan, so that every client route (detail,
// edit, reveal, consent download …) has a real record to address.
func init() {
	objectFixtures["client"] = func(w *world) map[string]matrixCase {
		mk := func(o *testenv.Org, owner *testenv.Person, site int64) matrixCase {
			e := w.E
			// Registered in the owner's name, whatever role the actor holds.
			reg := &authz.Principal{OrgID: o.ID, OrgKind: "agency", Username: "fixture", Roles: []authz.Role{authz.RoleWorker},
				StaffID: owner.StaffID, SiteIDs: []int64{site}}
			c, err := e.Sys.Clients.Create(e.Ctx, reg, cases.ClientInput{Name: fmt.Sprintf("矩阵对象%d", owner.StaffID),
				BirthDate: app.NewDate(1980, 1, 2), WorkerID: owner.StaffID, SiteID: site})
			if err != nil {
				e.T.Fatalf("client fixture: %v %v", err, app.FieldErrors(err))
			}
			k, err := e.Sys.Clients.AddConsent(e.Ctx, reg, c.ID, cases.ConsentInput{SignedOn: app.NewDate(2026, 3, 1),
				SignerName: "签署人", Relationship: cases.ConsentSelf, SharingScope: "本机构",
				File: &cases.Upload{Filename: "scan.pdf", Data: []byte("%PDF-1.4\n%matrix\n")}})
			if err != nil {
				e.T.Fatalf("consent fixture: %v %v", err, app.FieldErrors(err))
			}
			return matrixCase{
				Params: map[string]string{"id": idStr(c.ID), "cid": idStr(k.ID)},
				Facts:  authz.Obj{OrgID: o.ID, OwnerID: owner.StaffID, SiteIDs: []int64{site}},
			}
		}
		out := map[string]matrixCase{
			sameSite:   mk(w.Org, w.PeerA, w.SiteA),
			supervisee: mk(w.Org, w.Supervisee, w.SiteB),
			otherSite:  mk(w.Org, w.PeerB, w.SiteB),
			otherOrg:   mk(w.Other, w.Foreign, w.SiteX),
		}
		if w.Actor.StaffID != 0 {
			out[own] = mk(w.Org, w.Actor, w.SiteA)
		}
		return out
	}
}

func idStr(id int64) string { return fmt.Sprint(id) }
