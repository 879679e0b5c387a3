package web_test

import (
	"strconv"
	"sync"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// Matrix fixtures of the organization structure: service points (with a
// fresh contract year for the {cid} routes), departments, towns,
// purchasers and domains.

// orgRecords are the records made once per matrix world.
type orgRecords struct {
	deptOther, deptForeign int64
	town, townForeign      int64
	buyer, buyerForeign    int64
	domain, domainForeign  int64
	contractDays           int
}

var (
	orgRecordsMu sync.Mutex
	orgRecordsOf = map[*world]*orgRecords{}
)

func orgRecordsFor(w *world) *orgRecords {
	orgRecordsMu.Lock()
	defer orgRecordsMu.Unlock()
	if r, ok := orgRecordsOf[w]; ok {
		return r
	}
	e := w.E
	named := func(table string, orgID int64, name string) int64 {
		return e.ID(`INSERT INTO `+table+` (org_id, name) VALUES ($1, $2) RETURNING id`, orgID, name)
	}
	r := &orgRecords{
		deptOther:     w.Org.Dept("财务部", "finance"),
		deptForeign:   w.Other.Dept("服务部", "service"),
		town:          named("towns", w.Org.ID, "黄江镇"),
		townForeign:   named("towns", w.Other.ID, "黄江镇"),
		buyer:         named("purchasers", w.Org.ID, "黄江镇社会事务局"),
		buyerForeign:  named("purchasers", w.Other.ID, "黄江镇社会事务局"),
		domain:        named("domains", w.Org.ID, "青少年"),
		domainForeign: named("domains", w.Other.ID, "青少年"),
	}
	orgRecordsOf[w] = r
	return r
}

// contractYear adds a one-day contract year that overlaps no other, so each
// route gets its own (a delete route may remove the one it was given).
func (r *orgRecords) contractYear(w *world, orgID, siteID int64) string {
	orgRecordsMu.Lock()
	r.contractDays++
	n := r.contractDays
	orgRecordsMu.Unlock()
	day := app.NewDate(2001, 1, 1).AddDays(n)
	id := w.E.ID(`INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen)
		VALUES ($1, $2, $3, $4, $4, 100) RETURNING id`, orgID, siteID, "矩阵"+strconv.Itoa(n), day)
	return strconv.FormatInt(id, 10)
}

func init() {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	objectFixtures["site"] = func(w *world) map[string]matrixCase {
		r := orgRecordsFor(w)
		mk := func(orgID, siteID int64) matrixCase {
			return matrixCase{Params: map[string]string{"id": id(siteID), "cid": r.contractYear(w, orgID, siteID)},
				Facts: authz.Obj{OrgID: orgID, SiteIDs: []int64{siteID}}}
		}
		return map[string]matrixCase{
			sameSite:  mk(w.Org.ID, w.SiteA),
			otherSite: mk(w.Org.ID, w.SiteB),
			otherOrg:  mk(w.Other.ID, w.SiteX),
		}
	}
	objectFixtures["dept"] = func(w *world) map[string]matrixCase {
		r := orgRecordsFor(w)
		mk := func(orgID, deptID int64) matrixCase {
			return matrixCase{Params: map[string]string{"id": id(deptID)}, Facts: authz.Obj{OrgID: orgID, DeptID: deptID}}
		}
		return map[string]matrixCase{
			own:       mk(w.Org.ID, w.Dept),
			otherSite: mk(w.Org.ID, r.deptOther),
			otherOrg:  mk(w.Other.ID, r.deptForeign),
		}
	}
	// Towns, purchasers and domains belong to the organization as a whole.
	orgWide := func(pick func(r *orgRecords) (mine, foreign int64)) func(w *world) map[string]matrixCase {
		return func(w *world) map[string]matrixCase {
			mine, foreign := pick(orgRecordsFor(w))
			return map[string]matrixCase{
				sameSite: {Params: map[string]string{"id": id(mine)}, Facts: authz.Obj{OrgID: w.Org.ID}},
				otherOrg: {Params: map[string]string{"id": id(foreign)}, Facts: authz.Obj{OrgID: w.Other.ID}},
			}
		}
	}
	objectFixtures["town"] = orgWide(func(r *orgRecords) (int64, int64) { return r.town, r.townForeign })
	objectFixtures["purchaser"] = orgWide(func(r *orgRecords) (int64, int64) { return r.buyer, r.buyerForeign })
	objectFixtures["domain"] = orgWide(func(r *orgRecords) (int64, int64) { return r.domain, r.domainForeign })
}
