package web_test

import (
	"fmt"
	"strconv"
	"sync/atomic"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// The matrix fixture of Object "case": for each ownership an open case with
// an approved external referral, inserted by SQL, so that every {id} and
// {rid} route has a record to read.
var caseFixtureSeq atomic.Int64

func init() {
	objectFixtures["case"] = func(w *world) map[string]matrixCase {
		e := w.E
		now := e.Clock.Now().UTC()
		mk := func(o *testenv.Org, p *testenv.Person, site int64) matrixCase {
			n := caseFixtureSeq.Add(1)
			client := e.ID(`INSERT INTO clients (org_id, name, birth_date, worker_id, site_id, created_at, updated_at)
				VALUES ($1, $2, '1950-01-01', $3, $4, $5, $5) RETURNING id`, o.ID, fmt.Sprintf("矩阵对象%d", n), p.StaffID, site, now)
			id := e.ID(`INSERT INTO cases (org_id, number, client_id, site_id, worker_id, state, risk_level, source, intake_date,
				presenting_problem, opened_on, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', 'low', 'self',
				'2026-02-01', '矩阵测试', '2026-02-02', $6, $6) RETURNING id`, o.ID, fmt.Sprintf("2026-MX-%06d", n), client, site,
				p.StaffID, now)
			rid := e.ID(`INSERT INTO case_referrals (org_id, case_id, seq, kind, to_agency, to_contact, to_phone, reason, services,
				status, from_worker_id, requested_by, requested_at, decided_at) VALUES ($1, $2, 1, 'external', '外部机构', '联系人',
				'13800138000', '原因', '服务', 'done', $3, $4, $5, $5) RETURNING id`, o.ID, id, p.StaffID, p.UserID, now)
			return matrixCase{
				Params: map[string]string{"id": strconv.FormatInt(id, 10), "rid": strconv.FormatInt(rid, 10)},
				Facts:  authz.Obj{OrgID: o.ID, OwnerID: p.StaffID, SiteIDs: []int64{site}},
			}
		}
		m := map[string]matrixCase{
			sameSite:   mk(w.Org, w.PeerA, w.SiteA),
			supervisee: mk(w.Org, w.Supervisee, w.SiteB),
			otherSite:  mk(w.Org, w.PeerB, w.SiteB),
			otherOrg:   mk(w.Other, w.Foreign, w.SiteX),
		}
		if w.Actor.StaffID != 0 {
			m[own] = mk(w.Org, w.Actor, w.SiteA)
		}
		return m
	}
}
