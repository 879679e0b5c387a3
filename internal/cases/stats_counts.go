package cases

import (
	"context"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/db"
)

// The count the statistics module (服务数据统计) takes from casework: cases
// opened. It checks no permission; the caller decides what the reader may
// count. The count and the list behind it share one condition.

// CountFilter selects the cases a count covers: one organization and,
// optionally, the case's service point and its worker (the current one,
// after any reassignment). A zero id means "all". Cases belong to no
// project.
type CountFilter struct {
	OrgID   int64
	SiteID  int64
	StaffID int64
}

// openedWhere is the condition over cases c for "opened in [from, to]": the
// opening was approved in the period. A zero date leaves that end open.
func (f CountFilter) openedWhere(from, to app.Date) (string, app.Args) {
	var args app.Args
	w := "c.org_id = " + args.Add(f.OrgID) + " AND c.opened_on IS NOT NULL"
	if f.SiteID != 0 {
		w += " AND c.site_id = " + args.Add(f.SiteID)
	}
	if f.StaffID != 0 {
		w += " AND c.worker_id = " + args.Add(f.StaffID)
	}
	if !from.IsZero() {
		w += " AND c.opened_on >= " + args.Add(from)
	}
	if !to.IsZero() {
		w += " AND c.opened_on <= " + args.Add(to)
	}
	return w, args
}

// DefCasesOpened is the definition of 个案数 as users read it.
const DefCasesOpened = "个案：期间内开案审批通过的个案数（按督导同意开案的日期；按个案所属服务点和当前负责社工统计，个案不按项目统计）"

// CasesOpened counts the cases whose opening (开案) was approved in
// [from, to]. A case reopened after closure keeps its first opening.
func CasesOpened(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date) (int, error) {
	w, args := f.openedWhere(from, to)
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases c WHERE `+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("cases: count opened: %w", err)
	}
	return n, nil
}

// OpenedRecord is one case behind the count, without its client.
type OpenedRecord struct {
	ID       int64    `json:"id"`
	Number   string   `json:"number"`
	OpenedOn app.Date `json:"opened_on"`
	State    string   `json:"state"`
	SiteID   int64    `json:"site_id"`
	SiteName string   `json:"site_name"`
	Worker   string   `json:"worker"`
}

var openedSorts = map[string]string{"date": "c.opened_on", "title": "c.number", "site": "si.name", "staff": "st.name", "value": "c.opened_on"}

// OpenedRecords lists the cases CasesOpened counts in the page of lq, with
// their number.
func OpenedRecords(ctx context.Context, q db.Querier, f CountFilter, from, to app.Date, lq app.ListQuery) ([]OpenedRecord, int, error) {
	n, err := CasesOpened(ctx, q, f, from, to)
	if err != nil {
		return nil, 0, err
	}
	w, args := f.openedWhere(from, to)
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.number, c.opened_on, c.state, c.site_id, si.name, st.name
		FROM cases c
		JOIN sites si ON si.org_id = c.org_id AND si.id = c.site_id
		JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
		WHERE `+w+lq.OrderBy(openedSorts, "date", "c.id")+lq.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("cases: opened records: %w", err)
	}
	defer rows.Close()
	out := []OpenedRecord{}
	for rows.Next() {
		var r OpenedRecord
		if err := rows.Scan(&r.ID, &r.Number, &r.OpenedOn, &r.State, &r.SiteID, &r.SiteName, &r.Worker); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, n, rows.Err()
}
