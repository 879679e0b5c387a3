package web_test

import (
	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// Matrix fixtures for staff records and accounts. Each build gives every
// staff member a fresh certificate, so the delete routes find one each time.
func init() {
	objectFixtures["staff"] = func(w *world) map[string]matrixCase {
		mk := func(p *testenv.Person, orgID, site, dept int64) matrixCase {
			cid := w.E.ID(`INSERT INTO staff_certificates (org_id, staff_id, kind, number) VALUES ($1, $2, 'social_worker', 'M-1') RETURNING id`,
				orgID, p.StaffID)
			return matrixCase{
				Params: map[string]string{"id": itoa64(p.StaffID), "cid": itoa64(cid)},
				Facts:  authz.Obj{OrgID: orgID, OwnerID: p.StaffID, SiteIDs: []int64{site}, DeptID: dept},
			}
		}
		cases := map[string]matrixCase{
			sameSite:   mk(w.PeerA, w.Org.ID, w.SiteA, 0),
			supervisee: mk(w.Supervisee, w.Org.ID, w.SiteB, 0),
			otherSite:  mk(w.PeerB, w.Org.ID, w.SiteB, 0),
			otherOrg:   mk(w.Foreign, w.Other.ID, w.SiteX, 0),
		}
		if w.Actor.StaffID != 0 {
			cases[own] = mk(w.Actor, w.Org.ID, w.SiteA, w.Dept)
		}
		return cases
	}
	// Account administration acts on other people's accounts; one's own
	// account is refused on purpose and covered by TestUserAdminPages.
	objectFixtures["user"] = func(w *world) map[string]matrixCase {
		mk := func(p *testenv.Person, orgID, site int64) matrixCase {
			return matrixCase{
				Params: map[string]string{"id": itoa64(p.UserID)},
				Facts:  authz.Obj{OrgID: orgID, OwnerID: p.StaffID, SiteIDs: []int64{site}},
			}
		}
		return map[string]matrixCase{
			sameSite:   mk(w.PeerA, w.Org.ID, w.SiteA),
			supervisee: mk(w.Supervisee, w.Org.ID, w.SiteB),
			otherSite:  mk(w.PeerB, w.Org.ID, w.SiteB),
			otherOrg:   mk(w.Foreign, w.Other.ID, w.SiteX),
		}
	}
}
