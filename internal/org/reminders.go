package org

import (
	"context"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/reminder"
)

// ContractYearRule reminds of service-point contract years that end within
// Days days, and of those that have ended without a following contract
// year while the service point is still active.
type ContractYearRule struct {
	Days int // default 30
}

func (ContractYearRule) Name() string  { return "contract_year_ending" }
func (ContractYearRule) Label() string { return "合同年到期" }

const sqlContractYearsEnding = `SELECT cy.id, cy.site_id, s.name, cy.label, cy.end_date
	FROM contract_years cy JOIN sites s ON s.org_id = cy.org_id AND s.id = cy.site_id
	WHERE s.status = 'active' AND cy.end_date <= %s
	  AND NOT EXISTS (SELECT 1 FROM contract_years lt WHERE lt.org_id = cy.org_id
	      AND lt.site_id = cy.site_id AND lt.end_date > cy.end_date)
	  AND %s
	ORDER BY cy.end_date, s.name`

// Items lists the contract years in p's scope that need attention.
func (r ContractYearRule) Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]reminder.Item, error) {
	sc := p.Scope(PermContractRead)
	if !sc.Any() {
		return nil, nil
	}
	days := r.Days
	if days <= 0 {
		days = 30
	}
	var args app.Args
	horizon := args.Add(today.AddDays(days))
	where := sc.SQL(authz.Cols{Org: "cy.org_id", Site: "cy.site_id"}, args.Add)
	rows, err := q.QueryContext(ctx, fmt.Sprintf(sqlContractYearsEnding, horizon, where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reminder.Item
	for rows.Next() {
		var id, siteID int64
		var site, label string
		var end app.Date
		if err := rows.Scan(&id, &siteID, &site, &label, &end); err != nil {
			return nil, err
		}
		it := reminder.Item{Title: site + " · " + label, Href: fmt.Sprintf("/sites/%d", siteID), Due: end}
		left := today.DaysUntil(end)
		switch {
		case left < 0:
			it.Overdue = true
			it.Detail = fmt.Sprintf("已于 %s 到期 %d 天，尚未登记新合同年", end, -left)
		case left == 0:
			it.Detail = "今天到期"
		default:
			it.Detail = fmt.Sprintf("%s 到期，还有 %d 天", end, left)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
