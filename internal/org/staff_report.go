package org

import (
	"context"
	"fmt"
	"slices"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// HeadCount is one line of the staff distribution: a service point, town,
// title or domain and how many staff members it has.
type HeadCount struct {
	ID    int64  `json:"id,omitempty"`
	Code  string `json:"code,omitempty"`
	Name  string `json:"name"`
	Town  string `json:"town,omitempty"`
	Count int    `json:"count"`
}

// DistributionRow is one service point of the site × title table.
type DistributionRow struct {
	SiteID int64  `json:"site_id"`
	Site   string `json:"site"`
	Town   string `json:"town"`
	Counts []int  `json:"counts"` // aligned with Distribution.Titles
	Total  int    `json:"total"`
}

// Distribution is the staff distribution report (同工分布, SPEC O4): the
// head-count of staff in post on Date.
type Distribution struct {
	Date       app.Date          `json:"date"`
	ScopeName  string            `json:"scope"`
	Total      int               `json:"total"`      // staff counted
	Unassigned int               `json:"unassigned"` // counted but at no service point
	BySite     []HeadCount       `json:"by_site"`
	ByTown     []HeadCount       `json:"by_town"`
	ByTitle    []HeadCount       `json:"by_title"`
	ByDomain   []HeadCount       `json:"by_domain"` // a person in two domains counts in both
	NoDomain   int               `json:"no_domain"`
	Titles     []StaffTerm       `json:"titles"`
	Cross      []DistributionRow `json:"cross"`
	// Unassigned staff by title, and everyone counted by title; both
	// aligned with Titles.
	UnassignedCounts []int `json:"unassigned_counts"`
	TitleTotals      []int `json:"title_totals"`
}

const (
	// Staff in post on $2: hired by then and not yet gone, with the
	// assignment that covers the date (at most one).
	sqlDistStaff = `SELECT st.id, st.title, COALESCE(a.site_id, 0)
		FROM staff st
		LEFT JOIN staff_assignments a ON a.org_id = st.org_id AND a.staff_id = st.id
			AND a.start_date <= $2 AND (a.end_date IS NULL OR a.end_date >= $2)
		WHERE st.org_id = $1 AND (st.hire_date IS NULL OR st.hire_date <= $2)
		  AND (st.leave_date IS NULL OR st.leave_date >= $2)
		  AND (st.status = 'active' OR st.leave_date IS NOT NULL)`
	sqlDistSites = `SELECT s.id, s.name, s.status, COALESCE(t.name, '') FROM sites s
		LEFT JOIN towns t ON t.org_id = s.org_id AND t.id = s.town_id
		WHERE s.org_id = $1 ORDER BY s.code, s.name`
	sqlDistDomains    = `SELECT id, name FROM domains WHERE org_id = $1 ORDER BY name`
	sqlDistStaffDoms  = `SELECT staff_id, domain_id FROM staff_domains WHERE org_id = $1`
	distNoTown        = "未设置镇街"
	distUntitledLabel = "未填写"
)

// StaffDistribution counts the staff in post on date by service point,
// town, title and domain. A centre head sees the own service points; the
// director, HR and administrators see the whole organization.
func (s *Service) StaffDistribution(ctx context.Context, p *authz.Principal, date app.Date) (*Distribution, error) {
	sc := p.Scope(PermStaffReport)
	if !sc.Any() || p.IsPlatform() {
		return nil, app.ErrForbidden()
	}
	if date.IsZero() {
		date = app.Today(s.Now())
	}
	whole := sc.Has(authz.Org)
	inScope := func(siteID int64) bool { return whole || slices.Contains(p.SiteIDs, siteID) }
	d := &Distribution{Date: date, ScopeName: "全机构", BySite: []HeadCount{}, ByTown: []HeadCount{},
		ByDomain: []HeadCount{}, Cross: []DistributionRow{}}
	if !whole {
		d.ScopeName = "本服务点"
	}

	type person struct {
		id     int64
		title  string
		siteID int64
	}
	var people []person
	rows, err := s.DB.R.QueryContext(ctx, sqlDistStaff, p.OrgID, date)
	if err != nil {
		return nil, fmt.Errorf("org: distribution staff: %w", err)
	}
	for rows.Next() {
		var x person
		if err := rows.Scan(&x.id, &x.title, &x.siteID); err != nil {
			rows.Close()
			return nil, err
		}
		if (x.siteID == 0 && whole) || (x.siteID != 0 && inScope(x.siteID)) {
			people = append(people, x)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Title columns: every title of the list, then any other value found in
	// the records (imported or older data) under its own name, then "not
	// filled in" when someone has none.
	d.Titles = slices.Clone(StaffTitles)
	titleIdx := map[string]int{}
	for i, t := range d.Titles {
		titleIdx[t.Code] = i
	}
	var extra []string
	untitled := false
	for _, x := range people {
		if _, ok := titleIdx[x.title]; ok || slices.Contains(extra, x.title) {
			continue
		}
		if x.title == "" {
			untitled = true
		} else {
			extra = append(extra, x.title)
		}
	}
	slices.Sort(extra)
	for _, t := range extra {
		titleIdx[t] = len(d.Titles)
		d.Titles = append(d.Titles, StaffTerm{Code: t, Name: t})
	}
	if untitled {
		titleIdx[""] = len(d.Titles)
		d.Titles = append(d.Titles, StaffTerm{Code: "", Name: distUntitledLabel})
	}
	col := func(title string) int { return titleIdx[title] }

	// Service points in scope: active ones, and inactive ones still counted.
	bySite := map[int64][]int{}
	for _, x := range people {
		if x.siteID == 0 {
			d.Unassigned++
			continue
		}
		bySite[x.siteID] = append(bySite[x.siteID], col(x.title))
	}
	d.Total = len(people)
	d.TitleTotals = make([]int, len(d.Titles))
	d.UnassignedCounts = make([]int, len(d.Titles))
	for _, x := range people {
		d.TitleTotals[col(x.title)]++
		if x.siteID == 0 {
			d.UnassignedCounts[col(x.title)]++
		}
	}
	rows, err = s.DB.R.QueryContext(ctx, sqlDistSites, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("org: distribution sites: %w", err)
	}
	townIdx := map[string]int{}
	for rows.Next() {
		var id int64
		var name, status, town string
		if err := rows.Scan(&id, &name, &status, &town); err != nil {
			rows.Close()
			return nil, err
		}
		cols, counted := bySite[id]
		if !inScope(id) || (status != "active" && !counted) {
			continue
		}
		if town == "" {
			town = distNoTown
		}
		row := DistributionRow{SiteID: id, Site: name, Town: town, Counts: make([]int, len(d.Titles))}
		for _, c := range cols {
			row.Counts[c]++
			row.Total++
		}
		d.Cross = append(d.Cross, row)
		d.BySite = append(d.BySite, HeadCount{ID: id, Name: name, Town: town, Count: row.Total})
		i, ok := townIdx[town]
		if !ok {
			i = len(d.ByTown)
			townIdx[town] = i
			d.ByTown = append(d.ByTown, HeadCount{Name: town})
		}
		d.ByTown[i].Count += row.Total
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The town without a name goes last.
	slices.SortStableFunc(d.ByTown, func(a, b HeadCount) int {
		switch {
		case a.Name == distNoTown && b.Name != distNoTown:
			return 1
		case b.Name == distNoTown && a.Name != distNoTown:
			return -1
		}
		return 0
	})
	for i, t := range d.Titles {
		d.ByTitle = append(d.ByTitle, HeadCount{Code: t.Code, Name: t.Name, Count: d.TitleTotals[i]})
	}

	// Domains.
	counted := make(map[int64]bool, len(people))
	for _, x := range people {
		counted[x.id] = true
	}
	domCount := map[int64]int{}
	withDomain := map[int64]bool{}
	rows, err = s.DB.R.QueryContext(ctx, sqlDistStaffDoms, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("org: distribution domains: %w", err)
	}
	for rows.Next() {
		var sid, did int64
		if err := rows.Scan(&sid, &did); err != nil {
			rows.Close()
			return nil, err
		}
		if counted[sid] {
			domCount[did]++
			withDomain[sid] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	d.NoDomain = len(people) - len(withDomain)
	rows, err = s.DB.R.QueryContext(ctx, sqlDistDomains, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("org: distribution domain names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h HeadCount
		if err := rows.Scan(&h.ID, &h.Name); err != nil {
			return nil, err
		}
		h.Count = domCount[h.ID]
		d.ByDomain = append(d.ByDomain, h)
	}
	return d, rows.Err()
}
