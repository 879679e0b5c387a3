package web_test

import (
	"fmt"
	"sync/atomic"

	"shegong/internal/authz"
)

// Matrix fixtures of the volunteer and resource areas. Their records
// belong to a service point, not to a staff member, so the cases are the
// actor's service point, another service point and another organization.

var volFixtureSeq atomic.Int64

// siteCases builds one record per ownership case with mk(org, site, user).
func siteCases(w *world, mk func(org, site, user int64) map[string]string) map[string]matrixCase {
	c := func(org, site, user int64) matrixCase {
		return matrixCase{Params: mk(org, site, user), Facts: authz.Obj{OrgID: org, SiteIDs: []int64{site}}}
	}
	return map[string]matrixCase{
		sameSite:  c(w.Org.ID, w.SiteA, w.PeerA.UserID),
		otherSite: c(w.Org.ID, w.SiteB, w.PeerB.UserID),
		otherOrg:  c(w.Other.ID, w.SiteX, w.Foreign.UserID),
	}
}

// fixtureVolunteer inserts a bare volunteer.
func fixtureVolunteer(w *world, org, site int64) int64 {
	n := volFixtureSeq.Add(1)
	now := w.E.Clock.Now().UTC()
	return w.E.ID(`INSERT INTO volunteers (org_id, volunteer_no, site_id, name, phone_mask, joined_on, created_at, updated_at)
		VALUES ($1, $2, $3, $4, '139****0000', '2026-01-05', $5, $5) RETURNING id`, org, fmt.Sprintf("M%06d", n), site, fmt.Sprintf("矩阵志愿者%d", n), now)
}

// fixtureRecord inserts a one-hour service record of a new volunteer.
func fixtureRecord(w *world, org, site, user int64) int64 {
	vid := fixtureVolunteer(w, org, site)
	now := w.E.Clock.Now().UTC()
	return w.E.ID(`INSERT INTO volunteer_services (org_id, volunteer_id, site_id, activity_name, service_date, start_min, end_min,
		minutes, recorder_id, recorder_name, created_at, updated_at)
		VALUES ($1, $2, $3, '矩阵活动', '2026-02-01', 540, 600, 60, $4, '矩阵', $5, $5) RETURNING id`, org, vid, site, user, now)
}

func init() {
	objectFixtures["volunteer"] = func(w *world) map[string]matrixCase {
		return siteCases(w, func(org, site, _ int64) map[string]string {
			return map[string]string{"id": fmt.Sprint(fixtureVolunteer(w, org, site))}
		})
	}
	objectFixtures["volunteer_certificate"] = func(w *world) map[string]matrixCase {
		return siteCases(w, func(org, site, user int64) map[string]string {
			vid := fixtureVolunteer(w, org, site)
			n := volFixtureSeq.Add(1)
			id := w.E.ID(`INSERT INTO volunteer_certificates (org_id, volunteer_id, year, seq, number, issued_on, issuer,
				period_from, period_to, minutes, services, content, created_by, created_at)
				VALUES ($1, $2, 2026, $3, $4, '2026-03-01', '矩阵机构', '2026-01-01', '2026-02-28', 60, 1, '矩阵', $5, $6) RETURNING id`,
				org, vid, n, fmt.Sprintf("矩阵证字2026第%04d号", n), user, w.E.Clock.Now().UTC())
			return map[string]string{"id": fmt.Sprint(id)}
		})
	}
	objectFixtures["volunteer_team"] = func(w *world) map[string]matrixCase {
		return siteCases(w, func(org, site, _ int64) map[string]string {
			n := volFixtureSeq.Add(1)
			now := w.E.Clock.Now().UTC()
			tid := w.E.ID(`INSERT INTO volunteer_teams (org_id, site_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
				org, site, fmt.Sprintf("矩阵服务队%d", n), now)
			vid := fixtureVolunteer(w, org, site)
			w.E.Exec(`INSERT INTO volunteer_team_members (org_id, team_id, volunteer_id, joined_on) VALUES ($1, $2, $3, '2026-02-01')`, org, tid, vid)
			return map[string]string{"id": fmt.Sprint(tid), "vid": fmt.Sprint(vid)}
		})
	}
	objectFixtures["volunteer_service"] = func(w *world) map[string]matrixCase {
		return siteCases(w, func(org, site, user int64) map[string]string {
			return map[string]string{"id": fmt.Sprint(fixtureRecord(w, org, site, user))}
		})
	}
	objectFixtures["ivol_batch"] = func(w *world) map[string]matrixCase {
		return siteCases(w, func(org, site, user int64) map[string]string {
			rid := fixtureRecord(w, org, site, user)
			now := w.E.Clock.Now().UTC()
			bid := w.E.ID(`INSERT INTO ivol_batches (org_id, kind, records, created_by, creator_name, created_at)
				VALUES ($1, 'hours', 1, $2, '矩阵', $3) RETURNING id`, org, user, now)
			w.E.Exec(`UPDATE volunteer_services SET batch_id = $3, exported_at = $4 WHERE org_id = $1 AND id = $2`, org, rid, bid, now)
			return map[string]string{"id": fmt.Sprint(bid)}
		})
	}
	objectFixtures["resource"] = func(w *world) map[string]matrixCase {
		return siteCases(w, func(org, site, user int64) map[string]string {
			now := w.E.Clock.Now().UTC()
			id := w.E.ID(`INSERT INTO resource_links (org_id, site_id, month, provider, kind, value_fen, recorded_by, recorder_name,
				created_at, updated_at) VALUES ($1, $2, '2026-02-01', '矩阵提供方', 'goods', 10000, $3, '矩阵', $4, $4) RETURNING id`,
				org, site, user, now)
			return map[string]string{"id": fmt.Sprint(id)}
		})
	}
	objectFixtures["purchaser_comm"] = func(w *world) map[string]matrixCase {
		return siteCases(w, func(org, site, user int64) map[string]string {
			now := w.E.Clock.Now().UTC()
			id := w.E.ID(`INSERT INTO purchaser_comms (org_id, site_id, comm_date, contact, method, content, recorded_by, recorder_name,
				created_at, updated_at) VALUES ($1, $2, '2026-03-01', '矩阵联系人', 'phone', '矩阵沟通', $3, '矩阵', $4, $4) RETURNING id`,
				org, site, user, now)
			return map[string]string{"id": fmt.Sprint(id)}
		})
	}
}
